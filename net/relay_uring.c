/* net/relay_uring.c — the data path of plain TCP grants on io_uring
 * (liburing): one ring and one thread per session move the bytes of every
 * such connection, both ways.
 *
 * Why one shared ring: a relay is two copy loops that spend their lives
 * waiting. On one ring, every connection's operations are in flight at
 * once and one io_uring_enter collects whatever moved; a ring per
 * connection would cost more to make and tear down (~0.1-0.2 ms) than a
 * short connection lives, and a thread per connection blocked in poll(2)
 * costs a poll, a read and a write per chunk.
 *
 * A connection whose upstream is an address comes straight from the
 * proxy's accept: the ring connects it (IORING_OP_CONNECT, bounded by a
 * linked timeout), so no thread is made for it. One whose upstream needs a
 * name lookup, which blocks, arrives once its relay thread (proxy.c) has
 * opened the upstream. Either way it is this thread's until both
 * directions have ended, and relay_done (proxy.c) closes it.
 * Bounded: each direction owns one RING_BUF buffer and has one operation
 * in flight, a recv into the buffer or a send out of it; a recv is armed
 * only once the bytes before it are all sent, so a slow reader holds the
 * writer back through TCP, never through memory here.
 * Teardown: net_detach shuts every relayed socket down, which completes
 * what is armed (a recv with 0, a send with EPIPE); the connections end as
 * at any end of stream, then uring_stop ends the thread.
 * Grants that intercept TLS or judge HTTP keep the poll relay of proxy.c:
 * OpenSSL and the HTTP parser want their bytes synchronously.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net/internal.h"

/* Submission entries: a full queue is submitted before the next entry is
 * taken (next_sqe), so any number of connections fit. */
#define RING_ENTRIES 256
/* Per direction: a loopback recv returns more than 64 KiB when it is
 * there, and fewer rounds per megabyte measured ~20% more throughput. */
#define RING_BUF (256 << 10)

struct pair;

/* One direction of a connection: bytes from `from` through buf to `to`. */
struct dir {
    struct pair *p;
    int from, to;
    char *buf;
    size_t len, off;   /* bytes in buf, of which off already sent; equal: recv next */
    bool busy;         /* an operation of this direction is in the ring */
    bool ended;
};

struct pair {
    struct pair *next;           /* the pending list, then the live list */
    struct conn *c;
    bool connecting;             /* c->up is not connected yet: to addr */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct scan_tail tail;       /* guest-to-upstream canary scan */
    struct dir d[2];             /* [0] guest to upstream, [1] back */
    char bufs[2 * RING_BUF];
};

struct uring_relay {
    struct net *n;
    struct io_uring ring;
    bool disabled;               /* created disabled: ring_main enables it */
    pthread_t th;
    int wake;                    /* eventfd: a pair is pending, or stop */
    uint64_t wake_val;
    pthread_mutex_t lock;        /* pending, stopping, dead */
    struct pair *pending;
    bool stopping;
    bool dead;                   /* the ring failed: adopt nothing more */
    struct pair *live;           /* the ring thread's own; leaked once dead */
};

/* A free submission entry: when the queue is full, what is in it goes to
 * the kernel first, which empties it. */
static struct io_uring_sqe *next_sqe(struct uring_relay *u)
{
    struct io_uring_sqe *e = io_uring_get_sqe(&u->ring);
    if (!e) {
        io_uring_submit(&u->ring);
        e = io_uring_get_sqe(&u->ring);
    }
    return e;
}

/* The next operation of a direction: a recv when its buffer is drained,
 * else a send of the rest. */
static void arm(struct uring_relay *u, struct dir *d)
{
    struct io_uring_sqe *sqe = next_sqe(u);
    if (d->len == d->off)
        io_uring_prep_recv(sqe, d->from, d->buf, RING_BUF, 0);
    else
        io_uring_prep_send(sqe, d->to, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, d);
    d->busy = true;
}

/* What a completion is, by its user data: the wake-up's read (0), a
 * connect's linked timeout (1), a pair's connect (the pair, tagged 2), or
 * one direction's recv or send (the dir; both structs are 8-aligned). */
#define TAG_TIMEOUT 1u
#define TAG_CONNECT 2u

