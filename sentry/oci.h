/* sentry/oci.h — cordon as an OCI runtime (the runc command line). */
#ifndef CORDON_SENTRY_OCI_H
#define CORDON_SENTRY_OCI_H

#include <stdbool.h>

/* Whether argv is an OCI runtime call: runc's global flags first, an
 * OCI-only command, or `run` with --bundle / -b. */
bool oci_wants(int argc, char **argv);
/* `cordon [GLOBAL FLAGS] COMMAND ...`; returns the exit status. */
int cmd_oci(int argc, char **argv);

#endif
