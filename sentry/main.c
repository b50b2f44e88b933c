/* sentry/main.c — the `cordon` command line. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "sentry/ctl.h"
#include "sentry/oci.h"
#include "sentry/session.h"
#include "sentry/workspace.h"
#include "serve/serve.h"
#include "util/units.h"

#define VERSION "0.1.0"

static const char USAGE[] =
    "usage: cordon run [OPTIONS] -- PROGRAM [ARGS...]\n"
    "       cordon serve --listen ADDR --tokens FILE [OPTIONS]  (see cordon serve --help)\n"
    "       cordon session create|exec|put|get|rm|ls --server ADDR ...  (cordon session --help)\n"
    "       cordon [--root DIR] [--log FILE] create|start|run|exec|state|kill|delete|ps|spec|features\n"
    "              (an OCI runtime with runc's command line; README \"OCI runtime\")\n"
    "\n"
    "Runs PROGRAM in a sandbox: every system call is judged by a seccomp filter,\n"
    "and every file it sees comes from a per-session in-memory filesystem laid\n"
    "over a copy-on-write view of the host runtime (/usr). Nothing it writes\n"
    "reaches the host.\n"
    "\n"
    "options:\n"
    "  --timeout SEC       kill the whole guest after SEC seconds (exit 124)\n"
    "  --env NAME=VALUE    add to the guest's clean environment (repeatable)\n"
    "  --cwd DIR           guest working directory (default /home/user)\n"
    "  --memory BYTES      memory limit, with K, M or G suffix (cgroup)\n"
    "  --pids N            process and thread limit (cgroup)\n"
    "  --cpu SEC           CPU time of PROGRAM and all it starts, together\n"
    "                      (SIGXCPU or SIGKILL when spent; exit 128+N)\n"
    "  --disk BYTES        file data the memory layer may hold, K/M/G suffix\n"
    "                      (writes past it fail with ENOSPC)\n"
    "  --inodes N          files, directories and symlinks the session may\n"
    "                      create or copy up (then ENOSPC)\n"
    "  --root              run PROGRAM as uid 0 of the sandbox (no capabilities):\n"
    "                      it may change the runtime (/usr) under the overlay\n"
    "  --import-fs IN.tar  seed the memory layer from a tar (as --export-fs writes)\n"
    "  --export-fs OUT.tar write the memory layer to a tar when PROGRAM exits\n"
    "  --mount HOST:GUEST[:ro|:rw][,noexec]\n"
    "                      map host directory HOST at GUEST (repeatable; default\n"
    "                      ro); rw writes go to HOST; secrets below it stay hidden\n"
    "  --secret-deny GLOB  hide matching names inside mounts, besides the defaults\n"
    "                      (.ssh/ .aws/ .env *.pem private keys ...; repeatable)\n"
    "  --allow HOST[:PORT] grant raw TCP to HOST (a name or an address; [V6]:PORT),\n"
    "                      on PORT or any port (repeatable); everything else is\n"
    "                      unreachable and only granted names resolve\n"
    "  --policy FILE       the session's policy (JSON): egress grants, secrets,\n"
    "                      mounts, canaries; flags add to it\n"
    "  --events FILE       stream audit events live as OTLP JSON logs, one\n"
    "                      LogsData object per line (- for stdout)\n"
    "  --otlp-endpoint URL also POST them to URL/v1/logs (OTLP/HTTP JSON)\n"
    "  --summary           at exit, print event counts, denials, bytes out and\n"
    "                      dropped events on stderr\n"
    "  --canary GUEST_PATH place a fake secret with a unique token there (e.g.\n"
    "                      ~/.aws/credentials); opening it is a canary event\n"
    "                      (repeatable)\n"
    "  --platform NAME     how system calls are caught: auto (default: seccomp\n"
    "                      when the kernel has user notification with ADDFD,\n"
    "                      else ptrace), seccomp or ptrace\n"
    "  -v, --verbose       print the platform and audit lines (denials) on stderr\n"
    "  -h, --help          show this help\n"
    "  --version           show the version\n"
    "\n"
    "exit status: PROGRAM's, or 128+N if killed by signal N; 124 timeout;\n"
    "125 cordon failed; 126 PROGRAM not executable; 127 PROGRAM not found;\n"
    "2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return err_usage("cordon", USAGE, fmt, arg);
}

enum { OPT_TIMEOUT = 256, OPT_ENV, OPT_CWD, OPT_MEMORY, OPT_PIDS, OPT_PLATFORM, OPT_VERSION, OPT_POLICY,
       OPT_DISK, OPT_INODES, OPT_IMPORT_FS, OPT_EXPORT_FS, OPT_ROOT,
       OPT_EVENTS, OPT_OTLP, OPT_SUMMARY, OPT_MOUNT, OPT_SECRET_DENY, OPT_CANARY, OPT_ALLOW,
       OPT_CPU };

/* ctl >= 0: `cordon session-daemon FD [OPTIONS]`, the session options
 * parsed as run's, then serving the control channel FD (sentry/ctl.h). */
