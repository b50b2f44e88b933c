/* platform/platform.h — getting system calls out of the guest and answers
 * back in.
 *
 * Owns: launching the guest (namespaces, id maps, cgroup, the native mount
 * namespace of read-only runtime binds), the seccomp filter built from the
 * sentry's syscall table, the user-notification loop, ptrace for process
 * lifecycle and exec rewriting, guest memory access and fd installation.
 * Knows nothing of what a syscall means: it hands each serviced call to the
 * sentry's hooks and carries the answer back. Like gVisor's platform
 * interface, two platforms stand behind the same hooks: seccomp user
 * notification and ptrace (SECCOMP_RET_TRACE stops).
 */
#ifndef CORDON_PLATFORM_H
#define CORDON_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* How the filter treats a syscall number; the sentry's table decides. */
enum sys_class {
    SYS_UNLISTED = 0, /* not in the table: the sentry answers ENOSYS, never allowed */
    SYS_NATIVE,       /* run by the host kernel, no round trip */
    SYS_SERVICED,     /* carried out by the sentry's handler */
    SYS_EXEC,         /* execve/execveat: a ptrace stop, resolved by the sentry */
    SYS_ERRNO,        /* fixed errno straight from the filter (no audit) */
};

/* A native fast path for a serviced call: the call runs natively when
 * argument `arg` satisfies (value & mask) == equals; otherwise it reaches
 * the handler, which decides (and audits). */
struct sys_argrule {
    uint8_t arg;
    uint64_t mask;
    uint64_t equals;
};

/* One row of the table as the filter builder sees it. */
struct sys_filter_row {
    enum sys_class cls;
    int err;                          /* SYS_ERRNO */
    const struct sys_argrule *native; /* SYS_SERVICED: native when any rule matches */
    unsigned nnative;
};

/* One serviced call in flight. */
struct call {
    uint64_t id;        /* seccomp platform's notification id */
    pid_t tid;          /* host tid of the calling task */
    int nr;
    uint64_t args[6];
    void *task;         /* the sentry's task, set by the sentry */
    bool held;          /* the task sits in a ptrace stop: it cannot go away */
    int addfd;          /* set by a handler: host fd to install as the result */
    unsigned addfd_flags;
    bool reopen;        /* ... once reopened with reopen_flags: see call_open_later */
    int reopen_flags;
};

/* Answer with a new guest fd instead of a value (the platform installs it
 * as the call's result and closes `hostfd`; O_CLOEXEC in newfd_flags is
 * honoured). */
static inline long call_install_fd(struct call *c, int hostfd, unsigned newfd_flags)
{
    c->addfd = hostfd;
    c->addfd_flags = newfd_flags;
    return 0;
}

/* Answer, later, with a new guest fd that is `handle` (an fd of a FIFO,
 * consumed) reopened through /proc/self/fd with `flags`, an open that may
 * wait for a peer (fs/fifo.c). The platform does it off the dispatch path,
 * so other tasks (the peer among them) go on being served, and answers
 * when it returns; a signal the task would take interrupts it as the
 * kernel's own wait would (EINTR, or a restart under SA_RESTART). */
static inline long call_open_later(struct call *c, int handle, int flags, unsigned newfd_flags)
{
    c->reopen = true;
    c->reopen_flags = flags;
    return call_install_fd(c, handle, newfd_flags);
}

/* True while the call is still pending: checked after guest memory was read
 * and before the sentry acts on it, so a task that died or was interrupted
 * (its pid maybe reused) is never acted for. */
bool call_still_valid(const struct call *c);

/* What the sentry tells the platform to do at an exec stop: execute `path`
 * with argv = argv_head[0..n_head) followed by argv_rest pointers taken from
 * guest address argv_tail (n_head == 0: argv_tail is the guest's argv as
 * is), and the guest's envp. */
#define EXEC_HEAD_MAX 12
struct exec_plan {
    char path[4096];          /* what the kernel executes (native mount ns path) */
    char strings[4096];       /* storage for argv_head */
    const char *argv_head[EXEC_HEAD_MAX];
    unsigned n_head;
    uint64_t argv_tail;
    uint64_t argv_rest;
    uint64_t envp;
};

/* The sentry's entry points, called by the platform. Each takes the sentry's
 * lock itself. */
struct sentry_hooks {
    void *ctx;
    /* A serviced call: returns a value or -errno (or uses call_install_fd). */
    long (*dispatch)(void *ctx, struct call *c);
    /* An execve/execveat stop: fill *plan and return 0, or return -errno to
     * fail the call. */
    int (*exec)(void *ctx, struct call *c, struct exec_plan *plan);
    /* A new task (fork, vfork, clone); clone_flags as passed. */
    void (*task_new)(void *ctx, pid_t tid, pid_t parent, unsigned long clone_flags);
    /* Whether task_new (or an adoption) has already made tid known. */
    bool (*task_known)(void *ctx, pid_t tid);
    /* After a successful exec; former_tid is the tid that called execve. */
    void (*task_exec)(void *ctx, pid_t tid, pid_t former_tid);
    /* A task ended; wstatus as waitpid reports it. */
    void (*task_exit)(void *ctx, pid_t tid, int wstatus);
};

/* ---- launching ------------------------------------------------------------ */

/* How serviced calls reach the sentry. */
enum platform_kind {
    PLATFORM_AUTO = 0,   /* seccomp when the kernel has what it needs, else ptrace */
    PLATFORM_SECCOMP,    /* user notification; fds installed with NOTIF_ADDFD */
    PLATFORM_PTRACE,     /* SECCOMP_RET_TRACE stops; fds installed by syscall injection */
};

