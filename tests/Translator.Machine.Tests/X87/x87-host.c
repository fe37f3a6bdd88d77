/* The host CPU's x87 and MMX as an oracle (tests/Translator.Machine.Tests/X87/X87HostCpu.cs).
 * Each input line is "<instruction bytes hex> <context hex>": the bytes run between a fixed prologue and epilogue
 * (the same bytes the emulated CPU runs in 32-bit mode: every memory operand is [rax]/[eax]), and the context
 * comes back as one line of hex. Context: 0 FCW, 8 RFLAGS after, 16 ST(1) in, 32 ST(0) in, 48 memory operand
 * (32 bytes), 80 the FNSAVE image (108 bytes). FNSAVE does not wait, so an unmasked exception stays pending
 * and is cleared by the next case's FNINIT: the host never takes #MF. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf s_fault;

static void on_fault(int sig) { siglongjmp(s_fault, sig); }

enum { ContextSize = 192 };

static const unsigned char prologue[] = {
    0xDB, 0xE3,             /* fninit */
    0xD9, 0x2F,             /* fldcw [rdi] */
    0xDB, 0x6F, 0x10,       /* fld tword [rdi+16] */
    0xDB, 0x6F, 0x20,       /* fld tword [rdi+32] */
    0x48, 0x8D, 0x47, 0x30, /* lea rax, [rdi+48] */
};
static const unsigned char epilogue[] = {
    0xDD, 0x77, 0x50,       /* fnsave [rdi+80] */
    0x9C, 0x58,             /* pushfq; pop rax */
    0x48, 0x89, 0x47, 0x08, /* mov [rdi+8], rax */
    0xC3,                   /* ret */
};

static int unhex(const char *s, unsigned char *out, int max)
{
    int n = 0;
    while (s[0] && s[1] && s[0] != ' ' && s[0] != '\n' && n < max) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1) return -1;
        out[n++] = (unsigned char)v;
        s += 2;
    }
    return n;
}

int main(void)
{
    unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) { perror("mmap"); return 2; }
    signal(SIGFPE, on_fault);
    signal(SIGSEGV, on_fault);
    static char line[4096];
    unsigned char op[64], context[ContextSize] __attribute__((aligned(16)));
    while (fgets(line, sizeof line, stdin)) {
        char *space = strchr(line, ' ');
        if (!space) break;
        int length = unhex(line, op, sizeof op);
        memset(context, 0, sizeof context);
        if (length < 0 || unhex(space + 1, context, ContextSize) < 0) { puts("bad input"); return 2; }
        int at = 0;
        memcpy(code + at, prologue, sizeof prologue); at += sizeof prologue;
        memcpy(code + at, op, length); at += length;
        memcpy(code + at, epilogue, sizeof epilogue);
        __builtin___clear_cache((char *)code, (char *)code + 256);
        /* A waiting instruction after an unmasked exception is #MF (SIGFPE): a mistake in the case, reported. */
        if (sigsetjmp(s_fault, 1)) { puts("fault"); continue; }
        ((void (*)(unsigned char *))code)(context);
        for (int i = 0; i < ContextSize; i++) printf("%02x", context[i]);
        putchar('\n');
        fflush(stdout);
    }
    return 0;
}
