/* sentry/console.h — the OCI console socket protocol (runc's
 * --console-socket): the runtime makes a pty, sends its master to the
 * caller's AF_UNIX socket and gives the slave to the container's process
 * as stdin, stdout, stderr and controlling terminal. */
#ifndef CORDON_SENTRY_CONSOLE_H
#define CORDON_SENTRY_CONSOLE_H

#include "util/err.h"

/* Makes a pty (rows x cols unless 0), sends its master over the socket at
 * path and returns the slave (close-on-exec, above 2), or -1 with *e. */
int console_send_pty(const char *path, unsigned rows, unsigned cols, struct err *e);

#endif
