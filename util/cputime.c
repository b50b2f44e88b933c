/* util/cputime.c — see cputime.h. */
#include "util/cputime.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* A bound on the walk, far above any --pids a session would get. */
#define TREE_MAX 8192

static ssize_t read_small(const char *path, char *buf, size_t size)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* To the end: a long children list spans more than one read, and a
     * cut one would leave busy processes out of the sum. */
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, size - 1 - got);
        if (n < 0)
            return -1;
        if (n == 0 || (got += (size_t)n) == size - 1)
            break;
    }
    buf[got] = '\0';
    return (ssize_t)got;
}

/* utime + stime + cutime + cstime of process PID, in clock ticks. */
static uint64_t process_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof buf) <= 0)
        return 0;
    /* The name may hold anything, ')' included: fields follow the last one. */
    const char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    /* Fields 3 (state) .. 17 (cstime); utime is field 14. */
    unsigned long long v[15] = { 0 };
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &v[0],
               &v[1], &v[2], &v[3]) != 4)
        return 0;
    return v[0] + v[1] + v[2] + v[3];
}

/* Appends PID's children (of every thread) to the stack; BUF holds a
 * children list (TREE_MAX pids fit). */
static void push_children(pid_t pid, pid_t *stack, size_t *n, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) && *n < TREE_MAX) {
        if (de->d_name[0] == '.')
            continue;
        char cpath[300], *save;
        snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, de->d_name);
        if (read_small(cpath, buf, size) <= 0)
            continue;
        for (char *tok = strtok_r(buf, " \n", &save); tok && *n < TREE_MAX;
             tok = strtok_r(NULL, " \n", &save))
            stack[(*n)++] = (pid_t)atoi(tok);
    }
    closedir(d);
}

uint64_t cputime_tree_us(pid_t root)
{
    size_t size = TREE_MAX * 12;   /* "pid " per child */
    pid_t *stack = malloc(TREE_MAX * sizeof *stack);
    char *buf = malloc(size);
    if (!stack || !buf) {
        free(stack);
        free(buf);
        return 0;
    }
    size_t n = 0;
    uint64_t ticks = 0;
    stack[n++] = root;
    while (n) {
        pid_t pid = stack[--n];
        ticks += process_ticks(pid);
        push_children(pid, stack, &n, buf, size);
    }
    free(stack);
    free(buf);
    long hz = sysconf(_SC_CLK_TCK);
    return ticks * 1000000u / (uint64_t)(hz > 0 ? hz : 100);
}
