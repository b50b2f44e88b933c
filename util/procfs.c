#include "util/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* The status text of task tid, NUL-terminated. */
static int read_status(pid_t tid, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    if (n <= 0)
        return -ESRCH;
    buf[n] = '\0';
    return 0;
}

static int field(const char *buf, const char *name, pid_t *out)
{
    const char *line = strstr(buf, name);
    if (!line)
        return -ESRCH;
    *out = (pid_t)atoi(line + strlen(name));
    return 0;
}

int proc_ids(pid_t tid, pid_t *tgid, pid_t *ppid)
{
    char buf[2048];
    int r = read_status(tid, buf, sizeof buf);
    if (r < 0)
        return r;
    if (field(buf, "\nTgid:", tgid) < 0)
        return -ESRCH;
    return ppid ? field(buf, "\nPPid:", ppid) : 0;
}

static unsigned long long mask_field(const char *buf, const char *name)
{
    const char *line = strstr(buf, name);
    return line ? strtoull(line + strlen(name), NULL, 16) : 0;
}

#define SIGBIT(sig) (1ULL << ((sig) - 1))

bool proc_signal_pending(pid_t tid)
{
    char buf[4096];
    if (read_status(tid, buf, sizeof buf) < 0)
        return false;
    /* A process-wide signal may be taken by any of the group's threads:
     * it is this task's only when the task is alone (an interrupted answer
     * to a task the kernel did not signal would reach the guest as errno
     * 512). */
    const char *threads = strstr(buf, "\nThreads:");
    bool alone = threads && strtol(threads + strlen("\nThreads:"), NULL, 10) == 1;
    unsigned long long pending = mask_field(buf, "\nSigPnd:") |
                                 (alone ? mask_field(buf, "\nShdPnd:") : 0);
    /* A traced task queues even the signals it ignores (the tracer is
     * told of each): those, like the ones whose default is to ignore and
     * that nobody catches, would not interrupt a call. */
    unsigned long long dfl_ignore = SIGBIT(SIGCHLD) | SIGBIT(SIGURG) | SIGBIT(SIGWINCH) |
                                    SIGBIT(SIGCONT);
    unsigned long long quiet = mask_field(buf, "\nSigBlk:") | mask_field(buf, "\nSigIgn:") |
                               (dfl_ignore & ~mask_field(buf, "\nSigCgt:"));
    return pending & ~quiet;
}

/* The last number of line `name`, and how many numbers it has. */
static int last_field(const char *buf, const char *name, pid_t *out, int *count)
{
    const char *p = strstr(buf, name);
    if (!p)
        return -ESRCH;
    p += strlen(name);
    int n = 0;
    for (;;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        *out = (pid_t)v;
        n++;
        p = end;
    }
    if (count)
        *count = n;
    return n ? 0 : -ESRCH;
}

int proc_nsids(pid_t tid, struct proc_nsids *out)
{
    char buf[4096];
    int r = read_status(tid, buf, sizeof buf);
    return r < 0 ? r : proc_nsids_parse(buf, out);
}

int proc_nsids_parse(const char *buf, struct proc_nsids *out)
{
    if (last_field(buf, "\nNStgid:", &out->tgid, NULL) < 0 ||
        last_field(buf, "\nNSpid:", &out->pid, &out->depth) < 0 ||
        last_field(buf, "\nNSpgid:", &out->pgid, NULL) < 0 ||
        last_field(buf, "\nNSsid:", &out->sid, NULL) < 0 ||
        field(buf, "\nPPid:", &out->host_ppid) < 0)
        return -ESRCH;
    return 0;
}
