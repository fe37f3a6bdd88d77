#!/usr/bin/env bash
# Issue 17, item 2: a first run of an image never seen before. Generates the 64 KiB guest with a hot kernel
# (scripts/big-guest.sh) and runs it ROUNDS times, each in a fresh translation cache, under the default (tiered)
# execution; prints for each the whole process's wall and CPU time and peak memory (/usr/bin/time), the time from the
# machine's creation to the first group of hot code swapped in (--stats bt.tier.swappedAtMicroseconds) and where the
# first group's time went (translating, compiling, the JIT; with TIER_COMPILER=roslyn also the compile process's
# start, Roslyn's warm-up, parsing and loading), then a run of the interpreter alone (native's) and one that starts
# with what the first run left in the cache (the recorded hot code; Roslyn's stored groups).
# Usage: [TIER_COMPILER=il|roslyn] scripts/measure-first-run.sh [BACKEND] [ROUNDS] [HOT_ROUNDS]   (defaults: bt, 3, 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-bt}
rounds=${2:-3}
hot=${3:-3000}
make -C tests/guests >/dev/null
translator=${TRANSLATOR:-$(bash scripts/build-translator.sh)}   # TRANSLATOR: a tool already built
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/big-guest.sh "$work/big.elf" "$hot"

run() { # LABEL CACHE-DIR BACKEND [ARGS...]
    local label=$1 cache=$2 on=$3; shift 3
    TRANSLATOR_CACHE_DIR=$cache TRANSLATOR_TIER_BREAKDOWN=1 /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
        "$translator" run "$work/big.elf" --backend "$on" --stats "$work/stats.json" "$@" >/dev/null || true
    python3 - "$label" "$work/stats.json" "$(tail -n 1 "$work/time")" <<'PY'
import json, sys
label, stats, (wall, user, system, peak) = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3].split()
e = stats["events"]
ms = lambda k: f"{e[k] / 1000:.0f}" if k in e else "-"
print(f"{label}: {float(wall):.2f} s wall, {float(user) + float(system):.2f} s CPU, peak {int(peak) // 1024} MiB; "
      f"{stats['guestInstructions']} instructions, execution {stats.get('execution', '-')}; hot code translated at "
      f"{ms('bt.tier.swappedAtMicroseconds')} ms (retired {e.get('bt.tier.swappedAt', '-')}), groups {e.get('bt.tier.groups', e.get('bt.groups', 0))} "
      f"from {e.get('bt.tier.compileProcesses', 0)} compile process(es), {ms('bt.tier.compileProcessCpuMicroseconds')} ms of their CPU")
if "bt.tier.firstGroup.compileMicroseconds" in e:
    print(f"  first group: {e.get('bt.tier.firstGroup.instructions')} instructions, {e.get('bt.tier.firstGroup.sourceBytes', '-')} bytes of C#; "
          f"child {ms('bt.tier.firstGroup.process.wallMicroseconds')} ms wall ({ms('bt.tier.firstGroup.process.cpuMicroseconds')} ms CPU): "
          f"started {ms('bt.tier.firstGroup.process.startedMicroseconds')}, Roslyn warm-up {ms('bt.tier.firstGroup.process.warmUpMicroseconds')} "
          f"({ms('bt.tier.firstGroup.process.warmUpCpuMicroseconds')} CPU), translate {ms('bt.tier.firstGroup.translateMicroseconds')} "
          f"({ms('bt.tier.firstGroup.process.translateCpuMicroseconds')} CPU), parse {ms('bt.tier.firstGroup.parseMicroseconds')}, "
          f"compile {ms('bt.tier.firstGroup.compileMicroseconds')} ({ms('bt.tier.firstGroup.process.compileCpuMicroseconds')} CPU); "
          f"then load {ms('bt.tier.firstGroup.loadMicroseconds')}, JIT {ms('bt.tier.firstGroup.jitMicroseconds')} (ms)")
PY
}

for round in $(seq "$rounds"); do
    run "first run $round ($backend)" "$work/cache-$round" "$backend" --tier-compiler "${TIER_COMPILER:-il}"
done
run "interpreter only (native)" "$work/none" native --execution interpreter
run "next run, same cache ($backend)" "$work/cache-1" "$backend" --tier-compiler "${TIER_COMPILER:-il}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
