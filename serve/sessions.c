/* serve/sessions.c — the server's table of sessions and the supervision of
 * their sentry processes.
 *
 * A session is a child process (`cordon session-daemon`) reached through a
 * SOCK_SEQPACKET control channel and watched through a pidfd. The table
 * only counts, finds and stops them; a sentry that dies is noticed (broken
 * channel or the reaper's pidfd poll), reaped here and reported failed with
 * its exit status, and the leftovers a SIGKILLed sentry cannot remove (exec
 * cache, cgroup) are removed for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sentry/ctl.h"
#include "sentry/session.h"
#include "sentry/stats.h"
#include "serve/serve.h"
#include "util/cleanup.h"

#ifndef P_PIDFD
#define P_PIDFD 3   /* linux/wait.h clashes with glibc's idtype_t */
#endif

static struct {
    pthread_mutex_t lock;
    pthread_cond_t idle;          /* signalled when a request releases a session */
    const struct serve_config *cfg;
    struct sess *head;
    struct sentry_stats gone;     /* the counters of sessions freed so far */
    unsigned count;
    bool draining;
} T = { .lock = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER };

void sessions_init(const struct serve_config *cfg)
{
    T.cfg = cfg;
}

bool sessions_draining(void)
{
    pthread_mutex_lock(&T.lock);
    bool d = T.draining;
    pthread_mutex_unlock(&T.lock);
    return d;
}

unsigned sessions_count(void)
{
    pthread_mutex_lock(&T.lock);
    unsigned n = T.count;
    pthread_mutex_unlock(&T.lock);
    return n;
}

static void refuse(struct refusal *why, int http, unsigned retry, const char *msg)
{
    why->http = http;
    why->retry_after = retry;
    snprintf(why->msg, sizeof why->msg, "%s", msg);
}

static void add_stats(struct sentry_stats *sum, const struct sentry_stats *s)
{
    for (unsigned k = 0; k < SYSCALL_MAX; k++)
        sum->calls[k] += __atomic_load_n(&s->calls[k], __ATOMIC_RELAXED);
    for (unsigned k = 0; k < DENIAL_KINDS; k++)
        sum->denied[k] += __atomic_load_n(&s->denied[k], __ATOMIC_RELAXED);
}

/* Under T.lock. */
static void unlist(struct sess *s)
{
    for (struct sess **pp = &T.head; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            s->listed = false;
            T.count--;
            s->refs--;
            /* Its counts as of now stay in the totals: /metrics counters
             * never go down. */
            if (s->stats)
                add_stats(&T.gone, s->stats);
            pthread_cond_broadcast(&T.idle);   /* its queue learns it is gone */
            return;
        }
}

void sessions_stats(struct sentry_stats *sum)
{
    pthread_mutex_lock(&T.lock);
    *sum = T.gone;
    for (struct sess *s = T.head; s; s = s->next)
        if (s->stats)
            add_stats(sum, s->stats);
    pthread_mutex_unlock(&T.lock);
}

void sess_hold(struct sess *s)
{
    pthread_mutex_lock(&T.lock);
    s->refs++;
    pthread_mutex_unlock(&T.lock);
}

void sess_put(struct sess *s)
{
    pthread_mutex_lock(&T.lock);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&T.lock);
    if (!last)
        return;
    if (s->stats)
        munmap((void *)s->stats, sizeof *s->stats);
    close(s->ctl);
    close(s->pidfd);
    eventlog_put(s->events);
    free(s);
}

/* Collects the sentry's exit if it has exited (wait: up to that many ms for
 * it) and records why. Under no lock: waitid on a pidfd only ever reaps this
 * one child. */
