#!/usr/bin/env bash
# The main job: builds the bundled guests and the translator, runs each guest and prints its console output and
# the run statistics (--stats JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
make -s -C tests/guests BUILD="$PWD/tests/guests/build"
dotnet build src/Translator.Cli -c Release -nologo -v q >/dev/null
translator=src/Translator.Cli/bin/Release/net10.0/translator
stats=$(mktemp -d)

for image in sieve.elf ring3.bin pit_irq.bin bench.elf; do
    for backend in native; do
        echo "=== $image on $backend"
        set +e
        "$translator" run "tests/guests/build/$image" --backend "$backend" --stats "$stats/$image.$backend.json"
        code=$?
        set -e
        echo "--- exit code $code; statistics:"
        cat "$stats/$image.$backend.json"
    done
done
rm -rf "$stats"
