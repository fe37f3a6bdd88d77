/* fuzz-host.c: runs a fuzz program's mode-neutral instructions on the host CPU (docs/fuzzing.md, HostCpuOracle).
 *
 * x86-64 Linux only. The runner re-encodes the program's body as 64-bit code with 32-bit addressing (0x67) and 8/16/32-bit
 * operands, which the SDM defines to compute what the 32-bit forms compute. This process maps the guest's low memory
 * where the guest has it (data pages at 0x4000, the image at 1 MiB: addr32 references then hit the same bytes), and
 * for each request on stdin runs the body between a register load and a register store, then prints the lines the
 * guest harness prints: "R eax ecx edx ebx esp ebp esi edi eflags" and "M" with the FNV-1a hash of each data page.
 * A signal in the body prints "S signo offset-in-body" instead; a body running past a second prints "T".
 * Guest memory past its 4 MiB is unbacked (reads see zeros, writes vanish): a read of such an address maps a zero
 * page there, read-only, and runs the request again from the start; a write there (or any access to page 0, which
 * the host keeps unmapped) prints "U address": the host cannot model it, and the program is not compared. So does
 * an access to the pages where the guest's loader wrote the multiboot information (memory map at 0x9000, the info,
 * the boot loader's name and the command line after it: MultibootLoader), which the host does not have: those
 * pages are kept inaccessible rather than zero (seed 2023819 read the memory map at 0x9060). The rest of the low
 * 4 MiB is zero in the guest before the harness runs, as here, apart from the image.
 *
 * Request (little endian): u32 code length, u32 image length, u32 eax..edi (8), u32 eflags, then the code, the image
 * (loaded at 1 MiB) and the data pages (0x4000..0x7000). A code length of 0xFFFFFFFF ends the process.
 * At start it prints "ready" or "error: ..." (then exits 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define LOW_START 0x1000u    /* page 0 stays unmapped, as the kernel wants it */
#define LOW_END 0x400000u    /* the guest's 4 MiB */
#define DATA_START 0x4000u
#define DATA_END 0x7000u
#define IMAGE_AT 0x100000u
#define CODE_MAX 0x10000u
#define LOADER_START 0x9000u /* MultibootLoader.MemoryMapAddress */
#define LOADER_END 0xB000u   /* past the info, the name and a command line of up to 4 KiB */

struct state { uint32_t r[8]; uint32_t eflags; };

static uint8_t *code;
static sigjmp_buf escape;
static volatile int caught_signal;
static volatile uint64_t caught_rip, caught_address, caught_error;
static struct state regs;
static uint8_t image[LOW_END - IMAGE_AT], data[DATA_END - DATA_START]; /* a request's memory, kept to run it again */

/* Loads EAX..EDI (not ESP) and the flags from regs, calls the body, stores them back. The body touches neither the
 * stack nor R8..R15 (32-bit code cannot name them), so R12 keeps the state's address across it. */
__attribute__((noinline)) static void run_body(struct state *s, void *body)
{
    __asm__ volatile(
        "push %%rbx\n\tpush %%rbp\n\tpush %%r12\n\tpush %%r13\n\tpush %%r14\n\tpush %%r15\n\t"
        "mov %0, %%r12\n\tmov %1, %%r13\n\t"
        "mov 32(%%r12), %%eax\n\tpush %%rax\n\tpopfq\n\t"
        "mov 0(%%r12), %%eax\n\tmov 4(%%r12), %%ecx\n\tmov 8(%%r12), %%edx\n\tmov 12(%%r12), %%ebx\n\t"
        "mov 20(%%r12), %%ebp\n\tmov 24(%%r12), %%esi\n\tmov 28(%%r12), %%edi\n\t"
        "call *%%r13\n\t"
        "pushfq\n\tpop %%r14\n\tcld\n\t"
        "mov %%eax, 0(%%r12)\n\tmov %%ecx, 4(%%r12)\n\tmov %%edx, 8(%%r12)\n\tmov %%ebx, 12(%%r12)\n\t"
        "mov %%ebp, 20(%%r12)\n\tmov %%esi, 24(%%r12)\n\tmov %%edi, 28(%%r12)\n\tmov %%r14d, 32(%%r12)\n\t"
        "pop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbp\n\tpop %%rbx\n\t"
        :
        : "r"(s), "r"(body)
        : "rax", "rcx", "rdx", "rsi", "rdi", "r12", "r13", "r14", "memory", "cc");
}

