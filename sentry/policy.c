/* sentry/policy.c — loading and checking the policy file's outer shape. */
#include "sentry/policy.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct policy {
    char *path;
    struct json_object *root;
};

/* Every section some layer reads. A key not listed is a load error. */
static const char *const SECTIONS[] = {
    "egress", "secrets", "mounts", "canaries", "dlp", NULL,
};

static bool known(const char *key)
{
    for (const char *const *k = SECTIONS; *k; k++)
        if (!strcmp(*k, key))
            return true;
    return false;
}

/* Reads and parses the whole file; syntax errors name the line. */
static struct json_object *parse(const char *path, struct err *e)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        err_set(e, errno, "policy %s", path);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while (m && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, m);
    bool bad = ferror(f);
    fclose(f);
    if (!m || fclose(m) != 0 || bad) {
        free(text);
        err_set(e, bad ? EIO : ENOMEM, "policy %s: reading", path);
        return NULL;
    }
    struct json_tokener *tok = json_tokener_new();
    if (!tok || len > INT_MAX) {
        free(text);
        err_set(e, tok ? EFBIG : ENOMEM, "policy %s", path);
        if (tok)
            json_tokener_free(tok);
        return NULL;
    }
    struct json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    if (!root || je != json_tokener_success) {
        size_t at = json_tokener_get_parse_end(tok), line = 1;
        for (size_t k = 0; k < at && k < len; k++)
            line += text[k] == '\n';
        err_set(e, 0, "policy %s:%zu: %s", path, line,
                je == json_tokener_continue ? "unexpected end of file"
                                            : json_tokener_error_desc(je));
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    free(text);
    return root;
}

int policy_load(const char *path, struct policy **out, struct err *e)
{
    struct json_object *root = parse(path, e);
    if (!root)
        return -1;
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return err_set(e, 0, "policy %s: the top level must be a JSON object", path);
    }
    json_object_object_foreach(root, key, val) {
        (void)val;
        if (!known(key)) {
            err_set(e, 0, "policy %s: unknown key \"%s\"", path, key);
            json_object_put(root);
            return -1;
        }
    }
    struct policy *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path))) {
        free(p);
        json_object_put(root);
        return err_set(e, ENOMEM, "policy %s", path);
    }
    p->root = root;
    *out = p;
    return 0;
}

void policy_free(struct policy *p)
{
    if (!p)
        return;
    json_object_put(p->root);
    free(p->path);
    free(p);
}

struct json_object *policy_section(const struct policy *p, const char *key)
{
    struct json_object *v;
    return p && json_object_object_get_ex(p->root, key, &v) ? v : NULL;
}

const char *policy_path(const struct policy *p)
{
    return p->path;
}
