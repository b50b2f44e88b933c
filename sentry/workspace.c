/* sentry/workspace.c — --mount, --secret-deny and the policy's "mounts" and
 * "secrets" sections, turned into vfs_mount / vfs_set_secrets calls. */
#include "sentry/workspace.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#define MAX_RULES 256

/* OPTS of a mount spec; false when s is not an option list. */
static bool parse_opts(const char *s, unsigned *flags)
{
    unsigned f = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 2 && !strncmp(s, "ro", 2))
            f &= ~(unsigned)VFS_MOUNT_RW;
        else if (n == 2 && !strncmp(s, "rw", 2))
            f |= VFS_MOUNT_RW;
        else if (n == 4 && !strncmp(s, "exec", 4))
            f &= ~(unsigned)VFS_MOUNT_NOEXEC;
        else if (n == 6 && !strncmp(s, "noexec", 6))
            f |= VFS_MOUNT_NOEXEC;
        else
            return false;
        s += n + (s[n] == ',');
    }
    *flags = f;
    return true;
}

int workspace_parse_mount(const char *spec, char *buf, struct mount_spec *out, struct err *e)
{
    if (strlen(spec) >= PATH_MAX * 2)
        return err_set(e, ENAMETOOLONG, "--mount %.64s...: too long", spec);
    strcpy(buf, spec);
    *out = (struct mount_spec){ .host = buf };
    char *last = strrchr(buf, ':');
    if (last && last[1] != '/' && parse_opts(last + 1, &out->flags)) {
        *last = 0;
        last = strrchr(buf, ':');
    }
    if (!last || last == buf || last[1] != '/')
        return err_set(e, EINVAL,
                       "--mount %s: expected HOST:GUEST[:ro|:rw][,noexec] with an absolute GUEST",
                       spec);
    *last = 0;
    out->guest = last + 1;
    return 0;
}

/* The strings of a JSON array, NULL-terminated, into list[MAX_RULES + 1]. */
static int string_list(struct json_object *a, const char *where, const char *key,
                       const char **list, size_t *n, struct err *e)
{
    if (!json_object_is_type(a, json_type_array))
        return err_set(e, 0, "%s: secrets.%s: expected an array of globs", where, key);
    size_t len = json_object_array_length(a);
    for (size_t k = 0; k < len; k++) {
        struct json_object *s = json_object_array_get_idx(a, k);
        if (!json_object_is_type(s, json_type_string))
            return err_set(e, 0, "%s: secrets.%s[%zu]: expected a string", where, key, k);
        if (*n == MAX_RULES)
            return err_set(e, 0, "%s: secrets: more than %d rules", where, MAX_RULES);
        list[(*n)++] = json_object_get_string(s);
    }
    list[*n] = NULL;
    return 0;
}

static int apply_secrets(struct vfs *v, const struct policy *p, const char *const *flags,
                         struct err *e)
{
    const char *deny[MAX_RULES + 1] = { NULL }, *allow[MAX_RULES + 1] = { NULL };
    size_t nd = 0, na = 0;
    struct vfs_secrets s = { .deny = deny, .allow = allow };
    struct json_object *sec = policy_section(p, "secrets");
    if (sec) {
        const char *where = policy_path(p);
        if (!json_object_is_type(sec, json_type_object))
            return err_set(e, 0, "%s: secrets: expected an object "
                                 "{\"deny\": [...], \"allow\": [...], \"defaults\": true}", where);
        json_object_object_foreach(sec, key, val) {
            int r = 0;
            if (!strcmp(key, "deny"))
                r = string_list(val, where, key, deny, &nd, e);
            else if (!strcmp(key, "allow"))
                r = string_list(val, where, key, allow, &na, e);
            else if (!strcmp(key, "defaults") && json_object_is_type(val, json_type_boolean))
                s.no_defaults = !json_object_get_boolean(val);
            else if (!strcmp(key, "defaults"))
                r = err_set(e, 0, "%s: secrets.defaults: expected true or false", where);
            else
                r = err_set(e, 0, "%s: secrets: unknown key \"%s\" (deny, allow, defaults)",
                            where, key);
            if (r < 0)
                return -1;
        }
    }
    for (; flags && *flags; flags++) {
        if (nd == MAX_RULES)
            return err_set(e, 0, "--secret-deny: more than %d rules", MAX_RULES);
        deny[nd++] = *flags;
        deny[nd] = NULL;
    }
    return vfs_set_secrets(v, &s, e);
}

/* One entry of the policy's "mounts". */
static int policy_mount(struct vfs *v, struct json_object *m, const char *where, size_t k,
                        struct err *e)
{
    if (!json_object_is_type(m, json_type_object))
        return err_set(e, 0, "%s: mounts[%zu]: expected an object "
                             "{\"host\": ..., \"guest\": ..., \"mode\": \"ro\", \"exec\": true}",
                       where, k);
    const char *host = NULL, *guest = NULL;
    unsigned flags = 0;
    json_object_object_foreach(m, key, val) {
        bool str = json_object_is_type(val, json_type_string);
        const char *s = str ? json_object_get_string(val) : NULL;
        if (!strcmp(key, "host") && str && *s)
            host = s;
        else if (!strcmp(key, "guest") && str && s[0] == '/')
            guest = s;
        else if (!strcmp(key, "mode") && str && (!strcmp(s, "ro") || !strcmp(s, "rw")))
            flags |= !strcmp(s, "rw") ? VFS_MOUNT_RW : 0;
        else if (!strcmp(key, "exec") && json_object_is_type(val, json_type_boolean))
            flags |= json_object_get_boolean(val) ? 0 : VFS_MOUNT_NOEXEC;
        else if (!strcmp(key, "host") || !strcmp(key, "guest") || !strcmp(key, "mode") ||
                 !strcmp(key, "exec"))
            return err_set(e, 0, "%s: mounts[%zu].%s: expected %s", where, k, key,
                           !strcmp(key, "host")    ? "a host directory"
                           : !strcmp(key, "guest") ? "an absolute guest path"
                           : !strcmp(key, "mode")  ? "\"ro\" or \"rw\""
                                                   : "true or false");
        else
            return err_set(e, 0, "%s: mounts[%zu]: unknown key \"%s\" (host, guest, mode, exec)",
                           where, k, key);
    }
    if (!host || !guest)
        return err_set(e, 0, "%s: mounts[%zu].%s: missing", where, k, host ? "guest" : "host");
    return vfs_mount(v, host, guest, flags, e);
}

int workspace_apply(struct vfs *v, const struct policy *p, const char *const *mounts,
                    const char *const *secret_deny, struct err *e)
{
    if (apply_secrets(v, p, secret_deny, e) < 0)
        return -1;
    struct json_object *ms = policy_section(p, "mounts");
    if (ms && !json_object_is_type(ms, json_type_array))
        return err_set(e, 0, "%s: mounts: expected an array", policy_path(p));
    for (size_t k = 0; ms && k < json_object_array_length(ms); k++)
        if (policy_mount(v, json_object_array_get_idx(ms, k), policy_path(p), k, e) < 0)
            return -1;
    for (; mounts && *mounts; mounts++) {
        _cleanup_free_ char *buf = malloc(PATH_MAX * 2);
        struct mount_spec m;
        if (!buf)
            return err_set(e, ENOMEM, "--mount");
        if (workspace_parse_mount(*mounts, buf, &m, e) < 0 ||
            vfs_mount(v, m.host, m.guest, m.flags, e) < 0)
            return -1;
    }
    return 0;
}
