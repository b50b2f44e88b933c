/* fs/xattr.c — extended attributes (xattr(7)) of the memory layer, with
 * tmpfs's answers for an unprivileged user: user.* names are stored on
 * regular files and directories; trusted.* is invisible (ENODATA) and
 * unwritable (EPERM), security.* unwritable too (no LSM grants it), system.*
 * (POSIX ACLs) unsupported. The runtime layer is a read-only mount with no
 * attributes of its own.
 *
 * An inode's attributes are a list kept in descending name order, the
 * order tmpfs lists them in, so listxattr output matches the host's.
 * tmpfs bounds attribute space per mount; here it is bounded per inode
 * (XATTR_INODE_MAX) so that one file cannot take the sentry's memory.
 */
#include "fs/internal.h"

#include <errno.h>
#include <linux/xattr.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/xattr.h>
#include <unistd.h>

#define XATTR_INODE_MAX (1024 * 1024)

struct xattr {
    struct xattr *next;
    size_t nlen, vlen;
    char data[];    /* name, NUL, value */
};

void xattr_free_all(struct inode *i)
{
    for (struct xattr *x = i->xattrs, *next; x; x = next) {
        next = x->next;
        free(x);
    }
    i->xattrs = NULL;
}

static bool has_prefix(const char *name, const char *prefix)
{
    return !strncmp(name, prefix, strlen(prefix));
}

/* The kernel's xattr_resolve_name(): a known namespace with a non-empty
 * rest, else EINVAL (the bare prefix) or EOPNOTSUPP. */
static int name_check(const char *name)
{
    static const char *const known[] = {XATTR_USER_PREFIX, XATTR_TRUSTED_PREFIX,
                                        XATTR_SECURITY_PREFIX, XATTR_SYSTEM_PREFIX};
    for (size_t k = 0; k < sizeof known / sizeof *known; k++)
        if (has_prefix(name, known[k]))
            return name[strlen(known[k])] ? 0 : -EINVAL;
    return -EOPNOTSUPP;
}

int vfs_xattr_foreign(const char *name, bool write)
{
    int r = name_check(name);
    if (r < 0 || has_prefix(name, XATTR_USER_PREFIX))
        return r;
    if (has_prefix(name, XATTR_SYSTEM_PREFIX))
        return -EOPNOTSUPP;
    return write ? -EPERM : -ENODATA;
}

/* The kernel's xattr_permission(), then what tmpfs and the capability
 * module say for the namespaces an unprivileged user may not use. */
static int xattr_permission(struct inode *i, const char *name, bool write,
                            const struct fs_cred *c)
{
    if (has_prefix(name, XATTR_TRUSTED_PREFIX))
        return write ? -EPERM : -ENODATA;
    if (has_prefix(name, XATTR_USER_PREFIX)) {
        if (!S_ISREG(i->mode) && !S_ISDIR(i->mode))
            return write ? -EPERM : -ENODATA;
        if (write && S_ISDIR(i->mode) && (i->mode & S_ISVTX) && !perm_owner(i, c))
            return -EPERM;
    }
    if (!has_prefix(name, XATTR_SECURITY_PREFIX) && !has_prefix(name, XATTR_SYSTEM_PREFIX)) {
        int r = perm_check(i, write ? W_OK : R_OK, c);
        if (r < 0)
            return r;
    }
    if (write && has_prefix(name, XATTR_SECURITY_PREFIX))
        return -EPERM;
    return name_check(name);
}

static struct xattr **find(struct inode *i, const char *name)
{
    struct xattr **pp = &i->xattrs;
    while (*pp && strcmp((*pp)->data, name) > 0)
        pp = &(*pp)->next;
    return pp;
}

ssize_t vfs_getxattr(struct vfs *v, struct inode *i, const char *name, void *buf,
                     size_t size, const struct fs_cred *c)
{
    (void)v;
    int r = xattr_permission(i, name, false, c);
    if (r < 0)
        return r;
    if (!has_prefix(name, XATTR_USER_PREFIX))
        return has_prefix(name, XATTR_SYSTEM_PREFIX) ? -EOPNOTSUPP : -ENODATA;
    struct xattr *x = *find(i, name);
    if (!x || strcmp(x->data, name))
        return -ENODATA;
    if (size == 0)
        return (ssize_t)x->vlen;
    if (size < x->vlen)
        return -ERANGE;
    memcpy(buf, x->data + x->nlen + 1, x->vlen);
    return (ssize_t)x->vlen;
}

ssize_t vfs_listxattr(struct vfs *v, struct inode *i, char *buf, size_t size)
{
    (void)v;
    size_t need = 0;
    for (struct xattr *x = i->xattrs; x; x = x->next)
        need += x->nlen + 1;
    if (size == 0)
        return (ssize_t)need;
    if (size < need)
        return -ERANGE;
    for (struct xattr *x = i->xattrs; x; x = x->next) {
        memcpy(buf, x->data, x->nlen + 1);
        buf += x->nlen + 1;
    }
    return (ssize_t)need;
}

static size_t space_used(const struct inode *i)
{
    size_t n = 0;
    for (const struct xattr *x = i->xattrs; x; x = x->next)
        n += x->nlen + x->vlen;
    return n;
}

int vfs_setxattr(struct vfs *v, struct inode *i, const char *name, const void *value,
                 size_t size, int flags, const struct fs_cred *c)
{
    (void)v;
    if (mount_readonly(i))
        return -EROFS;
    if (i->layer == LAYER_PROC)
        return -EOPNOTSUPP;   /* as Linux's procfs */
    if (i->layer == LAYER_MOUNT)
        return -EOPNOTSUPP;   /* not served on workspace mounts */
    bool remove = !value;
    int r = xattr_permission(i, name, true, c);
    if (r < 0)
        return r;
    if (!has_prefix(name, XATTR_USER_PREFIX))
        return -EOPNOTSUPP;
    if ((r = ovl_copy_up(i, true)) < 0)
        return r;
    struct xattr **pp = find(i, name);
    bool exists = *pp && !strcmp((*pp)->data, name);
    if (exists && (flags & XATTR_CREATE))
        return -EEXIST;
    if (!exists && (remove || (flags & XATTR_REPLACE)))
        return -ENODATA;
    struct xattr *x = NULL;
    if (!remove) {
        size_t nlen = strlen(name);
        size_t old = exists ? (*pp)->nlen + (*pp)->vlen : 0;
        if (space_used(i) - old + nlen + size > XATTR_INODE_MAX)
            return -ENOSPC;
        x = malloc(sizeof *x + nlen + 1 + size);
        if (!x)
            return -ENOMEM;
        x->nlen = nlen;
        x->vlen = size;
        memcpy(x->data, name, nlen + 1);
        if (size)
            memcpy(x->data + nlen + 1, value, size);
    }
    if (exists) {
        struct xattr *gone = *pp;
        *pp = gone->next;
        free(gone);
    }
    if (x) {
        x->next = *pp;
        *pp = x;
    }
    mem_touch(i, false);
    notify_inode(i, IN_ATTRIB);
    return 0;
}
