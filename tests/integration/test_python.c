/* python3 from the read-only runtime layer: file I/O on the memory layer,
 * identity, subprocesses and threads. */
#include "tests/integration/harness.h"

TestSuite(python, .timeout = 60);

static void run_py(struct run *r, const char *code)
{
    run_guest(r, NULL, ARGV("/usr/bin/python3", "-c", code));
}

Test(python, tmp_file_roundtrip)
{
    RUN(r);
    run_py(&r, "import os\n"
               "p = '/tmp/py-io.txt'\n"
               "with open(p, 'w') as f: f.write('line1\\nline2\\n')\n"
               "with open(p) as f: data = f.read()\n"
               "os.rename(p, '/tmp/py-io2.txt')\n"
               "print(repr(data), os.path.exists(p), os.path.getsize('/tmp/py-io2.txt'))\n");
    assert_run(&r, 0, "'line1\\nline2\\n' False 12\n");
}

Test(python, cwd_and_identity)
{
    RUN(r);
    run_py(&r, "import os, pwd\n"
               "print(os.getcwd(), os.environ['HOME'], os.getuid(), os.geteuid(), pwd.getpwuid(os.getuid()).pw_name)\n");
    assert_run(&r, 0, "/home/user /home/user 1000 1000 user\n");
}

Test(python, subprocess_ls_root)
{
    RUN(r);
    run_py(&r, "import subprocess\n"
               "p = subprocess.run(['ls', '/'], capture_output=True, text=True, check=True)\n"
               "print(p.stdout, end='')\n");
    assert_status(&r, 0);
    /* /proc is the sentry's own (tests/integration/test_procfs.c). */
    for (const char *const *d = ARGV("tmp", "usr", "etc", "home", "dev", "proc"); *d; d++)
        assert_line(&r, out, *d);
    for (const char *const *d = ARGV("root", "work", "sys"); *d; d++)
        cr_assert(!has_line(r.out, *d), "host's /%s is visible in the guest" RUN_CONTEXT, *d, RUN_CONTEXT_ARGS(&r));
}

Test(python, eight_threads_of_file_io)
{
    RUN(r);
    run_py(&r, "import os, threading\n"
               "errors = []\n"
               "def work(n):\n"
               "    p = f'/tmp/thr-{n}'\n"
               "    for i in range(200):\n"
               "        data = f'{n}:{i};'.encode() * 50\n"
               "        with open(p, 'wb') as f: f.write(data)\n"
               "        with open(p, 'rb') as f: got = f.read()\n"
               "        if got != data:\n"
               "            errors.append((n, i, len(got)))\n"
               "            return\n"
               "    os.unlink(p)\n"
               "ts = [threading.Thread(target=work, args=(n,)) for n in range(8)]\n"
               "for t in ts: t.start()\n"
               "for t in ts: t.join()\n"
               "print('errors', errors, 'left', [x for x in os.listdir('/tmp') if x.startswith('thr-')])\n");
    assert_run(&r, 0, "errors [] left []\n");
}

Test(python, posix_spawn_and_subprocess_pipe)
{
    RUN(r);
    run_py(&r, "import os, subprocess\n"
               "pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'exit 5'], os.environ)\n"
               "print('spawned', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
               "p = subprocess.run(['tr', 'a-z', 'A-Z'], input='piped', capture_output=True, text=True)\n"
               "print(p.returncode, p.stdout)\n");
    assert_run(&r, 0, "spawned 5\n0 PIPED\n");
}

Test(python, reads_stdin_script)
{
    RUN(r);
    run_guest(&r, &(struct run_opts){.stdin_data = "import sys\nprint('from stdin', sys.argv[1:])\n"},
              ARGV("/usr/bin/python3", "-", "a", "b"));
    assert_run(&r, 0, "from stdin ['a', 'b']\n");
}
