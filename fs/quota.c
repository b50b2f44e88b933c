/* fs/quota.c — --disk and --inodes: how much the memory layer may hold.
 *
 * --disk: the file data of the memory layer lives in a tmpfs of that size
 * that the sentry mounts for itself (fsopen/fsmount: a detached mount that
 * no process has in its tree, reachable only through the sentry's fd); each
 * file is an O_TMPFILE there instead of a memfd. Without the right to mount
 * (an unprivileged cordon), a child in a user and mount namespace of its
 * own mounts it (tmpfs allows that) and hands the mount back. The guest reads and writes
 * its files natively, so only the kernel sees every write: with the data in
 * a size-limited tmpfs, the kernel itself answers a write, fallocate or
 * copy that would exceed the quota with ENOSPC, whichever call makes it.
 * tmpfs counts data pages (4 KiB each, holes free), not metadata:
 * directories and symlinks live in the sentry and count toward --inodes
 * only.
 *
 * --inodes: every inode the session creates in the memory layer after its
 * initial tree (files, directories, symlinks, copied-up host objects) is
 * charged here; one more is ENOSPC. Counted in the VFS because directories
 * and symlinks never reach the tmpfs.
 *
 * Memory: tmpfs and memfd pages are charged by the kernel to the memory
 * cgroup of the task that first touches them: data the guest writes counts
 * toward the session's --memory; data the sentry writes for it (copy-up,
 * import) is charged to cordon's own cgroup.
 */
#include "fs/internal.h"
#include "util/cleanup.h"
#include "util/fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct quota {
    int mnt;                /* the tmpfs root, or -1 without --disk */
    uint64_t max_inodes;    /* 0: no limit */
    uint64_t inodes;
};

int quota_file_new(struct vfs *v)
{
    if (!v->quota || v->quota->mnt < 0)
        return memfd_new();
    int fd = openat(v->quota->mnt, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    return fd < 0 ? -errno : fd;
}

int quota_inode_charge(struct inode *i)
{
    struct quota *q = i->vfs->quota;
    if (!q || i->charged)
        return 0;
    if (q->max_inodes && q->inodes >= q->max_inodes)
        return -ENOSPC;
    q->inodes++;
    i->charged = true;
    return 0;
}

void quota_inode_release(struct inode *i)
{
    if (i->charged)
        i->vfs->quota->inodes--;
}

/* A detached tmpfs of `bytes`, noexec: the sentry's fd is its only way in.
 * Returns the mount's fd or -errno. */
static int tmpfs_mount(const char *size)
{
    _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -errno;
    int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    return mnt < 0 ? -errno : mnt;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = write_all(fd, text, strlen(text));
    close(fd);
    return r;
}

/* The child's part: become root of a new user namespace whose only id is
 * the caller's own (so the sentry's files in the tmpfs belong to a mapped
 * id), mount, and send the mount's fd (or the errno) over sock. */
static void userns_child(int sock, const char *size, uid_t uid, gid_t gid)
{
    char map[64];
    int r = unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ? -errno : 0;
    if (r == 0)
        r = write_file("/proc/self/setgroups", "deny");
    if (r == 0 && (snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid),
                   (r = write_file("/proc/self/uid_map", map)) == 0))
        r = (snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid),
             write_file("/proc/self/gid_map", map));
    int fd = r < 0 ? r : tmpfs_mount(size);
    _exit(fdpass_send_result(sock, fd < 0 ? -fd : 0, fd) < 0);
}

static int tmpfs_mount_unprivileged(const char *size)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid == 0)
        userns_child(sv[1], size, geteuid(), getegid());
    close(sv[1]);
    int r = pid < 0 ? -errno : -EPROTO, got = -1;
    if (pid > 0 && (r = fdpass_recv_result(sv[0], &got)) == 0)
        r = got >= 0 ? got : -EPROTO;
    close(sv[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return r;
}

int vfs_set_quota(struct vfs *v, uint64_t disk_bytes, uint64_t inodes, struct err *e)
{
    if (v->quota)
        return err_set(e, EBUSY, "fs: quota already set");
    int mnt = -1;
    if (disk_bytes) {
        char size[32];
        snprintf(size, sizeof size, "%" PRIu64, disk_bytes);
        mnt = tmpfs_mount(size);
        if (mnt == -EPERM)
            mnt = tmpfs_mount_unprivileged(size);
        if (mnt < 0)
            return err_set(e, -mnt, "--disk: mounting the quota tmpfs of %s bytes (needs Linux "
                                    "5.2+, and root or unprivileged user namespaces)", size);
    }
    struct quota *q = calloc(1, sizeof *q);
    if (!q) {
        if (mnt >= 0)
            close(mnt);
        return err_set(e, ENOMEM, "fs: quota");
    }
    q->mnt = mnt;
    q->max_inodes = inodes;
    v->quota = q;
    return 0;
}

void quota_free(struct vfs *v)
{
    if (!v->quota)
        return;
    if (v->quota->mnt >= 0)
        close(v->quota->mnt);
    free(v->quota);
    v->quota = NULL;
}
