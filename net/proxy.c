/* net/proxy.c — granted connections, joined to an upstream opened from the
 * host side.
 *
 * The guest's socket is connected (by the sentry) to a listener the sentry
 * owns inside the guest's network namespace; the proxy accepts it, knows
 * the grant from the guest's local port, opens the upstream from the host's
 * namespace and relays bytes both ways. The guest keeps a real TCP socket
 * (its socket options keep working), and never learns the upstream's real
 * address. One thread per connection: it accepts the TLS handshake and
 * opens the upstream (both block), then relays. A plain TCP grant's bytes
 * move on an io_uring of the relay's own (relay_uring.c); TLS-intercepting
 * and HTTP-judging grants relay with poll() and a 64 KiB buffer each way.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "net/internal.h"
#include "net/dlp.h"
#include "sentry/events.h"
#include "util/cleanup.h"


static uint16_t local_port(int sock, int *family)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    if (getsockname(sock, (struct sockaddr *)&ss, &l) < 0)
        return 0;
    *family = ss.ss_family;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

static void conn_drop(struct net *n, unsigned long ino)
{
    pthread_mutex_lock(&n->lock);
    for (struct conn **p = &n->conns; *p; p = &(*p)->next)
        if ((*p)->ino == ino && !(*p)->taken) {
            struct conn *c = *p;
            *p = c->next;
            free(c);
            break;
        }
    pthread_mutex_unlock(&n->lock);
}

int proxy_join(struct net *n, int sock, const struct grant *g, const struct sockaddr *asked,
               socklen_t len)
{
    /* The proxy listener of the guest socket's own family: a v4-mapped
     * address reaches the IPv4 listener through ::ffff:127.0.0.1. */
    struct sockaddr_storage to = { 0 };
    socklen_t tolen;
    struct in_addr a4;
    uint16_t port;
    bool v4 = sa_ipv4(asked, &a4, &port);
    if (asked->sa_family == AF_INET) {
        memcpy(&to, &n->proxy4, sizeof n->proxy4);
        tolen = sizeof n->proxy4;
    } else {
        struct sockaddr_in6 *in6 = (void *)&to;
        if (v4) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = n->proxy4.sin_port;
            in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff;
            memcpy(&in6->sin6_addr.s6_addr[12], &n->proxy4.sin_addr, 4);
        } else {
            *in6 = n->proxy6;
        }
        tolen = sizeof *in6;
    }
    if ((v4 ? n->listen4 : n->listen6) < 0)
        return -ENETUNREACH;
    /* Bind first, so the proxy can never accept the connection before the
     * table knows which grant it belongs to. */
    int family = 0;
    if (local_port(sock, &family) == 0) {
        struct sockaddr_storage lo = to;
        if (lo.ss_family == AF_INET)
            ((struct sockaddr_in *)&lo)->sin_port = 0;
        else
            ((struct sockaddr_in6 *)&lo)->sin6_port = 0;
        if (bind(sock, (struct sockaddr *)&lo, tolen) < 0)
            return -errno;
    }
    struct stat st;
    if (fstat(sock, &st) < 0)
        return -errno;
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->ino = (unsigned long)st.st_ino;
    c->guest = c->up = -1;
    c->local_port = local_port(sock, &c->family);
    c->grant = g;
    memcpy(&c->asked, asked, len);
    c->asked_len = len;
    conn_drop(n, c->ino);   /* a socket connected twice keeps the last */
    pthread_mutex_lock(&n->lock);
    c->next = n->conns;
    n->conns = c;
    pthread_mutex_unlock(&n->lock);
    int r = connect_now(sock, (struct sockaddr *)&to, tolen);
    if (r < 0 && r != -EINPROGRESS)
        conn_drop(n, c->ino);
    return r;
}

/* Where the upstream of a connection is: getaddrinfo of the grant's
 * upstream (or host) and port. `numeric`: only when that is an address,
 * never a lookup that could block. 0 or -EHOSTUNREACH. */
