/* fs/notify.c — inotify(7) on VFS files.
 *
 * The host kernel's inotify cannot see the VFS (names live in the sentry),
 * so an instance is a stream socket pair: the guest holds one end and reads
 * struct inotify_event records from it natively (read, poll, epoll and
 * FIONREAD all work); the VFS writes the records into the other end when a
 * call it serves changes a watched inode. An instance is known by its guest
 * end's host (dev, ino), which the sentry finds with fstat.
 *
 * Seen: what goes through the VFS — IN_CREATE, IN_DELETE, IN_MOVED_FROM/TO
 * (with a shared cookie), IN_MOVE_SELF, IN_DELETE_SELF then IN_IGNORED,
 * IN_ATTRIB (chmod, chown, utimens, xattrs, links) and IN_MODIFY when the
 * sentry truncates (open O_TRUNC, truncate). Not seen: the guest's own
 * writes, reads and closes on fds it holds (IN_MODIFY of a write,
 * IN_ACCESS, IN_OPEN, IN_CLOSE_*), which run natively. A directory's
 * watches hear about its entries by name, except IN_ATTRIB and IN_MODIFY of
 * calls on an fd (fchmod, ftruncate, fsetxattr) and of xattr calls: those
 * reach only the file's own watches (an fd does not tell its directory).
 *
 * Records are written without blocking: when a guest stops reading and its
 * socket buffer fills, later events are dropped (Linux queues 16384 and
 * then reports IN_Q_OVERFLOW). The guest's last close shows as EPIPE on the
 * next write; the instance and its watches are then freed.
 */
#include "fs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

/* Linux's fs.inotify defaults for one user. */
#define MAX_INSTANCES 128
#define MAX_WATCHES 65536

struct watch {
    struct watch *inext;        /* the instance's watches */
    struct watch *nnext;        /* the inode's watches */
    struct notify_inst *inst;
    struct inode *inode;        /* a reference */
    int wd;
    uint32_t mask;
};

struct notify_inst {
    struct notify_inst *next;
    dev_t dev;
    ino_t ino;
    int fd;                     /* the sentry's end */
    bool dead;                  /* the guest closed its end */
    int next_wd;
    unsigned nwatches;
    struct watch *watches;
};

static void unlink_watch(struct watch *w)
{
    struct watch **pp = &w->inode->watches;
    while (*pp != w)
        pp = &(*pp)->nnext;
    *pp = w->nnext;
    pp = &w->inst->watches;
    while (*pp != w)
        pp = &(*pp)->inext;
    *pp = w->inext;
    w->inst->nwatches--;
    inode_put(w->inode);
    free(w);
}

static void inst_free(struct notify_inst *n)
{
    while (n->watches)
        unlink_watch(n->watches);
    close(n->fd);
    free(n);
}

/* Frees the instances whose guest end is closed; only done once no walk
 * over watches is under way. */
static void reap(struct vfs *v)
{
    for (struct notify_inst **pp = &v->notify; *pp;) {
        struct notify_inst *n = *pp;
        if (n->dead) {
            *pp = n->next;
            inst_free(n);
        } else {
            pp = &n->next;
        }
    }
}

void notify_free_all(struct vfs *v)
{
    while (v->notify) {
        struct notify_inst *n = v->notify;
        v->notify = n->next;
        inst_free(n);
    }
}

