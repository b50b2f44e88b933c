/* platform/deferred.c — calls answered later: opens that wait for a peer.
 *
 * A FIFO's open blocks until its other end is opened, maybe by a task whose
 * call the sentry has yet to serve, so it must wait where it stops nobody:
 * each such open gets a worker thread that does the blocking open of the
 * host FIFO itself (the kernel's own fifo_open decides when it returns, so
 * the semantics are Linux's by construction). The thread that answers for
 * the platform — seccomp: an answerer thread next to the notification loop;
 * ptrace: the tracer, the only thread that may touch its tracees — picks
 * finished ones up and installs the fd.
 *
 * Signals: in the kernel a signal ends such a wait with ERESTARTSYS. Here
 * nothing tells the sentry of one (WAIT_KILLABLE_RECV and ptrace stops both
 * hold a non-fatal signal back until the call is answered), so while calls
 * wait the answerer reads each task's signal masks every DEFER_POLL_MS
 * (proc_signal_pending) and answers an interrupted call itself. The worker
 * is stopped with a signal of its own, whose no-op handler has no
 * SA_RESTART: its open fails with EINTR and leaves the FIFO's reader and
 * writer counts as they were, so no other opener sees a phantom peer
 * (opening the other end to wake it would). Until the worker is seen to
 * have stopped, the signal is repeated: it may land just before the worker
 * enters open().
 */
#include "platform/deferred.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/procfs.h"
#include "util/thread.h"

#define CANCEL_SIG (SIGRTMIN + 4)

static void on_cancel(int sig)
{
    (void)sig;
}

int deferrals_init(struct deferrals *d, struct err *e)
{
    struct sigaction sa = { .sa_handler = on_cancel };   /* no SA_RESTART: open fails EINTR */
    sigemptyset(&sa.sa_mask);
    if (sigaction(CANCEL_SIG, &sa, NULL) < 0)
        return err_set(e, errno, "sigaction");
    d->list = NULL;
    d->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->wake < 0)
        return err_set(e, errno, "eventfd");
    pthread_mutex_init(&d->lock, NULL);
    return 0;
}

static void wake(struct deferrals *d)
{
    uint64_t one = 1;
    if (write(d->wake, &one, sizeof one) < 0) {
        /* The counter cannot overflow; the answerer polls anyway. */
    }
}

static void *worker(void *arg)
{
    struct deferred *w = arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, CANCEL_SIG);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", w->call.addfd);
    int fd = -1;
    errno = EINTR;
    while (!atomic_load(&w->cancel)) {
        fd = open(path, w->call.reopen_flags | O_CLOEXEC);
        if (fd >= 0 || errno != EINTR)
            break;
    }
    w->fd = fd >= 0 ? fd : -errno;
    atomic_store(&w->done, true);
    wake(w->owner);
    return NULL;
}

int deferred_start(struct deferrals *d, const struct call *c)
{
    struct deferred *w = calloc(1, sizeof *w);
    if (!w) {
        close(c->addfd);
        return -ENOMEM;
    }
    w->owner = d;
    w->call = *c;
    w->fd = -1;
    int r = thread_start_quiet(&w->th, worker, w);
    if (r != 0) {
        close(c->addfd);
        free(w);
        return -r;
    }
    pthread_mutex_lock(&d->lock);
    w->next = d->list;
    d->list = w;
    pthread_mutex_unlock(&d->lock);
    wake(d);   /* an answerer asleep with no timeout must start polling */
    return 0;
}

/* Makes the worker give up and waits for it. */
static void stop_worker(struct deferred *w)
{
    atomic_store(&w->cancel, true);
    const struct timespec ms = { .tv_nsec = 1000000 };
    while (!atomic_load(&w->done)) {
        pthread_kill(w->th, CANCEL_SIG);
        nanosleep(&ms, NULL);
    }
    pthread_join(w->th, NULL);
}

void deferred_free(struct deferred *w)
{
    if (!w)
        return;
    if (!atomic_load(&w->done))
        stop_worker(w);
    else
        pthread_join(w->th, NULL);
    if (w->fd >= 0)
        close(w->fd);
    close(w->call.addfd);
    free(w);
}

int deferrals_timeout(struct deferrals *d)
{
    pthread_mutex_lock(&d->lock);
    bool any = d->list != NULL;
    pthread_mutex_unlock(&d->lock);
    return any ? DEFER_POLL_MS : -1;
}

struct deferred *deferred_next(struct deferrals *d, bool *interrupted)
{
    uint64_t n;
    if (read(d->wake, &n, sizeof n) < 0) {
        /* EAGAIN: no worker finished since the last look. */
    }
    pthread_mutex_lock(&d->lock);
    struct deferred **pp = &d->list, *w;
    while ((w = *pp)) {
        bool valid = call_still_valid(&w->call);
        *interrupted = !atomic_load(&w->done) && valid && proc_signal_pending(w->call.tid);
        if (atomic_load(&w->done) || !valid || *interrupted) {
            *pp = w->next;
            if (valid)
                break;
            deferred_free(w);   /* the task died or was interrupted: no one to answer */
            continue;
        }
        pp = &w->next;
    }
    pthread_mutex_unlock(&d->lock);
    if (w && *interrupted) {
        stop_worker(w);
        /* The peer came first after all: the open is done, the signal
         * is taken after it, as when the kernel's wait ends that way. */
        *interrupted = w->fd < 0;
    }
    return w;
}

void deferred_forget(struct deferrals *d, pid_t tid)
{
    pthread_mutex_lock(&d->lock);
    for (struct deferred **pp = &d->list; *pp; pp = &(*pp)->next)
        if ((*pp)->call.tid == tid) {
            struct deferred *w = *pp;
            *pp = w->next;
            deferred_free(w);
            break;
        }
    pthread_mutex_unlock(&d->lock);
}

void deferrals_fini(struct deferrals *d)
{
    if (d->wake < 0)
        return;   /* never initialised */
    while (d->list) {
        struct deferred *w = d->list;
        d->list = w->next;
        deferred_free(w);
    }
    close(d->wake);
    d->wake = -1;
    pthread_mutex_destroy(&d->lock);
}
