/* interp.elf: a second CPU-bound benchmark, unlike bench.c's kernels: a small register-machine
 * bytecode interpreter (a switch over the opcode, which gcc -O2 turns into an indirect jump
 * through a table, per bytecode) runs four programs assembled at start-up: Collatz step
 * counts, a byte sieve, recursive Fibonacci (CALL/RET with a stack in the machine's memory)
 * and an LCG fill followed by Adler-32 (DIVU/REMU). Each round's inputs come from the previous
 * round's results, and every result is checked against the same computation written in C.
 * Prints per-program sums and a final checksum; INTERP_ROUNDS sizes it (about 3 s under
 * qemu-system-i386 TCG). */
#include "rt.h"

#ifndef INTERP_ROUNDS
#define INTERP_ROUNDS 48
#endif

enum opcode {
    OP_HALT, OP_LI, OP_MOV, OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_SHR, OP_ADDI,
    OP_LD, OP_ST, OP_LDB, OP_STB, OP_JMP, OP_JZ, OP_JNZ, OP_JLTU, OP_JEQ,
    OP_CALL, OP_RET, OP_DIVU, OP_REMU,
};

#define MEM_WORDS 16384                       /* 64 KiB of machine memory, word and byte views */
#define CALL_DEPTH 256

static uint32_t mem[MEM_WORDS];
static uint8_t *const bmem = (uint8_t *)mem;
static uint32_t call_stack[CALL_DEPTH];
static uint32_t code[1024];
static uint32_t code_len;
static uint64_t bytecodes;                    /* bytecodes executed, over the whole run */

/* One instruction word: opcode, a, b (registers), c (a register or a signed 8-bit immediate). */
static uint32_t emit(uint32_t op, uint32_t a, uint32_t b, int32_t c)
{
    code[code_len] = op | a << 8 | b << 16 | ((uint32_t)c & 0xFF) << 24;
    return code_len++;
}
static uint32_t word(uint32_t w) { code[code_len] = w; return code_len++; }
static uint32_t here(void) { return code_len; }
static void li(uint32_t r, uint32_t v) { emit(OP_LI, r, 0, 0); word(v); }
static uint32_t jump(uint32_t op, uint32_t a, uint32_t b, uint32_t target) { emit(op, a, b, 0); return word(target); }
static void patch(uint32_t at) { code[at] = here(); }

static uint32_t run(uint32_t pc, uint32_t *r)
{
    uint32_t sp = 0, n = 0;
    for (;;) {
        uint32_t w = code[pc++], a = (w >> 8) & 15, b = (w >> 16) & 15, c = w >> 24;
        int32_t imm = (int8_t)c;
        n++;
        switch (w & 0xFF) {
        case OP_HALT: bytecodes += n; return r[0];
        case OP_LI:   r[a] = code[pc++]; break;
        case OP_MOV:  r[a] = r[b]; break;
        case OP_ADD:  r[a] = r[b] + r[c & 15]; break;
        case OP_SUB:  r[a] = r[b] - r[c & 15]; break;
        case OP_MUL:  r[a] = r[b] * r[c & 15]; break;
        case OP_AND:  r[a] = r[b] & r[c & 15]; break;
        case OP_SHR:  r[a] = r[b] >> (r[c & 15] & 31); break;
        case OP_ADDI: r[a] = r[b] + (uint32_t)imm; break;
        case OP_LD:   r[a] = mem[(r[b] + (uint32_t)imm) % MEM_WORDS]; break;
        case OP_ST:   mem[(r[b] + (uint32_t)imm) % MEM_WORDS] = r[a]; break;
        case OP_LDB:  r[a] = bmem[(r[b] + (uint32_t)imm) % (MEM_WORDS * 4)]; break;
        case OP_STB:  bmem[(r[b] + (uint32_t)imm) % (MEM_WORDS * 4)] = (uint8_t)r[a]; break;
        case OP_JMP:  pc = code[pc]; break;
        case OP_JZ:   pc = r[a] == 0 ? code[pc] : pc + 1; break;
        case OP_JNZ:  pc = r[a] != 0 ? code[pc] : pc + 1; break;
        case OP_JLTU: pc = r[a] < r[b] ? code[pc] : pc + 1; break;
        case OP_JEQ:  pc = r[a] == r[b] ? code[pc] : pc + 1; break;
        case OP_CALL: call_stack[sp++ % CALL_DEPTH] = pc + 1; pc = code[pc]; break;
        case OP_RET:  pc = call_stack[--sp % CALL_DEPTH]; break;
        case OP_DIVU: r[a] = r[c & 15] ? r[b] / r[c & 15] : 0; break;
        case OP_REMU: r[a] = r[c & 15] ? r[b] % r[c & 15] : r[b]; break;
        default: bytecodes += n; return 0xBADC0DEu;
        }
        pc %= sizeof code / sizeof code[0];
    }
}

