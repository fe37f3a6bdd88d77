/* muldiv64.elf: 64-bit multiply, signed/unsigned divide and modulo, shifts and compares
 * over edge operands (0, 1, -1, INT64_MIN, INT64_MAX, 0x80000000, 0xFFFFFFFF, ...) and LCG
 * values, printing every result in hex. gcc -m32 lowers these to MUL/IMUL/ADD/ADC sequences,
 * SHLD/SHRD/SAR with CL and branches on count & 32, and libgcc calls (__udivmoddi4,
 * __divmoddi4 in gcc 12; __udivdi3/__umoddi3/__divdi3/__moddi3 in others).
 * Self-checks: q*b + r == a, |r| < |b|, the sign of r follows a, and the product equals a
 * schoolbook 32x32 decomposition. Exits nonzero on any mismatch. */
#include "rt.h"

#define NOPS 24
static uint64_t ops[NOPS] = {
    0, 1, 2, 3, 10, 0xFFFFFFFFFFFFFFFFull /* -1 */, 0xFFFFFFFFFFFFFFFEull /* -2 */,
    0x8000000000000000ull /* INT64_MIN */, 0x7FFFFFFFFFFFFFFFull /* INT64_MAX */,
    0x80000000ull, 0xFFFFFFFFull, 0x7FFFFFFFull, 0x100000000ull, 0x100000001ull,
    0xFFFFFFFF00000000ull, 0xFFFFFFFF80000000ull, 0x0000000080000001ull, 1000000007ull,
    /* the rest are filled from an LCG */
};

/* Keeps gcc from constant-folding or strength-reducing through the operand tables. */
static inline uint64_t opaque64(uint64_t x) { __asm__ volatile("" : "+r"(x)); return x; }
static inline uint32_t opaque32(uint32_t x) { __asm__ volatile("" : "+r"(x)); return x; }

static uint64_t lcg_state = 0x0123456789ABCDEFull;
static uint64_t lcg64(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return lcg_state;
}

/* 64x64->64 product from 32-bit halves, independent of the compiler's lowering */
static uint64_t mul_ref(uint64_t a, uint64_t b)
{
    uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32), bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
    uint64_t lo = (uint64_t)al * bl;
    uint32_t hi = (uint32_t)(lo >> 32) + al * bh + ah * bl;
    return ((uint64_t)hi << 32) | (uint32_t)lo;
}

int main(void)
{
    int fail = 0;
    for (int i = 18; i < NOPS; i++) ops[i] = lcg64() >> (i & 3) * 9;

    printf("# a b : a*b a/b a%%b (unsigned) a/b a%%b (signed) [- = skipped]\n");
    for (int i = 0; i < NOPS; i++) {
        for (int j = 0; j < NOPS; j++) {
            uint64_t a = opaque64(ops[i]), b = opaque64(ops[j]);
            int64_t sa = (int64_t)a, sb = (int64_t)b;
            uint64_t m = a * b;
            if (m != mul_ref(a, b)) { printf("FAIL mul %llx %llx\n", a, b); fail = 1; }
            printf("%016llx %016llx : %016llx", a, b, m);
            if (b == 0) {
                printf(" - - - -\n");
                continue;
            }
            uint64_t uq = a / b, ur = a % b;
            if (uq * b + ur != a || ur >= b) { printf(" FAIL udiv"); fail = 1; }
            printf(" %016llx %016llx", uq, ur);
            if (sa == INT64_MIN && sb == -1) {
                printf(" - -\n");
                continue;
            }
            int64_t sq = sa / sb, sr = sa % sb;
            uint64_t absr = sr < 0 ? -(uint64_t)sr : (uint64_t)sr, absb = sb < 0 ? -(uint64_t)sb : (uint64_t)sb;
            if ((uint64_t)sq * (uint64_t)sb + (uint64_t)sr != (uint64_t)sa || absr >= absb ||
                (sr != 0 && (sr < 0) != (sa < 0))) { printf(" FAIL sdiv"); fail = 1; }
            printf(" %016llx %016llx\n", (uint64_t)sq, (uint64_t)sr);
        }
    }

    printf("# a : shl/shr/sar by 0 1 4 31 32 33 63 ; neg ; a<b bits\n");
    static const uint32_t counts[] = { 0, 1, 4, 31, 32, 33, 63 };
    for (int i = 0; i < NOPS; i++) {
        uint64_t a = opaque64(ops[i]);
        printf("%016llx :", a);
        for (unsigned k = 0; k < sizeof counts / sizeof counts[0]; k++) {
            uint32_t c = opaque32(counts[k]);
            printf(" %llx/%llx/%llx", a << c, a >> c, (uint64_t)((int64_t)a >> c));
        }
        printf(" ; %llx ;", -a);
        uint32_t ltu = 0, lts = 0;
        for (int j = 0; j < NOPS; j++) {
            uint64_t b = opaque64(ops[j]);
            ltu |= (uint32_t)(a < b) << j;
            lts |= (uint32_t)((int64_t)a < (int64_t)b) << j;
        }
        printf(" %x %x\n", ltu, lts);
    }

    printf("# 32x32->64 widening multiply, 64/32 mixed divide\n");
    for (int i = 0; i < NOPS; i++) {
        for (int j = 0; j < NOPS; j += 3) {
            uint32_t a = opaque32((uint32_t)ops[i]), b = opaque32((uint32_t)(ops[j] >> (j & 1) * 32));
            uint64_t um = (uint64_t)a * b;
            int64_t sm = (int64_t)(int32_t)a * (int32_t)b;
            printf("%08x %08x : %016llx %016llx", a, b, um, (uint64_t)sm);
            if (b) printf(" %016llx %08x", ops[i] / b, (uint32_t)(ops[i] % b));
            printf("\n");
        }
    }

    /* signed/unsigned decimal printing also goes through __udivdi3/__umoddi3 */
    printf("dec: %lld %lld %llu %lld %lld\n", (int64_t)ops[7], (int64_t)ops[8], ops[5], (int64_t)ops[6],
           (int64_t)ops[20]);

    printf(fail ? "muldiv64: FAIL\n" : "muldiv64: OK\n");
    return fail;
}
