#!/usr/bin/env bash
# The default (tiered) execution of native, hw (EPT) and bt against QEMU (TCG) on one image, interleaved ROUNDS times:
# a first run (an empty translation cache: the guest starts interpreted, a child `translator` process compiles in the
# background, the translation is swapped in when ready) and a cached run (translated from the first instruction).
# Prints each one's median wall time and ratio to QEMU's, the guest process's peak resident memory (--stats
# peakResidentKiB), the compile process's (bt.compile.processPeakKiB) and their sum (a bound on the pair's), how
# many first runs swapped in translated code, and the machine's load.
# Usage: scripts/bench-tiered.sh [IMAGE] [ROUNDS]   (defaults: tests/guests/build/bench.elf, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=timing.sh
source scripts/timing.sh
image=${1:-tests/guests/build/bench.elf}
rounds=${2:-5}
prepare_benchmark
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The cached runs share one settled cache.
export TRANSLATOR_CACHE_DIR="$work/cache"
settle_translation_cache "$image"

timed() { # NAME CACHE BACKEND: appends "SECONDS TREE_PEAK_KIB GUEST_PEAK_KIB CHILD_PEAK_KIB SWAPPED" of one run to $work/NAME
    local name=$1 cache=$2 backend=$3 line
    line=$(TRANSLATOR_CACHE_DIR=$cache elapsed "$translator" run "$image" --backend "$backend" --stats "$work/stats.json")
    python3 - "$work/stats.json" "$line" >>"$work/$name" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
e = s["events"]
print(sys.argv[2], s.get("peakResidentKiB", 0), e.get("bt.compile.processPeakKiB", 0), 1 if "bt.tier.swappedAt" in e else 0)
EOF
}

for round in $(seq "$rounds"); do
    elapsed run_qemu "$image" | awk '{ print $0, $2, 0, 0 }' >>"$work/qemu"
    for backend in native hw bt; do
        timed "$backend-first" "$work/empty-$round-$backend" "$backend"
        timed "$backend-cached" "$work/cache" "$backend"
    done
done

med() { cut -d' ' -f"$2" "$work/$1" | median; }
q=$(med qemu 1)
printf 'image %s, %s interleaved rounds, load average at the end %s\n' "$image" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %8s %7s %11s %11s %11s %8s\n' run 'median s' '/ qemu' 'guest MiB' 'child MiB' 'sum MiB' 'swapped'
for name in qemu native-first native-cached hw-first hw-cached bt-first bt-cached; do
    awk -v l="$name" -v t="$(med "$name" 1)" -v g="$(med "$name" 3)" -v c="$(cut -d' ' -f4 "$work/$name" | sort -n | tail -n 1)" \
        -v s="$(awk '{ n += $5 } END { print n + 0 }' "$work/$name")" -v r="$rounds" -v q="$q" \
        'BEGIN { printf "%-16s %8.2f %6.2fx %11.1f %11.1f %11.1f %5d/%d\n", l, t, t / q, g / 1024, c / 1024, (g + c) / 1024, s, r }'
done
