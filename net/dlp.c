/* net/dlp.c — the egress data-loss scan (see dlp.h).
 *
 * Encodings are matched by encoding the token, not by decoding the traffic,
 * except two: percent-escapes may cover any subset of a token's bytes, and
 * base64 tools wrap lines (coreutils at 76 columns), so every needle is also
 * searched in a copy that is percent-decoded with line breaks dropped. A base64
 * needle drops the characters whose bits the token shares with its
 * neighbours, once for each of the three alignments the token can start
 * at inside the encoder's 3-byte groups.
 */
#include "net/dlp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/events.h"

/* Tokens longer than this are not canaries cordon makes. */
#define TOKEN_MAX 200

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The base64 characters fully determined by tok when it sits `align` bytes
 * into a 3-byte group. */
static size_t b64_needle(const char *tok, size_t n, unsigned align, char *out)
{
    unsigned char in[TOKEN_MAX + 2] = { 0 };
    memcpy(in + align, tok, n);
    size_t total = n + align, groups = total / 3, w = 0;
    for (size_t g = 0; g < groups; g++) {
        const unsigned char *p = in + 3 * g;
        unsigned v = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
        for (int k = 3; k >= 0; k--)
            out[w++] = B64[(v >> (6 * k)) & 63];
    }
    static const size_t skip[3] = { 0, 2, 3 };
    size_t s = skip[align] < w ? skip[align] : w;
    memmove(out, out + s, w - s);
    return w - s;
}

static size_t hex_needle(const char *tok, size_t n, bool upper, char *out)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t k = 0; k < n; k++) {
        out[2 * k] = digits[(unsigned char)tok[k] >> 4];
        out[2 * k + 1] = digits[(unsigned char)tok[k] & 15];
    }
    return 2 * n;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes into out (which holds len bytes), dropping CR and LF.
 * '+' stays: it is a base64 character more often than a form's space. */
static size_t normalise(const char *in, size_t len, char *out)
{
    size_t w = 0;
    for (size_t k = 0; k < len; k++) {
        int hi, lo;
        char c = in[k];
        if (c == '%' && k + 2 < len && (hi = hexval(in[k + 1])) >= 0 &&
            (lo = hexval(in[k + 2])) >= 0) {
            c = (char)(hi << 4 | lo);
            k += 2;
        }
        if (c != '\r' && c != '\n')
            out[w++] = c;
    }
    return w;
}

struct hay {
    const char *raw, *norm;
    size_t rlen, nlen;
};

/* 0: not found; 1: in the bytes as sent; 2: only once normalised. */
static int found(const struct hay *h, const char *needle, size_t n)
{
    if (n < 8)
        return 0;
    if (memmem(h->raw, h->rlen, needle, n))
        return 1;
    return h->norm && memmem(h->norm, h->nlen, needle, n) ? 2 : 0;
}

const char *dlp_scan(const char *data, size_t len)
{
    const char *const *tokens = events_canary_tokens();
    if (!tokens || !tokens[0] || !len)
        return NULL;
    /* Without memory for the copy, the bytes as sent are still searched. */
    char *norm = malloc(len);
    struct hay h = { data, norm, len, norm ? normalise(data, len, norm) : 0 };
    const char *how = NULL;
    for (const char *const *t = tokens; *t && !how; t++) {
        size_t n = strlen(*t);
        if (n == 0 || n > TOKEN_MAX)
            continue;
        char needle[2 * TOKEN_MAX + 8];
        int r = found(&h, *t, n);
        if (r)
            how = r == 1 ? "raw" : "url-encoded";
        for (unsigned a = 0; a < 3 && !how; a++)
            if (found(&h, needle, b64_needle(*t, n, a, needle)))
                how = "base64";
        for (int up = 0; up < 2 && !how; up++)
            if (found(&h, needle, hex_needle(*t, n, up, needle)))
                how = "hex";
    }
    free(norm);
    return how;
}
