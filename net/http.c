/* net/http.c — HTTP/1.1 inspection of what a guest sends through a grant
 * that has "http" rules.
 *
 * A grant is a capability for an API surface, not for a host: a grant that
 * admits an API's messages endpoint must not admit its file-upload endpoint,
 * nor a request signed with somebody else's key (a planted key exfiltrating
 * through the user's own grant). Each request is parsed (nodejs's
 * http_parser, Debian's libhttp-parser) and judged on its own — method,
 * path, denied headers, the session's key — and what goes upstream is
 * re-serialised from what was parsed, never the guest's raw bytes, so the
 * upstream cannot be shown a request other than the one judged (no
 * smuggling through ambiguous framing). `inject` swaps the placeholder key
 * the guest holds for the real one on the way out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>

#include "net/dlp.h"
#include "net/internal.h"

/* Limits on one request head: above them the request is refused. */
#define HEAD_MAX 65536
#define HEADERS_MAX 128
/* A request is held whole for the canary scan; a larger body is refused. */
#define HOLD_MAX (16u << 20)

struct http_rules {
    char **methods, **paths, **deny_headers;
    size_t nmethods, npaths, ndeny;
    char *key_header, *session_key;
    char *inject_header, *inject_value;
};

struct header {
    char *name, *value;
};

struct http_flow {
    const struct http_rules *rules;
    const struct dlp *dlp;
    void (*allowed)(void *ctx, const char *line);
    void *ctx;
    http_parser p;
    struct buf *out;          /* where callbacks serialise: `held` */
    struct buf *sink;         /* the caller's: complete, scanned requests */
    struct buf held;          /* the request being parsed, until it is whole */
    struct buf body;          /* its body without chunk framing, for the scan */
    char url[8192];
    size_t url_len;
    struct header h[HEADERS_MAX];
    size_t nh;
    size_t head_bytes;
    bool in_value;
    bool chunked;
    const char *verdict;      /* set: the request is refused for this reason */
    char reason[256];
    char line[300];           /* "POST /v1/x" for events */
};

/* ---- output buffer ------------------------------------------------------- */

int buf_put(struct buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof tmp ? -EOVERFLOW : buf_put(b, tmp, (size_t)n);
}

/* ---- rules from the policy ----------------------------------------------- */

static int strings(struct json_object *arr, const char *label, const char *key, char ***out,
                   size_t *n, struct err *e)
{
    if (!json_object_is_type(arr, json_type_array))
        return err_set(e, 0, "%s.http.%s: expected an array of strings", label, key);
    size_t len = json_object_array_length(arr);
    *out = calloc(len + 1, sizeof **out);
    if (!*out)
        return err_set(e, ENOMEM, "%s", label);
    for (size_t k = 0; k < len; k++) {
        struct json_object *v = json_object_array_get_idx(arr, k);
        if (!json_object_is_type(v, json_type_string) || !json_object_get_string_len(v))
            return err_set(e, 0, "%s.http.%s[%zu]: expected a non-empty string", label, key, k);
        if (!((*out)[k] = strdup(json_object_get_string(v))))
            return err_set(e, ENOMEM, "%s", label);
        (*n)++;
    }
    return 0;
}

static int string(struct json_object *v, const char *label, const char *key, char **out,
                  struct err *e)
{
    if (!json_object_is_type(v, json_type_string) || !json_object_get_string_len(v))
        return err_set(e, 0, "%s.http.%s: expected a non-empty string", label, key);
    *out = strdup(json_object_get_string(v));
    return *out ? 0 : err_set(e, ENOMEM, "%s", label);
}

static int inject_rule(struct http_rules *r, struct json_object *v, const char *label,
                       struct err *e)
{
    if (!json_object_is_type(v, json_type_object))
        return err_set(e, 0, "%s.http.inject: expected {\"header\": ..., \"value_env\": ...}", label);
    char *env = NULL;
    int rc = 0;
    json_object_object_foreach(v, key, val) {
        if (!strcmp(key, "header"))
            rc = string(val, label, "inject.header", &r->inject_header, e);
        else if (!strcmp(key, "value_env"))
            rc = string(val, label, "inject.value_env", &env, e);
        else
            rc = err_set(e, 0, "%s.http.inject: unknown key \"%s\"", label, key);
        if (rc < 0)
            break;
    }
    if (rc == 0 && (!r->inject_header || !env))
        rc = err_set(e, 0, "%s.http.inject: needs \"header\" and \"value_env\"", label);
    const char *real = rc == 0 ? getenv(env) : NULL;
    if (rc == 0 && (!real || !*real))
        rc = err_set(e, 0, "%s.http.inject.value_env: $%s is not set in cordon's environment",
                     label, env);
    if (rc == 0 && strpbrk(real, "\r\n"))
        rc = err_set(e, 0, "%s.http.inject.value_env: $%s holds a line break", label, env);
    if (rc == 0 && !(r->inject_value = strdup(real)))
        rc = err_set(e, ENOMEM, "%s", label);
    free(env);
    return rc;
}

