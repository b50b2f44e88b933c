/* fs/internal.h — what the fs/ files share and nothing outside fs/ sees.
 *
 * Reference rules (the whole layer follows them):
 *   - inode->refs counts the caller references (inode_get/inode_put), one per
 *     directory entry naming the inode, the vfs's own reference on the root
 *     and, for host inodes, the host cache's reference (so host inodes live
 *     for the whole session and keep a stable identity).
 *   - dir->parent is a weak pointer: a directory in the tree always has a
 *     live parent (the parent cannot be removed while non-empty, and graft
 *     roots cannot be moved or removed); removal clears it.
 *   - vfs_destroy frees every inode whatever its count, so cycles through
 *     parent pointers never matter at teardown.
 *   - A memory file unlinked while the guest still has it open is freed
 *     with its last VFS reference: the guest's own fds keep the memfd's data
 *     alive, but vfs_inode_of() no longer knows them and the sentry's fstat
 *     falls back to vfs_stat_foreign(). Keeping the inode until the guest's
 *     last close would need close tracking that the sentry does not have.
 */
#ifndef CORDON_FS_INTERNAL_H
#define CORDON_FS_INTERNAL_H

#include "fs/vfs.h"

#include <dirent.h>
#include <limits.h>
#include <time.h>

#define FS_MAXLINKS 40

/* The host layer behaves like a read-only bind mount: calls that change a
 * name or metadata fail with EROFS before any permission check (the
 * kernel's mnt_want_write() comes first there), while open() for writing and
 * access(W_OK) check permission first and then report EROFS. */
enum layer { LAYER_MEM, LAYER_HOST, LAYER_PROC, LAYER_MOUNT };

/* A host object: the runtime layer or a workspace mount (a graft, relpath
 * and host stat, see below). */
static inline bool layer_on_host(enum layer l)
{
    return l == LAYER_HOST || l == LAYER_MOUNT;
}

/* A workspace mount (fs/mountfs.c): LAYER_MOUNT inodes are host inodes
 * (graft, relpath, hst as below) whose graft root carries this. */
struct mount {
    char *guest;            /* the guest path of the mount point, for audit lines */
    uid_t owner_uid;        /* host ids shown as the guest user's */
    gid_t owner_gid;
    bool rw, exec;
};

/* One (host st_dev, st_ino) -> inode registration in the vfs's table. */
struct hnode {
    struct hnode *next;
    struct inode *inode;
    dev_t dev;
    ino_t ino;
    bool linked;
};

struct dentry;
struct xattr;
struct secrets;
struct watch;
struct notify_inst;

/* A directory's entries in creation order; a removed entry leaves a hole so
 * the cookies the guest holds stay meaningful (see memfs.c). */
struct dslot {
    uint64_t cookie;
    struct dentry *d;
};

/* The record getdents64(2) returns. */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

struct dentry {
    struct dentry *hnext;
    struct inode *dir, *child;
    uint64_t hash, cookie;
    size_t len;
    char name[];
};

struct inode {
    struct vfs *vfs;
    struct inode *all_prev, *all_next;
    unsigned long refs;
    enum layer layer;
    mode_t mode;
    uid_t uid;
    gid_t gid;
    nlink_t nlink;
    ino_t ino;
    struct timespec atime, mtime, ctime, btime;
    struct xattr *xattrs;   /* user.* of memory inodes (xattr.c) */
    struct watch *watches;  /* inotify watches on it (notify.c) */
    int memfd;          /* regular memory file: its data */
    int placeholder;    /* dirs and symlinks on first open, any inode on an O_PATH open */
    struct hnode obj, ph;
    bool charged;       /* counted against --inodes (quota.c) */
    unsigned flags;     /* VFS_INODE_* marks of placed files */

    /* directories (both layers); host files too: the host directory they
     * were found in, which copy-up copies up first */
    struct inode *parent;
    char *name;
    bool dead;
    struct dslot *slots;
    size_t nslots, cap, live;
    uint64_t next_cookie;

    /* symlinks (both layers) */
    char *target;
    bool magic;         /* a /proc magic link (fd/N, exe, cwd, root) */

    /* FIFOs: O_PATH fd of the host FIFO that is this one (fifo.c) */
    int fifo;

