/* oracle.c — the host-CPU oracle for the IA-32 integer instruction set.
 *
 * Executes each integer instruction (as emitted by small asm stubs) over edge operands and
 * prints, per case, the inputs, the result registers/memory and the *architecturally defined*
 * flags only: flags the Intel SDM documents as undefined for an instruction (or for a given
 * count/operand combination) are masked out, so two correct CPUs must print the same text.
 *
 * One source, three builds (the test bodies are shared; only the output shim and the stub frame differ):
 *   host  : gcc -m32 -O2 oracle.c -o oracle-host       libc printf to stdout, runs on the host CPU
 *   guest : freestanding multiboot image oracle.elf    rt.c printf over COM1, exits via port 0xF4
 *   host64: gcc -m64 -no-pie oracle.c -o oracle-host64 for hosts whose kernel runs no 32-bit programs
 *           (no IA32 emulation, or a PVM guest). The instructions under test run in 64-bit mode with
 *           their 8/16/32-bit operand sizes and 32-bit addressing (addr32), which the SDM defines to
 *           give the same results and flags; what has no 64-bit form (PUSHA, 16-bit addressing, BCD,
 *           32-bit stack frames) is left out, and each left-out section prints "# not in 64-bit mode: "
 *           and its title in place of its cases.
 * `diff <(oracle-host) <(qemu-system-i386 -kernel oracle.elf -serial stdio ...)` must be empty.
 *
 * Output: one line per case, "name inputs... > outputs...", all numbers in lowercase hex
 * without leading zeros. Sections start with "# " and describe their columns. Addresses never
 * appear (they differ between builds): pointers are printed as offsets into their buffers.
 *
 * Stub calling convention: every instruction under test lives in its own asm function taking
 * a struct R *. The stub saves all registers, loads EFLAGS (only the six arithmetic flags and
 * DF, from R.fl) and EAX..EDI from the struct, executes the instruction, stores EAX..EDI and
 * EFLAGS back, clears DF and restores everything. R.esp receives ESP as it was when the
 * instruction ran (for ESP-relative LEA).
 */
#if __STDC_HOSTED__
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#else
#include "rt.h"
#endif

#define P printf

/* ---- flags ---------------------------------------------------------------------------- */
#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define DF 0x400u
#define OF 0x800u
#define ARITH (CF | PF | AF | ZF | SF | OF)   /* 0x8d5 */
#define LOGIC (CF | PF | ZF | SF | OF)        /* AND/OR/XOR/TEST: AF undefined */
#define SZP   (SF | ZF | PF)

/* ---- the stub machinery ----------------------------------------------------------------- */
struct R { uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, fl; };
typedef void stub_fn(struct R *);

#if defined(__x86_64__)
/* 64-bit frame: R * stays in R12 (no instruction under test names it), flags go through R11. */
#define STUB_PRE                                                                                 \
    "pushq %rbx\n\t"                                                                             \
    "pushq %rbp\n\t"                                                                             \
    "pushq %r12\n\t"                                                                             \
    "movq %rdi,%r12\n\t"                                                                         \
    "movl 32(%r12),%r11d\n\t"                                                                    \
    "pushq %r11\n\t"                                                                             \
    "popfq\n\t"                                                                                  \
    "movl %esp,16(%r12)\n\t"                                                                     \
    "movl 0(%r12),%eax\n\t"                                                                      \
    "movl 4(%r12),%ecx\n\t"                                                                      \
    "movl 8(%r12),%edx\n\t"                                                                      \
    "movl 12(%r12),%ebx\n\t"                                                                     \
    "movl 20(%r12),%ebp\n\t"                                                                     \
    "movl 24(%r12),%esi\n\t"                                                                     \
    "movl 28(%r12),%edi\n\t"
#define STUB_POST                                                                                \
    "\n\tpushfq\n\t"                                                                             \
    "cld\n\t"                                                                                    \
    "popq %r11\n\t"                                                                              \
    "movl %r11d,32(%r12)\n\t"                                                                    \
    "movl %eax,0(%r12)\n\t"                                                                      \
    "movl %ecx,4(%r12)\n\t"                                                                      \
    "movl %edx,8(%r12)\n\t"                                                                      \
    "movl %ebx,12(%r12)\n\t"                                                                     \
    "movl %ebp,20(%r12)\n\t"                                                                     \
    "movl %esi,24(%r12)\n\t"                                                                     \
    "movl %edi,28(%r12)\n\t"                                                                     \
    "popq %r12\n\t"                                                                              \
    "popq %rbp\n\t"                                                                              \
    "popq %rbx\n\t"                                                                              \
    "ret\n\t"
#define HAS_IA32_FORMS 0
#else
#define STUB_PRE                                                                                 \
    "pushal\n\t"                                                                                 \
    "movl 36(%esp),%eax\n\t"                                                                     \
    "pushl %eax\n\t"                                                                             \
    "pushl 32(%eax)\n\t"                                                                         \
    "popfl\n\t"                                                                                  \
    "movl %esp,16(%eax)\n\t"                                                                     \
    "movl 4(%eax),%ecx\n\t"                                                                      \
    "movl 8(%eax),%edx\n\t"                                                                      \
    "movl 12(%eax),%ebx\n\t"                                                                     \
    "movl 20(%eax),%ebp\n\t"                                                                     \
    "movl 24(%eax),%esi\n\t"                                                                     \
    "movl 28(%eax),%edi\n\t"                                                                     \
    "movl 0(%eax),%eax\n\t"
#define STUB_POST                                                                                \
    "\n\tpushfl\n\t"                                                                             \
    "cld\n\t"                                                                                    \
    "xchgl %eax,4(%esp)\n\t"                                                                     \
    "popl 32(%eax)\n\t"                                                                          \
    "popl 0(%eax)\n\t"                                                                           \
    "movl %ecx,4(%eax)\n\t"                                                                      \
    "movl %edx,8(%eax)\n\t"                                                                      \
    "movl %ebx,12(%eax)\n\t"                                                                     \
    "movl %ebp,20(%eax)\n\t"                                                                     \
    "movl %esi,24(%eax)\n\t"                                                                     \
    "movl %edi,28(%eax)\n\t"                                                                     \
    "popal\n\t"                                                                                  \
    "ret\n\t"

#define HAS_IA32_FORMS 1
#endif

