/* threads — 8 pthreads at once create, write, read back and unlink their
 * own files in /tmp and ask getcwd, so serviced calls from many threads of
 * one process are in flight together. Usage: threads [NTHREADS [ITERS]].
 * Prints "threads ok: N x ITERS, cwd DIR" or the first mismatch (exit 1). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64

static int iters = 200;
static char main_cwd[PATH_MAX];

struct worker {
    pthread_t tid;
    int n;
    char failure[256];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    char path[64], want[512], got[sizeof want + 1], cwd[PATH_MAX];
    snprintf(path, sizeof path, "/tmp/threads-%d-%d", (int)getpid(), w->n);
    for (int i = 0; i < iters; i++) {
        /* Contents differ per thread and iteration, so a read that returns
         * another thread's file, or a stale version, shows. */
        int len = snprintf(want, sizeof want, "thread %d iteration %d %0400d\n", w->n, i, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, want, (size_t)len) != len || close(fd) != 0)
            goto fail;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, got, sizeof got);
        if (fd < 0 || close(fd) != 0 || n != len || memcmp(got, want, (size_t)len) != 0) {
            snprintf(w->failure, sizeof w->failure, "thread %d iteration %d: read back %zd bytes, want %d", w->n,
                     i, n, len);
            return NULL;
        }
        if (unlink(path) != 0 || access(path, F_OK) == 0 || errno != ENOENT)
            goto fail;
        if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, main_cwd) != 0) {
            snprintf(w->failure, sizeof w->failure, "thread %d: getcwd says %.100s, want %.100s", w->n, cwd, main_cwd);
            return NULL;
        }
    }
    return NULL;
fail:
    snprintf(w->failure, sizeof w->failure, "thread %d on %s: %s", w->n, path, strerror(errno));
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 8;
    iters = argc > 2 ? atoi(argv[2]) : iters;
    if (nthreads < 1 || nthreads > MAX_THREADS || iters < 1 || !getcwd(main_cwd, sizeof main_cwd)) {
        fprintf(stderr, "usage: threads [NTHREADS<=%d [ITERS]]\n", MAX_THREADS);
        return 2;
    }
    static struct worker workers[MAX_THREADS];
    for (int i = 0; i < nthreads; i++) {
        workers[i].n = i;
        if (pthread_create(&workers[i].tid, NULL, work, &workers[i]) != 0) {
            fprintf(stderr, "threads: pthread_create failed\n");
            return 1;
        }
    }
    int failed = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(workers[i].tid, NULL);
        if (workers[i].failure[0]) {
            printf("FAIL %s\n", workers[i].failure);
            failed = 1;
        }
    }
    if (!failed)
        printf("threads ok: %d x %d, cwd %s\n", nthreads, iters, main_cwd);
    return failed;
}
