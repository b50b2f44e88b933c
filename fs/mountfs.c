/* fs/mountfs.c — workspace mounts: host directories the user grants the
 * guest (`--mount HOST:GUEST[:ro|:rw]`), read-only or written through to
 * the host.
 *
 * A mount is a graft like the runtime layer's (fs/hostfs.c: only the root
 * holds an O_PATH fd, every other inode is its path below it, opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)),
 * and every change is an *at call on a directory fd obtained that way, on a
 * single name (mkdirat, unlinkat, renameat2, linkat without
 * AT_SYMLINK_FOLLOW, ...). The host kernel therefore never follows a symlink
 * or a ".." on the guest's behalf: symlinks are resolved by namei.c in the
 * guest's tree, ".." stops at the mount point, hard links and renames to
 * another layer or mount are EXDEV before any host call.
 *
 * Unlike the runtime, a mount changes during the session (the guest writes
 * to it, natively through its fds too, and so may the user on the host):
 * nothing is cached by name. Each lookup opens the name on the host and
 * refreshes the inode found by (st_dev, st_ino), including the path it was
 * reached by, so renames and hard links need no bookkeeping beyond the
 * directories a rename moves. stat re-reads the host.
 *
 * Ownership: the host owner of the mount root and the user running cordon
 * show as the guest user, root as root, anyone else as nobody. New objects
 * belong to the mount root's owner (cordon chowns them when it runs as
 * root), so a workspace stays its owner's between sessions. Set-user-id and
 * set-group-id bits on files are never set through a mount (a guest must
 * not plant a set-id binary in a directory the host trusts).
 *
 * Secrets (fs/secrets.c) are applied here: a denied object is ENOENT to
 * lookups, missing from listings, and cannot be created or renamed onto.
 */
#include "fs/internal.h"
#include "util/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* A *.pem file is a secret when one of its first MiB holds a private key. */
#define PEM_SCAN_MAX (1 << 20)

static struct mount *mnt_of(const struct inode *i)
{
    return i->graft->mnt;
}

bool mount_readonly(const struct inode *i)
{
    return i->layer == LAYER_MOUNT && !mnt_of(i)->rw;
}

bool mount_crossing(const struct inode *a, const struct inode *b)
{
    return (a->layer == LAYER_MOUNT || b->layer == LAYER_MOUNT) && a->graft != b->graft;
}

bool mount_noexec(const struct inode *i)
{
    return !mnt_of(i)->exec;
}

void mount_free(struct mount *m)
{
    if (!m)
        return;
    free(m->guest);
    free(m);
}

static uid_t map_uid(const struct inode *graft, uid_t id)
{
    const struct mount *m = graft->mnt;
    return id == m->owner_uid || id == geteuid() ? graft->vfs->guest_uid : host_map_id(id);
}

static gid_t map_gid(const struct inode *graft, gid_t id)
{
    const struct mount *m = graft->mnt;
    return id == m->owner_gid || id == getegid() ? graft->vfs->guest_gid : host_map_id(id);
}

static void refresh(struct inode *i, const struct stat *st)
{
    i->mode = st->st_mode;
    i->uid = map_uid(i->graft, st->st_uid);
    i->gid = map_gid(i->graft, st->st_gid);
    i->nlink = st->st_nlink;
    i->ino = st->st_ino;
    i->hst = *st;
}

/* ---- secrets ------------------------------------------------------------ */

static void audit_hidden(const struct inode *graft, const char *rel)
{
    struct vfs *v = graft->vfs;
    if (!v->on_secret)
        return;
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", graft->mnt->guest, rel);
    v->on_secret(v->secret_ctx, path);
}

