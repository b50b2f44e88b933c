/* serve/client.c — `cordon session create|exec|put|get|rm|ls`: a client of
 * `cordon serve` on libcurl (unix sockets included), so shell scripts get
 * the API without speaking HTTP themselves. exec streams the NDJSON frames
 * to this process's stdout and stderr as they arrive and exits with the
 * guest's status, as `cordon run` would. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"
#include "util/cleanup.h"
#include "util/json_bytes.h"
#include "util/units.h"
#include "util/libcurl.h"

static const char USAGE[] =
    "usage: cordon session COMMAND --server ADDR [--token TOKEN] ...\n"
    "\n"
    "  create [--memory BYTES] [--pids N] [--cpu SEC] [--disk BYTES] [--inodes N] [--ttl SEC]\n"
    "         [--policy FILE]              prints the id\n"
    "  ls                                  the tenant's sessions: ID STATE EXECS\n"
    "  rm ID                               stops and removes the session\n"
    "  put ID GUEST_PATH [LOCAL_FILE]      uploads LOCAL_FILE (default stdin)\n"
    "  get ID GUEST_PATH                   downloads to stdout\n"
    "  exec ID [--timeout SEC] [--env NAME=VALUE] [--cwd DIR] -- PROGRAM [ARGS...]\n"
    "                                      runs PROGRAM in the session; stdin (unless a\n"
    "                                      terminal) is its stdin; exits with its status\n"
    "\n"
    "  --server ADDR   unix:PATH or HOST:PORT of cordon serve\n"
    "  --token TOKEN   bearer token (default: $CORDON_TOKEN)\n"
    "\n"
    "exit status: exec as cordon run (PROGRAM's; 128+N signal; 124 timeout;\n"
    "125 the session failed); others 0, 1 when the server refused (its message\n"
    "is printed), 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return err_usage("cordon session", USAGE, fmt, arg);
}

struct conn {
    const char *server, *token;
};

struct buf {
    char *data;
    size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    char *d = realloc(b->data, b->len + size * n + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, size * n);
    b->data = d;
    b->len += size * n;
    d[b->len] = '\0';
    return size * n;
}

/* One request; the body (if any) as bytes. Returns the HTTP status or -1
 * with the reason printed. */
static long request(const struct conn *c, const char *method, const char *path, const char *body,
                    size_t body_len, curl_write_callback sink, void *ctx)
{
    CURL *h = libcurl.curl_easy_init();
    if (!h) {
        fprintf(stderr, "cordon session: libcurl failed to start\n");
        return -1;
    }
    char url[4096], auth[600];
    if (!strncmp(c->server, "unix:", 5)) {
        libcurl.curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->server + 5);
        snprintf(url, sizeof url, "http://localhost%s", path);
    } else {
        snprintf(url, sizeof url, "http://%s%s", c->server, path);
    }
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
    struct curl_slist *hdrs = libcurl.curl_slist_append(NULL, auth);
    hdrs = libcurl.curl_slist_append(hdrs, "Expect:");
    libcurl.curl_easy_setopt(h, CURLOPT_URL, url);
    libcurl.curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    libcurl.curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        libcurl.curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        libcurl.curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    libcurl.curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    libcurl.curl_easy_setopt(h, CURLOPT_WRITEDATA, ctx);
    CURLcode rc = libcurl.curl_easy_perform(h);
    long status = -1;
    if (rc == CURLE_OK)
        libcurl.curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        fprintf(stderr, "cordon session: %s: %s\n", c->server, libcurl.curl_easy_strerror(rc));
    libcurl.curl_slist_free_all(hdrs);
    libcurl.curl_easy_cleanup(h);
    return status;
}

/* Prints the server's {"error": ...} for a refused request; returns 1. */
static int refused(long status, const struct buf *b)
{
    struct json_object *o = b->data ? json_tokener_parse(b->data) : NULL, *e;
    const char *msg = o && json_object_object_get_ex(o, "error", &e) ? json_object_get_string(e)
                                                                   : (b->data ? b->data : "");
    fprintf(stderr, "cordon session: HTTP %ld: %s\n", status, msg);
    json_object_put(o);
    return 1;
}

