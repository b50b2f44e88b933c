/* serve/tokens.c — bearer tokens -> tenants, from the --tokens file.
 * A token file is a secret the operator edits by hand: every bad entry is
 * refused with its line, never skipped, so a typo cannot leave a tenant
 * locked out or two tenants sharing one name by accident. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"
#include "util/cleanup.h"

#define TOKEN_MIN 8
#define TOKEN_MAX 256
#define TENANT_MAX 63

struct token {
    char *token, *tenant;
};

struct tokens {
    struct token *v;
    size_t n;
};

void tokens_free(struct tokens *t)
{
    if (!t)
        return;
    for (size_t k = 0; k < t->n; k++) {
        free(t->v[k].token);
        free(t->v[k].tenant);
    }
    free(t->v);
    free(t);
}

static bool valid_token(const char *s)
{
    size_t n = strlen(s);
    for (size_t k = 0; k < n; k++)
        if (!isgraph((unsigned char)s[k]))
            return false;
    return n >= TOKEN_MIN && n <= TOKEN_MAX;
}

static bool valid_tenant(const char *s)
{
    size_t n = strlen(s);
    for (size_t k = 0; k < n; k++)
        if (!isalnum((unsigned char)s[k]) && !strchr("_.-", s[k]))
            return false;
    return n >= 1 && n <= TENANT_MAX;
}

static int add(struct tokens *t, const char *path, unsigned line, const char *tok,
               const char *tenant, struct err *e)
{
    if (!valid_token(tok))
        return err_set(e, 0, "%s:%u: a token is %d to %d printable characters without spaces",
                       path, line, TOKEN_MIN, TOKEN_MAX);
    if (!valid_tenant(tenant))
        return err_set(e, 0, "%s:%u: tenant '%s': 1 to %d of A-Z a-z 0-9 _ . -", path, line,
                       tenant, TENANT_MAX);
    for (size_t k = 0; k < t->n; k++)
        if (!strcmp(t->v[k].token, tok))
            return err_set(e, 0, "%s:%u: this token is listed twice", path, line);
    struct token *v = realloc(t->v, (t->n + 1) * sizeof *v);
    if (!v)
        return err_set(e, ENOMEM, "%s", path);
    t->v = v;
    v[t->n].token = strdup(tok);
    v[t->n].tenant = strdup(tenant);
    if (!v[t->n].token || !v[t->n].tenant) {
        free(v[t->n].token);
        free(v[t->n].tenant);
        return err_set(e, ENOMEM, "%s", path);
    }
    t->n++;
    return 0;
}

static int load_json(struct tokens *t, const char *path, const char *text, struct err *e)
{
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return err_set(e, ENOMEM, "%s", path);
    struct json_object *root = json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error je = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!root || je != json_tokener_success) {
        json_object_put(root);
        return err_set(e, 0, "%s: not valid JSON (%s)", path, json_tokener_error_desc(je));
    }
    int r = 0;
    if (!json_object_is_type(root, json_type_object))
        r = err_set(e, 0, "%s: expected an object {\"TOKEN\": \"TENANT\", ...}", path);
    unsigned k = 0;
    json_object_object_foreach(root, key, val)
    {
        k++;
        if (r < 0)
            break;
        if (!json_object_is_type(val, json_type_string))
            r = err_set(e, 0, "%s: entry %u: the tenant must be a string", path, k);
        else
            r = add(t, path, k, key, json_object_get_string(val), e);
    }
    json_object_put(root);
    return r;
}

static int load_lines(struct tokens *t, const char *path, char *text, struct err *e)
{
    unsigned line = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        char tok[TOKEN_MAX + 2], tenant[TENANT_MAX + 2], extra[2];
        while (isspace((unsigned char)*l))
            l++;
        if (!*l || *l == '#')
            continue;
        int n = sscanf(l, "%257s %64s %1s", tok, tenant, extra);
        if (n != 2)
            return err_set(e, 0, "%s:%u: expected \"TOKEN TENANT\"", path, line);
        if (add(t, path, line, tok, tenant, e) < 0)
            return -1;
    }
    return 0;
}

int tokens_load(const char *path, struct tokens **out, struct err *e)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return err_set(e, errno, "--tokens %s", path);
    _cleanup_free_ char *text = NULL;
    size_t cap = 0;
    ssize_t len = getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (len < 0)
        return err_set(e, 0, "--tokens %s: empty file", path);
    struct tokens *t = calloc(1, sizeof *t);
    if (!t)
        return err_set(e, ENOMEM, "%s", path);
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    int r = *p == '{' ? load_json(t, path, text, e) : load_lines(t, path, text, e);
    if (r == 0 && t->n == 0)
        r = err_set(e, 0, "--tokens %s: no tokens", path);
    if (r < 0) {
        tokens_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* Every token is compared in full, so the time taken does not tell how
 * much of a guess was right. */
static bool same(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t k = 0; k < la; k++)
        d |= (unsigned char)(a[k] ^ b[k < lb ? k : 0]);
    return d == 0;
}

const char *tokens_tenant(const struct tokens *t, const char *authorization)
{
    if (!authorization || strncmp(authorization, "Bearer ", 7))
        return NULL;
    const char *tok = authorization + 7;
    const char *found = NULL;
    for (size_t k = 0; k < t->n; k++)
        if (same(tok, t->v[k].token))
            found = t->v[k].tenant;
    return found;
}
