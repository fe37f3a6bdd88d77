#!/usr/bin/env bash
# The default (tiered) execution of native, hw (EPT) and bt against QEMU (TCG) on one image, interleaved ROUNDS times:
# a first run (an empty translation cache: the guest starts interpreted, its hot code is compiled in the background,
# straight to IL by default, and swapped in when ready) and a cached run (translated from the first instruction).
# Prints each one's median wall time, median CPU time (user + system of the guest process and the compile process it
# waited for: the figure to compare on a loaded machine) and their ratios to QEMU's, the guest process's peak resident memory (--stats
# peakResidentKiB), the compile process's (bt.compile.processPeakKiB) and their sum (a bound on the pair's), how
# many first runs swapped in translated code, the median time to hot code (wall time from the machine's start to the
# first swap, bt.tier.swappedAtMicroseconds, over the runs that swapped), and the machine's load.
# Usage: scripts/bench-tiered.sh [IMAGE] [ROUNDS]   (defaults: bench.elf, then interp.elf; 5)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=timing.sh
source scripts/timing.sh
each_benchmark_image "$0" "$@"
image=$1
rounds=${2:-5}
prepare_benchmark
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The cached runs share one settled cache.
export TRANSLATOR_CACHE_DIR="$work/cache"
settle_translation_cache "$image"

timed() { # NAME CACHE BACKEND: appends "SECONDS TREE_PEAK_KIB CPU_SECONDS GUEST_PEAK_KIB CHILD_PEAK_KIB SWAPPED SWAP_SECONDS" of one run to $work/NAME
    local name=$1 cache=$2 backend=$3 line
    line=$(TRANSLATOR_CACHE_DIR=$cache elapsed "$translator" run "$image" --backend "$backend" --stats "$work/stats.json")
    python3 - "$work/stats.json" "$line" >>"$work/$name" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
e = s["events"]
swap = e.get("bt.tier.swappedAtMicroseconds")
print(sys.argv[2], s.get("peakResidentKiB", 0), e.get("bt.compile.processPeakKiB", 0), 1 if "bt.tier.swappedAt" in e else 0,
      "-" if swap is None else swap / 1e6)
EOF
}

for round in $(seq "$rounds"); do
    elapsed run_qemu "$image" | awk '{ print $0, $2, 0, 0, "-" }' >>"$work/qemu"
    for backend in native hw bt; do
        timed "$backend-first" "$work/empty-$round-$backend" "$backend"
        timed "$backend-cached" "$work/cache" "$backend"
    done
done

med() { cut -d' ' -f"$2" "$work/$1" | median; }
q=$(med qemu 1)
c=$(med qemu 3)
printf 'image %s, %s interleaved rounds, load average at the end %s\n' "$image" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %8s %7s %8s %7s %11s %11s %11s %8s %8s\n' run 'median s' '/ qemu' 'CPU s' 'CPU / q' 'guest MiB' 'child MiB' 'sum MiB' 'swapped' 'to hot s'
for name in qemu native-first native-cached hw-first hw-cached bt-first bt-cached; do
    hot=$(awk '$7 != "-" { print $7 }' "$work/$name" | median 2>/dev/null || true)
    awk -v l="$name" -v t="$(med "$name" 1)" -v u="$(med "$name" 3)" -v g="$(med "$name" 4)" \
        -v k="$(cut -d' ' -f5 "$work/$name" | sort -n | tail -n 1)" \
        -v s="$(awk '{ n += $6 } END { print n + 0 }' "$work/$name")" -v r="$rounds" -v q="$q" -v c="$c" -v h="${hot:--}" \
        'BEGIN { printf "%-16s %8.2f %6.2fx %8.2f %6.2fx %11.1f %11.1f %11.1f %5d/%d %8s\n", l, t, t / q, u, u / c, g / 1024, k / 1024, (g + k) / 1024, s, r, h }'
done