    /* devices: the host node opened in their place, or a pty (devpts.c) */
    char *devpath;
    dev_t rdev;
    enum { PTY_NONE, PTY_MASTER, PTY_SLAVE } pty;
    unsigned pty_index;     /* PTY_SLAVE: N of /dev/pts/N */

    /* host layer: the graft root holding the O_PATH fd, this inode's path
     * below it ("." for the root itself) and the stat taken at lookup */
    struct inode *graft;
    int graft_fd;
    char *hostroot;     /* graft root only: its real host path */
    struct mount *mnt;  /* graft root of a workspace mount only */
    char *relpath;
    struct stat hst;

    /* /proc (procfs.c): the node of the tree, the task it describes and,
     * for a foreign object reached through fd/N, a host copy of it (its
     * stat in hst) */
    const struct proc_node *pnode;
    pid_t ptgid, ptid;
    int pfd;
    int pobj;
};

struct vfs {
    struct inode *root;
    struct inode *all;
    ino_t next_ino;
    uid_t host_uid, guest_uid;
    gid_t host_gid, guest_gid;
    struct hnode **htab;
    size_t hcap, hcount;
    struct dentry **dtab;
    size_t dcap, dcount;
    const struct proc_ops *proc_ops;
    void *proc_ctx;
    struct inode *whiteout;     /* the child of every whiteout (overlay.c) */
    struct quota *quota;        /* NULL: no --disk / --inodes */
    ino_t base_ino;             /* memory inodes below it are the initial tree, */
    struct timespec built;      /* complete at this time (what export skips) */
    struct secrets *secrets;
    void (*on_secret)(void *ctx, const char *guest_path);
    void *secret_ctx;
    char *host_root;            /* vfs_options.host_root, or NULL */
    /* the guest tree's devpts instance (O_PATH fd of its root, -1: none)
     * and the memory directory /dev/pts that mirrors it */
    int pts_root;
    struct inode *pts_dir;
    struct notify_inst *notify;     /* inotify instances (notify.c) */
    uint32_t notify_cookie;
};

#define MEMFS_DEV makedev(0, 0xc0d0)

/* inode.c */
struct inode *inode_alloc(struct vfs *v, enum layer l, mode_t mode, uid_t uid, gid_t gid);
void inode_free(struct inode *i);
int inode_register(struct inode *i, struct hnode *n, dev_t dev, ino_t ino);
void inode_unregister(struct hnode *n);
struct inode *inode_by_host(struct vfs *v, dev_t dev, ino_t ino);
/* The same, among the inodes of one graft only. */
struct inode *inode_by_host_in(struct vfs *v, dev_t dev, ino_t ino, const struct inode *graft);
int inode_placeholder(struct inode *i);
int memfd_new(void);
int fd_reopen(int fd, int flags);
/* write(2) until all of buf is written: 0 or -errno. */
int write_all(int fd, const char *buf, size_t len);
void time_now(struct timespec *t);
bool inode_is_memfile(const struct inode *i);

/* perm.c */
int perm_check(const struct inode *i, int mask, const struct fs_cred *c);
bool perm_owner(const struct inode *i, const struct fs_cred *c);
int perm_may_delete(struct inode *dir, struct inode *victim, bool isdir,
                    const struct fs_cred *c);
int perm_may_create(struct inode *dir, const struct fs_cred *c);

/* memfs.c */
struct dentry *dcache_find(struct inode *dir, const char *name, size_t len);
int dcache_add(struct inode *dir, const char *name, size_t len, struct inode *child,
               struct dentry **out);
/* Removes an entry that no slot lists (host and /proc directories) and
 * drops its reference on the child. */
void dcache_drop(struct dentry *d);
int mem_link(struct inode *dir, const char *name, size_t len, struct inode *child);
void mem_unlink(struct dentry *d);
void mem_exchange(struct dentry *a, struct dentry *b);
int mem_new(struct vfs *v, mode_t mode, uid_t uid, gid_t gid, struct inode **out);
int mem_create(struct inode *dir, const char *name, size_t len, mode_t mode,
               const struct fs_cred *c, struct inode **out);
