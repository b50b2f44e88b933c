/* fs/secrets.c — the deny list of names that never show inside a mount.
 *
 * A workspace mount is the one place where host files the user did not mean
 * to hand over (cloud credentials, ssh keys, .env files) are in reach of the
 * guest, so every object looked up or listed in a mount is matched here by
 * its path below the mount root. This file only matches; fs/mountfs.c
 * applies the verdict (ENOENT, an audit line) and reads a file's content
 * when the rule asks for it.
 *
 * Rule syntax (a small, predictable subset of gitignore):
 *   name          any object so named, at any depth
 *   a/b           an object b inside a directory a, at any depth
 *   /a/b          anchored at the mount root
 *   name/         directories only
 * Each component is an fnmatch(3) glob (*, ?, [...]); "**" is refused so a
 * rule never looks like it means more than it does. An allow rule that
 * matches the same object wins over every deny rule.
 *
 * Everything below a hidden directory is unreachable because the walk must
 * pass through it, so rules name the top of what they hide. A multi-component
 * rule could be dodged by renaming a directory it names (.docker -> d makes
 * d/config.json visible): secrets_guards() tells the rename code which
 * directory names must not move.
 */
#include "fs/internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

struct rule {
    char **comp;        /* components, each an fnmatch glob */
    size_t n;
    bool anchored, dir_only, private_key;
};

struct secrets {
    struct rule *deny, *allow;
    size_t ndeny, nallow;
};

/* The defaults of `--secret-deny` / the policy's "secrets". A *.pem file is
 * hidden only when it holds a private key: certificates are public and
 * programs need them. */
static const char *const DEFAULT_DENY[] = {
    ".aws/", ".ssh/", ".gnupg/", ".netrc", ".git-credentials", ".docker/config.json",
    ".kube/config", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", ".env", NULL,
};
#define PEM_RULE "*.pem"

static void rule_free(struct rule *r)
{
    for (size_t k = 0; k < r->n; k++)
        free(r->comp[k]);
    free(r->comp);
}

static int rule_parse(const char *glob, struct rule *r, struct err *e)
{
    *r = (struct rule){0};
    size_t len = strlen(glob);
    if (len == 0 || len >= PATH_MAX)
        return err_set(e, EINVAL, "secret rule \"%s\": empty or too long", glob);
    r->anchored = glob[0] == '/';
    r->dir_only = glob[len - 1] == '/';
    const char *p = glob + r->anchored, *end = glob + len - r->dir_only;
    if (p >= end)
        return err_set(e, EINVAL, "secret rule \"%s\": names nothing", glob);
    for (const char *q = p; q <= end; q++)
        r->n += q == end || *q == '/';
    if (!(r->comp = calloc(r->n, sizeof *r->comp)))
        return err_set(e, ENOMEM, "secret rule \"%s\"", glob);
    for (size_t k = 0; k < r->n; k++) {
        size_t c = strcspn(p, "/");
        if (p + c > end)
            c = (size_t)(end - p);
        if (c == 0 || (c == 1 && p[0] == '.') || (c == 2 && !strncmp(p, "..", 2)) ||
            memmem(p, c, "**", 2)) {
            rule_free(r);
            return err_set(e, EINVAL,
                           "secret rule \"%s\": empty, \".\", \"..\" or \"**\" component "
                           "(rules are globs of names: NAME, DIR/NAME, /ANCHORED, DIR/)",
                           glob);
        }
        if (!(r->comp[k] = strndup(p, c))) {
            rule_free(r);
            return err_set(e, ENOMEM, "secret rule \"%s\"", glob);
        }
        p += c + 1;
    }
    return 0;
}

static int rules_add(struct rule **list, size_t *n, const char *glob, struct err *e)
{
    struct rule r;
    if (rule_parse(glob, &r, e) < 0)
        return -1;
    struct rule *nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (!nl) {
        rule_free(&r);
        return err_set(e, ENOMEM, "secret rules");
    }
    nl[(*n)++] = r;
    *list = nl;
    return 0;
}

void secrets_free(struct secrets *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->ndeny; k++)
        rule_free(&s->deny[k]);
    for (size_t k = 0; k < s->nallow; k++)
        rule_free(&s->allow[k]);
    free(s->deny);
    free(s->allow);
    free(s);
}

int vfs_set_secrets(struct vfs *v, const struct vfs_secrets *o, struct err *e)
{
    struct secrets *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, ENOMEM, "secret rules");
    int r = 0;
    for (const char *const *g = DEFAULT_DENY; r == 0 && !o->no_defaults && *g; g++)
        r = rules_add(&s->deny, &s->ndeny, *g, e);
    if (r == 0 && !o->no_defaults && (r = rules_add(&s->deny, &s->ndeny, PEM_RULE, e)) == 0)
        s->deny[s->ndeny - 1].private_key = true;
    for (const char *const *g = o->deny; r == 0 && g && *g; g++)
        r = rules_add(&s->deny, &s->ndeny, *g, e);
    for (const char *const *g = o->allow; r == 0 && g && *g; g++)
        r = rules_add(&s->allow, &s->nallow, *g, e);
    if (r < 0) {
        secrets_free(s);
        return -1;
    }
    secrets_free(v->secrets);
    v->secrets = s;
    return 0;
}

/* Whether the rule matches the object at rel ("a/b/c", no leading slash;
 * "." is the mount root, which no rule names). */
static bool rule_match(const struct rule *r, const char *rel, bool isdir)
{
    if (r->dir_only && !isdir)
        return false;
    size_t n = 1;
    for (const char *q = rel; *q; q++)
        n += *q == '/';
    if (n < r->n || (r->anchored && n != r->n))
        return false;
    /* Skip the components in front of the rule's last r->n. */
    const char *p = rel;
    for (size_t skip = n - r->n; skip; p++)
        skip -= *p == '/';
    for (size_t k = 0; k < r->n; k++) {
        size_t c = strcspn(p, "/");
        char name[NAME_MAX + 1];
        if (c > NAME_MAX)
            return false;
        memcpy(name, p, c);
        name[c] = 0;
        if (fnmatch(r->comp[k], name, 0) != 0)
            return false;
        p += c + (p[c] == '/');
    }
    return true;
}

enum secret secrets_match(const struct secrets *s, const char *rel, bool isdir)
{
    if (!s || !strcmp(rel, "."))
        return SECRET_NO;
    enum secret verdict = SECRET_NO;
    for (size_t k = 0; k < s->ndeny && verdict != SECRET_YES; k++)
        if (rule_match(&s->deny[k], rel, isdir))
            verdict = s->deny[k].private_key ? SECRET_IF_PRIVATE_KEY : SECRET_YES;
    for (size_t k = 0; k < s->nallow && verdict != SECRET_NO; k++)
        if (rule_match(&s->allow[k], rel, isdir))
            verdict = SECRET_NO;
    return verdict;
}

bool secrets_guards(const struct secrets *s, const char *name)
{
    for (size_t k = 0; s && k < s->ndeny; k++)
        for (size_t c = 0; c + 1 < s->deny[k].n; c++)
            if (fnmatch(s->deny[k].comp[c], name, 0) == 0)
                return true;
    return false;
}
