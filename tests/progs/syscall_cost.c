/* syscall_cost — per-call cost of one syscall of each class, run natively,
 * inside cordon and inside gVisor by bench/run.sh, which puts the numbers
 * side by side. Usage: syscall_cost [quick|full]. Prints "name ns_per_call".
 *
 *   getpid          native class: the filter allows it, no round trip
 *   umask           the cheapest serviced call: a round trip with no work,
 *                   so cordon's number minus the unotify floor is the
 *                   sentry's own dispatch cost
 *   stat            serviced path walk into the read-only runtime layer
 *   read4k_runtime  open+read 4 KiB+close of a runtime-layer file
 *   read4k_memory   the same on a file of the in-memory layer (/tmp)
 */
#include "bench/measure.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RUNTIME_FILE "/usr/bin/python3"
#define CHUNK 4096

static void die(const char *what, const char *path)
{
    fprintf(stderr, "syscall_cost: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void call_getpid(void *ctx)
{
    (void)ctx;
    /* Raw syscall: glibc no longer caches getpid, but a future one might,
     * and then this would time a function call. */
    syscall(SYS_getpid);
}

static void call_umask(void *ctx)
{
    (void)ctx;
    umask(022);
}

static void call_stat(void *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        die("stat", path);
}

static void call_read4k(void *path)
{
    char buf[CHUNK];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open", path);
    if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
        die("read 4 KiB of", path);
    close(fd);
}

static void make_memory_file(const char *path)
{
    char buf[CHUNK];
    memset(buf, 'm', sizeof buf);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || close(fd) != 0)
        die("create", path);
}

int main(int argc, char **argv)
{
    struct measure_plan plan;
    if (argc > 2 || measure_plan_parse(argc > 1 ? argv[1] : NULL, &plan) != 0) {
        fprintf(stderr, "usage: syscall_cost [quick|full]\n");
        return 2;
    }
    char memfile[64];
    snprintf(memfile, sizeof memfile, "/tmp/syscall-cost-%d", (int)getpid());
    make_memory_file(memfile);

    measure_report("getpid", measure_median_ns(call_getpid, NULL, &plan));
    measure_report("umask", measure_median_ns(call_umask, NULL, &plan));
    measure_report("stat", measure_median_ns(call_stat, RUNTIME_FILE, &plan));
    measure_report("read4k_runtime", measure_median_ns(call_read4k, RUNTIME_FILE, &plan));
    measure_report("read4k_memory", measure_median_ns(call_read4k, memfile, &plan));

    unlink(memfile);
    return 0;
}
