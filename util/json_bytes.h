/* util/json_bytes.h — arbitrary bytes inside JSON text: a JSON string when
 * they are well-formed UTF-8, standard base64 otherwise.
 *
 * Why: JSON strings are Unicode text, so a program's output or input that
 * is not UTF-8 (binary, a stray Latin-1 byte) would make invalid JSON or
 * be altered. `cordon serve`'s exec frames and stdin, and `cordon session`
 * on the other end, both decide and decode the same way through here.
 */
#ifndef CORDON_UTIL_JSON_BYTES_H
#define CORDON_UTIL_JSON_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* No overlong forms, surrogates, or code points past U+10FFFF. */
bool utf8_valid(const unsigned char *b, size_t n);

/* out holds at least BASE64_LEN(n) + 1 bytes; returns the length written
 * (NUL-terminated). */
#define BASE64_LEN(n) (4 * (((n) + 2) / 3))
size_t base64_encode(const unsigned char *in, size_t n, char *out);

/* out holds at least n / 4 * 3 bytes; the decoded length, or -1 when in is
 * not base64. */
ssize_t base64_decode(const char *in, size_t n, unsigned char *out);

#endif
