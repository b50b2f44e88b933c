/* sentry/events.c — the event ring, the emitters and the writer thread.
 *
 * The ring is a bounded multi-producer queue (Vyukov's: one sequence
 * number per slot, producers claim a position with a CAS), so emitters on
 * the notification thread, the tracer thread and the net layer's threads
 * never take a lock or allocate. One writer thread drains it in batches,
 * turns each batch into one OTLP LogsData object and hands it to the sinks.
 * The writer sleeps up to FLUSH_MS between batches; a high-severity event
 * (a canary read, a block) wakes it at once through an eventfd, at most one
 * write per sleep.
 */
#include "sentry/events.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sentry/event_record.h"
#include "sentry/sentry.h"
#include "sentry/stats.h"
#include "util/thread.h"

#define RING_SLOTS 2048    /* a power of two; ~3.6 MiB */
#define BATCH_MAX 512
#define FLUSH_MS 50
#define HTTP_GRACE_MS 1000

struct slot {
    atomic_size_t seq;
    struct event_rec rec;
};

bool events_on;

static struct {
    struct slot *ring;
    atomic_size_t head;
    size_t tail;                 /* the writer's alone */
    atomic_uint_fast64_t dropped;
    atomic_bool sleeping, stop;
    int wake;                    /* eventfd */
    pthread_t writer;
    bool started, verbose, summary, http;
    FILE *out;                   /* --events sink, or NULL */
    bool out_close;
    char session_id[33];
    /* the writer's counters, read after it stopped */
    uint64_t count[EVENT_KINDS], denials, bytes_out, write_errors;
} ev;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);   /* vDSO: no system call */
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

const char *events_session_id(void) { return ev.session_id; }

uint64_t events_dropped(void)
{
    return atomic_load(&ev.dropped) + (ev.http ? otlp_http_dropped() : 0);
}

/* ---- emitting -------------------------------------------------------------- */

/* Shares the text area fairly: each string gets what it needs when it fits,
 * else an equal share of what the shorter ones left (water filling). */
static void budget(const size_t *need, size_t *give, unsigned n, size_t room)
{
    bool done[EVENT_ATTRS + 1] = { false };
    unsigned left = n;
    while (left) {
        size_t share = room / left;
        bool progress = false;
        for (unsigned k = 0; k < n; k++)
            if (!done[k] && need[k] <= share) {
                give[k] = need[k];
                room -= need[k];
                done[k] = true;
                left--;
                progress = true;
            }
        if (!progress) {
            for (unsigned k = 0; k < n; k++)
                if (!done[k])
                    give[k] = share;
            return;
        }
    }
}

/* Bytes of str that fit in max without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *str, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)str[max] & 0xc0) == 0x80)
        max--;
    return max;
}

static size_t strv_len(const struct event_attr *a)
{
    size_t n = 0;
    for (unsigned k = 0; k < a->nstrv; k++)
        n += strlen(a->strv[k] ? a->strv[k] : "") + 1;
    return n;
}

/* Copies a's string(s) into r->text at *used, at most give bytes. */
static void put_text(struct event_rec *r, size_t *used, struct rec_attr *d,
                     const struct event_attr *a, size_t give)
{
    d->off = (uint16_t)*used;
    char *to = r->text + *used;
    size_t w = 0;
    if (a->str) {
        size_t len = strlen(a->str), n = utf8_cut(a->str, len, give);
        memcpy(to, a->str, n);
        w = n;
        d->cut = n < len;
        d->type = REC_STR;
    } else {
        unsigned k = 0;
        for (; k < a->nstrv; k++) {
            const char *s = a->strv[k] ? a->strv[k] : "";
            size_t len = strlen(s);
            if (w + len + 1 > give) {
                if (w + 1 < give) {   /* the last one that fits in part */
                    size_t n = utf8_cut(s, len, give - w - 1);
                    memcpy(to + w, s, n);
                    w += n;
                    to[w++] = '\0';
                    k++;
                }
                d->cut = true;
                break;
            }
            memcpy(to + w, s, len + 1);
            w += len + 1;
        }
        d->num = k;
        d->type = REC_STRV;
    }
    d->len = (uint16_t)w;
    *used += w;
}

static void wake_writer(void)
{
    if (atomic_exchange(&ev.sleeping, false)) {
        uint64_t one = 1;
        ssize_t n = write(ev.wake, &one, sizeof one);
        (void)n;   /* a full counter already wakes it */
    }
}

