/* The guest's synthetic /proc and the /dev entries that lead into it: guest
 * pids and paths only, magic links that stay inside the VFS, and nothing of
 * the host (pids, paths, environment) in what it shows. */
#include "tests/integration/harness.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TestSuite(procfs, .timeout = 90);

Test(procfs, python_lists_its_fds_and_names_their_files)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("/usr/bin/python3", "-c",
                             "import os\n"
                             "f = open('/tmp/probe', 'w')\n"
                             "fds = os.listdir('/proc/self/fd')\n"
                             "print(all(x.isdigit() for x in fds), {'0', '1', '2', str(f.fileno())} <= set(fds))\n"
                             "print(os.readlink(f'/proc/self/fd/{f.fileno()}'))\n"
                             "print(os.readlink('/proc/self/cwd'), os.readlink('/proc/self/root'))\n"));
    assert_run(&r, 0, "True True\n/tmp/probe\n/home/user /\n");
}

Test(procfs, exe_names_the_guest_binary)
{
    RUN(r);
    /* /tmp/rl runs through the exec cache: its exe and maps must still
     * name it by its guest path. */
    run_sh(&r, NULL,
           "readlink /proc/self/exe; cp /usr/bin/readlink /tmp/rl && /tmp/rl /proc/self/exe; "
           "cp /usr/bin/cat /tmp/c && /tmp/c /proc/self/maps /proc/self/smaps | grep -c ' /tmp/c$'; "
           "/tmp/c /proc/self/comm");
    assert_status(&r, 0);
    cr_assert(!strncmp(r.out, "/usr/bin/readlink\n/tmp/rl\n", 26), "exe links" RUN_CONTEXT,
              RUN_CONTEXT_ARGS(&r));
    cr_assert(atoi(r.out + 26) >= 2, "maps and smaps do not name /tmp/c" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    assert_line(&r, out, "c");
}

Test(procfs, exec_of_proc_self_exe)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("/bin/bash", "-c", "/proc/self/exe -c 'echo inner'"));
    assert_run(&r, 0, "inner\n");
}

Test(procfs, status_and_stat_show_guest_pids)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("/usr/bin/python3", "-c",
                             "import os\n"
                             "s = open('/proc/self/status').read()\n"
                             "print(f'Pid:\\t{os.getpid()}\\n' in s, f'PPid:\\t{os.getppid()}\\n' in s,\n"
                             "      'TracerPid:\\t0\\n' in s, f'Uid:\\t{os.getuid()}\\t' in s)\n"
                             "st = open('/proc/self/stat').read().split(') ')[1].split()\n"
                             "print(open('/proc/self/stat').read().split()[0] == str(os.getpid()),\n"
                             "      st[1] == str(os.getppid()))\n"
                             "print(os.readlink('/proc/self') == str(os.getpid()))\n"));
    assert_run(&r, 0, "True True True True\nTrue True\nTrue\n");
}

Test(procfs, pid_dirs_are_the_sessions_processes)
{
    RUN(r);
    /* Every numbered entry is a guest process whose status agrees (unless
     * it has exited meanwhile, as ls and grep do); /proc/1 is the guest's
     * init, whose environment, fds and exe (the sentry's) are not shown. */
    run_sh(&r, NULL,
           "sleep 5 & for p in $(ls /proc | grep -E '^[0-9]+$'); do "
           "  grep -qs \"^Pid:\t$p\\$\" /proc/$p/status || [ ! -e /proc/$p ] || echo bad $p; done; "
           "ls -d /proc/$! >/dev/null && echo child-listed; "
           "tr '\\0' '\\n' < /proc/1/cmdline; grep PPid /proc/1/status; "
           "cat /proc/1/environ 2>/dev/null || echo no-environ; readlink /proc/1/exe || echo no-exe; "
           "ls /proc/1/fd 2>/dev/null || echo no-fds; "
           "cat /proc/4000000/status 2>/dev/null || echo absent; kill $!");
    assert_run(&r, 0, "child-listed\ncordon-init\nPPid:\t0\nno-environ\nno-exe\nno-fds\nabsent\n");
}

