/* fs/vfs.h — the session's virtual filesystem: the only view of files a
 * guest has.
 *
 * Owns: inodes, the directory tree, the path walk (fs/namei.c is the one
 * place that knows symlinks, "..", trailing slashes and layer crossings),
 * permission checks, the in-memory layer (file data in memfds so read/write/
 * mmap of an open file run natively in the guest), the read-only host runtime
 * layer (/usr, /etc pieces, ...) and synthetic device nodes.
 * Knows nothing of seccomp, ptrace or guest memory: callers pass plain C
 * strings and get plain results; every error is a negative errno with the
 * value the Linux man page documents for that case.
 *
 * Threading: not thread-safe; the sentry serialises all calls.
 * Lifetime: inodes are refcounted; a `struct inode *` returned through an
 * out-parameter carries a reference the caller drops with inode_put().
 */
#ifndef CORDON_FS_VFS_H
#define CORDON_FS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include "util/err.h"

struct vfs;
struct inode;

/* Who is asking: the guest's ids (as the guest sees them). */
struct fs_cred {
    uid_t uid;
    gid_t gid;
};

struct vfs_options {
    /* Host directories (and root-level symlinks such as /bin -> usr/bin) that
     * form the read-only runtime layer, as absolute host paths that appear at
     * the same path in the guest: {"/usr", "/bin", "/lib", "/lib64", "/sbin",
     * NULL}. A symlink on the host becomes the same symlink in the guest. */
    const char *const *runtime;
    /* Names under the host's /etc that the guest gets read-only (files are
     * copied, directories grafted from the host, symlinks copied); missing
     * ones are skipped. passwd, group, hostname and hosts are synthesised
     * instead from the fields below, resolv.conf (the sandbox DNS address)
     * and nsswitch.conf (files only, then dns) always. NULL-terminated. */
    const char *const *etc;
    /* Host directory the runtime and etc paths above are taken from (an OCI
     * bundle's rootfs: its /usr is the guest's /usr); NULL: the host's /. */
    const char *host_root;
    uid_t guest_uid;          /* 1000 */
    gid_t guest_gid;          /* 1000 */
    const char *user_name;    /* "user" */
    const char *home;         /* "/home/user": created in memory, owned by the user, 0700 */
    const char *hostname;     /* "cordon" */
};

/* Builds the session tree:
 *   /            memory dir, root 0755
 *   runtime      host layer, read-only (EROFS on any write)
 *   /etc         memory dir, root 0755, with the files described above
 *   /tmp         memory dir 1777; /var/tmp the same
 *   /home/<user> memory dir owned by the guest user
 *   /dev         memory dir: null zero full random urandom (host device
 *                opened with the guest's flags on each open), tty (the same,
 *                only when the sentry has a controlling terminal), ptmx and
 *                pts/ (see vfs_pts_attach), shm (1777),
 *                fd -> /proc/self/fd, stdin/stdout/stderr -> /proc/self/fd/N
 *   /proc        synthetic (fs/procfs.c; per-task content from fs/procfs.h)
 * Nothing else of the host exists for the guest (no /root, /sys,
 * /work, /home/<others>). On failure fills *e and returns -1. */
int  vfs_create(const struct vfs_options *o, struct vfs **out, struct err *e);
void vfs_destroy(struct vfs *v);

/* Limits the memory layer from now on (what the tree already holds is not
 * counted): disk_bytes of file data (0: none), held in a tmpfs of that
 * size so that native writes fail with ENOSPC too; `inodes` new inodes
 * (0: none). Creations beyond either are ENOSPC. Needs fsopen(2) rights
 * for disk_bytes. */
int vfs_set_quota(struct vfs *v, uint64_t disk_bytes, uint64_t inodes, struct err *e);

/* The memory layer as a tar file (fs/archive.c): export writes it to `out`
 * (OCI-style .wh. whiteouts and opaque markers for the overlay's state);
 * import replays one into the tree as root, refusing absolute names, "..",
 * devices, FIFOs and sockets. On failure fill *e (naming the member) and
 * return -1. */
int vfs_export(struct vfs *v, const char *out, struct err *e);
int vfs_import(struct vfs *v, const char *in, struct err *e);

struct inode *vfs_root(struct vfs *v);    /* borrowed, never NULL */
void inode_get(struct inode *i);
void inode_put(struct inode *i);
bool inode_is_dir(const struct inode *i);

/* Maps a host object the guest holds an fd to (the fstat of that fd, taken
 * by the sentry through pidfd_getfd) back to its VFS inode: the memfd of a
 * memory file, the placeholder of an open directory, the host file of the
 * runtime layer. Returns a borrowed inode, or NULL when the object is not a
 * VFS file (a pipe, a socket, the guest's own memfd, the terminal). */
