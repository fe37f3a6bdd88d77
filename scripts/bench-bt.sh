#!/usr/bin/env bash
# Whole-process comparison on the CPU-bound guest: bt (translation already in the disk cache) against native and
# QEMU (TCG) on the same image, plus what the first run (translate + compile) costs.
# Usage: scripts/bench-bt.sh [IMAGE] [RUNS]   (defaults: bench.elf, then interp.elf; 3 runs; the best run counts)
# The in-process harness of the translation core (thread CPU time, JIT warm) is: BT_BENCH=1 dotnet test
# tests/Translator.Translation.Tests -c Release --filter FullyQualifiedName~BenchmarkTests --logger "console;verbosity=detailed"
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=timing.sh
source scripts/timing.sh
each_benchmark_image "$0" "$@"
image=$1
runs=${2:-3}
prepare_benchmark
stats=$(mktemp)
cache=$(mktemp -d)
trap 'rm -rf "$stats" "$cache"' EXIT
export TRANSLATOR_CACHE_DIR="$cache"

event() { grep -o "\"$1\": [0-9.]*" "$stats" | grep -o '[0-9.]*$' || echo 0; }

first=$(elapsed "$translator" run "$image" --backend bt --stats "$stats")
translate=$(event bt.translateMicroseconds)
compile=$(event bt.compileMicroseconds)
swapped=$(event bt.tier.swappedAt)
# A second run translates again if the first recorded interpreter fallbacks; after it the cache is settled.
"$translator" run "$image" --backend bt >/dev/null 2>&1 || true
bt=$(for _ in $(seq "$runs"); do elapsed "$translator" run "$image" --backend bt --stats "$stats"; done | best)
instructions=$(event guestInstructions)
inRegions=$(event bt.instructionsInRegions)
native=$(for _ in $(seq "$runs"); do elapsed "$translator" run "$image" --backend native; done | best)
qemu=$(for _ in $(seq "$runs"); do
    elapsed run_qemu "$image"
done | best)

printf 'image                 %s\n' "$image"
printf 'guest instructions    %s (%s in translated code)\n' "$instructions" "$inRegions"
awk -v f="$first" -v t="$translate" -v c="$compile" -v b="$bt" -v n="$native" -v q="$qemu" -v i="$instructions" \
    -v fm="$(peak "$first")" -v bm="$(peak "$bt")" -v nm="$(peak "$native")" -v qm="$(peak "$qemu")" -v s="$swapped" 'BEGIN {
    printf "bt, first run         %.2f s  (translated in the background: translate %.2f s, compile %.2f s; swapped in at instruction %s)  peak %d MiB\n", f, t / 1e6, c / 1e6, s, fm
    printf "bt, cached            %.2f s  (%.0f guest MIPS, whole process)  peak %d MiB\n", b, i / b / 1e6, bm
    printf "native                %.2f s  (%.0f guest MIPS, whole process)  peak %d MiB\n", n, i / n / 1e6, nm
    printf "qemu (TCG)            %.2f s  (%.0f guest MIPS, whole process)  peak %d MiB\n", q, i / q / 1e6, qm
    printf "bt / qemu             %.2fx cached, %.2fx first run  (peak memory %.2fx cached, %.2fx first run)\n", b / q, f / q, bm / qm, fm / qm
    printf "native / bt           %.2fx\n", n / b
}'