/* Resolves `want` against what this kernel offers: 0 with *got set to a
 * concrete platform, or -1 with *e saying what is missing. */
int platform_choose(enum platform_kind want, enum platform_kind *got, struct err *e);
const char *platform_name(enum platform_kind k);
/* The platform a user named (auto, seccomp, ptrace): 0, or -1 if unknown. */
int platform_parse(const char *name, enum platform_kind *out);

struct launch_spec {
    enum platform_kind platform;   /* concrete: seccomp or ptrace */
    const char *const *argv;   /* guest argv */
    const char *const *envp;   /* guest environment */
    const char *exec_path;     /* guest path execve'd first (resolved by the sentry) */
    const char *const *runtime;/* host dirs/symlinks bound read-only at the same path */
    const char *host_root;     /* runtime sources are under it (OCI rootfs); NULL: / */
    const char *exec_cache;    /* host dir bound read-only at EXEC_CACHE_GUEST_DIR */
    const char *hostname;
    uid_t guest_uid;
    gid_t guest_gid;
    uid_t host_uid;            /* what the guest runs as on the host */
    gid_t host_gid;
    const struct sys_filter_row *table;
    unsigned table_len;
    const char *cgroup_name;   /* NULL: no cgroup */
    uint64_t memory_limit;     /* 0: none */
    uint64_t pids_limit;       /* 0: none */
    unsigned cpu_seconds;      /* RLIMIT_CPU of each process, and the whole tree's CPU
                                  time (sampled) may not pass it + 1 s; 0: none */
    const int *stdio;          /* host fds (each > 2) that become the guest's 0, 1, 2;
                                  NULL: the sentry's own */
    bool tty;                  /* stdin is a terminal: PROGRAM leads a session of its own
                                  with it as the controlling terminal */
    bool verbose;
};

/* Where the exec cache appears in the guest's native mount namespace. */
#define EXEC_CACHE_GUEST_DIR "/.cordon-exec"
/* A devpts instance of the guest tree's own (mounted by init in the guest's
 * user namespace, so its pty numbers are the session's alone), which the
 * sentry reaches as /proc/<tid>/root/.cordon-pts to serve /dev/ptmx and
 * /dev/pts/N. Missing when the kernel refuses the mount. */
#define PTS_GUEST_DIR "/.cordon-pts"

struct guest;

/* How the PROGRAM ended. */
struct guest_outcome {
    int wstatus;               /* as waitpid reports it */
    bool timed_out;            /* killed at timeout_ms */
    uint64_t cpu_us;           /* PROGRAM's CPU time (user + system, and its reaped
                                  children's), as its exit reported it */
    bool cpu_exceeded;         /* killed when the tree's CPU time passed cpu_seconds + 1 */
};

/* Starts the guest, services it through `hooks` until the first guest
 * process (the PROGRAM) exits, kills what is left, and fills *out (or
 * returns -1 with *e filled). timeout_ms = 0 means none. */
int platform_run(const struct launch_spec *spec, const struct sentry_hooks *hooks,
                 unsigned timeout_ms, struct guest_outcome *out, struct err *e);

/* ---- programs started in a running tree (OCI exec) -------------------------
 * The guest's init forks them on request, so they share the tree's
 * namespaces, filter, tracer and the sentry's task state exactly as the
 * PROGRAM's own children do. Each leads a session of its own. Init tells
 * the requester how it went on `report`, a SOCK_SEQPACKET socket, one
 * struct spawn_report per message; the requester may send an int32_t
 * signal number on it to signal the program, and closing it kills the
 * program's process group. When the PROGRAM ends, the tree (and every
 * spawned program) ends with it. */
enum spawn_report_kind {
    SPAWN_STARTED = 1,   /* value: the program's pid in the guest */
    SPAWN_EXITED,        /* value: its wait status */
    SPAWN_FAILED,        /* value: cordon's exit status (125, 126, 127); nothing ran */
};
struct spawn_report {
    int32_t kind;
    int32_t value;
};

struct spawn_spec {
    const char *const *argv;
    const char *const *envp;
    const char *exec_path;     /* resolved by the sentry, as launch_spec's */
    const char *cwd;           /* guest directory, changed into by the program itself */
    const int *stdio;          /* host fds for its 0, 1, 2 (not consumed) */
    int report;                /* not consumed */
    bool tty;                  /* as launch_spec's */
};

/* Hands the request to the running tree's init (waiting a few seconds for
 * the first tree of the process to start): 0, -ESRCH when no tree runs, -E2BIG when argv and envp exceed SPAWN_MAX_BYTES, or -errno. */
#define SPAWN_MAX_BYTES 65536
int platform_spawn(const struct spawn_spec *s);
/* Sends one report (a requester that has gone is no error). */
void spawn_tell(int report, enum spawn_report_kind kind, int32_t value);

/* ---- guest memory ----------------------------------------------------------
 * Through /proc/<tid>/mem opened once per task: the fd pins the task's
 * address space, so a recycled pid can never redirect a read or write. */
int guest_mem_open(pid_t tid);
int guest_read(int memfd, uint64_t addr, void *buf, size_t len);   /* 0 or -EFAULT */
int guest_write(int memfd, uint64_t addr, const void *buf, size_t len);
/* Copies a NUL-terminated string of at most size-1 bytes: returns its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL is found within size bytes. */
ssize_t guest_read_str(int memfd, uint64_t addr, char *buf, size_t size);
/* For a task held in a ptrace stop by the caller, whose pid therefore
 * cannot be reused meanwhile: no fd to open. 0 or -EFAULT. */
int stopped_read(pid_t pid, uint64_t addr, void *buf, size_t len);
int stopped_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

#endif