struct inode *vfs_inode_of(struct vfs *v, const struct stat *host_st);

/* The guest-visible stat of a host object that is not a VFS file: host st_uid
 * and st_gid are mapped (the session's host uid -> guest uid, 0 -> 0, any
 * other -> 65534). */
void vfs_stat_foreign(struct vfs *v, const struct stat *host_st, struct stat *out);
/* The host uid/gid that owns the guest's own objects (pipes, sockets). */
void vfs_set_host_ids(struct vfs *v, uid_t host_uid, gid_t host_gid);

/* ---- workspace mounts ------------------------------------------------------
 * vfs_mount grafts host directory `host` at guest path `guest` (absolute;
 * missing memory directories leading to it are created, an existing empty
 * memory directory is replaced). Every host access below it is fd-relative
 * with RESOLVE_BENEATH semantics from the mount's root, so symlinks, "..",
 * hard links and renames cannot leave it. Read-only unless VFS_MOUNT_RW;
 * VFS_MOUNT_NOEXEC refuses exec (X_OK) of its files, like a noexec mount.
 * Objects on a mount show the host owner of the mount root and the user
 * running cordon as the guest user, root as root, anyone else as nobody.
 * On failure fills *e and returns -1 (e->code ENOENT/ENOTDIR: a bad host
 * path). */
#define VFS_MOUNT_RW     0x1
#define VFS_MOUNT_NOEXEC 0x2
int vfs_mount(struct vfs *v, const char *host, const char *guest, unsigned flags,
              struct err *e);

/* The secret deny list applied inside mounts (see fs/secrets.c for the glob
 * syntax). Defaults (.aws/, .ssh/, .env, private keys, ...) unless
 * no_defaults; allow rules win over deny rules. Denied objects read as
 * ENOENT, are never listed, and cannot be created or renamed onto (EACCES).
 * Replaces the previous list; fills *e naming a bad rule. */
struct vfs_secrets {
    const char *const *deny;    /* NULL-terminated, or NULL */
    const char *const *allow;
    bool no_defaults;
};
int vfs_set_secrets(struct vfs *v, const struct vfs_secrets *s, struct err *e);
/* Called with the guest path of every secret the VFS hid (for the audit
 * stream); ctx is passed back. */
void vfs_on_secret(struct vfs *v, void (*fn)(void *ctx, const char *guest_path), void *ctx);

/* ---- the *at operations --------------------------------------------------
 * `start` is the directory a relative path is resolved from (the task's cwd
 * or a dirfd's inode); absolute paths start at the root. An empty path is
 * ENOENT (the sentry handles AT_EMPTY_PATH itself by calling the inode
 * variants below). Paths are NUL-terminated, at most PATH_MAX bytes. */

#define VFS_NOFOLLOW   0x1   /* do not follow a trailing symlink */
#define VFS_EACCESS    0x2   /* accessat: use effective ids (same here) */
#define VFS_REMOVEDIR  0x4   /* unlinkat: AT_REMOVEDIR */

/* Opens with open(2) semantics (O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
 * O_DIRECTORY, O_NOFOLLOW, O_PATH, access mode; `mode` already has the umask
 * applied). On success stores in *hostfd a new host fd (owned by the caller)
 * for the guest: a reopened memfd (own offset, access mode and O_APPEND as
 * asked), a host fd opened O_RDONLY for the runtime layer, a reopened
 * placeholder for a directory, the opened host device for /dev nodes.
 * O_CLOEXEC is the caller's business (it applies to the guest's fd).
 * A FIFO's open may have to wait for its peer, which the VFS cannot do: it
 * returns VFS_OPEN_WAIT with *hostfd a handle of the FIFO that the caller
 * reopens (through /proc/self/fd) with the open's flags where waiting
 * blocks no one else (fs/fifo.c), with the open's flags among these (the
 * rest are the walk's, and O_NOFOLLOW would refuse the /proc link). */
#define VFS_OPEN_WAIT 1
#define VFS_OPEN_WAIT_FLAGS (O_ACCMODE | O_NONBLOCK | O_APPEND | O_SYNC | O_DSYNC)
int vfs_openat(struct vfs *v, struct inode *start, const char *path, int flags,
               mode_t mode, const struct fs_cred *c, int *hostfd);
