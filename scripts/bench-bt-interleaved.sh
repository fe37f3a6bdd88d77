#!/usr/bin/env bash
# bt against QEMU on one image, robust to this kind of VM's drift: the two run alternately (bt, QEMU, bt, QEMU, ...)
# ROUNDS times each, and the medians are compared. bench-bt.sh's best-of-N runs each side minutes apart instead.
# Usage: scripts/bench-bt-interleaved.sh [IMAGE] [ROUNDS]   (defaults: bench.elf, then interp.elf; 7)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=timing.sh
source scripts/timing.sh
each_benchmark_image "$0" "$@"
image=$1
rounds=${2:-7}
prepare_benchmark
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export TRANSLATOR_CACHE_DIR="$cache"

summary() { sort -n | awk '{ v[NR] = $1; m[NR] = $2; c[NR] = $3 } END { printf "min %.2f s, median %.2f s, max %.2f s, peak %d MiB, CPU %.2f s (median run)\n", v[1], v[int((NR + 1) / 2)], v[NR], m[int((NR + 1) / 2)] / 1024, c[int((NR + 1) / 2)] }'; }

# Two runs settle the cache: the first translates, the second translates again if the first recorded fallbacks.
"$translator" run "$image" --backend bt >/dev/null 2>&1 || true
"$translator" run "$image" --backend bt >/dev/null 2>&1 || true
bt=() qemu=()
for _ in $(seq "$rounds"); do
    bt+=("$(elapsed "$translator" run "$image" --backend bt)")
    qemu+=("$(elapsed run_qemu "$image")")
done
printf 'image        %s, %s rounds\n' "$image" "$rounds"
printf 'bt (cached)  %s' "$(printf '%s\n' "${bt[@]}" | summary)"; echo
printf 'qemu (TCG)   %s' "$(printf '%s\n' "${qemu[@]}" | summary)"; echo
awk -v b="$(printf '%s\n' "${bt[@]}" | median)" -v q="$(printf '%s\n' "${qemu[@]}" | median)" \
    -v bc="$(printf '%s\n' "${bt[@]}" | cut -d' ' -f3 | median)" -v qc="$(printf '%s\n' "${qemu[@]}" | cut -d' ' -f3 | median)" \
    'BEGIN { split(b, bb, " "); split(q, qq, " "); printf "bt / qemu    %.2fx (median wall times), %.2fx (median CPU times), peak memory %.2fx\n", bb[1] / qq[1], bc / qc, bb[2] / qq[2] }'