int http_rules_parse(struct json_object *http, const char *label, struct http_rules **out,
                     struct err *e)
{
    if (!json_object_is_type(http, json_type_object))
        return err_set(e, 0, "%s.http: expected an object", label);
    struct http_rules *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(e, ENOMEM, "%s", label);
    *out = r;   /* freed by the caller on error too */
    json_object_object_foreach(http, key, val) {
        int rc;
        if (!strcmp(key, "methods"))
            rc = strings(val, label, key, &r->methods, &r->nmethods, e);
        else if (!strcmp(key, "paths"))
            rc = strings(val, label, key, &r->paths, &r->npaths, e);
        else if (!strcmp(key, "deny_headers"))
            rc = strings(val, label, key, &r->deny_headers, &r->ndeny, e);
        else if (!strcmp(key, "key_header"))
            rc = string(val, label, key, &r->key_header, e);
        else if (!strcmp(key, "session_key"))
            rc = string(val, label, key, &r->session_key, e);
        else if (!strcmp(key, "inject"))
            rc = inject_rule(r, val, label, e);
        else
            rc = err_set(e, 0, "%s.http: unknown key \"%s\"", label, key);
        if (rc < 0)
            return -1;
    }
    if (!r->key_header != !r->session_key)
        return err_set(e, 0, "%s.http: \"key_header\" and \"session_key\" go together", label);
    return 0;
}

static void free_strings(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

void http_rules_free(struct http_rules *r)
{
    if (!r)
        return;
    free_strings(r->methods);
    free_strings(r->paths);
    free_strings(r->deny_headers);
    free(r->key_header);
    free(r->session_key);
    free(r->inject_header);
    free(r->inject_value);
    free(r);
}

/* ---- judging one request ------------------------------------------------- */

static bool path_allowed(const struct http_rules *r, const char *url, size_t len)
{
    if (!r->npaths)
        return true;
    size_t plen = strcspn(url, "?#");
    if (plen > len)
        plen = len;
    for (size_t k = 0; k < r->npaths; k++) {
        const char *rule = r->paths[k];
        size_t rl = strlen(rule);
        if (rl && rule[rl - 1] == '*' ? plen >= rl - 1 && !memcmp(url, rule, rl - 1)
                                      : plen == rl && !memcmp(url, rule, rl))
            return true;
    }
    return false;
}

/* Compares without an early exit, so timing says nothing of the key. */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t k = 0; k < la && k < lb; k++)
        d |= (unsigned char)(a[k] ^ b[k]);
    return d == 0;
}

static const char *judge(struct http_flow *f)
{
    const struct http_rules *r = f->rules;
    const char *method = http_method_str(f->p.method);
    if (f->p.upgrade || f->p.method == HTTP_CONNECT)
        return "protocol upgrades and CONNECT are not inspected";
    bool ok = r->nmethods == 0;
    for (size_t k = 0; k < r->nmethods && !ok; k++)
        ok = !strcasecmp(r->methods[k], method);
    if (!ok)
        return "method not allowed";
    if (!path_allowed(r, f->url, f->url_len))
        return "path not allowed";
    size_t keys = 0;
    for (size_t k = 0; k < f->nh; k++) {
        for (size_t j = 0; j < r->ndeny; j++)
            if (!strcasecmp(f->h[k].name, r->deny_headers[j])) {
                snprintf(f->reason, sizeof f->reason, "header %s is denied", r->deny_headers[j]);
                return f->reason;
            }
        if (r->key_header && !strcasecmp(f->h[k].name, r->key_header)) {
            if (!same_secret(f->h[k].value, r->session_key))
                return "the API key is not this session's";
            keys++;
        }
    }
    if (r->key_header && keys != 1)
        return keys ? "more than one API key" : "no API key";
    return NULL;
}