/* A simple request whose JSON answer is handed to `show` (may be NULL). */
static int simple(const struct conn *c, const char *method, const char *path, const char *body,
                  void (*show)(struct json_object *))
{
    struct buf b = { 0 };
    long st = request(c, method, path, body, body ? strlen(body) : 0, collect, &b);
    int r = st < 0 ? 1 : st >= 400 ? refused(st, &b) : 0;
    if (r == 0 && show) {
        struct json_object *o = json_tokener_parse(b.data ? b.data : "");
        show(o);
        json_object_put(o);
    }
    free(b.data);
    return r;
}

static const char *field(struct json_object *o, const char *k)
{
    struct json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static void show_id(struct json_object *o) { printf("%s\n", field(o, "id")); }

static void show_list(struct json_object *a)
{
    for (size_t k = 0; a && k < json_object_array_length(a); k++) {
        struct json_object *s = json_object_array_get_idx(a, k);
        printf("%s %s %s%s%s\n", field(s, "id"), field(s, "state"), field(s, "execs"),
               *field(s, "reason") ? " " : "", field(s, "reason"));
    }
}

static char *slurp(FILE *f, size_t *len)
{
    char *data = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&data, &cap, '\0', f);
    /* getdelim stops at a NUL byte: read the rest as well. */
    size_t total = n > 0 ? (size_t)n : 0;
    for (;;) {
        char chunk[65536];
        size_t m = fread(chunk, 1, sizeof chunk, f);
        if (!m)
            break;
        char *d = realloc(data, total + m + 1);
        if (!d) {
            free(data);
            return NULL;
        }
        data = d;
        memcpy(data + total, chunk, m);
        total += m;
    }
    if (!data)
        data = calloc(1, 1);
    *len = total;
    return data;
}

static int cmd_create(const struct conn *c, int argc, char **argv)
{
    struct json_object *o = json_object_new_object();
    for (int k = 0; k < argc; k += 2) {
        if (k + 1 >= argc) {
            json_object_put(o);
            return usage_error("%s needs a value", argv[k]);
        }
        const char *v = argv[k + 1];
        uint64_t n = parse_size(v);
        if (!strcmp(argv[k], "--memory") && n)
            json_object_object_add(o, "memory", json_object_new_int64((int64_t)n));
        else if (!strcmp(argv[k], "--pids") && n && !strpbrk(v, "kKmMgG"))
            json_object_object_add(o, "pids", json_object_new_int64((int64_t)n));
        else if (!strcmp(argv[k], "--disk") && n)
            json_object_object_add(o, "disk", json_object_new_int64((int64_t)n));
        else if (!strcmp(argv[k], "--inodes") && n && !strpbrk(v, "kKmMgG"))
            json_object_object_add(o, "inodes", json_object_new_int64((int64_t)n));
        else if (!strcmp(argv[k], "--cpu") && n && !strpbrk(v, "kKmMgG"))
            json_object_object_add(o, "cpu", json_object_new_int64((int64_t)n));
        else if (!strcmp(argv[k], "--ttl") && n && !strpbrk(v, "kKmMgG"))
            json_object_object_add(o, "ttl", json_object_new_int64((int64_t)n));
        else if (!strcmp(argv[k], "--policy")) {
            struct json_object *p = json_object_from_file(v);
            if (!p) {
                json_object_put(o);
                fprintf(stderr, "cordon session: --policy %s: %s\n", v, json_util_get_last_err());
                return 2;
            }
            json_object_object_add(o, "policy", p);
        } else {
            json_object_put(o);
            return usage_error("create: bad option or value: %s", argv[k]);
        }
    }
    int r = simple(c, "POST", "/v1/sessions", json_object_to_json_string(o), show_id);
    json_object_put(o);
    return r;
}

static int cmd_put(const struct conn *c, const char *id, const char *guest, const char *local)
{
    FILE *f = local ? fopen(local, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "cordon session: %s: %s\n", local, strerror(errno));
        return 1;
    }
    size_t len;
    _cleanup_free_ char *data = slurp(f, &len);
    if (local)
        fclose(f);
    if (!data)
        return 1;
    char path[4200];
    snprintf(path, sizeof path, "/v1/sessions/%s/files%s%s", id, guest[0] == '/' ? "" : "/", guest);
    struct buf b = { 0 };
    long st = request(c, "PUT", path, data, len, collect, &b);
    int r = st < 0 ? 1 : st >= 400 ? refused(st, &b) : 0;
    free(b.data);
    return r;
}

