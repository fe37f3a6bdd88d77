#!/usr/bin/env bash
# What the kernel compiler adds to an incremental build: touches every sample kernel, rebuilds the sample catalog
# serially with the compiler's analyzer report, and prints the generator's time per sample and the wall time.
# Runs twice: with the compiler server (a developer's machine) and without it (UseSharedCompilation=false, as CI).
set -euo pipefail
cd "$(dirname "$0")/.."
samples=(Hello Compute Multitasking Microbench Holes)
dotnet build samples/Translator.Samples -c Release -m:1 >/dev/null
for shared in true false; do
    for run in 1 2; do
        for s in "${samples[@]}"; do touch "samples/$s/$s.cs"; done
        log=$(mktemp)
        start=$(date +%s.%N)
        UseSharedCompilation=$shared dotnet build samples/Translator.Samples -c Release -m:1 -p:ReportAnalyzer=true -v:d >"$log" 2>&1
        end=$(date +%s.%N)
        times=$(grep -A4 "Total generator execution time" "$log" | awk '/Translator.KernelCompiler.KernelCompilerGenerator/ {print $1}')
        total=$(echo "$times" | awk '{s += $1} END {printf "%.3f", s}')
        echo "compiler server=$shared run $run: kernel compiler per sample [$(echo $times)] s, total $total s; build wall $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
        rm -f "$log"
    done
done
dotnet build-server shutdown >/dev/null 2>&1 || true
