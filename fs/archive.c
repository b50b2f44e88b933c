/* fs/archive.c — the memory layer as a tar (--export-fs / --import-fs), so
 * a backend can keep a user's files between turns without keeping the
 * sandbox alive. libarchive writes and reads the format (pax).
 *
 * Export writes what the upper layer holds: every memory directory, file
 * and symlink reachable from the root that the session made or changed
 * (the initial tree, /etc copies and the like, only where changed),
 * copied-up runtime objects at their paths, hard links as tar hard links,
 * and the overlay's state the way OCI image layers record it: a whiteout as an empty `.wh.NAME` beside the hidden name, a directory
 * that replaced a runtime one as `DIR/.wh..wh..opq`. Unchanged runtime
 * objects, device nodes, /proc, FIFOs and sockets are not written.
 *
 * Import replays such a tar into a fresh session before the guest starts,
 * as root of the guest and through the VFS's own calls (so copy-up,
 * whiteouts and quotas apply as if the guest had done it). Member names are
 * checked first: absolute names, "..", devices, FIFOs and sockets are
 * refused with the member's name; nothing of an import ever reaches the
 * host's files.
 */
#include "fs/internal.h"
#include "util/cleanup.h"
#include "util/lazylib.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"

static const struct fs_cred root_cred = {0, 0};

/* libarchive is bound when an export or import starts (see util/lazylib.h). */
#define LIBARCHIVE_FNS(X) \
    X(archive_entry_atime) X(archive_entry_atime_is_set) X(archive_entry_atime_nsec) \
    X(archive_entry_copy_stat) X(archive_entry_filetype) X(archive_entry_free) \
    X(archive_entry_gid) X(archive_entry_hardlink) X(archive_entry_mtime) \
    X(archive_entry_mtime_nsec) X(archive_entry_new) X(archive_entry_pathname) \
    X(archive_entry_perm) X(archive_entry_set_filetype) X(archive_entry_set_hardlink) \
    X(archive_entry_set_pathname) X(archive_entry_set_perm) X(archive_entry_set_size) \
    X(archive_entry_set_symlink) X(archive_entry_symlink) X(archive_entry_uid) \
    X(archive_errno) X(archive_error_string) X(archive_read_data_block) \
    X(archive_read_free) X(archive_read_new) X(archive_read_next_header) \
    X(archive_read_open_filename) X(archive_read_support_filter_all) \
    X(archive_read_support_format_tar) X(archive_write_close) X(archive_write_data) \
    X(archive_write_free) X(archive_write_header) X(archive_write_new) \
    X(archive_write_open_filename) X(archive_write_set_format_pax_restricted)
static struct { LIBARCHIVE_FNS(LAZYLIB_FIELD) } libarchive;
static const char *const libarchive_names[] = { LIBARCHIVE_FNS(LAZYLIB_NAME) };

static int libarchive_load(struct err *e)
{
    return lazylib_load("libarchive.so.13", "libarchive13", libarchive_names,
                        sizeof libarchive_names / sizeof *libarchive_names, &libarchive, e);
}

/* ---- export ------------------------------------------------------------ */

struct exporter {
    struct vfs *v;
    struct archive *a;
    struct err *e;
    const char *out;
    struct inode **linked;      /* files with more than one name, written once */
    char **link_paths;
    size_t nlinked, cap;
    char path[PATH_MAX];        /* of the directory being walked, no leading '/' */
};

static int archive_fail(struct exporter *x, const char *what)
{
    return err_set(x->e, libarchive.archive_errno(x->a) > 0 ? libarchive.archive_errno(x->a) : EIO,
                   "--export-fs %s: %s: %s", x->out, what, libarchive.archive_error_string(x->a));
}

/* The path a file with several names was first written at, else NULL
 * after remembering this one. */
