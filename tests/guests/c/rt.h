/* Tiny freestanding runtime shared by all C guests: COM1 console, printf, exit. */
#ifndef RT_H
#define RT_H

#if __STDC_HOSTED__
/* Hosted build (gcc -m32 x.c on Linux): the same program prints with libc's printf.
 * Only used to cross-check guest output against the host; images are freestanding. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#else

typedef unsigned char      uint8_t;
typedef signed char        int8_t;
typedef unsigned short     uint16_t;
typedef short              int16_t;
typedef unsigned int       uint32_t;
typedef int                int32_t;
typedef unsigned long long uint64_t;
typedef long long          int64_t;
typedef unsigned int       size_t;
typedef unsigned int       uintptr_t;

#define INT64_MIN  (-0x7FFFFFFFFFFFFFFFLL - 1)
#define INT64_MAX  0x7FFFFFFFFFFFFFFFLL
#define INT32_MIN  (-0x7FFFFFFF - 1)
#define INT32_MAX  0x7FFFFFFF

typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type)   __builtin_va_arg(ap, type)
#define va_end(ap)         __builtin_va_end(ap)

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

void rt_putc(char c);                  /* one byte to COM1 (polls LSR.THRE) */
void rt_puts(const char *s);           /* string, no newline added */
int  printf(const char *fmt, ...);     /* %s %c %d %i %u %x %X %p %%, flags 0 -, width, l, ll */
int  vprintf(const char *fmt, va_list ap);
void rt_exit(uint32_t code) __attribute__((noreturn)); /* outl code to 0xF4: QEMU exits (code<<1)|1 */

void  *memset(void *d, int c, size_t n);
void  *memcpy(void *d, const void *s, size_t n);
void  *memmove(void *d, const void *s, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int    strcmp(const char *a, const char *b);

#endif /* __STDC_HOSTED__ */

#endif
