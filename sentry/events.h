/* sentry/events.h — the session's live event stream: one event model that
 * every layer (sentry, fs, net) emits into, shipped as OTLP log records.
 *
 * Owns: the event model (kind, severity, name, guest pid/tid, time, typed
 * attributes), the bounded lock-free ring the layers hand events to, the
 * writer thread that formats batches as OTLP JSON (`LogsData`) and ships
 * them to the sinks (--events FILE|-, --otlp-endpoint URL), the dropped
 * events counter, the --summary counts, and the session's canary tokens.
 *
 * Why a ring and a thread: events are emitted on the dispatch path and the
 * tracer's path, which must stay fast. An emitter only copies its strings
 * into a fixed-size slot (no allocation, no formatting, no system call
 * except an eventfd wake for high-severity events); JSON and I/O happen on
 * the writer thread. A full ring drops the event and counts it: the guest
 * is never slowed by a slow sink, and the loss is reported (resource
 * attribute `cordon.events.dropped`, and the summary).
 *
 * Threading: every emitter may be called from any thread, concurrently.
 * Strings are copied at the call (truncated with a marker when a slot is
 * full); attribute keys and event names must be string literals.
 * Before events_start() (or without any sink) every emitter returns at
 * once after one load of a flag.
 */
#ifndef CORDON_SENTRY_EVENTS_H
#define CORDON_SENTRY_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

struct call;

enum event_kind {
    EVENT_PROCESS,   /* spawn, exec (argv), exit (status) */
    EVENT_FILE,      /* open for write, create, delete, rename, denied, secret probe */
    EVENT_NET,       /* DNS query, connect, HTTP request, block */
    EVENT_POLICY,    /* a denied system call */
    EVENT_CANARY,    /* a canary read, or egress carrying a canary token */
    EVENT_KINDS,
};

/* OpenTelemetry SeverityNumber values. */
enum event_severity {
    SEV_DEBUG = 5,
    SEV_INFO = 9,
    SEV_WARN = 13,
    SEV_ERROR = 17,
    SEV_FATAL = 21,
};

/* One attribute: a string (str != NULL), a list of strings (strv != NULL,
 * nstrv of them) or an integer. */
struct event_attr {
    const char *key;   /* a literal, e.g. "file.path" */
    const char *str;
    const char *const *strv;
    unsigned nstrv;
    int64_t num;
};
#define EV_STR(k, v) ((struct event_attr){ .key = (k), .str = (v) ? (v) : "" })
#define EV_STRV(k, v, n) ((struct event_attr){ .key = (k), .strv = (v), .nstrv = (n) })
#define EV_INT(k, v) ((struct event_attr){ .key = (k), .num = (int64_t)(v) })

/* At most this many attributes, and this many bytes of string data, per
 * event; longer strings are cut and end in EVENTS_TRUNCATED. */
#define EVENT_ATTRS 10
#define EVENT_TEXT 1536
#define EVENTS_TRUNCATED "...[truncated]"

struct events_options {
    const char *file;       /* --events: a path, "-" for stdout, or NULL */
    const char *endpoint;   /* --otlp-endpoint base URL, or NULL */
    bool summary;           /* --summary: counts on stderr at exit */
    bool verbose;           /* -v: denials also as a line on stderr */
};

/* Opens the sinks, draws the session id and starts the writer. With no sink and no summary, events stay off. -1 + *e on a
 * sink that cannot be opened. */
int events_start(const struct events_options *o, struct err *e);
/* Ships what is left (the HTTP sink gets a bounded last try), prints the
 * summary, stops the threads. Safe to call when never started. */
void events_stop(void);

/* True when anything consumes events: callers skip building arguments
 * (reading argv from guest memory, say) when nobody listens. */
extern bool events_on;
static inline bool events_enabled(void) { return __atomic_load_n(&events_on, __ATOMIC_RELAXED); }

/* The session id (32 hex digits), also resource attribute session.id. */
const char *events_session_id(void);

/* The generic emitter. `name` is the event's name ("process.exec"), `body`
 * a short human sentence (copied like a string attribute). pid/tid are the
 * guest's ids (0 when unknown). */
void event_emit(enum event_kind kind, enum event_severity sev, const char *name, pid_t pid,
                pid_t tid, const char *body, const struct event_attr *attrs, unsigned nattrs);

/* ---- typed emitters: what the layers call -------------------------------
 * `c` is the call being serviced (its task gives the guest pid/tid), or NULL. */

/* process */
void event_spawn(pid_t pid, pid_t tid, pid_t parent_pid, bool thread);
void event_exec(const struct call *c, const char *path, const char *const *argv, unsigned argc);
void event_exit(pid_t pid, pid_t tid, int wait_status);

/* file */
enum event_file_op {
    FILE_OPEN_WRITE, FILE_CREATE, FILE_DELETE, FILE_RENAME, FILE_DENIED, FILE_SECRET_PROBE,
};
/* path2: the new name of a rename, else NULL. err: 0 or the errno returned. */
void event_file(const struct call *c, enum event_file_op op, const char *path, const char *path2,
                int err);

/* network: the net layer fills what it knows (NULL / 0 for the rest). */
enum event_net_op { NET_DNS, NET_CONNECT, NET_HTTP, NET_BLOCK };
struct event_net {
    const char *host;       /* name asked for or Host: header */
    const char *addr;       /* numeric address */
    int port;
    const char *method;     /* HTTP */
    const char *path;       /* HTTP */
    int status;             /* HTTP status */
    uint64_t bytes_out;     /* counted into the summary's bytes out */
    uint64_t bytes_in;
    const char *reason;     /* NET_BLOCK: why */
};
void event_net(const struct call *c, enum event_net_op op, const struct event_net *n);

/* policy: a denied system call (name and first args); also the -v line. */
void event_denied(const struct call *c, const char *syscall_name, int err);

/* canaries */
enum event_canary_op { CANARY_READ, CANARY_EGRESS };
/* path: the canary file; detail: e.g. the destination of an egress attempt. */
void event_canary(const struct call *c, enum event_canary_op op, const char *path,
                  const char *detail);

/* The session's canary tokens (sentry/canary.c; NULL-terminated, lives for
 * the session): the
 * exact strings placed in canary files that must never leave. The net
 * layer's egress scan looks for them (and their encodings). Empty list
 * when there are no canaries. */
const char *const *events_canary_tokens(void);

#endif