void event_emit(enum event_kind kind, enum event_severity sev, const char *name, pid_t pid,
                pid_t tid, const char *body, const struct event_attr *attrs, unsigned nattrs)
{
    if (!events_enabled())
        return;
    if (nattrs > EVENT_ATTRS)
        nattrs = EVENT_ATTRS;
    size_t pos = atomic_load_explicit(&ev.head, memory_order_relaxed);
    struct slot *sl;
    for (;;) {
        sl = &ev.ring[pos & (RING_SLOTS - 1)];
        size_t seq = atomic_load_explicit(&sl->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&ev.head, &pos, pos + 1,
                                                      memory_order_relaxed, memory_order_relaxed))
                break;
        } else if (dif < 0) {
            atomic_fetch_add_explicit(&ev.dropped, 1, memory_order_relaxed);
            return;
        } else {
            pos = atomic_load_explicit(&ev.head, memory_order_relaxed);
        }
    }
    struct event_rec *r = &sl->rec;
    r->time_ns = now_ns();
    r->name = name;
    r->pid = pid;
    r->tid = tid;
    r->kind = (uint8_t)kind;
    r->sev = (uint8_t)sev;
    r->nattr = (uint8_t)nattrs;

    /* index nattrs is the body */
    size_t need[EVENT_ATTRS + 1], give[EVENT_ATTRS + 1];
    unsigned idx[EVENT_ATTRS + 1], ns = 0;
    struct event_attr b = EV_STR(NULL, body);
    for (unsigned k = 0; k <= nattrs; k++) {
        const struct event_attr *a = k < nattrs ? &attrs[k] : &b;
        if (a->str || a->strv) {
            idx[ns] = k;
            need[ns++] = a->str ? strlen(a->str) : strv_len(a);
        }
    }
    budget(need, give, ns, sizeof r->text);
    size_t used = 0;
    for (unsigned j = 0; j < ns; j++) {
        unsigned k = idx[j];
        struct rec_attr *d = k < nattrs ? &r->attr[k] : &r->body;
        d->key = k < nattrs ? attrs[k].key : NULL;
        d->cut = false;
        put_text(r, &used, d, k < nattrs ? &attrs[k] : &b, give[j]);
    }
    for (unsigned k = 0; k < nattrs; k++)
        if (!attrs[k].str && !attrs[k].strv)
            r->attr[k] = (struct rec_attr){ .key = attrs[k].key, .num = attrs[k].num,
                                             .type = REC_INT };
    atomic_store_explicit(&sl->seq, pos + 1, memory_order_release);
    if (sev >= SEV_ERROR)
        wake_writer();
}

/* The guest's ids of the task making call c. */
static void who(const struct call *c, pid_t *pid, pid_t *tid)
{
    const struct task *t = c ? c->task : NULL;
    *pid = t ? t->proc->guest_tgid : 0;
    /* an exec forgets guest_tid (the tid may change): the leader's is the pid */
    *tid = !t ? 0 : t->guest_tid ? t->guest_tid : t->tid == t->proc->tgid ? *pid : 0;
}

void event_spawn(pid_t pid, pid_t tid, pid_t parent_pid, bool thread)
{
    struct event_attr a[] = { EV_INT("process.parent_pid", parent_pid) };
    event_emit(EVENT_PROCESS, SEV_INFO, thread ? "thread.spawn" : "process.spawn", pid, tid,
               thread ? "thread started" : "process started", a, 1);
}

void event_exec(const struct call *c, const char *path, const char *const *argv, unsigned argc)
{
    pid_t pid, tid;
    who(c, &pid, &tid);
    struct event_attr a[] = {
        EV_STR("process.executable.path", path),
        EV_STRV("process.command_args", argv, argc),
    };
    event_emit(EVENT_PROCESS, SEV_INFO, "process.exec", pid, tid, path, a, 2);
}

void event_exit(pid_t pid, pid_t tid, int st)
{
    struct event_attr a[] = {
        WIFSIGNALED(st) ? EV_INT("process.exit.signal", WTERMSIG(st))
                        : EV_INT("process.exit.code", WEXITSTATUS(st)),
    };
    event_emit(EVENT_PROCESS, SEV_INFO, "process.exit", pid, tid,
               WIFSIGNALED(st) ? "process killed by a signal" : "process exited", a, 1);
}

void event_file(const struct call *c, enum event_file_op op, const char *path, const char *path2,
                int err)
{
    static const char *const NAMES[] = {
        [FILE_OPEN_WRITE] = "file.open_write", [FILE_CREATE] = "file.create",
        [FILE_DELETE] = "file.delete",         [FILE_RENAME] = "file.rename",
        [FILE_DENIED] = "file.denied",         [FILE_SECRET_PROBE] = "file.secret_probe",
    };
    pid_t pid, tid;
    who(c, &pid, &tid);
    struct event_attr a[3] = { EV_STR("file.path", path) };
    unsigned n = 1;
    if (path2)
        a[n++] = EV_STR("file.new_path", path2);
    if (err)
        a[n++] = EV_STR("error.type", strerrorname_np(err));
    enum event_severity sev = op == FILE_SECRET_PROBE ? SEV_ERROR
                              : op == FILE_DENIED     ? SEV_WARN
                                                      : SEV_INFO;
    if (sev >= SEV_WARN)
        stats_denied(DENIED_FILE);
    event_emit(EVENT_FILE, sev, NAMES[op], pid, tid, path, a, n);
}

