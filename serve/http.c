/* serve/http.c — the HTTP/1.1 JSON API on libmicrohttpd.
 *
 * One thread per connection (libmicrohttpd's), so an exec's NDJSON stream
 * can block in poll() on the guest's pipes without holding anyone else up.
 * Every /v1 request names its tenant by bearer token; a session id of
 * another tenant answers exactly as an unknown one (404), so ids leak
 * nothing. Bodies: JSON up to 1 MiB; file uploads stream straight into the
 * file the session sentry opened (sentry/ctl.h CTL_OPEN), downloads are
 * sent from its fd, and output never passes through the sentry at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sentry/ctl.h"
#include "serve/serve.h"
#include "util/cleanup.h"
#include "util/json_bytes.h"
#include "serve/mhd.h"

#define BODY_MAX (1u << 20)
#define STDIN_MAX (16u << 20)
#define CHUNK 16384

static struct {
    const struct tokens *tokens;
    const struct serve_config *cfg;
} H;

enum route { R_NONE, R_PUT };

/* One request's state across libmicrohttpd's calls for it. */
struct req {
    enum route route;
    char *body;
    size_t len;
    bool too_big;
    int fd;                  /* PUT: the file being written */
    uint64_t written;
    bool write_failed;
    struct refusal early;    /* PUT: refused before the body */
    bool refused;
};

/* Every response ends here: typed, queued, and our reference dropped (MHD
 * keeps its own until it is sent). */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                             const char *type)
{
    mhd.MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = mhd.MHD_queue_response(c, status, r);
    mhd.MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type,
                                 const char *text, unsigned retry_after)
{
    struct MHD_Response *r =
        mhd.MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (retry_after) {
        char v[16];
        snprintf(v, sizeof v, "%u", retry_after);
        mhd.MHD_add_response_header(r, "Retry-After", v);
    }
    if (status == MHD_HTTP_UNAUTHORIZED)
        mhd.MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    return queue(c, status, r, type);
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, struct json_object *o)
{
    enum MHD_Result ok = send_text(c, status, "application/json",
                                   json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), 0);
    json_object_put(o);
    return ok;
}

static enum MHD_Result send_owned(struct MHD_Connection *c, unsigned status, char *text)
{
    if (!text)
        return MHD_NO;
    enum MHD_Result ok = send_text(c, status, "application/json", text, 0);
    free(text);
    return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                  unsigned retry_after)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    enum MHD_Result ok = send_text(c, status, "application/json",
                                   json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                                   retry_after);
    json_object_put(o);
    return ok;
}

static enum MHD_Result send_refusal(struct MHD_Connection *c, const struct refusal *w)
{
    return send_error(c, (unsigned)w->http, w->msg, w->retry_after);
}

/* The HTTP status for an errno from the session's VFS. */
static unsigned errno_status(int err)
{
    switch (err) {
    case ENOENT: case ENOTDIR: return MHD_HTTP_NOT_FOUND;
    case EACCES: case EPERM: case EROFS: return MHD_HTTP_FORBIDDEN;
    case EISDIR: case EINVAL: case ENAMETOOLONG: case ELOOP: return MHD_HTTP_BAD_REQUEST;
    case ENOSPC: case EDQUOT: case EFBIG: return MHD_HTTP_CONTENT_TOO_LARGE;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* ---- parsing the path --------------------------------------------------- */

struct target {
    char id[33];
    const char *sub;   /* "", "exec", "events", "files/..." */
};

/* "/v1/sessions[/ID[/SUB]]": 0 for the collection, 1 for a session, -1 else. */
static int parse_target(const char *url, struct target *t)
{
    static const char P[] = "/v1/sessions";
    if (strncmp(url, P, sizeof P - 1))
        return -1;
    url += sizeof P - 1;
    if (!*url || !strcmp(url, "/"))
        return 0;
    if (*url++ != '/')
        return -1;
    size_t n = strcspn(url, "/");
    if (n != 32 || strspn(url, "0123456789abcdef") < 32)
        return n ? 2 : -1;   /* not an id this server makes: no such session */
    memcpy(t->id, url, 32);
    t->id[32] = '\0';
    t->sub = url[32] == '/' ? url + 33 : "";
    return 1;
}

/* ---- sessions ------------------------------------------------------------ */

/* A non-negative integer field of a JSON body: 0 absent, 1 set, -1 bad. */
static int get_uint(struct json_object *o, const char *key, uint64_t *out, char *msg, size_t size)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
        snprintf(msg, size, "\"%s\": expected a non-negative integer", key);
        return -1;
    }
    *out = (uint64_t)json_object_get_int64(v);
    return 1;
}

