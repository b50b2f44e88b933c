/* sentry/event_record.h — what the event ring holds and what the writer side
 * (sentry/events.c, sentry/otlp.c, sentry/otlp_http.c) shares.
 *
 * A record is a fixed-size, self-contained copy of one event: strings live
 * in the record's own text area, so an emitter never allocates and the
 * writer never reads memory the emitter may have reused.
 */
#ifndef CORDON_SENTRY_EVENT_RECORD_H
#define CORDON_SENTRY_EVENT_RECORD_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "sentry/events.h"

enum rec_type { REC_INT, REC_STR, REC_STRV };

struct rec_attr {
    const char *key;
    int64_t num;          /* REC_INT; REC_STRV: the number of strings */
    uint16_t off, len;    /* REC_STR, REC_STRV (NUL-separated) in text[] */
    uint8_t type;
    bool cut;             /* truncated: the writer appends EVENTS_TRUNCATED */
};

struct event_rec {
    uint64_t time_ns;
    const char *name;
    pid_t pid, tid;
    uint8_t kind, sev, nattr;
    struct rec_attr body;       /* REC_STR */
    struct rec_attr attr[EVENT_ATTRS];
    char text[EVENT_TEXT];
};

/* sentry/otlp.c: one OTLP LogRecord (JSON mapping) for a record. */
struct json_object *otlp_record(const struct event_rec *r, uint64_t observed_ns);
/* A LogsData object around `records` (an array of LogRecords; a reference is
 * taken), with the session's resource attributes and the dropped count. */
struct json_object *otlp_logs_data(struct json_object *records, const char *session_id,
                                   uint64_t dropped);
/* The compact one-line JSON text of o (owned by o). */
const char *otlp_text(struct json_object *o);

/* sentry/events.c: events lost so far (ring full + sinks that gave up). */
uint64_t events_dropped(void);

/* sentry/otlp_http.c: the --otlp-endpoint sink. push takes ownership of a
 * reference to `records` (n of them); a full buffer drops its oldest batch. */
int otlp_http_start(const char *base_url, struct err *e);
void otlp_http_push(struct json_object *records, unsigned n);
/* Sends what is queued, giving up after grace_ms; the rest counts as dropped. */
void otlp_http_stop(unsigned grace_ms);
uint64_t otlp_http_dropped(void);
uint64_t otlp_http_sent(void);

#endif
