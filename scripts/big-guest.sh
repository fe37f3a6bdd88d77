#!/usr/bin/env bash
# Generates a gcc -O2 guest with about 64 KiB of code: FUNCTIONS (320) functions of distinct shapes (loops, switches,
# calls, memory traffic), each called once from main, then HOT_ROUNDS rounds of three of them (0: none), so the image
# has a large body of cold code around a small hot kernel (issue 17's first-run case).
# Usage: scripts/big-guest.sh OUT.elf [HOT_ROUNDS]; prints the .text size.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
rounds=${2:-0}
functions=${FUNCTIONS:-320}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
    echo '#include "rt.h"'
    echo 'static uint32_t table[256];'
    for ((i = 0; i < functions; i++)); do
        cat <<C
__attribute__((noinline)) static uint32_t f$i(uint32_t x, uint32_t n)
{
    uint32_t acc = x ^ 0x$(printf '%x' $((i * 2654435761 % 4294967296)))u;
    for (uint32_t k = 0; k < n; k++) {
        switch ((acc >> $((i % 7))) & 7) {
        case 0: acc = acc * $((i * 2 + 3))u + k; break;
        case 1: acc ^= table[(acc + k) & 255] >> $((i % 5 + 1)); break;
        case 2: acc = (acc << $((i % 9 + 1))) | (acc >> $((31 - i % 9))); break;
        case 3: table[k & 255] += acc; acc -= $((i + 11))u; break;
        case 4: acc = acc / (k + $((i % 13 + 1))u) + table[acc & 255]; break;
        case 5: acc += (uint32_t)((int32_t)acc >> $((i % 4 + 1))); break;
        default: acc = ~acc + (k * $((i + 7))u); break;
        }
    }
    return acc;
}
C
    done
    echo 'int main(void) { uint32_t h = 1;'
    for ((i = 0; i < functions; i++)); do echo "    h = f$i(h, 40) + h * 31;"; done
    echo "    for (uint32_t r = 0; r < ${rounds}u; r++) { h = f7(h, 1000) + f100(h, 1000) + f250(h, 1000) + h * 31; }"
    echo '    printf("checksum %x\n", h); rt_exit(0); }'
} >"$work/big.c"
flags=(-m32 -march=i686 -mno-sse -mno-mmx -mgeneral-regs-only -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
       -nostdlib -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-tree-loop-distribute-patterns -fno-ident -std=gnu11 -w)
for f in start.S rt.c; do gcc "${flags[@]}" -Itests/guests/c -c "tests/guests/c/$f" -o "$work/${f%.*}.o"; done
gcc "${flags[@]}" -Itests/guests/c -c "$work/big.c" -o "$work/big.o"
ld -m elf_i386 -T tests/guests/c/link.ld -nostdlib --build-id=none -z noexecstack -z max-page-size=0x1000 --no-warn-rwx-segments \
   -o "$out" "$work/start.o" "$work/rt.o" "$work/big.o" "$(gcc -m32 -print-libgcc-file-name)"
size -A "$out" | awk '/^\.text/ { printf "generated guest: .text %d bytes (%.1f KiB)\n", $2, $2 / 1024 }'