void mem_touch(struct inode *i, bool data);
/* Appends one getdents64 record at *off; false when it does not fit. */
bool dirent_put(char *buf, size_t len, size_t *off, uint64_t ino, int64_t next, mode_t mode,
                const char *name, size_t nlen);
ssize_t mem_getdents(struct inode *dir, int64_t *pos, void *buf, size_t len);
void mem_stat(struct inode *i, struct stat *out);
void dentry_free_all(struct vfs *v);
bool mem_listed_all(const struct inode *dir, int64_t pos);

/* overlay.c: copy-up of host inodes into the memory layer, whiteouts,
 * merged directories. */
bool ovl_lower(const struct inode *i);
bool ovl_whiteout(const struct dentry *d);
int ovl_copy_up(struct inode *i, bool data);
int ovl_may_move(struct inode *i);
/* The layer a change to i lands in: the runtime's go to memory. */
enum layer ovl_upper_layer(const struct inode *i);
int ovl_check_empty(struct inode *dir);
bool ovl_lower_has(struct inode *dir, const char *name);
/* The lower directory of dir opened for reading its names; NULL with
 * *err set on failure. */
DIR *ovl_lower_open(struct inode *dir, int *err);
ssize_t ovl_getdents(struct inode *dir, int64_t *pos, void *buf, size_t len);

/* quota.c: --disk and --inodes. */
int quota_file_new(struct vfs *v);
int quota_inode_charge(struct inode *i);
void quota_inode_release(struct inode *i);
void quota_free(struct vfs *v);

/* xattr.c */
void xattr_free_all(struct inode *i);
/* rootfs.c */
int rootfs_parents(struct vfs *v, const char *path, struct inode **dir, const char **last,
                   struct err *e);

/* hostfs.c */
uid_t host_map_id(uid_t id);
int host_graft(struct vfs *v, const char *hostpath, struct inode **out);
int host_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
int host_open(struct inode *i, int flags);
ssize_t host_getdents(struct inode *dir, int64_t *pos, void *buf, size_t len);
void host_stat(struct inode *i, struct stat *out);
int host_statfs(struct inode *i, struct statfs *out);
int host_path(struct inode *i, char *buf, size_t size);

int host_open_below(const struct inode *graft, const char *rel, int flags);
int host_child_rel(const struct inode *dir, const char *name, size_t len, char buf[PATH_MAX]);
int host_new(struct vfs *v, struct inode *graft, char *rel, int fd, const struct stat *st,
             struct inode **out);

/* mountfs.c: the workspace-mount layer. mount_readonly is the EROFS test
 * (false for other layers), done where the kernel would report EROFS. */
bool mount_readonly(const struct inode *i);
bool mount_noexec(const struct inode *i);
/* A rename or link between a and b (inodes or directories) leaves or
 * enters a workspace mount: EXDEV before anything else happens. */
bool mount_crossing(const struct inode *a, const struct inode *b);
int mount_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
int mount_may_name(struct inode *dir, const char *name, size_t len);
void mount_stat(struct inode *i, struct stat *out);
ssize_t mount_getdents(struct inode *dir, int64_t *pos, void *buf, size_t len);
int mount_open(struct inode *i, int flags);
void mount_free(struct mount *m);

/* secrets.c */
enum secret { SECRET_NO, SECRET_YES, SECRET_IF_PRIVATE_KEY };
enum secret secrets_match(const struct secrets *s, const char *rel, bool isdir);
bool secrets_guards(const struct secrets *s, const char *name);
void secrets_free(struct secrets *s);

/* devfs.c */
int dev_create(struct inode *dir, const char *name, const char *hostpath);
int dev_open(struct inode *i, int flags);

/* procfs.c */
struct proc_node;
#define PROCFS_DEV makedev(0, 0xc0d1)
int proc_create(struct vfs *v, struct inode **out);
int proc_lookup(struct inode *dir, const char *name, size_t len,
                struct inode **out);
/* A /proc symlink: *jump (a reference) when it leads straight to an inode
 * (the magic links fd/N, cwd, root, exe), else its text in buf. */
