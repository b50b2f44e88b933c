/* unotify_floor — the floor under every serviced syscall, measured on this
 * machine: what one umask() costs when the kernel merely hands it to a
 * supervisor that answers at once, with no work in between. cordon's
 * serviced-call cost can approach these numbers but never beat them, so
 * bench/run.sh reports cordon's umask as a ratio to them.
 * Usage: unotify_floor [quick|full]. Prints measure_report lines:
 *
 *   native_umask        no filter at all
 *   filter_umask        through a small allow-by-default seccomp filter
 *   unotify_umask       SECCOMP_RET_USER_NOTIF, a parent answers val 0
 *   unotify_sync_umask  the same with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 *                       (kernel >= 6.6), which keeps supervisor and guest on
 *                       one CPU; omitted where the kernel lacks it
 *   ptrace_umask        SECCOMP_RET_TRACE, a tracer answers PTRACE_CONT
 *
 * Each variant runs in a fresh child, because a seccomp filter cannot be
 * removed once installed.
 */
#include "bench/measure.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/seccomp_compat.h"

/* The timed calls pass MEASURED_MASK; the child's last call passes
 * DONE_MASK, which tells the supervisor to stop answering. */
#define MEASURED_MASK 022
#define DONE_MASK 0777

enum variant { NATIVE, FILTER, UNOTIFY, UNOTIFY_SYNC, PTRACE };

static const char *const variant_name[] = {
    [NATIVE] = "native_umask",
    [FILTER] = "filter_umask",
    [UNOTIFY] = "unotify_umask",
    [UNOTIFY_SYNC] = "unotify_sync_umask",
    [PTRACE] = "ptrace_umask",
};

static struct measure_plan plan;

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "unotify_floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void call_umask(void *ctx)
{
    (void)ctx;
    syscall(SYS_umask, MEASURED_MASK);
}

/* Allow-by-default with umask sent to `action`. For FILTER the rule targets
 * an unrelated syscall instead, so umask still walks a real filter but is
 * allowed (libseccomp refuses a rule equal to the default action).
 * Returns the notification fd for the unotify variants, else -1. */
static int install_filter(enum variant v)
{
    uint32_t action = v == PTRACE ? SCMP_ACT_TRACE(0)
                      : v == FILTER ? SCMP_ACT_ERRNO(EPERM)
                                    : SCMP_ACT_NOTIFY;
    int nr = v == FILTER ? SCMP_SYS(acct) : SCMP_SYS(umask);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        die("seccomp_init");
    int rc = seccomp_rule_add(ctx, action, nr, 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (rc != 0) {
        errno = -rc;
        die("seccomp filter");
    }
    /* libseccomp hands the listener out only through the loaded context. */
    int notify_fd = action == SCMP_ACT_NOTIFY ? seccomp_notify_fd(ctx) : -1;
    if (action == SCMP_ACT_NOTIFY && notify_fd < 0) {
        errno = -notify_fd;
        die("seccomp_notify_fd");
    }
    seccomp_release(ctx);
    return notify_fd;
}

static void send_fd(int sock, int fd)
{
    char ctrl[CMSG_SPACE(sizeof(int))] = {0};
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (sendmsg(sock, &msg, 0) != 1)
        die("sendmsg");
}

static int recv_fd(int sock)
{
    char ctrl[CMSG_SPACE(sizeof(int))] = {0};
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        die("recvmsg");
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS)
        die("recvmsg: no fd");
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

/* Runs in the child: install the variant's filter, time umask, report. */
static _Noreturn void child(enum variant v, int sock)
{
    if (v == PTRACE) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
            die("PTRACE_TRACEME");
        raise(SIGSTOP); /* lets the tracer set PTRACE_O_TRACESECCOMP first */
    }
    int notify_fd = v == NATIVE ? -1 : install_filter(v);
    if (notify_fd >= 0) {
        send_fd(sock, notify_fd);
        close(notify_fd);
    }
    measure_report(variant_name[v], measure_run(call_umask, NULL, &plan));
    syscall(SYS_umask, DONE_MASK);
    _exit(0);
}

/* Answers every notification with val 0 until the child's DONE_MASK call.
 * Returns false if the kernel has no SYNC_WAKE_UP (the child is then ended
 * and the variant skipped). */
static bool supervise_unotify(int fd, bool sync_wakeup)
{
    if (sync_wakeup && ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0) != 0)
        return false;
    for (;;) {
        struct seccomp_notif req;
        /* The kernel rejects RECV into a buffer that is not zeroed. */
        memset(&req, 0, sizeof req);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
            if (errno == EINTR)
                continue;
            die("SECCOMP_IOCTL_NOTIF_RECV");
        }
        struct seccomp_notif_resp resp = {.id = req.id, .val = 0};
        /* ENOENT: the caller was killed meanwhile; nothing to answer. */
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno != ENOENT)
            die("SECCOMP_IOCTL_NOTIF_SEND");
        if (req.data.args[0] == DONE_MASK)
            return true;
    }
}

/* Resumes every seccomp stop with a bare PTRACE_CONT until the child exits. */
static void supervise_ptrace(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
        die("waiting for the tracee's SIGSTOP");
    if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL)) != 0)
        die("PTRACE_SETOPTIONS");
    int sig = 0;
    for (;;) {
        if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig) != 0)
            die("PTRACE_CONT");
        if (waitpid(pid, &status, 0) != pid)
            die("waitpid");
        if (WIFEXITED(status) || WIFSIGNALED(status))
            return;
        bool seccomp_stop = status >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8));
        sig = seccomp_stop ? 0 : WSTOPSIG(status);
    }
}

static void run_variant(enum variant v)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        die("socketpair");
    fflush(stdout); /* or the child would repeat our buffered output */
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(sv[0]);
        child(v, sv[1]);
    }
    close(sv[1]);
    if (v == UNOTIFY || v == UNOTIFY_SYNC) {
        int fd = recv_fd(sv[0]);
        if (!supervise_unotify(fd, v == UNOTIFY_SYNC)) {
            fprintf(stderr, "unotify_floor: %s skipped: kernel lacks SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP\n",
                    variant_name[v]);
            kill(pid, SIGKILL);
        }
        close(fd);
    } else if (v == PTRACE) {
        supervise_ptrace(pid);
    }
    close(sv[0]);
    int status;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) != 0)
        exit(1);
}

int main(int argc, char **argv)
{
    if (argc > 2 || measure_plan_parse(argc > 1 ? argv[1] : NULL, &plan) != 0) {
        fprintf(stderr, "usage: unotify_floor [quick|full]\n");
        return 2;
    }
    for (enum variant v = NATIVE; v <= PTRACE; v++)
        run_variant(v);
    return 0;
}
