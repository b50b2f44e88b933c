/* serve/serve_main.c — `cordon serve`: options, the listening socket, and
 * the server's life (start after a crash, SIGTERM drain). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sentry/session.h"
#include "serve/serve.h"
#include "util/cleanup.h"
#include "util/units.h"
#include "serve/mhd.h"

static const char USAGE[] =
    "usage: cordon serve --listen unix:PATH|HOST:PORT --tokens FILE [OPTIONS]\n"
    "\n"
    "Serves sandbox sessions over HTTP/1.1 + JSON: one session sentry process\n"
    "per session, its files kept between execs, visible only to the tenant\n"
    "whose bearer token created it.\n"
    "\n"
    "options:\n"
    "  --listen ADDR         unix:PATH (a stale socket is replaced) or HOST:PORT\n"
    "                        (port 0: any free port; the log line names it)\n"
    "  --tokens FILE         JSON {\"TOKEN\": \"TENANT\"} or lines \"TOKEN TENANT\"\n"
    "  --max-sessions N      sessions on the whole server (default 64; then 503)\n"
    "  --tenant-sessions N   sessions per tenant (default 16; then 429)\n"
    "  --ttl SEC             idle seconds before a session is removed (default 900)\n"
    "  --exec-timeout SEC    longest exec, and the default (default 300)\n"
    "  --max-output BYTES    stdout+stderr per exec, then a marker frame (default 16M)\n"
    "  --max-file BYTES      largest upload (default 256M)\n"
    "  --memory BYTES        default per-session memory limit (cgroup)\n"
    "  --pids N              default per-session process limit (cgroup)\n"
    "  --cpu SEC             default CPU seconds of each exec's processes (each)\n"
    "  --grace SEC           on SIGTERM, how long running execs may finish (default 10)\n"
    "  --platform NAME       auto, seccomp or ptrace (as cordon run)\n"
    "  -v, --verbose         session sentries print platform and audit lines\n"
    "  -h, --help            show this help\n";

static int usage_error(const char *fmt, const char *arg)
{
    return err_usage("cordon serve", USAGE, fmt, arg);
}

/* A unix socket path that answers belongs to a running server; one that
 * does not is a crashed server's leftover, removed. */
static int listen_unix(const char *path, struct err *e)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path)
        return err_set(e, ENAMETOOLONG, "--listen unix:%s", path);
    strcpy(a.sun_path, path);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(e, errno, "socket");
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return err_set(e, EEXIST, "--listen unix:%s: a file that is not a socket is there", path);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return err_set(e, EADDRINUSE, "--listen unix:%s: another server answers there", path);
        close(fd);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        unlink(path);
        fprintf(stderr, "cordon serve: removed the stale socket %s\n", path);
    }
    if (fd < 0)
        return err_set(e, errno, "socket");
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0)
        return err_set(e, errno, "--listen unix:%s", path);
    return TAKE_FD(fd);
}

static int listen_tcp(const char *spec, struct err *e)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1] || (size_t)(colon - spec) >= sizeof host)
        return err_set(e, 0, "--listen %s: expected unix:PATH or HOST:PORT", spec);
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {   /* [::1]:8080 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
    int g = getaddrinfo(host, colon + 1, &hints, &ai);
    if (g)
        return err_set(e, 0, "--listen %s: %s", spec, gai_strerror(g));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        int err = errno;
        freeaddrinfo(ai);
        if (fd >= 0)
            close(fd);
        return err_set(e, err, "--listen %s", spec);
    }
    freeaddrinfo(ai);
    return fd;
}

/* HOST:PORT as bound, so port 0 ("any free port") says which it got. */
static void bound_address(int fd, char *out, size_t size)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0 ||
        getnameinfo((struct sockaddr *)&a, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV)) {
        snprintf(out, size, "?");
        return;
    }
    snprintf(out, size, a.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static bool count_arg(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v == 0 || v > 1000000)
        return false;
    *out = (unsigned)v;
    return true;
}