static int upstream_addrs(const struct grant *g, const struct sockaddr *asked, bool numeric,
                          struct addrinfo **res)
{
    struct in_addr a4;
    uint16_t port = 0;
    if (!sa_ipv4(asked, &a4, &port))
        port = ntohs(((const struct sockaddr_in6 *)asked)->sin6_port);
    char service[8];
    snprintf(service, sizeof service, "%u", g->up_port ? g->up_port : port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0) };
    return getaddrinfo(g->up_host ? g->up_host : g->host, service, &hints, res) ? -EHOSTUNREACH
                                                                                : 0;
}

void upstream_failed(struct net *n, const struct conn *c, int err)
{
    char where[160];
    net_event(n, 0, NET_BLOCK, "upstream failed",
              sa_format((const struct sockaddr *)&c->asked, c->asked_len, where, sizeof where),
              err);
}

/* Opens the upstream from the host side: a socket or -errno. */
static int upstream_open(const struct grant *g, const struct sockaddr *asked)
{
    struct addrinfo *res;
    if (upstream_addrs(g, asked, false, &res) < 0)
        return -EHOSTUNREACH;
    int r = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s < 0)
            continue;
        if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
            struct pollfd p = { .fd = s, .events = POLLOUT };
            int err = ETIMEDOUT;
            socklen_t l = sizeof err;
            if (poll(&p, 1, UPSTREAM_CONNECT_MS) == 1)
                getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l);
            if (err == 0) {
                r = s;
                break;
            }
            r = -err;
        } else {
            r = -errno;
        }
        close(s);
    }
    freeaddrinfo(res);
    return r;
}

struct relay {
    struct net *n;
    struct conn *c;   /* its table entry, removed by the relay at its end */
};

/* One side of a relay: a socket, and its TLS when the grant intercepts.
 * Both sockets are non-blocking once their handshakes are done: a TLS
 * record that carries no data (a session ticket) must not park the relay
 * in SSL_read while the other side waits for it. */
struct io {
    int fd;
    SSL *ssl;
};

static void io_nonblock(struct io *io)
{
    fcntl(io->fd, F_SETFL, fcntl(io->fd, F_GETFL) | O_NONBLOCK);
}

/* > 0 bytes, 0 at the end, -1 with errno (EAGAIN: nothing yet). */
static ssize_t io_read(struct io *io, char *buf, size_t len)
{
    if (!io->ssl)
        return read(io->fd, buf, len);
    int r = SSL_read(io->ssl, buf, (int)len);
    if (r > 0)
        return r;
    int err = SSL_get_error(io->ssl, r);
    ERR_clear_error();
    if (err == SSL_ERROR_ZERO_RETURN)
        return 0;
    errno = err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? EAGAIN : EIO;
    return -1;
}

/* Waits until fd can take more (or, TLS renegotiating, has more). */
static void io_wait(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    poll(&p, 1, -1);
}

static bool io_write_all(struct io *io, const char *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        if (io->ssl) {
            int w = SSL_write(io->ssl, buf + off, (int)(len - off));
            if (w > 0) {
                off += (size_t)w;
                continue;
            }
            int err = SSL_get_error(io->ssl, w);
            ERR_clear_error();
            if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ)
                return false;
            io_wait(io->fd, err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN);
            continue;
        }
        ssize_t w = write(io->fd, buf + off, len - off);
        if (w >= 0)
            off += (size_t)w;
        else if (errno == EAGAIN)
            io_wait(io->fd, POLLOUT);
        else if (errno != EINTR)
            return false;
    }
    return true;
}

/* Ends what flows into this side (TLS: close_notify first). */
static void io_end(struct io *io)
{
    if (io->ssl)
        SSL_shutdown(io->ssl);
    shutdown(io->fd, SHUT_WR);
    ERR_clear_error();
}

/* Data already decrypted and waiting: poll(2) cannot see it. */
static bool io_pending(struct io *io)
{
    return io->ssl && SSL_has_pending(io->ssl);
}

