/* rewrite_syscall — a hostile guest: one thread opens files in a loop
 * through its own `syscall` instruction while another keeps overwriting
 * that instruction with `jmp .` and finally leaves it so. A platform that
 * runs calls in the guest by returning to that instruction (ptrace's fd
 * installation) may find the thread spinning there instead of reaching its
 * next stop; the session must still end at --timeout. Never exits by
 * itself: whichever way, the opening thread ends up spinning.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SYSCALL_AT 8   /* offset of the `syscall` instruction in the stub */
#define INSN_SYSCALL 0x050f
#define INSN_JMP_SELF 0xfeeb

static volatile uint16_t *insn;

static _Noreturn void *rewriter(void *arg)
{
    (void)arg;
    for (long n = 0; n < 2000000; n++) {
        *insn = INSN_JMP_SELF;   /* 2-byte aligned: one atomic store */
        *insn = INSN_SYSCALL;
    }
    *insn = INSN_JMP_SELF;
    for (;;)
        pause();
}

int main(void)
{
    /* mov eax, SYS_openat; mov r10, rcx; syscall; ret */
    static const unsigned char stub[] = {
        0xb8, 0x01, 0x01, 0x00, 0x00, 0x49, 0x89, 0xca, 0x0f, 0x05, 0xc3,
    };
    unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("rewrite_syscall: mmap");
        return 1;
    }
    memcpy(code, stub, sizeof stub);
    insn = (volatile uint16_t *)(code + SYSCALL_AT);
    long (*openat_stub)(long, const char *, long, long) = (void *)code;
    pthread_t th;
    if (pthread_create(&th, NULL, rewriter, NULL) != 0) {
        perror("rewrite_syscall: pthread_create");
        return 1;
    }
    for (;;) {
        long fd = openat_stub(AT_FDCWD, "/etc/hostname", O_RDONLY, 0);
        if (fd >= 0)
            close((int)fd);
    }
}