static const char *first_name(struct exporter *x, struct inode *i, const char *path)
{
    for (size_t k = 0; k < x->nlinked; k++)
        if (x->linked[k] == i)
            return x->link_paths[k];
    if (x->nlinked == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 16;
        struct inode **ni = realloc(x->linked, ncap * sizeof *ni);
        if (ni)
            x->linked = ni;
        char **np = realloc(x->link_paths, ncap * sizeof *np);
        if (np)
            x->link_paths = np;
        if (!ni || !np)
            return NULL;    /* written as a copy: still correct data */
        x->cap = ncap;
    }
    char *p = strdup(path);
    if (p) {
        x->linked[x->nlinked] = i;
        x->link_paths[x->nlinked++] = p;
    }
    return NULL;
}

static int write_data(struct exporter *x, struct inode *i, const char *path)
{
    static char buf[65536];
    for (off_t off = 0;;) {
        ssize_t n = pread(i->memfd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set(x->e, errno, "--export-fs %s: reading %s", x->out, path);
        if (n == 0)
            return 0;
        if (libarchive.archive_write_data(x->a, buf, (size_t)n) != n)
            return archive_fail(x, path);
        off += n;
    }
}

static int put(struct exporter *x, const char *path, struct inode *i)
{
    struct stat st;
    if (i)
        vfs_stat_inode(x->v, i, &st);
    struct archive_entry *en = libarchive.archive_entry_new();
    if (!en)
        return err_set(x->e, ENOMEM, "--export-fs %s", x->out);
    libarchive.archive_entry_set_pathname(en, path);
    if (!i) {
        /* A whiteout: an empty file, as OCI layers write it. */
        libarchive.archive_entry_set_filetype(en, AE_IFREG);
        libarchive.archive_entry_set_perm(en, 0);
        libarchive.archive_entry_set_size(en, 0);
    } else {
        libarchive.archive_entry_copy_stat(en, &st);
        if (S_ISLNK(i->mode))
            libarchive.archive_entry_set_symlink(en, i->target);
    }
    const char *first = i && S_ISREG(i->mode) && st.st_nlink > 1 ? first_name(x, i, path) : NULL;
    if (first) {
        libarchive.archive_entry_set_hardlink(en, first);
        libarchive.archive_entry_set_size(en, 0);
    }
    int r = libarchive.archive_write_header(x->a, en) < ARCHIVE_WARN ? archive_fail(x, path) : 0;
    libarchive.archive_entry_free(en);
    if (r == 0 && i && S_ISREG(i->mode) && !first)
        r = write_data(x, i, path);
    return r;
}

static int walk(struct exporter *x, struct inode *dir, size_t plen);

/* Part of the tree every session starts with, as it started. */
static bool pristine(struct exporter *x, struct inode *i)
{
    if (i->ino >= x->v->base_ino)
        return false;
    struct stat st;
    vfs_stat_inode(x->v, i, &st);
    return st.st_ctim.tv_sec < x->v->built.tv_sec ||
           (st.st_ctim.tv_sec == x->v->built.tv_sec && st.st_ctim.tv_nsec <= x->v->built.tv_nsec);
}

/* Appends name to x->path; false when it would not fit. */
static bool push(struct exporter *x, size_t plen, const char *prefix, const char *name)
{
    int n = snprintf(x->path + plen, sizeof x->path - plen, "%s%s%s", plen ? "/" : "", prefix, name);
    return n >= 0 && (size_t)n < sizeof x->path - plen;
}

static int visit(struct exporter *x, struct inode *dir, size_t plen, const char *name,
                 struct inode *child)
{
    /* Unchanged runtime objects, /proc, devices, FIFOs and sockets. */
    if (child->layer != LAYER_MEM || child->devpath ||
        !(S_ISREG(child->mode) || S_ISDIR(child->mode) || S_ISLNK(child->mode)))
        return 0;
    if (!push(x, plen, "", name))
        return err_set(x->e, ENAMETOOLONG, "--export-fs %s: a path is too long", x->out);
    size_t len = strlen(x->path);
    int r = pristine(x, child) ? 0 : put(x, x->path, child);
    if (r == 0 && S_ISDIR(child->mode) && ovl_lower(dir) && !ovl_lower(child) &&
        ovl_lower_has(dir, name)) {
        /* Made over a removed runtime directory: nothing of it shows. */
        if (!push(x, len, "", OPAQUE_MARKER))
            r = err_set(x->e, ENAMETOOLONG, "--export-fs %s: a path is too long", x->out);
        else
            r = put(x, x->path, NULL);
        x->path[len] = 0;
    }
    if (r == 0 && S_ISDIR(child->mode))
        r = walk(x, child, len);
    x->path[plen] = 0;
    return r;
}

static int walk(struct exporter *x, struct inode *dir, size_t plen)
{
    int r = 0;
    for (size_t k = 0; r == 0 && k < dir->nslots; k++)
        if (dir->slots[k].d)
            r = visit(x, dir, plen, dir->slots[k].d->name, dir->slots[k].d->child);
    if (r < 0 || !ovl_lower(dir))
        return r;
    /* What a merged directory changed of the names its lower has: those
     * copied up in place, and whiteouts. */
    DIR *h = ovl_lower_open(dir, &r);
    if (!h)
        return err_set(x->e, -r, "--export-fs %s: listing the runtime below /%s", x->out, x->path);
    for (struct dirent *e; r == 0 && (e = readdir(h));) {
        struct dentry *d = dcache_find(dir, e->d_name, strlen(e->d_name));
        if (!d || d->cookie)
            continue;
        if (!ovl_whiteout(d)) {
            r = visit(x, dir, plen, e->d_name, d->child);
        } else if (!push(x, plen, WHITEOUT_PREFIX, e->d_name)) {
            r = err_set(x->e, ENAMETOOLONG, "--export-fs %s: a path is too long", x->out);
        } else {
            r = put(x, x->path, NULL);
            x->path[plen] = 0;
        }
    }
    closedir(h);
    return r;
}

int vfs_export(struct vfs *v, const char *out, struct err *e)
{
    struct exporter x = {.v = v, .e = e, .out = out};
    if (libarchive_load(e))
        return -1;
    x.a = libarchive.archive_write_new();
    if (!x.a)
        return err_set(e, ENOMEM, "--export-fs %s", out);
    int r = 0;
    if (libarchive.archive_write_set_format_pax_restricted(x.a) != ARCHIVE_OK ||
        libarchive.archive_write_open_filename(x.a, out) != ARCHIVE_OK)
        r = archive_fail(&x, "opening");
    if (r == 0)
        r = walk(&x, v->root, 0);
    if (libarchive.archive_write_close(x.a) != ARCHIVE_OK && r == 0)
        r = archive_fail(&x, "writing");
    libarchive.archive_write_free(x.a);
    for (size_t k = 0; k < x.nlinked; k++)
        free(x.link_paths[k]);
    free(x.linked);
    free(x.link_paths);
    return r;
}

/* ---- import ------------------------------------------------------------ */

struct importer {
    struct vfs *v;
    struct archive *a;
    struct err *e;
    const char *in;
};

/* A member name as an absolute guest path: "./a//b/" -> "/a/b"; refuses
 * absolute names and "..". */
static int clean_name(struct importer *m, const char *name, char *out, size_t size)
{
    if (!name || !*name)
        return err_set(m->e, EINVAL, "--import-fs %s: a member has no name", m->in);
    if (name[0] == '/')
        return err_set(m->e, EPERM, "--import-fs %s: member %s: absolute names are refused",
                       m->in, name);
    size_t o = 0;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && !strncmp(p, "..", 2))
            return err_set(m->e, EPERM, "--import-fs %s: member %s: \"..\" is refused", m->in,
                           name);
        if (n && !(n == 1 && *p == '.')) {
            if (o + 1 + n >= size)
                return err_set(m->e, ENAMETOOLONG, "--import-fs %s: member %s", m->in, name);
            out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
        while (*p == '/')
            p++;
    }
    out[o] = 0;
    return 0;
}