static bool reap(struct sess *s, int wait_ms)
{
    struct pollfd p = { .fd = s->pidfd, .events = POLLIN };
    if (poll(&p, 1, wait_ms) != 1)
        return false;
    siginfo_t si = { 0 };
    int r = waitid((idtype_t)P_PIDFD, (id_t)s->pidfd, &si, WEXITED | WNOHANG);
    pthread_mutex_lock(&T.lock);
    bool first = !s->reaped;
    if (r == 0 && si.si_pid && first) {
        s->reaped = true;
        if (s->state != SESS_FAILED && si.si_code == CLD_EXITED && si.si_status == 0) {
            snprintf(s->reason, sizeof s->reason, "the session sentry ended");
        } else if (s->state != SESS_FAILED) {
            s->state = SESS_FAILED;
            if (si.si_code == CLD_EXITED)
                snprintf(s->reason, sizeof s->reason, "the session sentry exited with status %d",
                         si.si_status);
            else
                snprintf(s->reason, sizeof s->reason, "the session sentry was killed by signal %d (%s)",
                         si.si_status, strsignal(si.si_status));
        }
    }
    bool killed = s->reaped && first && !(si.si_code == CLD_EXITED);
    pthread_mutex_unlock(&T.lock);
    if (killed)
        session_remove_leftovers(s->pid);
    return s->reaped;
}

void sess_broken(struct sess *s)
{
    if (!reap(s, 1000)) {
        /* The channel broke but the sentry lives on: it cannot be trusted
         * to serve this session any more. */
        kill(s->pid, SIGKILL);
        reap(s, 5000);
    }
    pthread_mutex_lock(&T.lock);
    if (s->state != SESS_FAILED) {
        s->state = SESS_FAILED;
        if (!s->reason[0])
            snprintf(s->reason, sizeof s->reason, "the control channel broke");
    }
    pthread_cond_broadcast(&T.idle);
    pthread_mutex_unlock(&T.lock);
    metric_inc(M_SESSIONS_FAILED);
}

/* Stops the sentry: SHUTDOWN when idle (it removes its own leftovers), a
 * SIGTERM that reaches the running guest otherwise, SIGKILL after grace. */
static void stop(struct sess *s, bool idle)
{
    if (idle)
        ctl_send(s->ctl, CTL_SHUTDOWN, "{}", NULL, 0);
    else
        kill(s->pid, SIGTERM);
    if (!reap(s, 3000)) {
        kill(s->pid, SIGKILL);
        reap(s, 5000);
    }
}

/* The policy reaches the sentry as /proc/self/fd/4: a sealed memfd, so no
 * file of it ever exists on the host. */
static int policy_fd(const char *json)
{
    int fd = memfd_create("cordon-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    size_t len = strlen(json);
    if (write(fd, json, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK);
    return fd;
}

/* The sentry's counters, mapped read-only; NULL unless the memfd is sealed
 * against shrinking at their full size: the server trusts no sentry not to
 * truncate it under the mapping. */
static const struct sentry_stats *map_stats(int fd)
{
    struct stat st;
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) < 0 ||
        (size_t)st.st_size < sizeof(struct sentry_stats))
        return NULL;
    void *m = mmap(NULL, sizeof(struct sentry_stats), PROT_READ, MAP_SHARED, fd, 0);
    return m == MAP_FAILED ? NULL : m;
}

static pid_t spawn(const struct create_args *a, int ctl, int pol, int events)
{
    /* The session's limits, each a flag of `cordon run` when set. */
    const struct { const char *flag; uint64_t val; } limits[] = {
        { "--memory", a->memory }, { "--pids", a->pids }, { "--disk", a->disk },
        { "--inodes", a->inodes }, { "--cpu", a->cpu },
    };
    char vals[sizeof limits / sizeof *limits][24];
    const char *argv[24];
    unsigned n = 0;
    argv[n++] = "cordon";
    argv[n++] = "session-daemon";
    argv[n++] = "3";
    for (unsigned k = 0; k < sizeof limits / sizeof *limits; k++)
        if (limits[k].val) {
            snprintf(vals[k], sizeof vals[k], "%llu", (unsigned long long)limits[k].val);
            argv[n++] = limits[k].flag;
            argv[n++] = vals[k];
        }
    if (pol >= 0) {
        argv[n++] = "--policy";
        argv[n++] = "/proc/self/fd/4";
    }
    argv[n++] = "--events";
    argv[n++] = "/proc/self/fd/5";
    if (T.cfg->platform != PLATFORM_AUTO) {
        argv[n++] = "--platform";
        argv[n++] = T.cfg->platform == PLATFORM_SECCOMP ? "seccomp" : "ptrace";
    }
    if (T.cfg->verbose)
        argv[n++] = "-v";
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* The child: only async-signal-safe calls until exec. */
    sigset_t none;
    sigemptyset(&none);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(ctl, 3) < 0 || (pol >= 0 && dup2(pol, 4) < 0) || dup2(events, 5) < 0)
        _exit(125);
    execv(T.cfg->self, (char *const *)argv);
    _exit(125);
}

