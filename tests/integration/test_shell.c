/* /bin/sh and coreutils in the guest: pipes, exit codes, deaths by signal,
 * devices, and output large enough to fill any pipe buffer. */
#include "tests/integration/harness.h"

#include <stdlib.h>

TestSuite(shell, .timeout = 60);

Test(shell, pipeline_output)
{
    RUN(r);
    run_sh(&r, NULL, "echo hello | tr a-z A-Z");
    assert_run(&r, 0, "HELLO\n");
}

Test(shell, exit_code_is_passed_through)
{
    RUN(r);
    run_sh(&r, NULL, "exit 7");
    assert_run(&r, 7, "");
}

Test(shell, death_by_sigkill_is_137)
{
    RUN(r);
    run_sh(&r, NULL, "kill -9 $$");
    assert_status(&r, 137);
}

Test(shell, death_by_sigterm_is_143)
{
    RUN(r);
    run_sh(&r, NULL, "kill -TERM $$");
    assert_status(&r, 143);
}

Test(shell, subshell_status)
{
    RUN(r);
    run_sh(&r, NULL, "(exit 3); echo $?");
    assert_run(&r, 0, "3\n");
}

Test(shell, megabyte_of_output_arrives_whole)
{
    RUN(r);
    run_sh(&r, NULL, "head -c 1000000 /dev/zero | tr '\\0' x");
    assert_status(&r, 0);
    cr_assert_eq(r.out_len, 1000000, "got %zu bytes" RUN_CONTEXT, r.out_len, RUN_CONTEXT_ARGS(&r));
    cr_assert_eq(strspn(r.out, "x"), 1000000, "output is not all 'x'");
}

Test(shell, devices)
{
    RUN(r);
    run_sh(&r, NULL,
           "head -c 16 /dev/urandom | wc -c; head -c 4 /dev/zero | od -An -tx1;"
           "echo gone > /dev/null && cat /dev/null && echo null-ok");
    assert_run(&r, 0, "16\n 00 00 00 00\nnull-ok\n");
}

Test(shell, urandom_differs_between_reads)
{
    RUN(r);
    run_sh(&r, NULL, "a=$(head -c 16 /dev/urandom | od -An -tx1); b=$(head -c 16 /dev/urandom | od -An -tx1);"
                     "[ \"$a\" != \"$b\" ] && [ ${#a} -gt 40 ] && echo distinct");
    assert_run(&r, 0, "distinct\n");
}

Test(shell, files_in_tmp_and_home)
{
    RUN(r);
    run_sh(&r, NULL,
           "echo one > /tmp/a && echo two >> /tmp/a && cat /tmp/a;"
           "mkdir -p ~/d/e && echo three > ~/d/e/f && cat /home/user/d/e/f;"
           "mv /tmp/a /var/tmp/b && cat /var/tmp/b | wc -l; ls /tmp; rm -r ~/d && ls ~");
    assert_run(&r, 0, "one\ntwo\nthree\n2\n");
}