/* openat2(2): vfs_openat with the walk restricted by `resolve` (RESOLVE_*;
 * the caller has validated the flags). Under RESOLVE_BENEATH/IN_ROOT,
 * `start` is the scope: "/" and ".." stop there, even for absolute paths.
 * O_TMPFILE (with the caller's validation of O_DIRECTORY and write access)
 * makes an unnamed memory file in the directory `path` names; like a file
 * unlinked while open, it is the guest's fd alone from then on. */
int vfs_openat2(struct vfs *v, struct inode *start, const char *path, int flags,
                mode_t mode, unsigned resolve, const struct fs_cred *c, int *hostfd);

int vfs_statat(struct vfs *v, struct inode *start, const char *path, unsigned flags,
               const struct fs_cred *c, struct stat *out);
void vfs_stat_inode(struct vfs *v, struct inode *i, struct stat *out);
/* statx's birth time: known for memory inodes (false for the runtime
 * layer, whose host stat the VFS keeps without it). */
bool vfs_btime(struct vfs *v, struct inode *i, struct timespec *out);

/* access(2): mode is F_OK or a mask of R_OK|W_OK|X_OK. */
int vfs_accessat(struct vfs *v, struct inode *start, const char *path, int mode,
                 unsigned flags, const struct fs_cred *c);

/* Returns the number of bytes placed in buf (not NUL-terminated, truncated
 * to bufsiz like readlink(2)), or -errno (EINVAL if not a symlink). */
ssize_t vfs_readlinkat(struct vfs *v, struct inode *start, const char *path,
                       const struct fs_cred *c, char *buf, size_t bufsiz);

int vfs_mkdirat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                const struct fs_cred *c);
int vfs_unlinkat(struct vfs *v, struct inode *start, const char *path, unsigned flags,
                 const struct fs_cred *c);
/* flags: RENAME_NOREPLACE, RENAME_EXCHANGE (EINVAL for others). */
int vfs_renameat2(struct vfs *v, struct inode *ostart, const char *opath,
                  struct inode *nstart, const char *npath, unsigned flags,
                  const struct fs_cred *c);
/* follow: AT_SYMLINK_FOLLOW semantics for the old path. */
int vfs_linkat(struct vfs *v, struct inode *ostart, const char *opath,
               struct inode *nstart, const char *npath, bool follow,
               const struct fs_cred *c);
/* bind(2) of an AF_UNIX path: a socket inode (`mode` has the umask
 * applied); EADDRINUSE when the name exists, as bind(2). *ino gets the
 * inode number, which the network layer maps to the real socket. */
int vfs_mksockat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                 const struct fs_cred *c, ino_t *ino);
/* mkfifo(3) / mknod(2) S_IFIFO in the memory layer (`mode` has the umask
 * applied); EPERM on a workspace mount (its host FIFOs are not served). */
int vfs_mkfifoat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                 const struct fs_cred *c);
int vfs_symlinkat(struct vfs *v, const char *target, struct inode *start,
                  const char *path, const struct fs_cred *c);

/* Metadata changes, on a path or (the *_inode forms) on an open file. */
int vfs_chmodat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                unsigned flags, const struct fs_cred *c);
int vfs_chmod_inode(struct vfs *v, struct inode *i, mode_t mode, const struct fs_cred *c);
/* uid/gid of (uid_t)-1 leave that id unchanged. */
int vfs_chownat(struct vfs *v, struct inode *start, const char *path, uid_t uid,
                gid_t gid, unsigned flags, const struct fs_cred *c);
int vfs_chown_inode(struct vfs *v, struct inode *i, uid_t uid, gid_t gid,
                    const struct fs_cred *c);
/* times as utimensat(2): NULL = now; UTIME_NOW / UTIME_OMIT honoured. */
int vfs_utimensat(struct vfs *v, struct inode *start, const char *path,
                  const struct timespec times[2], unsigned flags, const struct fs_cred *c);
int vfs_utimens_inode(struct vfs *v, struct inode *i, const struct timespec times[2],
                      const struct fs_cred *c);
int vfs_truncateat(struct vfs *v, struct inode *start, const char *path, off_t len,
                   const struct fs_cred *c);

/* Resolves a directory the caller may search (chdir semantics: ENOTDIR,
 * EACCES without exec permission). *out carries a reference. */
int vfs_chdirat(struct vfs *v, struct inode *start, const char *path,
                const struct fs_cred *c, struct inode **out);
/* Resolves any path (with VFS_NOFOLLOW honoured) to its inode; *out carries
 * a reference. Used by exec and by *at calls that take a dirfd. */
int vfs_lookupat(struct vfs *v, struct inode *start, const char *path, unsigned flags,
                 const struct fs_cred *c, struct inode **out);