/* ---- parser callbacks ---------------------------------------------------- */

static void headers_clear(struct http_flow *f)
{
    for (size_t k = 0; k < f->nh; k++) {
        free(f->h[k].name);
        free(f->h[k].value);
    }
    f->nh = 0;
    f->url_len = 0;
    f->url[0] = 0;
    f->head_bytes = 0;
    f->in_value = false;
}

static int refuse(struct http_flow *f, const char *why)
{
    f->verdict = why;
    http_parser_pause(&f->p, 1);
    return 0;
}

static int append(char **s, const char *at, size_t len)
{
    size_t old = *s ? strlen(*s) : 0;
    char *n = realloc(*s, old + len + 1);
    if (!n)
        return -1;
    memcpy(n + old, at, len);
    n[old + len] = 0;
    *s = n;
    return 0;
}

static int on_begin(http_parser *p)
{
    headers_clear(p->data);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct http_flow *f = p->data;
    if (f->url_len + len >= sizeof f->url)
        return refuse(f, "URL too long");
    memcpy(f->url + f->url_len, at, len);
    f->url_len += len;
    f->url[f->url_len] = 0;
    return 0;
}

static int on_field(http_parser *p, const char *at, size_t len)
{
    struct http_flow *f = p->data;
    if ((f->head_bytes += len) > HEAD_MAX)
        return refuse(f, "request head too large");
    if (f->in_value || f->nh == 0) {
        if (f->nh == HEADERS_MAX)
            return refuse(f, "too many headers");
        f->h[f->nh++] = (struct header){ 0 };
        f->in_value = false;
    }
    return append(&f->h[f->nh - 1].name, at, len) < 0 ? refuse(f, "out of memory") : 0;
}

static int on_value(http_parser *p, const char *at, size_t len)
{
    struct http_flow *f = p->data;
    if ((f->head_bytes += len) > HEAD_MAX)
        return refuse(f, "request head too large");
    f->in_value = true;
    return append(&f->h[f->nh - 1].value, at, len) < 0 ? refuse(f, "out of memory") : 0;
}

/* The head as it goes upstream: the request line and headers as parsed,
 * the injected credential in place of the placeholder. */
static int emit_head(struct http_flow *f)
{
    const struct http_rules *r = f->rules;
    int rc = buf_printf(f->out, "%s ", http_method_str(f->p.method));
    rc = rc ? rc : buf_put(f->out, f->url, f->url_len);
    rc = rc ? rc : buf_printf(f->out, " HTTP/%u.%u\r\n", f->p.http_major, f->p.http_minor);
    bool injected = false;
    for (size_t k = 0; k < f->nh && !rc; k++) {
        const char *v = f->h[k].value ? f->h[k].value : "";
        if (r->inject_header && !strcasecmp(f->h[k].name, r->inject_header)) {
            if (injected)
                continue;
            v = r->inject_value;
            injected = true;
        }
        rc = buf_put(f->out, f->h[k].name, strlen(f->h[k].name));
        rc = rc ? rc : buf_put(f->out, ": ", 2);
        rc = rc ? rc : buf_put(f->out, v, strlen(v));
        rc = rc ? rc : buf_put(f->out, "\r\n", 2);
    }
    if (!rc && r->inject_header && !injected)
        rc = buf_printf(f->out, "%s: ", r->inject_header) ||
                     buf_put(f->out, r->inject_value, strlen(r->inject_value)) ||
                     buf_put(f->out, "\r\n", 2)
                 ? -ENOMEM : 0;
    return rc ? rc : buf_put(f->out, "\r\n", 2);
}

static int on_headers_complete(http_parser *p)
{
    struct http_flow *f = p->data;
    snprintf(f->line, sizeof f->line, "%s %.*s", http_method_str(p->method),
             (int)(f->url_len > 200 ? 200 : f->url_len), f->url);
    const char *why = judge(f);
    if (why)
        return refuse(f, why);
    f->chunked = p->flags & F_CHUNKED;
    if (emit_head(f) < 0)
        return refuse(f, "out of memory");
    f->allowed(f->ctx, f->line);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct http_flow *f = p->data;
    if (f->held.len + len > HOLD_MAX)
        return refuse(f, "request too large to scan for canary tokens (16 MiB)");
    if (buf_put(&f->body, at, len) < 0)
        return refuse(f, "out of memory");
    int rc = f->chunked ? buf_printf(f->out, "%zx\r\n", len) : 0;
    rc = rc ? rc : buf_put(f->out, at, len);
    rc = rc ? rc : (f->chunked ? buf_put(f->out, "\r\n", 2) : 0);
    return rc ? refuse(f, "out of memory") : 0;
}

