/* Workspace mounts (--mount HOST:GUEST[:ro|:rw]): what reaches the host and
 * what never does — escapes through symlinks, "..", hard links, renames,
 * /proc and racing threads — and the secrets that stay invisible inside. */
#include "tests/integration/harness.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

TestSuite(mounts, .timeout = 120);

/* A host tree per test: ROOT/w is mounted, ROOT/outside/marker holds a
 * marker the guest must never read or change. */
struct ws {
    char root[64], w[128], spec[160], marker[160], tag[17], outside_text[64];
};

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert(f, "creating %s", p);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static bool exists(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return lstat(p, &st) == 0;
}

static void ws_make(struct ws *s, const char *mode)
{
    snprintf(s->root, sizeof s->root, "/tmp/cordon-mounts-XXXXXX");
    cr_assert(mkdtemp(s->root), "mkdtemp");
    chmod(s->root, 0755);
    snprintf(s->w, sizeof s->w, "%s/w", s->root);
    char out[128];
    snprintf(out, sizeof out, "%s/outside", s->root);
    cr_assert(mkdir(s->w, 0755) == 0 && mkdir(out, 0755) == 0);
    random_tag(s->tag);
    snprintf(s->outside_text, sizeof s->outside_text, "OUTSIDE %s\n", s->tag);
    put(out, "marker", s->outside_text);
    snprintf(s->marker, sizeof s->marker, "%s/marker", out);
    put(s->w, "in.txt", "INSIDE\n");
    snprintf(s->spec, sizeof s->spec, "%s:/w:%s", s->w, mode);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static void ws_free(struct ws *s)
{
    if (s->root[0])
        nftw(s->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
#define WS(name, mode) \
    __attribute__((cleanup(ws_free))) struct ws name = {0}; \
    ws_make(&name, mode)

static void assert_marker_intact(const struct ws *s)
{
    char *m = slurp(s->root, "outside/marker");
    cr_assert(m && !strcmp(m, s->outside_text), "the marker outside the mount changed: %s", m);
    cr_assert(!exists(s->root, "outside/pwned") && !exists(s->root, "pwned"),
              "the guest created a file outside the mount");
}

static void run_in(struct run *r, const struct ws *s, const char *script)
{
    run_sh(r, &(struct run_opts){ .cordon_opts = ARGV("--mount", s->spec) }, script);
}

Test(mounts, read_only_by_default)
{
    WS(s, "ro");
    snprintf(s.spec, sizeof s.spec, "%s:/w", s.w);
    RUN(r);
    run_in(&r, &s,
           "cat /w/in.txt; echo x > /w/in.txt || echo write-refused; mkdir /w/d || echo mkdir-refused;"
           " rm /w/in.txt || echo rm-refused; touch -d 2001-01-01 /w/in.txt || echo touch-refused");
    assert_run(&r, 0, "INSIDE\nwrite-refused\nmkdir-refused\nrm-refused\ntouch-refused\n");
    assert_contains(&r, err, "Read-only file system");
    cr_assert_str_eq(slurp(s.w, "in.txt"), "INSIDE\n");
    cr_assert(!exists(s.w, "d"));
}

Test(mounts, writes_reach_the_host_directory_only)
{
    WS(s, "rw");
    RUN(r);
    run_in(&r, &s,
           "cd /w && echo new > a && mkdir -p d/e && mv a d/e/b && ln d/e/b hard && ln -s d/e/b soft"
           " && echo more >> soft && chmod 640 hard && truncate -s 2 in.txt && touch -d 2001-02-03 hard"
           " && rm -r gone 2>/dev/null; mkdir gone && rmdir gone && stat -c '%a %h %U %s' d/e/b in.txt"
           " && cat soft && ls -A | sort | tr '\\n' ' '; echo");
    assert_run(&r, 0, "640 2 user 9\n644 1 user 2\nnew\nmore\nd hard in.txt soft \n");
    cr_assert_str_eq(slurp(s.w, "d/e/b"), "new\nmore\n");
    cr_assert_str_eq(slurp(s.w, "in.txt"), "IN");
    char p[256];
    struct stat a, b;
    snprintf(p, sizeof p, "%s/hard", s.w);
    cr_assert(stat(p, &a) == 0 && (a.st_mode & 07777) == 0640 && a.st_nlink == 2);
    cr_assert_eq(a.st_uid, geteuid(), "a new file belongs to the mount's owner");
    struct tm tm;
    localtime_r(&a.st_mtime, &tm);
    cr_assert_eq(tm.tm_year, 101, "touch -d reached the host file");
    snprintf(p, sizeof p, "%s/d/e/b", s.w);
    cr_assert(stat(p, &b) == 0 && a.st_ino == b.st_ino, "ln made a host hard link");
    cr_assert(!exists(s.w, "a") && !exists(s.w, "gone"));
    assert_marker_intact(&s);
}

Test(mounts, guest_sees_host_changes_and_setid_never_lands)
{
    WS(s, "rw");
    RUN(r);
    /* The guest writes natively through its fd; stat must see the size. */
    run_in(&r, &s,
           "exec 3>/w/grow; printf 12345 >&3; stat -c %s /w/grow; cp /bin/true /w/t;"
           " chmod 4755 /w/t; mkdir /w/g; chmod 2775 /w/g; stat -c %a /w/t /w/g");
    assert_run(&r, 0, "5\n755\n2775\n");
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/t", s.w);
    cr_assert(stat(p, &st) == 0 && !(st.st_mode & S_ISUID), "a set-user-id bit reached the host");
}

Test(mounts, startup_errors)
{
    WS(s, "rw");
    RUN(missing);
    char spec[256];
    snprintf(spec, sizeof spec, "%s/nope:/w", s.root);
    run_guest(&missing, &(struct run_opts){ .cordon_opts = ARGV("--mount", spec) }, ARGV("/bin/true"));
    assert_status(&missing, 125);
    assert_contains(&missing, err, "/nope: No such file or directory");

    RUN(syntax);
    run_guest(&syntax, &(struct run_opts){ .cordon_opts = ARGV("--mount", s.w) }, ARGV("/bin/true"));
    assert_status(&syntax, 2);
    assert_contains(&syntax, err, "expected HOST:GUEST");

    RUN(file);
    snprintf(spec, sizeof spec, "%s/in.txt:/w", s.w);
    run_guest(&file, &(struct run_opts){ .cordon_opts = ARGV("--mount", spec) }, ARGV("/bin/true"));
    assert_status(&file, 125);
    assert_contains(&file, err, "Not a directory");

    RUN(runtime);
    snprintf(spec, sizeof spec, "%s:/usr/w", s.w);
    run_guest(&runtime, &(struct run_opts){ .cordon_opts = ARGV("--mount", spec) }, ARGV("/bin/true"));
    assert_status(&runtime, 125);
    assert_contains(&runtime, err, "/usr/w");
}

Test(mounts, policy_section)
{
    WS(s, "rw");
    char text[512];
    snprintf(text, sizeof text,
             "{\"mounts\": [{\"host\": \"%s\", \"guest\": \"/p\", \"mode\": \"rw\", \"exec\": false}],\n"
             " \"secrets\": {\"deny\": [\"*.key\"], \"allow\": [\".env\"], \"defaults\": true}}\n",
             s.w);
    put(s.root, "good.json", text);
    put(s.w, ".env", "VISIBLE\n");
    put(s.w, "a.key", "HIDDEN\n");
    put(s.w, "run.sh", "#!/bin/sh\necho ran\n");
    char good[128];
    snprintf(good, sizeof good, "%s/good.json", s.root);
    RUN(r);
    run_sh(&r, &(struct run_opts){ .cordon_opts = ARGV("--policy", good) },
           "chmod +x /p/run.sh; echo w > /p/new; cat /p/.env; cat /p/a.key 2>/dev/null || echo no-key;"
           " /p/run.sh || echo noexec");
    assert_run(&r, 0, "VISIBLE\nno-key\nnoexec\n");
    cr_assert_str_eq(slurp(s.w, "new"), "w\n");

    snprintf(text, sizeof text, "{\"mounts\": [{\"host\": \"%s\", \"guest\": \"/p\", \"mode\": \"wr\"}]}", s.w);
    put(s.root, "bad.json", text);
    char bad[128];
    snprintf(bad, sizeof bad, "%s/bad.json", s.root);
    RUN(b);
    run_guest(&b, &(struct run_opts){ .cordon_opts = ARGV("--policy", bad) }, ARGV("/bin/true"));
    assert_status(&b, 125);
    assert_contains(&b, err, "mounts[0].mode: expected \"ro\" or \"rw\"");

    put(s.root, "bad2.json", "{\"secrets\": {\"deny\": [\"a/**/b\"]}}");
    snprintf(bad, sizeof bad, "%s/bad2.json", s.root);
    RUN(b2);
    run_guest(&b2, &(struct run_opts){ .cordon_opts = ARGV("--policy", bad) }, ARGV("/bin/true"));
    assert_status(&b2, 125);
    assert_contains(&b2, err, "a/**/b");
}

Test(mounts, exec_from_a_mount)
{
    WS(s, "rw");
    put(s.w, "hello.sh", "#!/bin/sh\necho script-ran \"$@\"\n");
    char p[256];
    snprintf(p, sizeof p, "%s/hello.sh", s.w);
    chmod(p, 0755);
    RUN(r);
    run_in(&r, &s, "cp /bin/echo /w/myecho && /w/myecho binary-ran && /w/hello.sh x && cd /w && ./hello.sh y");
    assert_run(&r, 0, "binary-ran\nscript-ran x\nscript-ran y\n");

    RUN(n);
    snprintf(s.spec, sizeof s.spec, "%s:/w:rw,noexec", s.w);
    run_in(&n, &s, "/w/hello.sh; echo $?; sh /w/hello.sh read-is-fine");
    assert_run(&n, 0, "126\nscript-ran read-is-fine\n");
}

Test(mounts, escape_through_symlinks_and_dotdot)
{
    WS(s, "rw");
    char p[256];
    snprintf(p, sizeof p, "%s/up", s.w);
    cr_assert(symlink("..", p) == 0);
    snprintf(p, sizeof p, "%s/abs", s.w);
    cr_assert(symlink(s.root, p) == 0);
    snprintf(p, sizeof p, "%s/root", s.w);
    cr_assert(symlink("/", p) == 0);
    snprintf(p, sizeof p, "%s/deep", s.w);
    cr_assert(symlink("../../../../../../../../..", p) == 0);
    char script[2048];
    /* Each attempt names the marker through a way out that would work if
     * the host resolved the path. */
    snprintf(script, sizeof script,
             "cd /w; for p in up/outside/marker abs/outside/marker root%s deep%s ../outside/marker"
             " /w/../../../..%s ../../../../../../..%s; do cat $p 2>/dev/null; done;"
             " echo pwned > up/outside/pwned; echo pwned > up/pwned; echo pwned > root%s;"
             " ln -s %s /w/mine && echo pwned > /w/mine; ln -s ../outside /w/o2; echo pwned >> /w/o2/marker;"
             " mkdir -p up/outside 2>/dev/null; echo done",
             s.marker, s.marker, s.marker, s.marker, s.marker, s.marker);
    RUN(r);
    run_in(&r, &s, script);
    assert_status(&r, 0);
    assert_lacks(&r, out, "OUTSIDE");
    assert_line(&r, out, "done");
    assert_marker_intact(&s);
    /* The symlinks the guest made are the guest's business, inside. */
    cr_assert(exists(s.w, "mine") && exists(s.w, "o2"));
}

Test(mounts, escape_through_hard_links_and_renames)
{
    WS(s, "rw");
    char other[128];
    snprintf(other, sizeof other, "%s/other", s.root);
    cr_assert(mkdir(other, 0755) == 0);
    put(other, "o.txt", "OUTSIDE other mount\n");
    char spec2[256];
    /* Below the user's home, so the mount point itself may be renamed or
     * removed as far as permissions go: EBUSY, as for a mount point. */
    snprintf(spec2, sizeof spec2, "%s:/home/user/o:rw", other);
    RUN(r);
    run_sh(&r, &(struct run_opts){ .cordon_opts = ARGV("--mount", s.spec, "--mount", spec2) },
           "python3 -c '\n"
           "import os\n"
           "def t(f, *a):\n"
           "    try:\n"
           "        f(*a); print(f.__name__, a, \"ok\")\n"
           "    except OSError as e:\n"
           "        print(f.__name__, a, e.errno)\n"
           "open(\"/tmp/mem\", \"w\").write(\"mem\")\n"
           "t(os.link, \"/etc/passwd\", \"/w/l1\")\n"
           "t(os.link, \"/usr/bin/true\", \"/w/l2\")\n"
           "t(os.link, \"/home/user/o/o.txt\", \"/w/l3\")\n"
           "t(os.link, \"/w/in.txt\", \"/tmp/l4\")\n"
           "t(os.rename, \"/w/in.txt\", \"/tmp/r1\")\n"
           "t(os.rename, \"/w/in.txt\", \"/home/user/o/r2\")\n"
           "t(os.rename, \"/tmp/mem\", \"/w/r3\")\n"
           "t(os.rename, \"/home/user/o\", \"/home/user/o2\")\n"
           "t(os.rmdir, \"/home/user/o\")\n"
           "t(os.rename, \"/w/in.txt\", \"/w/moved\")\n"
           "'");
    assert_run(&r, 0,
               "link ('/etc/passwd', '/w/l1') 18\n"
               "link ('/usr/bin/true', '/w/l2') 18\n"
               "link ('/home/user/o/o.txt', '/w/l3') 18\n"
               "link ('/w/in.txt', '/tmp/l4') 18\n"
               "rename ('/w/in.txt', '/tmp/r1') 18\n"
               "rename ('/w/in.txt', '/home/user/o/r2') 18\n"
               "rename ('/tmp/mem', '/w/r3') 18\n"
               "rename ('/home/user/o', '/home/user/o2') 16\n"
               "rmdir ('/home/user/o',) 16\n"
               "rename ('/w/in.txt', '/w/moved') ok\n");
    cr_assert(!exists(s.w, "l1") && !exists(s.w, "l2") && !exists(s.w, "l3") && !exists(s.w, "r3"));
    cr_assert(exists(s.w, "moved") && !exists(other, "r2"));
    assert_marker_intact(&s);
}

Test(mounts, escape_through_proc)
{
    WS(s, "rw");
    RUN(probe);
    run_in(&probe, &s, "test -e /proc/self && echo has-proc");
    if (!strstr(probe.out, "has-proc"))
        cr_skip_test("the guest has no /proc (not served by the VFS yet): nothing to escape through");
    char script[1024];
    snprintf(script, sizeof script,
             "cd /w; exec 3</w/in.txt; for p in /proc/self/root%s /proc/self/cwd/../outside/marker"
             " /proc/self/fd/3/../../outside/marker /proc/1/root%s /proc/self/cwd/../../../..%s; do"
             " cat $p 2>/dev/null; done; echo pwned > /proc/self/cwd/../outside/pwned; echo done",
             s.marker, s.marker, s.marker);
    RUN(r);
    run_in(&r, &s, script);
    assert_lacks(&r, out, "OUTSIDE");
    assert_line(&r, out, "done");
    assert_marker_intact(&s);
}

Test(mounts, racing_path_flip_never_opens_outside)
{
    WS(s, "rw");
    char p[256];
    snprintf(p, sizeof p, "%s/up", s.w);
    cr_assert(symlink("..", p) == 0);
    RUN(r);
    run_prog(&r, &(struct run_opts){ .cordon_opts = ARGV("--mount", s.spec), .timeout_s = 90 }, "pathflip",
             ARGV("/w/in.txt", "/w/up/outside/marker", "3000"));
    assert_status(&r, 0);
    long in, outside, other, failed;
    cr_assert_eq(sscanf(r.out, "inside %ld outside %ld other %ld failed %ld", &in, &outside, &other, &failed), 4,
                 "pathflip printed: %s", r.out);
    cr_assert_eq(outside, 0, "the outside file was opened %ld times" RUN_CONTEXT, outside, RUN_CONTEXT_ARGS(&r));
    cr_assert_gt(in, 0, "the inside path never opened: the race did not run" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    cr_assert_gt(failed, 0, "the outside path never reached the sentry" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
}

Test(mounts, secrets_are_invisible)
{
    WS(s, "rw");
    char d[256];
    snprintf(d, sizeof d, "%s/.ssh", s.w);
    cr_assert(mkdir(d, 0700) == 0);
    put(d, "id_rsa", "SECRET ssh\n");
    snprintf(d, sizeof d, "%s/sub", s.w);
    cr_assert(mkdir(d, 0755) == 0);
    put(d, ".env", "SECRET env\n");
    put(d, "key.pem", "-----BEGIN EC PRIVATE KEY-----\nSECRET pem\n-----END EC PRIVATE KEY-----\n");
    put(d, "cert.pem", "-----BEGIN CERTIFICATE-----\npublic\n");
    put(d, "id_rsa.bak", "SECRET bak\n");
    put(s.w, ".netrc", "SECRET netrc\n");
    snprintf(d, sizeof d, "%s/.docker", s.w);
    cr_assert(mkdir(d, 0755) == 0);
    put(d, "config.json", "SECRET docker\n");
    put(d, "other.json", "docker-other\n");
    char events[128];
    snprintf(events, sizeof events, "%s/events.json", s.root);
    const char *const opts[] = {"-v", "--mount", s.spec, "--secret-deny", "*.bak", "--events", events, NULL};
    RUN(ls);
    run_sh(&ls, &(struct run_opts){ .cordon_opts = opts },
           "cd /w; ls -aR; find /w | sort; python3 -c '\n"
           "import os\n"
           "for d, ds, fs in os.walk(\"/w\"): print(d, sorted(ds), sorted(fs))\n"
           "'");
    assert_status(&ls, 0);
    static const char *const hidden[] = {"SECRET", "id_rsa", ".env", "key.pem", ".ssh", "config.json",
                                         ".netrc", ".bak"};
    for (size_t k = 0; k < sizeof hidden / sizeof *hidden; k++)
        assert_lacks(&ls, out, hidden[k]);
    assert_line(&ls, out, "/w ['.docker', 'sub'] ['in.txt']");
    assert_line(&ls, out, "/w/.docker [] ['other.json']");
    assert_line(&ls, out, "/w/sub [] ['cert.pem']");
    assert_line(&ls, out, "/w/sub/cert.pem");
    assert_contains(&ls, err, "cordon: audit: secret hidden /w/sub/.env");
    assert_contains(&ls, err, "cordon: audit: secret hidden /w/.ssh");
    char *ev = slurp(s.root, "events.json");
    cr_assert(ev && strstr(ev, "file.secret_probe") && strstr(ev, "/w/sub/.env"),
              "no file.secret_probe event for /w/sub/.env in %s", events);

    RUN(r);
    run_sh(&r, &(struct run_opts){ .cordon_opts = opts },
           "cd /w; python3 -c '\n"
           "import os\n"
           "for p in [\".ssh/id_rsa\", \"sub/.env\", \"sub/key.pem\", \".netrc\", \".docker/config.json\",\n"
           "          \"sub/id_rsa.bak\"]:\n"
           "    try: print(open(p).read())\n"
           "    except OSError as e: print(p, e.errno)\n"
           "for f, a in [(os.rename, (\"in.txt\", \"sub/.env\")), (os.rename, (\".netrc\", \"x\")),\n"
           "             (os.rename, (\".docker\", \"dock\")), (os.link, (\"in.txt\", \".env\")),\n"
           "             (os.mkdir, (\".aws\",)), (os.unlink, (\".netrc\",)), (os.stat, (\".ssh\",))]:\n"
           "    try: f(*a); print(f.__name__, a, \"ok\")\n"
           "    except OSError as e: print(f.__name__, a, e.errno)\n"
           "'; cat sub/cert.pem; echo x > sub/.env; echo $?");
    assert_status(&r, 0);
    assert_lacks(&r, out, "SECRET");
    assert_line(&r, out, ".ssh/id_rsa 2");
    assert_line(&r, out, "sub/.env 2");
    assert_line(&r, out, "sub/key.pem 2");
    assert_line(&r, out, ".netrc 2");
    assert_line(&r, out, ".docker/config.json 2");
    assert_line(&r, out, "sub/id_rsa.bak 2");
    assert_line(&r, out, "rename ('in.txt', 'sub/.env') 13");
    assert_line(&r, out, "rename ('.netrc', 'x') 2");
    assert_line(&r, out, "rename ('.docker', 'dock') 13");
    assert_line(&r, out, "link ('in.txt', '.env') 13");
    assert_line(&r, out, "mkdir ('.aws',) 13");
    assert_line(&r, out, "unlink ('.netrc',) 2");
    assert_line(&r, out, "stat ('.ssh',) 2");
    assert_contains(&r, out, "-----BEGIN CERTIFICATE-----\npublic\n");
    assert_line(&r, out, "2");
    cr_assert_str_eq(slurp(s.w, "sub/.env"), "SECRET env\n");
    cr_assert_str_eq(slurp(s.w, ".netrc"), "SECRET netrc\n");
    cr_assert(exists(s.w, "in.txt") && exists(s.w, ".docker/config.json") && !exists(s.w, "dock"));
}
