/* crc32.elf: table-driven CRC-32 (IEEE, reflected 0xEDB88320) and CRC-32C (0x82F63B78)
 * over known test vectors and LCG-generated data, cross-checked against a bitwise CRC
 * and a slicing-by-4 implementation. Exits nonzero on any mismatch. */
#include "rt.h"

static uint32_t tab[4][256];
static uint32_t tabc[256];
static uint8_t  data[65536];

static void make_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i, d = i;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
            d = (d >> 1) ^ (0x82F63B78u & -(d & 1));
        }
        tab[0][i] = c;
        tabc[i] = d;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            tab[t][i] = (tab[t - 1][i] >> 8) ^ tab[0][tab[t - 1][i] & 0xFF];
}

static uint32_t crc_table(const uint8_t *p, uint32_t n, uint32_t crc)
{
    crc = ~crc;
    while (n--) crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

static uint32_t crc_slice4(const uint8_t *p, uint32_t n, uint32_t crc)
{
    crc = ~crc;
    while (n >= 4) {
        crc ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        crc = tab[3][crc & 0xFF] ^ tab[2][(crc >> 8) & 0xFF] ^ tab[1][(crc >> 16) & 0xFF] ^ tab[0][crc >> 24];
        p += 4; n -= 4;
    }
    while (n--) crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

static uint32_t crc_bitwise(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return ~crc;
}

static uint32_t crc32c(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) crc = (crc >> 8) ^ tabc[(crc ^ *p++) & 0xFF];
    return ~crc;
}

static const struct { const char *s; uint32_t crc; uint32_t crcc; } vec[] = {
    { "",                                             0x00000000u, 0x00000000u },
    { "a",                                            0xE8B7BE43u, 0xC1D04330u },
    { "abc",                                          0x352441C2u, 0x364B3FB7u },
    { "123456789",                                    0xCBF43926u, 0xE3069283u },
    { "message digest",                               0x20159D7Fu, 0x02BD79D0u },
    { "The quick brown fox jumps over the lazy dog",  0x414FA339u, 0x22620404u },
};

int main(void)
{
    int fail = 0;
    make_tables();
    printf("crc32 table[1]=%08x table[128]=%08x table[255]=%08x\n", tab[0][1], tab[0][128], tab[0][255]);

    for (unsigned i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        const uint8_t *p = (const uint8_t *)vec[i].s;
        uint32_t n = (uint32_t)strlen(vec[i].s);
        uint32_t a = crc_table(p, n, 0), b = crc_bitwise(p, n), c = crc32c(p, n);
        int ok = a == vec[i].crc && b == a && c == vec[i].crcc;
        printf("crc32(\"%s\") = %08x crc32c = %08x %s\n", vec[i].s, a, c, ok ? "ok" : "MISMATCH");
        fail |= !ok;
    }

    uint32_t x = 12345;
    for (uint32_t i = 0; i < sizeof data; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 16);
    }
    for (uint32_t len = 1; len <= sizeof data; len *= 4) {
        uint32_t a = crc_table(data, len, 0), b = crc_slice4(data, len, 0);
        uint32_t c = len <= 4096 ? crc_bitwise(data, len) : a;
        int ok = a == b && a == c;
        printf("crc32(lcg[%u]) = %08x crc32c = %08x %s\n", len, a, crc32c(data, len), ok ? "ok" : "MISMATCH");
        fail |= !ok;
    }
    /* incremental: crc of the whole buffer fed in uneven chunks must equal one-shot */
    uint32_t inc = 0, off = 0, step = 1;
    while (off < sizeof data) {
        uint32_t n = step < sizeof data - off ? step : sizeof data - off;
        inc = crc_table(data + off, n, inc);
        off += n; step = step * 3 + 1;
    }
    uint32_t whole = crc_slice4(data, sizeof data, 0);
    printf("crc32(lcg[65536]) chunked = %08x %s\n", inc, inc == whole ? "ok" : "MISMATCH");
    fail |= inc != whole;
    /* CRC residue property: crc(data || crc_le(data)) == 0x2144DF1C */
    uint8_t tail[68];
    memcpy(tail, data, 64);
    uint32_t c64 = crc_table(tail, 64, 0);
    tail[64] = (uint8_t)c64; tail[65] = (uint8_t)(c64 >> 8); tail[66] = (uint8_t)(c64 >> 16); tail[67] = (uint8_t)(c64 >> 24);
    uint32_t res = crc_table(tail, 68, 0);
    printf("crc32 residue = %08x %s\n", res, res == 0x2144DF1Cu ? "ok" : "MISMATCH");
    fail |= res != 0x2144DF1Cu;

    printf(fail ? "crc32: FAIL\n" : "crc32: OK\n");
    return fail;
}
