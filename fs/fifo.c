/* fs/fifo.c — FIFOs of the memory layer (mkfifo, mknod S_IFIFO).
 *
 * What makes a FIFO is its open(2): a reader waits for a writer and the
 * reverse, then both ends talk through the kernel's pipe buffer with EOF,
 * EPIPE/SIGPIPE and poll. The sentry does not imitate that: each memory
 * FIFO owns a real host FIFO, and the guest's fd is that FIFO opened, so
 * everything after the open runs natively with the kernel's semantics.
 * mkfifo needs a name, so the host FIFO is made in a fresh 0700 directory
 * and unlinked at once together with it: the O_PATH fd the inode keeps is
 * then the only way to it, and neither the guest (whose every path call the
 * sentry serves) nor another host user can ever reach it by name.
 * Opening is reopening that fd through /proc/self/fd with the guest's
 * flags, which the VFS leaves to its caller (VFS_OPEN_WAIT): the open may
 * wait for its peer, and meanwhile the sentry must go on serving other
 * tasks, the peer among them. The opens that never wait (O_NONBLOCK,
 * O_RDWR) take that road too: the platform must close its copy of a
 * FIFO's end before the guest runs (a copy counts as a reader or writer),
 * which that path does already, and one path is one to get right.
 * Host FIFOs of the runtime layer and of workspace mounts stay refused, as
 * on a nodev mount (open.c, mountfs.c).
 */
#include "fs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int fifo_make(struct inode *i)
{
    char dir[] = "/tmp/cordon-fifo-XXXXXX";
    if (!mkdtemp(dir))
        return -errno;
    int r = 0, fd = -1;
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || mkfifoat(dfd, "f", 0600) < 0) {
        r = -errno;
    } else {
        fd = openat(dfd, "f", O_PATH | O_CLOEXEC);
        if (fd < 0)
            r = -errno;
        unlinkat(dfd, "f", 0);
    }
    if (dfd >= 0)
        close(dfd);
    rmdir(dir);
    struct stat st;
    if (r == 0)
        r = fstat(fd, &st) < 0 ? -errno : 0;
    /* The guest's fds are this host FIFO: fstat of one leads back here. */
    if (r == 0)
        r = inode_register(i, &i->obj, st.st_dev, st.st_ino);
    if (r < 0) {
        if (fd >= 0)
            close(fd);
        return r;
    }
    i->fifo = fd;
    return 0;
}

int fifo_open(struct inode *i, bool *wait)
{
    *wait = true;
    int fd = fcntl(i->fifo, F_DUPFD_CLOEXEC, 3);
    return fd < 0 ? -errno : fd;
}
