/* sentry/syscalls.h — the syscall table: number -> class + handler.
 * The seccomp filter is generated from it; dispatch indexes it directly. */
#ifndef CORDON_SENTRY_SYSCALLS_H
#define CORDON_SENTRY_SYSCALLS_H

#include "sentry/sentry.h"

typedef long sys_handler(struct session *s, struct call *c);

struct sysent {
    const char *name;
    struct sys_filter_row row;
    sys_handler *fn;    /* SYS_SERVICED */
};

#define SYSCALL_MAX 512
extern const struct sysent syscall_table[SYSCALL_MAX];

/* Handlers, one file per family. */
/* sentry/sys_file.c */
sys_handler sys_open, sys_openat, sys_openat2, sys_creat, sys_stat, sys_lstat, sys_fstat, sys_newfstatat,
    sys_statx, sys_access, sys_faccessat, sys_faccessat2, sys_readlink, sys_readlinkat,
    sys_truncate, sys_chmod, sys_fchmod, sys_fchmodat, sys_fchmodat2, sys_chown, sys_lchown,
    sys_fchown, sys_fchownat, sys_utimensat, sys_utime, sys_utimes, sys_futimesat, sys_statfs,
    sys_fstatfs, sys_mknod, sys_mknodat;
/* sentry/sys_inotify.c */
sys_handler sys_inotify_init, sys_inotify_init1, sys_inotify_add_watch, sys_inotify_rm_watch;
/* sentry/sys_xattr.c */
sys_handler sys_xattr_get, sys_xattr_list, sys_xattr_set;
/* sentry/sys_dir.c */
sys_handler sys_getdents64, sys_mkdir, sys_mkdirat, sys_rmdir, sys_unlink, sys_unlinkat,
    sys_rename, sys_renameat, sys_renameat2, sys_link, sys_linkat, sys_symlink, sys_symlinkat,
    sys_chdir, sys_fchdir, sys_getcwd, sys_umask;
/* sentry/sys_gate.c */
sys_handler sys_denied, sys_ioctl, sys_prctl, sys_clone, sys_socket, sys_unlisted;

/* sentry/sys_net.c */
sys_handler sys_connect, sys_bind, sys_sendto, sys_getsockname, sys_getpeername,
    sys_socket_create;

#endif
