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

bash scripts/big-guest.sh "$work/big64k.elf"

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
