/* sentry/image.c — which parts of an image's rootfs the session grafts.
 * Directories the VFS synthesises (/proc, /dev, /sys, /tmp, /run, /home,
 * /etc's own tree) are left out: the guest sees the sentry's versions, as
 * for `cordon run`; /etc is taken name by name so passwd, hosts and
 * resolv.conf stay the session's. */
#include "sentry/image.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool synthetic(const char *name)
{
    static const char *const skip[] = { ".", "..", "proc", "dev", "sys", "tmp", "run",
                                        "home", "etc" };
    for (size_t k = 0; k < sizeof skip / sizeof *skip; k++)
        if (!strcmp(name, skip[k]))
            return true;
    return false;
}

/* Appends the names in dir, prefixed, to list (top: the rootfs itself,
 * without the synthetic ones; else a missing dir is an empty list). */
static int list_dir(const char *dir, const char *prefix, bool top, const char **list, size_t max,
                    char **store, size_t *used, size_t cap, struct err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT && !top ? 0 : err_set(e, errno, "rootfs %s", dir);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (top ? synthetic(de->d_name) : (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")))
            continue;
        size_t len = strlen(prefix) + strlen(de->d_name) + 1;
        if (n == max || *used + len > cap) {
            closedir(d);
            return err_set(e, 0, "rootfs %s: more than %zu entries (cordon's limit)", dir, max);
        }
        char *p = *store + *used;
        snprintf(p, len, "%s%s", prefix, de->d_name);
        *used += len;
        list[n++] = p;
    }
    closedir(d);
    list[n] = NULL;
    return 0;
}

int image_layout(const char *rootfs, struct image_layout *out, struct err *e)
{
    size_t cap = (IMAGE_MAX_RUNTIME + IMAGE_MAX_ETC) * 257, used = 0;
    *out = (struct image_layout){ .names = malloc(cap) };
    if (!out->names)
        return err_set(e, ENOMEM, "rootfs %s", rootfs);
    char etc[4096];
    snprintf(etc, sizeof etc, "%s/etc", rootfs);
    if (list_dir(rootfs, "/", true, out->runtime, IMAGE_MAX_RUNTIME, &out->names, &used, cap, e) <
            0 ||
        list_dir(etc, "", false, out->etc, IMAGE_MAX_ETC, &out->names, &used, cap, e) < 0) {
        image_layout_free(out);
        return -1;
    }
    return 0;
}

void image_layout_free(struct image_layout *l)
{
    free(l->names);
    l->names = NULL;
}