static int cmd_run(int argc, char **argv, int ctl)
{
    static const struct option opts[] = {
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "env", required_argument, NULL, OPT_ENV },
        { "cwd", required_argument, NULL, OPT_CWD },
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "pids", required_argument, NULL, OPT_PIDS },
        { "cpu", required_argument, NULL, OPT_CPU },
        { "platform", required_argument, NULL, OPT_PLATFORM },
        { "policy", required_argument, NULL, OPT_POLICY },
        { "disk", required_argument, NULL, OPT_DISK },
        { "inodes", required_argument, NULL, OPT_INODES },
        { "import-fs", required_argument, NULL, OPT_IMPORT_FS },
        { "export-fs", required_argument, NULL, OPT_EXPORT_FS },
        { "root", no_argument, NULL, OPT_ROOT },
        { "events", required_argument, NULL, OPT_EVENTS },
        { "otlp-endpoint", required_argument, NULL, OPT_OTLP },
        { "summary", no_argument, NULL, OPT_SUMMARY },
        { "mount", required_argument, NULL, OPT_MOUNT },
        { "secret-deny", required_argument, NULL, OPT_SECRET_DENY },
        { "canary", required_argument, NULL, OPT_CANARY },
        { "allow", required_argument, NULL, OPT_ALLOW },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct run_options o = { .cwd = "/home/user" };
    const char *envs[256], *mounts[65], *denies[257];
    unsigned nenv = 0, nmount = 0, ndeny = 0;
    static const char *canaries[33];   /* NULL-terminated: the rest stays NULL */
    unsigned ncanary = 0;
    const char *allows[256];
    unsigned nallow = 0;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_TIMEOUT:
            if (parse_timeout(optarg, &o.timeout_ms) < 0)
                return usage_error("--timeout: not a positive number of seconds: %s", optarg);
            break;
        case OPT_ENV:
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return usage_error("--env: expected NAME=VALUE, got %s", optarg);
            if (nenv == sizeof envs / sizeof *envs)
                return usage_error("--env: too many variables (%s)", "max 256");
            envs[nenv++] = optarg;
            break;
        case OPT_CWD:
            if (optarg[0] != '/')
                return usage_error("--cwd: must be an absolute guest path: %s", optarg);
            o.cwd = optarg;
            break;
        case OPT_MEMORY:
            if (!(o.memory = parse_size(optarg)))
                return usage_error("--memory: not a size (like 512M): %s", optarg);
            break;
        case OPT_PIDS:
            if (!(o.pids = parse_size(optarg)) || strpbrk(optarg, "kKmMgG"))
                return usage_error("--pids: not a positive count: %s", optarg);
            break;
        case OPT_CPU: {
            uint64_t n = parse_size(optarg);
            if (!n || n > 86400 * 365 || strpbrk(optarg, "kKmMgG"))
                return usage_error("--cpu: not a positive number of seconds: %s", optarg);
            o.cpu_seconds = (unsigned)n;
            break;
        }
        case OPT_PLATFORM:
            if (platform_parse(optarg, &o.platform) < 0)
                return usage_error("--platform: unknown platform '%s' (auto, seccomp or ptrace)",
                                   optarg);
            break;
        case OPT_DISK:
            if (!(o.disk = parse_size(optarg)))
                return usage_error("--disk: not a size (like 100M): %s", optarg);
            break;
        case OPT_INODES:
            if (!(o.inodes = parse_size(optarg)) || strpbrk(optarg, "kKmMgG"))
                return usage_error("--inodes: not a positive count: %s", optarg);
            break;
        case OPT_IMPORT_FS:
            o.import_fs = optarg;
            break;
        case OPT_EXPORT_FS:
            o.export_fs = optarg;
            break;
        case OPT_ROOT:
            o.root = true;
            break;
        case OPT_POLICY:
            o.policy = optarg;
            break;
        case OPT_EVENTS:
            if (!*optarg)
                return usage_error("--events: expected a file name or - for stdout%s", "");
            o.events = optarg;
            break;
        case OPT_OTLP:
            if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
                return usage_error("--otlp-endpoint: expected an http:// or https:// URL, got %s",
                                   optarg);
            o.otlp_endpoint = optarg;
            break;
        case OPT_SUMMARY:
            o.summary = true;
            break;
        case OPT_MOUNT: {
            static char buf[PATH_MAX * 2];
            struct mount_spec m;
            struct err e = { 0 };
            if (workspace_parse_mount(optarg, buf, &m, &e) < 0)
                return usage_error("%s", e.msg);
            if (nmount == sizeof mounts / sizeof *mounts - 1)
                return usage_error("--mount: too many mounts (%s)", "max 64");
            mounts[nmount++] = optarg;
            break;
        }
        case OPT_SECRET_DENY:
            if (ndeny == sizeof denies / sizeof *denies - 1)
                return usage_error("--secret-deny: too many rules (%s)", "max 256");
            denies[ndeny++] = optarg;
            break;
        case OPT_CANARY:
            if (ncanary == sizeof canaries / sizeof *canaries - 1)
                return usage_error("--canary: too many canaries (%s)", "max 32");
            canaries[ncanary++] = optarg;
            o.canaries = canaries;
            break;
        case OPT_ALLOW: {
            struct err e = { 0 };
            if (net_allow_check(optarg, &e) < 0)
                return usage_error("%s", e.msg);
            if (nallow == sizeof allows / sizeof *allows - 1)
                return usage_error("--allow: too many grants (%s)", "max 255; use --policy");
            allows[nallow++] = optarg;
            break;
        }
        case 'v':
            o.verbose = true;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return 0;
        default:
            return usage_error("unknown option: %s", argv[optind - 1]);
        }
    }
    allows[nallow] = NULL;
    o.allow = allows;
    if (ctl >= 0)
        return session_daemon(ctl, &o);
    if (optind >= argc)
        return usage_error("%s", "no PROGRAM given");
    envs[nenv] = NULL;
    mounts[nmount] = NULL;
    denies[ndeny] = NULL;
    o.extra_env = envs;
    o.mounts = mounts;
    o.secret_deny = denies;
    o.argv = (const char *const *)argv + optind;
    return session_run(&o);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
                      !strcmp(argv[1], "help"))) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("cordon %s\n", VERSION);
        return 0;
    }
    if (oci_wants(argc, argv))
        return cmd_oci(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1, -1);
    if (argc >= 2 && !strcmp(argv[1], "session"))
        return cmd_session(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (argc >= 3 && !strcmp(argv[1], "session-daemon"))
        return cmd_run(argc - 2, argv + 2, atoi(argv[2]));
    if (argc < 2)
        return usage_error("%s", "no command given");
    return usage_error("unknown command: %s", argv[1]);
}