static int remove_path(struct importer *m, const char *path);

/* Removes everything in directory `path`. */
static int clear_dir(struct importer *m, const char *path)
{
    struct inode *dir;
    int r = vfs_lookupat(m->v, NULL, path, 0, &root_cred, &dir);
    if (r < 0)
        return r;
    /* Names first, removal after: the listing never sees its own changes. */
    char *names = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&names, &len);
    static char buf[32768];
    int64_t pos = 0;
    ssize_t n;
    while (f && (n = vfs_getdents(m->v, dir, &pos, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < n;) {
            struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                fprintf(f, "%s/%s%c", path[1] ? path : "", de->d_name, 0);
            off += de->d_reclen;
        }
    inode_put(dir);
    if (!f || fclose(f) != 0) {
        free(names);
        return -ENOMEM;
    }
    r = n < 0 ? (int)n : 0;
    for (size_t k = 0; r == 0 && k < len; k += strlen(names + k) + 1)
        r = remove_path(m, names + k);
    free(names);
    return r;
}

static int remove_path(struct importer *m, const char *path)
{
    struct stat st;
    int r = vfs_statat(m->v, NULL, path, VFS_NOFOLLOW, &root_cred, &st);
    if (r == -ENOENT)
        return 0;
    if (r == 0 && S_ISDIR(st.st_mode))
        r = clear_dir(m, path);
    if (r == 0)
        r = vfs_unlinkat(m->v, NULL, path, S_ISDIR(st.st_mode) ? VFS_REMOVEDIR : 0, &root_cred);
    return r;
}

/* mkdir -p of what leads to path's last component. */
static int parents(struct importer *m, char *path)
{
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = 0;
        struct stat st;
        int r = vfs_statat(m->v, NULL, path, 0, &root_cred, &st);
        if (r == -ENOENT)
            r = vfs_mkdirat(m->v, NULL, path, 0755, &root_cred);
        else if (r == 0 && !S_ISDIR(st.st_mode))
            r = -ENOTDIR;
        *p = '/';
        if (r < 0)
            return r;
    }
    return 0;
}

