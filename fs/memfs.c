/* fs/memfs.c — the memory layer: directory entries (one hash table for all
 * directories of both layers, keyed by parent and name), memory inodes whose
 * file data live in memfds, and directory listing.
 *
 * A memory directory also keeps its entries in an array ordered by a cookie
 * that only grows. The guest's getdents position is the last cookie it saw,
 * so entries created or removed while it lists the directory never make it
 * see an entry twice or skip a surviving one. Removal leaves a hole that is
 * squeezed out when the array would otherwise grow.
 */
#include "fs/internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <xxhash.h>

static uint64_t dhash(const struct inode *dir, const char *name, size_t len)
{
    return XXH3_64bits_withSeed(name, len, (uint64_t)(uintptr_t)dir);
}

struct dentry *dcache_find(struct inode *dir, const char *name, size_t len)
{
    struct vfs *v = dir->vfs;
    if (!v->dcap)
        return NULL;
    uint64_t h = dhash(dir, name, len);
    for (struct dentry *d = v->dtab[h & (v->dcap - 1)]; d; d = d->hnext)
        if (d->hash == h && d->dir == dir && d->len == len && !memcmp(d->name, name, len))
            return d;
    return NULL;
}

static int dgrow(struct vfs *v)
{
    size_t ncap = v->dcap ? v->dcap * 2 : 1024;
    struct dentry **nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -ENOMEM;
    for (size_t b = 0; b < v->dcap; b++) {
        for (struct dentry *d = v->dtab[b], *next; d; d = next) {
            next = d->hnext;
            d->hnext = nt[d->hash & (ncap - 1)];
            nt[d->hash & (ncap - 1)] = d;
        }
    }
    free(v->dtab);
    v->dtab = nt;
    v->dcap = ncap;
    return 0;
}

int dcache_add(struct inode *dir, const char *name, size_t len, struct inode *child,
               struct dentry **out)
{
    struct vfs *v = dir->vfs;
    if (v->dcount >= v->dcap) {
        int r = dgrow(v);
        if (r < 0)
            return r;
    }
    struct dentry *d = malloc(sizeof *d + len + 1);
    if (!d)
        return -ENOMEM;
    d->dir = dir;
    d->child = child;
    d->hash = dhash(dir, name, len);
    d->cookie = 0;
    d->len = len;
    memcpy(d->name, name, len);
    d->name[len] = 0;
    d->hnext = v->dtab[d->hash & (v->dcap - 1)];
    v->dtab[d->hash & (v->dcap - 1)] = d;
    v->dcount++;
    inode_get(child);
    *out = d;
    return 0;
}

static void dcache_del(struct dentry *d)
{
    struct vfs *v = d->dir->vfs;
    struct dentry **pp = &v->dtab[d->hash & (v->dcap - 1)];
    while (*pp != d)
        pp = &(*pp)->hnext;
    *pp = d->hnext;
    v->dcount--;
}

void dcache_drop(struct dentry *d)
{
    struct inode *child = d->child;
    dcache_del(d);
    free(d);
    inode_put(child);
}

void dentry_free_all(struct vfs *v)
{
    for (size_t b = 0; b < v->dcap; b++) {
        for (struct dentry *d = v->dtab[b], *next; d; d = next) {
            next = d->hnext;
            free(d);
        }
    }
    free(v->dtab);
    v->dtab = NULL;
    v->dcap = v->dcount = 0;
}

