/* pathflip — one thread rewrites a path buffer, flipping it between a path
 * inside a mount and one that leads out of it only if a symlink or ".." were
 * resolved by the host (INSIDE and OUTSIDE below), while other threads open
 * whatever the buffer holds at that moment, in a loop, and read the file.
 * A sentry that re-read the path after checking it, or let the host kernel
 * resolve it, would sooner or later open the outside file.
 * Usage: pathflip INSIDE OUTSIDE OPENS. Prints
 * "inside N outside N other N failed N"; exit 0. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPENERS 3

static char path[4096];
static const char *inside, *outside;
static atomic_bool done;
static atomic_long n_inside, n_outside, n_other, n_failed;
static long opens;

static void *flip(void *arg)
{
    (void)arg;
    for (unsigned k = 0; !atomic_load(&done); k++) {
        const char *p = k & 1 ? outside : inside;
        /* Byte by byte, so openers also see half-written mixtures; then a
         * few microseconds of each whole path, so both are seen on a
         * loaded machine too. */
        for (size_t i = 0; i <= strlen(p); i++)
            ((volatile char *)path)[i] = p[i];
        for (volatile unsigned spin = 0; spin < 4000; spin++)
            ;
    }
    return NULL;
}

static void *open_loop(void *arg)
{
    (void)arg;
    char buf[64];
    for (long k = 0; k < opens; k++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            atomic_fetch_add(&n_failed, 1);
            continue;
        }
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        if (strstr(buf, "OUTSIDE"))
            atomic_fetch_add(&n_outside, 1);
        else if (strstr(buf, "INSIDE"))
            atomic_fetch_add(&n_inside, 1);
        else
            atomic_fetch_add(&n_other, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: pathflip INSIDE OUTSIDE OPENS\n");
        return 2;
    }
    inside = argv[1];
    outside = argv[2];
    opens = atol(argv[3]);
    snprintf(path, sizeof path, "%s", inside);
    pthread_t f, o[OPENERS];
    pthread_create(&f, NULL, flip, NULL);
    for (int k = 0; k < OPENERS; k++)
        pthread_create(&o[k], NULL, open_loop, NULL);
    for (int k = 0; k < OPENERS; k++)
        pthread_join(o[k], NULL);
    atomic_store(&done, true);
    pthread_join(f, NULL);
    printf("inside %ld outside %ld other %ld failed %ld\n", atomic_load(&n_inside),
           atomic_load(&n_outside), atomic_load(&n_other), atomic_load(&n_failed));
    return 0;
}