#define STUB(nm, insn)                                                                           \
    void nm(struct R *);                                                                         \
    __asm__(".pushsection .text\n\t.p2align 4\n\t.globl " #nm "\n\t.type " #nm ",@function\n"  \
            #nm ":\n\t" STUB_PRE insn STUB_POST ".size " #nm ",.-" #nm "\n\t.popsection\n");

/* ---- operands -------------------------------------------------------------------------- */
static const uint32_t EDGE[11] = { 0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
                                   0x7FFFFFFF, 0x80000000, 0xFFFFFFFF };
static uint32_t V8[8], V16[11], V32[15];   /* edge values of each width plus LCG values   */
static uint32_t S8[5], S16[6], S32[6];      /* smaller sets for the memory and imm forms   */
static const int BITS[3] = { 8, 16, 32 };
static const uint32_t WMASK[3] = { 0xFF, 0xFFFF, 0xFFFFFFFF };
#define HA 0xA5C3E1F0u   /* upper-bit filler for the first register operand  */
#define HB 0x3C5A7896u   /* ... for the second                               */
#define HM 0x6B2D9E47u   /* ... for memory operands                          */

static uint32_t lcg_state = 0x2545F491u;
static uint32_t rnd(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state ^ (lcg_state >> 13);
}

static void init_values(void)
{
    for (int i = 0; i < 5; i++) V8[i] = EDGE[i];
    for (int i = 5; i < 8; i++) V8[i] = rnd() & 0xFF;
    for (int i = 0; i < 8; i++) V16[i] = EDGE[i];
    for (int i = 8; i < 11; i++) V16[i] = rnd() & 0xFFFF;
    for (int i = 0; i < 11; i++) V32[i] = EDGE[i];
    for (int i = 11; i < 15; i++) V32[i] = rnd();
    static const uint32_t s8[4] = { 0, 0x7F, 0x80, 0xFF }, s16[5] = { 0, 1, 0x7FFF, 0x8000, 0xFFFF },
                          s32[5] = { 0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF };
    for (int i = 0; i < 4; i++) S8[i] = s8[i];
    for (int i = 0; i < 5; i++) S16[i] = s16[i], S32[i] = s32[i];
    S8[4] = V8[5]; S16[5] = V16[8]; S32[5] = V32[11];
}

static const uint32_t *vals(int sz, int *n)
{
    static const int nv[3] = { 8, 11, 15 };
    *n = nv[sz];
    return sz == 0 ? V8 : sz == 1 ? V16 : V32;
}

static const uint32_t *svals(int sz, int *n)
{
    static const int nv[3] = { 5, 6, 6 };
    *n = nv[sz];
    return sz == 0 ? S8 : sz == 1 ? S16 : S32;
}

static uint32_t widen(uint32_t v, int sz, uint32_t hi) { return (hi & ~WMASK[sz]) | (v & WMASK[sz]); }

/* Default register contents: fixed, address-free values. */
static void rinit(struct R *r)
{
    r->eax = 0x0A0A0A0Au; r->ecx = 0x0C0C0C0Cu; r->edx = 0x0D0D0D0Du; r->ebx = 0x0B0B0B0Bu;
    r->esp = 0; r->ebp = 0x0E0E0E0Eu; r->esi = 0x05050505u; r->edi = 0x0D1D1D1Du; r->fl = 0;
}

static unsigned long ncases;

static void call(stub_fn *f, struct R *r, uint32_t fin)
{
    r->fl = fin & (ARITH | DF);
    f(r);
    ncases++;
}

/* "name<bits> in... > out..." */
static void emit(const char *nm, int bits, const uint32_t *v, int nin, int nout)
{
    if (bits) P("%s%d", nm, bits); else P("%s", nm);
    for (int i = 0; i < nin; i++) P(" %x", v[i]);
    P(" >");
    for (int i = 0; i < nout; i++) P(" %x", v[nin + i]);
    P("\n");
}
#define EMIT(nm, bits, nin, ...)                                                                 \
    do {                                                                                         \
        const uint32_t v_[] = { __VA_ARGS__ };                                                   \
        emit(nm, bits, v_, nin, (int)(sizeof v_ / sizeof v_[0]) - (nin));                        \
    } while (0)

static void section(const char *s) { P("# %s\n", s); }
#if !HAS_IA32_FORMS
/* A section the 64-bit build cannot run: its title, so a comparison knows what it left out. */
static void not_in_64bit_mode(const char *s) { P("# not in 64-bit mode: %s\n", s); }
#endif

static uint32_t fnv(const void *p, uint32_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;
    while (n--) h = (h ^ *b++) * 16777619u;
    return h;
}

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* memory operand cell: 32 words, instructions address mem[8] through ESI */
static uint32_t mem[32];
#define MEMPTR ((uint32_t)(uintptr_t)&mem[8])

/* =========================================================================================
 * ALU: ADD ADC SUB SBB CMP AND OR XOR TEST
 * ========================================================================================= */
#define ALU_OPS(X) X(add) X(adc) X(sub) X(sbb) X(cmp) X(and) X(or) X(xor) X(test)
#define LOCK_OPS(X) X(add) X(adc) X(sub) X(sbb) X(and) X(or) X(xor)

#define GEN_ALU(op)                                                                              \
    STUB(ox_##op##_rr_b, #op "b %cl,%al")                                                        \
    STUB(ox_##op##_rr_w, #op "w %cx,%ax")                                                        \
    STUB(ox_##op##_rr_l, #op "l %ecx,%eax")                                                      \
    STUB(ox_##op##_mr_b, #op "b %cl,(%esi)")                                                     \
    STUB(ox_##op##_mr_w, #op "w %cx,(%esi)")                                                     \
    STUB(ox_##op##_mr_l, #op "l %ecx,(%esi)")                                                    \
    STUB(ox_##op##_rm_b, #op "b (%esi),%cl")                                                     \
    STUB(ox_##op##_rm_w, #op "w (%esi),%cx")                                                     \
    STUB(ox_##op##_rm_l, #op "l (%esi),%ecx")                                                    \
    STUB(ox_##op##_hh, #op "b %ch,%ah")                                                          \
    STUB(ox_##op##_i0_b, #op "b $0x01,%cl")                                                      \
    STUB(ox_##op##_i1_b, #op "b $0x7f,%cl")                                                      \
    STUB(ox_##op##_i2_b, #op "b $0x80,%cl")                                                      \
    STUB(ox_##op##_i3_b, #op "b $0xff,%cl")                                                      \
    STUB(ox_##op##_i4_b, #op "b $0x80,%al")                                                      \
    STUB(ox_##op##_i0_w, #op "w $1,%cx")                                                         \
    STUB(ox_##op##_i1_w, #op "w $0x7f,%cx")                                                      \
    STUB(ox_##op##_i2_w, #op "w $-128,%cx")                                                      \
    STUB(ox_##op##_i3_w, #op "w $0x1234,%cx")                                                    \
    STUB(ox_##op##_i4_w, #op "w $0x8000,%ax")                                                    \
    STUB(ox_##op##_i0_l, #op "l $1,%ecx")                                                        \
    STUB(ox_##op##_i1_l, #op "l $0x7f,%ecx")                                                     \
    STUB(ox_##op##_i2_l, #op "l $-1,%ecx")                                                       \
    STUB(ox_##op##_i3_l, #op "l $0x12345678,%ecx")                                               \
    STUB(ox_##op##_i4_l, #op "l $0x80000000,%eax")
ALU_OPS(GEN_ALU)

/* The alternate reg,reg encoding (direction bit set: 02/03 /r instead of 00/01 /r). */
#define GEN_ALU_ALT(op) STUB(ox_##op##_alt_l, "{load} " #op "l %ecx,%eax")
LOCK_OPS(GEN_ALU_ALT)
STUB(ox_cmp_alt_l, "{load} cmpl %ecx,%eax")
#define GEN_ALU_LOCK(op)                                                                         \
    STUB(ox_lock_##op##_b, "lock " #op "b %cl,(%esi)")                                           \
    STUB(ox_lock_##op##_w, "lock " #op "w %cx,(%esi)")                                           \
    STUB(ox_lock_##op##_l, "lock " #op "l %ecx,(%esi)")
LOCK_OPS(GEN_ALU_LOCK)

struct alu_t {
    const char *nm;
    stub_fn *rr[3], *mr[3], *rm[3], *hh, *imm[3][5];
};
#define ALU_ENT(op)                                                                              \
    { #op,                                                                                       \
      { ox_##op##_rr_b, ox_##op##_rr_w, ox_##op##_rr_l },                                        \
      { ox_##op##_mr_b, ox_##op##_mr_w, ox_##op##_mr_l },                                        \
      { ox_##op##_rm_b, ox_##op##_rm_w, ox_##op##_rm_l },                                        \
      ox_##op##_hh,                                                                              \
      { { ox_##op##_i0_b, ox_##op##_i1_b, ox_##op##_i2_b, ox_##op##_i3_b, ox_##op##_i4_b },      \
        { ox_##op##_i0_w, ox_##op##_i1_w, ox_##op##_i2_w, ox_##op##_i3_w, ox_##op##_i4_w },      \
        { ox_##op##_i0_l, ox_##op##_i1_l, ox_##op##_i2_l, ox_##op##_i3_l, ox_##op##_i4_l } } },
static const struct alu_t alu_tab[] = { ALU_OPS(ALU_ENT) };
static const uint32_t alu_imm[3][5] = { { 0x01, 0x7F, 0x80, 0xFF, 0x80 },
                                        { 0x0001, 0x007F, 0xFF80, 0x1234, 0x8000 },
                                        { 0x00000001, 0x0000007F, 0xFFFFFFFF, 0x12345678, 0x80000000 } };
static const int alu_imm_eax[5] = { 0, 0, 0, 0, 1 };   /* last form uses the AL/AX/EAX short encoding */

#define LOCK_ENT(op) { #op, { ox_lock_##op##_b, ox_lock_##op##_w, ox_lock_##op##_l }, ox_##op##_alt_l },
static const struct { const char *nm; stub_fn *l[3]; stub_fn *alt; } lock_tab[] = { LOCK_OPS(LOCK_ENT) };

static int alu_carry(const char *nm) { return streq(nm, "adc") || streq(nm, "sbb"); }
static uint32_t alu_mask(const char *nm)
{
    return streq(nm, "and") || streq(nm, "or") || streq(nm, "xor") || streq(nm, "test") ? LOGIC : ARITH;
}

/* Input flag states: both CF values for ADC/SBB, otherwise alternate all-clear / all-set. */
static int flag_states(int carry, int k, uint32_t *fin)
{
    if (carry) { fin[0] = 0; fin[1] = ARITH; return 2; }
    fin[0] = (k & 1) ? ARITH : 0;
    return 1;
}

static void test_alu(void)
{
    section("ALU reg,reg: op<bits> eax ecx flags_in > eax flags (AND/OR/XOR/TEST mask AF)");
    for (unsigned o = 0; o < sizeof alu_tab / sizeof alu_tab[0]; o++) {
        const struct alu_t *t = &alu_tab[o];
        uint32_t m = alu_mask(t->nm), fins[2];
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = vals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    int nf = flag_states(alu_carry(t->nm), i + j, fins);
                    for (int f = 0; f < nf; f++) {
                        struct R r; rinit(&r);
                        uint32_t a = widen(v[i], sz, HA), b = widen(v[j], sz, HB);
                        r.eax = a; r.ecx = b;
                        call(t->rr[sz], &r, fins[f]);
                        EMIT(t->nm, BITS[sz], 3, v[i], v[j], fins[f], r.eax, r.fl & m);
                    }
                }
        }
    }

    section("ALU high-byte regs: op'h' eax ecx flags_in > eax flags   (op %ch,%ah)");
    for (unsigned o = 0; o < sizeof alu_tab / sizeof alu_tab[0]; o++) {
        const struct alu_t *t = &alu_tab[o];
        uint32_t m = alu_mask(t->nm), fins[2];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) {
                int nf = flag_states(alu_carry(t->nm), i + j, fins);
                for (int f = 0; f < nf; f++) {
                    struct R r; rinit(&r);
                    uint32_t a = (HA & 0xFFFF00FFu) | S8[i] << 8, b = (HB & 0xFFFF00FFu) | S8[j] << 8;
                    r.eax = a; r.ecx = b;
                    call(t->hh, &r, fins[f]);
                    char nm[16];
                    unsigned k = 0;
                    for (; t->nm[k]; k++) nm[k] = t->nm[k];
                    nm[k++] = 'h'; nm[k] = 0;
                    EMIT(nm, 0, 3, S8[i], S8[j], fins[f], r.eax, r.fl & m);
                }
            }
    }

    section("ALU reg,imm: op<bits>i imm reg flags_in > reg flags   (last imm of each width uses AL/AX/EAX form)");
    for (unsigned o = 0; o < sizeof alu_tab / sizeof alu_tab[0]; o++) {
        const struct alu_t *t = &alu_tab[o];
        uint32_t m = alu_mask(t->nm), fins[2];
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = vals(sz, &n);
            for (int im = 0; im < 5; im++)
                for (int i = 0; i < n; i++) {
                    int nf = flag_states(alu_carry(t->nm), i + im, fins);
                    for (int f = 0; f < nf; f++) {
                        struct R r; rinit(&r);
                        uint32_t a = widen(v[i], sz, alu_imm_eax[im] ? HA : HB);
                        if (alu_imm_eax[im]) r.eax = a; else r.ecx = a;
                        call(t->imm[sz][im], &r, fins[f]);
                        P("%s%di", t->nm, BITS[sz]);
                        EMIT("", 0, 3, alu_imm[sz][im], v[i], fins[f], alu_imm_eax[im] ? r.eax : r.ecx, r.fl & m);
                    }
                }
        }
    }

    section("ALU memory: op<bits>m = op reg,(mem) / op32r = op (mem),reg: mem ecx flags_in > mem ecx flags");
    for (unsigned o = 0; o < sizeof alu_tab / sizeof alu_tab[0]; o++) {
        const struct alu_t *t = &alu_tab[o];
        uint32_t m = alu_mask(t->nm), fins[2];
        for (int dir = 0; dir < 2; dir++)
            for (int sz = dir ? 2 : 0; sz < 3; sz++) {
                if (dir && streq(t->nm, "test")) continue;   /* TEST (mem),reg is the same opcode */
                int n; const uint32_t *v = svals(sz, &n);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        int nf = flag_states(alu_carry(t->nm), i + j + dir, fins);
                        for (int f = 0; f < nf; f++) {
                            struct R r; rinit(&r);
                            uint32_t a = widen(v[i], sz, HM), b = widen(v[j], sz, HB);
                            mem[8] = a; r.ecx = b; r.esi = MEMPTR;
                            call(dir ? t->rm[sz] : t->mr[sz], &r, fins[f]);
                            P("%s%d%c", t->nm, BITS[sz], dir ? 'r' : 'm');
                            EMIT("", 0, 3, v[i], v[j], fins[f], mem[8], r.ecx, r.fl & m);
                        }
                    }
            }
    }

    section("LOCK op reg,(mem): lockop<bits> mem ecx flags_in > mem ecx flags");
    for (unsigned o = 0; o < sizeof lock_tab / sizeof lock_tab[0]; o++) {
        uint32_t m = alu_mask(lock_tab[o].nm), fins[2];
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = svals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    if (sz < 2 && i != j + 1) continue;   /* 8/16-bit: a few cases; 32-bit: all */
                    int nf = flag_states(alu_carry(lock_tab[o].nm), i + j, fins);
                    for (int f = 0; f < nf; f++) {
                        struct R r; rinit(&r);
                        uint32_t a = widen(v[i], sz, HM), b = widen(v[j], sz, HB);
                        mem[8] = a; r.ecx = b; r.esi = MEMPTR;
                        call(lock_tab[o].l[sz], &r, fins[f]);
                        P("lock%s%d", lock_tab[o].nm, BITS[sz]);
                        EMIT("", 0, 3, v[i], v[j], fins[f], mem[8], r.ecx, r.fl & m);
                    }
                }
        }
    }

    section("ALU reg,reg alternate encoding (02/03 /r): op32a eax ecx flags_in > eax flags");
    for (unsigned o = 0; o <= sizeof lock_tab / sizeof lock_tab[0]; o++) {
        const char *nm = o < sizeof lock_tab / sizeof lock_tab[0] ? lock_tab[o].nm : "cmp";
        stub_fn *fn = o < sizeof lock_tab / sizeof lock_tab[0] ? lock_tab[o].alt : ox_cmp_alt_l;
        uint32_t m = alu_mask(nm), fins[2];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) {
                int nf = flag_states(alu_carry(nm), i + j, fins);
                for (int f = 0; f < nf; f++) {
                    struct R r; rinit(&r);
                    r.eax = S32[i]; r.ecx = S32[j];
                    call(fn, &r, fins[f]);
                    P("%s32a", nm);
                    EMIT("", 0, 3, S32[i], S32[j], fins[f], r.eax, r.fl & m);
                }
            }
    }
}

/* =========================================================================================
 * Unary: NEG NOT INC DEC
 * ========================================================================================= */
#define UN_OPS(X) X(neg) X(not) X(inc) X(dec)
#define GEN_UN(op)                                                                               \
    STUB(ox_##op##_r_b, #op "b %al")                                                             \
    STUB(ox_##op##_r_w, #op "w %ax")                                                             \
    STUB(ox_##op##_r_l, #op "l %eax")                                                            \
    STUB(ox_##op##_m_b, #op "b (%esi)")                                                          \
    STUB(ox_##op##_m_w, #op "w (%esi)")                                                          \
    STUB(ox_##op##_m_l, #op "l (%esi)")                                                          \
    STUB(ox_##op##_lk_l, "lock " #op "l (%esi)")
UN_OPS(GEN_UN)
STUB(ox_inc_ff_l, ".byte 0xff, 0xc0")   /* inc %eax via FF /0 (not the 0x40 short form) */
STUB(ox_dec_ff_l, ".byte 0xff, 0xc8")   /* dec %eax via FF /1 */
STUB(ox_inc_ff_w, ".byte 0x66, 0xff, 0xc0")
STUB(ox_dec_ff_w, ".byte 0x66, 0xff, 0xc8")

#define UN_ENT(op) { #op, { ox_##op##_r_b, ox_##op##_r_w, ox_##op##_r_l }, { ox_##op##_m_b, ox_##op##_m_w, ox_##op##_m_l }, ox_##op##_lk_l },
static const struct { const char *nm; stub_fn *r[3], *m[3], *lk; } un_tab[] = { UN_OPS(UN_ENT) };

static void test_unary(void)
{
    section("NEG NOT INC DEC: op<bits> eax flags_in > eax flags (NOT: flags unchanged, INC/DEC: CF unchanged)");
    static const uint32_t fins[2] = { 0, ARITH };
    for (unsigned o = 0; o < sizeof un_tab / sizeof un_tab[0]; o++)
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = vals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int f = 0; f < 2; f++) {
                    struct R r; rinit(&r);
                    uint32_t a = widen(v[i], sz, HA);
                    r.eax = a;
                    call(un_tab[o].r[sz], &r, fins[f]);
                    EMIT(un_tab[o].nm, BITS[sz], 2, v[i], fins[f], r.eax, r.fl & ARITH);
                }
        }
    section("... memory forms: op<bits>m mem flags_in > mem flags; lockop32 = LOCK op (mem)");
    for (unsigned o = 0; o < sizeof un_tab / sizeof un_tab[0]; o++)
        for (int sz = 0; sz < 4; sz++) {
            int n; const uint32_t *v = svals(sz < 3 ? sz : 2, &n);
            for (int i = 0; i < n; i++) {
                struct R r; rinit(&r);
                uint32_t a = widen(v[i], sz < 3 ? sz : 2, HM), fin = (i & 1) ? ARITH : 0;
                mem[8] = a; r.esi = MEMPTR;
                call(sz < 3 ? un_tab[o].m[sz] : un_tab[o].lk, &r, fin);
                if (sz < 3) P("%s%dm", un_tab[o].nm, BITS[sz]); else P("lock%s32", un_tab[o].nm);
                EMIT("", 0, 2, v[i], fin, mem[8], r.fl & ARITH);
            }
        }
    section("... INC/DEC through the FF /0, FF /1 encoding: op<bits>ff eax flags_in > eax flags");
    stub_fn *ff[4] = { ox_inc_ff_w, ox_dec_ff_w, ox_inc_ff_l, ox_dec_ff_l };
    for (int k = 0; k < 4; k++) {
        int sz = k < 2 ? 1 : 2, n; const uint32_t *v = svals(sz, &n);
        for (int i = 0; i < n; i++)
            for (int f = 0; f < 2; f++) {
                struct R r; rinit(&r);
                uint32_t a = widen(v[i], sz, HA);
                r.eax = a;
                call(ff[k], &r, fins[f]);
                P("%s%dff", (k & 1) ? "dec" : "inc", BITS[sz]);
                EMIT("", 0, 2, v[i], fins[f], r.eax, r.fl & ARITH);
            }
    }
}

/* =========================================================================================
 * Shifts and rotates: SHL SHR SAR ROL ROR RCL RCR by CL and by immediate
 * ========================================================================================= */
#define SH_OPS(X) X(shl) X(shr) X(sar) X(rol) X(ror) X(rcl) X(rcr)
#define SH_COUNTS(X, a, b, c)                                                                    \
    X(a, b, c, 0) X(a, b, c, 1) X(a, b, c, 2) X(a, b, c, 7) X(a, b, c, 8) X(a, b, c, 9)          \
    X(a, b, c, 15) X(a, b, c, 16) X(a, b, c, 17) X(a, b, c, 31) X(a, b, c, 32) X(a, b, c, 33)
#define NCOUNTS 12
static const uint32_t counts[NCOUNTS] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33 };

#define SH_IMM_STUB(op, sz, reg, c) STUB(ox_##op##sz##_i##c, #op #sz " $" #c ",%" #reg)
#define SH_IMM_PTR(op, sz, reg, c) ox_##op##sz##_i##c,
#define GEN_SH(op)                                                                               \
    STUB(ox_##op##_cl_b, #op "b %cl,%al")                                                        \
    STUB(ox_##op##_cl_w, #op "w %cl,%ax")                                                        \
    STUB(ox_##op##_cl_l, #op "l %cl,%eax")                                                       \
    STUB(ox_##op##_m_b, #op "b %cl,(%esi)")                                                      \
    STUB(ox_##op##_m_w, #op "w %cl,(%esi)")                                                      \
    STUB(ox_##op##_m_l, #op "l %cl,(%esi)")                                                      \
    SH_COUNTS(SH_IMM_STUB, op, b, al)                                                            \
    SH_COUNTS(SH_IMM_STUB, op, w, ax)                                                            \
    SH_COUNTS(SH_IMM_STUB, op, l, eax)
SH_OPS(GEN_SH)

#define SH_ENT(op)                                                                               \
    { #op,                                                                                       \
      { ox_##op##_cl_b, ox_##op##_cl_w, ox_##op##_cl_l },                                        \
      { ox_##op##_m_b, ox_##op##_m_w, ox_##op##_m_l },                                           \
      { { SH_COUNTS(SH_IMM_PTR, op, b, al) }, { SH_COUNTS(SH_IMM_PTR, op, w, ax) },              \
        { SH_COUNTS(SH_IMM_PTR, op, l, eax) } } },
static const struct { const char *nm; stub_fn *cl[3], *m[3], *imm[3][NCOUNTS]; } sh_tab[] = { SH_OPS(SH_ENT) };
enum { SHL, SHR, SAR, ROL, ROR, RCL, RCR };

/* Defined flags after a shift/rotate by `count` (SDM vol. 2B, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR):
 * masked count 0: no flag changes (all six are defined: they keep their input values).
 * shifts: CF defined except SHL/SHR with count >= operand width; OF only for count 1;
 *         SF ZF PF defined; AF undefined.
 * rotates: CF defined; OF only for count 1; SF ZF AF PF unaffected (defined). */
static uint32_t sh_mask(int op, int bits, uint32_t count)
{
    uint32_t c = count & 31, m;
    if (c == 0) return ARITH;
    if (op <= SAR) {
        m = CF | SZP;
        if (op != SAR && c >= (uint32_t)bits) m &= ~CF;
    } else {
        m = ARITH & ~OF;
    }
    if (c == 1) m |= OF;
    return m;
}

static void test_shifts(void)
{
    section("shift/rotate by CL: op<bits> eax ecx(count in CL) flags_in > eax flags");
    static const uint32_t fins[2] = { 0, ARITH };
    for (int o = 0; o < 7; o++)
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = vals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < NCOUNTS; c++)
                    for (int f = 0; f < 2; f++) {
                        /* both CF states for RCL/RCR and for count 0 (flags must survive);
                           otherwise one, alternating */
                        if (o < RCL && (counts[c] & 31) && f != ((i + c) & 1)) continue;
                        struct R r; rinit(&r);
                        uint32_t a = widen(v[i], sz, HA), cnt = (HB & ~0xFFu) | counts[c];
                        r.eax = a; r.ecx = cnt;
                        call(sh_tab[o].cl[sz], &r, fins[f]);
                        EMIT(sh_tab[o].nm, BITS[sz], 3, v[i], counts[c], fins[f], r.eax,
                             r.fl & sh_mask(o, BITS[sz], counts[c]));
                    }
        }
    section("shift/rotate by imm8: op<bits>i count eax flags_in > eax flags");
    for (int o = 0; o < 7; o++)
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = svals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < NCOUNTS; c++) {
                    int nf = (o >= RCL) ? 2 : 1;
                    for (int f = 0; f < nf; f++) {
                        uint32_t fin = nf == 2 ? fins[f] : ((i + c) & 1) ? ARITH : 0;
                        struct R r; rinit(&r);
                        uint32_t a = widen(v[i], sz, HA);
                        r.eax = a;
                        call(sh_tab[o].imm[sz][c], &r, fin);
                        P("%s%di", sh_tab[o].nm, BITS[sz]);
                        EMIT("", 0, 3, counts[c], v[i], fin, r.eax, r.fl & sh_mask(o, BITS[sz], counts[c]));
                    }
                }
        }
    section("shift/rotate memory by CL: op<bits>m mem ecx flags_in > mem flags");
    for (int o = 0; o < 7; o++)
        for (int sz = 0; sz < 3; sz++)
            for (int i = 1; i < 4; i++)
                for (int c = 0; c < NCOUNTS; c++) {
                    uint32_t fin = ((i + c) & 1) ? ARITH : 0;
                    struct R r; rinit(&r);
                    int n; const uint32_t *v = svals(sz, &n);
                    uint32_t a = widen(v[i], sz, HM);
                    mem[8] = a; r.esi = MEMPTR; r.ecx = counts[c];
                    call(sh_tab[o].m[sz], &r, fin);
                    P("%s%dm", sh_tab[o].nm, BITS[sz]);
                    EMIT("", 0, 3, v[i], counts[c], fin, mem[8], r.fl & sh_mask(o, BITS[sz], counts[c]));
                }
}

/* =========================================================================================
 * SHLD / SHRD
 * ========================================================================================= */
#define SHD_IMM_STUB(op, sz, regs, c) STUB(ox_##op##sz##_i##c, #op #sz " $" #c "," regs)
#define SHD_IMM_PTR(op, sz, regs, c) ox_##op##sz##_i##c,
#define GEN_SHD(op)                                                                              \
    STUB(ox_##op##_cl_w, #op "w %cl,%dx,%ax")                                                    \
    STUB(ox_##op##_cl_l, #op "l %cl,%edx,%eax")                                                  \
    STUB(ox_##op##_m_l, #op "l %cl,%edx,(%esi)")                                                 \
    SH_COUNTS(SHD_IMM_STUB, op, w, "%dx,%ax")                                                    \
    SH_COUNTS(SHD_IMM_STUB, op, l, "%edx,%eax")
GEN_SHD(shld)
GEN_SHD(shrd)
#define SHD_ENT(op)                                                                              \
    { #op, { ox_##op##_cl_w, ox_##op##_cl_l }, ox_##op##_m_l,                                    \
      { { SH_COUNTS(SHD_IMM_PTR, op, w, x) }, { SH_COUNTS(SHD_IMM_PTR, op, l, x) } } },
static const struct { const char *nm; stub_fn *cl[2], *m, *imm[2][NCOUNTS]; } shd_tab[] = { SHD_ENT(shld) SHD_ENT(shrd) };

/* SHLD/SHRD: count 0 changes nothing; count > width (16-bit only): result and flags undefined;
 * otherwise CF SF ZF PF defined, OF only for count 1, AF undefined. Returns 0 if undefined. */
static int shd_mask(int bits, uint32_t count, uint32_t *m)
{
    uint32_t c = count & 31;
    if (c == 0) { *m = ARITH; return 1; }
    if (c > (uint32_t)bits) return 0;
    *m = CF | SZP | (c == 1 ? OF : 0);
    return 1;
}

static void test_shd(void)
{
    section("SHLD/SHRD: op<bits>[i] eax(dest) edx(src) count flags_in > eax flags   (count > 16 for 16-bit: undefined, skipped)");
    static const uint32_t srcs[4] = { 0, 0xFFFFFFFFu, 0x80000001u, 0x5A3C96E1u };
    for (int o = 0; o < 2; o++)
        for (int form = 0; form < 2; form++)
            for (int s = 0; s < 2; s++) {
                int sz = s + 1, n; const uint32_t *v = svals(sz, &n);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < 4; j++) {
                        if (form == 1 && (i & 1) && j > 1) continue;
                        for (int c = 0; c < NCOUNTS; c++) {
                            uint32_t m;
                            if (!shd_mask(BITS[sz], counts[c], &m)) continue;
                            uint32_t fin = ((i + j + c) & 1) ? ARITH : 0;
                            struct R r; rinit(&r);
                            uint32_t a = widen(v[i], sz, HA), b = widen(srcs[j], sz, HB);
                            r.eax = a; r.edx = b; r.ecx = (HB & ~0xFFu) | counts[c];
                            call(form ? shd_tab[o].imm[s][c] : shd_tab[o].cl[s], &r, fin);
                            P("%s%d%s", shd_tab[o].nm, BITS[sz], form ? "i" : "");
                            EMIT("", 0, 4, v[i], srcs[j] & WMASK[sz], counts[c], fin, r.eax, r.fl & m);
                        }
                    }
            }
    section("SHLD/SHRD memory dest: op32m mem edx count flags_in > mem flags");
    for (int o = 0; o < 2; o++)
        for (int i = 0; i < 6; i++)
            for (int c = 0; c < NCOUNTS; c++) {
                uint32_t m;
                shd_mask(32, counts[c], &m);
                struct R r; rinit(&r);
                uint32_t fin = ((i + c) & 1) ? ARITH : 0;
                mem[8] = S32[i]; r.esi = MEMPTR; r.edx = srcs[i & 3]; r.ecx = counts[c];
                call(shd_tab[o].m, &r, fin);
                P("%s32m", shd_tab[o].nm);
                EMIT("", 0, 4, S32[i], srcs[i & 3], counts[c], fin, mem[8], r.fl & m);
            }
}

/* =========================================================================================
 * MUL / IMUL / DIV / IDIV
 * ========================================================================================= */
STUB(ox_mul_b, "mulb %cl")
STUB(ox_mul_w, "mulw %cx")
STUB(ox_mul_l, "mull %ecx")
STUB(ox_imul1_b, "imulb %cl")
STUB(ox_imul1_w, "imulw %cx")
STUB(ox_imul1_l, "imull %ecx")
STUB(ox_mul_m_l, "mull (%esi)")
STUB(ox_imul1_m_b, "imulb (%esi)")
STUB(ox_imul2_w, "imulw %cx,%ax")
STUB(ox_imul2_l, "imull %ecx,%eax")
STUB(ox_imul2_m_l, "imull (%esi),%eax")
STUB(ox_imul3_w0, "imulw $-2,%cx,%ax")
STUB(ox_imul3_w1, "imulw $0x7f,%cx,%ax")
STUB(ox_imul3_w2, "imulw $0x1234,%cx,%ax")
STUB(ox_imul3_w3, "imulw $-32768,%cx,%ax")
STUB(ox_imul3_l0, "imull $-2,%ecx,%eax")
STUB(ox_imul3_l1, "imull $0x7f,%ecx,%eax")
STUB(ox_imul3_l2, "imull $0x12345678,%ecx,%eax")
STUB(ox_imul3_l3, "imull $0x80000000,%ecx,%eax")
STUB(ox_imul3_m_l, "imull $-3,(%esi),%eax")
STUB(ox_div_b, "divb %cl")
STUB(ox_div_w, "divw %cx")
STUB(ox_div_l, "divl %ecx")
STUB(ox_idiv_b, "idivb %cl")
STUB(ox_idiv_w, "idivw %cx")
STUB(ox_idiv_l, "idivl %ecx")
STUB(ox_div_m_l, "divl (%esi)")
STUB(ox_idiv_m_w, "idivw (%esi)")

static void test_muldiv(void)
{
    section("MUL/IMUL one operand: op<bits> eax ecx flags_in > eax edx flags(CF OF only)");
    stub_fn *m1[2][3] = { { ox_mul_b, ox_mul_w, ox_mul_l }, { ox_imul1_b, ox_imul1_w, ox_imul1_l } };
    for (int o = 0; o < 2; o++)
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = vals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    struct R r; rinit(&r);
                    uint32_t a = widen(v[i], sz, HA), b = widen(v[j], sz, HB), fin = ((i + j) & 1) ? ARITH : 0;
                    r.eax = a; r.ecx = b; r.edx = 0xD5D5D5D5u;
                    call(m1[o][sz], &r, fin);
                    EMIT(o ? "imul" : "mul", BITS[sz], 3, v[i], v[j], fin, r.eax, r.edx, r.fl & (CF | OF));
                }
        }
    section("MUL/IMUL memory operand: mul32m / imul8m mem eax > eax edx flags(CF OF)");
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            struct R r; rinit(&r);
            mem[8] = S32[i]; r.esi = MEMPTR; r.eax = S32[j];
            call(ox_mul_m_l, &r, 0);
            EMIT("mul32m", 0, 2, S32[i], S32[j], r.eax, r.edx, r.fl & (CF | OF));
            rinit(&r);
            mem[8] = widen(S16[i], 0, HM); r.esi = MEMPTR; r.eax = widen(S16[j], 0, HA);
            call(ox_imul1_m_b, &r, ARITH);
            EMIT("imul8m", 0, 2, S16[i] & 0xFF, S16[j] & 0xFF, r.eax, r.edx, r.fl & (CF | OF));
        }
    section("IMUL two operands: imul<bits>r eax ecx > eax flags(CF OF)");
    stub_fn *m2[2] = { ox_imul2_w, ox_imul2_l };
    for (int s = 0; s < 2; s++) {
        int sz = s + 1, n; const uint32_t *v = vals(sz, &n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                struct R r; rinit(&r);
                uint32_t a = widen(v[i], sz, HA), b = widen(v[j], sz, HB), fin = ((i + j) & 1) ? ARITH : 0;
                r.eax = a; r.ecx = b;
                call(m2[s], &r, fin);
                P("imul%dr", BITS[sz]);
                EMIT("", 0, 2, v[i], v[j], r.eax, r.fl & (CF | OF));
            }
    }
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            struct R r; rinit(&r);
            mem[8] = S32[i]; r.esi = MEMPTR; r.eax = S32[j];
            call(ox_imul2_m_l, &r, 0);
            EMIT("imul32rm", 0, 2, S32[i], S32[j], r.eax, r.fl & (CF | OF));
        }
    section("IMUL three operands (imm8 / imm16/32 forms): imul<bits>i imm ecx > eax flags(CF OF)");
    stub_fn *m3[2][4] = { { ox_imul3_w0, ox_imul3_w1, ox_imul3_w2, ox_imul3_w3 },
                          { ox_imul3_l0, ox_imul3_l1, ox_imul3_l2, ox_imul3_l3 } };
    static const uint32_t imm3[2][4] = { { 0xFFFE, 0x7F, 0x1234, 0x8000 }, { 0xFFFFFFFEu, 0x7F, 0x12345678, 0x80000000u } };
    for (int s = 0; s < 2; s++) {
        int sz = s + 1, n; const uint32_t *v = vals(sz, &n);
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < n; i++) {
                struct R r; rinit(&r);
                uint32_t b = widen(v[i], sz, HB);
                r.eax = HA; r.ecx = b;
                call(m3[s][k], &r, (i & 1) ? ARITH : 0);
                P("imul%di", BITS[sz]);
                EMIT("", 0, 2, imm3[s][k], v[i], r.eax, r.fl & (CF | OF));
            }
    }
    for (int i = 0; i < 6; i++) {
        struct R r; rinit(&r);
        mem[8] = S32[i]; r.esi = MEMPTR;
        call(ox_imul3_m_l, &r, 0);
        EMIT("imul32im", 0, 2, 0xFFFFFFFDu, S32[i], r.eax, r.fl & (CF | OF));
    }

    section("DIV/IDIV: op<bits> edx eax divisor > edx eax (flags undefined; #DE cases skipped)");
    stub_fn *dv[2][3] = { { ox_div_b, ox_div_w, ox_div_l }, { ox_idiv_b, ox_idiv_w, ox_idiv_l } };
    static const uint32_t his[5] = { 0, 1, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu };
    for (int o = 0; o < 2; o++)
        for (int sz = 0; sz < 3; sz++) {
            int nd; const uint32_t *dvs = vals(sz, &nd);
            int nl = 11;
            const uint32_t *lo = sz == 0 ? V16 : svals(sz, &nl);   /* 8-bit: AX over the 16-bit edges */
            for (int h = 0; h < (sz ? 6 : 1); h++)
                for (int i = 0; i < nl; i++)
                    for (int j = 0; j < nd; j++) {
                        uint32_t d = dvs[j] & WMASK[sz], ok = 0;
                        uint32_t hi = sz ? (h < 5 ? his[h] : V32[12]) & WMASK[sz] : 0, l = lo[i] & WMASK[sz];
                        if (sz == 0) l = lo[i] & 0xFFFF;
                        if (d == 0) continue;
                        if (sz == 0) {
                            if (!o) ok = l / d <= 0xFF;
                            else { int32_t q = (int32_t)(int16_t)l / (int32_t)(int8_t)d; ok = q >= -128 && q <= 127; }
                        } else if (sz == 1) {
                            uint32_t nn = hi << 16 | l;
                            if (!o) ok = nn / d <= 0xFFFF;
                            else { int64_t q = (int64_t)(int32_t)nn / (int64_t)(int16_t)d; ok = q >= -32768 && q <= 32767; }
                        } else {
                            uint64_t nn = (uint64_t)hi << 32 | l;
                            if (!o) ok = nn / d <= 0xFFFFFFFFu;
                            else {
                                int64_t sn = (int64_t)nn, sd = (int32_t)d;
                                if (sd == -1) ok = sn >= -(int64_t)0x7FFFFFFF && sn <= (int64_t)0x80000000;
                                else { int64_t q = sn / sd; ok = q >= -(int64_t)0x80000000 && q <= 0x7FFFFFFF; }
                            }
                        }
                        if (!ok) continue;
                        struct R r; rinit(&r);
                        r.edx = sz ? widen(hi, sz, HB) : 0xD5D5D5D5u;
                        r.eax = sz ? widen(l, sz, HA) : (HA & 0xFFFF0000u) | l;
                        r.ecx = widen(d, sz, HB);
                        uint32_t e0 = r.edx, a0 = r.eax, c0 = r.ecx;
                        call(dv[o][sz], &r, 0);
                        EMIT(o ? "idiv" : "div", BITS[sz], 3, e0, a0, c0, r.edx, r.eax);
                    }
        }
    section("DIV/IDIV memory divisor: div32m edx eax mem > edx eax; idiv16m ...");
    for (int i = 0; i < 6; i++)
        for (int j = 1; j < 6; j++) {
            struct R r; rinit(&r);
            uint32_t hi = (i & 1) ? S32[j] - 1 : 0;   /* keeps the quotient below 2^32 */
            mem[8] = S32[j]; r.esi = MEMPTR; r.edx = hi; r.eax = S32[i];
            call(ox_div_m_l, &r, 0);
            EMIT("div32m", 0, 3, hi, S32[i], S32[j], r.edx, r.eax);
            int16_t dd = (int16_t)S16[j];
            int32_t nn = (int32_t)(int16_t)S16[i], q = dd ? nn / dd : 0;
            if (!dd || q < -32768 || q > 32767) continue;
            rinit(&r);
            mem[8] = widen(S16[j], 1, HM); r.esi = MEMPTR; r.eax = widen(S16[i], 1, HA);
            r.edx = (S16[i] & 0x8000) ? 0xD5D5FFFFu : 0xD5D50000u;
            uint32_t e0 = r.edx;
            uint32_t a0 = r.eax;
            call(ox_idiv_m_w, &r, 0);
            EMIT("idiv16m", 0, 3, e0, a0, mem[8], r.edx, r.eax);
        }
}

/* =========================================================================================
 * Bit instructions: BT BTS BTR BTC, BSF BSR, BSWAP
 * ========================================================================================= */
#define BT_OPS(X) X(bt) X(bts) X(btr) X(btc)
#define GEN_BT(op)                                                                               \
    STUB(ox_##op##_r_w, #op "w %cx,%ax")                                                         \
    STUB(ox_##op##_r_l, #op "l %ecx,%eax")                                                       \
    STUB(ox_##op##_m_w, #op "w %cx,(%esi)")                                                      \
    STUB(ox_##op##_m_l, #op "l %ecx,(%esi)")                                                     \
    STUB(ox_##op##_i0_w, #op "w $0,%ax")                                                         \
    STUB(ox_##op##_i1_w, #op "w $7,%ax")                                                         \
    STUB(ox_##op##_i2_w, #op "w $15,%ax")                                                        \
    STUB(ox_##op##_i3_w, #op "w $17,%ax")                                                        \
    STUB(ox_##op##_i4_w, #op "w $31,%ax")                                                        \
    STUB(ox_##op##_i0_l, #op "l $0,%eax")                                                        \
    STUB(ox_##op##_i1_l, #op "l $7,%eax")                                                        \
    STUB(ox_##op##_i2_l, #op "l $15,%eax")                                                       \
    STUB(ox_##op##_i3_l, #op "l $33,%eax")                                                       \
    STUB(ox_##op##_i4_l, #op "l $31,%eax")                                                       \
    STUB(ox_##op##_mi_w, #op "w $19,(%esi)")                                                     \
    STUB(ox_##op##_mi_l, #op "l $35,(%esi)")
BT_OPS(GEN_BT)
STUB(ox_lock_bts_l, "lock btsl %ecx,(%esi)")
STUB(ox_lock_btr_l, "lock btrl %ecx,(%esi)")
STUB(ox_lock_btc_l, "lock btcl %ecx,(%esi)")
#define BT_ENT(op)                                                                               \
    { #op, { ox_##op##_r_w, ox_##op##_r_l }, { ox_##op##_m_w, ox_##op##_m_l },                   \
      { { ox_##op##_i0_w, ox_##op##_i1_w, ox_##op##_i2_w, ox_##op##_i3_w, ox_##op##_i4_w },      \
        { ox_##op##_i0_l, ox_##op##_i1_l, ox_##op##_i2_l, ox_##op##_i3_l, ox_##op##_i4_l } },    \
      { ox_##op##_mi_w, ox_##op##_mi_l } },
static const struct { const char *nm; stub_fn *r[2], *m[2], *imm[2][5], *mi[2]; } bt_tab[] = { BT_OPS(BT_ENT) };
static const uint32_t bt_imm[2][5] = { { 0, 7, 15, 17, 31 }, { 0, 7, 15, 33, 31 } };
#define BTMASK (CF | ZF)   /* CF = selected bit; ZF unaffected; OF SF AF PF undefined */

STUB(ox_bsf_w, "bsfw %cx,%ax")
STUB(ox_bsf_l, "bsfl %ecx,%eax")
STUB(ox_bsr_w, "bsrw %cx,%ax")
STUB(ox_bsr_l, "bsrl %ecx,%eax")
STUB(ox_bsf_m_l, "bsfl (%esi),%eax")
STUB(ox_bsr_m_l, "bsrl (%esi),%eax")
STUB(ox_bswap_eax, "bswap %eax")
STUB(ox_bswap_ecx, "bswap %ecx")
STUB(ox_bswap_edx, "bswap %edx")
STUB(ox_bswap_ebx, "bswap %ebx")
STUB(ox_bswap_ebp, "bswap %ebp")
STUB(ox_bswap_esi, "bswap %esi")
STUB(ox_bswap_edi, "bswap %edi")

static uint8_t bitbuf[64];

static void test_bits(void)
{
    static const uint32_t fins[2] = { 0, ARITH };
    section("BT/BTS/BTR/BTC reg,reg: op<bits> eax ecx(bit) flags_in > eax flags(CF ZF)");
    static const uint32_t bits_[10] = { 0, 1, 7, 15, 16, 17, 31, 32, 33, 0xFFFFFFFFu };
    for (int o = 0; o < 4; o++)
        for (int s = 0; s < 2; s++) {
            int sz = s + 1, n; const uint32_t *v = svals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int b = 0; b < 10; b++)
                    for (int f = 0; f < 2; f++) {
                        struct R r; rinit(&r);
                        uint32_t a = widen(v[i] ^ (b * 0x1111u), sz, HA), c = widen(bits_[b], sz, HB);
                        r.eax = a; r.ecx = c;
                        call(bt_tab[o].r[s], &r, fins[f]);
                        EMIT(bt_tab[o].nm, BITS[sz], 3, a & WMASK[sz], bits_[b] & WMASK[sz], fins[f], r.eax, r.fl & BTMASK);
                    }
        }
    section("BT* reg,imm8: op<bits>i imm eax flags_in > eax flags(CF ZF)");
    for (int o = 0; o < 4; o++)
        for (int s = 0; s < 2; s++) {
            int sz = s + 1, n; const uint32_t *v = svals(sz, &n);
            for (int k = 0; k < 5; k++)
                for (int i = 0; i < n; i++) {
                    struct R r; rinit(&r);
                    uint32_t a = widen(v[i] ^ 0x00A5u, sz, HA), fin = ((i + k) & 1) ? ARITH : 0;
                    r.eax = a;
                    call(bt_tab[o].imm[s][k], &r, fin);
                    P("%s%di", bt_tab[o].nm, BITS[sz]);
                    EMIT("", 0, 3, bt_imm[s][k], a & WMASK[sz], fin, r.eax, r.fl & BTMASK);
                }
        }
    section("BT* (mem),reg with signed bit offsets reaching outside the operand: op<bits>m ecx flags_in > hash(buffer) flags(CF ZF)");
    static const int32_t offs[12] = { -129, -33, -17, -1, 0, 1, 15, 16, 31, 32, 100, 255 };
    for (int o = 0; o < 4; o++)
        for (int s = 0; s < 3; s++)
            for (int k = 0; k < 12; k++) {
                if (s == 2 && o == 0) continue;
                for (unsigned q = 0; q < sizeof bitbuf; q++) bitbuf[q] = (uint8_t)(q * 37 + 11);
                struct R r; rinit(&r);
                r.esi = (uint32_t)(uintptr_t)&bitbuf[32];
                r.ecx = s == 0 ? (HB & 0xFFFF0000u) | ((uint32_t)offs[k] & 0xFFFF) : (uint32_t)offs[k];
                uint32_t fin = (k & 1) ? ARITH : 0;
                stub_fn *fn = s < 2 ? bt_tab[o].m[s] : o == 1 ? ox_lock_bts_l : o == 2 ? ox_lock_btr_l : ox_lock_btc_l;
                call(fn, &r, fin);
                if (s < 2) P("%s%dm", bt_tab[o].nm, BITS[s + 1]); else P("lock%s32m", bt_tab[o].nm);
                EMIT("", 0, 2, offs[k], fin, fnv(bitbuf, sizeof bitbuf), r.fl & BTMASK);
            }
    section("BT* (mem),imm8 (imm taken modulo the operand width): op<bits>mi flags_in > hash(buffer) flags(CF ZF)");
    for (int o = 0; o < 4; o++)
        for (int s = 0; s < 2; s++)
            for (int f = 0; f < 2; f++) {
                for (unsigned q = 0; q < sizeof bitbuf; q++) bitbuf[q] = (uint8_t)(q * 53 + f);
                struct R r; rinit(&r);
                r.esi = (uint32_t)(uintptr_t)&bitbuf[32];
                call(bt_tab[o].mi[s], &r, fins[f]);
                P("%s%dmi", bt_tab[o].nm, BITS[s + 1]);
                EMIT("", 0, 2, s ? 35 : 19, fins[f], fnv(bitbuf, sizeof bitbuf), r.fl & BTMASK);
            }

    section("BSF/BSR: op<bits> ecx > eax flags(ZF)   (destination undefined for a zero source: not printed)");
    stub_fn *bs[2][2] = { { ox_bsf_w, ox_bsf_l }, { ox_bsr_w, ox_bsr_l } };
    for (int o = 0; o < 2; o++)
        for (int s = 0; s < 2; s++) {
            int sz = s + 1, n; const uint32_t *v = vals(sz, &n);
            for (int i = 0; i < n + 8; i++) {
                uint32_t x = i < n ? v[i] : (1u << (i * 5 % BITS[sz])) | (0x80000000u >> (i * 3 % BITS[sz]));
                struct R r; rinit(&r);
                uint32_t c = widen(x, sz, HB);
                r.eax = HA; r.ecx = c;
                call(bs[o][s], &r, (i & 1) ? ARITH : 0);
                if ((c & WMASK[sz]) == 0) EMIT(o ? "bsr" : "bsf", BITS[sz], 1, c, r.fl & ZF);
                else EMIT(o ? "bsr" : "bsf", BITS[sz], 1, c, r.eax, r.fl & ZF);
            }
        }
    for (int i = 1; i < 6; i++) {
        struct R r; rinit(&r);
        mem[8] = S32[i]; r.esi = MEMPTR;
        call(ox_bsf_m_l, &r, 0);
        EMIT("bsf32m", 0, 1, S32[i], r.eax, r.fl & ZF);
        rinit(&r);
        r.esi = MEMPTR;
        call(ox_bsr_m_l, &r, ARITH);
        EMIT("bsr32m", 0, 1, S32[i], r.eax, r.fl & ZF);
    }

    section("BSWAP reg: bswap_<reg> in flags_in > out flags(unchanged)");
    static const struct { const char *nm; stub_fn *f; int reg; } bsw[7] = {
        { "bswap_eax", ox_bswap_eax, 0 }, { "bswap_ecx", ox_bswap_ecx, 1 }, { "bswap_edx", ox_bswap_edx, 2 },
        { "bswap_ebx", ox_bswap_ebx, 3 }, { "bswap_ebp", ox_bswap_ebp, 5 }, { "bswap_esi", ox_bswap_esi, 6 },
        { "bswap_edi", ox_bswap_edi, 7 } };
    for (int k = 0; k < 7; k++)
        for (int i = 0; i < 4; i++) {
            uint32_t x = i == 0 ? 0x12345678u : i == 1 ? 0x80000001u : i == 2 ? 0x00FF00FFu : V32[11 + k % 4];
            struct R r; rinit(&r);
            uint32_t *regs = &r.eax;
            regs[bsw[k].reg] = x;
            call(bsw[k].f, &r, (i & 1) ? ARITH : 0);
            EMIT(bsw[k].nm, 0, 2, x, (i & 1) ? ARITH : 0, regs[bsw[k].reg], r.fl & ARITH);
        }
}

/* =========================================================================================
 * Conditions: SETcc, CMOVcc, Jcc for all 16 conditions
 * ========================================================================================= */
STUB(ox_setcc_lo, "seto %al\n\tsetno %ah\n\tsetb %bl\n\tsetae %bh\n\tsete %cl\n\tsetne %ch\n\tsetbe %dl\n\tseta %dh")
STUB(ox_setcc_hi, "sets %al\n\tsetns %ah\n\tsetp %bl\n\tsetnp %bh\n\tsetl %cl\n\tsetge %ch\n\tsetle %dl\n\tsetg %dh")
STUB(ox_setcc_m, "setg (%esi)\n\tsetbe 1(%esi)\n\tsetp 2(%esi)\n\tsetl 3(%esi)")
#define CCS(X) X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)
#define GEN_CC(cc)                                                                               \
    STUB(ox_cmov##cc##_l, "cmov" #cc "l %ecx,%eax")                                              \
    STUB(ox_cmov##cc##_w, "cmov" #cc "w %cx,%ax")                                                \
    STUB(ox_cmov##cc##_m, "cmov" #cc "l (%esi),%eax")                                            \
    STUB(ox_j##cc, "movl $1,%eax\n\tj" #cc " 1f\n\tmovl $0,%eax\n1:")
CCS(GEN_CC)
#define CC_ENT(cc) { ox_cmov##cc##_l, ox_cmov##cc##_w, ox_cmov##cc##_m, ox_j##cc },
static stub_fn *const cc_tab[16][4] = { CCS(CC_ENT) };

static uint32_t combo_flags(int k)
{
    /* k: 6 bits -> CF PF AF ZF SF OF */
    static const uint32_t fb[6] = { CF, PF, AF, ZF, SF, OF };
    uint32_t f = 0;
    for (int i = 0; i < 6; i++) if (k >> i & 1) f |= fb[i];
    return f;
}

static void test_conditions(void)
{
    section("SETcc/CMOVcc/Jcc (cc order o no b ae e ne be a s ns p np l ge le g, bit i = cc i): cc flags_in > setcc cmov32 cmov16 cmov32m jcc setcc_m flags");
    for (int k = 0; k < 64; k++) {
        uint32_t fin = combo_flags(k), set = 0, cm = 0, cw = 0, cmm = 0, jc = 0, bad = 0;
        struct R r; rinit(&r);
        call(ox_setcc_lo, &r, fin);
        uint32_t lo[8] = { r.eax & 0xFF, r.eax >> 8 & 0xFF, r.ebx & 0xFF, r.ebx >> 8 & 0xFF,
                           r.ecx & 0xFF, r.ecx >> 8 & 0xFF, r.edx & 0xFF, r.edx >> 8 & 0xFF };
        if ((r.fl & ARITH) != fin) bad |= 1;
        rinit(&r);
        call(ox_setcc_hi, &r, fin);
        uint32_t hi[8] = { r.eax & 0xFF, r.eax >> 8 & 0xFF, r.ebx & 0xFF, r.ebx >> 8 & 0xFF,
                           r.ecx & 0xFF, r.ecx >> 8 & 0xFF, r.edx & 0xFF, r.edx >> 8 & 0xFF };
        for (int i = 0; i < 8; i++) set |= lo[i] << i | hi[i] << (i + 8);
        for (int c = 0; c < 16; c++) {
            rinit(&r);
            r.eax = 0x11112222u; r.ecx = 0x33334444u;
            call(cc_tab[c][0], &r, fin);
            if (r.eax == 0x33334444u) cm |= 1u << c; else if (r.eax != 0x11112222u) bad |= 2;
            if ((r.fl & ARITH) != fin) bad |= 4;
            rinit(&r);
            r.eax = 0x11112222u; r.ecx = 0x33334444u;
            call(cc_tab[c][1], &r, fin);
            if (r.eax == 0x11114444u) cw |= 1u << c; else if (r.eax != 0x11112222u) bad |= 8;
            rinit(&r);
            mem[8] = 0x55556666u; r.esi = MEMPTR; r.eax = 0x11112222u;
            call(cc_tab[c][2], &r, fin);
            if (r.eax == 0x55556666u) cmm |= 1u << c; else if (r.eax != 0x11112222u) bad |= 16;
            rinit(&r);
            call(cc_tab[c][3], &r, fin);
            jc |= (r.eax & 1) << c;
        }
        rinit(&r);
        mem[8] = 0xFFFFFFFFu; r.esi = MEMPTR;
        call(ox_setcc_m, &r, fin);
        EMIT("cc", 0, 1, fin, set, cm, cw, cmm, jc, mem[8], r.fl & ARITH, bad);
    }
}

/* =========================================================================================
 * XADD, CMPXCHG, CMPXCHG8B
 * ========================================================================================= */
STUB(ox_xadd_b, "xaddb %cl,%al")
STUB(ox_xadd_w, "xaddw %cx,%ax")
STUB(ox_xadd_l, "xaddl %ecx,%eax")
STUB(ox_xadd_m_b, "xaddb %cl,(%esi)")
STUB(ox_xadd_m_w, "xaddw %cx,(%esi)")
STUB(ox_xadd_m_l, "xaddl %ecx,(%esi)")
STUB(ox_xadd_lk_b, "lock xaddb %cl,(%esi)")
STUB(ox_xadd_lk_w, "lock xaddw %cx,(%esi)")
STUB(ox_xadd_lk_l, "lock xaddl %ecx,(%esi)")
STUB(ox_cx_b, "cmpxchgb %cl,%dl")
STUB(ox_cx_w, "cmpxchgw %cx,%dx")
STUB(ox_cx_l, "cmpxchgl %ecx,%edx")
STUB(ox_cx_m_b, "cmpxchgb %cl,(%esi)")
STUB(ox_cx_m_w, "cmpxchgw %cx,(%esi)")
STUB(ox_cx_m_l, "cmpxchgl %ecx,(%esi)")
STUB(ox_cx_lk_b, "lock cmpxchgb %cl,(%esi)")
STUB(ox_cx_lk_w, "lock cmpxchgw %cx,(%esi)")
STUB(ox_cx_lk_l, "lock cmpxchgl %ecx,(%esi)")
STUB(ox_cx8b, "cmpxchg8b (%esi)")
STUB(ox_cx8b_lk, "lock cmpxchg8b (%esi)")

static void test_atomics(void)
{
    static const char *form[3] = { "", "m", "lock" };
    section("XADD: xadd<bits>[m|lock] dest src flags_in > dest src flags   (dest = eax or mem, src = ecx)");
    stub_fn *xa[3][3] = { { ox_xadd_b, ox_xadd_w, ox_xadd_l }, { ox_xadd_m_b, ox_xadd_m_w, ox_xadd_m_l },
                          { ox_xadd_lk_b, ox_xadd_lk_w, ox_xadd_lk_l } };
    for (int fm = 0; fm < 3; fm++)
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = svals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    struct R r; rinit(&r);
                    uint32_t a = widen(v[i], sz, fm ? HM : HA), b = widen(v[j], sz, HB), fin = ((i + j) & 1) ? ARITH : 0;
                    if (fm) { mem[8] = a; r.esi = MEMPTR; } else r.eax = a;
                    r.ecx = b;
                    call(xa[fm][sz], &r, fin);
                    P("xadd%d%s", BITS[sz], form[fm]);
                    EMIT("", 0, 3, v[i], v[j], fin, fm ? mem[8] : r.eax, r.ecx, r.fl & ARITH);
                }
        }
    section("CMPXCHG: cmpxchg<bits>[m|lock] dest eax src flags_in > dest eax flags   (dest = edx or mem, src = ecx)");
    stub_fn *cx[3][3] = { { ox_cx_b, ox_cx_w, ox_cx_l }, { ox_cx_m_b, ox_cx_m_w, ox_cx_m_l },
                          { ox_cx_lk_b, ox_cx_lk_w, ox_cx_lk_l } };
    for (int fm = 0; fm < 3; fm++)
        for (int sz = 0; sz < 3; sz++) {
            int n; const uint32_t *v = svals(sz, &n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    struct R r; rinit(&r);
                    /* j == i: equal case (dest replaced by src); otherwise eax gets dest */
                    uint32_t d = widen(v[i], sz, fm ? HM : 0xD1D2D3D4u), a = widen(v[j], sz, HA);
                    uint32_t s = widen(v[(i + 1) % n] ^ 0x5A, sz, HB), fin = ((i + j) & 1) ? ARITH : 0;
                    if (fm) { mem[8] = d; r.esi = MEMPTR; } else r.edx = d;
                    r.eax = a; r.ecx = s;
                    call(cx[fm][sz], &r, fin);
                    P("cmpxchg%d%s", BITS[sz], form[fm]);
                    EMIT("", 0, 4, d & WMASK[sz], a & WMASK[sz], s & WMASK[sz], fin, fm ? mem[8] : r.edx, r.eax, r.fl & ARITH);
                }
        }
    section("CMPXCHG8B: cmpxchg8b[lock] mem64 edx:eax ecx:ebx flags_in > mem64 edx:eax flags(ZF; others unchanged)");
    static const uint64_t m64[4] = { 0, 0xFFFFFFFFFFFFFFFFull, 0x8000000000000001ull, 0x123456789ABCDEF0ull };
    for (int lk = 0; lk < 2; lk++)
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 4; c++)
                for (int f = 0; f < 2; f++) {
                    uint64_t mv = m64[i];
                    uint64_t cmpv = c == 0 ? mv : c == 1 ? mv ^ 1 : c == 2 ? mv ^ 0x100000000ull : m64[(i + 1) & 3];
                    uint64_t nv = 0xCAFEBABEDEADBEEFull ^ ((uint64_t)i << 40);
                    struct R r; rinit(&r);
                    mem[8] = (uint32_t)mv; mem[9] = (uint32_t)(mv >> 32); r.esi = MEMPTR;
                    r.eax = (uint32_t)cmpv; r.edx = (uint32_t)(cmpv >> 32);
                    r.ebx = (uint32_t)nv; r.ecx = (uint32_t)(nv >> 32);
                    uint32_t fin = f ? ARITH : 0;
                    call(lk ? ox_cx8b_lk : ox_cx8b, &r, fin);
                    P("cmpxchg8b%s", lk ? "lock" : "");
                    EMIT("", 0, 7, (uint32_t)(mv >> 32), (uint32_t)mv, (uint32_t)(cmpv >> 32),
                         (uint32_t)cmpv, r.ecx, r.ebx, fin, mem[9], mem[8], r.edx, r.eax, r.fl & ARITH);
                }
}

/* =========================================================================================
 * Flag transfer and conversions: LAHF SAHF CLC STC CMC, CBW CWDE CWD CDQ, MOVSX MOVZX, XCHG, XLAT
 * ========================================================================================= */
STUB(ox_lahf, "lahf")
STUB(ox_sahf, "sahf")
STUB(ox_clc, "clc")
STUB(ox_stc, "stc")
STUB(ox_cmc, "cmc")
#define CONV_LIST(X)                                                                             \
    X(cbw, "cbtw")                                                                               \
    X(cwde, "cwtl")                                                                              \
    X(cwd, "cwtd")                                                                               \
    X(cdq, "cltd")                                                                               \
    X(movsbw, "movsbw %cl,%ax")                                                                  \
    X(movsbl, "movsbl %cl,%eax")                                                                 \
    X(movswl, "movswl %cx,%eax")                                                                 \
    X(movzbw, "movzbw %cl,%ax")                                                                  \
    X(movzbl, "movzbl %cl,%eax")                                                                 \
    X(movzwl, "movzwl %cx,%eax")                                                                 \
    X(movsbl_ch, "movsbl %ch,%eax")                                                              \
    X(movzbl_ch, "movzbl %ch,%eax")                                                              \
    X(movsbl_m, "movsbl (%esi),%eax")                                                            \
    X(movswl_m, "movswl (%esi),%eax")                                                            \
    X(movzbw_m, "movzbw (%esi),%ax")                                                             \
    X(movzwl_m, "movzwl (%esi),%eax")                                                            \
    X(movsbw_m, "movsbw 1(%esi),%ax")
#define GEN_CONV(nm, insn) STUB(ox_##nm, insn)
CONV_LIST(GEN_CONV)
#define CONV_ENT(nm, insn) { #nm, ox_##nm },
static const struct { const char *nm; stub_fn *f; } conv_tab[] = { CONV_LIST(CONV_ENT) };

#define XCHG_LIST(X)                                                                             \
    X(xchg_eax_ecx, "xchgl %ecx,%eax")                                                           \
    X(xchg_ecx_edx, "xchgl %ecx,%edx")                                                           \
    X(xchg_ax_cx, "xchgw %cx,%ax")                                                               \
    X(xchg_dx_cx, "xchgw %cx,%dx")                                                               \
    X(xchg_cl_ah, "xchgb %cl,%ah")                                                               \
    X(xchg_dh_dl, "xchgb %dh,%dl")                                                               \
    X(xchg_m_ecx, "xchgl %ecx,(%esi)")                                                           \
    X(xchg_m_dx, "xchgw %dx,(%esi)")                                                             \
    X(xchg_m_bh, "xchgb %bh,1(%esi)")                                                            \
    X(xchg_eax_edi, "xchgl %edi,%eax")                                                           \
    X(xchg_ebp_esi, "xchgl %ebp,%esi")                                                           \
    X(xlat, "xlatb")
XCHG_LIST(GEN_CONV)
static const struct { const char *nm; stub_fn *f; } xchg_tab[] = { XCHG_LIST(CONV_ENT) };

static void test_flagsconv(void)
{
    section("SAHF: sahf eax flags_in > flags   (loads SF ZF AF PF CF from AH, OF unchanged)");
    for (int ah = 0; ah < 256; ah++) {
        struct R r; rinit(&r);
        uint32_t fin = (ah % 3 == 0) ? ARITH : (ah % 3 == 1) ? 0 : OF;
        r.eax = (HA & 0xFFFF00FFu) | (uint32_t)ah << 8;
        call(ox_sahf, &r, fin);
        EMIT("sahf", 0, 2, r.eax, fin, r.fl & ARITH);
    }
    section("LAHF/CLC/STC/CMC: flags_in > lahf_eax flags_after_lahf clc stc cmc");
    for (int k = 0; k < 64; k++) {
        uint32_t fin = combo_flags(k), o[5];
        struct R r; rinit(&r);
        r.eax = HA;
        call(ox_lahf, &r, fin);
        o[0] = r.eax; o[1] = r.fl & ARITH;
        call(ox_clc, &r, fin); o[2] = r.fl & ARITH;
        call(ox_stc, &r, fin); o[3] = r.fl & ARITH;
        call(ox_cmc, &r, fin); o[4] = r.fl & ARITH;
        EMIT("lahf", 0, 1, fin, o[0], o[1], o[2], o[3], o[4]);
    }
    section("sign/zero extension: name eax/ecx/mem in > eax edx flags(unchanged)");
    for (unsigned t = 0; t < sizeof conv_tab / sizeof conv_tab[0]; t++)
        for (int i = 0; i < 15; i++) {
            struct R r; rinit(&r);
            uint32_t x = V32[i] ^ (i >= 8 ? 0 : (uint32_t)i << 24), fin = (i & 1) ? ARITH : 0;
            r.eax = x ^ 0x5A00u; r.ecx = x; r.edx = HB;
            mem[8] = x; mem[9] = ~x; r.esi = MEMPTR;
            uint32_t a0 = r.eax;
            call(conv_tab[t].f, &r, fin);
            EMIT(conv_tab[t].nm, 0, 2, a0, x, r.eax, r.edx, r.fl & ARITH);
        }
    section("XCHG/XLAT: name eax ecx edx ebx mem > eax ecx edx ebx ebp esi(0 = still the mem pointer) edi mem");
    static uint8_t xlt[256];
    for (int i = 0; i < 256; i++) xlt[i] = (uint8_t)(i * 7 + 3);
    for (unsigned t = 0; t < sizeof xchg_tab / sizeof xchg_tab[0]; t++)
        for (int i = 0; i < 3; i++) {
            struct R r; rinit(&r);
            int isxlat = streq(xchg_tab[t].nm, "xlat");
            r.eax = V32[11 + i] ^ 0x80; r.ecx = V32[12 + i]; r.edx = V32[8 + i]; r.ebx = 0x0B1B2B3Bu;
            r.ebp = 0x0E1E2E3Eu; r.edi = 0x0D2D3D4Du;
            mem[8] = 0x12345678u + (uint32_t)i; r.esi = MEMPTR;
            if (isxlat) r.ebx = (uint32_t)(uintptr_t)xlt;
            uint32_t in[5] = { r.eax, r.ecx, r.edx, isxlat ? 0 : r.ebx, mem[8] };
            call(xchg_tab[t].f, &r, 0);
            int esi_moved = r.esi != MEMPTR;   /* xchg %ebp,%esi: print esi's value, not the pointer */
            EMIT(xchg_tab[t].nm, 0, 5, in[0], in[1], in[2], in[3], in[4], r.eax, r.ecx, r.edx,
                 isxlat ? 0 : r.ebx, esi_moved ? r.ebp - MEMPTR : r.ebp, esi_moved ? r.esi : 0, r.edi, mem[8]);
        }
}

/* =========================================================================================
 * String instructions
 * ========================================================================================= */
#define STR_LIST(X)                                                                              \
    X(movsb, "movsb") X(movsw, "movsw") X(movsl, "movsl")                                        \
    X(rep_movsb, "rep movsb") X(rep_movsw, "rep movsw") X(rep_movsl, "rep movsl")                \
    X(stosb, "stosb") X(stosw, "stosw") X(stosl, "stosl")                                        \
    X(rep_stosb, "rep stosb") X(rep_stosw, "rep stosw") X(rep_stosl, "rep stosl")                \
    X(lodsb, "lodsb") X(lodsw, "lodsw") X(lodsl, "lodsl")                                        \
    X(rep_lodsb, "rep lodsb") X(rep_lodsw, "rep lodsw") X(rep_lodsl, "rep lodsl")                \
    X(cmpsb, "cmpsb") X(cmpsw, "cmpsw") X(cmpsl, "cmpsl")                                        \
    X(repe_cmpsb, "repe cmpsb") X(repe_cmpsw, "repe cmpsw") X(repe_cmpsl, "repe cmpsl")          \
    X(repne_cmpsb, "repne cmpsb") X(repne_cmpsw, "repne cmpsw") X(repne_cmpsl, "repne cmpsl")    \
    X(scasb, "scasb") X(scasw, "scasw") X(scasl, "scasl")                                        \
    X(repe_scasb, "repe scasb") X(repe_scasw, "repe scasw") X(repe_scasl, "repe scasl")          \
    X(repne_scasb, "repne scasb") X(repne_scasw, "repne scasw") X(repne_scasl, "repne scasl")
STR_LIST(GEN_CONV)
static const struct { const char *nm; stub_fn *f; } str_tab[] = { STR_LIST(CONV_ENT) };

static uint8_t sbuf[128], dbuf[128];

static void test_strings(void)
{
    section("string ops: name DF ecx pattern > esi-src edi-dst ecx eax flags hash(src) hash(dst)");
    static const uint32_t cnts[3] = { 0, 1, 7 };
    for (unsigned t = 0; t < sizeof str_tab / sizeof str_tab[0]; t++) {
        const char *nm = str_tab[t].nm;
        int cmp = 0;   /* CMPS / SCAS: compare patterns; others: distinct source and destination */
        for (const char *p = nm; *p; p++)
            if ((p[0] == 'c' && p[1] == 'm' && p[2] == 'p') || (p[0] == 's' && p[1] == 'c' && p[2] == 'a')) cmp = 1;
        int npat = cmp ? 3 : 1;
        for (int df = 0; df < 2; df++)
            for (int c = 0; c < 3; c++)
                for (int pat = 0; pat < npat; pat++) {
                    for (int i = 0; i < 128; i++) {
                        sbuf[i] = (uint8_t)(i * 13 + 1);
                        dbuf[i] = !cmp ? (uint8_t)(i * 7 + 100) : pat < 2 ? (uint8_t)(i * 13 + 1) : 0xEE;
                    }
                    if (pat == 1) { dbuf[48 + 5] ^= 0x40; dbuf[48 - 5] ^= 0x40; }   /* mismatch a few bytes away */
                    if (pat == 2) { dbuf[48 + 4] = dbuf[48 - 4] = 0x11; }            /* scas target / cmps diff */
                    struct R r; rinit(&r);
                    r.esi = (uint32_t)(uintptr_t)&sbuf[48];
                    r.edi = (uint32_t)(uintptr_t)&dbuf[48];
                    r.ecx = cnts[c];
                    r.eax = pat == 2 ? 0x11111111u : pat == 1 ? 0xEEEEEEEEu : 0x0A0B0C0Du;
                    uint32_t a0 = r.eax;
                    call(str_tab[t].f, &r, df ? DF : 0);
                    EMIT(nm, 0, 4, df, cnts[c], pat, a0,
                         r.esi - (uint32_t)(uintptr_t)sbuf, r.edi - (uint32_t)(uintptr_t)dbuf, r.ecx, r.eax,
                         r.fl & (ARITH | DF), fnv(sbuf, sizeof sbuf), fnv(dbuf, sizeof dbuf));
                }
    }
}

/* =========================================================================================
 * Stack frames: ENTER/LEAVE (nesting levels), PUSHA/POPA (32 and 16 bit), PUSH/POP oddities
 * ========================================================================================= */
#define SEC_ENTER "ENTER/LEAVE: enter size level > esp ebp after enter, esp ebp after leave (@ = offset into the private stack) | frame words"
#define SEC_PUSHA "PUSHA/PUSHAW: name > pushed image from the lowest address (@ = offset into the private stack)"
#define SEC_POPA "POPA/POPAW: name > eax ecx edx ebx esp-image ebp esi edi (esp slot of the image is skipped)"
#define SEC_PUSHPOP "PUSH/POP special forms: name > ecx edx flags(unchanged unless stated)"
#if HAS_IA32_FORMS
/* blk: [0] new esp, [1] new ebp, [2] esp after enter, [3] ebp after enter, [4] esp after
 * leave, [5] ebp after leave, [6] saved host esp */
#define ENTER_STUB(nm, sz, lv)                                                                   \
    void nm(uint32_t *);                                                                         \
    __asm__(".pushsection .text\n\t.p2align 4\n\t.globl " #nm "\n" #nm ":\n\t"                  \
            "pushal\n\tmovl 36(%esp),%esi\n\tmovl %esp,24(%esi)\n\t"                             \
            "movl 4(%esi),%ebp\n\tmovl 0(%esi),%esp\n\t"                                         \
            "enter $" #sz ",$" #lv "\n\t"                                                        \
            "movl %esp,8(%esi)\n\tmovl %ebp,12(%esi)\n\t"                                        \
            "leave\n\t"                                                                          \
            "movl %esp,16(%esi)\n\tmovl %ebp,20(%esi)\n\t"                                       \
            "movl 24(%esi),%esp\n\tpopal\n\tret\n\t.popsection\n");
ENTER_STUB(ox_enter_0_0, 0, 0)
ENTER_STUB(ox_enter_12_0, 12, 0)
ENTER_STUB(ox_enter_0_1, 0, 1)
ENTER_STUB(ox_enter_12_1, 12, 1)
ENTER_STUB(ox_enter_8_2, 8, 2)
ENTER_STUB(ox_enter_4_3, 4, 3)
ENTER_STUB(ox_enter_16_5, 16, 5)
ENTER_STUB(ox_enter_0_33, 0, 33)
ENTER_STUB(ox_enter_260_31, 260, 31)

/* blk: [0..7] register image to load (eax ecx edx ebx - ebp esi edi), [8] private stack top,
 * [9] saved host esp. PUSHA(W) runs on the private stack (below the saved blk pointer); C then
 * reads the pushed image. */
#define PUSHA_STUB(nm, insn, size)                                                               \
    void nm(uint32_t *);                                                                         \
    __asm__(".pushsection .text\n\t.p2align 4\n\t.globl " #nm "\n" #nm ":\n\t"                  \
            "pushal\n\tmovl 36(%esp),%eax\n\tmovl %esp,36(%eax)\n\tmovl 32(%eax),%esp\n\t"        \
            "pushl %eax\n\t"                                                                     \
            "movl 4(%eax),%ecx\n\tmovl 8(%eax),%edx\n\tmovl 12(%eax),%ebx\n\tmovl 20(%eax),%ebp\n\t" \
            "movl 24(%eax),%esi\n\tmovl 28(%eax),%edi\n\tmovl 0(%eax),%eax\n\t"                  \
            insn "\n\t"                                                                          \
            "addl $" #size ",%esp\n\t"                                                           \
            "popl %eax\n\tmovl 36(%eax),%esp\n\tpopal\n\tret\n\t.popsection\n");
PUSHA_STUB(ox_pushal, "pushal", 32)
PUSHA_STUB(ox_pushaw, "pushaw", 16)

/* blk: [0..7] registers before (loaded), [8] address of the popa image, [9] saved host esp;
 * after: [0..7] registers after POPA(W) ([4] = esp after). The word just above the image must
 * hold the blk pointer. */
#define POPA_STUB(nm, insn)                                                                      \
    void nm(uint32_t *);                                                                         \
    __asm__(".pushsection .text\n\t.p2align 4\n\t.globl " #nm "\n" #nm ":\n\t"                  \
            "pushal\n\tmovl 36(%esp),%eax\n\tmovl %esp,36(%eax)\n\t"                             \
            "movl 4(%eax),%ecx\n\tmovl 8(%eax),%edx\n\tmovl 12(%eax),%ebx\n\tmovl 20(%eax),%ebp\n\t" \
            "movl 24(%eax),%esi\n\tmovl 28(%eax),%edi\n\tmovl 32(%eax),%esp\n\tmovl 0(%eax),%eax\n\t" \
            insn "\n\t"                                                                          \
            "xchgl %eax,(%esp)\n\t"                                                              \
            "movl %ecx,4(%eax)\n\tmovl %edx,8(%eax)\n\tmovl %ebx,12(%eax)\n\tmovl %esp,16(%eax)\n\t" \
            "movl %ebp,20(%eax)\n\tmovl %esi,24(%eax)\n\tmovl %edi,28(%eax)\n\tpopl 0(%eax)\n\t"  \
            "movl 36(%eax),%esp\n\tpopal\n\tret\n\t.popsection\n");
POPA_STUB(ox_popal, "popal")
POPA_STUB(ox_popaw, "popaw")

/* push/pop forms that are their own special cases; each leaves ESP balanced */
#define STACK_LIST(X)                                                                            \
    X(push_esp, "pushl %esp\n\tpopl %ecx\n\tsubl %esp,%ecx")                                     \
    X(pop_esp_mem, "pushl $0x11223344\n\tpushl %esp\n\tpopl (%esp)\n\tpopl %ecx\n\tsubl %esp,%ecx") \
    X(push_imm8, "pushl $-2\n\tpopl %ecx")                                                       \
    X(push_imm32, "pushl $0x89abcdef\n\tpopl %ecx")                                              \
    X(pushw_imm, "pushw $0x8001\n\tpopw %cx")                                                    \
    X(push_mem, "pushl (%esi)\n\tpopl %edx")                                                     \
    X(pop_mem, "pushl $0x5a5a1234\n\tpopl 4(%esi)\n\tmovl 4(%esi),%edx")                         \
    X(pushw_popl, "pushw $0x1234\n\tpushw $0x5678\n\tpopl %ecx")                                 \
    X(pushf_popf, "pushfl\n\tpopl %ecx\n\tpushl $0x8d5\n\tpopfl\n\tpushfl\n\tpopl %edx\n\tandl $0x8d5,%ecx\n\tandl $0x8d5,%edx") \
    X(call_pop, "call 1f\n1:\n\tpopl %ecx\n\tcall 2f\n2:\n\tpopl %edx\n\tsubl %ecx,%edx\n\txorl %ecx,%ecx") \
    X(ret_imm, "movl %esp,%edx\n\tpushl $0x77\n\tcall 2f\n\tjmp 3f\n2:\n\tret $4\n3:\n\tmovl %esp,%ecx\n\tsubl %edx,%ecx\n\tmovl $0,%edx")
STACK_LIST(GEN_CONV)
static const struct { const char *nm; stub_fn *f; } stack_tab[] = { STACK_LIST(CONV_ENT) };

static uint32_t pstack[512];
#define PBASE ((uint32_t)(uintptr_t)pstack)

static void print_word(uint32_t w)
{
    if (w >= PBASE && w < PBASE + sizeof pstack) P(" @%x", w - PBASE);
    else P(" %x", w);
}

static void test_stack(void)
{
    section(SEC_ENTER);
    static const struct { void (*f)(uint32_t *); uint32_t size, level; } en[] = {
        { ox_enter_0_0, 0, 0 }, { ox_enter_12_0, 12, 0 }, { ox_enter_0_1, 0, 1 }, { ox_enter_12_1, 12, 1 },
        { ox_enter_8_2, 8, 2 }, { ox_enter_4_3, 4, 3 }, { ox_enter_16_5, 16, 5 }, { ox_enter_0_33, 0, 33 },
        { ox_enter_260_31, 260, 31 } };
    for (unsigned k = 0; k < sizeof en / sizeof en[0]; k++) {
        for (int i = 0; i < 512; i++) pstack[i] = 0xE0000000u + (uint32_t)i;
        uint32_t blk[8];
        blk[0] = (uint32_t)(uintptr_t)&pstack[400];   /* esp */
        blk[1] = (uint32_t)(uintptr_t)&pstack[480];   /* ebp: display entries are read from below it */
        en[k].f(blk);
        ncases++;
        P("enter %x %x >", en[k].size, en[k].level);
        for (int i = 2; i < 6; i++) print_word(blk[i]);
        P(" |");
        for (uint32_t a = blk[2]; a < blk[0]; a += 4) print_word(pstack[(a - PBASE) / 4]);
        P("\n");
    }

    section(SEC_PUSHA);
    for (int w = 0; w < 2; w++) {
        for (int i = 0; i < 512; i++) pstack[i] = 0xE0000000u + (uint32_t)i;
        uint32_t blk[10] = { 0x11111111u, 0x22222222u, 0x33333333u, 0x44444444u, 0, 0x66666666u, 0x77777777u, 0x88888888u,
                             (uint32_t)(uintptr_t)&pstack[300], 0 };
        (w ? ox_pushaw : ox_pushal)(blk);
        ncases++;
        P("%s >", w ? "pushaw" : "pushal");
        if (!w) for (int i = 0; i < 8; i++) print_word(pstack[299 - 8 + i]);
        else {
            const uint16_t *h = (const uint16_t *)&pstack[299 - 4];
            for (int i = 0; i < 8; i++)
                if (i == 3) P(" sp@%x", (uint32_t)(uint16_t)(h[i] - (uint16_t)(PBASE + 299 * 4)));
                else P(" %x", h[i]);
        }
        P("\n");
    }
    section(SEC_POPA);
    for (int w = 0; w < 2; w++) {
        uint32_t blk[10] = { 0xA1A1A1A1u, 0xC1C1C1C1u, 0xD1D1D1D1u, 0xB1B1B1B1u, 0, 0xE1E1E1E1u, 0x51515151u, 0xD2D2D2D2u, 0, 0 };
        uint32_t *img = &pstack[200];
        if (!w) {
            static const uint32_t im[8] = { 0x0000D00Du, 0x00005005u, 0x0000B00Bu, 0xDEADDEADu, 0x0000B0B0u, 0x0000D0D0u, 0x0000C0C0u, 0x0000A0A0u };
            for (int i = 0; i < 8; i++) img[i] = im[i];
            img[8] = (uint32_t)(uintptr_t)blk;
        } else {
            uint16_t *h = (uint16_t *)img;
            static const uint16_t im[8] = { 0xD00D, 0x500F, 0xB00B, 0xDEAD, 0xB0B0, 0xD0D0, 0xC0C0, 0xA0A0 };
            for (int i = 0; i < 8; i++) h[i] = im[i];
            img[4] = (uint32_t)(uintptr_t)blk;
        }
        blk[8] = (uint32_t)(uintptr_t)img;
        (w ? ox_popaw : ox_popal)(blk);
        ncases++;
        blk[4] -= (uint32_t)(uintptr_t)img;
        P("%s >", w ? "popaw" : "popal");
        for (int i = 0; i < 8; i++) P(" %x", blk[i]);
        P("\n");
    }
    section(SEC_PUSHPOP);
    for (unsigned t = 0; t < sizeof stack_tab / sizeof stack_tab[0]; t++) {
        struct R r; rinit(&r);
        mem[8] = 0x0BADF00Du; mem[9] = 0; r.esi = MEMPTR;
        call(stack_tab[t].f, &r, (t & 1) ? ARITH : 0);
        EMIT(stack_tab[t].nm, 0, 0, r.ecx, r.edx, r.fl & ARITH);
    }
}
#else
static void test_stack(void)
{
    not_in_64bit_mode(SEC_ENTER);
    not_in_64bit_mode(SEC_PUSHA);
    not_in_64bit_mode(SEC_POPA);
    not_in_64bit_mode(SEC_PUSHPOP);
}
#endif

/* =========================================================================================
 * LEA addressing forms (32-bit and 16-bit addressing, 32- and 16-bit operand size; 16-bit
 * addressing does not exist in 64-bit mode)
 * ========================================================================================= */
#define LEA32_LIST(X)                                                                            \
    X(0, "lea (%eax),%edi")                                                                      \
    X(1, "lea (%ecx),%edi")                                                                      \
    X(2, "lea (%edx),%edi")                                                                      \
    X(3, "lea (%ebx),%edi")                                                                      \
    X(4, "lea (%esp),%edi\n\tsubl %esp,%edi")                                                    \
    X(5, "lea (%ebp),%edi")                                                                      \
    X(6, "lea (%esi),%edi")                                                                      \
    X(7, "lea (%edi),%edi")                                                                      \
    X(8, "lea 0x7f(%eax),%edi")                                                                  \
    X(9, "lea -0x80(%ebx),%edi")                                                                 \
    X(10, "lea 0x12345678(%esi),%edi")                                                           \
    X(11, "lea -4(%ebp),%edi")                                                                   \
    X(12, "lea 0x11223344,%edi")                                                                 \
    X(13, "lea (%eax,%ecx),%edi")                                                                \
    X(14, "lea (%eax,%ecx,2),%edi")                                                              \
    X(15, "lea (%edx,%ebx,4),%edi")                                                              \
    X(16, "lea (%esi,%edi,8),%edi")                                                              \
    X(17, "lea 0x10(%ebp,%eax,2),%edi")                                                          \
    X(18, "lea 0x1000(%esp,%ecx,8),%edi\n\tsubl %esp,%edi")                                      \
    X(19, "lea (,%ecx,4),%edi")                                                                  \
    X(20, "lea 0x40(,%edx,8),%edi")                                                              \
    X(21, "lea -0x100(,%esi,1),%edi")                                                            \
    X(22, "lea (%ebp,%ebp,1),%edi")                                                              \
    X(23, "lea 0x7f(%esp),%edi\n\tsubl %esp,%edi")                                               \
    X(24, "lea -0x80000000(%ebx,%edx,2),%edi")                                                   \
    X(25, "lea (%edi,%esi),%edi")                                                                \
    X(26, "lea 1(%ebx,%ebx,2),%edi")                                                             \
    X(27, "lea (%eax,%eax,4),%edi")                                                              \
    X(28, "lea 0x400(%esp,%eax),%edi\n\tsubl %esp,%edi")                                         \
    X(29, "lea -8(%esp,%ebp,1),%edi\n\tsubl %esp,%edi")                                          \
    X(30, "leaw 0x1234(%ebx,%esi,4),%di")                                                        \
    X(31, "leaw -1(%eax),%di")
#define LEA16_LIST(X)                                                                            \
    X(32, "lea (%bx,%si),%edi")                                                                  \
    X(33, "lea (%bx,%di),%edi")                                                                  \
    X(34, "lea (%bp,%si),%edi")                                                                  \
    X(35, "lea (%bp,%di),%edi")                                                                  \
    X(36, "lea (%si),%edi")                                                                      \
    X(37, "lea (%di),%edi")                                                                      \
    X(38, "addr16 lea 0x1234,%edi")                                                              \
    X(39, "lea (%bx),%edi")                                                                      \
    X(40, "lea -2(%bp,%di),%edi")                                                                \
    X(41, "lea 0x7ffe(%bx,%si),%edi")                                                            \
    X(42, "lea -0x8000(%si),%edi")                                                               \
    X(43, "leaw 0x10(%bp),%di")                                                                  \
    X(44, "lea 0x1234(%bp),%edi")                                                                \
    X(45, "lea 0x7f(%bx,%di),%edi")
#define GEN_LEA(k, insn) STUB(ox_lea##k, insn)
#define LEA_ENT(k, insn) ox_lea##k,
LEA32_LIST(GEN_LEA)
static stub_fn *const lea32_tab[] = { LEA32_LIST(LEA_ENT) };
#define SEC_LEA16 "LEA forms, 16-bit addressing (registers as above): leaN > edi flags"
#if HAS_IA32_FORMS
LEA16_LIST(GEN_LEA)
static stub_fn *const lea16_tab[] = { LEA16_LIST(LEA_ENT) };
#endif

/* Runs lea forms first..first+n-1; k numbers them across both tables. */
static void lea_cases(stub_fn *const *tab, unsigned first, unsigned n)
{
    for (unsigned k = first; k < first + n; k++) {
        struct R r;
        r.eax = 0x00010000u; r.ecx = 0x00000300u; r.edx = 0x00004000u; r.ebx = 0x0050F010u;
        r.ebp = 0x06000700u; r.esi = 0xF0000021u; r.edi = 0x80000008u;
        call(tab[k - first], &r, (k & 1) ? ARITH : 0);
        P("lea%u", k);
        EMIT("", 0, 0, r.edi, r.fl & ((k == 4 || k == 18 || k == 23 || k == 28 || k == 29) ? 0 : ARITH));
    }
}

static void test_lea(void)
{
    const unsigned n32 = sizeof lea32_tab / sizeof lea32_tab[0];
    section("LEA forms, 32-bit addressing (eax=10000 ecx=300 edx=4000 ebx=50f010 ebp=6000700 esi=f0000021 edi=80000008; esp forms print edi-esp): leaN > edi flags");
    lea_cases(lea32_tab, 0, n32);
#if HAS_IA32_FORMS
    section(SEC_LEA16);
    lea_cases(lea16_tab, n32, sizeof lea16_tab / sizeof lea16_tab[0]);
#else
    not_in_64bit_mode(SEC_LEA16);
#endif
}

/* =========================================================================================
 * BCD adjust: DAA DAS AAA AAS AAM AAD
 * ========================================================================================= */
#define SEC_DAA "DAA/DAS: op eax flags_in(CF AF) > eax flags(CF AF SF ZF PF; OF undefined)"
#define SEC_AAA "AAA/AAS: op eax flags_in(AF) > eax flags(AF CF; OF SF ZF PF undefined)"
#define SEC_AAM "AAM/AAD imm8 (base 10, 16, 7): op<base> eax > eax flags(SF ZF PF; OF AF CF undefined)"
#if HAS_IA32_FORMS
STUB(ox_daa, "daa")
STUB(ox_das, "das")
STUB(ox_aaa, "aaa")
STUB(ox_aas, "aas")
STUB(ox_aam10, "aam")
STUB(ox_aam16, "aam $16")
STUB(ox_aam7, "aam $7")
STUB(ox_aad10, "aad")
STUB(ox_aad16, "aad $16")
STUB(ox_aad7, "aad $7")

static void test_bcd(void)
{
    section(SEC_DAA);
    for (int o = 0; o < 2; o++)
        for (int al = 0; al < 256; al++)
            for (int f = 0; f < 4; f++) {
                uint32_t fin = (f & 1 ? CF : 0) | (f & 2 ? AF : 0) | ((al & 4) ? (OF | SF | ZF | PF) : 0);
                struct R r; rinit(&r);
                r.eax = (HA & 0xFFFFFF00u) | (uint32_t)al;
                uint32_t a0 = r.eax;
                call(o ? ox_das : ox_daa, &r, fin);
                EMIT(o ? "das" : "daa", 0, 2, a0 & 0xFF, fin, r.eax, r.fl & (CF | AF | SZP));
            }
    section(SEC_AAA);
    for (int o = 0; o < 2; o++)
        for (int al = 0; al < 256; al++)
            for (int f = 0; f < 2; f++) {
                uint32_t fin = (f ? AF : 0) | ((al & 2) ? CF : 0);
                struct R r; rinit(&r);
                r.eax = (HA & 0xFFFF0000u) | ((al ^ f) & 8 ? 0xFF00u : 0x0300u) | (uint32_t)al;
                uint32_t a0 = r.eax;
                call(o ? ox_aas : ox_aaa, &r, fin);
                EMIT(o ? "aas" : "aaa", 0, 2, a0 & 0xFFFF, fin, r.eax, r.fl & (CF | AF));
            }
    section(SEC_AAM);
    stub_fn *am[3] = { ox_aam10, ox_aam16, ox_aam7 }, *ad[3] = { ox_aad10, ox_aad16, ox_aad7 };
    static const int base[3] = { 10, 16, 7 };
    for (int b = 0; b < 3; b++)
        for (int al = 0; al < 256; al++) {
            struct R r; rinit(&r);
            r.eax = (HA & 0xFFFF0000u) | 0x5500u | (uint32_t)al;
            uint32_t a0 = r.eax;
            call(am[b], &r, (al & 1) ? ARITH : 0);
            P("aam%d", base[b]);
            EMIT("", 0, 1, a0 & 0xFFFF, r.eax, r.fl & SZP);
        }
    static const uint32_t ahs[4] = { 0, 3, 9, 0xFF };
    for (int b = 0; b < 3; b++)
        for (int h = 0; h < 4; h++)
            for (int al = 0; al < 256; al += 3) {
                struct R r; rinit(&r);
                r.eax = (HA & 0xFFFF0000u) | ahs[h] << 8 | (uint32_t)al;
                uint32_t a0 = r.eax;
                call(ad[b], &r, (al & 1) ? ARITH : 0);
                P("aad%d", base[b]);
                EMIT("", 0, 1, a0 & 0xFFFF, r.eax, r.fl & SZP);
            }
}
#else
static void test_bcd(void)
{
    not_in_64bit_mode(SEC_DAA);
    not_in_64bit_mode(SEC_AAA);
    not_in_64bit_mode(SEC_AAM);
}
#endif

/* ========================================================================================= */
int main(void)
{
    init_values();
    P("# x86 integer oracle v1: inputs > outputs, hex; only architecturally defined flags are printed\n");
    P("# 8/16-bit operands are printed at operand width; the rest of each register is preloaded with\n");
    P("# %x (first operand / eax), %x (second / ecx, edx), %x (memory), and results print the full register\n", HA, HB, HM);
    test_alu();
    test_unary();
    test_shifts();
    test_shd();
    test_muldiv();
    test_bits();
    test_conditions();
    test_atomics();
    test_flagsconv();
    test_strings();
    test_stack();
    test_lea();
    test_bcd();
    P("# done: %u cases\n", (unsigned)ncases);
    return 0;
}