/* Polls both sides, counting TLS data held inside OpenSSL as readable. */
static int io_poll(struct io io[2], const bool want[2], bool ready[2])
{
    struct pollfd p[2];
    bool pending = false;
    for (int k = 0; k < 2; k++) {
        p[k] = (struct pollfd){ .fd = want[k] ? io[k].fd : -1, .events = POLLIN };
        pending |= want[k] && io_pending(&io[k]);
    }
    if (poll(p, 2, pending ? 0 : -1) < 0 && errno != EINTR)
        return -1;
    for (int k = 0; k < 2; k++)
        ready[k] = want[k] && (p[k].revents || io_pending(&io[k]));
    return 0;
}

/* Moves what is readable from `from` to `to`; false at EOF or error. */
static bool pump(struct io *from, struct io *to, char *buf)
{
    ssize_t got = io_read(from, buf, RELAY_BUF);
    if (got <= 0)
        return got < 0 && (errno == EAGAIN || errno == EINTR);
    return io_write_all(to, buf, (size_t)got);
}

/* Opens the upstream (and its TLS) for the relay: 0, or -1 with *why. */
static int open_for(struct net *n, struct conn *c, struct io *up, const char **why)
{
    int fd = upstream_open(c->grant, (struct sockaddr *)&c->asked);
    if (fd < 0) {
        *why = "the upstream cannot be reached";
        upstream_failed(n, c, -fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    pthread_mutex_lock(&n->lock);
    c->up = fd;
    pthread_mutex_unlock(&n->lock);
    up->fd = fd;
    if (c->grant->intercept && !(up->ssl = tls_connect(c->grant, fd, why))) {
        char detail[400];
        snprintf(detail, sizeof detail, "%s (%s): %s", c->grant->host, c->grant->label, *why);
        net_event(n, 0, NET_BLOCK, "upstream TLS refused", detail, 0);
        return -1;
    }
    io_nonblock(up);
    return 0;
}

/* The event of a scan hit: the kind, which secret by name (never its
 * value), how it was carried. */
static void dlp_event(struct net *n, const struct grant *g, const struct dlp_hit *hit)
{
    char what[64], detail[400];
    snprintf(what, sizeof what, "%s in egress", hit->kind);
    snprintf(detail, sizeof detail, "%s (%s): a %s%s%s (%s)", g->host, g->label, hit->kind,
             *hit->name ? " " : "", hit->name, hit->how);
    net_event(n, 0, NET_BLOCK, what, detail, 0);
}

bool raw_scan_hit(struct net *n, const struct conn *c, struct scan_tail *t, const char *buf,
                  size_t len)
{
    if (!dlp_active(n->dlp))
        return false;
    size_t total = t->len + len;
    char *joined = malloc(total);
    if (!joined)
        return true;   /* unscanned bytes never go on */
    memcpy(joined, t->data, t->len);
    memcpy(joined + t->len, buf, len);
    struct dlp_hit hit;
    bool found = dlp_scan(n->dlp, joined, total, &hit);
    size_t keep = total < DLP_WINDOW ? total : DLP_WINDOW;
    memcpy(t->data, joined + total - keep, keep);
    t->len = keep;
    free(joined);
    if (found)
        dlp_event(n, c->grant, &hit);
    return found;
}

/* Guest to upstream on a raw grant: a read that completes a canary token
 * cuts the connection before its bytes go on. */
static bool pump_scanned(struct net *n, struct conn *c, struct io *from, struct io *to,
                         char *buf, struct scan_tail *tail)
{
    ssize_t got = io_read(from, buf, RELAY_BUF);
    if (got <= 0)
        return got < 0 && (errno == EAGAIN || errno == EINTR);
    return !raw_scan_hit(n, c, tail, buf, (size_t)got) && io_write_all(to, buf, (size_t)got);
}

/* Bytes both ways, untouched (decrypted and re-encrypted when the grant
 * intercepts TLS) but for the canary scan of what the guest sends. Plain
 * TCP moves on the session's io_uring (relay_uring.c): true, the
 * connection is handed over. TLS, or no ring, relays here with poll. */
static bool relay_raw(struct net *n, struct conn *c, struct io io[2], char *bufs)
{
    const char *why;
    if (open_for(n, c, &io[1], &why) < 0)
        return false;
    if (!io[0].ssl && uring_adopt(n, c))
        return true;
    struct scan_tail tail = { .len = 0 };
    bool open_in[2] = { true, true }, ready[2];
    while ((open_in[0] || open_in[1]) && io_poll(io, open_in, ready) == 0)
        for (int k = 0; k < 2; k++) {
            if (!ready[k])
                continue;
            bool more = k == 0 ? pump_scanned(n, c, &io[0], &io[1], bufs, &tail)
                               : pump(&io[1], &io[0], bufs + RELAY_BUF);
            if (!more) {
                open_in[k] = false;
                io_end(&io[!k]);
            }
        }
    return false;
}

struct http_ctx {
    struct net *n;
    struct conn *c;
};

static void http_allowed(void *arg, const char *line)
{
    struct http_ctx *x = arg;
    char detail[400];
    snprintf(detail, sizeof detail, "%s (%s)", line, x->c->grant->label);
    net_event(x->n, 0, NET_HTTP, "http allowed", detail, 0);
}

/* A grant with "http" rules: requests are parsed, judged one by one and
 * re-serialised upstream; the upstream is opened at the first request that
 * passes, so a refused first request never reaches it. A refused request
 * ends the connection: the responses to the requests before it are let
 * through first, then the refusal. */
static void relay_http(struct net *n, struct conn *c, struct io io[2], char *bufs)
{
    struct http_ctx ctx = { n, c };
    struct http_flow *f = http_flow_new(c->grant->http, n->dlp, http_allowed, &ctx);
    struct buf out = { 0 }, refusal = { 0 };
    bool want[2] = { true, false }, ready[2];
    while (f && (want[0] || want[1]) && io_poll(io, want, ready) == 0) {
        if (ready[1] && !pump(&io[1], &io[0], bufs + RELAY_BUF)) {
            want[1] = false;
            if (!refusal.len)
                io_end(&io[0]);
        }
        if (!ready[0])
            continue;
        ssize_t got = io_read(&io[0], bufs, RELAY_BUF);
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (got <= 0) {
            want[0] = false;
            if (io[1].fd >= 0)
                io_end(&io[1]);
            continue;
        }
        const char *why = NULL, *line = "";
        int v = http_flow_feed(f, bufs, (size_t)got, &out, &why, &line);
        if (out.len && io[1].fd < 0) {
            const char *fail;
            if (open_for(n, c, &io[1], &fail) < 0) {
                http_refusal(&refusal, 502, fail, line);
                break;
            }
            want[1] = true;
        }
        if (out.len && !io_write_all(&io[1], out.data, out.len))
            break;
        out.len = 0;
        if (v != 0) {
            char detail[600];
            snprintf(detail, sizeof detail, "%s (%s): %s", line, c->grant->label, why);
            net_event(n, 0, NET_BLOCK, v > 0 ? "http blocked" : "http malformed", detail, 0);
            http_refusal(&refusal, v > 0 ? 403 : 400, why, line);
            want[0] = false;
            if (io[1].fd >= 0)
                io_end(&io[1]);
        }
    }
    if (refusal.len)
        io_write_all(&io[0], refusal.data, refusal.len);
    free(out.data);
    free(refusal.data);
    http_flow_free(f);
}

static void *relay_main(void *arg)
{
    struct relay *rl = arg;
    struct net *n = rl->n;
    struct conn *c = rl->c;
    free(rl);
    char *bufs = malloc(2 * RELAY_BUF);
    struct io io[2] = { { c->guest, NULL }, { -1, NULL } };
    bool shaken = bufs && (!c->grant->intercept || (io[0].ssl = tls_accept(c->grant, c->guest)));
    if (bufs && !shaken)
        net_event(n, 0, NET_BLOCK, "guest TLS handshake failed", c->grant->host, 0);
    bool handed = false;
    if (shaken) {
        io_nonblock(&io[0]);
        if (c->grant->http)
            relay_http(n, c, io, bufs);
        else
            handed = relay_raw(n, c, io, bufs);
    }
    free(bufs);
    for (int k = 0; k < 2; k++)
        SSL_free(io[k].ssl);
    if (!handed)
        relay_done(n, c);
    return NULL;
}

void relay_done(struct net *n, struct conn *c)
{
    pthread_mutex_lock(&n->lock);
    for (struct conn **p = &n->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    if (--n->relays == 0)
        pthread_cond_broadcast(&n->idle);
    pthread_mutex_unlock(&n->lock);
    if (c->up >= 0)
        close(c->up);
    close(c->guest);
    free(c);
}

/* A plain grant whose upstream is an address needs no thread at all: the
 * ring connects it (without a lookup nothing blocks) and relays it. */
static bool ring_connect(struct net *n, struct conn *c)
{
    struct addrinfo *res;
    if (c->grant->http || c->grant->intercept ||
        upstream_addrs(c->grant, (struct sockaddr *)&c->asked, true, &res) < 0)
        return false;
    bool taken = uring_connect(n, c, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return taken;
}

/* Hands an accepted connection to the ring or a relay thread, or closes it
 * when no grant is waiting for it. */
static void accepted(struct net *n, int s)
{
    int family = 0;
    struct sockaddr_storage peer;
    socklen_t l = sizeof peer;
    uint16_t port = 0;
    if (getpeername(s, (struct sockaddr *)&peer, &l) == 0) {
        family = peer.ss_family;
        port = family == AF_INET ? ntohs(((struct sockaddr_in *)&peer)->sin_port)
                                 : ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
    }
    struct relay *rl = calloc(1, sizeof *rl);
    pthread_mutex_lock(&n->lock);
    struct conn *c = n->conns;
    for (; c; c = c->next)
        if (!c->taken && c->local_port == port && c->family == family)
            break;
    if (c && rl) {
        c->taken = true;
        c->guest = s;
        rl->c = c;
        rl->n = n;
        n->relays++;
    }
    pthread_mutex_unlock(&n->lock);
    if (c && rl && ring_connect(n, c)) {
        free(rl);
        return;
    }
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (!c || !rl || pthread_create(&th, &at, relay_main, rl) != 0) {
        if (c && rl) {
            pthread_mutex_lock(&n->lock);
            n->relays--;
            c->taken = false;
            c->guest = -1;
            pthread_mutex_unlock(&n->lock);
        }
        free(rl);
        close(s);
    }
    pthread_attr_destroy(&at);
}

void *proxy_main(void *arg)
{
    struct net *n = arg;
    /* A write to a guest or an upstream that hung up must be EPIPE for
     * this relay, not SIGPIPE for the whole sentry (OpenSSL writes with
     * write(2), so MSG_NOSIGNAL cannot cover it). The relay threads
     * inherit the mask; the guest never does (it is not forked from here). */
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    for (;;) {
        struct pollfd p[3] = { { .fd = n->stop[0], .events = POLLIN },
                               { .fd = n->listen4, .events = POLLIN },
                               { .fd = n->listen6, .events = POLLIN } };
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        for (int k = 1; k < 3; k++)
            if (p[k].revents & POLLIN) {
                int s = accept4(p[k].fd, NULL, NULL, SOCK_CLOEXEC);
                if (s >= 0)
                    accepted(n, s);
            }
    }
    return NULL;
}

static int listener(struct net *n, int family, void *addr, socklen_t len)
{
    int s = netns_socket(n->chan, family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s < 0)
        return s;
    int one = 1;
    if (family == AF_INET6)
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(s, addr, len) < 0 || listen(s, SOMAXCONN) < 0 || getsockname(s, addr, &len) < 0) {
        int r = -errno;
        close(s);
        return r;
    }
    return s;
}

int proxy_start(struct net *n)
{
    n->proxy4 = (struct sockaddr_in){ .sin_family = AF_INET,
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    n->proxy6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    n->listen4 = listener(n, AF_INET, &n->proxy4, sizeof n->proxy4);
    if (n->listen4 < 0)
        return n->listen4;
    /* IPv6 may be off in the guest's namespace: IPv6 grants then fail. */
    n->listen6 = listener(n, AF_INET6, &n->proxy6, sizeof n->proxy6);
    return 0;
}