Test(procfs, ls_l_of_fds)
{
    RUN(r);
    run_sh(&r, NULL, "exec 5>/tmp/f; ls -l /proc/self/fd/ | grep -c -- '-> '; ls -l /proc/$$/fd/5");
    assert_status(&r, 0);
    cr_assert(atoi(r.out) >= 4, "too few fd links" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    cr_assert(strstr(r.out, "l-wx------") && strstr(r.out, "5 -> /tmp/f\n"),
              "fd 5 is not shown as the write-only /tmp/f" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
}

Test(procfs, dev_stdio_and_process_substitution)
{
    RUN(r);
    run_guest(&r, &(struct run_opts){.stdin_data = "from-stdin\n"},
              ARGV("/bin/bash", "-c",
                   "echo hi > /dev/stdout; echo err > /dev/stderr; cat /dev/stdin; "
                   "cat <(echo x); diff <(echo a) /dev/fd/0 <<< a && echo same"));
    assert_run(&r, 0, "hi\nfrom-stdin\nx\nsame\n");
    cr_assert_str_eq(r.err, "err\n", "stderr" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
}

Test(procfs, fd_links_never_leave_the_vfs)
{
    RUN(r);
    /* fd 7 is a directory deep in /tmp: walking up from it reaches the
     * guest's root and stops there; root and cwd links are the guest's. */
    run_sh(&r, NULL,
           "mkdir -p /tmp/d/e && exec 7</tmp/d/e && "
           "cat /proc/self/fd/7/../../../../../../etc/hostname && "
           "ls /proc/self/fd/7/../../../../.. | grep -cx -e proc -e tmp -e usr && "
           "ls /proc/self/root/ | grep -x -e work -e root -e run; "
           "cd /tmp/d && cat /proc/self/cwd/../../etc/hostname");
    assert_run(&r, 0, "cordon\n3\ncordon\n");
}

Test(procfs, reopening_an_fd_gives_no_more_access)
{
    RUN(r);
    /* A read-only pipe end stays read-only; a file the guest may not write
     * stays unwritable whatever fd it has on it. */
    run_guest(&r, NULL, ARGV("/bin/bash", "-c",
                             "exec 3< <(echo x); echo y 2>/dev/null >/proc/self/fd/3 || echo pipe-refused; "
                             "exec 4</etc/hostname; echo y 2>/dev/null >/proc/self/fd/4 || echo file-refused; "
                             "cat /proc/self/fd/3"));
    assert_run(&r, 0, "pipe-refused\nfile-refused\nx\n");
}

Test(procfs, proc_is_read_only)
{
    RUN(r);
    run_sh(&r, NULL,
           "touch /proc/x 2>/dev/null || echo 1; mkdir /proc/self/fd/x 2>/dev/null || echo 2; "
           "chmod 777 /proc/self/fd 2>/dev/null || echo 3; echo x 2>/dev/null > /proc/self/status || echo 4; "
           "rm /proc/self/fd/0 2>/dev/null || echo 5");
    assert_run(&r, 0, "1\n2\n3\n4\n5\n");
}

Test(procfs, proc_is_read_only_for_the_guests_root_too)
{
    RUN(r);
    run_sh(&r, &(struct run_opts){.cordon_opts = ARGV("--root")},
           "id -u; touch /proc/self/fd/x 2>/dev/null || echo 1; mkdir /proc/x 2>/dev/null || echo 2; "
           "rm -f /proc/self/fd/0 2>/dev/null || echo 3; ln -s / /proc/self/l 2>/dev/null || echo 4; "
           "mv /proc/self/status /proc/self/s 2>/dev/null || echo 5; "
           "truncate -s 0 /proc/self/status 2>/dev/null || echo 6; "
           "ls /proc/self/fd | grep -c x");
    assert_run(&r, 1, "0\n1\n2\n3\n4\n5\n6\n0\n");
}

Test(procfs, system_files)
{
    RUN(r);
    run_sh(&r, NULL,
           "cat /proc/sys/kernel/hostname /proc/sys/kernel/ostype; "
           "grep -c '^processor' /proc/cpuinfo >/dev/null && echo cpuinfo; "
           "grep -q '^MemTotal:' /proc/meminfo && echo meminfo; "
           "grep -q ' /proc proc ' /proc/mounts && echo mounts; "
           "df / >/dev/null && echo df; ps -e -o pid=,comm= | grep -c ' ps$'");
    assert_run(&r, 0, "cordon\nLinux\ncpuinfo\nmeminfo\nmounts\ndf\n1\n");
}

Test(procfs, meminfo_shows_the_memory_limit)
{
    if (geteuid() != 0)
        cr_skip_test("--memory needs a writable cgroup: run as root");
    RUN(r);
    run_guest(&r, &(struct run_opts){.cordon_opts = ARGV("--memory", "256M")},
              ARGV("/bin/grep", "-e", "^MemTotal:", "-e", "^Cached:", "/proc/meminfo"));
    assert_run(&r, 0, "MemTotal:         262144 kB\nCached:                0 kB\n");
}

/* Runs SCRIPT under cordon from a shell that prints its own pid first and
 * then becomes cordon: the first line of stdout is cordon's host pid. */
static void run_with_host_pid(struct run *r, const struct run_opts *o, const char *script)
{
    const char *platform = platform_under_test();
    run_cmd(r, o, ARGV("/bin/sh", "-c", "echo $$; exec \"$@\"", "sh", cordon_path(), "run",
                       "--platform", platform ? platform : "auto", "--", "/bin/sh", "-c", script));
}

static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        bool start = p == text || !isalnum((unsigned char)p[-1]);
        bool end = !isalnum((unsigned char)p[n]);
        if (start && end)
            return true;
    }
    return false;
}

Test(procfs, nothing_of_the_host_in_proc_self)
{
    RUN(r);
    char cwd[4096];
    cr_assert(getcwd(cwd, sizeof cwd));
    /* Every file of /proc/1 (init, a clone of the sentry) and every file
     * and link of /proc/self, its task and fds, read by a binary that runs
     * through the exec cache. */
    run_with_host_pid(&r, &(struct run_opts){.env = ARGV("CORDON_TEST_HOST_SECRET=leaked-value")},
                      "cp /bin/cat /tmp/c; for f in /proc/1/*; do /tmp/c $f 2>/dev/null | tr '\\0' '\\n'; done; "
                      "cd /proc/self && "
                      "for f in * task/*/* fd/* fdinfo/*; do "
                      "  if [ -L \"$f\" ]; then echo \"$f -> $(readlink $f)\"; "
                      "  elif [ -f \"$f\" ]; then /tmp/c \"$f\" | tr '\\0' '\\n'; fi; done; "
                      "cat /proc/mounts /proc/loadavg /proc/self/mountinfo; "
                      /* Where ids are: the rest holds sizes and counts that
                       * may equal a host pid by chance. */
                      "echo =ids=; ls /proc; readlink /proc/self /proc/thread-self; "
                      "for d in /proc/1 /proc/$$ /proc/$$/task/*; do "
                      "  grep -E '^(Tgid|Pid|PPid|TracerPid|NStgid|NSpid|NSpgid|NSsid):' $d/status; "
                      "  cut -d' ' -f1-8 $d/stat; done; cut -d' ' -f5 /proc/loadavg");
    assert_status(&r, 0);
    int host_pid = atoi(r.out);
    cr_assert(host_pid > 1, "no host pid printed" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    const char *guest_out = strchr(r.out, '\n') + 1;
    const char *ids = strstr(guest_out, "=ids=\n");
    cr_assert(ids && strstr(guest_out, "/tmp/c") && strstr(guest_out, "cordon-init") &&
                  strstr(ids, "\nPPid:\t0\n") && strstr(ids, "\nTracerPid:\t0\n"),
              "the dump is incomplete" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    /* cordon, its init and the guest's first tasks have pids just above. */
    for (int p = host_pid; p < host_pid + 16; p++) {
        char word[16];
        snprintf(word, sizeof word, "%d", p);
        cr_assert(!has_word(ids, word), "host pid %d shown" RUN_CONTEXT, p, RUN_CONTEXT_ARGS(&r));
    }
    const char *paths[] = {cwd, "/work/", "/root/", "/run/cordon", ".cordon-exec", "leaked-value"};
    for (size_t k = 0; k < sizeof paths / sizeof *paths; k++)
        cr_assert(!strstr(guest_out, paths[k]), "\"%s\" shown" RUN_CONTEXT, paths[k], RUN_CONTEXT_ARGS(&r));
}