/* The four programs. Each takes its inputs in r1 (and r2) and leaves its result in r0. */
static uint32_t p_collatz, p_sieve, p_fib, p_adler;

static void assemble(void)
{
    /* r0 = total Collatz steps of 1 .. r1-1 */
    p_collatz = here();
    li(0, 0); li(2, 1); li(4, 1);
    uint32_t next_n = here();
    emit(OP_MOV, 3, 2, 0);
    uint32_t step = here();
    uint32_t to_done = jump(OP_JEQ, 3, 4, 0);
    emit(OP_AND, 6, 3, 4);
    uint32_t to_even = jump(OP_JZ, 6, 0, 0);
    emit(OP_ADD, 6, 3, 3); emit(OP_ADD, 3, 6, 3); emit(OP_ADDI, 3, 3, 1); emit(OP_ADDI, 0, 0, 1);
    jump(OP_JMP, 0, 0, step);
    patch(to_even);
    emit(OP_SHR, 3, 3, 4); emit(OP_ADDI, 0, 0, 1);
    jump(OP_JMP, 0, 0, step);
    patch(to_done);
    emit(OP_ADDI, 2, 2, 1);
    jump(OP_JLTU, 2, 1, next_n);
    emit(OP_HALT, 0, 0, 0);

    /* r0 = number of primes below r1, with a byte per number */
    p_sieve = here();
    li(3, 0); li(2, 0); li(7, 1);
    uint32_t clear = here();
    emit(OP_STB, 3, 2, 0); emit(OP_ADDI, 2, 2, 1);
    jump(OP_JLTU, 2, 1, clear);
    li(2, 2); li(0, 0);
    uint32_t outer = here();
    uint32_t to_body = jump(OP_JLTU, 2, 1, 0);
    emit(OP_HALT, 0, 0, 0);
    patch(to_body);
    emit(OP_LDB, 4, 2, 0);
    uint32_t to_next = jump(OP_JNZ, 4, 0, 0);
    emit(OP_ADDI, 0, 0, 1); emit(OP_MUL, 5, 2, 2);
    uint32_t inner = here();
    uint32_t to_mark = jump(OP_JLTU, 5, 1, 0);
    uint32_t to_next2 = jump(OP_JMP, 0, 0, 0);
    patch(to_mark);
    emit(OP_STB, 7, 5, 0); emit(OP_ADD, 5, 5, 2);
    jump(OP_JMP, 0, 0, inner);
    patch(to_next); patch(to_next2);
    emit(OP_ADDI, 2, 2, 1);
    jump(OP_JMP, 0, 0, outer);

    /* r0 = fib(r1), recursive; r15 is the stack pointer into word memory */
    p_fib = here();
    li(15, MEM_WORDS - 1);
    uint32_t call_fib = jump(OP_CALL, 0, 0, 0);
    emit(OP_HALT, 0, 0, 0);
    patch(call_fib);
    uint32_t fib = call_fib;                  /* code[call_fib] now holds fib's address */
    li(2, 2);
    uint32_t to_base = jump(OP_JLTU, 1, 2, 0);
    emit(OP_ADDI, 15, 15, -1); emit(OP_ST, 1, 15, 0);
    emit(OP_ADDI, 1, 1, -1); jump(OP_CALL, 0, 0, code[fib]);
    emit(OP_LD, 1, 15, 0); emit(OP_ST, 0, 15, 0); emit(OP_ADDI, 1, 1, -2); jump(OP_CALL, 0, 0, code[fib]);
    emit(OP_LD, 2, 15, 0); emit(OP_ADD, 0, 0, 2); emit(OP_ADDI, 15, 15, 1);
    emit(OP_RET, 0, 0, 0);
    patch(to_base);
    emit(OP_MOV, 0, 1, 0); emit(OP_RET, 0, 0, 0);

    /* fill r1 bytes from the LCG seeded with r2 (each byte the state's top byte), r0 = their Adler-32 */
    p_adler = here();
    li(3, 1664525); li(4, 1013904223); li(5, 24); li(9, 0);
    uint32_t fill = here();
    emit(OP_MUL, 2, 2, 3); emit(OP_ADD, 2, 2, 4); emit(OP_SHR, 6, 2, 5); emit(OP_STB, 6, 9, 0);
    emit(OP_ADDI, 9, 9, 1);
    jump(OP_JLTU, 9, 1, fill);
    li(6, 1); li(7, 0); li(8, 65521); li(9, 0);
    uint32_t sum = here();
    emit(OP_LDB, 10, 9, 0); emit(OP_ADD, 6, 6, 10); emit(OP_REMU, 6, 6, 8);
    emit(OP_ADD, 7, 7, 6); emit(OP_REMU, 7, 7, 8); emit(OP_ADDI, 9, 9, 1);
    jump(OP_JLTU, 9, 1, sum);
    li(11, 65536);
    emit(OP_MUL, 0, 7, 11); emit(OP_ADD, 0, 0, 6);
    emit(OP_HALT, 0, 0, 0);
}