static struct json_object *parse_body(const struct req *r, char *msg, size_t size)
{
    if (r->too_big) {
        snprintf(msg, size, "the request body is larger than %u bytes", BODY_MAX);
        return NULL;
    }
    if (!r->len)
        return json_object_new_object();
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(tok, r->body, (int)r->len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!o || je != json_tokener_success || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        snprintf(msg, size, "the body must be a JSON object (%s)", json_tokener_error_desc(je));
        return NULL;
    }
    return o;
}

/* Refuses keys the endpoint does not know: a misspelt limit must not
 * silently become no limit. */
static bool only_keys(struct json_object *o, const char *const *known, char *msg, size_t size)
{
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok |= !strcmp(*k, key);
        if (!ok) {
            snprintf(msg, size, "unknown key \"%s\"", key);
            return false;
        }
    }
    return true;
}

static enum MHD_Result create_session(struct MHD_Connection *c, const char *tenant, struct req *r)
{
    char msg[256];
    struct json_object *o = parse_body(r, msg, sizeof msg);
    if (!o)
        return send_error(c, MHD_HTTP_BAD_REQUEST, msg, 0);
    static const char *const KEYS[] = { "memory", "pids", "cpu", "disk", "inodes", "ttl", "policy",
                                        NULL };
    struct create_args a = { .memory = H.cfg->memory, .pids = H.cfg->pids, .cpu = H.cfg->cpu };
    uint64_t ttl = 0;
    struct json_object *pol;
    bool ok = only_keys(o, KEYS, msg, sizeof msg) &&
              get_uint(o, "memory", &a.memory, msg, sizeof msg) >= 0 &&
              get_uint(o, "pids", &a.pids, msg, sizeof msg) >= 0 &&
              get_uint(o, "disk", &a.disk, msg, sizeof msg) >= 0 &&
              get_uint(o, "inodes", &a.inodes, msg, sizeof msg) >= 0 &&
              get_uint(o, "cpu", &a.cpu, msg, sizeof msg) >= 0 &&
              get_uint(o, "ttl", &ttl, msg, sizeof msg) >= 0;
    if (ok && ttl > 7 * 24 * 3600) {
        snprintf(msg, sizeof msg, "\"ttl\": at most 604800 seconds");
        ok = false;
    }
    if (ok && a.cpu > 7 * 24 * 3600) {
        snprintf(msg, sizeof msg, "\"cpu\": at most 604800 seconds");
        ok = false;
    }
    if (ok && json_object_object_get_ex(o, "policy", &pol)) {
        struct json_object *m;
        if (!json_object_is_type(pol, json_type_object)) {
            snprintf(msg, sizeof msg, "\"policy\": expected a JSON object (a cordon policy)");
            ok = false;
        } else if (json_object_object_get_ex(pol, "mounts", &m)) {
            /* Host directories are the operator's to grant, never a
             * tenant's: "mounts" would hand out any path of the host. */
            snprintf(msg, sizeof msg, "\"policy.mounts\": not allowed through the API");
            ok = false;
        } else {
            a.policy_json = json_object_to_json_string_ext(pol, JSON_C_TO_STRING_PLAIN);
        }
    }
    if (!ok) {
        json_object_put(o);
        return send_error(c, MHD_HTTP_BAD_REQUEST, msg, 0);
    }
    a.ttl = (unsigned)ttl;
    struct refusal why;
    struct sess *s = sess_create(tenant, &a, &why);
    json_object_put(o);
    if (!s)
        return send_refusal(c, &why);
    enum MHD_Result res = send_owned(c, MHD_HTTP_CREATED, sess_json(s));
    sess_put(s);
    return res;
}

/* ---- streamed NDJSON responses ---------------------------------------------- */

/* An NDJSON response produced by `rd` as the client reads it; `fr` frees
 * cls when the response ends, also when it could not be made. */
static enum MHD_Result send_ndjson(struct MHD_Connection *c, MHD_ContentReaderCallback rd, void *cls,
                                   MHD_ContentReaderFreeCallback fr)
{
    struct MHD_Response *r = mhd.MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, rd, cls, fr);
    if (!r) {
        fr(cls);
        return MHD_NO;
    }
    return queue(c, MHD_HTTP_OK, r, "application/x-ndjson");
}

