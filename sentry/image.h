/* sentry/image.h — an OCI bundle's rootfs as a session's runtime layer.
 * The image's top-level directories become the read-only runtime (with the
 * memory overlay above, so writes never reach the image) and its /etc the
 * guest's /etc, instead of the host's /usr and /etc pieces. */
#ifndef CORDON_SENTRY_IMAGE_H
#define CORDON_SENTRY_IMAGE_H

#include "util/err.h"

/* The launcher binds at most 16 runtime entries, one for the exec cache. */
#define IMAGE_MAX_RUNTIME 15
#define IMAGE_MAX_ETC 256

struct image_layout {
    const char *runtime[IMAGE_MAX_RUNTIME + 1];  /* "/usr", "/bin", ...; NULL-terminated */
    const char *etc[IMAGE_MAX_ETC + 1];          /* names under its /etc; NULL-terminated */
    char *names;                                 /* storage of both lists */
};

/* Lists rootfs (a host directory) into *out: 0, or -1 with *e set (not a
 * directory, too many entries). */
int image_layout(const char *rootfs, struct image_layout *out, struct err *e);
void image_layout_free(struct image_layout *l);

#endif