static int file_data(struct importer *m, const char *path, mode_t mode)
{
    int fd;
    int r = vfs_openat(m->v, NULL, path, O_CREAT | O_EXCL | O_WRONLY, mode & 0777, &root_cred, &fd);
    if (r < 0)
        return r;
    const void *buf;
    size_t size;
    la_int64_t off;
    int a;
    while (r == 0 && (a = libarchive.archive_read_data_block(m->a, &buf, &size, &off)) == ARCHIVE_OK)
        r = lseek(fd, (off_t)off, SEEK_SET) < 0 ? -errno : write_all(fd, buf, size);
    if (r == 0 && a != ARCHIVE_EOF)
        r = -EIO;
    close(fd);
    return r;
}

static int set_meta(struct importer *m, const char *path, struct archive_entry *en, bool link)
{
    int r = vfs_chownat(m->v, NULL, path, (uid_t)libarchive.archive_entry_uid(en),
                        (gid_t)libarchive.archive_entry_gid(en), VFS_NOFOLLOW, &root_cred);
    if (r == 0 && !link)
        r = vfs_chmodat(m->v, NULL, path, libarchive.archive_entry_perm(en), 0, &root_cred);
    struct timespec t[2] = {
        {libarchive.archive_entry_atime(en), libarchive.archive_entry_atime_nsec(en)},
        {libarchive.archive_entry_mtime(en), libarchive.archive_entry_mtime_nsec(en)},
    };
    if (!libarchive.archive_entry_atime_is_set(en))
        t[0] = t[1];
    if (r == 0)
        r = vfs_utimensat(m->v, NULL, path, t, VFS_NOFOLLOW, &root_cred);
    return r;
}