/* The same four computations in C: the reference each interpreted result is checked against. */
static uint32_t c_collatz(uint32_t limit)
{
    uint32_t steps = 0;
    for (uint32_t n = 1; n < limit; n++)
        for (uint32_t x = n; x != 1; steps++) x = (x & 1) ? 3 * x + 1 : x >> 1;
    return steps;
}

static uint8_t c_sieve_buf[MEM_WORDS * 4];
static uint32_t c_sieve(uint32_t limit)
{
    uint32_t count = 0;
    memset(c_sieve_buf, 0, limit);
    for (uint32_t i = 2; i < limit; i++) {
        if (c_sieve_buf[i]) continue;
        count++;
        for (uint32_t j = i * i; j < limit; j += i) c_sieve_buf[j] = 1;
    }
    return count;
}

static uint32_t c_fib(uint32_t n) { return n < 2 ? n : c_fib(n - 1) + c_fib(n - 2); }

static uint32_t c_adler(uint32_t n, uint32_t state)
{
    uint32_t a = 1, b = 0;
    for (uint32_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        a = (a + (state >> 24)) % 65521u;
        b = (b + a) % 65521u;
    }
    return b << 16 | a;
}

static int check(const char *what, uint32_t round, uint32_t got, uint32_t want)
{
    if (got == want) return 0;
    printf("MISMATCH %s round %u: interpreted %08x, C %08x\n", what, round, got, want);
    return 1;
}

int main(void)
{
    assemble();
    printf("interp: %u bytecode words, %u rounds\n", code_len, INTERP_ROUNDS);
    uint32_t seed = 0x12345678u, sums[4] = {0, 0, 0, 0};
    int bad = 0;
    for (uint32_t round = 0; round < INTERP_ROUNDS; round++) {
        uint32_t r[16] = {0}, v;
        r[1] = 3000 + (seed & 511);
        v = run(p_collatz, r);
        bad |= check("collatz", round, v, c_collatz(3000 + (seed & 511)));
        sums[0] += v; seed = seed * 31 + v;

        memset(r, 0, sizeof r);
        r[1] = 40000 + (seed & 8191);
        v = run(p_sieve, r);
        bad |= check("sieve", round, v, c_sieve(40000 + (seed & 8191)));
        sums[1] += v; seed = seed * 31 + v;

        memset(r, 0, sizeof r);
        r[1] = 17 + (seed & 3);
        v = run(p_fib, r);
        bad |= check("fib", round, v, c_fib(17 + (seed & 3)));
        sums[2] += v; seed = seed * 31 + v;

        memset(r, 0, sizeof r);
        r[1] = 32768 + (seed & 16383); r[2] = seed;
        v = run(p_adler, r);
        bad |= check("adler", round, v, c_adler(32768 + (seed & 16383), seed));
        sums[3] += v; seed = seed * 31 + v;
    }
    printf("collatz steps   %08x\n", sums[0]);
    printf("sieve primes    %08x\n", sums[1]);
    printf("fib sum         %08x\n", sums[2]);
    printf("adler32 sum     %08x\n", sums[3]);
    printf("bytecodes       %llu\n", (unsigned long long)bytecodes);
    printf("checksum        %08x\n", seed);
    printf(bad ? "interp: FAILED\n" : "interp: ok\n");
    return bad;
}
