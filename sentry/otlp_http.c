/* sentry/otlp_http.c — the --otlp-endpoint sink: OTLP/HTTP JSON POSTs to
 * URL/v1/logs from a thread of its own.
 *
 * Why its own thread and a bounded queue: a collector that is slow or down
 * must never hold up the event writer (and so the --events file) or the
 * guest. Batches wait here, oldest first; when the queue is full the
 * oldest waiting batch is dropped and counted, and the count travels in
 * every later batch (resource attribute cordon.events.dropped). A failed
 * POST is retried with exponential backoff; at the session's end what is
 * left gets a bounded last try.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sentry/event_record.h"
#include "util/thread.h"
#include "util/libcurl.h"

#define QUEUE_BATCHES 64
#define QUEUE_RECORDS 8192
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 1000
#define REQUEST_TIMEOUT_MS 2000

struct batch {
    struct json_object *records;
    unsigned n;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    struct batch q[QUEUE_BATCHES];
    unsigned first, count, records;
    bool stop;
    struct timespec deadline;    /* once stopping: when to give up */
    char url[2048];
    CURL *curl;
    struct curl_slist *headers;
    atomic_uint_fast64_t dropped, sent;
} h = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

uint64_t otlp_http_dropped(void) { return atomic_load(&h.dropped); }
uint64_t otlp_http_sent(void) { return atomic_load(&h.sent); }

static void drop(struct batch *b)
{
    atomic_fetch_add(&h.dropped, b->n);
    json_object_put(b->records);
}

void otlp_http_push(struct json_object *records, unsigned n)
{
    pthread_mutex_lock(&h.lock);
    while (h.count && (h.count == QUEUE_BATCHES || h.records + n > QUEUE_RECORDS)) {
        h.records -= h.q[h.first].n;
        drop(&h.q[h.first]);
        h.first = (h.first + 1) % QUEUE_BATCHES;
        h.count--;
    }
    h.q[(h.first + h.count) % QUEUE_BATCHES] = (struct batch){ records, n };
    h.count++;
    h.records += n;
    pthread_cond_signal(&h.cond);
    pthread_mutex_unlock(&h.lock);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

/* One POST: true when the collector answered 2xx. */
static bool post(const struct batch *b)
{
    struct json_object *logs = otlp_logs_data(b->records, events_session_id(), events_dropped());
    const char *body = otlp_text(logs);
    libcurl.curl_easy_setopt(h.curl, CURLOPT_POSTFIELDS, body);
    libcurl.curl_easy_setopt(h.curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    long code = 0;
    bool ok = libcurl.curl_easy_perform(h.curl) == CURLE_OK &&
              libcurl.curl_easy_getinfo(h.curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
              code >= 200 && code < 300;
    json_object_put(logs);
    return ok;
}

static struct timespec after_ms(unsigned ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

static bool past(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Sleeps ms, or less when told to stop (the lock is held). */
static void backoff(unsigned ms)
{
    struct timespec t = after_ms(ms);
    if (h.stop && (t.tv_sec > h.deadline.tv_sec ||
                   (t.tv_sec == h.deadline.tv_sec && t.tv_nsec > h.deadline.tv_nsec)))
        t = h.deadline;
    pthread_cond_timedwait(&h.cond, &h.lock, &t);
}

static void *sender(void *arg)
{
    (void)arg;
    unsigned delay = BACKOFF_MIN_MS;
    struct batch b = { NULL, 0 };   /* in flight: out of the queue, so never dropped by a push */
    pthread_mutex_lock(&h.lock);
    for (;;) {
        while (!b.records && !h.count && !h.stop)
            pthread_cond_wait(&h.cond, &h.lock);
        if (h.stop && (past(&h.deadline) || (!b.records && !h.count)))
            break;
        if (!b.records) {
            b = h.q[h.first];
            h.first = (h.first + 1) % QUEUE_BATCHES;
            h.count--;
            h.records -= b.n;
        }
        pthread_mutex_unlock(&h.lock);
        bool ok = post(&b);
        pthread_mutex_lock(&h.lock);
        if (!ok) {
            backoff(delay);
            delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
            continue;
        }
        delay = BACKOFF_MIN_MS;
        atomic_fetch_add(&h.sent, b.n);
        json_object_put(b.records);
        b = (struct batch){ NULL, 0 };
    }
    /* gave up at the deadline: the rest is lost, and counted */
    if (b.records)
        drop(&b);
    while (h.count) {
        drop(&h.q[h.first]);
        h.first = (h.first + 1) % QUEUE_BATCHES;
        h.count--;
    }
    pthread_mutex_unlock(&h.lock);
    return NULL;
}

int otlp_http_start(const char *base, struct err *e)
{
    if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
        return err_set(e, 0, "--otlp-endpoint %s: expected an http:// or https:// URL", base);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    if (n + sizeof "/v1/logs" > sizeof h.url)
        return err_set(e, 0, "--otlp-endpoint: URL too long");
    snprintf(h.url, sizeof h.url, "%.*s/v1/logs", (int)n, base);
    if (libcurl_load(e))
        return -1;
    if (!(h.curl = libcurl.curl_easy_init()))
        return err_set(e, 0, "--otlp-endpoint: libcurl failed to start");
    h.headers = libcurl.curl_slist_append(NULL, "Content-Type: application/json");
    libcurl.curl_easy_setopt(h.curl, CURLOPT_URL, h.url);
    libcurl.curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, h.headers);
    libcurl.curl_easy_setopt(h.curl, CURLOPT_NOSIGNAL, 1L);
    libcurl.curl_easy_setopt(h.curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    libcurl.curl_easy_setopt(h.curl, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
    libcurl.curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, discard);
    libcurl.curl_easy_setopt(h.curl, CURLOPT_USERAGENT, "cordon-otlp/0.1");
    int r = thread_start_quiet(&h.thread, sender, NULL);
    if (r)
        return err_set(e, r, "--otlp-endpoint: sender thread");
    return 0;
}

void otlp_http_stop(unsigned grace_ms)
{
    pthread_mutex_lock(&h.lock);
    h.deadline = after_ms(grace_ms);
    h.stop = true;
    pthread_cond_signal(&h.cond);
    pthread_mutex_unlock(&h.lock);
    pthread_join(h.thread, NULL);
    libcurl.curl_easy_cleanup(h.curl);
    libcurl.curl_slist_free_all(h.headers);
}