/* path: the member's cleaned name; hard: its cleaned link target or NULL. */
static int import_one(struct importer *m, struct archive_entry *en, char *path, const char *hard)
{
    char *base = strrchr(path, '/') + 1;
    if (!strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX))) {
        if (!strcmp(base, OPAQUE_MARKER)) {
            base[-1] = 0;
            return clear_dir(m, path[0] ? path : "/");
        }
        memmove(base, base + strlen(WHITEOUT_PREFIX), strlen(base + strlen(WHITEOUT_PREFIX)) + 1);
        return remove_path(m, path);
    }
    int r = parents(m, path);
    mode_t type = libarchive.archive_entry_filetype(en);
    struct stat st;
    if (r == 0 && type == AE_IFDIR) {
        r = vfs_statat(m->v, NULL, path, VFS_NOFOLLOW, &root_cred, &st);
        if (r == 0 && !S_ISDIR(st.st_mode))
            r = remove_path(m, path);
        if (r == -ENOENT || (r == 0 && !S_ISDIR(st.st_mode)))
            r = vfs_mkdirat(m->v, NULL, path, 0700, &root_cred);
        return r < 0 ? r : set_meta(m, path, en, false);
    }
    if (r == 0)
        r = remove_path(m, path);
    if (r < 0)
        return r;
    if (hard)
        return vfs_linkat(m->v, NULL, hard, NULL, path, false, &root_cred);
    if (type == AE_IFLNK) {
        const char *t = libarchive.archive_entry_symlink(en);
        r = vfs_symlinkat(m->v, t ? t : "", NULL, path, &root_cred);
        return r < 0 ? r : set_meta(m, path, en, true);
    }
    r = file_data(m, path, libarchive.archive_entry_perm(en));
    return r < 0 ? r : set_meta(m, path, en, false);
}

int vfs_import(struct vfs *v, const char *in, struct err *e)
{
    struct importer m = {.v = v, .e = e, .in = in};
    if (libarchive_load(e))
        return -1;
    m.a = libarchive.archive_read_new();
    if (!m.a)
        return err_set(e, ENOMEM, "--import-fs %s", in);
    int r = 0;
    libarchive.archive_read_support_format_tar(m.a);
    libarchive.archive_read_support_filter_all(m.a);
    if (libarchive.archive_read_open_filename(m.a, in, 65536) != ARCHIVE_OK)
        r = err_set(e, libarchive.archive_errno(m.a) > 0 ? libarchive.archive_errno(m.a) : EINVAL, "--import-fs %s: %s",
                    in, libarchive.archive_error_string(m.a));
    struct archive_entry *en;
    int a = ARCHIVE_OK;
    while (r == 0 && (a = libarchive.archive_read_next_header(m.a, &en)) == ARCHIVE_OK) {
        const char *name = libarchive.archive_entry_pathname(en), *hard = libarchive.archive_entry_hardlink(en);
        char path[PATH_MAX], target[PATH_MAX];
        if ((r = clean_name(&m, name, path, sizeof path)) < 0 ||
            (hard && (r = clean_name(&m, hard, target, sizeof target)) < 0))
            break;
        mode_t type = libarchive.archive_entry_filetype(en);
        if (!hard && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
            r = err_set(e, EPERM, "--import-fs %s: member %s: devices, FIFOs and sockets are refused",
                        in, name);
            break;
        }
        if (!path[0])
            continue;   /* "." */
        int k = import_one(&m, en, path, hard ? target : NULL);
        if (k < 0)
            r = err_set(e, -k, "--import-fs %s: member %s", in, name);
    }
    if (r == 0 && a != ARCHIVE_EOF)
        r = err_set(e, libarchive.archive_errno(m.a) > 0 ? libarchive.archive_errno(m.a) : EINVAL, "--import-fs %s: %s",
                    in, libarchive.archive_error_string(m.a));
    libarchive.archive_read_free(m.a);
    return r;
}
