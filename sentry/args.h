/* sentry/args.h — turning a call's raw arguments into VFS inputs.
 * Guest strings are copied once, then the call is re-validated before the
 * sentry acts on what it read. */
#ifndef CORDON_SENTRY_ARGS_H
#define CORDON_SENTRY_ARGS_H

#include <limits.h>
#include <sys/stat.h>

#include "sentry/sentry.h"

static inline struct task *call_task(const struct call *c) { return c->task; }
static inline int arg_int(const struct call *c, int k) { return (int)c->args[k]; }

/* Copies the path at args[k] into buf (PATH_MAX): -EFAULT, -ENAMETOOLONG,
 * or -EINTR when the call was abandoned meanwhile. */
int arg_path(const struct call *c, int k, char *buf);

/* Where a path is resolved from: the cwd for AT_FDCWD or any absolute
 * path, else the directory the guest fd refers to (-EBADF, -ENOTDIR).
 * *out carries a reference. */
int arg_start(struct session *s, const struct call *c, int dirfd, const char *path,
              struct inode **out);

/* A host copy of the guest's fd (pidfd_getfd): caller closes; -EBADF. */
int guest_fd_dup(const struct call *c, int fd);

/* The guest-visible stat of what guest fd refers to; *inode (optional) gets
 * the VFS inode (borrowed) or NULL for foreign objects. */
int guest_fd_stat(struct session *s, const struct call *c, int fd, struct stat *out,
                  struct inode **inode);

/* Copies a result to guest memory at args[k]. */
int put_guest(const struct call *c, int k, const void *buf, size_t len);


/* A (dirfd, path) pair read from a call, released at scope exit:
 *   PATHAT p = {0};
 *   int r = pathat_get(s, c, dirfd, k, &p);   // -ENOENT for an empty path
 */
struct pathat {
    struct inode *start;
    char path[PATH_MAX];
};
static inline void pathat_done(struct pathat *p)
{
    if (p->start)
        inode_put(p->start);
}
#define PATHAT __attribute__((cleanup(pathat_done))) struct pathat
int pathat_get(struct session *s, const struct call *c, int dirfd, int k, struct pathat *p);

#endif
