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
 * A connection arrives here once its relay thread (proxy.c) has opened the
 * upstream, which blocks (name lookup, connect); from then on it is this
 * thread's until both directions have ended, and relay_done (proxy.c)
 * closes it.
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

/* New connections start with a recv each way. false: stop. */
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
        arm(u, &p->d[0]);
        arm(u, &p->d[1]);
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
            struct dir *d = io_uring_cqe_get_data(cqe);
            if (d)
                on_dir(u, d, cqe->res);
            else
                run = on_wake(u) && run;
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

bool uring_adopt(struct net *n, struct conn *c)
{
    struct uring_relay *u = n->uring;
    struct pair *p = u ? malloc(sizeof *p) : NULL;
    if (!p)
        return false;
    p->c = c;
    p->tail.len = 0;
    p->d[0] = (struct dir){ p, c->guest, c->up, p->bufs, 0, 0, false, false };
    p->d[1] = (struct dir){ p, c->up, c->guest, p->bufs + RING_BUF, 0, 0, false, false };
    pthread_mutex_lock(&u->lock);
    bool dead = u->dead;
    if (!dead) {
        p->next = u->pending;
        u->pending = p;
    }
    pthread_mutex_unlock(&u->lock);
    if (dead) {
        free(p);
        return false;
    }
    wake(u);
    return true;
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
