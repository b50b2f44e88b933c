/* sentry/stats.c — the session's counters (sentry/stats.h). */
#include "sentry/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *const DENIAL_KIND_NAME[DENIAL_KINDS] = {
    [DENIED_SYSCALL] = "syscall", [DENIED_FILE] = "file", [DENIED_NET] = "net",
};

static struct sentry_stats own;
struct sentry_stats *sentry_stats = &own;

int stats_share(void)
{
    int fd = memfd_create("cordon-stats", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    struct sentry_stats *m = MAP_FAILED;
    /* Sealed at its size: the server's mapping can never be cut short
     * under it (a read past the end would be its SIGBUS). */
    if (ftruncate(fd, sizeof *m) == 0 &&
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
        m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        int err = errno;
        close(fd);
        return -err;
    }
    memcpy(m, &own, sizeof own);
    sentry_stats = m;
    return fd;
}