/* ---- exec: the NDJSON stream --------------------------------------------- */

struct stream {
    struct sess *s;
    int out[2];              /* read ends: stdout, stderr */
    bool eof[2];
    char carry[2][4];        /* an incomplete UTF-8 sequence held for the next frame */
    size_t ncarry[2];
    bool got_result, broken, finished, released;
    struct json_object *result;
    time_t broken_at;
    uint64_t emitted, cap;
    bool capped;
    char *pend;
    size_t pend_len, pend_off;
    struct timespec start;
};

static const char *const STREAM_NAME[2] = { "stdout", "stderr" };

static void pend_frame(struct stream *st, struct json_object *o)
{
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(t);
    char *p = realloc(st->pend, st->pend_len + n + 1);
    if (p) {
        memcpy(p + st->pend_len, t, n);
        p[st->pend_len + n] = '\n';
        st->pend = p;
        st->pend_len += n + 1;
    }
    json_object_put(o);
}

static void pend_kv(struct stream *st, const char *key, struct json_object *v)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, key, v);
    pend_frame(st, o);
}

/* How many bytes at the end of buf[0..n) start a UTF-8 sequence that is
 * not complete yet: held back so no frame splits a character. */
static size_t utf8_tail(const unsigned char *buf, size_t n)
{
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char b = buf[n - back];
        if ((b & 0xc0) == 0x80)
            continue;   /* a continuation byte: look further back */
        size_t need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

/* One chunk of output as a frame that is always valid JSON and lossless:
 * {"stdout": TEXT} when the bytes are UTF-8, {"stdout_b64": BASE64} else. */
static void pend_output(struct stream *st, int k, const unsigned char *buf, size_t len)
{
    if (utf8_valid(buf, len)) {
        pend_kv(st, STREAM_NAME[k], json_object_new_string_len((const char *)buf, (int)len));
        return;
    }
    static const char *const B64_NAME[2] = { "stdout_b64", "stderr_b64" };
    char b64[BASE64_LEN(CHUNK + 4) + 1];
    size_t n = base64_encode(buf, len, b64);
    pend_kv(st, B64_NAME[k], json_object_new_string_len(b64, (int)n));
}

static void output(struct stream *st, int k)
{
    unsigned char buf[CHUNK + 4];
    memcpy(buf, st->carry[k], st->ncarry[k]);
    ssize_t n = read(st->out[k], buf + st->ncarry[k], CHUNK);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    size_t len = st->ncarry[k] + (n > 0 ? (size_t)n : 0);
    st->ncarry[k] = 0;
    if (n <= 0) {
        st->eof[k] = true;
    } else {
        /* Text keeps a character whole across frames; bytes that are no
         * text anyway are sent as they are. */
        size_t tail = utf8_tail(buf, len);
        if (utf8_valid(buf, len - tail)) {
            memcpy(st->carry[k], buf + len - tail, tail);
            st->ncarry[k] = tail;
            len -= tail;
        }
    }
    if (!len || st->capped)
        return;
    if (st->emitted + len > st->cap) {
        len = st->cap - st->emitted;
        st->capped = true;
    }
    st->emitted += len;
    if (len)
        pend_output(st, k, buf, len);
    if (st->capped) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "limit_bytes", json_object_new_int64((int64_t)st->cap));
        json_object_object_add(o, "message", json_object_new_string(
            "output cut here: the rest of stdout and stderr is discarded"));
        pend_kv(st, "truncated", o);
        metric_inc(M_OUTPUT_TRUNCATED);
    }
}

/* The session is handed back before the exit frame leaves, so a client
 * that sends its next exec on reading it never finds the session busy. */
static void release(struct stream *st)
{
    if (!st->released)
        sess_release(st->s);
    st->released = true;
}