static void arm_connect(struct uring_relay *u, struct pair *p)
{
    static struct __kernel_timespec limit = { .tv_sec = UPSTREAM_CONNECT_MS / 1000 };
    /* A link must not be split across two submissions. */
    if (io_uring_sq_space_left(&u->ring) < 2)
        io_uring_submit(&u->ring);
    struct io_uring_sqe *sqe = next_sqe(u);
    io_uring_prep_connect(sqe, p->c->up, (struct sockaddr *)&p->addr, p->addrlen);
    io_uring_sqe_set_data64(sqe, (uintptr_t)p | TAG_CONNECT);
    sqe->flags |= IOSQE_IO_LINK;
    sqe = next_sqe(u);
    io_uring_prep_link_timeout(sqe, &limit, 0);
    io_uring_sqe_set_data64(sqe, TAG_TIMEOUT);
}

static void arm_wake(struct uring_relay *u)
{
    struct io_uring_sqe *sqe = next_sqe(u);
    io_uring_prep_read(sqe, u->wake, &u->wake_val, sizeof u->wake_val, 0);
    io_uring_sqe_set_data(sqe, NULL);
}

/* The operation of d completed with res: true when the direction goes on. */
static bool completed(struct uring_relay *u, struct dir *d, int res)
{
    if (res == -EINTR || res == -EAGAIN)
        return true;   /* the same operation again */
    if (res <= 0)
        return false;  /* end of stream, or a side that hung up */
    if (d->len == d->off) {
        if (d == &d->p->d[0] && raw_scan_hit(u->n, d->p->c, &d->p->tail, d->buf, (size_t)res))
            return false;
        d->len = (size_t)res;
        d->off = 0;
        return true;
    }
    d->off += (size_t)res;
    if (d->off == d->len)
        d->off = d->len = 0;
    return true;
}

static void unlink_live(struct uring_relay *u, struct pair *p)
{
    for (struct pair **q = &u->live; *q; q = &(*q)->next)
        if (*q == p) {
            *q = p->next;
            return;
        }
}

static void on_dir(struct uring_relay *u, struct dir *d, int res)
{
    d->busy = false;
    if (completed(u, d, res)) {
        arm(u, d);
        return;
    }
    d->ended = true;
    shutdown(d->to, SHUT_WR);   /* its end of stream goes on */
    struct pair *p = d->p;
    if (p->d[0].ended && p->d[1].ended && !p->d[0].busy && !p->d[1].busy) {
        unlink_live(u, p);
        relay_done(u->n, p->c);
        free(p);
    }
}

static void start(struct uring_relay *u, struct pair *p)
{
    arm(u, &p->d[0]);
    arm(u, &p->d[1]);
}

/* A connect that fails (or times out: its linked timeout cancels it) is
 * the same event as the relay thread's, and the guest sees the end of
 * the stream. */
static void on_connect(struct uring_relay *u, struct pair *p, int res)
{
    if (res == 0) {
        p->connecting = false;
        start(u, p);
        return;
    }
    upstream_failed(u->n, p->c, res == -ECANCELED ? ETIMEDOUT : -res);
    unlink_live(u, p);
    relay_done(u->n, p->c);
    free(p);
}

/* New connections: connected first, or started at once. false: stop. */
static bool on_wake(struct uring_relay *u)
{
    pthread_mutex_lock(&u->lock);
    struct pair *p = u->pending;
    u->pending = NULL;
    bool stop = u->stopping;
    pthread_mutex_unlock(&u->lock);
    while (p) {
        struct pair *next = p->next;
        p->next = u->live;
        u->live = p;
        /* Blocking sockets: the ring waits for them, an EAGAIN would spin. */
        for (int k = 0; k < 2; k++)
            fcntl(p->d[k].from, F_SETFL, fcntl(p->d[k].from, F_GETFL) & ~O_NONBLOCK);
        if (p->connecting)
            arm_connect(u, p);
        else
            start(u, p);
        p = next;
    }
    if (!stop)
        arm_wake(u);
    return !stop;
}

/* The ring itself failed (no io_uring_enter error is expected of a sound
 * ring): every connection is cut and handed back to proxy.c to close, and
 * new ones relay with poll. Their buffers are left to the ring, which may
 * still hold operations on them until uring_stop tears it down. */
static void ring_failed(struct uring_relay *u, int err)
{
    fprintf(stderr, "cordon: net: io_uring relay failed: %s\n", strerror(err));
    pthread_mutex_lock(&u->lock);
    u->dead = true;
    struct pair *p = u->pending;
    u->pending = NULL;
    pthread_mutex_unlock(&u->lock);
    while (p) {
        struct pair *next = p->next;
        relay_done(u->n, p->c);
        free(p);
        p = next;
    }
    for (p = u->live; p; p = p->next) {
        shutdown(p->c->guest, SHUT_RDWR);
        shutdown(p->c->up, SHUT_RDWR);
        relay_done(u->n, p->c);
    }
}

