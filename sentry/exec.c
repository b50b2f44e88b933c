/* sentry/exec.c — execve/execveat at the tracer's stop.
 *
 * The sentry resolves the path in the VFS with the guest's permissions,
 * follows "#!" interpreters (4 levels, as Linux), and tells the platform
 * which file the kernel should really run: a runtime-layer binary by its own
 * path (bound read-only at the same place in the guest's native mount
 * namespace), anything else through the exec cache (a read-only,
 * content-addressed copy). argv is rewritten only for scripts.
 * The kernel re-reads argv/envp after the stop; a racing guest thread can
 * change them, but never the file: that is the path the sentry wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xxhash.h>

#include "sentry/args.h"
#include "util/cleanup.h"

#define SHEBANG_DEPTH 4
#define HDR 256   /* Linux's BINPRM_BUF_SIZE */

/* Copies a binary into the exec cache, named by the xxh3 of its bytes so a
 * binary run many times (or by many processes) is written once. */
static int cache_binary(struct session *s, struct inode *i, char *out, size_t size)
{
    _cleanup_close_ int fd = vfs_open_data(s->vfs, i);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (st.st_size == 0)
        return -ENOEXEC;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return -errno;
    XXH128_hash_t h = XXH3_128bits(m, (size_t)st.st_size);
    char name[64];
    snprintf(name, sizeof name, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
    snprintf(out, size, EXEC_CACHE_GUEST_DIR "/%s", name);
    char host[512], tmp[512];
    snprintf(host, sizeof host, "%s/%s", s->exec_cache, name);
    int r = 0;
    if (access(host, F_OK) != 0) {
        snprintf(tmp, sizeof tmp, "%s/.tmp-%s", s->exec_cache, name);
        int w = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0555);
        if (w < 0 || write(w, m, (size_t)st.st_size) != st.st_size || close(w) < 0 ||
            rename(tmp, host) < 0)
            r = -EIO;
        if (r < 0) {
            if (w >= 0)
                close(w);
            unlink(tmp);
        }
    }
    munmap(m, (size_t)st.st_size);
    return r;
}

/* Splits "#!interp [arg]" out of the header; ENOEXEC when malformed. */
static int parse_shebang(char *hdr, size_t n, char **interp, char **arg)
{
    char *end = memchr(hdr, '\n', n);
    if (!end) {
        if (n == HDR)
            return -ENOEXEC;   /* the line does not fit: Linux refuses it too */
        end = hdr + n;
    }
    *end = '\0';
    char *p = hdr + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    for (char *q = end - 1; q >= p && (*q == ' ' || *q == '\t' || *q == '\r'); q--)
        *q = '\0';
    if (!*p)
        return -ENOEXEC;
    *interp = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    *arg = NULL;
    if (*p) {
        *p++ = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            *arg = p;
    }
    return 0;
}

/* Puts str into the plan's string storage and at head[k]. */
static int head_put(struct exec_plan *plan, size_t *used, unsigned k, const char *str)
{
    size_t n = strlen(str) + 1;
    if (*used + n > sizeof plan->strings || k >= EXEC_HEAD_MAX)
        return -E2BIG;
    memcpy(plan->strings + *used, str, n);
    plan->argv_head[k] = plan->strings + *used;
    *used += n;
    return 0;
}

static int count_argv(const struct call *c, uint64_t argv, uint64_t *argc)
{
    *argc = 0;
    if (!argv)
        return 0;
    for (uint64_t at = argv;;) {
        /* Up to the page's end in one read: the array may end just before
         * an unmapped page, and a read reaching into it would fail whole. */
        uint64_t ptrs[512];
        size_t n = (4096 - at % 4096) / 8;
        if (n == 0)
            n = 1;   /* a misaligned pointer straddling two pages */
        if (guest_read(call_task(c)->mem, at, ptrs, n * 8) < 0)
            return -EFAULT;
        for (size_t k = 0; k < n; k++)
            if (!ptrs[k]) {
                *argc += k;
                return 0;
            }
        *argc += n;
        at += n * 8;
        if (*argc > (1u << 20))
            return -E2BIG;
    }
}

bool exec_in_runtime(const struct session *s, const char *host_path)
{
    for (const char *const *r = s->runtime; *r; r++) {
        size_t n = strlen(*r);
        if (!strncmp(host_path, *r, n) && host_path[n] == '/')
            return true;
    }
    return false;
}

/* Where the kernel finds the binary in the guest's native mount namespace. */
static int native_path(struct session *s, struct inode *i, char *out, size_t size)
{
    int r = vfs_host_path(s->vfs, i, out, size);
    if (r >= 0 && exec_in_runtime(s, out))
        return 0;
    if (r < 0 && r != -EXDEV)
        return r;
    return cache_binary(s, i, out, size);
}

/* /proc/<pid>/exe once the exec is done (task_exec): the binary, not a
 * script's path, as Linux. */
static void remember_exe(struct task *t, struct inode *i, const char *native)
{
    inode_put(t->next_exe);
    inode_get(i);
    t->next_exe = i;
    t->next_exe_cached = !strncmp(native, EXEC_CACHE_GUEST_DIR "/", strlen(EXEC_CACHE_GUEST_DIR) + 1);
}

/* The exec event: the path as the guest asked for it and the argv it
 * passed (the first EXEC_EVENT_ARGS strings, each cut at EXEC_EVENT_ARG
 * bytes). Read from the stopped task only when someone listens. */