static void final_frame(struct stream *st)
{
    st->finished = true;
    release(st);
    struct json_object *v, *e = NULL;
    if (st->got_result && json_object_object_get_ex(st->result, "errno", &v) &&
        json_object_get_int(v) == 0) {
        struct json_object *x = json_object_new_object();
        int code = json_object_object_get_ex(st->result, "code", &v) ? json_object_get_int(v) : -1;
        int sig = json_object_object_get_ex(st->result, "signal", &v) ? json_object_get_int(v) : 0;
        json_object_object_add(x, "code", code >= 0 ? json_object_new_int(code) : NULL);
        json_object_object_add(x, "signal", sig ? json_object_new_int(sig) : NULL);
        bool timed_out = json_object_object_get_ex(st->result, "timed_out", &v) &&
                         json_object_get_boolean(v);
        bool cpu = json_object_object_get_ex(st->result, "cpu_exceeded", &v) &&
                   json_object_get_boolean(v);
        json_object_object_add(x, "timed_out", json_object_new_boolean(timed_out));
        json_object_object_add(x, "cpu_exceeded", json_object_new_boolean(cpu));
        if (timed_out || cpu)
            json_object_object_add(x, "reason", json_object_new_string(
                timed_out ? "the exec timeout passed" : "the session's CPU time limit was spent"));
        json_object_object_get_ex(st->result, "status", &v);
        json_object_object_add(x, "status", json_object_new_int(json_object_get_int(v)));
        pend_kv(st, "exit", x);
    } else {
        char msg[256];
        if (st->got_result)
            snprintf(msg, sizeof msg, "the session sentry refused the exec request");
        else
            snprintf(msg, sizeof msg, "the exec was lost: %s", st->s->reason[0] ? st->s->reason
                                                                  : "the session sentry died");
        e = json_object_new_string(msg);
        pend_kv(st, "error", e);
        metric_inc(M_EXEC_ERRORS);
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    metric_exec_seconds((double)(now.tv_sec - st->start.tv_sec) +
                        (now.tv_nsec - st->start.tv_nsec) / 1e9);
}

static void take_result(struct stream *st)
{
    char buf[1024];
    enum ctl_op op;
    int fds[CTL_MAX_FDS];
    unsigned nfds;
    int r = ctl_recv(st->s->ctl, &op, buf, sizeof buf, fds, &nfds);
    for (unsigned k = 0; k < nfds; k++)
        close(fds[k]);
    if (r > 0 && op == CTL_REPLY && (st->result = json_tokener_parse(buf))) {
        st->got_result = true;
        return;
    }
    st->broken = true;
    st->broken_at = time(NULL);
    sess_broken(st->s);
}

/* Produces the next frame(s) into st->pend, blocking until there is one. */
static void next(struct stream *st)
{
    while (!st->pend_len && !st->finished) {
        bool ended = st->got_result || st->broken;
        /* A dead sentry's guest is killed with it; its pipes close at once,
         * but never wait on them for long. */
        if (st->broken && time(NULL) - st->broken_at > 2)
            st->eof[0] = st->eof[1] = true;
        if (st->eof[0] && st->eof[1] && ended) {
            final_frame(st);
            break;
        }
        struct pollfd p[3];
        int who[3], n = 0;
        for (int k = 0; k < 2; k++)
            if (!st->eof[k]) {
                p[n] = (struct pollfd){ .fd = st->out[k], .events = POLLIN };
                who[n++] = k;
            }
        if (!ended) {
            p[n] = (struct pollfd){ .fd = st->s->ctl, .events = POLLIN };
            who[n++] = 2;
        }
        if (poll(p, (nfds_t)n, 1000) <= 0)
            continue;
        for (int j = 0; j < n; j++) {
            if (!p[j].revents)
                continue;
            if (who[j] < 2)
                output(st, who[j]);
            else
                take_result(st);
        }
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    if (st->pend_off == st->pend_len) {
        st->pend_off = st->pend_len = 0;
        if (st->finished)
            return MHD_CONTENT_READER_END_OF_STREAM;
        next(st);
        if (!st->pend_len)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = st->pend_len - st->pend_off;
    n = n < max ? n : max;
    memcpy(buf, st->pend + st->pend_off, n);
    st->pend_off += n;
    return (ssize_t)n;
}

/* Also when the client went away mid-exec: the guest is told (SIGPIPE on
 * its output, SIGTERM through its sentry), and the session is only handed
 * back once its sentry has answered. */
static void stream_free(void *cls)
{
    struct stream *st = cls;
    for (int k = 0; k < 2; k++)
        close(st->out[k]);
    if (!st->got_result && !st->broken) {
        kill(st->s->pid, SIGTERM);
        struct pollfd p = { .fd = st->s->ctl, .events = POLLIN };
        if (poll(&p, 1, 5000) == 1)
            take_result(st);
        else
            sess_broken(st->s);
    }
    json_object_put(st->result);
    release(st);
    sess_put(st->s);
    free(st->pend);
    free(st);
}

struct feed {
    int fd;
    char *data;
    size_t len;
};

/* stdin is written by its own thread: the guest may read it slowly, or
 * write a pipe's worth of output first. */
static void *feed_main(void *arg)
{
    struct feed *f = arg;   /* SIGPIPE is ignored server-wide: a closed stdin is EPIPE */
    for (size_t off = 0; off < f->len;) {
        ssize_t n = write(f->fd, f->data + off, f->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;   /* the guest closed its stdin */
        off += (size_t)n;
    }
    close(f->fd);
    free(f->data);
    free(f);
    return NULL;
}

static int start_feed(int fd, const char *data, size_t len)
{
    if (!len) {
        close(fd);
        return 0;
    }
    struct feed *f = malloc(sizeof *f);
    char *copy = malloc(len);
    pthread_t th;
    if (!f || !copy) {
        free(f);
        free(copy);
        close(fd);
        return -ENOMEM;
    }
    memcpy(copy, data, len);
    *f = (struct feed){ fd, copy, len };
    if (pthread_create(&th, NULL, feed_main, f) != 0) {
        feed_main(&(struct feed){ fd, NULL, 0 });
        return -EAGAIN;
    }
    pthread_detach(th);
    return 0;
}

/* The exec body -> the control request: {"argv","env","cwd","timeout_ms"}. */
static struct json_object *exec_request(struct json_object *o, const char **stdin_data,
                                        size_t *stdin_len, char *msg, size_t size)
{
    static const char *const KEYS[] = { "argv", "stdin", "stdin_b64", "env", "cwd", "timeout", NULL };
    if (!only_keys(o, KEYS, msg, size))
        return NULL;
    struct json_object *argv, *v;
    if (!json_object_object_get_ex(o, "argv", &argv) || !json_object_is_type(argv, json_type_array) ||
        !json_object_array_length(argv)) {
        snprintf(msg, size, "\"argv\": expected a non-empty array of strings");
        return NULL;
    }
    for (size_t k = 0; k < json_object_array_length(argv); k++)
        if (!json_object_is_type(json_object_array_get_idx(argv, k), json_type_string)) {
            snprintf(msg, size, "\"argv\": expected a non-empty array of strings");
            return NULL;
        }
    struct json_object *x = json_object_new_object();
    json_object_object_add(x, "argv", json_object_get(argv));
    struct json_object *env = json_object_new_array();
    json_object_object_add(x, "env", env);
    if (json_object_object_get_ex(o, "env", &v)) {
        if (!json_object_is_type(v, json_type_object)) {
            snprintf(msg, size, "\"env\": expected an object {\"NAME\": \"VALUE\"}");
            goto bad;
        }
        json_object_object_foreach(v, name, val)
        {
            if (!*name || strchr(name, '=') || !json_object_is_type(val, json_type_string)) {
                snprintf(msg, size, "\"env\": \"%.64s\": names without '=', string values", name);
                goto bad;
            }
            char *kv;
            if (asprintf(&kv, "%s=%s", name, json_object_get_string(val)) < 0)
                goto bad;
            json_object_array_add(env, json_object_new_string(kv));
            free(kv);
        }
    }
    if (json_object_object_get_ex(o, "cwd", &v)) {
        if (!json_object_is_type(v, json_type_string) || json_object_get_string(v)[0] != '/') {
            snprintf(msg, size, "\"cwd\": expected an absolute guest path");
            goto bad;
        }
        json_object_object_add(x, "cwd", json_object_get(v));
    }
    double timeout = H.cfg->max_timeout_ms / 1000.0;
    if (json_object_object_get_ex(o, "timeout", &v)) {
        double t = json_object_get_double(v);
        if ((!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
            !(t > 0) || t * 1000 > H.cfg->max_timeout_ms) {
            snprintf(msg, size, "\"timeout\": expected seconds, more than 0 and at most %g",
                     H.cfg->max_timeout_ms / 1000.0);
            goto bad;
        }
        timeout = t;
    }
    json_object_object_add(x, "timeout_ms", json_object_new_int64((int64_t)(timeout * 1000 + 0.5)));
    *stdin_data = "";
    *stdin_len = 0;
    if (json_object_object_get_ex(o, "stdin_b64", &v)) {
        /* The decoded bytes take the place of "stdin" in the body, which
         * owns them until the feed has its copy. */
        size_t n = json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v) : 0;
        _cleanup_free_ unsigned char *bytes = malloc(n / 4 * 3 + 1);
        ssize_t len = bytes && json_object_is_type(v, json_type_string) &&
                              !json_object_object_get_ex(o, "stdin", NULL)
                          ? base64_decode(json_object_get_string(v), n, bytes) : -1;
        if (len < 0) {
            snprintf(msg, size, "\"stdin_b64\": expected a base64 string (and no \"stdin\")");
            goto bad;
        }
        json_object_object_add(o, "stdin", json_object_new_string_len((char *)bytes, (int)len));
    }
    if (json_object_object_get_ex(o, "stdin", &v)) {
        if (!json_object_is_type(v, json_type_string)) {
            snprintf(msg, size, "\"stdin\": expected a string");
            goto bad;
        }
        *stdin_data = json_object_get_string(v);
        *stdin_len = (size_t)json_object_get_string_len(v);
    }
    return x;
bad:
    json_object_put(x);
    return NULL;
}

static enum MHD_Result exec(struct MHD_Connection *c, struct sess *s, struct req *r)
{
    char msg[256];
    struct json_object *o = parse_body(r, msg, sizeof msg);
    if (!o)
        return send_error(c, MHD_HTTP_BAD_REQUEST, msg, 0);
    const char *in;
    size_t in_len;
    struct json_object *x = exec_request(o, &in, &in_len, msg, sizeof msg);
    if (!x) {
        json_object_put(o);
        return send_error(c, MHD_HTTP_BAD_REQUEST, msg, 0);
    }
    struct refusal why;
    if (!sess_acquire(s, true, &why)) {
        json_object_put(x);
        json_object_put(o);
        return send_refusal(c, &why);
    }
    int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
    struct stream *st = calloc(1, sizeof *st);
    int rc = -ENOMEM;
    if (st && pipe2(in_p, O_CLOEXEC) == 0 && pipe2(out_p, O_CLOEXEC) == 0 &&
        pipe2(err_p, O_CLOEXEC) == 0) {
        int fds[3] = { in_p[0], out_p[1], err_p[1] };
        rc = ctl_send(s->ctl, CTL_EXEC, json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN),
                      fds, 3);
    } else if (st) {
        rc = -errno;
    }
    json_object_put(x);
    for (int *fd = (int[]){ in_p[0], out_p[1], err_p[1] }, k = 0; k < 3; k++)
        if (fd[k] >= 0)
            close(fd[k]);
    if (rc < 0) {
        for (int *fd = (int[]){ in_p[1], out_p[0], err_p[0] }, k = 0; k < 3; k++)
            if (fd[k] >= 0)
                close(fd[k]);
        free(st);
        json_object_put(o);
        if (rc == -EPIPE || rc == -ECONNRESET)
            sess_broken(s);
        sess_release(s);
        snprintf(msg, sizeof msg, "could not start the exec: %s", strerror(-rc));
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, msg, 0);
    }
    start_feed(in_p[1], in, in_len);
    json_object_put(o);
    metric_inc(M_EXECS);
    sess_hold(s);
    st->s = s;
    st->out[0] = out_p[0];
    st->out[1] = err_p[0];
    st->cap = H.cfg->max_output;
    clock_gettime(CLOCK_MONOTONIC, &st->start);
    return send_ndjson(c, stream_read, st, stream_free);
}

/* ---- events ----------------------------------------------------------------- */

struct evstream {
    struct eventlog *log;
    uint64_t pos;
    bool follow;
};

static ssize_t events_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct evstream *e = cls;
    for (;;) {
        ssize_t n = eventlog_read(e->log, &e->pos, buf, max, e->follow);
        if (n > 0)
            return n;
        if (n < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
}

static void events_free(void *cls)
{
    struct evstream *e = cls;
    eventlog_put(e->log);
    free(e);
}

/* The session's events so far (up to the last MiB), then, unless
 * ?follow=0, the live stream until the session ends. */
static enum MHD_Result events(struct MHD_Connection *c, struct sess *s)
{
    if (!s->events)
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "this session has no event stream", 0);
    const char *f = mhd.MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "follow");
    struct evstream *e = calloc(1, sizeof *e);
    if (!e)
        return MHD_NO;
    e->follow = !f || strcmp(f, "0");
    e->log = s->events;
    eventlog_hold(e->log);
    return send_ndjson(c, events_read, e, events_free);
}

/* ---- files ------------------------------------------------------------------ */

/* Asks the session's sentry to open guest path `path` with the guest's
 * rights: the fd (>= 0, *size set) or -errno; *why set on a refusal. */
static int open_file(struct sess *s, const char *path, bool write, uint64_t *size,
                     struct refusal *why)
{
    if (!sess_acquire(s, false, why))
        return -EBUSY;
    struct json_object *q = json_object_new_object();
    json_object_object_add(q, "path", json_object_new_string(path));
    json_object_object_add(q, "write", json_object_new_boolean(write));
    int r = ctl_send(s->ctl, CTL_OPEN, json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN),
                     NULL, 0);
    json_object_put(q);
    char buf[1024];
    enum ctl_op op;
    int fds[CTL_MAX_FDS];
    unsigned nfds = 0;
    if (r == 0)
        r = ctl_recv(s->ctl, &op, buf, sizeof buf, fds, &nfds);
    struct json_object *a = r > 0 ? json_tokener_parse(buf) : NULL, *v;
    int fd = -EIO;
    if (!a) {
        sess_broken(s);
        why->http = MHD_HTTP_INTERNAL_SERVER_ERROR;
        why->retry_after = 0;
        snprintf(why->msg, sizeof why->msg, "the session sentry died: %s", s->reason);
    } else if (json_object_object_get_ex(a, "errno", &v) && json_object_get_int(v)) {
        fd = -json_object_get_int(v);
        why->http = (int)errno_status(-fd);
        why->retry_after = 0;
        snprintf(why->msg, sizeof why->msg, "%s: %s", path, strerror(-fd));
    } else if (nfds == 1) {
        fd = fds[0];
        nfds = 0;
        *size = json_object_object_get_ex(a, "size", &v) ? (uint64_t)json_object_get_int64(v) : 0;
    }
    for (unsigned k = 0; k < nfds; k++)
        close(fds[k]);
    json_object_put(a);
    sess_release(s);
    return fd;
}