struct sess *sess_create(const char *tenant, const struct create_args *a, struct refusal *why)
{
    pthread_mutex_lock(&T.lock);
    unsigned mine = 0;
    for (struct sess *s = T.head; s; s = s->next)
        mine += !strcmp(s->tenant, tenant);
    bool draining = T.draining, full = T.count >= T.cfg->max_sessions,
         capped = mine >= T.cfg->tenant_sessions;
    struct sess *s = NULL;
    if (!draining && !full && !capped && (s = calloc(1, sizeof *s))) {
        /* Counted now, so concurrent creates cannot overshoot the caps. */
        s->refs = 2;   /* the table's and the caller's */
        s->listed = true;
        s->next = T.head;
        T.head = s;
        T.count++;
    }
    pthread_mutex_unlock(&T.lock);
    if (draining) {
        refuse(why, 503, 5, "the server is shutting down");
        metric_inc(M_REFUSED_503);
        return NULL;
    }
    if (full) {
        refuse(why, 503, 5, "the server is full: no more sessions now");
        metric_inc(M_REFUSED_503);
        return NULL;
    }
    if (capped) {
        char m[128];
        snprintf(m, sizeof m, "tenant session limit reached (%u): delete one first",
                 T.cfg->tenant_sessions);
        refuse(why, 429, 10, m);
        metric_inc(M_REFUSED_429);
        return NULL;
    }
    if (!s) {
        refuse(why, 500, 0, "out of memory");
        return NULL;
    }
    s->ctl = s->pidfd = -1;
    _cleanup_close_ int child_end = -1, pol = -1, ev_wr = -1;
    uint8_t raw[16];
    if (getrandom(raw, sizeof raw, 0) != sizeof raw)
        goto fail;
    for (unsigned k = 0; k < sizeof raw; k++)
        snprintf(s->id + 2 * k, 3, "%02x", raw[k]);
    snprintf(s->tenant, sizeof s->tenant, "%s", tenant);
    s->ttl = a->ttl ? a->ttl : T.cfg->default_ttl;
    s->memory = a->memory;
    s->pids = a->pids;
    s->disk = a->disk;
    s->inodes = a->inodes;
    s->cpu = a->cpu;
    s->created = s->last_used = time(NULL);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        goto fail;
    child_end = sv[1];
    s->ctl = sv[0];
    pol = a->policy_json ? policy_fd(a->policy_json) : -1;
    if (a->policy_json && pol < 0)
        goto fail;
    int ev[2];
    if (pipe2(ev, O_CLOEXEC) < 0)
        goto fail;
    ev_wr = ev[1];
    if (!(s->events = eventlog_start(ev[0]))) {
        close(ev[0]);
        goto fail;
    }
    s->pid = spawn(a, child_end, pol, ev_wr);
    if (s->pid < 0)
        goto fail;
    s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
    if (s->pidfd < 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        goto fail;
    }
    close(TAKE_FD(child_end));
    close(TAKE_FD(ev_wr));   /* the sentry's copy is the only writer: EOF when it ends */
    /* The sentry says it is ready once its session exists. */
    char buf[256];
    enum ctl_op op;
    int fds[CTL_MAX_FDS];
    unsigned nfds;
    int r = ctl_recv(s->ctl, &op, buf, sizeof buf, fds, &nfds);
    if (r > 0 && nfds == 1)
        s->stats = map_stats(fds[0]);
    for (unsigned k = 0; k < nfds; k++)
        close(fds[k]);
    if (r <= 0 || op != CTL_REPLY) {
        stop(s, false);
        refuse(why, 500, 0, "the session sentry failed to start (the server's log says why)");
        goto unlist;
    }
    metric_inc(M_SESSIONS_CREATED);
    return s;
fail:
    refuse(why, 500, 0, strerror(errno));
unlist:
    pthread_mutex_lock(&T.lock);
    unlist(s);
    pthread_mutex_unlock(&T.lock);
    sess_put(s);
    return NULL;
}

