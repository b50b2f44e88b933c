/* The denied class: each call fails with its documented errno, the caller
 * keeps running, and -v reports the denial. tests/progs/denied makes the
 * calls; which calls and what they must return is decided here. */
#include "tests/integration/harness.h"

#include <stdio.h>

TestSuite(denied, .timeout = 60);

static const struct {
    const char *name;
    const char *errno_name;
} expected[] = {
    {"seccomp", "EPERM"},
    {"ptrace", "EPERM"},
    {"process_vm_readv", "EPERM"},
    {"process_vm_writev", "EPERM"},
    {"io_uring_setup", "EPERM"},
    {"io_uring_enter", "EPERM"},
    {"io_uring_register", "EPERM"},
    {"mount", "EPERM"},
    {"umount2", "EPERM"},
    {"pivot_root", "EPERM"},
    {"chroot", "EPERM"},
    {"bpf", "EPERM"},
    {"keyctl", "EPERM"},
    {"add_key", "EPERM"},
    {"request_key", "EPERM"},
    {"userfaultfd", "EPERM"},
    {"perf_event_open", "EPERM"},
    {"open_by_handle_at", "EPERM"},
    {"name_to_handle_at", "EPERM"},
    {"unshare", "EPERM"},
    {"setns", "EPERM"},
    {"kexec_load", "EPERM"},
    {"kexec_file_load", "EPERM"},
    {"init_module", "EPERM"},
    {"finit_module", "EPERM"},
    {"delete_module", "EPERM"},
    {"reboot", "EPERM"},
    {"swapon", "EPERM"},
    {"swapoff", "EPERM"},
    {"acct", "EPERM"},
    {"settimeofday", "EPERM"},
    {"clock_settime", "EPERM"},
    {"sethostname", "EPERM"},
    {"setdomainname", "EPERM"},
    {"iopl", "EPERM"},
    {"ioperm", "EPERM"},
    {"fsopen", "EPERM"},
    {"fsmount", "EPERM"},
    {"move_mount", "EPERM"},
    {"open_tree", "EPERM"},
    {"pidfd_getfd", "EPERM"},
    {"clone_newuser", "EPERM"},
    {"clone_newns", "EPERM"},
    {"clone_newpid", "EPERM"},
    {"clone_newnet", "EPERM"},
    {"clone_untraced", "EPERM"},
    /* ENOSYS, not EPERM, so glibc falls back to clone(2). */
    {"clone3", "ENOSYS"},
    /* TIOCSTI pushes input into the controlling terminal (CVE-2017-5226). */
    {"ioctl_tiocsti", "EPERM"},
    {"nr_1000", "ENOSYS"},
    /* Other ABIs are refused whole: the table is for x86-64 numbers only. */
    {"x32_getpid", "ENOSYS"},
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

Test(denied, every_call_gets_its_errno_and_the_caller_survives)
{
    const char *names[NEXPECTED + 1];
    for (size_t i = 0; i < NEXPECTED; i++)
        names[i] = expected[i].name;
    names[NEXPECTED] = NULL;
    RUN(r);
    run_prog(&r, NULL, "denied", names);
    assert_status(&r, 0);

    /* Collect every mismatch before failing: one run shows the whole gap. */
    char wrong[8192] = "";
    size_t used = 0;
    for (size_t i = 0; i < NEXPECTED; i++) {
        char line[128];
        snprintf(line, sizeof line, "%s %s", expected[i].name, expected[i].errno_name);
        if (!has_line(r.out, line) && used < sizeof wrong)
            used += (size_t)snprintf(wrong + used, sizeof wrong - used, " %s(want %s)", expected[i].name,
                                     expected[i].errno_name);
    }
    cr_assert_str_empty(wrong, "wrong result for:%s" RUN_CONTEXT, wrong, RUN_CONTEXT_ARGS(&r));
    assert_line(&r, out, "alive");
}

Test(denied, i386_int80_is_refused)
{
    /* Natively first: where the host kernel lacks IA32 emulation, int $0x80
     * faults in the CPU and seccomp never sees it. */
    char path[512];
    RUN(native);
    run_cmd(&native, NULL, ARGV(progs_path("denied", path, sizeof path), "int80_getpid"));
    if (has_line(native.out, "int80_getpid SIGSEGV"))
        cr_skip_test("host kernel has no IA32 emulation: int $0x80 never reaches seccomp");
    RUN(r);
    run_prog(&r, NULL, "denied", ARGV("int80_getpid"));
    assert_run(&r, 0, "int80_getpid ENOSYS\nalive\n");
}

static bool has_audit_line(const char *err, const char *syscall)
{
    for (const char *p = err; *p;) {
        size_t len = strcspn(p, "\n");
        if (memmem(p, len, "denied", 6) && memmem(p, len, syscall, strlen(syscall)))
            return true;
        p += len + (p[len] == '\n');
    }
    return false;
}

Test(denied, verbose_audits_each_denial)
{
    RUN(quiet);
    run_prog(&quiet, NULL, "denied", ARGV("ptrace"));
    assert_run(&quiet, 0, "ptrace EPERM\nalive\n");
    cr_assert(!has_audit_line(quiet.err, "ptrace"), "audit line without -v" RUN_CONTEXT, RUN_CONTEXT_ARGS(&quiet));

    RUN(r);
    run_prog(&r, &(struct run_opts){.cordon_opts = ARGV("-v")}, "denied", ARGV("ptrace"));
    assert_run(&r, 0, "ptrace EPERM\nalive\n");
    cr_assert(has_audit_line(r.err, "ptrace"), "-v printed no audit line with \"denied\" and \"ptrace\"" RUN_CONTEXT,
              RUN_CONTEXT_ARGS(&r));
}
