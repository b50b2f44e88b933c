/* The egress scan's registered secrets (net/dlp.c): the "dlp" section is
 * validated with messages that name the key, and a secret is found raw,
 * base64 at every alignment (line-wrapped or not), hex in either case and
 * percent-encoded in part, never in traffic that only resembles it. No
 * canary is placed here, so every hit is the registered secret's. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/dlp.h"

#define SECRET "deploy-7Qz3Kp9Lm2Xw"

static struct dlp *load(const char *json, struct err *e)
{
    struct json_object *o = json_tokener_parse(json);
    cr_assert(o, "bad test JSON: %s", json);
    struct dlp *d = NULL;
    int r = dlp_load(o, "p.json", &d, e);
    json_object_put(o);
    cr_assert((r == 0) == (d != NULL));
    return d;
}

static const char *scan(const struct dlp *d, const char *data)
{
    struct dlp_hit hit;
    return dlp_scan(d, data, strlen(data), &hit) ? hit.how : NULL;
}

/* base64 of "x"*pad + SECRET + "y", wrapped at `wrap` columns (0: not). */
static void b64(char *out, size_t pad, size_t wrap)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char in[64];
    size_t n = (size_t)snprintf(in, sizeof in, "%.*s%sy", (int)pad, "xx", SECRET), w = 0, col = 0;
    for (size_t k = 0; k < n; k += 3) {
        unsigned v = (unsigned char)in[k] << 16 |
                     (k + 1 < n ? (unsigned char)in[k + 1] : 0) << 8 |
                     (k + 2 < n ? (unsigned char)in[k + 2] : 0);
        for (int j = 0; j < 4; j++) {
            out[w++] = k + (size_t)j <= n ? A[(v >> (18 - 6 * j)) & 63] : '=';
            if (wrap && ++col == wrap) {
                out[w++] = '\n';
                col = 0;
            }
        }
    }
    out[w] = 0;
}

Test(net_dlp, a_secret_is_found_in_every_encoding)
{
    struct err e = { 0 };
    struct dlp *d = load("{\"secrets\": [\"" SECRET "\"]}", &e);
    cr_assert(dlp_active(d));
    cr_assert_str_eq(scan(d, "POST /x HTTP/1.1\r\n\r\ntoken=" SECRET "&a=b"), "raw");
    char buf[256];
    for (size_t pad = 0; pad < 3; pad++)
        for (size_t wrap = 0; wrap <= 8; wrap += 8) {
            b64(buf, pad, wrap);
            cr_assert_str_eq(scan(d, buf), "base64", "pad %zu wrap %zu: %s", pad, wrap, buf);
        }
    char hex[64] = "", *p = hex;
    for (const char *s = SECRET; *s; s++)
        p += sprintf(p, "%02X", (unsigned char)*s);
    cr_assert_str_eq(scan(d, hex), "hex");
    /* Part of it escaped, the rest as is. */
    cr_assert_str_eq(scan(d, "q=%64%65%70loy-7Qz3Kp9Lm2Xw"), "url-encoded");
    struct dlp_hit hit;
    cr_assert(dlp_scan(d, SECRET, strlen(SECRET), &hit));
    cr_assert_str_eq(hit.kind, "registered secret");
    cr_assert_str_eq(hit.name, "dlp.secrets[0]");
    /* Near misses pass. */
    cr_assert_null(scan(d, "deploy-7Qz3Kp9Lm2Xx deploy-7Qz3Kp9Lm2X"));
    cr_assert_str_eq(dlp_registered(d, SECRET), "dlp.secrets[0]");
    cr_assert_null(dlp_registered(d, "something else"));
    dlp_free(d);
}

Test(net_dlp, secrets_from_the_environment_are_named_by_their_variable)
{
    setenv("CORDON_UNIT_DLP", "from-env-secret-42", 1);
    struct err e = { 0 };
    struct dlp *d = load("{\"secrets_env\": [\"CORDON_UNIT_DLP\"]}", &e);
    struct dlp_hit hit;
    cr_assert(dlp_scan(d, "a from-env-secret-42 b", 22, &hit));
    cr_assert_str_eq(hit.name, "$CORDON_UNIT_DLP");
    dlp_free(d);
    unsetenv("CORDON_UNIT_DLP");
}

Test(net_dlp, bad_sections_name_the_key)
{
    static const struct {
        const char *json, *want;
    } bad[] = {
        { "[]", "dlp: expected {" },
        { "{\"secrets\": \"x\"}", "dlp.secrets: expected an array of strings" },
        { "{\"secrets\": [7]}", "dlp.secrets[0]: expected a string" },
        { "{\"secrets\": [\"12345678\", \"short\"]}", "dlp.secrets[1]: a secret must be 8 to 200" },
        { "{\"secrets_env\": [\"CORDON_UNIT_NOT_SET\"]}", "$CORDON_UNIT_NOT_SET is not set" },
        { "{\"secrets_env\": [\"\"]}", "dlp.secrets_env[0]: expected a variable name" },
        { "{\"canary\": []}", "dlp: unknown key \"canary\"" },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct err e = { 0 };
        cr_assert_null(load(bad[k].json, &e));
        cr_assert(strstr(e.msg, bad[k].want) && strstr(e.msg, "policy p.json"), "%s: got \"%s\"",
                  bad[k].json, e.msg);
    }
}
