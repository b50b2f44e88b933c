/* fs/quota.c — --disk and --inodes: how much the memory layer may hold.
 *
 * --disk: the file data of the memory layer lives in a tmpfs of that size
 * that the sentry mounts for itself (fsopen/fsmount: a detached mount that
 * no process has in its tree, reachable only through the sentry's fd); each
 * file is an O_TMPFILE there instead of a memfd. The guest reads and writes
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

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
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

/* A detached tmpfs of `bytes`, noexec: the sentry's fd is its only way in. */
static int tmpfs_mount(uint64_t bytes, struct err *e)
{
    _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return err_set(e, errno, "--disk: mounting the quota tmpfs (fsopen; needs root or "
                                 "CAP_SYS_ADMIN, and Linux 5.2+)");
    char size[32];
    snprintf(size, sizeof size, "%" PRIu64, bytes);
    if (fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return err_set(e, errno, "--disk: configuring the quota tmpfs (size %s)", size);
    int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (mnt < 0)
        return err_set(e, errno, "--disk: mounting the quota tmpfs (fsmount)");
    return mnt;
}

int vfs_set_quota(struct vfs *v, uint64_t disk_bytes, uint64_t inodes, struct err *e)
{
    if (v->quota)
        return err_set(e, EBUSY, "fs: quota already set");
    int mnt = -1;
    if (disk_bytes && (mnt = tmpfs_mount(disk_bytes, e)) < 0)
        return -1;
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