static bool holds_private_key(const struct inode *graft, const char *rel)
{
    _cleanup_close_ int fd = host_open_below(graft, rel, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return false;
    static const char mark[] = "PRIVATE KEY-----";
    const size_t ml = sizeof mark - 1;
    char buf[65536];
    size_t keep = 0, seen = 0;
    for (;;) {
        ssize_t n = read(fd, buf + keep, sizeof buf - keep);
        if (n <= 0)
            return false;
        size_t have = keep + (size_t)n;
        if (memmem(buf, have, mark, ml))
            return true;
        if ((seen += (size_t)n) >= PEM_SCAN_MAX)
            return true;   /* too big to read through: hide it rather than guess */
        /* The mark may straddle two reads. */
        keep = have < ml ? have : ml - 1;
        memmove(buf, buf + have - keep, keep);
    }
}

/* Whether the object at rel (of type `mode`) is a secret; audits it if so. */
static bool is_secret(const struct inode *graft, const char *rel, mode_t mode)
{
    enum secret s = secrets_match(graft->vfs->secrets, rel, S_ISDIR(mode));
    if (s == SECRET_IF_PRIVATE_KEY)
        s = S_ISREG(mode) && holds_private_key(graft, rel) ? SECRET_YES : SECRET_NO;
    if (s == SECRET_YES)
        audit_hidden(graft, rel);
    return s == SECRET_YES;
}

int mount_may_name(struct inode *dir, const char *name, size_t len)
{
    char rel[PATH_MAX];
    int r = host_child_rel(dir, name, len, rel);
    if (r < 0)
        return r;
    /* Whatever type the object will have; an existing private key that
     * the lookup hid must not be replaced either. */
    const struct secrets *s = dir->vfs->secrets;
    enum secret a = secrets_match(s, rel, false), b = secrets_match(s, rel, true);
    if (a == SECRET_YES || b == SECRET_YES ||
        ((a == SECRET_IF_PRIVATE_KEY) && holds_private_key(dir->graft, rel))) {
        audit_hidden(dir->graft, rel);
        return -EACCES;
    }
    return 0;
}

/* ---- lookups ------------------------------------------------------------ */

/* Reads the target of the symlink open as O_PATH fd; NULL on failure. */
static char *link_target(int fd)
{
    char buf[PATH_MAX];
    ssize_t n = readlinkat(fd, "", buf, sizeof buf - 1);
    return n < 0 ? NULL : strndup(buf, (size_t)n);
}

/* The inode for the host object open as fd, found at rel (taken) as entry
 * `name` of dir: the known one refreshed, or a new one. Borrowed result. */
static int adopt(struct inode *dir, const char *name, size_t len, char *rel, int fd,
                 const struct stat *st, struct inode **out)
{
    struct inode *g = dir->graft;
    struct inode *i = inode_by_host_in(dir->vfs, st->st_dev, st->st_ino, g);
    if (i && S_ISLNK(st->st_mode)) {
        _cleanup_free_ char *t = link_target(fd);
        if (!t || !i->target || strcmp(t, i->target))
            i = NULL;
    }
    if (i && (i->mode & S_IFMT) != (st->st_mode & S_IFMT))
        i = NULL;
    if (!i) {
        /* The host reused the inode number for another object. The old
         * inode may still be borrowed by the walk in progress: it leaves
         * the table now and is freed with the session. */
        struct inode *old = inode_by_host_in(dir->vfs, st->st_dev, st->st_ino, g);
        if (old)
            inode_unregister(&old->obj);
        int r = host_new(dir->vfs, g, rel, fd, st, &i);
        if (r < 0)
            return r;
    } else {
        free(i->relpath);
        i->relpath = rel;
    }
    refresh(i, st);
    if (S_ISDIR(st->st_mode) && i != g) {
        char *n = strndup(name, len);
        if (!n)
            return -ENOMEM;
        free(i->name);
        i->name = n;
        i->parent = dir;
        i->dead = false;
    }
    *out = i;
    return 0;
}

int mount_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    if (dir->dead)
        return -ENOENT;
    char buf[PATH_MAX];
    int r = host_child_rel(dir, name, len, buf);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = host_open_below(dir->graft, buf, O_PATH);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (is_secret(dir->graft, buf, st.st_mode))
        return -ENOENT;
    char *rel = strdup(buf);
    if (!rel)
        return -ENOMEM;
    return adopt(dir, name, len, rel, fd, &st, out);
}

