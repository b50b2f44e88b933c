/* fs/devpts.c — /dev/ptmx and /dev/pts/N: ptys from the guest tree's own
 * devpts instance.
 *
 * The guest's init mounts a fresh instance in its user namespace (the
 * platform's PTS_GUEST_DIR), so pty numbers, nodes and their lifetimes are
 * this session's alone; the sentry holds an O_PATH fd of its root
 * (vfs_pts_attach). Opening /dev/ptmx opens the instance's ptmx with the
 * guest's flags and makes /dev/pts/N a memory node standing for slave N,
 * registered by the slave's host (dev, ino): a slave fd the guest got
 * natively (TIOCGPTPEER, as glibc's openpty does) then fstats as /dev/pts/N,
 * which is how ttyname() finds its name. Opening /dev/pts/N opens slave N
 * of that instance and nothing else, so a guest can never reach another
 * session's or the host's terminals by number.
 *
 * The sentry opens with O_NOCTTY (it must not take a controlling terminal
 * for itself); a guest session takes its terminal with TIOCSCTTY, as
 * login_tty() does. The guest's last close of a master is not seen: an
 * entry whose slave is gone is dropped at the next ptmx open, and opening
 * it meanwhile fails with ENOENT.
 */
#include "fs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct fs_cred root_cred = {0, 0};

int pty_create_nodes(struct inode *dev)
{
    struct vfs *v = dev->vfs;
    struct inode *pts, *ptmx;
    int r = mem_create(dev, "pts", 3, S_IFDIR | 0755, &root_cred, &pts);
    if (r < 0)
        return r;
    v->pts_dir = pts;   /* the entry keeps it; /dev is root's */
    inode_put(pts);
    r = mem_new(v, S_IFCHR | 0666, 0, 0, &ptmx);
    if (r < 0)
        return r;
    ptmx->pty = PTY_MASTER;
    ptmx->rdev = makedev(5, 2);
    r = mem_link(dev, "ptmx", 4, ptmx);
    inode_put(ptmx);
    return r;
}

void vfs_pts_attach(struct vfs *v, int rootfd)
{
    vfs_pts_detach(v);
    v->pts_root = rootfd;
}

bool vfs_pts_attached(const struct vfs *v)
{
    return v->pts_root >= 0;
}

/* Drops the /dev/pts entries whose slave is gone (all of them when the
 * instance is). */
static void sweep(struct vfs *v)
{
    struct inode *dir = v->pts_dir;
    for (size_t k = 0; k < dir->nslots; k++) {
        struct dentry *d = dir->slots[k].d;
        struct stat st;
        if (d && (v->pts_root < 0 || fstatat(v->pts_root, d->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                  st.st_dev != d->child->obj.dev || st.st_ino != d->child->obj.ino))
            mem_unlink(d);
    }
}

void vfs_pts_detach(struct vfs *v)
{
    if (v->pts_root >= 0)
        close(v->pts_root);
    v->pts_root = -1;
    if (v->pts_dir)
        sweep(v);
}

/* /dev/pts/N for the slave of a master just opened, owned by its opener. */
static int add_slave(struct vfs *v, unsigned n, const struct fs_cred *c)
{
    char name[16];
    size_t len = (size_t)snprintf(name, sizeof name, "%u", n);
    struct stat st;
    if (fstatat(v->pts_root, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    struct dentry *old = dcache_find(v->pts_dir, name, len);
    if (old)
        mem_unlink(old);
    struct inode *s;
    int r = mem_new(v, S_IFCHR | 0620, c->uid, c->gid, &s);
    if (r < 0)
        return r;
    s->pty = PTY_SLAVE;
    s->pty_index = n;
    s->rdev = st.st_rdev;
    r = inode_register(s, &s->obj, st.st_dev, st.st_ino);
    if (r == 0)
        r = mem_link(v->pts_dir, name, len, s);
    inode_put(s);
    return r;
}

int pty_open(struct inode *i, int flags, const struct fs_cred *c)
{
    struct vfs *v = i->vfs;
    if (v->pts_root < 0)
        return -ENODEV;
    int fl = (flags & (O_ACCMODE | O_NONBLOCK)) | O_NOCTTY | O_CLOEXEC;
    if (i->pty == PTY_SLAVE) {
        char name[16];
        snprintf(name, sizeof name, "%u", i->pty_index);
        int fd = openat(v->pts_root, name, fl);
        return fd < 0 ? -errno : fd;
    }
    sweep(v);
    int fd = openat(v->pts_root, "ptmx", fl);
    if (fd < 0)
        return -errno;
    unsigned n;
    int r = ioctl(fd, TIOCGPTN, &n) < 0 ? -errno : add_slave(v, n, c);
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}