int proc_link(struct inode *link, struct inode **jump, char *buf, size_t size);
ssize_t proc_readlink(struct inode *link, char *buf, size_t size);
int proc_open(struct inode *i, int flags);
ssize_t proc_getdents(struct inode *dir, int64_t *pos, void *buf, size_t len);
void proc_stat(struct inode *i, struct stat *out);

/* notify.c: inotify events, each a no-op while the guest has no instance.
 * notify_entry: an entry `name` of dir changed (IN_CREATE, IN_DELETE,
 * IN_MOVED_FROM/TO, IN_MODIFY); notify_inode: i itself (IN_ATTRIB,
 * IN_MODIFY, IN_MOVE_SELF); notify_removed: i lost a name (IN_ATTRIB for a
 * file, then IN_DELETE_SELF and the end of its watches once it has none). The caller
 * holds a reference on every inode passed. */
void notify_entry(struct inode *dir, struct inode *child, const char *name, size_t len,
                  uint32_t mask, uint32_t cookie);
void notify_inode(struct inode *i, uint32_t mask);
void notify_removed(struct inode *i);
uint32_t notify_cookie(struct vfs *v);
void notify_free_all(struct vfs *v);

/* fifo.c: fifo_make gives a new memory inode its host FIFO; fifo_open
 * returns an fd of it, with *wait set, for the caller to reopen with the
 * open's flags where it may wait (VFS_OPEN_WAIT). */
int fifo_make(struct inode *i);
int fifo_open(struct inode *i, bool *wait);

/* devpts.c */
int pty_create_nodes(struct inode *dev);
int pty_open(struct inode *i, int flags, const struct fs_cred *c);

/* namei.c */
enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

/* resolve: openat2's RESOLVE_* flags (0 for every other call). root is
 * where "/" and ".." stop: the session root, or under RESOLVE_BENEATH and
 * RESOLVE_IN_ROOT the directory the walk started from (NULL = session root). */
struct nameparent;
struct walker {
    struct vfs *v;
    const struct fs_cred *c;
    int links;
    unsigned resolve;
    struct inode *root;
    /* When set, the walk leaves here the directory (a reference) and name
     * of the entry its final step went through — after following symlinks,
     * so the file's own entry — or dir NULL after "." and "..". inotify
     * tells a directory's watches about changes to that entry. */
    struct nameparent *last;
};

struct nameparent {
    struct inode *dir;          /* carries a reference */
    enum last_type type;
    bool slash;                 /* the path ended in '/' */
    size_t len;
    char name[NAME_MAX + 1];
};

int namei_walk(struct walker *w, struct inode *start, const char *path, bool follow,
               struct inode **out);
int namei_parent(struct walker *w, struct inode *start, const char *path,
                 struct nameparent *np);
int namei_step(struct walker *w, struct inode *dir, const char *name, size_t len,
               struct inode **next);
int namei_child(struct walker *w, struct nameparent *np, struct inode **child);
int namei_link_target(struct walker *w, struct inode *link, const char **target);
/* Resolves symlink `link` found in dir; *out carries a reference. */
int namei_follow(struct walker *w, struct inode *dir, struct inode *link, struct inode **out);

#define WALKER(vfs, cred) {.v = (vfs), .c = (cred), .links = 0}

/* names.c: creates entry np of a memory directory after the permission
 * check; *out carries a reference. */
int names_create(struct walker *w, struct nameparent *np, mode_t mode, const char *target,
                 struct inode **out);

/* mountfs.c: the name and metadata changes of a writable mount, called by
 * names.c, open.c and attr.c once their checks passed. */
int mount_create(struct walker *w, struct nameparent *np, mode_t mode, const char *target,
                 struct inode **out);
int mount_open_create(struct walker *w, struct nameparent *np, int flags, mode_t mode,
                      struct inode **out, int *fd);
int mount_unlink(struct nameparent *np, struct inode *victim, bool rmdir);
int mount_rename(struct nameparent *op, struct inode *old, struct nameparent *np,
                 struct inode *new, unsigned flags);
int mount_link(struct inode *old, struct nameparent *np);
int mount_chmod(struct inode *i, mode_t mode);
int mount_chown(struct inode *i, uid_t uid, gid_t gid);
int mount_utimens(struct inode *i, const struct timespec times[2]);
int mount_truncate(struct inode *i, off_t len);

#endif
