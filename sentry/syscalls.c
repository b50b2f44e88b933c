/* sentry/syscalls.c — every syscall cordon knows, and what it does with it.
 *
 * native:   the host kernel runs it (guest memory, threads, fds it holds);
 * serviced: the sentry's handler carries it out;
 * gated:    native when its arguments pass a filter rule, else the handler
 *           decides (and audits);
 * denied:   EPERM with an audit line;
 * exec:     a ptrace stop resolved by sentry/exec.c.
 * A number not listed here is ENOSYS, never allowed.
 */
#include "sentry/syscalls.h"

#include <errno.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_futex_wake
#define __NR_futex_wake 454
#define __NR_futex_wait 455
#define __NR_futex_requeue 456
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

#define ROW(cls_, ...) { .cls = cls_, __VA_ARGS__ }
#define NATIVE(n)          [__NR_##n] = { #n, ROW(SYS_NATIVE) }
#define SERVICED(n, h)     [__NR_##n] = { #n, ROW(SYS_SERVICED), h }
#define DENIED(n)          [__NR_##n] = { #n, ROW(SYS_SERVICED), sys_denied }
#define EXEC(n)            [__NR_##n] = { #n, ROW(SYS_EXEC) }
#define ERRNO(n, e)        [__NR_##n] = { #n, ROW(SYS_ERRNO, .err = e) }
#define GATED(n, h, rules) \
    [__NR_##n] = { #n, ROW(SYS_SERVICED, .native = rules, \
                           .nnative = sizeof rules / sizeof rules[0]), h }

#define EQ(a, v) { .arg = a, .mask = 0xffffffffu, .equals = (uint32_t)(v) }

/* Terminal and fd ioctls that touch only the caller's own objects. TIOCSTI
 * (inject input into the terminal: bubblewrap's CVE-2017-5226), TIOCLINUX,
 * TIOCCONS and the rest reach the handler. */
static const struct sys_argrule ioctl_native[] = {
    EQ(1, TCGETS), EQ(1, TCSETS), EQ(1, TCSETSW), EQ(1, TCSETSF), EQ(1, TCGETA),
    EQ(1, TCSETA), EQ(1, TCSETAW), EQ(1, TCSETAF), EQ(1, TCSBRK), EQ(1, TCSBRKP),
    EQ(1, TCXONC), EQ(1, TCFLSH), EQ(1, TIOCGPGRP), EQ(1, TIOCSPGRP), EQ(1, TIOCOUTQ),
    EQ(1, TIOCGWINSZ), EQ(1, TIOCSWINSZ), EQ(1, TIOCGSID), EQ(1, TIOCSBRK), EQ(1, TIOCCBRK),
    EQ(1, FIONREAD), EQ(1, FIONBIO), EQ(1, FIOCLEX), EQ(1, FIONCLEX), EQ(1, FIOASYNC),
    /* ptys: a master's number, lock and peer; a session taking or leaving
     * its controlling terminal (stealing one needs CAP_SYS_ADMIN) */
    EQ(1, TIOCGPTN), EQ(1, TIOCSPTLCK), EQ(1, TIOCGPTLCK), EQ(1, TIOCGPTPEER),
    EQ(1, TIOCSCTTY), EQ(1, TIOCNOTTY), EQ(1, TIOCPKT), EQ(1, TIOCGPKT),
    /* TCGETS2 family (struct termios2 is 44 bytes) */
    EQ(1, _IOR('T', 0x2A, char[44])), EQ(1, _IOW('T', 0x2B, char[44])),
    EQ(1, _IOW('T', 0x2C, char[44])), EQ(1, _IOW('T', 0x2D, char[44])),
};

/* prctl options that only read or narrow the caller itself. */
static const struct sys_argrule prctl_native[] = {
    EQ(0, PR_SET_NAME), EQ(0, PR_GET_NAME), EQ(0, PR_SET_PDEATHSIG), EQ(0, PR_GET_PDEATHSIG),
    EQ(0, PR_GET_DUMPABLE), EQ(0, PR_SET_DUMPABLE), EQ(0, PR_GET_KEEPCAPS),
    EQ(0, PR_SET_NO_NEW_PRIVS), EQ(0, PR_GET_NO_NEW_PRIVS), EQ(0, PR_CAPBSET_READ),
    EQ(0, PR_GET_SECUREBITS), EQ(0, PR_SET_CHILD_SUBREAPER), EQ(0, PR_GET_CHILD_SUBREAPER),
    EQ(0, PR_GET_TIMERSLACK), EQ(0, PR_SET_TIMERSLACK), EQ(0, PR_GET_SECCOMP),
    EQ(0, PR_SET_VMA), EQ(0, PR_GET_THP_DISABLE), EQ(0, PR_SET_THP_DISABLE),
    EQ(0, PR_GET_TID_ADDRESS), EQ(0, PR_SET_TIMING), EQ(0, PR_GET_TIMING),
};

