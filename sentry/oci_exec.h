/* sentry/oci_exec.h — `cordon exec`: another program in a running
 * container, both ends (the command and the container's sentry). */
#ifndef CORDON_SENTRY_OCI_EXEC_H
#define CORDON_SENTRY_OCI_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "sentry/session.h"
#include "util/err.h"

/* The container's sentry: accepts exec requests on the socket at path and
 * starts each inside the running tree (session_spawn). */
struct oci_exec_server;
int oci_exec_serve(struct session *s, const char *path, struct oci_exec_server **out,
                   struct err *e);
/* Stops accepting and waits for a request being served; removes the socket. */
void oci_exec_serve_stop(struct oci_exec_server *srv);

/* What one exec asks for. */
struct oci_exec {
    const char *sock;                /* the container's exec socket */
    const char *const *argv, *const *env;
    const char *cwd;                 /* NULL: the container's default */
    bool root;                       /* as uid 0 (must be the container's user) */
    const char *console_socket;      /* NULL: the program gets this command's stdio */
    unsigned rows, cols;             /* the terminal's size, 0: unset */
    bool detach;
};

/* The command's side. Attached: returns the program's exit status (128+N
 * for a signal N), forwarding the signals this process gets to it.
 * Detached: returns 0 with *proxy the pid of a process (this one's child,
 * in a session of its own) that does the same and exits with that status,
 * once the program has started. -1 with *e when it could not start (*status:
 * cordon's exit status for it, 125, 126 or 127). */
int oci_exec_run(const struct oci_exec *x, pid_t *proxy, int *status, struct err *e);

#endif
