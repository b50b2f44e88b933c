/* platform/guest_mem.c — reading and writing guest memory. */
#include "platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096u

int guest_mem_open(pid_t tid)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/mem", (int)tid);
    int fd = open(p, O_RDWR | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int guest_read(int memfd, uint64_t addr, void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (addr + len < addr || addr > INT64_MAX)
        return -EFAULT;
    ssize_t n = pread(memfd, buf, len, (off_t)addr);
    return n == (ssize_t)len ? 0 : -EFAULT;
}

int guest_write(int memfd, uint64_t addr, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (addr + len < addr || addr > INT64_MAX)
        return -EFAULT;
    ssize_t n = pwrite(memfd, buf, len, (off_t)addr);
    return n == (ssize_t)len ? 0 : -EFAULT;
}

ssize_t guest_read_str(int memfd, uint64_t addr, char *buf, size_t size)
{
    size_t got = 0;
    /* Page by page: a string may end just before an unmapped page, and a
     * read that crossed into it would fail as a whole. */
    while (got < size) {
        size_t chunk = PAGE - (size_t)((addr + got) % PAGE);
        if (chunk > size - got)
            chunk = size - got;
        if (addr + got < addr || addr + got > INT64_MAX)
            return -EFAULT;
        ssize_t n = pread(memfd, buf + got, chunk, (off_t)(addr + got));
        if (n <= 0)
            return -EFAULT;
        char *nul = memchr(buf + got, '\0', (size_t)n);
        if (nul)
            return nul - buf;
        got += (size_t)n;
    }
    buf[size - 1] = '\0';
    return -ENAMETOOLONG;
}

/* Checks in the style of pread/pwrite above: a short transfer is a fault. */
static int stopped_rw(pid_t pid, uint64_t addr, void *buf, size_t len, bool write)
{
    struct iovec local = { .iov_base = buf, .iov_len = len };
    struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
    ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
                      : process_vm_readv(pid, &local, 1, &remote, 1, 0);
    return n == (ssize_t)len ? 0 : -EFAULT;
}

int stopped_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    return stopped_rw(pid, addr, buf, len, false);
}

int stopped_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
    return stopped_rw(pid, addr, (void *)buf, len, true);
}