#define EXEC_EVENT_ARGS 32
#define EXEC_EVENT_ARG 256
static void exec_event(const struct call *c, const char *path, uint64_t argv, uint64_t argc)
{
    static char buf[EXEC_EVENT_ARGS][EXEC_EVENT_ARG + sizeof EVENTS_TRUNCATED];
    const char *args[EXEC_EVENT_ARGS];
    uint64_t ptrs[EXEC_EVENT_ARGS];
    unsigned n = argc < EXEC_EVENT_ARGS ? (unsigned)argc : EXEC_EVENT_ARGS;
    if (n && guest_read(call_task(c)->mem, argv, ptrs, n * sizeof *ptrs) < 0)
        n = 0;
    for (unsigned k = 0; k < n; k++) {
        ssize_t len = guest_read_str(call_task(c)->mem, ptrs[k], buf[k], EXEC_EVENT_ARG);
        if (len == -ENAMETOOLONG)
            strcat(buf[k], EVENTS_TRUNCATED);
        else if (len < 0)
            snprintf(buf[k], sizeof buf[k], "(unreadable)");
        args[k] = buf[k];
    }
    event_exec(c, path, args, n);
}

/* Resolves the exec into *plan; r is 0 or the errno the call fails with. */
static int resolve(struct session *s, struct call *c, struct exec_plan *plan, char *path,
                   uint64_t *argv_out, uint64_t *argc_out)
{
    bool at = c->nr == SYS_execveat;
    int dirfd = at ? arg_int(c, 0) : AT_FDCWD;
    int flags = at ? arg_int(c, 4) : 0;
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    uint64_t argv = c->args[at ? 2 : 1];
    *argv_out = argv;
    plan->envp = c->args[at ? 3 : 2];
    int r = arg_path(c, at ? 1 : 0, path);
    if (r < 0)
        return r;

    struct inode *i;
    char filename[PATH_MAX];   /* what a script's interpreter is told to open */
    if (!path[0]) {
        if (!(flags & AT_EMPTY_PATH))
            return -ENOENT;
        struct stat st;
        r = guest_fd_stat(s, c, dirfd, &st, &i);
        if (r < 0)
            return r;
        if (!i)
            return -EACCES;
        inode_get(i);
        snprintf(filename, sizeof filename, "/dev/fd/%d", dirfd);
    } else {
        struct inode *start;
        r = arg_start(s, c, dirfd, path, &start);
        if (r < 0)
            return r;
        r = vfs_lookupat(s->vfs, start, path, flags & AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0,
                         &s->cred, &i);
        inode_put(start);
        if (r < 0)
            return r;
        snprintf(filename, sizeof filename, "%s", path);
    }

    uint64_t argc;
    r = count_argv(c, argv, &argc);
    *argc_out = argc;
    plan->n_head = 0;
    plan->argv_tail = argv;
    plan->argv_rest = argc;
    size_t used = 0;
    for (int depth = 0; r == 0; depth++) {
        struct stat st;
        vfs_stat_inode(s->vfs, i, &st);
        if (!S_ISREG(st.st_mode)) {
            r = -EACCES;
            break;
        }
        if ((r = vfs_permission(s->vfs, i, X_OK, &s->cred)) < 0)
            break;
        char hdr[HDR + 1];
        int fd = vfs_open_data(s->vfs, i);
        if (fd < 0) {
            r = fd;
            break;
        }
        ssize_t n = pread(fd, hdr, HDR, 0);
        close(fd);
        if (n >= 4 && !memcmp(hdr, "\177ELF", 4)) {
            r = native_path(s, i, plan->path, sizeof plan->path);
            if (r == 0)
                remember_exe(call_task(c), i, plan->path);
            break;
        }
        if (n < 2 || hdr[0] != '#' || hdr[1] != '!') {
            r = -ENOEXEC;
            break;
        }
        if (depth == SHEBANG_DEPTH) {
            r = -ELOOP;
            break;
        }
        char *interp, *arg;
        if ((r = parse_shebang(hdr, (size_t)n, &interp, &arg)) < 0)
            break;
        /* argv becomes: interp [arg] filename argv[1..] — Linux drops
         * argv[0]; at deeper levels the previous head shifts right. */
        const char *old[EXEC_HEAD_MAX];
        unsigned nold = plan->n_head;
        memcpy(old, plan->argv_head, sizeof old);
        if (depth == 0 && argc > 0) {
            plan->argv_tail = argv + 8;
            plan->argv_rest = argc - 1;
        }
        unsigned k = 0;
        char fname[PATH_MAX];
        snprintf(fname, sizeof fname, "%s", filename);
        if ((r = head_put(plan, &used, k++, interp)) < 0 ||
            (arg && (r = head_put(plan, &used, k++, arg)) < 0) ||
            (r = head_put(plan, &used, k++, fname)) < 0)
            break;
        for (unsigned j = 1; j < nold && r == 0; j++) {
            if (k >= EXEC_HEAD_MAX)
                r = -E2BIG;
            else
                plan->argv_head[k++] = old[j];
        }
        plan->n_head = k;
        snprintf(filename, sizeof filename, "%s", interp);
        inode_put(i);
        r = vfs_lookupat(s->vfs, call_task(c)->fs->cwd, interp, 0, &s->cred, &i);
        if (r < 0)
            return r == -ENOENT ? -ENOENT : r;
    }
    inode_put(i);
    return r;
}

int sentry_exec(struct session *s, struct call *c, struct exec_plan *plan)
{
    char path[PATH_MAX] = "";
    uint64_t argv = 0, argc = 0;
    int r = resolve(s, c, plan, path, &argv, &argc);
    if (r == 0 && events_enabled())
        exec_event(c, path, argv, argc);
    return r;
}
