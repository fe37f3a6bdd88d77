/* The host CPU's FXSAVE/FXRSTOR as an oracle (tests/Translator.Machine.Tests/Fxsr/FxsaveHostCpuTests.cs).
 * Each input line is "<instruction bytes hex, or -> <context hex>"; the context (1040 bytes) comes back as one line
 * of hex after: FXRSTOR [ctx] (the 512-byte image at 0), LEA rax, [ctx+512] (a 16-byte memory operand at 512), the
 * instruction bytes, FXSAVE [ctx+528] (without REX.W: the 32-bit layout, into 512 bytes the caller pre-filled).
 * SIGFPE/SIGSEGV print "fault". */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf s_fault;

static void on_fault(int sig) { siglongjmp(s_fault, sig); }

enum { ContextSize = 1040 };

static const unsigned char prologue[] = {
    0x0F, 0xAE, 0x0F,                         /* fxrstor [rdi] */
    0x48, 0x8D, 0x87, 0x00, 0x02, 0x00, 0x00, /* lea rax, [rdi+512] */
};
static const unsigned char epilogue[] = {
    0x0F, 0xAE, 0x87, 0x10, 0x02, 0x00, 0x00, /* fxsave [rdi+528] */
    0xDB, 0xE3,                               /* fninit: the next case starts clean */
    0xC3,                                     /* ret */
};

/* Reads up to max bytes written as hex pairs, stopping at a space or the line's end; -1 on a bad digit. */
static int read_hex(const char *text, unsigned char *bytes, int max)
{
    int count;
    for (count = 0; count < max && text[2 * count] > ' ' && text[2 * count + 1] > ' '; count++) {
        unsigned byte;
        if (sscanf(text + 2 * count, "%2x", &byte) != 1) return -1;
        bytes[count] = (unsigned char)byte;
    }
    return count;
}

int main(void)
{
    static char line[8192];
    static unsigned char context[ContextSize] __attribute__((aligned(64)));
    unsigned char op[64];
    signal(SIGSEGV, on_fault);
    signal(SIGFPE, on_fault);
    unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) { perror("mmap"); return 2; }
    while (fgets(line, sizeof line, stdin)) {
        char *space = strchr(line, ' ');
        if (!space) break;
        int length = line[0] == '-' ? 0 : read_hex(line, op, sizeof op);
        if (length < 0 || read_hex(space + 1, context, ContextSize) != ContextSize) { puts("bad input"); return 2; }
        int at = 0;
        memcpy(code + at, prologue, sizeof prologue); at += sizeof prologue;
        memcpy(code + at, op, length); at += length;
        memcpy(code + at, epilogue, sizeof epilogue);
        if (sigsetjmp(s_fault, 1)) { puts("fault"); fflush(stdout); continue; }
        ((void (*)(unsigned char *))code)(context);
        for (int n = 0; n < ContextSize; n++) printf("%02X", context[n]);
        putchar('\n');
    }
    return 0;
}
