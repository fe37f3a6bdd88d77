/* Tiny freestanding runtime: polled 16550 console on COM1, printf, exit via isa-debug-exit. */
#include "rt.h"

#define COM1     0x3F8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20
#define EXIT_PORT 0xF4

void rt_putc(char c)
{
    while ((inb(COM1_LSR) & LSR_THRE) == 0)
        ;
    outb(COM1, (uint8_t)c);
}

void rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

void rt_exit(uint32_t code)
{
    outl(EXIT_PORT, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* ---- printf ---------------------------------------------------------------- */

static int emit_field(const char *digits, int len, int neg, int width, int zero, int left)
{
    int n = 0, body = len + (neg ? 1 : 0), pad = width > body ? width - body : 0;
    if (!left && !zero)
        for (; pad > 0; pad--, n++) rt_putc(' ');
    if (neg) { rt_putc('-'); n++; }
    if (!left && zero)
        for (; pad > 0; pad--, n++) rt_putc('0');
    for (int i = 0; i < len; i++, n++) rt_putc(digits[i]);
    for (; pad > 0; pad--, n++) rt_putc(' ');
    return n;
}

static int utoa64(uint64_t v, unsigned base, int upper, char *buf)
{
    char tmp[24];
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    if (v == 0) tmp[n++] = '0';
    if (base == 16) {
        while (v) { tmp[n++] = dig[v & 15]; v >>= 4; }
    } else if ((v >> 32) == 0) {
        uint32_t w = (uint32_t)v;           /* fast path: 32-bit divide */
        while (w) { tmp[n++] = dig[w % base]; w /= base; }
    } else {
        while (v) { tmp[n++] = dig[v % base]; v /= base; }   /* libgcc __udivdi3/__umoddi3 */
    }
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    int count = 0;
    char buf[24];
    for (; *fmt; fmt++) {
        if (*fmt != '%') { rt_putc(*fmt); count++; continue; }
        fmt++;
        int zero = 0, left = 0, width = 0, lng = 0;
        for (;; fmt++) {
            if (*fmt == '0') zero = 1;
            else if (*fmt == '-') left = 1;
            else break;
        }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') { lng++; fmt++; }
        switch (*fmt) {
        case 'd': case 'i': {
            int64_t v = lng >= 2 ? va_arg(ap, int64_t) : (int64_t)va_arg(ap, int32_t);
            int neg = v < 0;
            uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            count += emit_field(buf, utoa64(u, 10, 0, buf), neg, width, zero, left);
            break;
        }
        case 'u': case 'x': case 'X': {
            uint64_t v = lng >= 2 ? va_arg(ap, uint64_t) : (uint64_t)va_arg(ap, uint32_t);
            unsigned base = *fmt == 'u' ? 10 : 16;
            count += emit_field(buf, utoa64(v, base, *fmt == 'X', buf), 0, width, zero, left);
            break;
        }
        case 'p': {
            uint32_t v = (uint32_t)(uintptr_t)va_arg(ap, void *);
            rt_puts("0x"); count += 2;
            count += emit_field(buf, utoa64(v, 16, 0, buf), 0, width > 2 ? width - 2 : 0, zero, left);
            break;
        }
        case 'c':
            buf[0] = (char)va_arg(ap, int);
            count += emit_field(buf, 1, 0, width, 0, left);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            count += emit_field(s, (int)strlen(s), 0, width, 0, left);
            break;
        }
        case '%':
            rt_putc('%'); count++;
            break;
        case 0:
            return count;
        default:
            rt_putc('%'); rt_putc(*fmt); count += 2;
            break;
        }
    }
    return count;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

/* ---- memory and string helpers (gcc may emit calls to the mem* ones) ------- */

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--) *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) *p++ = *q++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    if (p < q) {
        while (n--) *p++ = *q++;
    } else {
        p += n; q += n;
        while (n--) *--p = *--q;
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q) return *p < *q ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    return (uint8_t)*a - (uint8_t)*b;
}
