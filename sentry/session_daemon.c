/* sentry/session_daemon.c — `cordon session-daemon`: one session's sentry
 * process under `cordon serve`.
 *
 * The session (VFS, policy, limits) lives in this process for as long as the
 * server keeps it, so files written by one exec are there for the next, and
 * a fault here ends this session only. The server speaks to it over the
 * control channel (sentry/ctl.h); requests run one at a time, an exec to
 * its end, on the same session_exec path as `cordon run`.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/ctl.h"
#include "sentry/sentry.h"
#include "sentry/session.h"
#include "sentry/stats.h"
#include "util/cleanup.h"

static void json_put(struct json_object **o)
{
    if (*o)
        json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_put)))

static int reply(int sock, struct json_object *o, const int *fds, unsigned nfds)
{
    int r = ctl_send(sock, CTL_REPLY, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                     fds, nfds);
    json_object_put(o);
    return r;
}

static struct json_object *errno_reply(int err)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "errno", json_object_new_int(err));
    return o;
}

static int do_exec(struct session *s, int sock, struct json_object *req, int *fds, unsigned nfds)
{
    struct json_object *v;
    _cleanup_free_ const char **argv = ctl_strings(
        json_object_object_get_ex(req, "argv", &v) ? v : NULL, 4096);
    _cleanup_free_ const char **env = json_object_object_get_ex(req, "env", &v)
                                          ? ctl_strings(v, 256) : calloc(1, sizeof *env);
    if (nfds != 3 || !argv || !argv[0] || !env)
        return reply(sock, errno_reply(EINVAL), NULL, 0);
    const char *cwd = json_object_object_get_ex(req, "cwd", &v) ? json_object_get_string(v) : NULL;
    unsigned timeout = json_object_object_get_ex(req, "timeout_ms", &v)
                           ? (unsigned)json_object_get_int64(v) : 0;
    struct exec_request x = {
        .argv = argv, .extra_env = env, .cwd = cwd, .stdio = fds, .timeout_ms = timeout,
    };
    struct exec_result res;
    int status = session_exec(s, &x, &res);
    /* The guest's tree is gone: closing the last copies ends the streams. */
    for (unsigned k = 0; k < nfds; k++)
        close(fds[k]);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "errno", json_object_new_int(0));
    json_object_object_add(o, "status", json_object_new_int(status));
    json_object_object_add(o, "code", json_object_new_int(res.code));
    json_object_object_add(o, "signal", json_object_new_int(res.signal));
    json_object_object_add(o, "timed_out", json_object_new_boolean(res.timed_out));
    json_object_object_add(o, "cpu_exceeded", json_object_new_boolean(res.cpu_exceeded));
    return reply(sock, o, NULL, 0);
}

/* Opens a file of the VFS for the server with the guest's rights: its body
 * then moves through the returned fd, never through the channel. */
static int do_open(struct session *s, int sock, struct json_object *req)
{
    struct json_object *v;
    const char *path = json_object_object_get_ex(req, "path", &v) ? json_object_get_string(v) : NULL;
    bool wr = json_object_object_get_ex(req, "write", &v) && json_object_get_boolean(v);
    if (!path || path[0] != '/' || strlen(path) >= PATH_MAX)
        return reply(sock, errno_reply(EINVAL), NULL, 0);
    int flags = wr ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;
    _cleanup_close_ int fd = -1;
    /* A directory's fd is a placeholder memfd: ask the VFS what it is. */
    struct stat st;
    int r = vfs_statat(s->vfs, vfs_root(s->vfs), path, 0, &s->cred, &st);
    if (r == 0 && S_ISDIR(st.st_mode))
        r = -EISDIR;
    else if (r == 0 && !S_ISREG(st.st_mode))
        r = -EINVAL;   /* a device: no body to move */
    else if (r == 0 || (r == -ENOENT && wr))
        r = vfs_openat(s->vfs, vfs_root(s->vfs), path, flags, 0666 & ~s->initial_umask,
                       &s->cred, &fd);
    if (r == 0 && fstat(fd, &st) < 0)
        r = -errno;
    if (r < 0)
        return reply(sock, errno_reply(-r), NULL, 0);
    struct json_object *o = errno_reply(0);
    json_object_object_add(o, "size", json_object_new_int64(st.st_size));
    return reply(sock, o, &fd, 1);
}

int session_daemon(int sock, const struct run_options *o)
{
    _cleanup_close_ int stats = stats_share();   /* before session_create starts threads */
    struct session *s = session_create(o);
    if (!s)
        return 125;   /* the server sees EOF instead of the ready message */
    if (ctl_send(sock, CTL_REPLY, "{\"errno\":0}", &stats, stats >= 0) < 0) {
        session_destroy(s);
        return 125;
    }
    static char buf[CTL_MAX_JSON + 1];
    for (;;) {
        enum ctl_op op;
        int fds[CTL_MAX_FDS];
        unsigned nfds;
        int r = ctl_recv(sock, &op, buf, sizeof buf, fds, &nfds);
        if (r <= 0)
            break;   /* the server went away: the session ends with it */
        _cleanup_json_ struct json_object *req = json_tokener_parse(buf);
        if (!req || !json_object_is_type(req, json_type_object)) {
            for (unsigned k = 0; k < nfds; k++)
                close(fds[k]);
            r = reply(sock, errno_reply(EINVAL), NULL, 0);
        } else if (op == CTL_EXEC) {
            r = do_exec(s, sock, req, fds, nfds);
        } else {
            for (unsigned k = 0; k < nfds; k++)
                close(fds[k]);
            if (op == CTL_OPEN)
                r = do_open(s, sock, req);
            else if (op == CTL_SHUTDOWN)
                break;
            else
                r = reply(sock, errno_reply(EINVAL), NULL, 0);
        }
        if (r < 0)
            break;
    }
    session_destroy(s);
    return 0;
}
