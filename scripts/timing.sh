# Sourced by the benchmark scripts: their common setup, whole-process timing and the summaries they print.

prepare_benchmark() { # prerequisites, the test guests, and the translator as it ships (its path in $translator)
    if [ -n "${BENCHMARK_TRANSLATOR:-}" ]; then translator=$BENCHMARK_TRANSLATOR; return; fi   # each_benchmark_image did it
    bash scripts/prerequisites.sh
    make -s -C tests/guests BUILD="$PWD/tests/guests/build"
    translator=$(bash scripts/build-translator.sh)
}

settle_translation_cache() { # IMAGE: two runs settle $TRANSLATOR_CACHE_DIR (the second translates again if the first recorded fallbacks)
    "$translator" run "$1" --backend native --execution translated >/dev/null 2>&1 || true
    "$translator" run "$1" --backend native --execution translated >/dev/null 2>&1 || true
}

elapsed() { # "SECONDS PEAK_KIB CPU_SECONDS" of one run of "$@" (wall time; peak resident memory and user + system time
    # from /usr/bin/time -v: on a shared, loaded machine the CPU time is the figure to compare), output discarded
    local start end rusage command=("$@")
    # /usr/bin/time executes a program: a shell function (run_qemu) runs in a child bash that inherits it (export -f)
    [ "$(type -t "$1")" = function ] && command=(bash -c '"$@"' bash "$@")
    rusage=$(mktemp)
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$rusage" "${command[@]}" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" -v k="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$rusage")" \
        -v c="$(awk -F': ' '/User time|System time/ { t += $2 } END { print t + 0 }' "$rusage")" \
        'BEGIN { printf "%.3f %d %.3f\n", b - a, k, c }'
    rm -f "$rusage"
}

each_benchmark_image() { # SCRIPT ARGS...: with no IMAGE argument, runs SCRIPT once for each CPU-bound guest (bench.elf
    # and interp.elf, the one nothing was tuned on) with the rest of ARGS, and exits; with an IMAGE, returns
    [ -n "${2:-}" ] && return 0
    prepare_benchmark
    export BENCHMARK_TRANSLATOR=$translator
    local image
    # the scripts cd to the repository's root first, so scripts/NAME is SCRIPT however it was invoked
    for image in tests/guests/build/bench.elf tests/guests/build/interp.elf; do bash "scripts/$(basename "$1")" "$image" "${@:3}"; done
    exit 0
}

peak() { # the peak resident memory, in MiB, of an "SECONDS PEAK_KIB" line
    awk '{ printf "%.0f", $2 / 1024 }' <<<"$1"
}

run_qemu() { # the image on QEMU (TCG) as the tests boot it, serial output discarded
    qemu-system-i386 -kernel "$1" -serial null -display none -monitor none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04
}
export -f run_qemu

best() { sort -n | head -n 1; }
median() { sort -n | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }
