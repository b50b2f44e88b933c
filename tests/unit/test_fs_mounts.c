/* Workspace mounts in the VFS alone: the secret rules' matching (anchors,
 * directory-only rules, multi-component rules, allow over deny) and the
 * errno values at the mount's edges, on a host directory made per test. */
#include "tests/unit/test_fs_fixture.h"

#include <ftw.h>
#include <stdlib.h>

static char host[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static void host_file(const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", host, rel);
    FILE *f = fopen(p, "w");
    cr_assert(f, "%s", p);
    fputs(text, f);
    fclose(f);
}

static void host_dir(const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", host, rel);
    cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
}

static void mount_setup(void)
{
    fs_setup();
    snprintf(host, sizeof host, "/tmp/cordon-unit-mount-XXXXXX");
    cr_assert(mkdtemp(host));
    chmod(host, 0755);
}

static void mount_teardown(void)
{
    fs_teardown();
    nftw(host, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(fs_mounts, .init = mount_setup, .fini = mount_teardown);

static void do_mount(unsigned flags, const char *const *deny, const char *const *allow,
                     bool no_defaults)
{
    struct err e = {0};
    struct vfs_secrets s = {.deny = deny, .allow = allow, .no_defaults = no_defaults};
    cr_assert_eq(vfs_set_secrets(v, &s, &e), 0, "%s", e.msg);
    cr_assert_eq(vfs_mount(v, host, "/w", flags, &e), 0, "%s", e.msg);
}

Test(fs_mounts, rules_match_by_name_anchor_and_type)
{
    host_dir("a");
    host_dir("a/conf");
    host_dir("conf");
    host_dir("keys");
    host_file("a/conf/db.yml", "x");
    host_file("conf/db.yml", "x");
    host_dir("a/keys");
    host_file("a/keys.txt", "x");
    host_file("top.key", "x");
    host_file("a/top.key", "x");
    host_file("a/.env", "x");
    host_file("a/.env.example", "x");
    static const char *const deny[] = {"/top.key", "conf/db.yml", "keys/", NULL};
    static const char *const allow[] = {"a/conf/db.yml", ".env.example", NULL};
    do_mount(VFS_MOUNT_RW, deny, allow, false);
    struct stat st;
    cr_assert_eq(xstat("/w/top.key", &st), -ENOENT, "anchored rule");
    cr_assert_eq(xstat("/w/a/top.key", &st), 0, "an anchored rule is the root's only");
    cr_assert_eq(xstat("/w/conf/db.yml", &st), -ENOENT, "a two-component rule");
    cr_assert_eq(xstat("/w/a/conf/db.yml", &st), 0, "allowed by a longer rule");
    cr_assert_eq(xstat("/w/keys", &st), -ENOENT, "a directory rule");
    cr_assert_eq(xstat("/w/a/keys", &st), -ENOENT, "at any depth");
    cr_assert_eq(xstat("/w/a/keys.txt", &st), 0, "a directory rule spares files");
    cr_assert_eq(xstat("/w/a/.env", &st), -ENOENT, "the defaults stay");
    cr_assert_eq(xstat("/w/a/.env.example", &st), 0);
    /* "conf" of "conf/db.yml" must not move, or db.yml would show. */
    cr_assert_eq(xrename("/w/conf", "/w/c2", 0, &user), -EACCES);
    cr_assert_eq(xrename("/w/a", "/w/a2", 0, &user), 0, "a directory no rule names moves");
}

Test(fs_mounts, bad_rules_are_refused_by_name)
{
    static const char *const bad[][2] = {{"a/**/b", NULL}, {"a//b", NULL}, {"../x", NULL},
                                         {"/", NULL}, {"", NULL}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        struct err e = {0};
        struct vfs_secrets s = {.deny = bad[k]};
        cr_assert_eq(vfs_set_secrets(v, &s, &e), -1, "rule \"%s\" accepted", bad[k][0]);
        cr_assert(strstr(e.msg, "secret rule"), "message: %s", e.msg);
    }
}

Test(fs_mounts, defaults_off_shows_everything_and_ro_refuses)
{
    host_file(".env", "x");
    host_dir(".ssh");
    do_mount(0, NULL, NULL, true);
    struct stat st;
    cr_assert_eq(xstat("/w/.env", &st), 0);
    cr_assert_eq(xstat("/w/.ssh", &st), 0);
    cr_assert_eq(xrename("/w/.env", "/w/e", 0, &user), -EROFS);
    cr_assert_eq(xopen("/w/.env", O_WRONLY, 0, &user), -EROFS);
    cr_assert_eq(xmkdir("/w/d", 0755, &user), -EROFS);
}

Test(fs_mounts, edges_of_a_writable_mount)
{
    host_dir("d");
    host_file("d/f", "data");
    do_mount(VFS_MOUNT_RW, NULL, NULL, false);
    make_file("/tmp/mem", "m", 0644, &user);
    cr_assert_eq(xrename("/w/d/f", "/tmp/f", 0, &user), -EXDEV);
    cr_assert_eq(xrename("/tmp/mem", "/w/mem", 0, &user), -EXDEV);
    cr_assert_eq(vfs_linkat(v, vfs_root(v), "/w/d/f", vfs_root(v), "/tmp/l", false, &user), -EXDEV);
    cr_assert_eq(xrename("/w/d/f", "/w/g", 0, &user), 0);
    char buf[16];
    read_file("/w/g", buf, sizeof buf);
    cr_assert_str_eq(buf, "data");
    cr_assert_eq(xmkdir("/w/.ssh", 0700, &user), -EACCES, "a secret's name cannot be made");
    cr_assert_eq(xsymlink("../../etc/passwd", "/w/up"), 0);
    read_file("/w/up", buf, sizeof buf);   /* the guest's own /etc/passwd */
    cr_assert(!strncmp(buf, "root:x:0:0", 10), "got %s", buf);
    struct stat st;
    cr_assert_eq(xstat("/w/g", &st), 0);
    cr_assert_eq(st.st_uid, 1000u, "the mount owner's file is the guest user's");
}