/* New namespaces are the sentry's to make; CLONE_UNTRACED would let a
 * child escape the tracer. */
#define CLONE_FORBIDDEN (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
                         CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME | \
                         CLONE_UNTRACED)
static const struct sys_argrule clone_native[] = {
    { .arg = 0, .mask = CLONE_FORBIDDEN, .equals = 0 },
};

/* Sockets live in the guest's own network namespace (loopback only; raw
 * sockets need a capability the guest does not hold). Netlink is made by
 * the sentry, NETLINK_ROUTE only. */
static const struct sys_argrule socket_native[] = {
    EQ(0, AF_UNIX), EQ(0, AF_INET), EQ(0, AF_INET6),
};
/* sendto without an address is a send on a connected socket. */
static const struct sys_argrule sendto_native[] = {
    { .arg = 4, .mask = ~0ull, .equals = 0 },
};
static const struct sys_argrule socketpair_native[] = { EQ(0, AF_UNIX) };

const struct sysent syscall_table[SYSCALL_MAX] = {
    /* --- files: serviced, the VFS is the only view of files -------------- */
    SERVICED(open, sys_open),          SERVICED(openat, sys_openat),
    SERVICED(openat2, sys_openat2),
    SERVICED(creat, sys_creat),        SERVICED(stat, sys_stat),
    SERVICED(lstat, sys_lstat),        SERVICED(fstat, sys_fstat),
    SERVICED(newfstatat, sys_newfstatat), SERVICED(statx, sys_statx),
    SERVICED(access, sys_access),      SERVICED(faccessat, sys_faccessat),
    SERVICED(faccessat2, sys_faccessat2), SERVICED(readlink, sys_readlink),
    SERVICED(readlinkat, sys_readlinkat), SERVICED(truncate, sys_truncate),
    SERVICED(chmod, sys_chmod),        SERVICED(fchmod, sys_fchmod),
    SERVICED(fchmodat, sys_fchmodat),  SERVICED(fchmodat2, sys_fchmodat2),
    SERVICED(chown, sys_chown),        SERVICED(lchown, sys_lchown),
    SERVICED(fchown, sys_fchown),      SERVICED(fchownat, sys_fchownat),
    SERVICED(utimensat, sys_utimensat), SERVICED(utime, sys_utime),
    SERVICED(utimes, sys_utimes),      SERVICED(futimesat, sys_futimesat),
    SERVICED(statfs, sys_statfs),      SERVICED(fstatfs, sys_fstatfs),
    SERVICED(mknod, sys_mknod),        SERVICED(mknodat, sys_mknodat),
    SERVICED(getxattr, sys_xattr_get), SERVICED(lgetxattr, sys_xattr_get),
    SERVICED(fgetxattr, sys_xattr_get), SERVICED(listxattr, sys_xattr_list),
    SERVICED(llistxattr, sys_xattr_list), SERVICED(flistxattr, sys_xattr_list),
    SERVICED(setxattr, sys_xattr_set), SERVICED(lsetxattr, sys_xattr_set),
    SERVICED(inotify_init, sys_inotify_init), SERVICED(inotify_init1, sys_inotify_init1),
    SERVICED(inotify_add_watch, sys_inotify_add_watch),
    SERVICED(inotify_rm_watch, sys_inotify_rm_watch),
    SERVICED(fsetxattr, sys_xattr_set), SERVICED(removexattr, sys_xattr_set),
    SERVICED(lremovexattr, sys_xattr_set), SERVICED(fremovexattr, sys_xattr_set),
    /* --- directories and the task's fs state ----------------------------- */
    SERVICED(getdents64, sys_getdents64), SERVICED(mkdir, sys_mkdir),
    SERVICED(mkdirat, sys_mkdirat),    SERVICED(rmdir, sys_rmdir),
    SERVICED(unlink, sys_unlink),      SERVICED(unlinkat, sys_unlinkat),
    SERVICED(rename, sys_rename),      SERVICED(renameat, sys_renameat),
    SERVICED(renameat2, sys_renameat2), SERVICED(link, sys_link),
    SERVICED(linkat, sys_linkat),      SERVICED(symlink, sys_symlink),
    SERVICED(symlinkat, sys_symlinkat), SERVICED(chdir, sys_chdir),
    SERVICED(fchdir, sys_fchdir),      SERVICED(getcwd, sys_getcwd),
    SERVICED(umask, sys_umask),
    /* --- exec: a ptrace stop --------------------------------------------- */
    EXEC(execve), EXEC(execveat),
    /* --- gated: native for safe arguments -------------------------------- */
    GATED(ioctl, sys_ioctl, ioctl_native), GATED(prctl, sys_prctl, prctl_native),
    GATED(clone, sys_clone, clone_native), GATED(socket, sys_socket_create, socket_native),
    GATED(socketpair, sys_socket, socketpair_native),
    /* glibc falls back to clone(2), whose flags the filter can see. */
    ERRNO(clone3, ENOSYS),
    /* --- native: the caller's own memory, fds, threads and signals ------- */
    NATIVE(read), NATIVE(write), NATIVE(readv), NATIVE(writev), NATIVE(pread64),
    NATIVE(pwrite64), NATIVE(preadv), NATIVE(pwritev), NATIVE(preadv2), NATIVE(pwritev2),
    NATIVE(lseek), NATIVE(close), NATIVE(close_range), NATIVE(dup), NATIVE(dup2), NATIVE(dup3),
    NATIVE(fcntl), NATIVE(flock), NATIVE(fsync), NATIVE(fdatasync), NATIVE(sync),
    NATIVE(syncfs), NATIVE(sync_file_range), NATIVE(ftruncate), NATIVE(fallocate),
    NATIVE(fadvise64), NATIVE(readahead), NATIVE(sendfile), NATIVE(copy_file_range),
    NATIVE(splice), NATIVE(tee), NATIVE(vmsplice), NATIVE(pipe), NATIVE(pipe2),
    NATIVE(mmap), NATIVE(munmap), NATIVE(mprotect), NATIVE(mremap), NATIVE(madvise),
    NATIVE(msync), NATIVE(mincore), NATIVE(brk), NATIVE(mlock), NATIVE(mlock2),
    NATIVE(munlock), NATIVE(mlockall), NATIVE(munlockall), NATIVE(remap_file_pages),
    NATIVE(membarrier), NATIVE(memfd_create), NATIVE(pkey_alloc), NATIVE(pkey_free),
    NATIVE(pkey_mprotect), NATIVE(get_mempolicy), NATIVE(set_mempolicy), NATIVE(mbind),
    NATIVE(futex), NATIVE(futex_waitv), NATIVE(futex_wake), NATIVE(futex_wait),
    NATIVE(futex_requeue), NATIVE(set_robust_list), NATIVE(get_robust_list), NATIVE(rseq),
    NATIVE(set_tid_address), NATIVE(arch_prctl), NATIVE(exit), NATIVE(exit_group),
    NATIVE(fork), NATIVE(vfork), NATIVE(wait4), NATIVE(waitid), NATIVE(kill), NATIVE(tkill),
    NATIVE(tgkill), NATIVE(rt_sigaction), NATIVE(rt_sigprocmask), NATIVE(rt_sigreturn),
    NATIVE(rt_sigpending), NATIVE(rt_sigtimedwait), NATIVE(rt_sigsuspend),
    NATIVE(rt_sigqueueinfo), NATIVE(rt_tgsigqueueinfo), NATIVE(sigaltstack), NATIVE(pause),
    NATIVE(restart_syscall), NATIVE(pidfd_open), NATIVE(pidfd_send_signal),
    NATIVE(nanosleep), NATIVE(clock_nanosleep), NATIVE(clock_gettime), NATIVE(clock_getres),
    NATIVE(gettimeofday), NATIVE(time), NATIVE(alarm), NATIVE(getitimer), NATIVE(setitimer),
    NATIVE(timer_create), NATIVE(timer_settime), NATIVE(timer_gettime),
    NATIVE(timer_getoverrun), NATIVE(timer_delete), NATIVE(timerfd_create),
    NATIVE(timerfd_settime), NATIVE(timerfd_gettime), NATIVE(eventfd), NATIVE(eventfd2),
    NATIVE(signalfd), NATIVE(signalfd4), NATIVE(poll), NATIVE(ppoll), NATIVE(select),
    NATIVE(pselect6), NATIVE(epoll_create), NATIVE(epoll_create1), NATIVE(epoll_ctl),
    NATIVE(epoll_wait), NATIVE(epoll_pwait), NATIVE(epoll_pwait2), NATIVE(getpid),
    NATIVE(getppid), NATIVE(gettid), NATIVE(getuid), NATIVE(geteuid), NATIVE(getgid),
    NATIVE(getegid), NATIVE(getresuid), NATIVE(getresgid), NATIVE(getgroups),
    NATIVE(setuid), NATIVE(setgid), NATIVE(setreuid), NATIVE(setregid), NATIVE(setresuid),
    NATIVE(setresgid), NATIVE(setfsuid), NATIVE(setfsgid), NATIVE(setgroups),
    NATIVE(capget), NATIVE(capset), NATIVE(getpgrp), NATIVE(getpgid), NATIVE(setpgid),
    NATIVE(getsid), NATIVE(setsid), NATIVE(getpriority), NATIVE(setpriority),
    NATIVE(ioprio_get), NATIVE(ioprio_set), NATIVE(sched_yield), NATIVE(sched_getaffinity),
    NATIVE(sched_setaffinity), NATIVE(sched_getparam), NATIVE(sched_setparam),
    NATIVE(sched_getscheduler), NATIVE(sched_setscheduler), NATIVE(sched_get_priority_max),
    NATIVE(sched_get_priority_min), NATIVE(sched_rr_get_interval), NATIVE(sched_getattr),
    NATIVE(sched_setattr), NATIVE(getcpu), NATIVE(getrlimit), NATIVE(setrlimit),
    NATIVE(prlimit64), NATIVE(getrusage), NATIVE(times), NATIVE(sysinfo), NATIVE(uname),
    NATIVE(personality), NATIVE(getrandom), NATIVE(io_setup), NATIVE(io_destroy),
    NATIVE(io_submit), NATIVE(io_cancel), NATIVE(io_getevents), NATIVE(io_pgetevents),
    NATIVE(shmget), NATIVE(shmat), NATIVE(shmctl), NATIVE(shmdt), NATIVE(semget),
    NATIVE(semop), NATIVE(semctl), NATIVE(semtimedop), NATIVE(msgget), NATIVE(msgsnd),
    NATIVE(msgrcv), NATIVE(msgctl), NATIVE(landlock_create_ruleset), NATIVE(landlock_add_rule),
    NATIVE(landlock_restrict_self),
    /* --- sockets: every address is the sentry's (sentry/sys_net.c) ------- */
    SERVICED(connect, sys_connect),    SERVICED(bind, sys_bind),
    SERVICED(getsockname, sys_getsockname), SERVICED(getpeername, sys_getpeername),
    GATED(sendto, sys_sendto, sendto_native),
    /* The guest's network namespace has only loopback: an outside address
     * in sendmsg/sendmmsg fails in the kernel (see README, Network). */
    NATIVE(listen), NATIVE(accept), NATIVE(accept4), NATIVE(recvfrom), NATIVE(sendmsg),
    NATIVE(recvmsg), NATIVE(sendmmsg), NATIVE(recvmmsg), NATIVE(shutdown),
    NATIVE(setsockopt), NATIVE(getsockopt),
    /* --- denied: EPERM and an audit line ---------------------------------- */
    DENIED(seccomp), DENIED(ptrace), DENIED(process_vm_readv), DENIED(process_vm_writev),
    DENIED(io_uring_setup), DENIED(io_uring_enter), DENIED(io_uring_register),
    DENIED(mount), DENIED(umount2), DENIED(pivot_root), DENIED(chroot), DENIED(bpf),
    DENIED(keyctl), DENIED(add_key), DENIED(request_key), DENIED(userfaultfd),
    DENIED(perf_event_open), DENIED(open_by_handle_at), DENIED(name_to_handle_at),
    DENIED(unshare), DENIED(setns), DENIED(kexec_load), DENIED(kexec_file_load),
    DENIED(init_module), DENIED(finit_module), DENIED(delete_module), DENIED(reboot),
    DENIED(swapon), DENIED(swapoff), DENIED(acct), DENIED(settimeofday),
    DENIED(clock_settime), DENIED(clock_adjtime), DENIED(adjtimex), DENIED(sethostname),
    DENIED(setdomainname), DENIED(iopl), DENIED(ioperm), DENIED(modify_ldt),
    DENIED(quotactl), DENIED(quotactl_fd), DENIED(lookup_dcookie), DENIED(vhangup),
    DENIED(syslog), DENIED(uselib), DENIED(kcmp), DENIED(fanotify_init),
    DENIED(fanotify_mark), DENIED(fsopen), DENIED(fsconfig), DENIED(fsmount),
    DENIED(fspick), DENIED(move_mount), DENIED(open_tree), DENIED(mount_setattr),
    DENIED(pidfd_getfd), DENIED(process_madvise), DENIED(process_mrelease),
    DENIED(migrate_pages), DENIED(move_pages),
};
