#!/usr/bin/env bash
# First-run cost of binary translation (issue #5): what `translator translate --compile` spends translating an image
# to C# and compiling that C# in memory with Roslyn, as the run-time host does on a cache miss. Measures a generated
# gcc -O2 guest whose code is 64 KiB (functions with loops, switches, calls and memory traffic) and the C guests of
# tests/guests, each in a fresh process (the first run is what is asked: JIT and Roslyn warm-up included). The cached
# case costs neither: a hit loads the stored assembly, and a build-time translation is already compiled in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
make -C tests/guests >/dev/null
translator=("$(bash scripts/build-translator.sh)")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TRANSLATOR_CACHE_DIR="$work/cache"

# A guest with 64 KiB of code: FUNCTIONS generated functions of distinct shapes, all called from main.
functions=${FUNCTIONS:-320}
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
    echo '    printf("checksum %x\n", h); rt_exit(0); }'
} >"$work/big.c"
flags=(-m32 -march=i686 -mno-sse -mno-mmx -mgeneral-regs-only -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
       -nostdlib -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-tree-loop-distribute-patterns -fno-ident -std=gnu11 -w)
for f in start.S rt.c; do gcc "${flags[@]}" -Itests/guests/c -c "tests/guests/c/$f" -o "$work/${f%.*}.o"; done
gcc "${flags[@]}" -Itests/guests/c -c "$work/big.c" -o "$work/big.o"
ld -m elf_i386 -T tests/guests/c/link.ld -nostdlib --build-id=none -z noexecstack -z max-page-size=0x1000 --no-warn-rwx-segments \
   -o "$work/big64k.elf" "$work/start.o" "$work/rt.o" "$work/big.o" "$(gcc -m32 -print-libgcc-file-name)"
text=$(size -A "$work/big64k.elf" | awk '/^\.text/ {print $2}')
echo "generated guest: .text $text bytes ($(awk -v t="$text" 'BEGIN { printf "%.1f", t / 1024 }') KiB), file $(stat -c %s "$work/big64k.elf") bytes"

# Each measurement is a fresh process; `|| true` keeps going past an image that fails (its message is printed).
measure() {
    local image=$1 label=$2; shift 2
    start=$(date +%s.%N)
    summary=$("${translator[@]}" translate "$image" --out "$work/out" "$@" 2>&1 >/dev/null | head -1) || true
    end=$(date +%s.%N)
    echo "$(basename "$image") $label: ${summary#translator: }; process wall $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
}
for run in 1 2; do measure "$work/big64k.elf" "run $run" --compile; done
for image in tests/guests/build/sieve.elf tests/guests/build/sort.elf; do measure "$image" "run 1" --compile; done
# The oracle (113 KiB of code) is translated only: its C# is too large to compile in a reasonable time.
measure tests/guests/build/oracle.elf "translation only"
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