static enum MHD_Result get_file(struct MHD_Connection *c, struct sess *s, const char *path)
{
    struct refusal why;
    uint64_t size;
    int fd = open_file(s, path, false, &size, &why);
    if (fd < 0)
        return send_refusal(c, &why);
    struct MHD_Response *r = mhd.MHD_create_response_from_fd64(size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    return queue(c, MHD_HTTP_OK, r, "application/octet-stream");
}

/* The first call of a PUT, before its body: the file is opened then, so
 * the body streams into it. */
static void put_begin(struct MHD_Connection *c, const char *tenant, const char *url, struct req *r)
{
    struct target t;
    r->route = R_PUT;
    r->refused = true;
    if (!tenant) {
        r->early = (struct refusal){ MHD_HTTP_UNAUTHORIZED, 0, "missing or unknown bearer token" };
        return;
    }
    if (parse_target(url, &t) != 1 || strncmp(t.sub, "files/", 6) || !t.sub[6]) {
        r->early = (struct refusal){ MHD_HTTP_NOT_FOUND, 0, "PUT is for /v1/sessions/ID/files/PATH" };
        return;
    }
    const char *cl = mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > H.cfg->max_file) {
        r->early = (struct refusal){ MHD_HTTP_CONTENT_TOO_LARGE, 0, "" };
        snprintf(r->early.msg, sizeof r->early.msg, "a file is at most %llu bytes",
                 (unsigned long long)H.cfg->max_file);
        return;
    }
    struct sess *s = sess_get(tenant, t.id);
    if (!s) {
        r->early = (struct refusal){ MHD_HTTP_NOT_FOUND, 0, "no such session" };
        return;
    }
    uint64_t size;
    r->fd = open_file(s, t.sub + 5, true, &size, &r->early);
    sess_put(s);
    r->refused = r->fd < 0;
}

