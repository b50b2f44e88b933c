/* Real programs on the session's filesystem: the toolchain, a build, a
 * repository, an archive and a virtual environment, each run the way a user
 * would and checked by what it produced, not by its exit status alone.
 * Everything they write lives in the memory layer; the binaries they build
 * run through the exec cache. */
#include "tests/integration/harness.h"

#include <stdio.h>

TestSuite(programs, .timeout = 120);

Test(programs, gcc_compiles_and_runs_in_tmp)
{
    RUN(r);
    run_sh(&r, NULL,
           "set -e; d=$(mktemp -d); cd \"$d\"\n"
           "cat > sieve.c <<'EOF'\n"
           "#include <stdio.h>\n"
           "int main(int argc, char **argv) {\n"
           "    static char composite[100000];\n"
           "    int n = 0, last = 0;\n"
           "    for (int i = 2; i < 100000; i++) {\n"
           "        if (composite[i]) continue;\n"
           "        n++; last = i;\n"
           "        for (long j = (long)i * i; j < 100000; j += i) composite[j] = 1;\n"
           "    }\n"
           "    printf(\"%s: %d primes, last %d\\n\", argv[0], n, last);\n"
           "    return argc == 1 ? 0 : 3;\n"
           "}\n"
           "EOF\n"
           "gcc -O2 -Wall -o sieve sieve.c\n"
           "./sieve\n"
           "./sieve x || echo \"exit $?\"\n");
    assert_run(&r, 0, "./sieve: 9592 primes, last 99991\n./sieve: 9592 primes, last 99991\nexit 3\n");
}

/* make decides from mtimes: the second make must find nothing to do and
 * the third, after one source is touched, rebuild only that object. */
Test(programs, make_builds_a_two_file_project)
{
    RUN(r);
    run_sh(&r, NULL,
           "set -e; d=$(mktemp -d); cd \"$d\"\n"
           "printf '#include <stdio.h>\\nint twice(int);\\n"
           "int main(void) { printf(\"twice 21 = %%d\\\\n\", twice(21)); return 0; }\\n' > main.c\n"
           "printf 'int twice(int x) { return 2 * x; }\\n' > twice.c\n"
           "printf 'app: main.o twice.o\\n\\tcc -o $@ $^\\n%%.o: %%.c\\n\\tcc -c -o $@ $<\\n' > Makefile\n"
           "make -s && echo built\n"
           "./app\n"
           "make\n"
           "sleep 0.01; touch twice.c\n"
           "make\n");
    assert_run(&r, 0,
               "built\n"
               "twice 21 = 42\n"
               "make: 'app' is up to date.\n"
               "cc -c -o twice.o twice.c\n"
               "cc -o app main.o twice.o\n");
}

Test(programs, git_init_add_commit)
{
    RUN(r);
    run_sh(&r, NULL,
           "set -e; d=$(mktemp -d); cd \"$d\"\n"
           "git init -q -b main repo; cd repo\n"
           "git config user.name Guest; git config user.email guest@example.invalid\n"
           "mkdir src; echo 'print(1)' > src/a.py; echo hello > README\n"
           "git add .\n"
           "git commit -q -m 'first commit'\n"
           "echo 'print(2)' >> src/a.py\n"
           "git commit -q -am second\n"
           "git log --format=%s\n"
           "git status --porcelain\n"
           "git show --stat --format= HEAD\n"
           "git cat-file -p HEAD~1:src/a.py\n"
           "git fsck --no-progress --strict && echo fsck ok\n");
    assert_run(&r, 0,
               "second\n"
               "first commit\n"
               " src/a.py | 1 +\n"
               " 1 file changed, 1 insertion(+)\n"
               "print(1)\n"
               "fsck ok\n");
}

/* The same 1000 files are generated natively, so the guest's checksums are
 * compared with the host's, not only with themselves. */
#define TREE_SCRIPT                                                                   \
    "set -e; d=$(mktemp -d); cd \"$d\"\n"                                            \
    "for k in 0 1 2 3 4 5 6 7 8 9; do mkdir -p src/d$k; done\n"                      \
    "i=0; while [ $i -lt 1000 ]; do\n"                                               \
    "    echo \"file $i $((i * 7919 % 1000003))\" > src/d$((i % 10))/f$i\n"          \
    "    i=$((i + 1))\n"                                                             \
    "done\n"                                                                         \
    "touch -d @1000000000 src/d3/f123\n"                                             \
    "manifest() { (cd \"$1\" && find . -type f | sort | xargs sha256sum) | sha256sum; }\n" \
    "echo \"src $(manifest src)\"\n"

Test(programs, tar_czf_xzf_of_1000_files_round_trips)
{
    RUN(native);
    run_cmd(&native, NULL, ARGV("/bin/sh", "-c", TREE_SCRIPT "cd /; rm -rf \"$d\""));
    assert_status(&native, 0);
    char want[65];
    cr_assert(sscanf(native.out, "src %64s", want) == 1, "native manifest: %s", native.out);

    RUN(r);
    run_sh(&r, &(struct run_opts){.timeout_s = 90},
           TREE_SCRIPT
           "tar czf tree.tgz -C src .\n"
           "mkdir out; tar xzf tree.tgz -C out\n"
           "echo \"members $(tar tzf tree.tgz | grep -c '/f[0-9]*$')\"\n"
           "echo \"files $(find out -type f | wc -l)\"\n"
           "echo \"out $(manifest out)\"\n"
           "echo \"mtime $(stat -c %Y out/d3/f123)\"\n");
    assert_status(&r, 0);
    char line[128];
    snprintf(line, sizeof line, "src %s  -", want);
    assert_line(&r, out, line);
    snprintf(line, sizeof line, "out %s  -", want);
    assert_line(&r, out, line);
    assert_line(&r, out, "members 1000");
    assert_line(&r, out, "files 1000");
    assert_line(&r, out, "mtime 1000000000");
}

/* A venv with pip: ensurepip runs pip in a subprocess to install itself,
 * thousands of file creations in a fresh tree; then the venv's own python
 * must find its prefix and its pip. */
Test(programs, python_venv_works)
{
    RUN(r);
    run_sh(&r, &(struct run_opts){.timeout_s = 90},
           "set -e; d=$(mktemp -d); cd \"$d\"\n"
           "python3 -m venv env\n"
           "env/bin/python -c 'import sys; print(sys.prefix == sys.base_prefix, sys.prefix)'\n"
           "env/bin/python -m pip --version | cut -d' ' -f1,3-4\n"
           ". env/bin/activate; command -v python\n");
    assert_status(&r, 0);
    cr_assert(strstr(r.out, "False /tmp/") == r.out, "venv prefix" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    assert_contains(&r, out, "/env\npip from /tmp/");
    assert_contains(&r, out, "/env/lib/python3.11/site-packages/pip\n/tmp/");
    assert_contains(&r, out, "/env/bin/python\n");
}
