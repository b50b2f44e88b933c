/* serve/serve.h — `cordon serve`, the multi-tenant session server, and the
 * `cordon session` client.
 *
 * Owns: supervision only. Each session is one `cordon session-daemon`
 * process (its VFS, policy and guest trees live there, sentry/ctl.h); the
 * server keeps the table of sessions per tenant, speaks HTTP/1.1 + JSON
 * (libmicrohttpd, json-c), enforces the limits, reaps dead and idle
 * sessions, and never holds guest state itself, so a fault in one session's
 * sentry cannot reach the server or another session.
 */
#ifndef CORDON_SERVE_H
#define CORDON_SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "platform/platform.h"
#include "util/err.h"

/* ---- tokens (serve/tokens.c) ---------------------------------------------- */

struct tokens;
/* Reads FILE: a JSON object {"TOKEN": "TENANT", ...} or lines "TOKEN TENANT"
 * ('#' comments). Fills *e naming the file and line on a bad entry. */
int tokens_load(const char *path, struct tokens **out, struct err *e);
void tokens_free(struct tokens *t);
/* The tenant of an "Authorization: Bearer TOKEN" value, or NULL. */
const char *tokens_tenant(const struct tokens *t, const char *authorization);

/* ---- sessions (serve/sessions.c) ------------------------------------------ */

struct serve_config {
    const char *self;              /* the cordon binary that runs session sentries */
    enum platform_kind platform;
    unsigned max_sessions;         /* whole server: 503 beyond */
    unsigned tenant_sessions;      /* per tenant: 429 beyond */
    unsigned default_ttl;          /* idle seconds before a session is reaped */
    unsigned max_timeout_ms;       /* exec timeout cap (and default) */
    uint64_t max_output;           /* bytes of stdout+stderr per exec, then a marker frame */
    uint64_t max_file;             /* bytes per uploaded file */
    uint64_t memory, pids;         /* default per-session limits; 0: none */
    unsigned cpu;                  /* default CPU seconds per exec's process; 0: none */
    unsigned grace_s;              /* SIGTERM: how long running execs may finish */
    bool verbose;
};

enum sess_state { SESS_READY, SESS_FAILED };
struct sentry_stats;

struct sess {
    char id[33];
    char tenant[64];
    pid_t pid;
    int pidfd;
    int ctl;                       /* control channel (sentry/ctl.h) */
    struct eventlog *events;       /* what its sentry emits; NULL if it could not be set up */
    const struct sentry_stats *stats; /* its sentry's counters, mapped; NULL: none */
    /* Under the table lock: */
    int refs;                      /* the table's + each request's */
    bool busy;                     /* a request owns the channel */
    struct sess_waiter *queue;     /* requests waiting for it, first come first */
    unsigned queued;
    bool listed;                   /* still in the table */
    bool reaped;
    enum sess_state state;
    char reason[160];              /* why it failed */
    time_t created, last_used;
    unsigned ttl;
    uint64_t memory, pids, disk, inodes, cpu;
    unsigned long execs;
    struct sess *next;
};

/* Why a request could not have a session (HTTP status + message). */
struct refusal {
    int http;
    unsigned retry_after;          /* seconds; 0: no header */
    char msg[256];
};

struct create_args {
    uint64_t memory, pids, disk, inodes, cpu;
    unsigned ttl;
    const char *policy_json;       /* NULL: none */
};

void sessions_init(const struct serve_config *cfg);
/* Starts a session sentry for tenant: the session (with a reference), or
 * NULL and *why. */
struct sess *sess_create(const char *tenant, const struct create_args *a, struct refusal *why);
/* The tenant's session `id` with a reference, or NULL (also for another
 * tenant's session: it does not exist for them). */
struct sess *sess_get(const char *tenant, const char *id);
void sess_hold(struct sess *s);   /* one more reference */
void sess_put(struct sess *s);
/* Takes the session's channel for one request (exec: counted as one).
 * While another request has it, waits in the session's queue (first come,
 * first served; at most SESS_QUEUE_MAX waiting, each up to the server's
 * exec timeout): false and *why when the queue is full or the wait ran out
 * (409), the session is gone (404), failed (410) or the server drains
 * (503). sess_release gives it back. */
#define SESS_QUEUE_MAX 8
bool sess_acquire(struct sess *s, bool exec, struct refusal *why);
void sess_release(struct sess *s);
/* Removes the session from the table and stops its sentry. */
void sess_delete(struct sess *s);
/* Called when the channel broke: collects the sentry's exit and marks the
 * session failed with the reason. */
void sess_broken(struct sess *s);
/* The tenant's sessions as a JSON array text (caller frees). */
char *sess_list_json(const char *tenant);
char *sess_json(struct sess *s);
/* Reaper: idle ttl and dead sentries, once a second until serve ends. */
void sessions_start_reaper(void);
/* SIGTERM: no new sessions; waits up to grace for running execs; stops all. */
void sessions_drain(unsigned grace_s);
bool sessions_draining(void);

/* ---- events (serve/eventlog.c) ------------------------------------------- */

struct eventlog;
/* Drains fd (the read end of the sentry's --events pipe; owned from now)
 * into a bounded buffer; NULL on failure. */
struct eventlog *eventlog_start(int fd);
void eventlog_hold(struct eventlog *l);
void eventlog_put(struct eventlog *l);
/* Copies what follows stream offset *pos (advanced) into buf: bytes, 0 when
 * nothing came within a second (follow only), -1 at the end (the sentry is
 * gone and all was read, or !follow and all was read). */
ssize_t eventlog_read(struct eventlog *l, uint64_t *pos, char *buf, size_t max, bool follow);

/* ---- metrics (serve/metrics.c) -------------------------------------------- */

enum metric {
    M_SESSIONS_CREATED, M_SESSIONS_FAILED, M_SESSIONS_REAPED, M_EXECS, M_EXEC_ERRORS,
    M_OUTPUT_TRUNCATED, M_REFUSED_429, M_REFUSED_503, M_COUNT,
};
void metric_inc(enum metric m);
void metric_exec_seconds(double s);
/* Prometheus text exposition (caller frees). */
char *metrics_text(unsigned sessions_now);
unsigned sessions_count(void);
/* The counters of every session sentry, those gone included, summed. */
void sessions_stats(struct sentry_stats *sum);

/* ---- HTTP (serve/http.c) -------------------------------------------------- */

struct MHD_Daemon;
struct MHD_Daemon *http_start(int listen_fd, const struct tokens *t, const struct serve_config *cfg,
                              struct err *e);

/* ---- commands (serve/serve_main.c, serve/client.c) ------------------------ */

int cmd_serve(int argc, char **argv);
int cmd_session(int argc, char **argv);

#endif
