/* The guest's /etc: resolv.conf and nsswitch.conf are the session's own, so
 * no name lookup reaches the host's resolver or its daemons; os-release is
 * the host runtime's. */
#include "tests/integration/harness.h"

TestSuite(etc, .timeout = 60);

Test(etc, resolver_is_the_sandbox_one)
{
    RUN(r);
    run_sh(&r, NULL,
           "grep -v '^#' /etc/resolv.conf; grep '^hosts:' /etc/nsswitch.conf;"
           "getent hosts cordon; getent passwd user;"
           "getent hosts example.invalid || echo unresolved");
    assert_run(&r, 0,
               "nameserver 127.0.0.53\noptions edns0\n"
               "hosts:     files dns\n"
               "127.0.0.1       localhost cordon\n"
               "user:x:1000:1000:user:/home/user:/bin/sh\n"
               "unresolved\n");
    /* Nothing listens at the placeholder address: the lookup fails at once
     * rather than after the resolver's timeouts (5 s each). */
    cr_assert_lt(r.secs, 4.0, "a failed lookup took %.1f s", r.secs);
}

Test(etc, os_release_from_the_runtime)
{
    RUN(r);
    run_sh(&r, NULL, ". /etc/os-release && test -n \"$ID\" && echo \"$ID\"");
    RUN(host);
    run_cmd(&host, NULL, ARGV("/bin/sh", "-c", ". /etc/os-release && echo \"$ID\""));
    assert_run(&r, 0, host.out);
}
