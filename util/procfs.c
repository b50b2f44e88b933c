#include "util/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

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
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return -ESRCH;
    buf[n] = '\0';
    if (field(buf, "\nTgid:", tgid) < 0)
        return -ESRCH;
    return ppid ? field(buf, "\nPPid:", ppid) : 0;
}
