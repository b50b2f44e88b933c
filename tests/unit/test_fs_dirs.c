/* Directory listing and the host-object -> inode map. */
#include "tests/unit/test_fs_fixture.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>

TestSuite(fs_dirs, .init = fs_setup, .fini = fs_teardown);

struct rec {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Calls fn on each record of one getdents answer. */
static void each(const char *buf, ssize_t n, void (*fn)(const struct rec *, void *), void *arg)
{
    for (ssize_t off = 0; off < n;) {
        const struct rec *de = (const struct rec *)(buf + off);
        cr_assert_eq(de->d_reclen % 8, 0);
        cr_assert_gt(de->d_reclen, 0);
        fn(de, arg);
        off += de->d_reclen;
    }
}

enum { N = 1000 };

struct seen {
    int count[N];
    int dots;
    int removed_at;     /* after this many records, entries are deleted */
    int total;
};

static void count(const struct rec *de, void *arg)
{
    struct seen *s = arg;
    s->total++;
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
        s->dots++;
        return;
    }
    int k = atoi(de->d_name + 1);
    cr_assert(k >= 0 && k < N, "odd name %s", de->d_name);
    s->count[k]++;
    cr_assert_eq(de->d_type, DT_REG);
}

Test(fs_dirs, memory_dir_large_with_deletions)
{
    cr_assert_eq(xmkdir("/tmp/big", 0755, &user), 0);
    char p[64];
    for (int k = 0; k < N; k++) {
        snprintf(p, sizeof p, "/tmp/big/f%d", k);
        int fd = xopen(p, O_CREAT | O_WRONLY, 0644, &user);
        cr_assert_geq(fd, 0);
        close(fd);
    }
    struct inode *dir;
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "/tmp/big", 0, &user, &dir), 0);
    static struct seen s;
    memset(&s, 0, sizeof s);
    int64_t pos = 0;
    char buf[200];
    bool deleted = false;
    for (;;) {
        ssize_t n = vfs_getdents(v, dir, &pos, buf, sizeof buf);
        cr_assert_geq(n, 0, "getdents: %s", strerror((int)-n));
        if (n == 0)
            break;
        each(buf, n, count, &s);
        if (!deleted && s.total > N / 2) {
            /* Remove every even entry, seen or not, and add new ones. */
            for (int k = 0; k < N; k += 2) {
                snprintf(p, sizeof p, "/tmp/big/f%d", k);
                cr_assert_eq(xunlink(p, 0, &user), 0);
            }
            deleted = true;
        }
    }
    cr_assert_eq(s.dots, 2);
    for (int k = 0; k < N; k++) {
        if (k % 2)
            cr_assert_eq(s.count[k], 1, "f%d seen %d times", k, s.count[k]);
        else
            cr_assert_leq(s.count[k], 1, "f%d seen %d times", k, s.count[k]);
    }
    /* A fresh listing sees exactly the survivors. */
    memset(&s, 0, sizeof s);
    pos = 0;
    ssize_t n;
    static char big[65536];
    while ((n = vfs_getdents(v, dir, &pos, big, sizeof big)) > 0)
        each(big, n, count, &s);
    cr_assert_eq(n, 0);
    for (int k = 0; k < N; k++)
        cr_assert_eq(s.count[k], k % 2, "f%d", k);
    cr_assert_eq(vfs_getdents(v, dir, &(int64_t){0}, buf, 10), -EINVAL);
    inode_put(dir);
}

struct find {
    const char *name;
    uint64_t ino;
    unsigned char type;
    int hits;
    uint64_t dotdot;
};

static void find(const struct rec *de, void *arg)
{
    struct find *f = arg;
    if (!strcmp(de->d_name, f->name)) {
        f->hits++;
        f->ino = de->d_ino;
        f->type = de->d_type;
    }
    if (!strcmp(de->d_name, ".."))
        f->dotdot = de->d_ino;
}

