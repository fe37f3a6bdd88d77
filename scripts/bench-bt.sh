#!/usr/bin/env bash
# bench.elf under binary translation vs QEMU TCG and the plain interpreter.
# Translates bench.elf, compiles the C# in memory (Roslyn), then times the run with the translation already
# compiled (wall clock and the running thread's CPU time, which other load on the host does not inflate);
# BT_BENCH_RUNS=N repeats the run in the same process (JIT already done). QEMU is timed the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s -C tests/guests
dotnet build tests/Translator.Translation.Tests -c Release -v q -nologo >/dev/null
export BT_BENCH=1 BT_BENCH_RUNS="${BT_BENCH_RUNS:-2}" BT_BENCH_NATIVE="${BT_BENCH_NATIVE:-0}"
dotnet test tests/Translator.Translation.Tests -c Release --no-build \
  --filter "FullyQualifiedName~BenchmarkTests" --logger "console;verbosity=detailed" \
  | grep -E "bench|oracle|run [0-9]|native|checksum" || true
if command -v qemu-system-i386 >/dev/null; then
  /usr/bin/time -f "qemu-system-i386 (TCG): wall %e s, user %U s, sys %S s" \
    qemu-system-i386 -kernel tests/guests/build/bench.elf -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -display none -serial stdio 2>&1 | grep -E "checksum|qemu" || true
fi