static int cmd_get(const struct conn *c, const char *id, const char *guest)
{
    char path[4200];
    snprintf(path, sizeof path, "/v1/sessions/%s/files%s%s", id, guest[0] == '/' ? "" : "/", guest);
    /* The status is known only after the body: collect, then decide. */
    struct buf b = { 0 };
    long st = request(c, "GET", path, NULL, 0, collect, &b);
    int r = st < 0 ? 1 : st >= 400 ? refused(st, &b) : 0;
    if (r == 0 && b.len && fwrite(b.data, 1, b.len, stdout) != b.len)
        r = 1;
    free(b.data);
    return r;
}

/* The exec stream: complete lines are frames. A refusal's body is one
 * JSON object without a newline, so it stays in `line` for refused(). */
struct frames {
    struct buf line;
    int status;        /* from the exit frame; 125 until one arrives */
};

/* An output frame's bytes, as the guest wrote them: text, or base64 for
 * output that is not UTF-8. */
static void write_chunk(struct json_object *v, bool b64, FILE *to)
{
    const char *t = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (!b64) {
        fwrite(t, 1, n, to);
        return;
    }
    _cleanup_free_ unsigned char *bytes = malloc(n / 4 * 3 + 1);
    ssize_t len = bytes ? base64_decode(t, n, bytes) : -1;
    if (len < 0) {
        fprintf(stderr, "cordon session: a base64 output frame did not decode\n");
        return;
    }
    fwrite(bytes, 1, (size_t)len, to);
}

static void frame(struct frames *f, const char *text)
{
    struct json_object *o = json_tokener_parse(text), *v;
    if (!o)
        return;
    if (json_object_object_get_ex(o, "stdout", &v) || json_object_object_get_ex(o, "stdout_b64", &v)) {
        write_chunk(v, json_object_object_get_ex(o, "stdout_b64", NULL), stdout);
        fflush(stdout);
    } else if (json_object_object_get_ex(o, "stderr", &v) ||
               json_object_object_get_ex(o, "stderr_b64", &v)) {
        write_chunk(v, json_object_object_get_ex(o, "stderr_b64", NULL), stderr);
    } else if (json_object_object_get_ex(o, "truncated", &v)) {
        fprintf(stderr, "cordon session: output cut at %s bytes (the server's --max-output)\n",
                field(v, "limit_bytes"));
    } else if (json_object_object_get_ex(o, "exit", &v)) {
        struct json_object *s;
        f->status = json_object_object_get_ex(v, "status", &s) ? json_object_get_int(s) : 125;
    } else if (json_object_object_get_ex(o, "error", &v)) {
        fprintf(stderr, "cordon session: %s\n", json_object_get_string(v));
        f->status = 125;
    }
    json_object_put(o);
}

static size_t on_frames(char *p, size_t size, size_t n, void *ctx)
{
    struct frames *f = ctx;
    if (!collect(p, size, n, &f->line))
        return 0;
    char *start = f->line.data, *nl;
    while ((nl = memchr(start, '\n', f->line.len - (size_t)(start - f->line.data)))) {
        *nl = '\0';
        frame(f, start);
        start = nl + 1;
    }
    size_t rest = f->line.len - (size_t)(start - f->line.data);
    memmove(f->line.data, start, rest);
    f->line.len = rest;
    f->line.data[rest] = '\0';
    return size * n;
}

