/* platform/filter.c — turning the syscall table into BPF with libseccomp. */
#include "platform/filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/cleanup.h"

static void release_ctx(scmp_filter_ctx *c)
{
    if (*c)
        seccomp_release(*c);
}

static int add(scmp_filter_ctx c, uint32_t act, unsigned nr, unsigned nargs,
               const struct scmp_arg_cmp *cmp, struct err *e)
{
    int r = seccomp_rule_add_exact_array(c, act, (int)nr, nargs, cmp);
    if (r < 0)
        return err_set(e, -r, "seccomp rule for syscall %u", nr);
    return 0;
}

/* libseccomp 2.5 can only export BPF to an fd; a memfd keeps it in memory. */
static int export_bpf(scmp_filter_ctx c, struct sock_fprog *prog, struct err *e)
{
    _cleanup_close_ int fd = memfd_create("cordon-bpf", MFD_CLOEXEC);
    if (fd < 0)
        return err_set(e, errno, "memfd_create");
    int r = seccomp_export_bpf(c, fd);
    if (r < 0)
        return err_set(e, -r, "seccomp_export_bpf");
    off_t len = lseek(fd, 0, SEEK_END);
    if (len <= 0 || len % sizeof(struct sock_filter))
        return err_set(e, 0, "seccomp_export_bpf produced %lld bytes", (long long)len);
    struct sock_filter *f = malloc((size_t)len);
    if (!f)
        return err_set(e, ENOMEM, "filter");
    if (pread(fd, f, (size_t)len, 0) != len) {
        free(f);
        return err_set(e, errno, "reading exported filter");
    }
    prog->len = (unsigned short)(len / sizeof(struct sock_filter));
    prog->filter = f;
    return 0;
}

static int build(const struct sys_filter_row *table, unsigned n, uint32_t notify_action,
                 struct sock_fprog *prog, struct err *e)
{
    __attribute__((cleanup(release_ctx))) scmp_filter_ctx c = seccomp_init(notify_action);
    if (!c)
        return err_set(e, ENOMEM, "seccomp_init");
    /* Anything not x86-64 (int 0x80, x32 numbers) is refused as absent. */
    if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS)) < 0 ||
        seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0) < 0)
        return err_set(e, 0, "seccomp attributes");
    /* A binary search over numbers keeps native calls cheap in a big table. */
    seccomp_attr_set(c, SCMP_FLTATR_CTL_OPTIMIZE, 2);

    for (unsigned nr = 0; nr < n; nr++) {
        const struct sys_filter_row *row = &table[nr];
        switch (row->cls) {
        case SYS_UNLISTED:
            /* Left to the default action: the sentry answers ENOSYS and
             * audits it. Unlisted calls are rare, and every rule left out
             * shortens both the program and libseccomp's work at startup
             * (about 3 of cordon's 12 ms start-up were spent here). */
            break;
        case SYS_NATIVE:
            if (add(c, SCMP_ACT_ALLOW, nr, 0, NULL, e) < 0)
                return -1;
            break;
        case SYS_EXEC:
            if (add(c, SCMP_ACT_TRACE(FILTER_TRACE_EXEC), nr, 0, NULL, e) < 0)
                return -1;
            break;
        case SYS_ERRNO:
            if (add(c, SCMP_ACT_ERRNO((uint32_t)row->err), nr, 0, NULL, e) < 0)
                return -1;
            break;
        case SYS_SERVICED:
            for (unsigned k = 0; k < row->nnative; k++) {
                const struct sys_argrule *a = &row->native[k];
                struct scmp_arg_cmp cmp = {
                    .arg = a->arg, .op = SCMP_CMP_MASKED_EQ,
                    .datum_a = a->mask, .datum_b = a->equals,
                };
                if (add(c, SCMP_ACT_ALLOW, nr, 1, &cmp, e) < 0)
                    return -1;
            }
            break;
        }
    }
    return export_bpf(c, prog, e);
}

/* The last program built per action. A session sentry (`cordon serve`, OCI
 * exec) launches a tree per exec from the same table, and libseccomp takes
 * about 1 ms to build the program each time. */
static struct {
    uint32_t action;
    unsigned n;
    struct sys_filter_row *rows;
    struct sock_fprog prog;
} cache[2];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool same_rows(const struct sys_filter_row *a, const struct sys_filter_row *b, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        if (a[k].cls != b[k].cls || a[k].err != b[k].err || a[k].native != b[k].native ||
            a[k].nnative != b[k].nnative)
            return false;
    return true;
}

static int copy_prog(const struct sock_fprog *from, struct sock_fprog *to, struct err *e)
{
    size_t len = from->len * sizeof *from->filter;
    to->filter = malloc(len);
    if (!to->filter)
        return err_set(e, ENOMEM, "filter");
    memcpy(to->filter, from->filter, len);
    to->len = from->len;
    return 0;
}

int filter_build(const struct sys_filter_row *table, unsigned n, uint32_t notify_action,
                 struct sock_fprog *prog, struct err *e)
{
    pthread_mutex_lock(&cache_lock);
    int r = -1;
    for (unsigned k = 0; k < 2; k++)
        if (cache[k].rows && cache[k].action == notify_action && cache[k].n == n &&
            same_rows(cache[k].rows, table, n)) {
            r = copy_prog(&cache[k].prog, prog, e);
            goto out;
        }
    if ((r = build(table, n, notify_action, prog, e)) < 0)
        goto out;
    /* Slot 0 for the seccomp platform's action, 1 for ptrace's; a table that
     * changed replaces its slot. Failing to cache costs only speed. */
    unsigned k = notify_action == SECCOMP_RET_USER_NOTIF ? 0 : 1;
    struct sys_filter_row *rows = malloc(n * sizeof *rows);
    struct sock_fprog copy;
    if (rows && copy_prog(prog, &copy, &(struct err){ 0 }) == 0) {
        free(cache[k].rows);
        free(cache[k].prog.filter);
        memcpy(rows, table, n * sizeof *rows);
        cache[k].rows = rows;
        cache[k].n = n;
        cache[k].action = notify_action;
        cache[k].prog = copy;
    } else {
        free(rows);
    }
out:
    pthread_mutex_unlock(&cache_lock);
    return r;
}