static void put_data(struct req *r, const char *data, size_t len)
{
    if (r->refused || r->write_failed)
        return;
    if (r->written + len > H.cfg->max_file) {
        r->refused = true;
        r->early = (struct refusal){ MHD_HTTP_CONTENT_TOO_LARGE, 0, "" };
        snprintf(r->early.msg, sizeof r->early.msg, "a file is at most %llu bytes",
                 (unsigned long long)H.cfg->max_file);
        return;
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = write(r->fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r->write_failed = true;
            r->refused = true;
            r->early = (struct refusal){ (int)errno_status(errno), 0, "" };
            snprintf(r->early.msg, sizeof r->early.msg, "writing the file: %s", strerror(errno));
            return;
        }
        off += (size_t)n;
    }
    r->written += len;
}

/* ---- routing ---------------------------------------------------------------- */

static enum MHD_Result session_route(struct MHD_Connection *c, const char *method,
                                     const char *tenant, const struct target *t, struct req *r)
{
    struct sess *s = sess_get(tenant, t->id);
    if (!s)
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such session", 0);
    enum MHD_Result res;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!*t->sub && get) {
        res = send_owned(c, MHD_HTTP_OK, sess_json(s));
    } else if (!*t->sub && !strcmp(method, "DELETE")) {
        sess_delete(s);
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "deleted", json_object_new_string(s->id));
        res = send_json(c, MHD_HTTP_OK, o);
    } else if (!strcmp(t->sub, "exec") && !strcmp(method, "POST")) {
        res = exec(c, s, r);
    } else if (!strcmp(t->sub, "events") && get) {
        res = events(c, s);
    } else if (!strncmp(t->sub, "files/", 6) && t->sub[6] && get) {
        res = get_file(c, s, t->sub + 5);
    } else {
        res = send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "no such method on this resource", 0);
    }
    sess_put(s);
    return res;
}

