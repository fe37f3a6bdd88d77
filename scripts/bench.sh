#!/usr/bin/env bash
# Whole-process comparison on the CPU-bound guest: the native backend against QEMU (TCG) on the same image.
# Usage: scripts/bench.sh [IMAGE] [RUNS]   (defaults: bench.elf, then interp.elf; 3 runs; the best run counts)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=timing.sh
source scripts/timing.sh
each_benchmark_image "$0" "$@"
image=$1
runs=${2:-3}
prepare_benchmark
stats=$(mktemp)
trap 'rm -f "$stats"' EXIT


native=$(for _ in $(seq "$runs"); do elapsed "$translator" run "$image" --backend native --stats "$stats"; done | best)
instructions=$(grep -o '"guestInstructions": [0-9]*' "$stats" | grep -o '[0-9]*$')
qemu=$(for _ in $(seq "$runs"); do
    elapsed run_qemu "$image"
done | best)

printf 'image               %s\n' "$image"
printf 'guest instructions  %s\n' "$instructions"
awk -v n="$native" -v q="$qemu" -v i="$instructions" -v nm="$(peak "$native")" -v qm="$(peak "$qemu")" 'BEGIN {
    printf "native              %.2f s  (%.0f guest MIPS, whole process)  peak %d MiB\n", n, i / n / 1e6, nm
    printf "qemu (TCG)          %.2f s  (%.0f guest MIPS, whole process)  peak %d MiB\n", q, i / q / 1e6, qm
    printf "native / qemu       %.2fx  (peak memory %.2fx)\n", n / q, nm / qm
}'
