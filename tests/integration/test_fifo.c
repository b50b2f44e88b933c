/* FIFOs (fs/fifo.c, platform/deferred.c): mkfifo in the memory layer, opens
 * that wait for their peer while the sentry serves everyone else (the peer
 * included), signals that interrupt such a wait as the kernel's own would,
 * and the guest's fd doing the rest natively. The expected answers are the
 * host kernel's to the same script. */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TestSuite(fifo, .timeout = 90);

Test(fifo, shell_reader_waits_for_a_background_writer)
{
    RUN(r);
    run_sh(&r, NULL, "mkfifo p && ls -l p | cut -c1 && (echo hi > p &) && cat p && rm p && ls");
    assert_run(&r, 0, "p\nhi\n");
}

/* Relative names in a fresh directory, so the script runs unchanged on the
 * host. Every wait ends by the peer's open or by a signal, never by time. */
static const char fifo_script[] =
    "import os, signal, stat, errno, tempfile, time\n"
    "os.chdir(tempfile.mkdtemp())\n"
    "os.umask(0o022)\n"
    "os.mkfifo('p', 0o666)\n"
    "st = os.stat('p')\n"
    "print('fifo', stat.S_ISFIFO(st.st_mode), oct(st.st_mode & 0o777))\n"
    "for make in (lambda: os.mkfifo('p'), lambda: os.mknod('p', stat.S_IFIFO | 0o600)):\n"
    "    try: make()\n"
    "    except OSError as e: print('again', errno.errorcode[e.errno])\n"
    "try: os.open('p', os.O_WRONLY | os.O_NONBLOCK)\n"
    "except OSError as e: print('writer without reader', errno.errorcode[e.errno])\n"
    "r = os.open('p', os.O_RDONLY | os.O_NONBLOCK)\n"
    "w = os.open('p', os.O_WRONLY | os.O_NONBLOCK)\n"
    "print('fstat', stat.S_ISFIFO(os.fstat(w).st_mode), os.fstat(w).st_ino == st.st_ino)\n"
    "os.write(w, b'abc'); print('read', os.read(r, 10))\n"
    "os.close(w); print('after the last writer', os.read(r, 10))\n"
    "w = os.open('p', os.O_WRONLY | os.O_NONBLOCK); os.close(r)\n"
    "signal.signal(signal.SIGPIPE, signal.SIG_IGN)\n"
    "try: os.write(w, b'x')\n"
    "except OSError as e: print('no reader', errno.errorcode[e.errno])\n"
    "os.close(w)\n"
    "rw = os.open('p', os.O_RDWR); print('rdwr at once'); os.close(rw)\n"
    /* A blocked open, its signal handler raising: the open is abandoned. */
    "class Alarm(Exception): pass\n"
    "def alarm(s, f): raise Alarm()\n"
    "signal.signal(signal.SIGALRM, alarm)\n"
    "for flags in (os.O_RDONLY, os.O_WRONLY):\n"
    "    signal.alarm(1)\n"
    "    try: os.open('p', flags); print('opened without a peer')\n"
    "    except Alarm: print('interrupted')\n"
    /* A handler that returns, with and without SA_RESTART: the open goes
     * on until the other process opens its end, which it does once the
     * signal came (python's wakeup fd is written by the C-level handler,
     * while the open is interrupted). */
    "for restart in (False, True):\n"
    "    hits = []\n"
    "    signal.signal(signal.SIGALRM, lambda s, f: hits.append(s))\n"
    "    signal.siginterrupt(signal.SIGALRM, not restart)\n"
    "    rfd, wfd = os.pipe(); os.set_blocking(wfd, False)\n"
    "    signal.set_wakeup_fd(wfd)\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        os.read(rfd, 1)\n"
    "        fd = os.open('p', os.O_WRONLY); os.write(fd, b'from the child'); os._exit(0)\n"
    "    signal.setitimer(signal.ITIMER_REAL, 0.3)\n"
    "    fd = os.open('p', os.O_RDONLY)\n"
    "    print('restart' if restart else 'retry', len(hits), os.read(fd, 100))\n"
    "    signal.set_wakeup_fd(-1)\n"
    "    os.close(fd); os.close(rfd); os.close(wfd); os.waitpid(pid, 0)\n"
    /* A process killed while it waits leaves nothing behind. */
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.open('p', os.O_RDONLY); os._exit(3)\n"
    "time.sleep(0.3); os.kill(pid, signal.SIGKILL)\n"
    "print('killed waiter', os.waitpid(pid, 0)[1] & 0x7f)\n"
    /* (the sentry notices within DEFER_POLL_MS that the call is gone) */
    "time.sleep(0.5)\n"
    "try: os.open('p', os.O_WRONLY | os.O_NONBLOCK)\n"
    "except OSError as e: print('its end is gone', errno.errorcode[e.errno])\n"
    "os.rename('p', 'q'); print('renamed', stat.S_ISFIFO(os.stat('q').st_mode))\n"
    "os.unlink('q'); print('unlinked', os.path.exists('q'))\n";

Test(fifo, python_semantics_match_the_host_kernel)
{
    const struct run_opts o = {.stdin_data = fifo_script};
    RUN(native);
    run_cmd(&native, &o, ARGV("/usr/bin/python3", "-"));
    assert_status(&native, 0);
    assert_line(&native, out, "interrupted");

    RUN(r);
    run_guest(&r, &o, ARGV("/usr/bin/python3", "-"));
    assert_status(&r, 0);
    cr_assert_str_eq(r.out, native.out, "FIFOs differ from the host kernel's:\n%s" RUN_CONTEXT,
                     native.out, RUN_CONTEXT_ARGS(&r));
}

/* Two opens that never meet: the session still ends when PROGRAM does,
 * and the sentry's workers with it. */
Test(fifo, waiting_opens_do_not_hold_the_session)
{
    RUN(r);
    run_sh(&r, NULL, "mkfifo p q && (cat p &) && (echo x > q &) && sleep 0.3 && echo done");
    assert_run(&r, 0, "done\n");
    cr_assert_lt(r.secs, 10.0, "took %.1f s", r.secs);
}

/* A workspace mount's host FIFOs are not served (as nodev), so none is made
 * there either. */
Test(fifo, not_on_a_workspace_mount)
{
    char dir[] = "/tmp/cordon-fifo-test-XXXXXX";
    cr_assert(mkdtemp(dir));
    char spec[64];
    snprintf(spec, sizeof spec, "%s:/work:rw", dir);
    const struct run_opts o = {.cordon_opts = ARGV("--mount", spec)};
    RUN(r);
    run_sh(&r, &o, "mkfifo /work/p 2>&1; echo rc=$?");
    rmdir(dir);
    assert_status(&r, 0);
    assert_line(&r, out, "rc=1");
    cr_assert(strstr(r.out, "Operation not permitted"), "want EPERM" RUN_CONTEXT,
              RUN_CONTEXT_ARGS(&r));
}