void mount_stat(struct inode *i, struct stat *out)
{
    _cleanup_close_ int fd = host_open_below(i->graft, i->relpath, O_PATH);
    struct stat st;
    /* The guest writes through its own fds, and the user on the host may
     * too; a renamed-away object keeps what was seen last. */
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == i->hst.st_dev &&
        st.st_ino == i->hst.st_ino)
        refresh(i, &st);
    host_stat(i, out);
}

/* Whether a listed entry is hidden. d_type is trusted when the host file
 * system fills it. */
static bool entry_hidden(struct inode *dir, const struct linux_dirent64 *de)
{
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
        return false;
    char rel[PATH_MAX];
    if (host_child_rel(dir, de->d_name, strlen(de->d_name), rel) < 0)
        return true;
    mode_t mode = DTTOIF(de->d_type);
    if (de->d_type == DT_UNKNOWN) {
        _cleanup_close_ int fd = host_open_below(dir->graft, rel, O_PATH);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
            return false;   /* gone: the lookup will say so */
        mode = st.st_mode;
    }
    return is_secret(dir->graft, rel, mode);
}

ssize_t mount_getdents(struct inode *dir, int64_t *pos, void *vbuf, size_t len)
{
    char *buf = vbuf;
    for (;;) {
        ssize_t n = host_getdents(dir, pos, buf, len);
        if (n <= 0)
            return n;
        size_t kept = 0;
        for (size_t off = 0; off < (size_t)n;) {
            struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
            size_t rl = de->d_reclen;
            if (!entry_hidden(dir, de)) {
                memmove(buf + kept, de, rl);
                kept += rl;
            }
            off += rl;
        }
        /* A batch of nothing but secrets must not read as the end. */
        if (kept)
            return (ssize_t)kept;
    }
}

/* ---- opens -------------------------------------------------------------- */

/* The host fd the guest gets: its access mode, O_APPEND and O_TRUNC; opened
 * O_NONBLOCK so an object swapped for a FIFO on the host cannot block the
 * sentry, which host_open then refuses (not the inode that was checked). */
