/* Processes: pipelines, spawn, exec of scripts, threads, and the limits
 * cordon puts on the tree (timeout, signals, pids, memory). */
#include "tests/integration/harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TestSuite(lifecycle, .timeout = 60);

Test(lifecycle, five_process_pipeline)
{
    RUN(r);
    run_sh(&r, NULL, "seq 1 100 | grep 7 | sort -r | head -n 3 | tr '\\n' ,");
    assert_run(&r, 0, "97,87,79,");
}

Test(lifecycle, background_jobs_and_wait)
{
    RUN(r);
    run_sh(&r, NULL, "(sleep 0.2; exit 4) & a=$!; (exit 6) & b=$!; wait $b; echo b=$?; wait $a; echo a=$?");
    assert_run(&r, 0, "b=6\na=4\n");
}

/* A grandchild's creation can reach the tracer before its parent's: the
 * parent, unseen so far, must still pass on the cwd it got from its own
 * parent (here 38 of 100 relative opens failed with ENOENT before). */
Test(lifecycle, cwd_survives_creation_events_out_of_order)
{
    RUN(r);
    run_sh(&r, NULL,
           "cd /tmp && mkdir cwd-race && cd cwd-race && echo hi > f\n"
           "bad=0; i=0\n"
           "while [ $i -lt 100 ]; do\n"
           "    r=$(/bin/sh -c 'cat f' 2>&1 | cat)\n"
           "    [ \"$r\" = hi ] || { bad=$((bad + 1)); last=$r; }\n"
           "    i=$((i + 1))\n"
           "done\n"
           "echo \"bad $bad $last\"\n");
    assert_run(&r, 0, "bad 0 \n");
}

Test(lifecycle, shebang_script)
{
    RUN(r);
    run_sh(&r, NULL, "printf '#!/bin/sh\\necho \"script:$0:$1\"\\n' > /tmp/s && chmod +x /tmp/s && /tmp/s one");
    assert_run(&r, 0, "script:/tmp/s:one\n");
}

Test(lifecycle, shebang_interpreter_is_itself_a_script)
{
    /* /tmp/outer's interpreter is /tmp/inner, whose own is /bin/sh, so the
     * kernel's nesting gives: /bin/sh /tmp/inner /tmp/outer arg. */
    RUN(r);
    run_sh(&r, NULL,
           "printf '#!/bin/sh\\necho \"inner:$*\"\\n' > /tmp/inner && printf '#!/tmp/inner\\n' > /tmp/outer &&"
           "chmod +x /tmp/inner /tmp/outer && /tmp/outer arg");
    assert_run(&r, 0, "inner:/tmp/outer arg\n");
}

Test(lifecycle, shebang_env_python)
{
    RUN(r);
    run_sh(&r, NULL,
           "printf '#!/usr/bin/env python3\\nimport sys\\nprint(\"py:\", sys.argv[1:])\\n' > ~/e.py &&"
           "chmod +x ~/e.py && ~/e.py x y");
    assert_run(&r, 0, "py: ['x', 'y']\n");
}

Test(lifecycle, non_executable_file_is_refused_inside)
{
    RUN(r);
    run_sh(&r, NULL, "echo 'echo ran' > /tmp/plain; /tmp/plain; echo status=$?");
    assert_status(&r, 0);
    assert_line(&r, out, "status=126");
    assert_lacks(&r, out, "ran\n");
}

Test(lifecycle, c_threads_file_io)
{
    RUN(r);
    run_prog(&r, NULL, "threads", ARGV("8", "200"));
    assert_run(&r, 0, "threads ok: 8 x 200, cwd /home/user\n");
}

Test(lifecycle, timeout_kills_whole_tree)
{
    RUN(r);
    /* The background sleep holds stdout open: if it outlived the timeout,
     * the harness would wait for it and the elapsed time would show it. */
    run_sh(&r, &(struct run_opts){.cordon_opts = ARGV("--timeout", "1"), .timeout_s = 20},
           "sleep 30 & sleep 30");
    assert_status(&r, 124);
    assert_contains(&r, err, "cordon: timeout after 1 s");
    cr_assert_lt(r.secs, 4.0, "took %.1f s to enforce a 1 s timeout", r.secs);
}

Test(lifecycle, sigterm_to_cordon_reaches_guest)
{
    RUN(r);
    run_sh(&r, &(struct run_opts){.signal_on = "ready\n", .signal = SIGTERM, .timeout_s = 20},
           "trap 'echo got-term; exit 42' TERM; echo ready; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done;"
           "echo no-signal");
    assert_run(&r, 42, "ready\ngot-term\n");
}

static void require_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("not root: cordon's --pids/--memory limits need cgroups, which need root");
}