/* Index of the first slot whose cookie is > after. */
static size_t slot_after(const struct inode *dir, uint64_t after)
{
    size_t lo = 0, hi = dir->nslots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dir->slots[mid].cookie <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int slot_add(struct inode *dir, struct dentry *d)
{
    if (dir->nslots == dir->cap) {
        if (dir->live < dir->nslots / 2) {
            size_t n = 0;
            for (size_t k = 0; k < dir->nslots; k++)
                if (dir->slots[k].d)
                    dir->slots[n++] = dir->slots[k];
            dir->nslots = n;
        } else {
            size_t ncap = dir->cap ? dir->cap * 2 : 8;
            struct dslot *ns = realloc(dir->slots, ncap * sizeof *ns);
            if (!ns)
                return -ENOMEM;
            dir->slots = ns;
            dir->cap = ncap;
        }
    }
    d->cookie = dir->next_cookie++;
    dir->slots[dir->nslots++] = (struct dslot){d->cookie, d};
    dir->live++;
    return 0;
}

static void slot_del(struct dentry *d)
{
    struct inode *dir = d->dir;
    size_t k = slot_after(dir, d->cookie - 1);
    dir->slots[k].d = NULL;
    if (--dir->live == 0)
        dir->nslots = 0;
}

void mem_touch(struct inode *i, bool data)
{
    time_now(&i->ctime);
    if (data)
        i->mtime = i->ctime;
}

/* Makes the entry's child a directory named `name` in `dir`. */
static int adopt(struct inode *dir, const char *name, size_t len, struct inode *child)
{
    char *n = strndup(name, len);
    if (!n)
        return -ENOMEM;
    free(child->name);
    child->name = n;
    child->parent = dir;
    return 0;
}

int mem_link(struct inode *dir, const char *name, size_t len, struct inode *child)
{
    struct dentry *d, *wh = dcache_find(dir, name, len);
    if (wh && !ovl_whiteout(wh))
        wh = NULL;
    int r = dcache_add(dir, name, len, child, &d);
    if (r < 0)
        return r;
    if (S_ISDIR(child->mode))
        r = adopt(dir, name, len, child);
    if (r == 0)
        r = slot_add(dir, d);
    if (r < 0) {
        dcache_del(d);
        free(d);
        inode_put(child);
        return r;
    }
    if (wh) {
        /* The new entry hides the host's name from now on. */
        dcache_del(wh);
        free(wh);
        inode_put(dir->vfs->whiteout);
    }
    if (S_ISDIR(child->mode))
        dir->nlink++;
    else
        child->nlink++;
    mem_touch(dir, true);
    mem_touch(child, false);
    return 0;
}

void mem_unlink(struct dentry *d)
{
    struct inode *dir = d->dir, *child = d->child;
    /* Names a merged directory took from its lower have no slot. */
    if (d->cookie)
        slot_del(d);
    if (S_ISDIR(child->mode))
        dir->nlink--;
    else
        child->nlink--;
    mem_touch(dir, true);
    mem_touch(child, false);
    if (ovl_lower(dir)) {
        /* The entry becomes a whiteout in place (nothing to allocate, so
         * nothing can fail): the host's name stays hidden. */
        d->cookie = 0;
        d->child = dir->vfs->whiteout;
        inode_get(d->child);
    } else {
        dcache_del(d);
        free(d);
    }
    inode_put(child);
}

void mem_exchange(struct dentry *a, struct dentry *b)
{
    struct inode *ca = a->child, *cb = b->child;
    /* Names are replaced only once both copies exist, so a failed
     * allocation leaves the tree as it was; the stale name is then merely
     * what getcwd shows. */
    char *na = S_ISDIR(cb->mode) ? strdup(a->name) : NULL;
    char *nb = S_ISDIR(ca->mode) ? strdup(b->name) : NULL;
    a->child = cb;
    b->child = ca;
    if (S_ISDIR(cb->mode)) {
        cb->parent = a->dir;
        if (na) {
            free(cb->name);
            cb->name = na;
        }
    }
    if (S_ISDIR(ca->mode)) {
        ca->parent = b->dir;
        if (nb) {
            free(ca->name);
            ca->name = nb;
        }
    }
    int delta = (int)S_ISDIR(cb->mode) - (int)S_ISDIR(ca->mode);
    a->dir->nlink += delta;
    b->dir->nlink -= delta;
    mem_touch(a->dir, true);
    mem_touch(b->dir, true);
    mem_touch(ca, false);
    mem_touch(cb, false);
}

int mem_new(struct vfs *v, mode_t mode, uid_t uid, gid_t gid, struct inode **out)
{
    struct inode *i = inode_alloc(v, LAYER_MEM, mode, uid, gid);
    if (!i)
        return -ENOMEM;
    int r = quota_inode_charge(i);
    if (r < 0) {
        inode_put(i);
        return r;
    }
    if (S_ISREG(mode)) {
        struct stat st;
        r = i->memfd = quota_file_new(v);
        if (r >= 0)
            r = fstat(i->memfd, &st) < 0 ? -errno : 0;
        if (r >= 0)
            r = inode_register(i, &i->obj, st.st_dev, st.st_ino);
        if (r < 0) {
            inode_put(i);
            return r;
        }
    }
    if (S_ISFIFO(mode) && (r = fifo_make(i)) < 0) {
        inode_put(i);
        return r;
    }
    *out = i;
    return 0;
}

int mem_create(struct inode *dir, const char *name, size_t len, mode_t mode,
               const struct fs_cred *c, struct inode **out)
{
    struct inode *i;
    int r = mem_new(dir->vfs, mode, c->uid, c->gid, &i);
    if (r < 0)
        return r;
    r = mem_link(dir, name, len, i);
    if (r < 0) {
        inode_put(i);
        return r;
    }
    *out = i;
    return 0;
}

bool dirent_put(char *buf, size_t len, size_t *off, uint64_t ino, int64_t next, mode_t mode,
                const char *name, size_t nlen)
{
    size_t reclen = (offsetof(struct linux_dirent64, d_name) + nlen + 1 + 7) & ~(size_t)7;
    if (len - *off < reclen)
        return false;
    struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + *off);
    de->d_ino = ino;
    de->d_off = next;
    de->d_reclen = (unsigned short)reclen;
    de->d_type = (unsigned char)IFTODT(mode);
    memcpy(de->d_name, name, nlen);
    memset(de->d_name + nlen, 0, reclen - offsetof(struct linux_dirent64, d_name) - nlen);
    *off += reclen;
    return true;
}