static int open_file(struct inode *i, int flags)
{
    if (!S_ISREG(i->mode))
        return -EACCES;   /* devices and FIFOs on a mount: as nodev */
    int fd = host_open(i, (flags & (O_ACCMODE | O_APPEND | O_TRUNC)) | O_NONBLOCK);
    if (fd < 0)
        return fd;
    if (fcntl(fd, F_SETFL, flags & (O_APPEND | O_NONBLOCK)) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

int mount_open(struct inode *i, int flags)
{
    if (((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) && !mnt_of(i)->rw)
        return -EROFS;
    return open_file(i, flags);
}

/* ---- changes ------------------------------------------------------------ */

static int dir_fd(struct inode *dir)
{
    if (dir->dead)
        return -ENOENT;
    return host_open(dir, O_PATH | O_DIRECTORY);
}

/* New objects belong to the mount root's owner (see the header). */
static void own(struct inode *dir, int pfd, const char *name)
{
    const struct mount *m = mnt_of(dir);
    if (geteuid() != 0 || (m->owner_uid == 0 && m->owner_gid == 0))
        return;
    gid_t gid = (dir->hst.st_mode & S_ISGID) ? (gid_t)-1 : m->owner_gid;
    /* Best effort: the object exists either way, and shows as the guest's
     * (cordon's own uid maps to the guest user too). */
    (void)!fchownat(pfd, name, m->owner_uid, gid, AT_SYMLINK_NOFOLLOW);
}

static mode_t safe_mode(mode_t mode)
{
    return S_ISDIR(mode) ? mode & 03777 : mode & 01777;
}

int mount_create(struct walker *w, struct nameparent *np, mode_t mode, const char *target,
                 struct inode **out)
{
    (void)w;
    _cleanup_close_ int pfd = dir_fd(np->dir);
    if (pfd < 0)
        return pfd;
    int r;
    if (S_ISDIR(mode))
        r = mkdirat(pfd, np->name, safe_mode(mode) & 07777);
    else if (S_ISLNK(mode))
        r = symlinkat(target, pfd, np->name);
    else
        return -EPERM;   /* device and FIFO nodes: as nodev */
    if (r < 0)
        return -errno;
    own(np->dir, pfd, np->name);
    struct inode *i;
    r = mount_lookup(np->dir, np->name, np->len, &i);
    if (r < 0)
        return r;
    inode_get(i);
    *out = i;
    return 0;
}

int mount_open_create(struct walker *w, struct nameparent *np, int flags, mode_t mode,
                      struct inode **out, int *fd)
{
    int r = mount_readonly(np->dir) ? -EROFS : perm_may_create(np->dir, w->c);
    if (r == 0)
        r = mount_may_name(np->dir, np->name, np->len);
    if (r < 0)
        return r;
    _cleanup_close_ int pfd = dir_fd(np->dir);
    if (pfd < 0)
        return pfd;
    /* Opened as it is created: a file created 0444 for writing (git's
     * objects) could not be opened again by an unprivileged cordon. */
    _cleanup_close_ int f = openat(pfd, np->name,
                                   O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
                                       (flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)),
                                   safe_mode(S_IFREG | mode) & 07777);
    if (f < 0)
        return -errno;
    own(np->dir, pfd, np->name);
    struct stat st;
    if (fstat(f, &st) < 0)
        return -errno;
    char buf[PATH_MAX];
    r = host_child_rel(np->dir, np->name, np->len, buf);
    char *rel = r < 0 ? NULL : strdup(buf);
    if (!rel)
        return r < 0 ? r : -ENOMEM;
    struct inode *i;
    r = adopt(np->dir, np->name, np->len, rel, f, &st, &i);
    if (r < 0)
        return r;
    inode_get(i);
    *out = i;
    *fd = TAKE_FD(f);
    return 0;
}

/* An object no longer named on the host leaves the table with its cache
 * reference; cwd or an open directory may keep the inode a while. */
static void forget(struct inode *i)
{
    if (!S_ISDIR(i->mode) && i->nlink > 1)
        return;
    if (S_ISDIR(i->mode)) {
        i->dead = true;
        i->parent = NULL;
    }
    inode_unregister(&i->obj);
    inode_put(i);
}

int mount_unlink(struct nameparent *np, struct inode *victim, bool rmdir)
{
    _cleanup_close_ int pfd = dir_fd(np->dir);
    if (pfd < 0)
        return pfd;
    if (unlinkat(pfd, np->name, rmdir ? AT_REMOVEDIR : 0) < 0)
        return -errno;
    forget(victim);
    return 0;
}

/* After a directory moved from `from` to `to`, the paths of what was seen
 * below it follow (cwd and open directories are reached by them). */
static int move_paths(struct inode *graft, const char *from, const char *to)
{
    size_t fl = strlen(from);
    for (struct inode *i = graft->vfs->all; i; i = i->all_next) {
        if (i->graft != graft || i == graft || strncmp(i->relpath, from, fl) ||
            (i->relpath[fl] && i->relpath[fl] != '/'))
            continue;
        char *n;
        if (asprintf(&n, "%s%s", to, i->relpath + fl) < 0)
            return -ENOMEM;
        free(i->relpath);
        i->relpath = n;
    }
    return 0;
}

/* A renamed file's path; a directory's moves what is below it too. */
static int set_path(struct inode *i, const char *from, const char *to)
{
    if (S_ISDIR(i->mode))
        return move_paths(i->graft, from, to);
    char *n = strdup(to);
    if (!n)
        return -ENOMEM;
    free(i->relpath);
    i->relpath = n;
    return 0;
}

/* A rename of a directory a multi-component secret rule names (".docker"
 * of ".docker/config.json") would unhide what is below it. */
static int may_move(struct inode *dir, const char *name, struct inode *i)
{
    if (!i || !S_ISDIR(i->mode) || !secrets_guards(dir->vfs->secrets, name))
        return 0;
    char rel[PATH_MAX];
    if (host_child_rel(dir, name, strlen(name), rel) == 0)
        audit_hidden(dir->graft, rel);
    return -EACCES;
}

static int relink(struct inode *i, struct inode *dir, const char *name)
{
    if (!S_ISDIR(i->mode))
        return 0;
    char *n = strdup(name);
    if (!n)
        return -ENOMEM;
    free(i->name);
    i->name = n;
    i->parent = dir;
    return 0;
}

int mount_rename(struct nameparent *op, struct inode *old, struct nameparent *np,
                 struct inode *new, unsigned flags)
{
    bool exchange = flags & RENAME_EXCHANGE;
    int r = mount_may_name(np->dir, np->name, np->len);
    if (r == 0)
        r = may_move(op->dir, op->name, old);
    if (r == 0 && exchange)
        r = may_move(np->dir, np->name, new);
    if (r < 0)
        return r;
    _cleanup_close_ int ofd = dir_fd(op->dir);
    _cleanup_close_ int nfd = dir_fd(np->dir);
    if (ofd < 0 || nfd < 0)
        return ofd < 0 ? ofd : nfd;
    if (renameat2(ofd, op->name, nfd, np->name, flags) < 0)
        return -errno;
    char orel[PATH_MAX], nrel[PATH_MAX];
    r = host_child_rel(op->dir, op->name, op->len, orel);
    if (r == 0)
        r = host_child_rel(np->dir, np->name, np->len, nrel);
    if (r == 0 && exchange) {
        /* Through a path no host object has (relpaths never start with
         * '/'), so the two subtrees never mix. */
        r = set_path(old, orel, "/");
        if (r == 0)
            r = set_path(new, nrel, orel);
        if (r == 0)
            r = set_path(old, "/", nrel);
        if (r == 0)
            r = relink(new, op->dir, op->name);
    } else if (r == 0) {
        if (new)
            forget(new);
        r = set_path(old, orel, nrel);
    }
    if (r == 0)
        r = relink(old, np->dir, np->name);
    return r;
}

int mount_link(struct inode *old, struct nameparent *np)
{
    int r = mount_may_name(np->dir, np->name, np->len);
    if (r < 0)
        return r;
    /* By the name the lookup just found it at, never following a symlink;
     * linkat(AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", old->relpath);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : old->relpath;
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    _cleanup_close_ int ofd = host_open_below(old->graft, dir, O_PATH | O_DIRECTORY);
    _cleanup_close_ int nfd = dir_fd(np->dir);
    if (ofd < 0 || nfd < 0)
        return ofd < 0 ? ofd : nfd;
    struct stat st;
    if (fstatat(ofd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != old->hst.st_dev ||
        st.st_ino != old->hst.st_ino)
        return -ENOENT;
    if (linkat(ofd, base, nfd, np->name, 0) < 0)
        return -errno;
    old->nlink++;
    return 0;
}

/* An O_PATH fd on the inode's object, as checked by the lookup. */
static int object_fd(struct inode *i)
{
    return host_open(i, O_PATH);
}

static int refresh_from(struct inode *i, int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    refresh(i, &st);
    return 0;
}

int mount_chmod(struct inode *i, mode_t mode)
{
    _cleanup_close_ int fd = object_fd(i);
    if (fd < 0)
        return fd;
    /* chmod has no AT_EMPTY_PATH before fchmodat2 (6.6): the fd's magic
     * link names exactly the object opened. */
    char p[40];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    if (chmod(p, safe_mode((i->mode & S_IFMT) | mode) & 07777) < 0)
        return -errno;
    return refresh_from(i, fd);
}

/* A guest id as the host id it stands for; -1 stays -1. */
static int host_id(uint32_t id, uint32_t cur, uint32_t guest, uint32_t owner, uint32_t *out)
{
    if (id == (uint32_t)-1 || id == cur)
        *out = (uint32_t)-1;
    else if (id == guest)
        *out = owner;
    else if (id == 0)
        *out = 0;
    else
        return -EPERM;   /* no host id stands for it */
    return 0;
}

int mount_chown(struct inode *i, uid_t uid, gid_t gid)
{
    const struct mount *m = mnt_of(i);
    uint32_t hu, hg;
    int r = host_id(uid, i->uid, i->vfs->guest_uid, m->owner_uid, &hu);
    if (r == 0)
        r = host_id(gid, i->gid, i->vfs->guest_gid, m->owner_gid, &hg);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = object_fd(i);
    if (fd < 0)
        return fd;
    if (fchownat(fd, "", hu, hg, AT_EMPTY_PATH) < 0)
        return -errno;
    return refresh_from(i, fd);
}

int mount_utimens(struct inode *i, const struct timespec times[2])
{
    _cleanup_close_ int fd = object_fd(i);
    if (fd < 0)
        return fd;
    if (utimensat(fd, "", times, AT_EMPTY_PATH) < 0)
        return -errno;
    return refresh_from(i, fd);
}

int mount_truncate(struct inode *i, off_t len)
{
    _cleanup_close_ int fd = open_file(i, O_WRONLY);
    if (fd < 0)
        return fd;
    if (ftruncate(fd, len) < 0)
        return -errno;
    return refresh_from(i, fd);
}

/* ---- setting up --------------------------------------------------------- */

void vfs_on_secret(struct vfs *v, void (*fn)(void *ctx, const char *guest_path), void *ctx)
{
    v->on_secret = fn;
    v->secret_ctx = ctx;
}

/* Makes room for the mount at entry `last` of dir: nothing there, or an
 * empty memory directory (a mount over /home/user) that it replaces. */
static int mount_point(struct inode *dir, const char *last, const char *guest, struct err *e)
{
    struct dentry *d = dcache_find(dir, last, strlen(last));
    if (!d)
        return 0;
    struct inode *old = d->child;
    if (old->layer != LAYER_MEM || !S_ISDIR(old->mode) || old->live)
        return err_set(e, EEXIST, "--mount: %s is already in the session and not an empty "
                                  "directory cordon made", guest);
    old->dead = true;
    old->parent = NULL;
    old->nlink = 0;
    mem_unlink(d);
    return 0;
}

int vfs_mount(struct vfs *v, const char *host, const char *guest, unsigned flags,
              struct err *e)
{
    if (!v->secrets && vfs_set_secrets(v, &(struct vfs_secrets){0}, e) < 0)
        return -1;
    struct stat st;
    if (stat(host, &st) < 0)
        return err_set(e, errno, "--mount: host directory %s", host);
    if (!S_ISDIR(st.st_mode))
        return err_set(e, ENOTDIR, "--mount: host path %s", host);
    char path[PATH_MAX];
    size_t n = strlen(guest);
    while (n > 1 && guest[n - 1] == '/')
        n--;
    if (guest[0] != '/' || n == 1 || n >= sizeof path)
        return err_set(e, EINVAL, "--mount: guest path \"%s\": must be absolute and not /",
                       guest);
    memcpy(path, guest, n);
    path[n] = 0;
    struct inode *dir;
    const char *last;
    struct err pe = {0};
    if (rootfs_parents(v, path, &dir, &last, &pe) < 0)
        return err_set(e, pe.code,
                       "--mount: guest path %s: not below memory directories only (inside the "
                       "runtime layer, another mount, or with . or ..)",
                       path);
    if (mount_point(dir, last, path, e) < 0)
        return -1;
    struct mount *m = calloc(1, sizeof *m);
    if (!m || !(m->guest = strdup(path))) {
        free(m);
        return err_set(e, ENOMEM, "--mount %s", path);
    }
    m->owner_uid = st.st_uid;
    m->owner_gid = st.st_gid;
    m->rw = flags & VFS_MOUNT_RW;
    m->exec = !(flags & VFS_MOUNT_NOEXEC);
    struct inode *g;
    int r = host_graft(v, host, &g);
    if (r < 0) {
        mount_free(m);
        return err_set(e, -r, r == -EEXIST ? "--mount: %s is already in the session (the "
                                              "runtime layer or another mount)"
                                            : "--mount: %s",
                       host);
    }
    g->layer = LAYER_MOUNT;
    g->mnt = m;
    refresh(g, &g->hst);
    r = mem_link(dir, last, strlen(last), g);
    return r < 0 ? err_set(e, -r, "--mount: placing %s at %s", host, path) : 0;
}
