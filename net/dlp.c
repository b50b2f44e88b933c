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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sentry/events.h"

/* Tokens longer than this are not canaries cordon makes. */
#define TOKEN_MAX DLP_SECRET_MAX

struct secret {
    char *value;
    char name[80];   /* "$VAR" or "dlp.secrets[N]": what events show */
};

struct dlp {
    struct secret *secrets;
    size_t n;
};

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

/* How t[0..n) is carried in h, or NULL. */
static const char *carried(const struct hay *h, const char *t, size_t n)
{
    char needle[2 * TOKEN_MAX + 8];
    int r = found(h, t, n);
    if (r)
        return r == 1 ? "raw" : "url-encoded";
    for (unsigned a = 0; a < 3; a++)
        if (found(h, needle, b64_needle(t, n, a, needle)))
            return "base64";
    for (int up = 0; up < 2; up++)
        if (found(h, needle, hex_needle(t, n, up, needle)))
            return "hex";
    return NULL;
}

bool dlp_active(const struct dlp *d)
{
    const char *const *tokens = events_canary_tokens();
    return (tokens && tokens[0]) || (d && d->n);
}

const char *dlp_registered(const struct dlp *d, const char *value)
{
    for (size_t k = 0; d && k < d->n; k++)
        if (!strcmp(d->secrets[k].value, value))
            return d->secrets[k].name;
    return NULL;
}

bool dlp_scan(const struct dlp *d, const char *data, size_t len, struct dlp_hit *hit)
{
    if (!len || !dlp_active(d))
        return false;
    /* Without memory for the copy, the bytes as sent are still searched. */
    char *norm = malloc(len);
    struct hay h = { data, norm, len, norm ? normalise(data, len, norm) : 0 };
    const char *how = NULL;
    const char *const *tokens = events_canary_tokens();
    for (const char *const *t = tokens; t && *t && !how; t++) {
        size_t n = strlen(*t);
        if (n && n <= TOKEN_MAX && (how = carried(&h, *t, n)))
            *hit = (struct dlp_hit){ "canary token", "", how };
    }
    for (size_t k = 0; d && k < d->n && !how; k++)
        if ((how = carried(&h, d->secrets[k].value, strlen(d->secrets[k].value))))
            *hit = (struct dlp_hit){ "registered secret", d->secrets[k].name, how };
    free(norm);
    return how != NULL;
}

static int secret_add(struct dlp *d, const char *value, const char *label, const char *name,
                      struct err *e)
{
    size_t n = strlen(value);
    if (n < DLP_SECRET_MIN || n > DLP_SECRET_MAX)
        return err_set(e, 0, "%s: a secret must be %d to %d bytes long (this one is %zu)", label,
                       DLP_SECRET_MIN, DLP_SECRET_MAX, n);
    struct secret *s = realloc(d->secrets, (d->n + 1) * sizeof *s);
    if (!s)
        return err_set(e, ENOMEM, "%s", label);
    d->secrets = s;
    s = &d->secrets[d->n];
    if (!(s->value = strdup(value)))
        return err_set(e, ENOMEM, "%s", label);
    snprintf(s->name, sizeof s->name, "%s", name);
    d->n++;
    return 0;
}

/* One of the section's arrays: literal values, or names of variables. */
static int secrets_list(struct dlp *d, struct json_object *arr, const char *file,
                        const char *key, bool env, struct err *e)
{
    if (!json_object_is_type(arr, json_type_array))
        return err_set(e, 0, "policy %s: dlp.%s: expected an array of strings", file, key);
    for (size_t k = 0; k < json_object_array_length(arr); k++) {
        struct json_object *v = json_object_array_get_idx(arr, k);
        char label[300], name[80];
        snprintf(label, sizeof label, "policy %s: dlp.%s[%zu]", file, key, k);
        if (!json_object_is_type(v, json_type_string))
            return err_set(e, 0, "%s: expected a string", label);
        const char *text = json_object_get_string(v);
        if (env) {
            const char *value = getenv(text);
            if (!*text || strlen(text) >= sizeof name - 1)
                return err_set(e, 0, "%s: expected a variable name", label);
            if (!value || !*value)
                return err_set(e, 0, "%s: $%s is not set in cordon's environment", label, text);
            snprintf(name, sizeof name, "$%s", text);
            text = value;
        } else {
            snprintf(name, sizeof name, "dlp.%s[%zu]", key, k);
        }
        if (secret_add(d, text, label, name, e) < 0)
            return -1;
    }
    return 0;
}

int dlp_load(struct json_object *section, const char *file, struct dlp **out, struct err *e)
{
    *out = NULL;
    if (!section)
        return 0;
    if (!json_object_is_type(section, json_type_object))
        return err_set(e, 0, "policy %s: dlp: expected {\"secrets\": [...], \"secrets_env\": [...]}",
                       file);
    struct dlp *d = calloc(1, sizeof *d);
    if (!d)
        return err_set(e, ENOMEM, "policy %s: dlp", file);
    int rc = 0;
    json_object_object_foreach(section, key, val) {
        if (!strcmp(key, "secrets"))
            rc = secrets_list(d, val, file, key, false, e);
        else if (!strcmp(key, "secrets_env"))
            rc = secrets_list(d, val, file, key, true, e);
        else
            rc = err_set(e, 0, "policy %s: dlp: unknown key \"%s\"", file, key);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        dlp_free(d);
        return -1;
    }
    *out = d;
    return 0;
}

void dlp_free(struct dlp *d)
{
    if (!d)
        return;
    for (size_t k = 0; k < d->n; k++) {
        /* The values leave no copy behind in freed memory. */
        explicit_bzero(d->secrets[k].value, strlen(d->secrets[k].value));
        free(d->secrets[k].value);
    }
    free(d->secrets);
    free(d);
}
