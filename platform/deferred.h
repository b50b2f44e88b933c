/* platform/deferred.h — calls answered later: opens that wait for a peer
 * (see call_open_later). Both platforms keep one `struct deferrals`; the
 * thread that answers for the platform takes finished or interrupted calls
 * from it. */
#ifndef CORDON_PLATFORM_DEFERRED_H
#define CORDON_PLATFORM_DEFERRED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "platform/platform.h"

/* While a call waits, how often the answerer looks for a signal its task
 * would take (nothing tells the sentry of one). */
#define DEFER_POLL_MS 10

struct deferred {
    struct deferred *next;
    struct deferrals *owner;
    struct call call;   /* as dispatched: addfd is the handle to reopen */
    pthread_t th;
    atomic_bool cancel, done;
    int fd;             /* the worker's result: the opened fd or -errno */
};

struct deferrals {
    pthread_mutex_t lock;   /* the list: the dispatcher adds, the answerer takes */
    struct deferred *list;
    int wake;               /* eventfd, readable when a worker has finished */
};

int deferrals_init(struct deferrals *d, struct err *e);
/* Stops and drops every call still waiting (the guest tree is gone); a
 * no-op on one whose wake is -1 (never initialised, or finished). */
void deferrals_fini(struct deferrals *d);

/* Starts the open of a call that asked for call_open_later; takes its
 * handle. 0, or -errno for the caller to answer with. */
int deferred_start(struct deferrals *d, const struct call *c);

/* The poll(2) timeout the answerer waits with: -1 when nothing waits. */
int deferrals_timeout(struct deferrals *d);

/* The next call to answer, taken off the list, or NULL: *interrupted
 * false: its open ended (deferred->fd); true: its task has a signal to
 * take first. Calls whose task went away (call_still_valid) are dropped
 * on the way. The caller answers and then calls deferred_free. */
struct deferred *deferred_next(struct deferrals *d, bool *interrupted);
/* Drops the call task `tid` waits in, if any (it died: ptrace platform). */
void deferred_forget(struct deferrals *d, pid_t tid);
void deferred_free(struct deferred *w);

/* The kernel's "restart the call, or EINTR if the handler says so" code,
 * acted on when the task returns to user space with a signal pending. */
#define ERESTARTSYS 512

#endif