static void emit(struct notify_inst *n, int wd, uint32_t mask, uint32_t cookie, const char *name,
                 size_t len)
{
    if (n->dead)
        return;
    /* The name is NUL-padded to a multiple of the header's size, as Linux
     * does. */
    size_t hdr = sizeof(struct inotify_event);
    size_t padded = len ? (len + hdr) & ~(hdr - 1) : 0;
    char buf[sizeof(struct inotify_event) * 2 + NAME_MAX + 1];
    struct inotify_event *ev = (struct inotify_event *)buf;
    *ev = (struct inotify_event){.wd = wd, .mask = mask, .cookie = cookie, .len = (uint32_t)padded};
    memset(ev->name, 0, padded);
    if (len)
        memcpy(ev->name, name, len);
    if (send(n->fd, buf, hdr + padded, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EPIPE)
        n->dead = true;
}

/* Delivers mask to the watches of i that asked for it: with an entry's
 * name when i is the directory holding it, else about i itself. */
static void deliver(struct inode *i, uint32_t mask, uint32_t cookie, const char *name, size_t len,
                    bool isdir)
{
    for (struct watch *w = i->watches, *next; w; w = next) {
        next = w->nnext;
        if (!(w->mask & mask) || w->inst->dead)
            continue;
        emit(w->inst, w->wd, mask | (isdir ? IN_ISDIR : 0), cookie, name, len);
        if (w->mask & IN_ONESHOT) {
            emit(w->inst, w->wd, IN_IGNORED, 0, NULL, 0);
            unlink_watch(w);
        }
    }
}

void notify_entry(struct inode *dir, struct inode *child, const char *name, size_t len,
                  uint32_t mask, uint32_t cookie)
{
    if (!dir->vfs->notify)
        return;
    deliver(dir, mask, cookie, name, len, S_ISDIR(child->mode));
    reap(dir->vfs);
}

void notify_inode(struct inode *i, uint32_t mask)
{
    if (!i->vfs->notify)
        return;
    deliver(i, mask, 0, NULL, 0, S_ISDIR(i->mode));
    reap(i->vfs);
}

void notify_removed(struct inode *i)
{
    if (!i->vfs->notify)
        return;
    /* A file's link count changed; a directory just goes. */
    if (!S_ISDIR(i->mode))
        deliver(i, IN_ATTRIB, 0, NULL, 0, false);
    if (S_ISDIR(i->mode) ? i->dead : i->nlink == 0) {
        /* Every watch ends with IN_IGNORED, asked for or not. */
        deliver(i, IN_DELETE_SELF, 0, NULL, 0, false);
        while (i->watches) {
            struct watch *w = i->watches;
            emit(w->inst, w->wd, IN_IGNORED, 0, NULL, 0);
            unlink_watch(w);
        }
    }
    reap(i->vfs);
}

uint32_t notify_cookie(struct vfs *v)
{
    return v->notify ? ++v->notify_cookie : 0;
}

int vfs_inotify_init(struct vfs *v, bool nonblock, int *guest_end)
{
    reap(v);
    unsigned count = 0;
    for (struct notify_inst *n = v->notify; n; n = n->next)
        count++;
    if (count >= MAX_INSTANCES)
        return -EMFILE;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    struct notify_inst *n = calloc(1, sizeof *n);
    struct stat st;
    int r = !n ? -ENOMEM : fstat(sv[1], &st) < 0 ? -errno : 0;
    /* Reading only for the guest, writing only for the sentry. */
    if (r == 0 && (shutdown(sv[0], SHUT_RD) < 0 || shutdown(sv[1], SHUT_WR) < 0 ||
                   (nonblock && fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0)))
        r = -errno;
    if (r < 0) {
        free(n);
        close(sv[0]);
        close(sv[1]);
        return r;
    }
    n->dev = st.st_dev;
    n->ino = st.st_ino;
    n->fd = sv[0];
    n->next_wd = 1;
    n->next = v->notify;
    v->notify = n;
    *guest_end = sv[1];
    return 0;
}

static struct notify_inst *inst_of(struct vfs *v, const struct stat *st)
{
    reap(v);
    for (struct notify_inst *n = v->notify; n; n = n->next)
        if (n->dev == st->st_dev && n->ino == st->st_ino)
            return n;
    return NULL;
}

bool vfs_is_inotify(struct vfs *v, const struct stat *st)
{
    return inst_of(v, st) != NULL;
}

int vfs_inotify_add_watch(struct vfs *v, const struct stat *inst, struct inode *i, uint32_t mask)
{
    struct notify_inst *n = inst_of(v, inst);
    if (!n)
        return -EINVAL;
    struct watch *w = i->watches;
    while (w && w->inst != n)
        w = w->nnext;
    if (w) {
        if (mask & IN_MASK_CREATE)
            return -EEXIST;
        w->mask = (mask & IN_MASK_ADD) ? w->mask | mask : mask;
        return w->wd;
    }
    if (n->nwatches >= MAX_WATCHES)
        return -ENOSPC;
    if (!(w = calloc(1, sizeof *w)))
        return -ENOMEM;
    inode_get(i);
    *w = (struct watch){.inext = n->watches, .nnext = i->watches, .inst = n, .inode = i,
                        .wd = n->next_wd++, .mask = mask};
    n->watches = i->watches = w;
    n->nwatches++;
    return w->wd;
}

int vfs_inotify_rm_watch(struct vfs *v, const struct stat *inst, int wd)
{
    struct notify_inst *n = inst_of(v, inst);
    if (!n)
        return -EINVAL;
    for (struct watch *w = n->watches; w; w = w->inext) {
        if (w->wd == wd) {
            emit(n, wd, IN_IGNORED, 0, NULL, 0);
            unlink_watch(w);
            reap(v);
            return 0;
        }
    }
    return -EINVAL;
}
