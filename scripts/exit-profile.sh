#!/usr/bin/env bash
# The hardware-assisted backend's exit profile and modeled cycles next to bare metal, one line per run:
#   scripts/exit-profile.sh [IMAGE...]   (default: bench.elf syscall_heavy.bin io_heavy.bin pagetable_heavy.bin)
# Columns: guest instructions, VM exits, exits per million instructions, modeled cycles, and under shadow paging the
# binary-translation estimate for the same guest events (docs/cost-model.md). Extra options go to every run via
# EXTRA, e.g. EXTRA="--cost vmExit=1500" scripts/exit-profile.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
make -s -C tests/guests BUILD="$PWD/tests/guests/build"
translator=$(bash scripts/build-translator.sh)
stats=$(mktemp)
trap 'rm -f "$stats"' EXIT
images=("$@")
[ ${#images[@]} -eq 0 ] && images=(bench.elf syscall_heavy.bin io_heavy.bin pagetable_heavy.bin)

field() { grep -o "\"$1\": [0-9.]*" "$stats" | head -n 1 | grep -o '[0-9.]*$' || echo -; }
printf '%-20s %-11s %13s %9s %10s %16s %16s %8s\n' image run instructions exits exits/Minstr modeledCycles btEstimate wall
for image in "${images[@]}"; do
    for run in native hw-ept hw-shadow; do
        case $run in
            native) args=(--backend native) ;;
            hw-ept) args=(--backend hw --paging ept) ;;
            hw-shadow) args=(--backend hw --paging shadow) ;;
        esac
        # shellcheck disable=SC2086
        "$translator" run "tests/guests/build/$image" "${args[@]}" ${EXTRA:-} --stats "$stats" >/dev/null || true
        printf '%-20s %-11s %13s %9s %10s %16s %16s %8s\n' "$image" "$run" "$(field guestInstructions)" "$(field exits)" \
            "$(field exitsPerMillionInstructions)" "$(field modeledCycles)" "$(field binaryTranslationEstimate)" "$(field wallSeconds)"
    done
done
