#!/usr/bin/env bash
# native, hw (EPT) and bt with translated code against QEMU (TCG) on one image, interleaved (QEMU, native, hw, bt,
# QEMU, ...) ROUNDS times; prints each one's median wall time, median CPU time (user + system: the figure to compare on
# a loaded machine), peak resident memory and its ratios to QEMU's medians.
# The translation is made once, in a fresh cache, before the timed rounds (all three backends share it).
# Usage: scripts/bench-translated.sh [IMAGE] [ROUNDS]   (defaults: bench.elf, then interp.elf; 7)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=timing.sh
source scripts/timing.sh
each_benchmark_image "$0" "$@"
image=$1
rounds=${2:-7}
prepare_benchmark
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The cached runs share one settled cache.
export TRANSLATOR_CACHE_DIR="$work/cache"
settle_translation_cache "$image"

timed() { # NAME COMMAND...: appends "SECONDS PEAK_KIB CPU_SECONDS" of one run to $work/NAME
    local name=$1
    shift
    elapsed "$@" >>"$work/$name"
}

for _ in $(seq "$rounds"); do
    timed qemu run_qemu "$image"
    timed native "$translator" run "$image" --backend native --execution translated
    timed hw "$translator" run "$image" --backend hw --execution translated
    timed bt "$translator" run "$image" --backend bt
done

med() { cut -d' ' -f"$2" "$work/$1" | median; }
q=$(med qemu 1)
c=$(med qemu 3)
printf 'image %s, %s interleaved rounds, load average %s\n' "$image" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %8s %8s %10s %8s %8s\n' run 'median s' 'CPU s' 'peak MiB' '/ qemu' 'CPU / q'
for name in qemu native hw bt; do
    label=$name
    [ "$name" = qemu ] || label="$name (translated)"
    awk -v l="$label" -v t="$(med "$name" 1)" -v m="$(med "$name" 2)" -v u="$(med "$name" 3)" -v q="$q" -v c="$c" \
        'BEGIN { printf "%-22s %8.2f %8.2f %10.1f %7.2fx %7.2fx\n", l, t, u, m / 1024, t / q, u / c }'
done
