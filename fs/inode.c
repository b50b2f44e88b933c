/* fs/inode.c — inode lifetime, numbering, and the (host st_dev, st_ino) ->
 * inode table through which the sentry recognises the host objects it handed
 * to the guest. */
#include "fs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

void time_now(struct timespec *t)
{
    clock_gettime(CLOCK_REALTIME, t);
}

bool inode_is_memfile(const struct inode *i)
{
    return i->layer == LAYER_MEM && S_ISREG(i->mode);
}

struct inode *inode_alloc(struct vfs *v, enum layer l, mode_t mode, uid_t uid, gid_t gid)
{
    struct inode *i = calloc(1, sizeof *i);
    if (!i)
        return NULL;
    i->vfs = v;
    i->refs = 1;
    i->layer = l;
    i->mode = mode;
    i->uid = uid;
    i->gid = gid;
    i->nlink = S_ISDIR(mode) ? 2 : 0;
    i->memfd = -1;
    i->placeholder = -1;
    i->graft_fd = -1;
    i->fifo = -1;
    if (l == LAYER_MEM)
        i->ino = v->next_ino++;
    time_now(&i->mtime);
    i->atime = i->ctime = i->btime = i->mtime;
    /* The first cookies belong to "." and "..". */
    i->next_cookie = 3;
    i->all_next = v->all;
    if (v->all)
        v->all->all_prev = i;
    v->all = i;
    return i;
}

static size_t hslot(const struct vfs *v, dev_t dev, ino_t ino)
{
    uint64_t key[2] = {dev, ino};
    return XXH3_64bits(key, sizeof key) & (v->hcap - 1);
}

void inode_unregister(struct hnode *n)
{
    if (!n->linked)
        return;
    struct vfs *v = n->inode->vfs;
    struct hnode **pp = &v->htab[hslot(v, n->dev, n->ino)];
    while (*pp != n)
        pp = &(*pp)->next;
    *pp = n->next;
    n->linked = false;
    v->hcount--;
}

static int hgrow(struct vfs *v)
{
    size_t ncap = v->hcap ? v->hcap * 2 : 256;
    struct hnode **nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -ENOMEM;
    struct hnode **old = v->htab;
    size_t ocap = v->hcap;
    v->htab = nt;
    v->hcap = ncap;
    for (size_t b = 0; b < ocap; b++) {
        for (struct hnode *n = old[b], *next; n; n = next) {
            next = n->next;
            size_t s = hslot(v, n->dev, n->ino);
            n->next = nt[s];
            nt[s] = n;
        }
    }
    free(old);
    return 0;
}

int inode_register(struct inode *i, struct hnode *n, dev_t dev, ino_t ino)
{
    struct vfs *v = i->vfs;
    if (v->hcount >= v->hcap) {
        int r = hgrow(v);
        if (r < 0)
            return r;
    }
    n->inode = i;
    n->dev = dev;
    n->ino = ino;
    size_t s = hslot(v, dev, ino);
    n->next = v->htab[s];
    v->htab[s] = n;
    n->linked = true;
    v->hcount++;
    return 0;
}

struct inode *inode_by_host_in(struct vfs *v, dev_t dev, ino_t ino, const struct inode *graft)
{
    if (!v->hcap)
        return NULL;
    for (struct hnode *n = v->htab[hslot(v, dev, ino)]; n; n = n->next)
        if (n->dev == dev && n->ino == ino && (!graft || n->inode->graft == graft))
            return n->inode;
    return NULL;
}

struct inode *inode_by_host(struct vfs *v, dev_t dev, ino_t ino)
{
    return inode_by_host_in(v, dev, ino, NULL);
}

struct inode *vfs_inode_of(struct vfs *v, const struct stat *host_st)
{
    return inode_by_host(v, host_st->st_dev, host_st->st_ino);
}

int memfd_new(void)
{
    int fd = memfd_create("cordon", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
    /* Kernels before 6.3 do not know the flag. */
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("cordon", MFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int fd_reopen(int fd, int flags)
{
    char p[32];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    int r = open(p, flags | O_CLOEXEC);
    return r < 0 ? -errno : r;
}

int inode_placeholder(struct inode *i)
{
    if (i->placeholder >= 0)
        return i->placeholder;
    int fd = memfd_new();
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    int r = inode_register(i, &i->ph, st.st_dev, st.st_ino);
    if (r < 0) {
        close(fd);
        return r;
    }
    i->placeholder = fd;
    return fd;
}

void inode_free(struct inode *i)
{
    struct vfs *v = i->vfs;
    inode_unregister(&i->obj);
    inode_unregister(&i->ph);
    quota_inode_release(i);
    if (i->memfd >= 0)
        close(i->memfd);
    if (i->placeholder >= 0)
        close(i->placeholder);
    if (i->graft_fd >= 0)
        close(i->graft_fd);
    if (i->fifo >= 0)
        close(i->fifo);
    if (i->layer == LAYER_PROC && i->pobj >= 0)
        close(i->pobj);
    if (i->all_prev)
        i->all_prev->all_next = i->all_next;
    else
        v->all = i->all_next;
    if (i->all_next)
        i->all_next->all_prev = i->all_prev;
    xattr_free_all(i);
    free(i->name);
    free(i->slots);
    free(i->target);
    free(i->devpath);
    free(i->hostroot);
    free(i->relpath);
    mount_free(i->mnt);
    free(i);
}

void inode_get(struct inode *i)
{
    i->refs++;
}

void inode_put(struct inode *i)
{
    if (i && --i->refs == 0)
        inode_free(i);
}

bool inode_is_dir(const struct inode *i)
{
    return S_ISDIR(i->mode);
}
