/* Terminals: /dev/ptmx and /dev/pts come from a devpts instance of the
 * session's own, so the programs that make a pty (python's pty module,
 * script) work, and no pty outside the session is reachable by number;
 * /dev/tty exists only when cordon has a controlling terminal. */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <unistd.h>

TestSuite(pty, .timeout = 60);

Test(pty, python_pty_spawn)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("python3", "-c",
                             "import pty; pty.spawn(['sh', '-c', 'tty; echo ok'])"));
    /* The pty turns "\n" into "\r\n". */
    assert_run(&r, 0, "/dev/pts/0\r\nok\r\n");
}

Test(pty, script_runs_a_command_on_a_pty)
{
    if (access("/usr/bin/script", X_OK) != 0)
        cr_skip_test("script(1) is not installed (Debian package bsdutils)");
    RUN(r);
    run_sh(&r, NULL, "script -qc 'tty; echo hi' /dev/null");
    assert_run(&r, 0, "/dev/pts/0\r\nhi\r\n");
}

Test(pty, only_the_sessions_own_ptys)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("python3", "-c",
                             "import os\n"
                             "print(os.listdir('/dev/pts'))\n"
                             "m, s = os.openpty()\n"
                             "n = os.ttyname(s)\n"
                             "print(n, os.listdir('/dev/pts'))\n"
                             "os.write(os.open(n, os.O_WRONLY), b'x\\n')\n"
                             "print(os.read(m, 10))\n"
                             "try: os.open('/dev/pts/7', os.O_RDWR)\n"
                             "except OSError as e: print(e.strerror)\n"));
    assert_run(&r, 0, "[]\n/dev/pts/0 ['0']\nb'x\\r\\n'\nNo such file or directory\n");
}

Test(pty, dev_tty_follows_cordons_terminal)
{
    RUN(host);
    run_cmd(&host, NULL, ARGV("/bin/sh", "-c", "(true </dev/tty) 2>/dev/null && echo yes || echo no"));
    RUN(r);
    run_sh(&r, NULL, "test -e /dev/tty && echo yes || echo no");
    assert_run(&r, 0, host.out);
}

/* The same, with a terminal: cordon run under script(1) gets one. */
Test(pty, dev_tty_with_a_terminal)
{
    if (access("/usr/bin/script", X_OK) != 0)
        cr_skip_test("script(1) is not installed (Debian package bsdutils)");
    const char *platform = platform_under_test();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s run %s%s -- sh -c 'echo hi >/dev/tty && echo done'",
             cordon_path(), platform ? "--platform " : "", platform ? platform : "");
    RUN(r);
    run_cmd(&r, NULL, ARGV("script", "-qec", cmd, "/dev/null"));
    assert_run(&r, 0, "hi\r\ndone\r\n");
}
