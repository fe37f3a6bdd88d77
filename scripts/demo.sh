#!/usr/bin/env bash
# The main job: builds the translator with its sample kernels and the C/nasm guests, runs each guest on every
# backend, and prints the guest's console output and what the run cost.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
make -s -C tests/guests BUILD="$PWD/tests/guests/build"
dotnet build src/Translator.Cli -c Release -nologo -v q >/dev/null
translator=src/Translator.Cli/bin/Release/net10.0/translator
stats=$(mktemp -d)
trap 'rm -rf "$stats"' EXIT

backends=(native)
guests=(Hello Compute Multitasking Microbench Holes tests/guests/build/syscall_heavy.bin tests/guests/build/bench.elf)

summary() { # backend json -> one line: exit code, instructions, wall time, MIPS, the busiest events
    awk -v backend="$1" '
        /"exitCode"/ { gsub(/[,]/, ""); code = $2 }
        /"guestInstructions"/ { gsub(/[,]/, ""); instr = $2 }
        /"wallSeconds"/ { gsub(/[,]/, ""); wall = $2 }
        /"modeledCycles"/ { gsub(/[,]/, ""); cycles = $2 }
        /"(fault|irq|exit|callout|hypercall|int)\./ { gsub(/[",]/, ""); events = events " " $1 $2 }
        END { printf "  %-7s exit %-3s %12s instructions %8.2f s %9.1f MIPS %14s modeled cycles %s\n",
                     backend, code, instr, wall, (wall > 0 ? instr / wall / 1e6 : 0), cycles, events }' "$2"
}

for guest in "${guests[@]}"; do
    echo "=== $guest"
    for backend in "${backends[@]}"; do
        "$translator" run "$guest" --backend "$backend" --stats "$stats/$backend.json" >"$stats/$backend.out" 2>&1 || true
    done
    head -n 30 "$stats/${backends[0]}.out"
    echo "--- cost"
    for backend in "${backends[@]}"; do
        summary "$backend" "$stats/$backend.json"
        if [ "$backend" != "${backends[0]}" ] && ! cmp -s "$stats/${backends[0]}.out" "$stats/$backend.out"; then
            echo "  $backend: OUTPUT DIFFERS from ${backends[0]}"
        fi
    done
done