bool mem_listed_all(const struct inode *dir, int64_t pos)
{
    return pos >= 2 && slot_after(dir, (uint64_t)pos) == dir->nslots;
}

ssize_t mem_getdents(struct inode *dir, int64_t *pos, void *vbuf, size_t len)
{
    if (dir->dead)
        return -ENOENT;
    char *buf = vbuf;
    size_t off = 0;
    uint64_t p = (uint64_t)*pos;
    struct inode *up = dir->parent ? dir->parent : dir;
    bool fits = true;
    if (p < 1 && (fits = dirent_put(buf, len, &off, dir->ino, 1, dir->mode, ".", 1)))
        p = 1;
    if (fits && p < 2 && (fits = dirent_put(buf, len, &off, up->ino, 2, up->mode, "..", 2)))
        p = 2;
    for (size_t k = slot_after(dir, p); fits && k < dir->nslots; k++) {
        struct dentry *d = dir->slots[k].d;
        if (!d)
            continue;
        fits = dirent_put(buf, len, &off, d->child->ino, (int64_t)d->cookie, d->child->mode,
                          d->name, d->len);
        if (fits)
            p = d->cookie;
    }
    if (!fits && off == 0)
        return -EINVAL;
    *pos = (int64_t)p;
    return (ssize_t)off;
}

static struct timespec later(struct timespec a, struct timespec b)
{
    return (a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec)) ? a : b;
}

void mem_stat(struct inode *i, struct stat *out)
{
    memset(out, 0, sizeof *out);
    out->st_dev = MEMFS_DEV;
    out->st_ino = i->ino;
    out->st_mode = i->mode;
    out->st_nlink = i->nlink;
    out->st_uid = i->uid;
    out->st_gid = i->gid;
    out->st_blksize = 4096;
    out->st_atim = i->atime;
    out->st_mtim = i->mtime;
    out->st_ctim = i->ctime;
    struct stat st;
    if (S_ISREG(i->mode) && fstat(i->memfd, &st) == 0) {
        /* The guest writes through its own fd: the memfd's clock is live. */
        out->st_size = st.st_size;
        out->st_blocks = st.st_blocks;
        out->st_atim = st.st_atim;
        out->st_mtim = st.st_mtim;
        out->st_ctim = later(st.st_ctim, i->ctime);
    } else if (S_ISDIR(i->mode)) {
        /* What tmpfs reports. */
        out->st_size = (off_t)(i->live + 2) * 20;
    } else if (S_ISLNK(i->mode)) {
        out->st_size = (off_t)strlen(i->target);
    }
    out->st_rdev = i->rdev;
}
