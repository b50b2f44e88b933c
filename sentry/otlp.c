/* sentry/otlp.c — events as OpenTelemetry logs, in OTLP's JSON mapping.
 *
 * Follows opentelemetry-proto's logs/v1 LogsData under the proto3 JSON
 * rules OTLP/HTTP uses: lowerCamelCase field names, 64-bit integers
 * (timeUnixNano, intValue) as decimal strings, enums as numbers
 * (severityNumber), AnyValue as {"stringValue"|"intValue"|"arrayValue"}.
 * One LogsData holds one batch; --events writes one per line (NDJSON) and
 * the HTTP sink POSTs the same object.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sentry/event_record.h"

#define SCOPE_NAME "cordon"
#define SCOPE_VERSION "0.1.0"

static struct json_object *u64_string(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRIu64, v);
    return json_object_new_string(b);
}

static struct json_object *any_string(const char *s, size_t len)
{
    struct json_object *v = json_object_new_object();
    json_object_object_add(v, "stringValue", json_object_new_string_len(s, (int)len));
    return v;
}

static struct json_object *any_int(int64_t n)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRId64, n);
    struct json_object *v = json_object_new_object();
    json_object_object_add(v, "intValue", json_object_new_string(b));
    return v;
}

/* A string from the record's text, with the truncation marker when cut. */
static struct json_object *text_value(const char *s, size_t len, bool cut)
{
    if (!cut)
        return any_string(s, len);
    char b[EVENT_TEXT + sizeof EVENTS_TRUNCATED];
    memcpy(b, s, len);
    memcpy(b + len, EVENTS_TRUNCATED, sizeof EVENTS_TRUNCATED);
    return any_string(b, len + sizeof EVENTS_TRUNCATED - 1);
}

static struct json_object *value(const struct event_rec *r, const struct rec_attr *a)
{
    const char *s = r->text + a->off;
    switch (a->type) {
    case REC_INT:
        return any_int(a->num);
    case REC_STR:
        return text_value(s, a->len, a->cut);
    default: {
        struct json_object *values = json_object_new_array();
        for (int64_t k = 0; k < a->num; k++) {
            size_t len = strlen(s);
            bool last = k == a->num - 1;
            json_object_array_add(values, text_value(s, len, a->cut && last));
            s += len + 1;
        }
        struct json_object *arr = json_object_new_object(), *v = json_object_new_object();
        json_object_object_add(arr, "values", values);
        json_object_object_add(v, "arrayValue", arr);
        return v;
    }
    }
}

static void add_kv(struct json_object *list, const char *key, struct json_object *v)
{
    struct json_object *kv = json_object_new_object();
    json_object_object_add(kv, "key", json_object_new_string(key));
    json_object_object_add(kv, "value", v);
    json_object_array_add(list, kv);
}

static const char *severity_text(unsigned sev)
{
    return sev >= 21 ? "FATAL" : sev >= 17 ? "ERROR" : sev >= 13 ? "WARN" : sev >= 9 ? "INFO"
                                                                                     : "DEBUG";
}

struct json_object *otlp_record(const struct event_rec *r, uint64_t observed_ns)
{
    static const char *const KINDS[] = { "process", "file", "net", "policy", "canary" };
    struct json_object *rec = json_object_new_object(), *attrs = json_object_new_array();
    json_object_object_add(rec, "timeUnixNano", u64_string(r->time_ns));
    json_object_object_add(rec, "observedTimeUnixNano", u64_string(observed_ns));
    json_object_object_add(rec, "severityNumber", json_object_new_int(r->sev));
    json_object_object_add(rec, "severityText", json_object_new_string(severity_text(r->sev)));
    json_object_object_add(rec, "body", value(r, &r->body));
    add_kv(attrs, "event.name", any_string(r->name, strlen(r->name)));
    add_kv(attrs, "cordon.event.kind", any_string(KINDS[r->kind], strlen(KINDS[r->kind])));
    if (r->pid)
        add_kv(attrs, "process.pid", any_int(r->pid));
    if (r->tid)
        add_kv(attrs, "thread.id", any_int(r->tid));
    for (unsigned k = 0; k < r->nattr; k++)
        add_kv(attrs, r->attr[k].key, value(r, &r->attr[k]));
    json_object_object_add(rec, "attributes", attrs);
    return rec;
}

struct json_object *otlp_logs_data(struct json_object *records, const char *session_id,
                                   uint64_t dropped)
{
    struct json_object *rattrs = json_object_new_array();
    add_kv(rattrs, "service.name", any_string("cordon", 6));
    add_kv(rattrs, "session.id", any_string(session_id, strlen(session_id)));
    add_kv(rattrs, "cordon.events.dropped", any_int((int64_t)dropped));
    struct json_object *resource = json_object_new_object();
    json_object_object_add(resource, "attributes", rattrs);

    struct json_object *scope = json_object_new_object();
    json_object_object_add(scope, "name", json_object_new_string(SCOPE_NAME));
    json_object_object_add(scope, "version", json_object_new_string(SCOPE_VERSION));
    struct json_object *sl = json_object_new_object();
    json_object_object_add(sl, "scope", scope);
    json_object_object_add(sl, "logRecords", json_object_get(records));
    struct json_object *sls = json_object_new_array();
    json_object_array_add(sls, sl);

    struct json_object *rl = json_object_new_object();
    json_object_object_add(rl, "resource", resource);
    json_object_object_add(rl, "scopeLogs", sls);
    struct json_object *rls = json_object_new_array();
    json_object_array_add(rls, rl);
    struct json_object *logs = json_object_new_object();
    json_object_object_add(logs, "resourceLogs", rls);
    return logs;
}

const char *otlp_text(struct json_object *o)
{
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
}
