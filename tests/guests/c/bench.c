/* bench.elf: deterministic CPU-bound benchmark. Each round runs a small sieve, CRC-32 over a
 * buffer, a quicksort of LCG data, FNV/murmur-style hashing and a 64-bit multiply/divide
 * loop; every kernel feeds the next round's seed so nothing can be skipped. Prints the
 * per-kernel checksums and a final checksum. BENCH_ROUNDS sets the amount of work
 * (sized for about 3 s under qemu-system-i386 TCG). */
#include "rt.h"

#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 1200
#endif

#define SIEVE_N  32768
#define CRC_N    16384
#define SORT_N   4096
#define HASH_N   16384
#define MATH_N   4096

static uint8_t  sieve_buf[SIEVE_N];
static uint8_t  crc_buf[CRC_N];
static uint32_t crc_tab[256];
static int32_t  sort_buf[SORT_N];
static uint32_t hash_buf[HASH_N / 4];

static uint32_t lcg(uint32_t *s) { *s = *s * 1664525u + 1013904223u; return *s; }

static uint32_t k_sieve(uint32_t seed)
{
    uint32_t n = SIEVE_N - (seed & 1023);
    memset(sieve_buf, 0, n);
    uint32_t count = 0, sum = 0;
    for (uint32_t i = 2; i < n; i++) {
        if (sieve_buf[i]) continue;
        count++; sum += i * count;
        for (uint32_t j = i * i; j < n; j += i) sieve_buf[j] = 1;
    }
    return count ^ (sum << 7);
}

static uint32_t k_crc(uint32_t seed)
{
    uint32_t s = seed;
    for (uint32_t i = 0; i < CRC_N; i += 4) {
        uint32_t r = lcg(&s);
        crc_buf[i] = (uint8_t)r; crc_buf[i + 1] = (uint8_t)(r >> 8);
        crc_buf[i + 2] = (uint8_t)(r >> 16); crc_buf[i + 3] = (uint8_t)(r >> 24);
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < CRC_N; i++) crc = (crc >> 8) ^ crc_tab[(crc ^ crc_buf[i]) & 0xFF];
    return ~crc;
}

static void quick(int32_t *a, int lo, int hi)
{
    while (lo < hi) {
        int32_t p = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { int32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quick(a, lo, j); lo = i; }
        else { quick(a, i, hi); hi = j; }
    }
}

static uint32_t k_sort(uint32_t seed)
{
    uint32_t s = seed;
    for (int i = 0; i < SORT_N; i++) sort_buf[i] = (int32_t)lcg(&s);
    quick(sort_buf, 0, SORT_N - 1);
    uint32_t h = 0;
    for (int i = 0; i < SORT_N; i++) {
        if (i && sort_buf[i - 1] > sort_buf[i]) return 0xDEADBEEFu;   /* not sorted */
        h = h * 31 + (uint32_t)sort_buf[i];
    }
    return h;
}

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t k_hash(uint32_t seed)
{
    uint32_t s = seed;
    for (int i = 0; i < HASH_N / 4; i++) hash_buf[i] = lcg(&s);
    const uint8_t *p = (const uint8_t *)hash_buf;
    uint32_t fnv = 2166136261u;
    for (int i = 0; i < HASH_N; i++) fnv = (fnv ^ p[i]) * 16777619u;
    uint32_t h = seed;                                   /* murmur3-style 32-bit mixing */
    for (int i = 0; i < HASH_N / 4; i++) {
        uint32_t k = hash_buf[i] * 0xCC9E2D51u;
        k = rotl32(k, 15) * 0x1B873593u;
        h = rotl32(h ^ k, 13) * 5 + 0xE6546B64u;
    }
    h ^= h >> 16; h *= 0x85EBCA6Bu; h ^= h >> 13; h *= 0xC2B2AE35u; h ^= h >> 16;
    return fnv ^ h;
}

static uint32_t k_math(uint32_t seed)
{
    uint64_t x = 0x9E3779B97F4A7C15ull ^ seed, acc = 0;
    for (int i = 0; i < MATH_N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t d = (x >> 33) | 1;
        acc += x / d;                                   /* __udivmoddi4 */
        acc ^= (uint64_t)((int64_t)x % (int64_t)(d | 0x100000000ull));
        acc = (acc << 5) | (acc >> 59);
        acc += (uint64_t)(uint32_t)x * (uint32_t)(x >> 32);
    }
    return (uint32_t)acc ^ (uint32_t)(acc >> 32);
}

int main(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        crc_tab[i] = c;
    }
    uint32_t seed = 20240601u, cs[5] = { 0, 0, 0, 0, 0 }, total = 0;
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        uint32_t v[5];
        v[0] = k_sieve(seed);
        v[1] = k_crc(seed ^ v[0]);
        v[2] = k_sort(seed + v[1]);
        v[3] = k_hash(seed ^ v[2]);
        v[4] = k_math(seed + v[3]);
        for (int k = 0; k < 5; k++) {
            cs[k] = rotl32(cs[k], 5) ^ v[k];
            total = (total ^ v[k]) * 0x01000193u;
        }
        seed = seed * 1103515245u + 12345u + total;
    }
    printf("bench rounds=%d\n", BENCH_ROUNDS);
    printf("sieve=%08x crc=%08x sort=%08x hash=%08x math=%08x\n", cs[0], cs[1], cs[2], cs[3], cs[4]);
    printf("bench checksum=%08x\n", total);
    return 0;
}
