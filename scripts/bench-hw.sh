#!/usr/bin/env bash
# Whole-process wall time of the hardware-assisted backend against bare metal on the CPU-bound guest.
# Usage: scripts/bench-hw.sh [IMAGE] [RUNS]   (defaults: bench.elf, then interp.elf; 3 runs; runs alternate between
# the backends so that load from other processes hits all of them alike, and the best run of each counts)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=timing.sh
source scripts/timing.sh
each_benchmark_image "$0" "$@"
image=$1
runs=${2:-3}
prepare_benchmark


declare -A best
for _ in $(seq "$runs"); do
    for run in native hw-ept hw-shadow; do
        case $run in
            native) args=(--backend native) ;;
            hw-ept) args=(--backend hw --paging ept) ;;
            hw-shadow) args=(--backend hw --paging shadow) ;;
        esac
        t=$(elapsed "$translator" run "$image" "${args[@]}")
        if [ -z "${best[$run]:-}" ] || awk -v t="$t" -v b="${best[$run]}" 'BEGIN { exit !(t + 0 < b + 0) }'; then
            best[$run]=$t
        fi
    done
done

printf 'image       %s (best of %s)\n' "$image" "$runs"
for run in native hw-ept hw-shadow; do
    awk -v r="$run" -v t="${best[$run]}" -v n="${best[native]}" -v m="$(peak "${best[$run]}")" 'BEGIN { printf "%-11s %7.2f s   %+.1f%% against native   peak %d MiB\n", r, t, (t / n - 1) * 100, m }'
done
