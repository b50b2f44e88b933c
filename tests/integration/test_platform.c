/* --platform: naming one, -v telling which runs, and how a new guest fd is
 * numbered (each platform installs fds its own way; the guest must not see
 * a difference). */
#include "tests/integration/harness.h"

#include <stdio.h>

TestSuite(platform, .timeout = 60);

Test(platform, verbose_names_the_platform)
{
    RUN(r);
    run_guest(&r, &(struct run_opts){.cordon_opts = ARGV("-v")}, ARGV("/bin/true"));
    assert_status(&r, 0);
    const char *want = platform_under_test();
    if (want) {
        char line[64];
        snprintf(line, sizeof line, "cordon: platform %s ", want);
        assert_contains(&r, err, line);
    } else {
        cr_assert(strstr(r.err, "cordon: platform seccomp ") || strstr(r.err, "cordon: platform ptrace "),
                  "-v does not name the platform" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    }
}

Test(platform, each_can_be_named)
{
    for (const char *const *p = ARGV("auto", "seccomp", "ptrace"); *p; p++) {
        RUN(r);
        run_guest(&r, &(struct run_opts){.cordon_opts = ARGV("--platform", *p)},
                  ARGV("/bin/sh", "-c", "cat /etc/hostname"));
        assert_run(&r, 0, "cordon\n");
    }
}

Test(platform, unknown_platform_is_usage_error)
{
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("run", "--platform", "bogus", "--", "/bin/true"));
    assert_status(&r, 2);
    assert_contains(&r, err, "--platform: unknown platform 'bogus'");
    cr_assert(strcasestr(r.err, "usage"), "no usage on stderr" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    assert_out(&r, "");
}

/* An open takes the lowest free number; a full table is EMFILE, after
 * which nothing of the attempt is left in the guest; O_CLOEXEC is kept;
 * the CPU affinity the platform may borrow meanwhile is given back. */
Test(platform, new_fds_are_numbered_as_linux_does)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("/usr/bin/python3", "-c",
        "import errno, fcntl, os, resource, stat\n"
        "cpus = os.sched_getaffinity(0)\n"
        "os.close(0)\n"
        "print('lowest', os.open('/etc/hostname', os.O_RDONLY))\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))\n"
        "def is_open(fd):\n"
        "    try: os.fstat(fd); return True\n"
        "    except OSError: return False\n"
        "before = [fd for fd in range(32) if is_open(fd)]\n"
        "fds = []\n"
        "while True:\n"
        "    try: fds.append(os.open('/etc/hostname', os.O_RDONLY))\n"
        "    except OSError as e: print('full', errno.errorcode[e.errno]); break\n"
        "print('strays', [fd for fd in range(32) if is_open(fd) and fd not in before + fds])\n"
        "os.close(fds[-2]); os.close(fds[-3])\n"
        "fd = os.open('/etc/hostname', os.O_RDONLY)\n"
        "print('reopen', fd == fds[-3])\n"
        "print('cloexec', fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)\n"
        "print('affinity kept', os.sched_getaffinity(0) == cpus)\n"));
    assert_run(&r, 0, "lowest 0\nfull EMFILE\nstrays []\nreopen True\ncloexec 1\naffinity kept True\n");
}

/* The shell opens a redirection without O_CLOEXEC: cat must inherit it. */
Test(platform, fds_without_cloexec_survive_exec)
{
    RUN(r);
    run_sh(&r, NULL, "exec 3</etc/hostname; cat <&3");
    assert_run(&r, 0, "cordon\n");
}

/* Opens under a 100 µs interval timer with a handler, under SIGSTOP/SIGCONT
 * from another process, and cut short by SIGKILL of a multi-threaded
 * process (its leader may die before its threads): every open either
 * completes or dies with its task, and the sentry keeps serving. */
Test(platform, fd_installs_survive_signals_and_kills)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("/usr/bin/python3", "-c",
        "import os, signal, threading, time\n"
        "n = 0\n"
        "def count(s, f):\n"
        "    global n; n += 1\n"
        "def opens(k):\n"
        "    for i in range(k):\n"
        "        fd = os.open('/etc/hostname', os.O_RDONLY)\n"
        "        assert os.read(fd, 100) == b'cordon\\n'\n"
        "        os.close(fd)\n"
        "signal.signal(signal.SIGALRM, count)\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)\n"
        "opens(1000)\n"
        "signal.setitimer(signal.ITIMER_REAL, 0)\n"
        "print('handled', n > 0)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    opens(1000); os._exit(7)\n"
        "for i in range(100):\n"
        "    os.kill(pid, signal.SIGSTOP); os.kill(pid, signal.SIGCONT)\n"
        "print('stopped child', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
        "for k in range(20):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        for i in range(3): threading.Thread(target=opens, args=(10**9,)).start()\n"
        "        opens(10**9)\n"
        "    time.sleep(0.001 * (k % 5))\n"
        "    os.kill(pid, signal.SIGKILL)\n"
        "    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == -9\n"
        "opens(1)\n"
        "print('killed children: sentry alive')\n"));
    assert_run(&r, 0, "handled True\nstopped child 7\nkilled children: sentry alive\n");
}

/* A guest that rewrites its own `syscall` instruction into a spin while a
 * call is in flight cannot hold the session past --timeout. */
Test(platform, rewritten_syscall_instruction_cannot_outlast_timeout)
{
    RUN(r);
    run_prog(&r, &(struct run_opts){.cordon_opts = ARGV("--timeout", "1"), .timeout_s = 20},
             "rewrite_syscall", NULL);
    assert_status(&r, 124);
    cr_assert_lt(r.secs, 10.0, "took %.1f s" RUN_CONTEXT, r.secs, RUN_CONTEXT_ARGS(&r));
}