/* Writes the absolute guest path of a directory into buf (getcwd(2)
 * semantics): -ENOENT if it was removed, -ERANGE if buf is too small.
 * Returns the length including the NUL. */
ssize_t vfs_dir_path(struct vfs *v, struct inode *dir, char *buf, size_t size);

/* Fills buf with linux_dirent64 records starting at *pos and advances *pos
 * (an opaque cookie the guest keeps as its directory fd's offset; 0 = start,
 * "." and ".." come first). Returns bytes written, 0 at the end, -EINVAL if
 * buf cannot hold the next record, -ENOTDIR if not a directory. */
ssize_t vfs_getdents(struct vfs *v, struct inode *dir, int64_t *pos, void *buf, size_t len);

void vfs_statfs(struct vfs *v, struct inode *i, struct statfs *out);

/* Extended attributes, as tmpfs keeps them for an unprivileged user:
 * user.* on regular files and directories of the memory layer; trusted.*
 * reads as absent and cannot be written, nor can security.*; system.* is
 * EOPNOTSUPP; the runtime layer has none and is read-only (EROFS). The
 * caller has checked the name's length (1..XATTR_NAME_MAX), the flags and
 * the value's size (XATTR_SIZE_MAX). size 0 asks for the length.
 * vfs_setxattr with value NULL removes the name. */
ssize_t vfs_getxattr(struct vfs *v, struct inode *i, const char *name, void *buf,
                     size_t size, const struct fs_cred *c);
ssize_t vfs_listxattr(struct vfs *v, struct inode *i, char *buf, size_t size);
int vfs_setxattr(struct vfs *v, struct inode *i, const char *name, const void *value,
                 size_t size, int flags, const struct fs_cred *c);
/* For an object outside the VFS (a pipe, a socket, an unlinked memory file
 * still open): 0 when the name is a user.* one the host may be asked
 * about, else the errno tmpfs gives an unprivileged user. */
int vfs_xattr_foreign(const char *name, bool write);

/* inotify(7) (fs/notify.c): an instance is a socket whose guest end (stored
 * in *guest_end, for the caller to install) delivers struct inotify_event
 * records for the changes the VFS makes; it is named afterwards by that
 * end's host stat. add_watch returns the watch descriptor (mask already
 * checked by the caller; IN_MASK_ADD and IN_MASK_CREATE honoured);
 * -EINVAL when the stat is not an instance's or wd is unknown. */
int vfs_inotify_init(struct vfs *v, bool nonblock, int *guest_end);
bool vfs_is_inotify(struct vfs *v, const struct stat *st);
int vfs_inotify_add_watch(struct vfs *v, const struct stat *inst, struct inode *i, uint32_t mask);
int vfs_inotify_rm_watch(struct vfs *v, const struct stat *inst, int wd);

/* ptys (fs/devpts.c): the devpts instance of the guest tree now running,
 * as an O_PATH fd of its root that the VFS takes over; detach forgets it
 * and every /dev/pts entry (the tree is gone). Without one, opening
 * /dev/ptmx fails with ENODEV. */
void vfs_pts_attach(struct vfs *v, int rootfd);
void vfs_pts_detach(struct vfs *v);
bool vfs_pts_attached(const struct vfs *v);

/* For exec: the inode's file as a host fd opened O_RDONLY (data of a memory
 * file, or the host file), owned by the caller; -errno on failure. */
int vfs_open_data(struct vfs *v, struct inode *i);
/* For exec: the host path of a runtime-layer file (the path the guest's
 * native mount namespace has it at), or -EXDEV when the file lives in
 * memory. */
int vfs_host_path(struct vfs *v, struct inode *i, char *buf, size_t size);
/* Permission check on an inode: mask of R_OK|W_OK|X_OK (0 = none). */
int vfs_permission(struct vfs *v, struct inode *i, int mask, const struct fs_cred *c);

/* ---- files the sentry places -------------------------------------------
 * Marks the sentry tests after an open (vfs_inode_of of the new fd), so
 * the VFS needs no idea of what they mean: a canary is a file whose every
 * open is reported. */
#define VFS_INODE_CANARY 0x1
/* Creates memory file `path` (absolute, must not exist) holding len bytes
 * of data, owned by *owner with `mode`, marked with `flags`; missing
 * directories on the way are created owned by *owner, 0755. -1 + *e. */
int vfs_place_file(struct vfs *v, const char *path, const void *data, size_t len, mode_t mode,
                   const struct fs_cred *owner, unsigned flags, struct err *e);
unsigned vfs_inode_flags(const struct inode *i);

#endif
