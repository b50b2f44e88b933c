/* net/socket.c — the decision for every address a guest socket is pointed
 * at, and carrying it out on the guest's socket.
 *
 * Loopback stays inside the guest's network namespace (guest processes
 * serve each other; the host's own 127.0.0.1 is another namespace and
 * unreachable), except the sentry's own listeners there. A granted address
 * is joined to the proxy. Everything else is ENETUNREACH with an event.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/internal.h"
#include "sentry/events.h"

/* A connect that does not complete at once (a full backlog, a lost SYN on
 * loopback) waits this long on the sentry's single dispatch thread. */
#define CONNECT_WAIT_MS 1000

const char *sa_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    char a[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr_in *in = (const void *)sa;
    const struct sockaddr_in6 *in6 = (const void *)sa;
    const struct sockaddr_un *un = (const void *)sa;
    size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                      ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    switch (sa->sa_family) {
    case AF_INET:
        inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
        snprintf(buf, size, "%s:%u", a, ntohs(in->sin_port));
        break;
    case AF_INET6:
        inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
        snprintf(buf, size, "[%s]:%u", a, ntohs(in6->sin6_port));
        break;
    case AF_UNIX:
        if (plen && !un->sun_path[0])
            snprintf(buf, size, "unix:@%.*s", (int)plen - 1, un->sun_path + 1);
        else
            snprintf(buf, size, "unix:%.*s", (int)strnlen(un->sun_path, plen), un->sun_path);
        break;
    default:
        snprintf(buf, size, "family %d", sa->sa_family);
    }
    return buf;
}

int connect_now(int sock, const struct sockaddr *sa, socklen_t len)
{
    int fl = fcntl(sock, F_GETFL);
    if (fl < 0)
        return -errno;
    if (fl & O_NONBLOCK)
        return connect(sock, sa, len) < 0 ? -errno : 0;
    /* The guest waits for the result; the sentry must not wait long. The
     * open file is the guest's, so its flags are put back at once. */
    fcntl(sock, F_SETFL, fl | O_NONBLOCK);
    int r = connect(sock, sa, len) < 0 ? -errno : 0;
    fcntl(sock, F_SETFL, fl);
    if (r != -EINPROGRESS)
        return r;
    struct pollfd p = { .fd = sock, .events = POLLOUT };
    if (poll(&p, 1, CONNECT_WAIT_MS) != 1)
        return -ETIMEDOUT;
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
        return -errno;
    return -err;
}

/* The proxy's listeners: reachable only through a grant. */
static bool is_proxy(const struct net *n, const struct sockaddr *sa)
{
    struct in_addr a;
    uint16_t port;
    if (sa_ipv4(sa, &a, &port))
        return n->listen4 >= 0 && a.s_addr == n->proxy4.sin_addr.s_addr &&
               port == ntohs(n->proxy4.sin_port);
    const struct sockaddr_in6 *in6 = (const void *)sa;
    return n->listen6 >= 0 && in6->sin6_port == n->proxy6.sin6_port;
}

static int min_len(int family)
{
    switch (family) {
    case AF_INET: return sizeof(struct sockaddr_in);
    case AF_INET6: return sizeof(struct sockaddr_in6);
    default: return (int)sizeof(sa_family_t);
    }
}

enum verdict { V_LOCAL, V_GRANT, V_DENY, V_SENTRY };

static enum verdict judge(const struct net *n, const struct sockaddr *sa, socklen_t len,
                          const struct grant **g)
{
    if ((int)len < min_len(sa->sa_family))
        return V_LOCAL;   /* the kernel answers EINVAL */
    switch (sa->sa_family) {
    case AF_INET:
    case AF_INET6:
        if (sa_local(sa))
            return is_proxy(n, sa) ? V_SENTRY : V_LOCAL;
        *g = grant_match(n, sa);
        return *g ? V_GRANT : V_DENY;
    case AF_UNSPEC:
    case AF_UNIX:
    case AF_NETLINK:
        return V_LOCAL;
    default:
        return V_DENY;
    }
}

static int sock_type(int sock)
{
    int t = 0;
    socklen_t l = sizeof t;
    return getsockopt(sock, SOL_SOCKET, SO_TYPE, &t, &l) < 0 ? -errno : t;
}

int net_connect(struct net *n, pid_t tid, int sock, const struct sockaddr *sa, socklen_t len)
{
    char where[160];
    const struct grant *g = NULL;
    switch (judge(n, sa, len, &g)) {
    case V_LOCAL:
        return connect_now(sock, sa, len);
    case V_SENTRY:
        net_event(n, tid, NET_BLOCK, "connect denied (the sentry's proxy)",
                  sa_format(sa, len, where, sizeof where), ECONNREFUSED);
        return -ECONNREFUSED;
    case V_GRANT:
        if (sock_type(sock) == SOCK_STREAM) {
            int r = proxy_join(n, sock, g, sa, len);
            bool ok = r == 0 || r == -EINPROGRESS;   /* a non-blocking socket's */
            char detail[400];
            snprintf(detail, sizeof detail, "%s (%s)", sa_format(sa, len, where, sizeof where),
                     g->label);
            net_event(n, tid, ok ? NET_CONNECT : NET_BLOCK, ok ? "connect granted" : "connect to grant failed", detail,
                      ok ? 0 : -r);
            return r;
        }
        break;   /* grants are TCP */
    case V_DENY:
        break;
    }
    net_event(n, tid, NET_BLOCK, "connect denied", sa_format(sa, len, where, sizeof where),
              ENETUNREACH);
    return -ENETUNREACH;
}

