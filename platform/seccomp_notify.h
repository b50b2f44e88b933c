/* platform/seccomp_notify.h — the user-notification loop (the hot path). */
#ifndef CORDON_PLATFORM_SECCOMP_NOTIFY_H
#define CORDON_PLATFORM_SECCOMP_NOTIFY_H

#include <pthread.h>

#include "platform/platform.h"

/* Starts a thread blocked in SECCOMP_IOCTL_NOTIF_RECV on `listener` that
 * hands each call to hooks->dispatch and sends the answer. */
int notify_start(int listener, const struct sentry_hooks *hooks, pthread_t *th, struct err *e);

#endif
