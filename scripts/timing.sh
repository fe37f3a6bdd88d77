# Sourced by the benchmark scripts: their common setup, whole-process timing and the summaries they print.

prepare_benchmark() { # prerequisites, the test guests, and the translator as it ships (its path in $translator)
    bash scripts/prerequisites.sh
    make -s -C tests/guests BUILD="$PWD/tests/guests/build"
    translator=$(bash scripts/build-translator.sh)
}

elapsed() { # wall seconds of one run of "$@", its output discarded
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

run_qemu() { # the image on QEMU (TCG) as the tests boot it, serial output discarded
    qemu-system-i386 -kernel "$1" -serial null -display none -monitor none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04
}

best() { sort -n | head -n 1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