struct sess *sess_get(const char *tenant, const char *id)
{
    pthread_mutex_lock(&T.lock);
    struct sess *s = T.head;
    while (s && (strcmp(s->id, id) || strcmp(s->tenant, tenant)))
        s = s->next;
    if (s)
        s->refs++;
    pthread_mutex_unlock(&T.lock);
    return s;
}

/* One request waiting for a session's channel: a node on its own stack. */
struct sess_waiter {
    struct sess_waiter *next;
};

/* Under T.lock: true and *why when the session cannot be had at all. */
static bool unusable(struct sess *s, struct refusal *why)
{
    if (!s->listed)
        refuse(why, 404, 0, "no such session");
    else if (s->state == SESS_FAILED)
        refuse(why, 410, 0, s->reason);
    else if (T.draining)
        refuse(why, 503, 5, "the server is shutting down");
    else
        return false;
    return true;
}

bool sess_acquire(struct sess *s, bool exec, struct refusal *why)
{
    pthread_mutex_lock(&T.lock);
    bool ok = false;
    if (unusable(s, why)) {
        /* refused */
    } else if (!s->busy && !s->queue) {
        ok = true;
    } else if (s->queued >= SESS_QUEUE_MAX) {
        char m[128];
        snprintf(m, sizeof m, "the session is busy and %u requests already wait for it",
                 SESS_QUEUE_MAX);
        refuse(why, 409, 1, m);
    } else {
        struct sess_waiter w = { NULL }, **tail = &s->queue;
        while (*tail)
            tail = &(*tail)->next;
        *tail = &w;
        s->queued++;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += T.cfg->max_timeout_ms / 1000 + 1;
        bool gone = false, expired = false;
        while (!(gone = unusable(s, why)) && (s->busy || s->queue != &w) && !expired)
            expired = pthread_cond_timedwait(&T.idle, &T.lock, &until) == ETIMEDOUT;
        ok = !gone && !s->busy && s->queue == &w;
        for (struct sess_waiter **pp = &s->queue; *pp; pp = &(*pp)->next)
            if (*pp == &w) {
                *pp = w.next;
                break;
            }
        s->queued--;
        if (!ok && !gone)
            refuse(why, 409, 1, "the session stayed busy longer than the exec timeout");
        /* The next in line (or all of them, on a refusal) look again. */
        pthread_cond_broadcast(&T.idle);
    }
    if (ok)
        s->busy = true;
    s->execs += ok && exec;
    pthread_mutex_unlock(&T.lock);
    return ok;
}

void sess_release(struct sess *s)
{
    pthread_mutex_lock(&T.lock);
    s->busy = false;
    s->last_used = time(NULL);
    pthread_cond_broadcast(&T.idle);
    pthread_mutex_unlock(&T.lock);
}

void sess_delete(struct sess *s)
{
    pthread_mutex_lock(&T.lock);
    bool was_listed = s->listed, idle = !s->busy;
    if (was_listed)
        unlist(s);
    s->refs++;   /* ours until stopped */
    pthread_mutex_unlock(&T.lock);
    if (was_listed)
        stop(s, idle);
    sess_put(s);
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v));
}