static int cmd_exec(const struct conn *c, const char *id, int argc, char **argv)
{
    struct json_object *o = json_object_new_object(), *env = json_object_new_object();
    json_object_object_add(o, "env", env);
    int k = 0;
    for (; k < argc && strcmp(argv[k], "--"); k += 2) {
        if (k + 1 >= argc) {
            json_object_put(o);
            return usage_error("%s needs a value", argv[k]);
        }
        const char *v = argv[k + 1];
        unsigned ms;
        if (!strcmp(argv[k], "--timeout") && parse_timeout(v, &ms) == 0) {
            json_object_object_add(o, "timeout", json_object_new_double(ms / 1000.0));
        } else if (!strcmp(argv[k], "--cwd") && v[0] == '/') {
            json_object_object_add(o, "cwd", json_object_new_string(v));
        } else if (!strcmp(argv[k], "--env") && strchr(v, '=') && v[0] != '=') {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(v, "="), v);
            json_object_object_add(env, name, json_object_new_string(strchr(v, '=') + 1));
        } else {
            json_object_put(o);
            return usage_error("exec: bad option or value: %s", argv[k]);
        }
    }
    if (k + 1 >= argc) {
        json_object_put(o);
        return usage_error("%s", "exec: no PROGRAM given (exec ID [OPTIONS] -- PROGRAM [ARGS...])");
    }
    struct json_object *av = json_object_new_array();
    for (k++; k < argc; k++)
        json_object_array_add(av, json_object_new_string(argv[k]));
    json_object_object_add(o, "argv", av);
    if (!isatty(0)) {
        size_t len;
        _cleanup_free_ char *in = slurp(stdin, &len);
        _cleanup_free_ char *b64 = in && !utf8_valid((unsigned char *)in, len)
                                       ? malloc(BASE64_LEN(len) + 1) : NULL;
        if (b64)
            json_object_object_add(o, "stdin_b64", json_object_new_string_len(
                b64, (int)base64_encode((unsigned char *)in, len, b64)));
        else if (in)
            json_object_object_add(o, "stdin", json_object_new_string_len(in, (int)len));
    }
    char path[200];
    snprintf(path, sizeof path, "/v1/sessions/%s/exec", id);
    struct frames f = { .status = 125 };
    const char *body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    long st = request(c, "POST", path, body, strlen(body), on_frames, &f);
    json_object_put(o);
    int r = f.status;
    if (st >= 400)
        refused(st, &f.line);
    if (st < 0 || st >= 400)
        r = 125;
    free(f.line.data);
    return r;
}

int cmd_session(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (argc < 2)
        return usage_error("%s", "no command given");
    const char *cmd = argv[1];
    struct conn c = { .token = getenv("CORDON_TOKEN") };
    /* --server and --token may come anywhere before "--". */
    char *rest[argc];
    int n = 0;
    bool after_dashes = false;
    for (int k = 2; k < argc; k++) {
        after_dashes |= !strcmp(argv[k], "--");
        if (!after_dashes && (!strcmp(argv[k], "--server") || !strcmp(argv[k], "--token"))) {
            if (k + 1 >= argc)
                return usage_error("%s needs a value", argv[k]);
            *(argv[k][2] == 's' ? &c.server : &c.token) = argv[k + 1];
            k++;
        } else {
            rest[n++] = argv[k];
        }
    }
    if (!c.server)
        return usage_error("%s", "--server is required");
    if (!c.token || !*c.token)
        return usage_error("%s", "no token: --token TOKEN or $CORDON_TOKEN");
    struct err e = { 0 };
    if (libcurl_load(&e)) {
        err_print(&e);
        return 1;
    }
    int r;
    char path[200];
    if (!strcmp(cmd, "create")) {
        r = cmd_create(&c, n, rest);
    } else if (!strcmp(cmd, "ls") && n == 0) {
        r = simple(&c, "GET", "/v1/sessions", NULL, show_list);
    } else if (!strcmp(cmd, "rm") && n == 1 && strlen(rest[0]) < 64) {
        snprintf(path, sizeof path, "/v1/sessions/%s", rest[0]);
        r = simple(&c, "DELETE", path, NULL, NULL);
    } else if (!strcmp(cmd, "put") && (n == 2 || n == 3) && strlen(rest[0]) < 64) {
        r = cmd_put(&c, rest[0], rest[1], n == 3 ? rest[2] : NULL);
    } else if (!strcmp(cmd, "get") && n == 2 && strlen(rest[0]) < 64) {
        r = cmd_get(&c, rest[0], rest[1]);
    } else if (!strcmp(cmd, "exec") && n >= 1 && strlen(rest[0]) < 64) {
        r = cmd_exec(&c, rest[0], n - 1, rest + 1);
    } else {
        r = usage_error("unknown command or wrong arguments: %s", cmd);
    }
    return r;
}
