/* platform/cgroup.c — session limits through cgroup v1 or v2. */
#include "platform/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#define ROOT "/sys/fs/cgroup"

static bool unified(void)
{
    return access(ROOT "/cgroup.controllers", F_OK) == 0;
}

/* v1 keeps one hierarchy per controller; v2 one tree for all. */
static const char *const V1[] = { "memory", "pids" };

static int put(const char *dir, const char *file, const char *val, struct err *e)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
        return err_set(e, errno, "cgroup: writing %s", p);
    return 0;
}

static int make_dir(const char *p, struct err *e)
{
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
        return err_set(e, errno, "cgroup: mkdir %s (--memory/--pids need a writable cgroup; run as root)", p);
    return 0;
}

int cgroup_create(const char *name, uint64_t memory, uint64_t pids, struct err *e)
{
    char dir[256], val[32];
    if (unified()) {
        if (make_dir(ROOT "/cordon", e) < 0 ||
            put(ROOT, "cgroup.subtree_control", "+memory +pids", e) < 0 ||
            put(ROOT "/cordon", "cgroup.subtree_control", "+memory +pids", e) < 0)
            return -1;
        snprintf(dir, sizeof dir, ROOT "/cordon/%s", name);
        if (make_dir(dir, e) < 0)
            return -1;
        snprintf(val, sizeof val, "%llu", (unsigned long long)memory);
        if (memory) {
            if (put(dir, "memory.max", val, e) < 0)
                return -1;
            put(dir, "memory.swap.max", "0", NULL);   /* absent without swap accounting */
        }
        snprintf(val, sizeof val, "%llu", (unsigned long long)pids);
        if (pids && put(dir, "pids.max", val, e) < 0)
            return -1;
        return 0;
    }
    for (size_t k = 0; k < sizeof V1 / sizeof *V1; k++) {
        snprintf(dir, sizeof dir, ROOT "/%s/cordon", V1[k]);
        if (make_dir(dir, e) < 0)
            return -1;
        snprintf(dir, sizeof dir, ROOT "/%s/cordon/%s", V1[k], name);
        if (make_dir(dir, e) < 0)
            return -1;
    }
    snprintf(dir, sizeof dir, ROOT "/memory/cordon/%s", name);
    snprintf(val, sizeof val, "%llu", (unsigned long long)memory);
    if (memory) {
        if (put(dir, "memory.limit_in_bytes", val, e) < 0)
            return -1;
        /* Without swap accounting this file is absent; the limit then
         * covers RAM only. */
        put(dir, "memory.memsw.limit_in_bytes", val, NULL);
    }
    snprintf(dir, sizeof dir, ROOT "/pids/cordon/%s", name);
    snprintf(val, sizeof val, "%llu", (unsigned long long)pids);
    if (pids && put(dir, "pids.max", val, e) < 0)
        return -1;
    return 0;
}

int cgroup_join(const char *name, pid_t pid, struct err *e)
{
    char dir[256], val[32];
    snprintf(val, sizeof val, "%d", (int)pid);
    if (unified()) {
        snprintf(dir, sizeof dir, ROOT "/cordon/%s", name);
        return put(dir, "cgroup.procs", val, e);
    }
    for (size_t k = 0; k < sizeof V1 / sizeof *V1; k++) {
        snprintf(dir, sizeof dir, ROOT "/%s/cordon/%s", V1[k], name);
        if (put(dir, "cgroup.procs", val, e) < 0)
            return -1;
    }
    return 0;
}

void cgroup_destroy(const char *name)
{
    char dir[256];
    if (unified()) {
        snprintf(dir, sizeof dir, ROOT "/cordon/%s", name);
        rmdir(dir);
        return;
    }
    for (size_t k = 0; k < sizeof V1 / sizeof *V1; k++) {
        snprintf(dir, sizeof dir, ROOT "/%s/cordon/%s", V1[k], name);
        rmdir(dir);
    }
}
