/* platform/spawn.h — both ends of the channel over which the sentry asks
 * a running tree's init to start another program (platform_spawn). */
#ifndef CORDON_PLATFORM_SPAWN_H
#define CORDON_PLATFORM_SPAWN_H

#include "platform/platform.h"

/* Init's loop once the PROGRAM is forked: serves requests on chan (its end
 * of the channel), reports on each request's socket, reaps every child. */
__attribute__((noreturn)) void spawn_serve(int chan);

/* The running tree's end of the channel for platform_spawn: set when the
 * tree starts, -1 when it has ended (the previous one is closed). */
void spawn_channel_set(int fd);

#endif
