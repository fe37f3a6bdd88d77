#!/usr/bin/env bash
# Fuzzing (docs/fuzzing.md, docs/reliability.md).
#   scripts/fuzz.sh --programs 100000 [--seed FIRST]   differential campaign: progress on stderr, a summary line
#       [--jobs N]        N programs at a time (same output, same order, any N)
#       [--host-every K]  every K-th program's mode-neutral part also on the host CPU (needs cc; docs/fuzzing.md)
#       [--qemu-every K] [--bt-translated-every K]   sampled oracles
#   scripts/fuzz.sh --minimize-host SEED                shrinks a program the host CPU disagrees on, prints it
#   scripts/fuzz.sh --minimize SEED                     shrinks a divergent program and writes it up in tests/regressions/
#   scripts/fuzz.sh --afl TARGET --minutes N            AFL++ on one parser (elf, flat, host-config, snapshot, options):
#                                                       progress every 30 s, then a summary; exit 1 on a crash or hang
#   scripts/fuzz.sh --kernel-source --mutants N [--seed S]   mutated DSL kernels through the kernel compiler's generator; --follow-ons FILE lists the rejections with an error away from the mutated tokens or several for one
set -euo pipefail
cd "$(dirname "$0")/.."

parsers=tests/Translator.Fuzz.Parsers
case "${1:-}" in
--kernel-source)
    shift
    dotnet build "$parsers" -c Release -v q -nologo >/dev/null
    exec dotnet "$parsers/bin/Release/net10.0/Translator.Fuzz.Parsers.dll" kernel-source --repo "$PWD" "$@"
    ;;
--afl)
    target=${2:?--afl needs a TARGET}
    minutes=10
    [[ "${3:-}" == --minutes ]] && minutes=${4:?--minutes needs N}
    command -v afl-fuzz >/dev/null || { echo "fuzz.sh: afl-fuzz not found (apt-get install afl++)" >&2; exit 2; }
    command -v sharpfuzz >/dev/null || PATH="$PATH:$HOME/.dotnet/tools"
    command -v sharpfuzz >/dev/null || { echo "fuzz.sh: sharpfuzz not found (dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0)" >&2; exit 2; }
    work=${AFL_WORK:-artifacts/afl}/$target
    bin=$work/bin
    rm -rf "$bin" && mkdir -p "$work"
    # One publish for all targets, one at a time (two targets started together would build one obj/ folder at once);
    # each target instruments a copy of its own, so the build output the suite uses stays uninstrumented.
    # FUZZ_NO_BUILD=1 reuses the last publish (a second target started while the first runs: nothing changed between).
    [[ -n "${FUZZ_NO_BUILD:-}" && -d "$work/../published" ]] ||
        flock "$work/../.publish.lock" dotnet publish "$parsers" -c Release -o "$work/../published" -v q -nologo >/dev/null
    cp -r "$work/../published" "$bin"
    for assembly in Translator.Machine Translator.Vmm translator System.CommandLine; do
        sharpfuzz "$bin/$assembly.dll" >/dev/null
    done
    harness=(dotnet "$bin/Translator.Fuzz.Parsers.dll" "$target")
    if [[ ! -d "$work/findings/default/queue" ]]; then
        # Written by the uninstrumented copy: instrumented code run outside afl-fuzz has no coverage map to write to.
        rm -rf "$work/seeds" && dotnet "$work/../published/Translator.Fuzz.Parsers.dll" "$target" --seeds "$PWD" "$work/seeds"
        input=$work/seeds
    else
        input=- # resume the previous session's queue
    fi
    export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
    afl-fuzz -V $((minutes * 60)) -i "$input" -o "$work/findings" -t 5000 -m none -- "${harness[@]}" >"$work/afl.log" 2>&1 &
    afl=$!
    stats=$work/findings/default/fuzzer_stats
    field() { sed -n "s/^$1 *: *//p" "$stats" 2>/dev/null | head -1; }
    while kill -0 "$afl" 2>/dev/null; do
        sleep 30
        [[ -f "$stats" ]] && echo "afl $target: $(field run_time) s, $(field execs_done) execs ($(field execs_per_sec)/s), corpus $(field corpus_count), edges $(field edges_found) ($(field bitmap_cvg)), crashes $(field saved_crashes), hangs $(field saved_hangs)" >&2
    done
    wait "$afl" || { echo "fuzz.sh: afl-fuzz failed; its log:" >&2; tail -30 "$work/afl.log" >&2; exit 2; }
    crashes=$(field saved_crashes) hangs=$(field saved_hangs)
    echo "afl $target: $(field run_time) s, $(field execs_done) execs, corpus $(field corpus_count), edges $(field edges_found) of the instrumented map ($(field bitmap_cvg)), crashes $crashes, hangs $hangs"
    for found in "$work"/findings/default/{crashes,hangs}/id*; do
        # Replayed on the uninstrumented copy, for the exception and its stack.
        [[ -e "$found" ]] && dotnet "$work/../published/Translator.Fuzz.Parsers.dll" "$target" --replay "$found" || true
    done
    [[ "$crashes" == 0 && "$hangs" == 0 ]]
    ;;
*)
    dotnet build tests/Translator.Fuzz -c Release -v q -nologo >/dev/null
    exec dotnet tests/Translator.Fuzz/bin/Release/net10.0/Translator.Fuzz.dll "$@"
    ;;
esac