void event_net(const struct call *c, enum event_net_op op, const struct event_net *in)
{
    static const char *const NAMES[] = {
        [NET_DNS] = "net.dns", [NET_CONNECT] = "net.connect", [NET_HTTP] = "net.http",
        [NET_BLOCK] = "net.block",
    };
    if (op == NET_BLOCK)
        stats_denied(DENIED_NET);
    pid_t pid, tid;
    who(c, &pid, &tid);
    struct event_attr a[EVENT_ATTRS];
    unsigned n = 0;
    if (in->host)
        a[n++] = EV_STR("server.address", in->host);
    if (in->addr)
        a[n++] = EV_STR("network.peer.address", in->addr);
    if (in->port)
        a[n++] = EV_INT("server.port", in->port);
    if (in->method)
        a[n++] = EV_STR("http.request.method", in->method);
    if (in->path)
        a[n++] = EV_STR("url.path", in->path);
    if (in->status)
        a[n++] = EV_INT("http.response.status_code", in->status);
    if (in->bytes_out)
        a[n++] = EV_INT("network.io.bytes_out", in->bytes_out);
    if (in->bytes_in)
        a[n++] = EV_INT("network.io.bytes_in", in->bytes_in);
    if (in->reason)
        a[n++] = EV_STR("cordon.block.reason", in->reason);
    const char *body = in->host ? in->host : in->addr;
    event_emit(EVENT_NET, op == NET_BLOCK ? SEV_ERROR : SEV_INFO, NAMES[op], pid, tid, body, a,
               n);
}

void event_denied(const struct call *c, const char *name, int err)
{
    stats_denied(DENIED_SYSCALL);
    pid_t pid, tid;
    who(c, &pid, &tid);
    if (ev.verbose)
        fprintf(stderr, "cordon: audit: denied %s(0x%llx, 0x%llx, 0x%llx) pid %d -> %s\n", name,
                (unsigned long long)c->args[0], (unsigned long long)c->args[1],
                (unsigned long long)c->args[2], (int)(pid ? pid : c->tid),
                strerrorname_np(err));
    struct event_attr a[] = {
        EV_STR("cordon.syscall.name", name), EV_INT("cordon.syscall.nr", c->nr),
        EV_INT("cordon.syscall.arg0", c->args[0]), EV_INT("cordon.syscall.arg1", c->args[1]),
        EV_INT("cordon.syscall.arg2", c->args[2]), EV_STR("error.type", strerrorname_np(err)),
    };
    event_emit(EVENT_POLICY, SEV_WARN, "policy.denied", pid, tid, name, a, 6);
}

void event_canary(const struct call *c, enum event_canary_op op, const char *path,
                  const char *detail)
{
    pid_t pid, tid;
    who(c, &pid, &tid);
    struct event_attr a[2] = { EV_STR("file.path", path) };
    unsigned n = 1;
    if (detail)
        a[n++] = EV_STR("cordon.canary.detail", detail);
    event_emit(EVENT_CANARY, SEV_FATAL, op == CANARY_READ ? "canary.read" : "canary.egress",
               pid, tid, op == CANARY_READ ? "canary file opened" : "canary token in egress",
               a, n);
}

/* ---- the writer ------------------------------------------------------------ */

static void account(const struct event_rec *r)
{
    ev.count[r->kind]++;
    if (r->kind == EVENT_POLICY || (r->kind == EVENT_FILE && r->sev >= SEV_WARN) ||
        !strcmp(r->name, "net.block"))
        ev.denials++;
    for (unsigned k = 0; k < r->nattr; k++)
        if (!strcmp(r->attr[k].key, "network.io.bytes_out"))
            ev.bytes_out += (uint64_t)r->attr[k].num;
}

/* Moves up to BATCH_MAX records into a new JSON array; NULL when empty. */
static struct json_object *drain(unsigned *n)
{
    struct json_object *arr = NULL;
    uint64_t observed = now_ns();
    for (*n = 0; *n < BATCH_MAX; ++*n) {
        struct slot *sl = &ev.ring[ev.tail & (RING_SLOTS - 1)];
        if (atomic_load_explicit(&sl->seq, memory_order_acquire) != ev.tail + 1)
            break;
        if (!arr)
            arr = json_object_new_array();
        account(&sl->rec);
        if (arr)
            json_object_array_add(arr, otlp_record(&sl->rec, observed));
        atomic_store_explicit(&sl->seq, ev.tail + RING_SLOTS, memory_order_release);
        ev.tail++;
    }
    return arr;
}

