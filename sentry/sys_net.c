/* sentry/sys_net.c — the socket calls that name an address: connect, bind,
 * sendto with an address, getsockname/getpeername, and the sockets a guest
 * may not create natively (netlink).
 *
 * The sentry copies the address out of guest memory once, re-validates the
 * call, resolves AF_UNIX paths in the VFS (a path never reaches the host's
 * filesystem), and hands net/ a host copy of the guest's socket to act on:
 * the socket keeps the guest's network namespace whoever connects it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/net.h"
#include "sentry/args.h"
#include "sentry/syscalls.h"
#include "util/cleanup.h"

/* sendto with an address copies the data through here (under the session
 * lock): a datagram larger than this is refused with EMSGSIZE. */
#define SENDTO_MAX 65536

/* Joins the guest's network namespace on the first network call, through
 * the calling task (re-validated after its /proc entries were opened, so a
 * recycled pid cannot lend its namespace). A failure leaves loopback only. */
static void net_ready(struct session *s, const struct call *c)
{
    if (net_attached(s->net))
        return;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)c->tid);
    _cleanup_close_ int userns = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)c->tid);
    _cleanup_close_ int netns = open(path, O_RDONLY | O_CLOEXEC);
    if (userns >= 0 && netns >= 0 && call_still_valid(c))
        net_attach(s->net, userns, netns);
}

static int guest_socket(const struct call *c, int fd)
{
    int h = guest_fd_dup(c, fd);
    if (h < 0)
        return h;
    int domain;
    socklen_t l = sizeof domain;
    if (getsockopt(h, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0) {
        close(h);
        return -ENOTSOCK;
    }
    return h;
}

static int read_sockaddr(const struct call *c, int k, uint64_t len, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if ((int64_t)len < 0 || len > sizeof *ss)
        return -EINVAL;
    if (len && guest_read(call_task(c)->mem, c->args[k], ss, len) < 0)
        return -EFAULT;
    return call_still_valid(c) ? 0 : -EINTR;
}

/* The path of an AF_UNIX address (not abstract, not empty) into buf
 * (sizeof sun_path + 1 bytes; guest_addr has bounded len): false for any
 * other address. */
static bool unix_path(const struct sockaddr_storage *ss, socklen_t len, char *buf)
{
    const struct sockaddr_un *un = (const void *)ss;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (ss->ss_family != AF_UNIX || len <= off || !un->sun_path[0])
        return false;
    size_t n = strnlen(un->sun_path, len - off);
    memcpy(buf, un->sun_path, n);
    buf[n] = 0;
    return true;
}

/* The address argument at k and its length at k + 1 (connect, bind:
 * 1 and 2; sendto: 4 and 5), read once. An AF_UNIX address longer than
 * struct sockaddr_un is EINVAL, as unix(7) says, before anything reads
 * its path: sockaddr_storage has room past sun_path. */
static int guest_addr(struct session *s, const struct call *c, int k,
                      struct sockaddr_storage *ss, socklen_t *len)
{
    int r = read_sockaddr(c, k, c->args[k + 1], ss);
    if (r < 0)
        return r;
    *len = (socklen_t)c->args[k + 1];
    if (ss->ss_family == AF_UNIX && *len > sizeof(struct sockaddr_un))
        return -EINVAL;
    net_ready(s, c);
    return 0;
}

/* Replaces a guest AF_UNIX path by the real socket file of its VFS inode,
 * with connect(2)'s errnos for what the path names. */
static int unix_translate(struct session *s, const struct call *c, struct sockaddr_storage *ss,
                          socklen_t *len)
{
    char path[sizeof ((struct sockaddr_un *)0)->sun_path + 1];
    if (!unix_path(ss, *len, path))
        return 0;
    struct inode *start;
    int r = arg_start(s, c, AT_FDCWD, path, &start);
    if (r < 0)
        return r;
    struct stat st;
    r = vfs_statat(s->vfs, start, path, 0, &s->cred, &st);
    if (r == 0 && !S_ISSOCK(st.st_mode))
        r = -ECONNREFUSED;
    if (r == 0)
        r = vfs_accessat(s->vfs, start, path, W_OK, 0, &s->cred);
    inode_put(start);
    if (r == 0)
        net_unix_addr(s->net, (unsigned long)st.st_ino, ss, len);
    return r;
}

long sys_connect(struct session *s, struct call *c)
{
    _cleanup_close_ int sock = guest_socket(c, arg_int(c, 0));
    if (sock < 0)
        return sock;
    struct sockaddr_storage ss;
    socklen_t len;
    int r = guest_addr(s, c, 1, &ss, &len);
    if (r < 0 || (r = unix_translate(s, c, &ss, &len)) < 0)
        return r;
    return net_connect(s->net, c->tid, sock, (struct sockaddr *)&ss, len);
}

long sys_bind(struct session *s, struct call *c)
{
    _cleanup_close_ int sock = guest_socket(c, arg_int(c, 0));
    if (sock < 0)
        return sock;
    struct sockaddr_storage ss;
    socklen_t len;
    int r = guest_addr(s, c, 1, &ss, &len);
    if (r < 0)
        return r;
    char path[sizeof ((struct sockaddr_un *)0)->sun_path + 1];
    if (!unix_path(&ss, len, path))
        return net_bind(s->net, c->tid, sock, (struct sockaddr *)&ss, len);
    int domain;
    socklen_t l = sizeof domain;
    if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0 || domain != AF_UNIX)
        return -EINVAL;
    struct inode *start;
    if ((r = arg_start(s, c, AT_FDCWD, path, &start)) < 0)
        return r;
    ino_t ino;
    r = vfs_mksockat(s->vfs, start, path, 0777 & ~call_task(c)->fs->umask, &s->cred, &ino);
    if (r == 0 && (r = net_unix_bind(s->net, sock, (unsigned long)ino, path)) < 0)
        vfs_unlinkat(s->vfs, start, path, 0, &s->cred);
    inode_put(start);
    return r;
}