static void *ring_main(void *arg)
{
    struct uring_relay *u = arg;
    bool run = true;
    /* A single-issuer ring's issuer is the thread that enables it
     * (Debian's liburing 2.3 declares io_uring_enable_rings, ships none). */
    int r = 0;
    if (u->disabled && syscall(__NR_io_uring_register, u->ring.ring_fd,
                               IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
        r = -errno;
    if (r < 0) {
        ring_failed(u, -r);
        return NULL;
    }
    arm_wake(u);
    while (run || u->live) {
        r = io_uring_submit_and_wait(&u->ring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
            ring_failed(u, -r);
            break;
        }
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&u->ring, head, cqe) {
            seen++;
            uint64_t tag = io_uring_cqe_get_data64(cqe);
            if (tag == 0)
                run = on_wake(u) && run;
            else if (tag & TAG_CONNECT)
                on_connect(u, (struct pair *)(uintptr_t)(tag & ~(uint64_t)3), cqe->res);
            else if (tag != TAG_TIMEOUT)
                on_dir(u, (struct dir *)(uintptr_t)tag, cqe->res);
        }
        io_uring_cq_advance(&u->ring, seen);
    }
    return NULL;
}

int uring_start(struct net *n)
{
    struct uring_relay *u = calloc(1, sizeof *u);
    if (!u)
        return -ENOMEM;
    u->n = n;
    u->wake = eventfd(0, EFD_CLOEXEC);
    if (u->wake < 0) {
        free(u);
        return -errno;
    }
    /* Completions are run when the ring thread asks for them, not at every
     * interrupt (6.1+; the thread enables the ring to become its issuer);
     * older kernels take the plain ring. */
    int r = io_uring_queue_init(RING_ENTRIES, &u->ring, IORING_SETUP_SINGLE_ISSUER |
                                IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED);
    u->disabled = r == 0;
    if (r == -EINVAL)
        r = io_uring_queue_init(RING_ENTRIES, &u->ring, 0);
    if (r == 0) {
        pthread_mutex_init(&u->lock, NULL);
        r = -pthread_create(&u->th, NULL, ring_main, u);
        if (r < 0) {
            io_uring_queue_exit(&u->ring);
            pthread_mutex_destroy(&u->lock);
        }
    }
    if (r < 0) {
        close(u->wake);
        free(u);
        return r;
    }
    n->uring = u;
    return 0;
}

static void wake(struct uring_relay *u)
{
    uint64_t one = 1;
    while (write(u->wake, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static struct pair *pair_new(struct conn *c)
{
    struct pair *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    p->c = c;
    p->connecting = false;
    p->tail.len = 0;
    p->d[0] = (struct dir){ p, c->guest, c->up, p->bufs, 0, 0, false, false };
    p->d[1] = (struct dir){ p, c->up, c->guest, p->bufs + RING_BUF, 0, 0, false, false };
    return p;
}

/* Hands p to the ring thread; false (p not taken) once the ring failed. */
static bool enqueue(struct uring_relay *u, struct pair *p)
{
    pthread_mutex_lock(&u->lock);
    bool dead = u->dead;
    if (!dead) {
        p->next = u->pending;
        u->pending = p;
    }
    pthread_mutex_unlock(&u->lock);
    if (!dead)
        wake(u);
    return !dead;
}

bool uring_adopt(struct net *n, struct conn *c)
{
    struct pair *p = n->uring ? pair_new(c) : NULL;
    if (p && enqueue(n->uring, p))
        return true;
    free(p);
    return false;
}

bool uring_connect(struct net *n, struct conn *c, const struct sockaddr *sa, socklen_t len)
{
    if (!n->uring || len > sizeof(struct sockaddr_storage))
        return false;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    pthread_mutex_lock(&n->lock);
    c->up = fd;   /* net_detach cuts a connect in progress too */
    pthread_mutex_unlock(&n->lock);
    struct pair *p = pair_new(c);
    if (p) {
        p->connecting = true;
        memcpy(&p->addr, sa, len);
        p->addrlen = len;
        if (enqueue(n->uring, p))
            return true;
        free(p);
    }
    pthread_mutex_lock(&n->lock);
    c->up = -1;
    pthread_mutex_unlock(&n->lock);
    close(fd);
    return false;
}

void uring_stop(struct net *n)
{
    struct uring_relay *u = n->uring;
    if (!u)
        return;
    pthread_mutex_lock(&u->lock);
    u->stopping = true;
    pthread_mutex_unlock(&u->lock);
    wake(u);
    pthread_join(u->th, NULL);
    io_uring_queue_exit(&u->ring);
    pthread_mutex_destroy(&u->lock);
    close(u->wake);
    free(u);
    n->uring = NULL;
}