enum {
    O_LISTEN = 256, O_TOKENS, O_MAX_SESSIONS, O_TENANT_SESSIONS, O_TTL, O_EXEC_TIMEOUT,
    O_MAX_OUTPUT, O_MAX_FILE, O_MEMORY, O_PIDS, O_GRACE, O_PLATFORM, O_CPU,
};

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen", required_argument, NULL, O_LISTEN },
        { "tokens", required_argument, NULL, O_TOKENS },
        { "max-sessions", required_argument, NULL, O_MAX_SESSIONS },
        { "tenant-sessions", required_argument, NULL, O_TENANT_SESSIONS },
        { "ttl", required_argument, NULL, O_TTL },
        { "exec-timeout", required_argument, NULL, O_EXEC_TIMEOUT },
        { "max-output", required_argument, NULL, O_MAX_OUTPUT },
        { "max-file", required_argument, NULL, O_MAX_FILE },
        { "memory", required_argument, NULL, O_MEMORY },
        { "pids", required_argument, NULL, O_PIDS },
        { "cpu", required_argument, NULL, O_CPU },
        { "grace", required_argument, NULL, O_GRACE },
        { "platform", required_argument, NULL, O_PLATFORM },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static struct serve_config cfg = {
        .max_sessions = 64, .tenant_sessions = 16, .default_ttl = 900,
        .max_timeout_ms = 300000, .max_output = 16u << 20, .max_file = 256u << 20,
        .grace_s = 10,
    };
    const char *listen_at = NULL, *tokens_path = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: listen_at = optarg; break;
        case O_TOKENS: tokens_path = optarg; break;
        case O_MAX_SESSIONS:
            if (!count_arg(optarg, &cfg.max_sessions))
                return usage_error("--max-sessions: not a positive count: %s", optarg);
            break;
        case O_TENANT_SESSIONS:
            if (!count_arg(optarg, &cfg.tenant_sessions))
                return usage_error("--tenant-sessions: not a positive count: %s", optarg);
            break;
        case O_TTL:
            if (!count_arg(optarg, &cfg.default_ttl))
                return usage_error("--ttl: not a positive number of seconds: %s", optarg);
            break;
        case O_GRACE:
            if (!count_arg(optarg, &cfg.grace_s))
                return usage_error("--grace: not a positive number of seconds: %s", optarg);
            break;
        case O_EXEC_TIMEOUT:
            if (parse_timeout(optarg, &cfg.max_timeout_ms) < 0)
                return usage_error("--exec-timeout: not a positive number of seconds: %s", optarg);
            break;
        case O_MAX_OUTPUT:
            if (!(cfg.max_output = parse_size(optarg)))
                return usage_error("--max-output: not a size (like 16M): %s", optarg);
            break;
        case O_MAX_FILE:
            if (!(cfg.max_file = parse_size(optarg)))
                return usage_error("--max-file: not a size (like 256M): %s", optarg);
            break;
        case O_MEMORY:
            if (!(cfg.memory = parse_size(optarg)))
                return usage_error("--memory: not a size (like 512M): %s", optarg);
            break;
        case O_PIDS:
            if (!(cfg.pids = parse_size(optarg)) || strpbrk(optarg, "kKmMgG"))
                return usage_error("--pids: not a positive count: %s", optarg);
            break;
        case O_CPU:
            if (!count_arg(optarg, &cfg.cpu))
                return usage_error("--cpu: not a positive number of seconds: %s", optarg);
            break;
        case O_PLATFORM:
            if (!strcmp(optarg, "auto"))
                cfg.platform = PLATFORM_AUTO;
            else if (!strcmp(optarg, "seccomp"))
                cfg.platform = PLATFORM_SECCOMP;
            else if (!strcmp(optarg, "ptrace"))
                cfg.platform = PLATFORM_PTRACE;
            else
                return usage_error("--platform: unknown platform '%s' (auto, seccomp or ptrace)",
                                   optarg);
            break;
        case 'v': cfg.verbose = true; break;
        case 'h': fputs(USAGE, stdout); return 0;
        default: return usage_error("unknown option: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument: %s", argv[optind]);
    if (!listen_at)
        return usage_error("%s", "--listen is required");
    if (!tokens_path)
        return usage_error("%s", "--tokens is required");

    struct err e = { 0 };
    struct tokens *tokens;
    if (tokens_load(tokens_path, &tokens, &e) < 0) {
        err_print(&e);
        return 2;
    }
    static char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "cordon serve: cannot find its own binary: %s\n", strerror(errno));
        return 125;
    }
    self[n] = '\0';
    cfg.self = self;
    struct err pe = { 0 };
    enum platform_kind got;
    if (platform_choose(cfg.platform, &got, &pe) < 0) {
        err_print(&pe);
        return 125;
    }
    bool unix_sock = !strncmp(listen_at, "unix:", 5);
    int lfd = unix_sock ? listen_unix(listen_at + 5, &e) : listen_tcp(listen_at, &e);
    if (lfd < 0) {
        err_print(&e);
        tokens_free(tokens);
        return 125;
    }
    unsigned stale = session_clean_stale();
    if (stale)
        fprintf(stderr, "cordon serve: removed what %u dead session sentries left\n", stale);

    /* Blocked before any thread exists: only the signalfd below sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);

    sessions_init(&cfg);
    struct MHD_Daemon *d = http_start(lfd, tokens, &cfg, &e);
    if (!d || sfd < 0) {
        err_print(&e);
        return 125;
    }
    sessions_start_reaper();
    char where[NI_MAXHOST + NI_MAXSERV + 4];
    if (unix_sock)
        snprintf(where, sizeof where, "%s", listen_at);
    else
        bound_address(lfd, where, sizeof where);
    fprintf(stderr, "cordon serve: listening on %s (platform %s)\n", where, platform_name(got));
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) < 0 && errno == EINTR)
        ;
    fprintf(stderr, "cordon serve: %s: draining (up to %u s for running execs)\n",
            strsignal((int)si.ssi_signo), cfg.grace_s);
    /* New connections wait in the backlog and fail when it closes; open
     * ones are answered 503 for new sessions while the execs finish. */
    mhd.MHD_quiesce_daemon(d);
    sessions_drain(cfg.grace_s);
    mhd.MHD_stop_daemon(d);
    close(lfd);
    if (unix_sock)
        unlink(listen_at + 5);
    tokens_free(tokens);
    fprintf(stderr, "cordon serve: stopped\n");
    return 0;
}