static int on_complete(http_parser *p)
{
    struct http_flow *f = p->data;
    if (f->chunked && buf_put(f->out, "0\r\n\r\n", 5) < 0)
        return refuse(f, "out of memory");
    f->chunked = false;
    /* Nothing of a request goes upstream before all of it was scanned: a
     * token split across writes, or between head and body, is still one
     * request's. */
    struct dlp_hit hit;
    bool found = dlp_scan(f->dlp, f->held.data, f->held.len, &hit) ||
                 dlp_scan(f->dlp, f->body.data, f->body.len, &hit);
    f->body.len = 0;
    if (found) {
        /* The guest is told the kind, never which secret. */
        snprintf(f->reason, sizeof f->reason, "a %s (%s) is in the request", hit.kind, hit.how);
        f->held.len = 0;
        return refuse(f, f->reason);
    }
    int rc = buf_put(f->sink, f->held.data, f->held.len);
    f->held.len = 0;
    return rc < 0 ? refuse(f, "out of memory") : 0;
}

static const http_parser_settings SETTINGS = {
    .on_message_begin = on_begin, .on_url = on_url, .on_header_field = on_field,
    .on_header_value = on_value, .on_headers_complete = on_headers_complete,
    .on_body = on_body, .on_message_complete = on_complete,
};

struct http_flow *http_flow_new(const struct http_rules *r, const struct dlp *dlp,
                                void (*allowed)(void *ctx, const char *line), void *ctx)
{
    struct http_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->rules = r;
    f->dlp = dlp;
    f->allowed = allowed;
    f->ctx = ctx;
    http_parser_init(&f->p, HTTP_REQUEST);
    f->p.data = f;
    return f;
}

const char *http_rules_inject_value(const struct http_rules *r)
{
    return r ? r->inject_value : NULL;
}

void http_flow_free(struct http_flow *f)
{
    if (!f)
        return;
    headers_clear(f);
    free(f->held.data);
    free(f->body.data);
    free(f);
}

int http_flow_feed(struct http_flow *f, const char *data, size_t len, struct buf *out,
                   const char **why, const char **line)
{
    f->sink = out;
    f->out = &f->held;
    size_t done = http_parser_execute(&f->p, &SETTINGS, data, len);
    *line = f->line;
    if (f->verdict) {
        *why = f->verdict;
        return 1;
    }
    if (f->p.upgrade) {
        *why = "protocol upgrades and CONNECT are not inspected";
        return 1;
    }
    if (HTTP_PARSER_ERRNO(&f->p) != HPE_OK || done != len) {
        *why = http_errno_name(HTTP_PARSER_ERRNO(&f->p));
        return -1;
    }
    return 0;
}

int http_refusal(struct buf *out, int status, const char *why, const char *line)
{
    char body[600];
    char esc_why[256], esc_line[300];
    /* JSON strings: the reasons are ours, the request line is the guest's. */
    const char *src[2] = { why, line };
    char *dst[2] = { esc_why, esc_line };
    size_t cap[2] = { sizeof esc_why, sizeof esc_line };
    for (int k = 0; k < 2; k++) {
        size_t w = 0;
        for (const char *s = src[k]; *s && w + 7 < cap[k]; s++) {
            unsigned char ch = (unsigned char)*s;
            if (ch == '"' || ch == '\\')
                w += (size_t)snprintf(dst[k] + w, cap[k] - w, "\\%c", ch);
            else if (ch < 0x20 || ch >= 0x7f)
                w += (size_t)snprintf(dst[k] + w, cap[k] - w, "\\u%04x", ch);
            else
                dst[k][w++] = (char)ch;
        }
        dst[k][w] = 0;
    }
    int n = snprintf(body, sizeof body,
                     "{\"error\":\"blocked by cordon\",\"reason\":\"%s\",\"request\":\"%s\"}\n",
                     esc_why, esc_line);
    return buf_printf(out,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %d\r\nConnection: close\r\n\r\n",
                      status, status == 403 ? "Forbidden" : status == 502 ? "Bad Gateway" : "Bad Request", n) ||
                   buf_put(out, body, (size_t)n)
               ? -ENOMEM : 0;
}