ssize_t net_sendto(struct net *n, pid_t tid, int sock, const void *buf, size_t len, int flags,
                   const struct sockaddr *sa, socklen_t salen)
{
    char where[160];
    flags |= MSG_NOSIGNAL | MSG_DONTWAIT;
    int type = sock_type(sock);
    if (type == SOCK_STREAM) {
        /* A stream socket ignores the address, except that TCP Fast Open
         * would connect with it behind the sentry's back. */
        if (flags & MSG_FASTOPEN) {
            net_event(n, tid, NET_BLOCK, "sendto denied (TCP Fast Open)",
                      sa_format(sa, salen, where, sizeof where), EOPNOTSUPP);
            return -EOPNOTSUPP;
        }
        sa = NULL;
        salen = 0;
    } else {
        const struct grant *g = NULL;
        enum verdict v = judge(n, sa, salen, &g);
        if (v != V_LOCAL) {
            int err = v == V_SENTRY ? ECONNREFUSED : ENETUNREACH;
            net_event(n, tid, NET_BLOCK, "sendto denied", sa_format(sa, salen, where, sizeof where),
                      err);
            return -err;
        }
    }
    ssize_t r = sendto(sock, buf, len, flags, sa, salen);
    return r < 0 ? -errno : r;
}

int net_bind(struct net *n, pid_t tid, int sock, const struct sockaddr *sa, socklen_t len)
{
    (void)n;
    (void)tid;
    const struct sockaddr_un *un = (const void *)sa;
    /* A path here would name a file of the host's (net_unix_bind takes them). */
    if (sa->sa_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path) &&
        un->sun_path[0])
        return -EINVAL;
    /* The sentry may bind low ports in the guest's namespace; the guest,
     * which holds no capability, may not. */
    struct in_addr a;
    uint16_t port = 0;
    const struct sockaddr_in6 *in6 = (const void *)sa;
    if ((int)len >= min_len(sa->sa_family)) {
        if (!sa_ipv4(sa, &a, &port) && sa->sa_family == AF_INET6)
            port = ntohs(in6->sin6_port);
        if (port && port < 1024 && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
            return -EACCES;
    }
    return bind(sock, sa, len) < 0 ? -errno : 0;
}

/* ---- AF_UNIX path sockets ------------------------------------------------ */

static void unix_host_path(const struct net *n, unsigned long ino, struct sockaddr_un *un)
{
    un->sun_family = AF_UNIX;
    snprintf(un->sun_path, sizeof un->sun_path, "%s/%lu", n->sock_dir, ino);
}

void net_unix_addr(struct net *n, unsigned long ino, struct sockaddr_storage *out, socklen_t *len)
{
    struct sockaddr_un *un = (void *)out;
    memset(out, 0, sizeof *out);
    unix_host_path(n, ino, un);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un->sun_path) + 1);
}

int net_unix_bind(struct net *n, int sock, unsigned long ino, const char *guest_path)
{
    struct sockaddr_storage ss;
    socklen_t len;
    net_unix_addr(n, ino, &ss, &len);
    struct sockaddr_un *un = (void *)&ss;
    /* A socket file left by an inode of the same number that was unlinked. */
    unlink(un->sun_path);
    if (bind(sock, (struct sockaddr *)&ss, len) < 0)
        return -errno;
    struct unix_name *u = malloc(sizeof *u);
    if (!u || !(u->path = strdup(guest_path))) {
        free(u);
        return -ENOMEM;
    }
    for (struct unix_name **p = &n->unames; *p; p = &(*p)->next)
        if ((*p)->ino == ino) {
            struct unix_name *old = *p;
            *p = old->next;
            free(old->path);
            free(old);
            break;
        }
    u->ino = ino;
    u->next = n->unames;
    n->unames = u;
    return 0;
}

/* A real AF_UNIX name in the socket directory -> the guest path. */
static void unix_to_guest(const struct net *n, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_un *un = (void *)ss;
    size_t dl = strlen(n->sock_dir);
    if (*len <= offsetof(struct sockaddr_un, sun_path) || strncmp(un->sun_path, n->sock_dir, dl) ||
        un->sun_path[dl] != '/')
        return;
    unsigned long ino = strtoul(un->sun_path + dl + 1, NULL, 10);
    const char *path = "";
    for (const struct unix_name *u = n->unames; u; u = u->next)
        if (u->ino == ino)
            path = u->path;
    snprintf(un->sun_path, sizeof un->sun_path, "%s", path);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un->sun_path) + 1);
}

int net_sockname(struct net *n, int sock, bool peer, struct sockaddr_storage *out, socklen_t *len)
{
    *len = sizeof *out;
    memset(out, 0, sizeof *out);
    int r = peer ? getpeername(sock, (struct sockaddr *)out, len)
                 : getsockname(sock, (struct sockaddr *)out, len);
    if (r < 0)
        return -errno;
    if (out->ss_family == AF_UNIX) {
        unix_to_guest(n, out, len);
        return 0;
    }
    struct stat st;
    if (!peer || fstat(sock, &st) < 0)
        return 0;
    pthread_mutex_lock(&n->lock);
    for (const struct conn *c = n->conns; c; c = c->next)
        if (c->ino == (unsigned long)st.st_ino) {
            memcpy(out, &c->asked, c->asked_len);
            *len = c->asked_len;
            break;
        }
    pthread_mutex_unlock(&n->lock);
    return 0;
}

int net_socket(struct net *n, int domain, int type, int protocol)
{
    if (!n->attached)
        return -ENETDOWN;
    return netns_socket(n->chan, domain, type, protocol);
}