Test(lifecycle, pids_limit_stops_fork_loop)
{
    require_root();
    RUN(r);
    run_guest(&r, &(struct run_opts){.cordon_opts = ARGV("--pids", "20")},
              ARGV("/usr/bin/python3", "-c",
                   "import os, signal\n"
                   "kids, err = [], None\n"
                   "for i in range(30):\n"
                   "    try: pid = os.fork()\n"
                   "    except OSError as e:\n"
                   "        err = e.errno\n"
                   "        break\n"
                   "    if pid == 0:\n"
                   "        signal.pause()\n"
                   "        os._exit(0)\n"
                   "    kids.append(pid)\n"
                   "for k in kids: os.kill(k, signal.SIGKILL); os.waitpid(k, 0)\n"
                   "print(len(kids), err)\n"));
    assert_status(&r, 0);
    int spawned = -1, err = -1;
    cr_assert_eq(sscanf(r.out, "%d %d", &spawned, &err), 2, "fork never failed" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    /* python itself is one of the 20. */
    cr_assert(spawned >= 1 && spawned < 20, "spawned %d children under --pids 20", spawned);
    cr_assert_eq(err, 11, "fork failed with errno %d, want EAGAIN", err);
}

Test(lifecycle, memory_limit_stops_big_allocation)
{
    require_root();
    /* Bytes are written, not just reserved: untouched pages cost nothing. */
    const char *alloc = "import sys\nb = b'x' * (int(sys.argv[1]) << 20)\nprint('allocated', len(b) >> 20)\n";
    const struct run_opts limited = {.cordon_opts = ARGV("--memory", "64M")};

    RUN(small);
    run_guest(&small, &limited, ARGV("/usr/bin/python3", "-c", alloc, "16"));
    assert_run(&small, 0, "allocated 16\n");

    RUN(r);
    run_guest(&r, &limited, ARGV("/usr/bin/python3", "-c", alloc, "200"));
    assert_lacks(&r, out, "allocated");
    cr_assert(r.status == 137 || (r.status == 1 && strstr(r.err, "MemoryError")),
              "want MemoryError or SIGKILL, got status %d" RUN_CONTEXT, r.status, RUN_CONTEXT_ARGS(&r));
}

/* --cpu: a spinning PROGRAM gets SIGXCPU when its CPU time is spent; one
 * that handles SIGXCPU gets SIGKILL a second later; either way cordon says
 * why. A program that sleeps is not charged. */
Test(lifecycle, cpu_limit_stops_a_spinning_program)
{
    const struct run_opts o = {.cordon_opts = ARGV("--cpu", "1"), .timeout_s = 30};
    RUN(spin);
    run_guest(&spin, &o, ARGV("/usr/bin/python3", "-c", "while True: pass"));
    assert_status(&spin, 128 + SIGXCPU);
    assert_contains(&spin, err, "cordon: CPU time limit of 1 s spent (signal XCPU)");
    RUN(stubborn);
    run_guest(&stubborn, &o, ARGV("/usr/bin/python3", "-c",
                                  "import signal\n"
                                  "signal.signal(signal.SIGXCPU, lambda *a: print('xcpu', flush=True))\n"
                                  "while True: pass\n"));
    assert_status(&stubborn, 137);
    assert_contains(&stubborn, out, "xcpu");
    assert_contains(&stubborn, err, "cordon: CPU time limit of 1 s spent (signal KILL)");
    RUN(idle);
    run_sh(&idle, &o, "sleep 1.5; echo slept");
    assert_run(&idle, 0, "slept\n");
}

/* --cpu bounds the tree, not only each process: children that each stay
 * under the limit are killed once together they spend it (+ 1 s grace). */
Test(lifecycle, cpu_limit_bounds_the_whole_tree)
{
    const struct run_opts o = {.cordon_opts = ARGV("--cpu", "1"), .timeout_s = 90};
    RUN(r);
    run_sh(&r, &o,
           "for i in 1 2 3 4 5 6 7 8; do /usr/bin/python3 -c '\n"
           "import time\n"
           "t = time.process_time()\n"
           "while time.process_time() - t < 0.5: pass' || exit $?; echo child $i; done; echo all");
    assert_status(&r, 137);
    cr_assert(!strstr(r.out, "all") && strstr(r.out, "child 2"),
              "the tree should die after about 4 children of 0.5 s" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    assert_contains(&r, err, "cordon: CPU time limit of 1 s spent (signal KILL)");
}

/* A short PROGRAM can live and die while init's fork event is still queued
 * in the tracer; the session must end all the same, every time. */
Test(lifecycle, short_programs_always_end)
{
    struct run_opts o = { .timeout_s = 5 };
    for (int k = 0; k < 40; k++) {
        RUN(r);
        run_guest(&r, &o, ARGV("/bin/pwd"));
        assert_run(&r, 0, "/home/user\n");
    }
}
