/* platform/choose.c — which platform this kernel can run.
 *
 * Probed before anything starts, so a missing feature is a clear message
 * instead of a guest that dies in its first serviced call.
 */
#include "platform/platform.h"

#include <errno.h>
#include <string.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static bool action_available(uint32_t action)
{
    return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* SECCOMP_ADDFD_FLAG_SEND, which makes an installed fd the call's result
 * atomically, has no probe of its own: it came with Linux 5.14. */
static bool kernel_at_least(unsigned major, unsigned minor)
{
    struct utsname u;
    unsigned ma, mi;
    if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &ma, &mi) != 2)
        return false;
    return ma > major || (ma == major && mi >= minor);
}

static bool seccomp_usable(void)
{
    return action_available(SECCOMP_RET_USER_NOTIF) && kernel_at_least(5, 14);
}

int platform_choose(enum platform_kind want, enum platform_kind *got, struct err *e)
{
    switch (want) {
    case PLATFORM_SECCOMP:
        if (!seccomp_usable())
            return err_set(e, 0, "platform seccomp needs seccomp user notification with "
                                 "SECCOMP_ADDFD_FLAG_SEND (Linux 5.14+); try --platform ptrace");
        break;
    case PLATFORM_PTRACE:
        if (!action_available(SECCOMP_RET_TRACE))
            return err_set(e, 0, "platform ptrace needs SECCOMP_RET_TRACE (Linux 4.14+)");
        break;
    case PLATFORM_AUTO:
        if (seccomp_usable())
            want = PLATFORM_SECCOMP;
        else if (action_available(SECCOMP_RET_TRACE))
            want = PLATFORM_PTRACE;
        else
            return err_set(e, 0, "this kernel has neither seccomp user notification nor "
                                 "SECCOMP_RET_TRACE (Linux 4.14+ needed)");
        break;
    }
    *got = want;
    return 0;
}

const char *platform_name(enum platform_kind k)
{
    switch (k) {
    case PLATFORM_SECCOMP:
        return "seccomp";
    case PLATFORM_PTRACE:
        return "ptrace";
    case PLATFORM_AUTO:
        break;
    }
    return "auto";
}

int platform_parse(const char *name, enum platform_kind *out)
{
    static const enum platform_kind all[] = { PLATFORM_AUTO, PLATFORM_SECCOMP, PLATFORM_PTRACE };
    for (size_t k = 0; k < sizeof all / sizeof *all; k++)
        if (!strcmp(name, platform_name(all[k]))) {
            *out = all[k];
            return 0;
        }
    return -1;
}