/* Under T.lock. */
static struct json_object *describe(const struct sess *s)
{
    struct json_object *o = json_object_new_object();
    add_str(o, "id", s->id);
    add_str(o, "state", s->state == SESS_FAILED ? "failed" : s->busy ? "busy" : "ready");
    if (s->state == SESS_FAILED)
        add_str(o, "reason", s->reason);
    json_object_object_add(o, "created", json_object_new_int64(s->created));
    json_object_object_add(o, "idle_seconds", json_object_new_int64(time(NULL) - s->last_used));
    json_object_object_add(o, "ttl", json_object_new_int64(s->ttl));
    json_object_object_add(o, "memory", json_object_new_int64((int64_t)s->memory));
    json_object_object_add(o, "pids", json_object_new_int64((int64_t)s->pids));
    json_object_object_add(o, "disk", json_object_new_int64((int64_t)s->disk));
    json_object_object_add(o, "inodes", json_object_new_int64((int64_t)s->inodes));
    json_object_object_add(o, "cpu", json_object_new_int64((int64_t)s->cpu));
    json_object_object_add(o, "execs", json_object_new_int64((int64_t)s->execs));
    json_object_object_add(o, "queued", json_object_new_int64(s->queued));
    json_object_object_add(o, "sentry_pid", json_object_new_int(s->pid));
    return o;
}

static char *to_text(struct json_object *o)
{
    char *t = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return t;
}

char *sess_json(struct sess *s)
{
    pthread_mutex_lock(&T.lock);
    struct json_object *o = describe(s);
    pthread_mutex_unlock(&T.lock);
    return to_text(o);
}

char *sess_list_json(const char *tenant)
{
    struct json_object *a = json_object_new_array();
    pthread_mutex_lock(&T.lock);
    for (struct sess *s = T.head; s; s = s->next)
        if (!strcmp(s->tenant, tenant))
            json_object_array_add(a, describe(s));
    pthread_mutex_unlock(&T.lock);
    return to_text(a);
}

/* One pass: sentries that died while idle are marked failed; sessions idle
 * beyond their ttl are stopped. */
static void reap_pass(void)
{
    struct sess *victims[64], *dead[64];
    unsigned nv = 0, nd = 0;
    time_t now = time(NULL);
    pthread_mutex_lock(&T.lock);
    for (struct sess *s = T.head; s; s = s->next) {
        if (s->busy)
            continue;
        if (s->state != SESS_FAILED && !s->reaped && nd < 64) {
            s->refs++;
            dead[nd++] = s;
        }
        if (now - s->last_used >= (time_t)s->ttl && nv < 64) {
            s->refs++;
            victims[nv++] = s;
        }
    }
    pthread_mutex_unlock(&T.lock);
    for (unsigned k = 0; k < nd; k++) {
        if (reap(dead[k], 0))
            metric_inc(M_SESSIONS_FAILED);
        sess_put(dead[k]);
    }
    for (unsigned k = 0; k < nv; k++) {
        pthread_mutex_lock(&T.lock);
        bool still_idle = !victims[k]->busy;
        pthread_mutex_unlock(&T.lock);
        if (still_idle) {
            sess_delete(victims[k]);
            metric_inc(M_SESSIONS_REAPED);
        }
        sess_put(victims[k]);
    }
}

static void *reaper_main(void *arg)
{
    (void)arg;
    for (;;) {
        sleep(1);
        reap_pass();
    }
    return NULL;
}

void sessions_start_reaper(void)
{
    pthread_t th;
    if (pthread_create(&th, NULL, reaper_main, NULL) == 0)
        pthread_detach(th);
}

void sessions_drain(unsigned grace_s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += grace_s;
    pthread_mutex_lock(&T.lock);
    T.draining = true;
    pthread_cond_broadcast(&T.idle);   /* queued requests are refused */
    for (;;) {
        bool busy = false;
        for (struct sess *s = T.head; s; s = s->next)
            busy |= s->busy;
        if (!busy || pthread_cond_timedwait(&T.idle, &T.lock, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&T.lock);
    for (;;) {
        pthread_mutex_lock(&T.lock);
        struct sess *s = T.head;
        if (s)
            s->refs++;
        pthread_mutex_unlock(&T.lock);
        if (!s)
            break;
        sess_delete(s);
        sess_put(s);
    }
}
