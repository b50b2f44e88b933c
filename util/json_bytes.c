/* util/json_bytes.c — UTF-8 validity and base64 (util/json_bytes.h). */
#include "util/json_bytes.h"

#include <openssl/evp.h>
#include <stdint.h>

bool utf8_valid(const unsigned char *b, size_t n)
{
    static const uint32_t MIN[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    for (size_t k = 0; k < n;) {
        unsigned char c = b[k];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!len || k + len > n)
            return false;
        uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
        for (size_t j = 1; j < len; j++) {
            if ((b[k + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (b[k + j] & 0x3f);
        }
        if (cp < MIN[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        k += len;
    }
    return true;
}

size_t base64_encode(const unsigned char *in, size_t n, char *out)
{
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

ssize_t base64_decode(const char *in, size_t n, unsigned char *out)
{
    if (n % 4 || n > INT32_MAX)
        return -1;
    /* Strictly the alphabet, '=' only as the last one or two: OpenSSL
     * skips whitespace and reads an inner '=' as 'A', and the padding
     * count below would then be wrong. */
    for (size_t k = 0; k < n; k++) {
        unsigned char ch = (unsigned char)in[k];
        bool pad = ch == '=' && k + 2 >= n && (k + 1 == n || in[n - 1] == '=');
        bool alpha = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                     (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
        if (!pad && !alpha)
            return -1;
    }
    int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    if (len < 0)
        return -1;
    /* EVP_DecodeBlock counts the padding as bytes. */
    for (size_t k = n; k > 0 && in[k - 1] == '='; k--)
        len--;
    return len;
}
