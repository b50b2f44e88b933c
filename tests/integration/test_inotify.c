/* inotify on VFS files: the same changes give the same events, in the same
 * order, natively (on a tmpfs) and under cordon, for every event the
 * sentry can see (tests/progs/inotify_events.py; fs/notify.c lists what it
 * cannot). */
#include "tests/integration/harness.h"

#include <stdio.h>

TestSuite(inotify, .timeout = 60);

#define SCRIPT "tests/progs/inotify_events.py"

Test(inotify, same_events_as_linux)
{
    char dir[64], tag[17];
    random_tag(tag);
    snprintf(dir, sizeof dir, "/dev/shm/cordon-inotify-%s", tag);
    RUN(native);
    run_cmd(&native, NULL, ARGV("python3", SCRIPT, dir));
    assert_status(&native, 0);
    assert_line(&native, out, "wd1 CREATE a");

    RUN(r);
    run_guest(&r, &(struct run_opts){.stdin_path = SCRIPT}, ARGV("python3", "-", "/tmp/watched"));
    assert_run(&r, 0, native.out);
}

/* A watcher in one process sees what another process does, and closing
 * the instance ends it (the sentry then drops its watches). */
Test(inotify, across_processes)
{
    RUN(r);
    run_sh(&r, NULL,
           "python3 -c '\n"
           "import ctypes, os, struct, subprocess\n"
           "libc = ctypes.CDLL(None)\n"
           "fd = libc.inotify_init()\n"
           "libc.inotify_add_watch(fd, b\"/tmp\", 0x100 | 0x200)\n"
           "subprocess.run([\"sh\", \"-c\", \"touch /tmp/x; rm /tmp/x\"])\n"
           "buf = os.read(fd, 4096)\n"
           "print(len(buf), buf[16:18], buf[48:50])\n"
           "os.close(fd)\n"
           "'; touch /tmp/after && echo alive");
    assert_run(&r, 0, "64 b'x\\x00' b'x\\x00'\nalive\n");
}
