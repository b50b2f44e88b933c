/* sentry/file_audit.c — file events, emitted after the VFS answered a file
 * call: open for write, create, delete, rename, denied access, and every
 * open of a canary.
 * Only called when events_enabled(): an allowed call pays one load when
 * nobody listens. Paths are reported absolute, as the guest would see
 * them, so a reader need not know the task's cwd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/canary.h"
#include "sentry/sentry.h"

/* start + path as one absolute guest path (path as given when the
 * directory's own path is unknown, e.g. removed). */
static const char *absolute(struct session *s, struct inode *start, const char *path, char *buf,
                            size_t size)
{
    if (path[0] == '/' || !start)
        return path;
    ssize_t n = vfs_dir_path(s->vfs, start, buf, size);
    if (n <= 0 || (size_t)n + strlen(path) + 1 > size)
        return path;
    snprintf(buf + n - 1, size - (size_t)n + 1, "%s%s", n == 2 ? "" : "/", path);
    return buf;
}

static bool denied(int r) { return r == -EACCES || r == -EPERM || r == -EROFS; }

static bool is_canary(struct session *s, int hostfd)
{
    struct stat st;
    if (!canary_count() || hostfd < 0 || fstat(hostfd, &st) < 0)
        return false;
    struct inode *i = vfs_inode_of(s->vfs, &st);
    return i && (vfs_inode_flags(i) & VFS_INODE_CANARY);
}

void audit_open(struct session *s, const struct call *c, struct inode *start, const char *path,
                int flags, bool existed, int r, int hostfd)
{
    bool write = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
    bool canary = r >= 0 && is_canary(s, hostfd);
    if (!write && !canary && !denied(r))
        return;
    char buf[PATH_MAX];
    const char *abs = absolute(s, start, path, buf, sizeof buf);
    if (canary)
        event_canary(c, CANARY_READ, abs, NULL);
    if (denied(r))
        event_file(c, FILE_DENIED, abs, NULL, -r);
    else if (r >= 0 && write)
        event_file(c, (flags & O_CREAT) && !existed ? FILE_CREATE : FILE_OPEN_WRITE, abs, NULL, 0);
}

void audit_path(struct session *s, const struct call *c, enum event_file_op op,
                struct inode *start, const char *path, struct inode *start2, const char *path2,
                int r)
{
    if (r < 0 && !denied(r))
        return;
    char buf[PATH_MAX], buf2[PATH_MAX];
    const char *abs = absolute(s, start, path, buf, sizeof buf);
    const char *abs2 = path2 ? absolute(s, start2, path2, buf2, sizeof buf2) : NULL;
    event_file(c, r < 0 ? FILE_DENIED : op, abs, abs2, r < 0 ? -r : 0);
}
