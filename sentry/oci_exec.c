/* sentry/oci_exec.c — `cordon exec`: a new program in a running container.
 *
 * The container's sentry owns its VFS, so the program must run under it:
 * the sentry listens on ROOT/ID/exec.sock (SOCK_SEQPACKET, one request per
 * connection, framed as the session control channel's CTL_EXEC: JSON plus
 * the program's stdin, stdout and stderr), and hands the request to the
 * running tree's init (session_spawn), which reports back on the very
 * connection: started, then the wait status (platform.h, spawn_report).
 *
 * The requester is the `cordon exec` process, or with --detach a child of
 * it in a session of its own: the pid runc callers get in --pid-file and
 * wait for. conmon, a child subreaper, inherits it when `exec` exits and
 * reads the program's exit status from it, as it would from runc's
 * process. It forwards the signals it gets to the program; if it is
 * killed, the connection closes and init kills the program.
 */
#include "sentry/oci_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sentry/console.h"
#include "sentry/ctl.h"
#include "sentry/sentry.h"
#include "util/cleanup.h"
#include "util/thread.h"

/* ---- the container's sentry ----------------------------------------------- */

struct oci_exec_server {
    struct session *s;
    int fd;
    pthread_t th;
    char path[PATH_MAX];
};

static void json_put(json_object **o)
{
    if (*o)
        json_object_put(*o);
}

/* One request on connection c: 0 once init has it (init reports from then
 * on), else cordon's exit status for it, reported here. */
static int serve_one(struct session *s, int c)
{
    static char buf[CTL_MAX_JSON + 1];
    enum ctl_op op;
    int fds[CTL_MAX_FDS];
    unsigned nfds;
    if (ctl_recv(c, &op, buf, sizeof buf, fds, &nfds) <= 0)
        return 125;
    __attribute__((cleanup(json_put))) json_object *req = json_tokener_parse(buf);
    json_object *v;
    _cleanup_free_ const char **argv =
        req && json_object_object_get_ex(req, "argv", &v) ? ctl_strings(v, 4096) : NULL;
    _cleanup_free_ const char **env =
        req && json_object_object_get_ex(req, "env", &v) ? ctl_strings(v, 4096) : NULL;
    const char *cwd = req && json_object_object_get_ex(req, "cwd", &v) ? json_object_get_string(v)
                                                                        : NULL;
    bool tty = req && json_object_object_get_ex(req, "tty", &v) && json_object_get_boolean(v);
    bool root = req && json_object_object_get_ex(req, "root", &v) && json_object_get_boolean(v);
    int status = 0;
    if (op != CTL_EXEC || nfds != 3 || !argv || !argv[0] || !env) {
        status = 125;
    } else if (root != (s->cred.uid == 0)) {
        dprintf(fds[2], "cordon: exec: the program must run as the container's user (%s)\n",
                s->cred.uid == 0 ? "0:0" : "1000:1000");
        status = 125;
    } else {
        struct exec_request x = { .argv = argv, .extra_env = env, .cwd = cwd, .stdio = fds,
                                  .tty = tty };
        status = session_spawn(s, &x, c);
    }
    for (unsigned k = 0; k < nfds; k++)
        close(fds[k]);
    if (status)
        spawn_tell(c, SPAWN_FAILED, status);
    return status;
}

static void *serve_main(void *arg)
{
    struct oci_exec_server *srv = arg;
    for (;;) {
        _cleanup_close_ int c = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (c < 0)
            return NULL;   /* oci_exec_serve_stop shut the socket down */
        /* A client that connects and says nothing must not hold up the
         * next exec, nor the stop that joins this thread. */
        struct timeval quiet = { .tv_sec = 5 };
        if (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet) < 0)
            continue;
        serve_one(srv->s, c);
    }
}

int oci_exec_serve(struct session *s, const char *path, struct oci_exec_server **out,
                   struct err *e)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return err_set(e, ENAMETOOLONG, "exec socket %s", path);
    strcpy(sa.sun_path, path);
    struct oci_exec_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return err_set(e, ENOMEM, "exec socket");
    srv->s = s;
    snprintf(srv->path, sizeof srv->path, "%s", path);
    srv->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    int r = srv->fd < 0 || bind(srv->fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
                    listen(srv->fd, 16) < 0
                ? errno
                : thread_start_quiet(&srv->th, serve_main, srv);
    if (r) {
        err_set(e, r, "exec socket %s", path);
        if (srv->fd >= 0)
            close(srv->fd);
        unlink(path);
        free(srv);
        return -1;
    }
    *out = srv;
    return 0;
}

void oci_exec_serve_stop(struct oci_exec_server *srv)
{
    if (!srv)
        return;
    shutdown(srv->fd, SHUT_RDWR);   /* wakes accept() */
    pthread_join(srv->th, NULL);
    close(srv->fd);
    unlink(srv->path);
    free(srv);
}