static void list(const char *path, struct find *f)
{
    struct inode *dir;
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), path, 0, &user, &dir), 0);
    int64_t pos = 0;
    ssize_t n;
    char buf[4096];
    while ((n = vfs_getdents(v, dir, &pos, buf, sizeof buf)) > 0)
        each(buf, n, find, f);
    cr_assert_eq(n, 0, "getdents %s: %s", path, strerror((int)-n));
    inode_put(dir);
}

Test(fs_dirs, host_dir_listing)
{
    struct find f = {.name = "python3"};
    list("/usr/bin", &f);
    cr_assert_eq(f.hits, 1);
    cr_assert_eq(f.type, DT_LNK);
    struct stat st;
    cr_assert_eq(xlstat("/usr/bin/python3", &st), 0);
    cr_assert_eq(f.ino, st.st_ino);
    /* The graft root's ".." is the guest's root. */
    struct find u = {.name = "bin"};
    list("/usr", &u);
    cr_assert_eq(xstat("/", &st), 0);
    cr_assert_eq(u.dotdot, st.st_ino);
    cr_assert_eq(xstat("/usr/bin", &st), 0);
    cr_assert_eq(u.ino, st.st_ino);
    /* The root lists the runtime, /etc and /tmp, not the host's /root. */
    struct find r = {.name = "root"};
    list("/", &r);
    cr_assert_eq(r.hits, 0);
    struct find t = {.name = "usr"};
    list("/", &t);
    cr_assert_eq(t.hits, 1);
    cr_assert_eq(t.type, DT_DIR);
}

Test(fs_dirs, inode_of_round_trip)
{
    make_file("/tmp/f", "x", 0644, &user);
    struct inode *want, *got;
    int fd = xopen("/tmp/f", O_RDWR, 0, &user);
    cr_assert_geq(fd, 0);
    struct stat hst;
    cr_assert_eq(fstat(fd, &hst), 0);
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "/tmp/f", 0, &user, &want), 0);
    got = vfs_inode_of(v, &hst);
    cr_assert_eq(got, want);
    inode_put(want);
    close(fd);

    fd = xopen("/tmp", O_RDONLY | O_DIRECTORY, 0, &user);
    cr_assert_geq(fd, 0);
    cr_assert_eq(fstat(fd, &hst), 0);
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "/tmp", 0, &user, &want), 0);
    got = vfs_inode_of(v, &hst);
    cr_assert_eq(got, want);
    cr_assert(inode_is_dir(got));
    /* A second open of the same directory maps to it too. */
    int fd2 = xopen("/tmp/", O_RDONLY, 0, &user);
    cr_assert_eq(fstat(fd2, &hst), 0);
    cr_assert_eq(vfs_inode_of(v, &hst), want);
    close(fd2);
    inode_put(want);
    close(fd);

    fd = xopen("/usr/bin", O_RDONLY | O_DIRECTORY, 0, &user);
    cr_assert_eq(fstat(fd, &hst), 0);
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "/usr/bin", 0, &user, &want), 0);
    cr_assert_eq(vfs_inode_of(v, &hst), want);
    inode_put(want);
    close(fd);

    fd = xopen("/usr/bin/python3", O_RDONLY, 0, &user);
    cr_assert_geq(fd, 0);
    cr_assert_eq(fstat(fd, &hst), 0);
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "/usr/bin/python3", 0, &user, &want), 0);
    cr_assert_eq(vfs_inode_of(v, &hst), want);
    inode_put(want);
    close(fd);

    /* Objects the VFS did not make are not its own. */
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(fstat(p[0], &hst), 0);
    cr_assert_null(vfs_inode_of(v, &hst));
    struct stat fst;
    vfs_set_host_ids(v, hst.st_uid, hst.st_gid);
    vfs_stat_foreign(v, &hst, &fst);
    cr_assert_eq(fst.st_uid, 1000u);
    close(p[0]);
    close(p[1]);
}