long sys_sendto(struct session *s, struct call *c)
{
    static char data[SENDTO_MAX];
    _cleanup_close_ int sock = guest_socket(c, arg_int(c, 0));
    if (sock < 0)
        return sock;
    size_t len = (size_t)c->args[2];
    if (len > sizeof data)
        return -EMSGSIZE;
    /* The payload first: guest_addr's read ends with the notification's
     * validity check, which must follow every read of guest memory. */
    if (len && guest_read(call_task(c)->mem, c->args[1], data, len) < 0)
        return -EFAULT;
    struct sockaddr_storage ss;
    socklen_t salen;
    int r = guest_addr(s, c, 4, &ss, &salen);
    if (r < 0)
        return r;
    if ((r = unix_translate(s, c, &ss, &salen)) < 0)
        return r;
    return net_sendto(s->net, c->tid, sock, data, len, arg_int(c, 3), (struct sockaddr *)&ss,
                      salen);
}

static long sockname(struct session *s, struct call *c, bool peer)
{
    _cleanup_close_ int sock = guest_socket(c, arg_int(c, 0));
    if (sock < 0)
        return sock;
    int want;
    if (guest_read(call_task(c)->mem, c->args[2], &want, sizeof want) < 0)
        return -EFAULT;
    if (!call_still_valid(c))
        return -EINTR;
    if (want < 0)
        return -EINVAL;
    struct sockaddr_storage ss;
    socklen_t len;
    int r = net_sockname(s->net, sock, peer, &ss, &len);
    if (r < 0)
        return r;
    /* As the kernel: the address is truncated to the buffer, the length
     * says how long it really is. */
    if (put_guest(c, 1, &ss, (size_t)want < len ? (size_t)want : len) < 0)
        return -EFAULT;
    int full = (int)len;
    return put_guest(c, 2, &full, sizeof full);
}

long sys_getsockname(struct session *s, struct call *c) { return sockname(s, c, false); }
long sys_getpeername(struct session *s, struct call *c) { return sockname(s, c, true); }

long sys_socket_create(struct session *s, struct call *c)
{
    int domain = arg_int(c, 0), type = arg_int(c, 1), proto = arg_int(c, 2);
    if (domain != AF_NETLINK || proto != NETLINK_ROUTE)
        return sys_socket(s, c);
    net_ready(s, c);
    int fd = net_socket(s->net, domain, type & ~SOCK_CLOEXEC, proto);
    if (fd < 0)
        return fd;
    return call_install_fd(c, fd, (type & SOCK_CLOEXEC) ? O_CLOEXEC : 0);
}