/* ---- the `cordon exec` command -------------------------------------------- */

static json_object *string_array(const char *const *v)
{
    json_object *a = json_object_new_array();
    for (; v && *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

static int send_request(int sock, const struct oci_exec *x, const int *stdio)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "argv", string_array(x->argv));
    json_object_object_add(o, "env", string_array(x->env));
    if (x->cwd)
        json_object_object_add(o, "cwd", json_object_new_string(x->cwd));
    json_object_object_add(o, "tty", json_object_new_boolean(x->console_socket != NULL));
    json_object_object_add(o, "root", json_object_new_boolean(x->root));
    int r = ctl_send(sock, CTL_EXEC, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                     stdio, 3);
    json_object_put(o);
    return r;
}

/* The next report: its kind, or 0 when the connection ended first (the
 * container's tree is gone, and the program with it). */
static int next_report(int sock, int32_t *value)
{
    struct spawn_report r;
    ssize_t n;
    do
        n = recv(sock, &r, sizeof r, 0);
    while (n < 0 && errno == EINTR);
    if (n != sizeof r)
        return 0;
    *value = r.value;
    return r.kind;
}

static int exit_status(int wstatus)
{
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

/* Until the program exits, signals this process gets go to it. */
static __attribute__((noreturn)) void relay(int sock)
{
    sigset_t set;
    sigemptyset(&set);
    static const int FORWARDED[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                                     SIGCONT, SIGWINCH };
    for (size_t k = 0; k < sizeof FORWARDED / sizeof *FORWARDED; k++)
        sigaddset(&set, FORWARDED[k]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    for (;;) {
        struct pollfd pf[2] = { { .fd = sock, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
        if (poll(pf, sfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
            _exit(125);
        struct signalfd_siginfo si;
        if ((pf[1].revents & POLLIN) && read(sfd, &si, sizeof si) == sizeof si) {
            int32_t sig = (int32_t)si.ssi_signo;
            send(sock, &sig, sizeof sig, MSG_NOSIGNAL);
        }
        if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        int32_t value;
        int kind = next_report(sock, &value);
        if (kind == SPAWN_EXITED)
            _exit(exit_status(value));
        if (kind == 0)
            _exit(128 + SIGKILL);   /* the container ended, and took the program along */
    }
}

/* Sends the request and reads the first report: 0 once started, else
 * cordon's exit status for the failure. */
static int start(const struct oci_exec *x, int sock, struct err *e)
{
    static const int own[3] = { 0, 1, 2 };
    _cleanup_close_ int slave = -1;
    if (x->console_socket &&
        (slave = console_send_pty(x->console_socket, x->rows, x->cols, e)) < 0)
        return 125;
    int pty[3] = { slave, slave, slave };
    int r = send_request(sock, x, slave >= 0 ? pty : own);
    if (r < 0) {
        err_set(e, -r, "exec: sending the request to the container");
        return 125;
    }
    int32_t value;
    int kind = next_report(sock, &value);
    if (kind == SPAWN_STARTED)
        return 0;
    if (kind == SPAWN_FAILED) {
        err_set(e, 0, "exec failed: %s", value == 127 ? "executable file not found in $PATH"
                                         : value == 126 ? "permission denied (not executable)"
                                                        : "see the program's stderr");
        return value;
    }
    err_set(e, 0, "exec failed: the container is not running");
    return 125;
}

int oci_exec_run(const struct oci_exec *x, pid_t *proxy, int *status, struct err *e)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", x->sock);
    _cleanup_close_ int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0) {
        *status = 125;
        return err_set(e, errno, "exec: the container's sentry does not answer (%s)", x->sock);
    }
    if (!x->detach) {
        *status = start(x, sock, e);
        if (*status)
            return -1;
        relay(sock);
    }
    /* The proxy reports its start over a pipe, so `exec -d` returns only
     * once the program runs, with an error if it could not. */
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        *status = 125;
        return err_set(e, errno, "pipe");
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        setsid();
        struct err ce = { 0 };
        int st = start(x, sock, &ce);
        if (st && write(p[1], &ce, sizeof ce) != sizeof ce)
            _exit(st);
        close(p[1]);
        if (st)
            _exit(st);
        /* Its stdio is the program's now; holding it would keep a caller
         * reading it until this process ends. */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int k = 0; null >= 0 && k < 3; k++)
            dup2(null, k);
        relay(sock);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        *status = 125;
        return err_set(e, errno, "fork");
    }
    struct err ce;
    ssize_t n = read(p[0], &ce, sizeof ce);
    close(p[0]);
    if (n == sizeof ce) {
        int wst;
        waitpid(pid, &wst, 0);
        *e = ce;
        *status = exit_status(wst);
        return -1;
    }
    *proxy = pid;
    return 0;
}