static void ship(struct json_object *records, unsigned n)
{
    if (ev.out) {
        struct json_object *logs = otlp_logs_data(records, ev.session_id, events_dropped());
        const char *text = otlp_text(logs);
        if (!text || fprintf(ev.out, "%s\n", text) < 0 || fflush(ev.out) != 0)
            ev.write_errors++;
        json_object_put(logs);
    }
    /* json-c's reference counts are not atomic: the records change hands
     * once, never shared between the threads */
    if (ev.http)
        otlp_http_push(records, n);
    else
        json_object_put(records);
}

static void *writer(void *arg)
{
    (void)arg;
    for (;;) {
        unsigned n;
        struct json_object *batch = drain(&n);
        if (batch) {
            ship(batch, n);
            if (n == BATCH_MAX)
                continue;
        }
        if (atomic_load(&ev.stop))
            return NULL;
        atomic_store(&ev.sleeping, true);
        struct pollfd p = { .fd = ev.wake, .events = POLLIN };
        if (poll(&p, 1, FLUSH_MS) > 0) {
            uint64_t v;
            ssize_t r = read(ev.wake, &v, sizeof v);
            (void)r;
        }
        atomic_store(&ev.sleeping, false);
    }
}

/* ---- start, stop, summary --------------------------------------------------- */

static void new_session_id(void)
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != sizeof b) {
        uint64_t t = now_ns() ^ ((uint64_t)getpid() << 32);
        memcpy(b, &t, 8);
        memcpy(b + 8, &t, 8);
    }
    for (unsigned k = 0; k < 16; k++)
        snprintf(ev.session_id + 2 * k, 3, "%02x", b[k]);
}

int events_start(const struct events_options *o, struct err *e)
{
    ev.verbose = o->verbose;
    ev.summary = o->summary;
    new_session_id();
    if (!o->file && !o->endpoint && !o->summary)
        return 0;
    if (o->file && !strcmp(o->file, "-")) {
        ev.out = stdout;
    } else if (o->file) {
        if (!(ev.out = fopen(o->file, "we")))
            return err_set(e, errno, "--events %s", o->file);
        ev.out_close = true;
    }
    if (o->endpoint) {
        if (otlp_http_start(o->endpoint, e) < 0)
            return -1;
        ev.http = true;
    }
    ev.ring = calloc(RING_SLOTS, sizeof *ev.ring);
    ev.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!ev.ring || ev.wake < 0)
        return err_set(e, ev.ring ? errno : ENOMEM, "events");
    for (size_t k = 0; k < RING_SLOTS; k++)
        atomic_init(&ev.ring[k].seq, k);
    int r = thread_start_quiet(&ev.writer, writer, NULL);
    if (r)
        return err_set(e, r, "events: writer thread");
    ev.started = true;
    __atomic_store_n(&events_on, true, __ATOMIC_RELEASE);
    return 0;
}

static void print_summary(void)
{
    static const char *const KINDS[] = { "process", "file", "net", "policy", "canary" };
    uint64_t total = 0;
    for (unsigned k = 0; k < EVENT_KINDS; k++)
        total += ev.count[k];
    fprintf(stderr, "cordon: summary of session %s\n  events     %llu:", ev.session_id,
            (unsigned long long)total);
    for (unsigned k = 0; k < EVENT_KINDS; k++)
        fprintf(stderr, " %s %llu", KINDS[k], (unsigned long long)ev.count[k]);
    fprintf(stderr, "\n  denials    %llu\n  bytes out  %llu\n  dropped    %llu (ring full %llu",
            (unsigned long long)ev.denials, (unsigned long long)ev.bytes_out,
            (unsigned long long)events_dropped(), (unsigned long long)atomic_load(&ev.dropped));
    if (ev.http)
        fprintf(stderr, ", otlp endpoint %llu; %llu delivered",
                (unsigned long long)otlp_http_dropped(), (unsigned long long)otlp_http_sent());
    fprintf(stderr, ")\n");
    if (ev.write_errors)
        fprintf(stderr, "  --events write errors: %llu batches lost\n",
                (unsigned long long)ev.write_errors);
}

void events_stop(void)
{
    if (!ev.started)
        return;
    __atomic_store_n(&events_on, false, __ATOMIC_RELEASE);
    atomic_store(&ev.stop, true);
    atomic_store(&ev.sleeping, true);
    wake_writer();
    pthread_join(ev.writer, NULL);
    if (ev.http)
        otlp_http_stop(HTTP_GRACE_MS);
    if (ev.summary)
        print_summary();
    if (ev.out_close)
        fclose(ev.out);
    else if (ev.out)
        fflush(ev.out);
    close(ev.wake);
    free(ev.ring);
    ev.started = false;
}
