/* Malformed arguments from the guest: every one is an errno, the sentry
 * keeps serving. The expected errnos are what the host kernel answers to
 * the same program in the same run (tests/progs/garbage), so the sentry is
 * held to Linux's own behaviour, call by call. */
#include "tests/integration/harness.h"

TestSuite(robust, .timeout = 60);

Test(robust, malformed_arguments_get_linux_errnos)
{
    char prog[512];
    RUN(native);
    run_cmd(&native, NULL, ARGV(progs_path("garbage", prog, sizeof prog)));
    assert_status(&native, 0);
    assert_line(&native, out, "alive");

    RUN(r);
    run_prog(&r, NULL, "garbage", NULL);
    assert_status(&r, 0);
    cr_assert_str_eq(r.out, native.out, "errnos differ from the host kernel's:\n%s" RUN_CONTEXT,
                     native.out, RUN_CONTEXT_ARGS(&r));
}
