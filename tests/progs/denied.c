/* denied — makes each syscall that cordon must refuse, with arguments that
 * are harmless even where the call is allowed (run natively as root it
 * changes nothing: bad pointers, invalid flags, fd -1), and prints one line
 * per call: "name ERRNO" (e.g. "mount EPERM"), "name OK" if it succeeded, or
 * "name SIGSEGV" if the CPU faulted before the kernel saw the call.
 * The last line is "alive": a refused call must not kill the caller.
 * Usage: denied [NAME...]   (no names: every call)
 * The expected errno of each is the integration test's business, not ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define X32_SYSCALL_BIT 0x40000000L
#define I386_NR_GETPID 20
#define UNKNOWN_NR 1000

struct call {
    const char *name;
    long nr;
    long a[6];
};

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
    siglongjmp(fault_jmp, sig);
}

/* A clone that the sandbox wrongly allows creates a child, which must leave
 * at once; the parent reaps it so no zombie outlives the probe. */
static long make_call(const struct call *c)
{
    long ret = syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
    if (c->nr == SYS_clone && ret == 0)
        _exit(0);
    if (c->nr == SYS_clone && ret > 0)
        waitpid((pid_t)ret, NULL, __WALL);
    return ret;
}

/* The i386 entry point: eax = syscall number in, -errno or result out.
 * Without IA32 emulation the CPU faults instead, hence the fault handler. */
static long int80_getpid(void)
{
    long ret = I386_NR_GETPID;
    __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
    return ret;
}

static void report(const char *name, long ret, int err)
{
    if (ret >= 0)
        printf("%s OK\n", name);
    else
        printf("%s %s\n", name, strerrorname_np(err) ? strerrorname_np(err) : "UNKNOWN_ERRNO");
    fflush(stdout);
}

static bool wanted(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const long bad = -1;    /* invalid fd, flags or id */
    const long huge = 1L << 20; /* a length no hostname may have */
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const struct call calls[] = {
        {"seccomp", SYS_seccomp, {bad}},
        {"ptrace", SYS_ptrace, {0x7fffffff, getppid()}},
        {"process_vm_readv", SYS_process_vm_readv, {getpid()}},
        {"process_vm_writev", SYS_process_vm_writev, {getpid()}},
        {"io_uring_setup", SYS_io_uring_setup, {0}},
        {"io_uring_enter", SYS_io_uring_enter, {bad}},
        {"io_uring_register", SYS_io_uring_register, {bad}},
        {"mount", SYS_mount, {0}},
        {"umount2", SYS_umount2, {0}},
        {"pivot_root", SYS_pivot_root, {0}},
        {"chroot", SYS_chroot, {0}},
        {"bpf", SYS_bpf, {bad}},
        {"keyctl", SYS_keyctl, {bad}},
        {"add_key", SYS_add_key, {0}},
        {"request_key", SYS_request_key, {0}},
        {"userfaultfd", SYS_userfaultfd, {bad}},
        {"perf_event_open", SYS_perf_event_open, {0, 0, bad, bad}},
        {"open_by_handle_at", SYS_open_by_handle_at, {bad}},
        {"name_to_handle_at", SYS_name_to_handle_at, {bad}},
        {"unshare", SYS_unshare, {CLONE_NEWUTS}},
        {"setns", SYS_setns, {bad}},
        {"kexec_load", SYS_kexec_load, {0, 0, 0, bad}},
        {"kexec_file_load", SYS_kexec_file_load, {bad, bad, 0, 0, bad}},
        {"init_module", SYS_init_module, {0}},
        {"finit_module", SYS_finit_module, {bad}},
        {"delete_module", SYS_delete_module, {0}},
        {"reboot", SYS_reboot, {0}},
        {"swapon", SYS_swapon, {0}},
        {"swapoff", SYS_swapoff, {0}},
        {"acct", SYS_acct, {1}}, /* NULL would switch accounting off */
        {"settimeofday", SYS_settimeofday, {0}},
        {"clock_settime", SYS_clock_settime, {bad}},
        {"sethostname", SYS_sethostname, {0, huge}},
        {"setdomainname", SYS_setdomainname, {0, huge}},
        {"iopl", SYS_iopl, {99}},
        {"ioperm", SYS_ioperm, {0xffffffffL, 1}},
        {"fsopen", SYS_fsopen, {0}},
        {"fsmount", SYS_fsmount, {bad}},
        {"move_mount", SYS_move_mount, {bad, 0, bad}},
        {"open_tree", SYS_open_tree, {bad}},
        {"pidfd_getfd", SYS_pidfd_getfd, {bad}},
        {"clone_newuser", SYS_clone, {CLONE_NEWUSER | SIGCHLD}},
        {"clone_newns", SYS_clone, {CLONE_NEWNS | SIGCHLD}},
        {"clone_newpid", SYS_clone, {CLONE_NEWPID | SIGCHLD}},
        {"clone_newnet", SYS_clone, {CLONE_NEWNET | SIGCHLD}},
        {"clone_untraced", SYS_clone, {CLONE_UNTRACED | SIGCHLD}},
        {"clone3", SYS_clone3, {0}},
        {"ioctl_tiocsti", SYS_ioctl, {devnull, TIOCSTI, (long)"x"}},
        {"nr_1000", UNKNOWN_NR},
        {"x32_getpid", SYS_getpid | X32_SYSCALL_BIT},
    };

    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        if (!wanted(calls[i].name, argc, argv))
            continue;
        errno = 0;
        long ret = make_call(&calls[i]);
        report(calls[i].name, ret, errno);
    }

    if (wanted("int80_getpid", argc, argv)) {
        signal(SIGSEGV, on_fault);
        int sig = sigsetjmp(fault_jmp, 1);
        if (sig) {
            printf("int80_getpid %s\n", sigabbrev_np(sig));
        } else {
            long ret = int80_getpid();
            report("int80_getpid", ret, ret < 0 ? (int)-ret : 0);
        }
        signal(SIGSEGV, SIG_DFL);
    }
    puts("alive");
    return 0;
}
