/* fs/devfs.c — the guest's device nodes: memory inodes standing for a host
 * device that each open() opens afresh with the guest's flags, so reads and
 * writes then run natively. */
#include "fs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

int dev_create(struct inode *dir, const char *name, const char *hostpath)
{
    struct stat st;
    if (stat(hostpath, &st) < 0)
        return -errno;
    if (!S_ISCHR(st.st_mode))
        return -ENODEV;
    struct inode *i;
    int r = mem_new(dir->vfs, S_IFCHR | 0666, 0, 0, &i);
    if (r < 0)
        return r;
    i->rdev = st.st_rdev;
    if (!(i->devpath = strdup(hostpath)))
        r = -ENOMEM;
    /* The guest's fd is the host node itself; fstat of it finds us here. */
    if (r == 0)
        r = inode_register(i, &i->obj, st.st_dev, st.st_ino);
    if (r == 0)
        r = mem_link(dir, name, strlen(name), i);
    inode_put(i);
    return r;
}

int dev_open(struct inode *i, int flags)
{
    /* O_NOCTTY: opening the sentry's terminal must not make it the
     * sentry's controlling one. */
    int fd = open(i->devpath, (flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)) |
                                  O_NOCTTY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}
