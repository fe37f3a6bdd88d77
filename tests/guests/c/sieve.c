/* sieve.elf: Sieve of Eratosthenes below LIMIT, byte-array and bit-array variants.
 * Prints the prime count, sum, a rolling hash and a few landmarks; exits nonzero if
 * the two variants disagree or the count differs from pi(200000) = 17984. */
#include "rt.h"

#define LIMIT 200000u

static uint8_t  composite[LIMIT];
static uint32_t bits[(LIMIT + 31) / 32];

int main(void)
{
    int fail = 0;

    /* byte array */
    memset(composite, 0, sizeof composite);
    composite[0] = composite[1] = 1;
    for (uint32_t i = 2; i * i < LIMIT; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j < LIMIT; j += i)
                composite[j] = 1;

    uint32_t count = 0, hash = 0, last = 0, maxgap = 0, gapat = 0;
    uint64_t sum = 0;
    for (uint32_t i = 2; i < LIMIT; i++) {
        if (composite[i]) continue;
        count++;
        sum += i;
        hash = (hash ^ i) * 16777619u;
        if (last && i - last > maxgap) { maxgap = i - last; gapat = last; }
        last = i;
        if (count == 1000 || count == 10000)
            printf("prime #%u = %u\n", count, i);
    }
    printf("sieve(byte) limit=%u count=%u sum=%llu hash=%08x largest=%u maxgap=%u after %u\n",
           LIMIT, count, sum, hash, last, maxgap, gapat);

    /* bit array, odd numbers only */
    memset(bits, 0, sizeof bits);
    for (uint32_t i = 3; i * i < LIMIT; i += 2)
        if (!(bits[i >> 5] & (1u << (i & 31))))
            for (uint32_t j = i * i; j < LIMIT; j += 2 * i)
                bits[j >> 5] |= 1u << (j & 31);
    uint32_t count2 = 1, hash2 = (0 ^ 2u) * 16777619u;
    uint64_t sum2 = 2;
    for (uint32_t i = 3; i < LIMIT; i += 2)
        if (!(bits[i >> 5] & (1u << (i & 31)))) {
            count2++;
            sum2 += i;
            hash2 = (hash2 ^ i) * 16777619u;
        }
    printf("sieve(bit)  limit=%u count=%u sum=%llu hash=%08x\n", LIMIT, count2, sum2, hash2);

    if (count != 17984) { printf("FAIL: expected 17984 primes\n"); fail = 1; }
    if (count2 != count || sum2 != sum || hash2 != hash) { printf("FAIL: variants disagree\n"); fail = 1; }
    printf(fail ? "sieve: FAIL\n" : "sieve: OK\n");
    return fail;
}
