/* serve/eventlog.c — a session's event stream as the server keeps it.
 *
 * The session sentry writes its events (OTLP JSON log lines, sentry/events.h)
 * into a pipe the server holds; a thread per session drains it into a
 * bounded buffer of whole lines (the oldest dropped first), so a sentry
 * never blocks on a slow or absent reader, and any number of
 * GET /v1/sessions/ID/events readers can follow from their own offsets.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/serve.h"

#define KEEP (1u << 20)

struct eventlog {
    pthread_mutex_t lock;
    pthread_cond_t more;
    char *data;
    size_t len;
    uint64_t base;     /* stream offset of data[0] */
    bool closed;       /* the sentry's end is gone: nothing more will come */
    int refs;
    int fd;
};

void eventlog_put(struct eventlog *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->lock);
    bool last = --l->refs == 0;
    pthread_mutex_unlock(&l->lock);
    if (!last)
        return;
    close(l->fd);
    free(l->data);
    pthread_cond_destroy(&l->more);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

void eventlog_hold(struct eventlog *l)
{
    pthread_mutex_lock(&l->lock);
    l->refs++;
    pthread_mutex_unlock(&l->lock);
}

/* Under the lock: drops whole lines from the front until n more bytes fit. */
static void make_room(struct eventlog *l, size_t n)
{
    if (l->len + n <= KEEP)
        return;
    size_t cut = l->len + n - KEEP;
    if (cut >= l->len) {
        cut = l->len;
    } else {
        char *nl = memchr(l->data + cut, '\n', l->len - cut);
        cut = nl ? (size_t)(nl - l->data) + 1 : l->len;
    }
    memmove(l->data, l->data + cut, l->len - cut);
    l->len -= cut;
    l->base += cut;
}

static void *reader_main(void *arg)
{
    struct eventlog *l = arg;
    char buf[16384];
    for (;;) {
        ssize_t n = read(l->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        pthread_mutex_lock(&l->lock);
        if (n > 0) {
            make_room(l, (size_t)n);
            memcpy(l->data + l->len, buf, (size_t)n);
            l->len += (size_t)n;
        } else {
            l->closed = true;
        }
        pthread_cond_broadcast(&l->more);
        pthread_mutex_unlock(&l->lock);
        if (n <= 0)
            break;
    }
    eventlog_put(l);
    return NULL;
}

struct eventlog *eventlog_start(int fd)
{
    struct eventlog *l = calloc(1, sizeof *l);
    char *data = malloc(KEEP);
    if (!l || !data) {
        free(l);
        free(data);
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->more, NULL);
    l->data = data;
    l->fd = fd;
    l->refs = 2;   /* the caller's and the reader's */
    pthread_t th;
    if (pthread_create(&th, NULL, reader_main, l) != 0) {
        l->refs = 1;
        eventlog_put(l);
        return NULL;
    }
    pthread_detach(th);
    return l;
}

ssize_t eventlog_read(struct eventlog *l, uint64_t *pos, char *buf, size_t max, bool follow)
{
    pthread_mutex_lock(&l->lock);
    if (follow && *pos >= l->base + l->len && !l->closed) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&l->more, &l->lock, &until);
    }
    if (*pos < l->base)
        *pos = l->base;   /* what a slow reader missed was dropped */
    size_t have = (size_t)(l->base + l->len - *pos);
    ssize_t r;
    if (have) {
        r = (ssize_t)(have < max ? have : max);
        memcpy(buf, l->data + (*pos - l->base), (size_t)r);
        *pos += (uint64_t)r;
    } else {
        r = l->closed || !follow ? -1 : 0;
    }
    pthread_mutex_unlock(&l->lock);
    return r;
}