static void on_signal(int signo, siginfo_t *info, void *context)
{
    ucontext_t *uc = context;
    caught_signal = signo;
    caught_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    caught_address = (uint64_t)(uintptr_t)info->si_addr;
    caught_error = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
    siglongjmp(escape, 1);
}

static int read_all(void *buffer, size_t length)
{
    uint8_t *p = buffer;
    while (length > 0) {
        ssize_t n = read(0, p, length);
        if (n <= 0) return 0;
        p += n;
        length -= (size_t)n;
    }
    return 1;
}

static uint32_t page_hash(uint32_t page)
{
    uint32_t h = 0x811C9DC5u;
    for (uint32_t a = page; a < page + 0x1000; a += 4) {
        uint32_t v;
        memcpy(&v, (void *)(uintptr_t)a, 4);
        h = (h ^ v) * 0x01000193u;
    }
    return h;
}

/* Makes the low 4 MiB what the request gives: zeros, the image at 1 MiB and the data pages, and the loader's
 * pages inaccessible (see the header). */
static void prepare_low_memory(void *low, uint32_t image_length)
{
    mprotect((void *)(uintptr_t)LOADER_START, LOADER_END - LOADER_START, PROT_READ | PROT_WRITE);
    memset(low, 0, LOW_END - LOW_START);
    memcpy((void *)(uintptr_t)IMAGE_AT, image, image_length);
    memcpy((void *)(uintptr_t)DATA_START, data, DATA_END - DATA_START);
    mprotect((void *)(uintptr_t)LOADER_START, LOADER_END - LOADER_START, PROT_NONE);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    void *low = mmap((void *)(uintptr_t)LOW_START, LOW_END - LOW_START, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (low != (void *)(uintptr_t)LOW_START) {
        printf("error: cannot map the guest's low memory at 0x%x (%s; vm.mmap_min_addr too high?)\n", LOW_START, strerror(errno));
        return 1;
    }
    code = mmap(NULL, CODE_MAX, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        printf("error: cannot map executable memory (%s)\n", strerror(errno));
        return 1;
    }
    static uint8_t altstack[1 << 16];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &sa, NULL);
    printf("ready\n");
    fflush(stdout);

    for (;;) {
        uint32_t header[11];
        if (!read_all(header, sizeof header) || header[0] == 0xFFFFFFFFu) return 0;
        uint32_t code_length = header[0], image_length = header[1];
        if (code_length > CODE_MAX || image_length > LOW_END - IMAGE_AT) {
            printf("error: request too large\n");
            return 1;
        }
        if (!read_all(code, code_length) || !read_all(image, image_length) || !read_all(data, DATA_END - DATA_START))
            return 1;
        memcpy(regs.r, &header[2], 32);
        uint32_t esp = regs.r[4];
        regs.eflags = header[10];
        struct state initial = regs;
        int answered = 0;
        for (int attempt = 0; attempt < 64 && !answered; attempt++) {
            prepare_low_memory(low, image_length);
            regs = initial;
            caught_signal = 0;
            if (sigsetjmp(escape, 1) == 0) {
                alarm(1);
                run_body(&regs, code);
                alarm(0);
                break;
            }
            alarm(0);
            __asm__ volatile("cld"); /* the body may have set DF; C code assumes it clear */
            uint64_t page = caught_address & ~0xFFFull;
            if (caught_signal == SIGSEGV && caught_address >= LOADER_START && caught_address < LOADER_END) {
                printf("U %lx\n", (unsigned long)caught_address); /* what the loader wrote there */
            } else if (caught_signal == SIGSEGV && caught_address < (1ull << 32) && (caught_address < LOW_START || caught_address >= LOW_END)) {
                /* unbacked guest memory: zeros to read (REG_ERR bit 1: the access was a write) */
                if ((caught_error & 2) == 0 && page >= LOW_START && attempt < 63 &&
                    mmap((void *)(uintptr_t)page, 0x1000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == (void *)(uintptr_t)page)
                    continue;
                printf("U %lx\n", (unsigned long)caught_address);
            } else if (caught_signal == SIGALRM) {
                printf("T\n");
            } else {
                printf("S %d %lx\n", caught_signal, (unsigned long)(caught_rip - (uint64_t)(uintptr_t)code));
            }
            answered = 1;
        }
        if (answered) {
            fflush(stdout);
            continue;
        }
        regs.r[4] = esp;
        printf("R");
        for (int i = 0; i < 8; i++) printf(" %08x", regs.r[i]);
        printf(" %08x\nM", regs.eflags);
        for (uint32_t page = DATA_START; page < DATA_END; page += 0x1000) printf(" %08x", page_hash(page));
        printf("\n");
        fflush(stdout);
    }
}
