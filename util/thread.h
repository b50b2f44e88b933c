/* util/thread.h — helper threads that never take the process's signals.
 *
 * The platform reads SIGCHLD, SIGINT, ... through a signalfd and blocks them
 * in every thread; a thread started with them unblocked would swallow them
 * (SIGCHLD's default action discards it) and the session would never see
 * its guest exit. Background threads are therefore started with every
 * signal blocked, whenever they start. */
#ifndef CORDON_UTIL_THREAD_H
#define CORDON_UTIL_THREAD_H

#include <pthread.h>

/* pthread_create with all signals blocked in the new thread: 0 or an errno. */
int thread_start_quiet(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
