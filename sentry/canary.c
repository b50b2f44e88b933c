/* sentry/canary.c — placing canary files and keeping their tokens. */
#include "sentry/canary.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "sentry/events.h"

#define CANARY_MAX 32

static unsigned ncanaries;
/* two tokens per canary at most (key id + secret), NULL-terminated */
static char token_buf[CANARY_MAX * 2][64];
static const char *tokens[CANARY_MAX * 2 + 1];
static unsigned ntokens;

unsigned canary_count(void) { return ncanaries; }

const char *const *events_canary_tokens(void) { return tokens; }

/* n random characters of alphabet into out (NUL-terminated). */
static int random_chars(char *out, size_t n, const char *alphabet)
{
    unsigned char b[64];
    if (n > sizeof b || getrandom(b, n, 0) != (ssize_t)n)
        return -EIO;
    size_t m = strlen(alphabet);
    for (size_t k = 0; k < n; k++)
        out[k] = alphabet[b[k] % m];   /* m divides 256 for every alphabet below */
    out[n] = '\0';
    return 0;
}

static const char *new_token(const char *prefix, size_t n, const char *alphabet)
{
    char *t = token_buf[ntokens];
    size_t pl = strlen(prefix);
    memcpy(t, prefix, pl);
    if (random_chars(t + pl, n, alphabet) < 0)
        return NULL;
    tokens[ntokens++] = t;
    return t;
}

#define UPPER32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define B64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define HEX "0123456789abcdef"

/* The file's text, in the format its name suggests. */
static int content(const char *path, char *out, size_t size)
{
    size_t pl = strlen(path);
    static const char AWS[] = ".aws/credentials";
    if (pl >= sizeof AWS - 1 && !strcmp(path + pl - (sizeof AWS - 1), AWS)) {
        const char *id = new_token("AKIA", 16, UPPER32);
        const char *secret = id ? new_token("", 40, B64) : NULL;
        if (!secret)
            return -EIO;
        return snprintf(out, size,
                        "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                        "region = us-east-1\n", id, secret);
    }
    const char *key = new_token("sk_live_", 40, HEX);
    if (!key)
        return -EIO;
    return snprintf(out, size, "# service credentials\nAPI_KEY=%s\n", key);
}

static int place(struct vfs *v, const char *what, const char *path, const struct fs_cred *owner,
                 const char *home, struct err *e)
{
    char full[PATH_MAX];
    if (!strncmp(path, "~/", 2))
        snprintf(full, sizeof full, "%s/%s", home, path + 2);
    else if (path[0] == '/')
        snprintf(full, sizeof full, "%s", path);
    else
        return err_set(e, 0, "%s: expected an absolute guest path or ~/PATH, got \"%s\"", what,
                       path);
    if (ncanaries == CANARY_MAX)
        return err_set(e, 0, "%s: at most %d canaries", what, CANARY_MAX);
    char text[512];
    int n = content(full, text, sizeof text);
    if (n < 0)
        return err_set(e, -n, "%s: no random token", what);
    struct err fe = { 0 };
    if (vfs_place_file(v, full, text, (size_t)n, 0600, owner, VFS_INODE_CANARY, &fe) < 0)
        return err_set(e, fe.code, "%s: %s", what, fe.msg);
    ncanaries++;
    return 0;
}

int canary_setup(struct vfs *v, const char *const *cli, const struct policy *p,
                 const struct fs_cred *owner, const char *home, struct err *e)
{
    for (const char *const *c = cli; c && *c; c++)
        if (place(v, "--canary", *c, owner, home, e) < 0)
            return -1;
    struct json_object *sec = policy_section(p, "canaries");
    if (!sec)
        return 0;
    if (!json_object_is_type(sec, json_type_array))
        return err_set(e, 0, "policy %s: canaries: expected an array of guest paths",
                       policy_path(p));
    for (size_t k = 0; k < json_object_array_length(sec); k++) {
        struct json_object *it = json_object_array_get_idx(sec, k);
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "policy %s: canaries[%zu]", policy_path(p), k);
        if (!json_object_is_type(it, json_type_string))
            return err_set(e, 0, "%s: expected a guest path string", what);
        if (place(v, what, json_object_get_string(it), owner, home, e) < 0)
            return -1;
    }
    return 0;
}