static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method,
                             struct req *r)
{
    if (!strcmp(url, "/healthz"))
        return send_text(c, sessions_draining() ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK,
                         "text/plain", sessions_draining() ? "draining\n" : "ok\n", 0);
    if (!strcmp(url, "/metrics")) {
        char *m = metrics_text(sessions_count());
        if (!m)
            return MHD_NO;
        enum MHD_Result ok = send_text(c, MHD_HTTP_OK, "text/plain; version=0.0.4", m, 0);
        free(m);
        return ok;
    }
    if (r->route == R_PUT) {
        if (r->refused)
            return send_refusal(c, &r->early);
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "written", json_object_new_int64((int64_t)r->written));
        return send_json(c, MHD_HTTP_CREATED, o);
    }
    const char *tenant = tokens_tenant(
        H.tokens, mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
    struct target t;
    int kind = parse_target(url, &t);
    if (kind < 0)
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint", 0);
    if (!tenant)
        return send_error(c, MHD_HTTP_UNAUTHORIZED, "missing or unknown bearer token", 0);
    if (kind == 2)
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such session", 0);
    if (kind == 1)
        return session_route(c, method, tenant, &t, r);
    if (!strcmp(method, "POST"))
        return create_session(c, tenant, r);
    if (!strcmp(method, "GET"))
        return send_owned(c, MHD_HTTP_OK, sess_list_json(tenant));
    return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or POST /v1/sessions", 0);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->fd = -1;
        *con_cls = r;
        if (!strcmp(method, "PUT"))
            put_begin(c, tokens_tenant(H.tokens, mhd.MHD_lookup_connection_value(
                                                     c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_AUTHORIZATION)),
                      url, r);
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->route == R_PUT) {
            put_data(r, upload, *upload_size);
        } else if (r->len + *upload_size > BODY_MAX || r->too_big) {
            r->too_big = true;
        } else {
            char *b = realloc(r->body, r->len + *upload_size + 1);
            if (!b)
                return MHD_NO;
            memcpy(b + r->len, upload, *upload_size);
            r->body = b;
            r->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return route(c, url, method, r);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct req *r = *con_cls;
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

struct MHD_Daemon *http_start(int listen_fd, const struct tokens *t, const struct serve_config *cfg,
                              struct err *e)
{
    H.tokens = t;
    H.cfg = cfg;
    if (mhd_load(e) < 0)
        return NULL;
    struct MHD_Daemon *d = mhd.MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
            MHD_USE_ERROR_LOG,
        0, NULL, NULL, handle, NULL, MHD_OPTION_LISTEN_SOCKET, listen_fd,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_LIMIT, 512u,
        MHD_OPTION_END);
    if (!d)
        err_set(e, errno, "starting the HTTP server (libmicrohttpd)");
    return d;
}
