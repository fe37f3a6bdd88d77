#!/usr/bin/env bash
# Differential fuzzing (docs/fuzzing.md): generated IA-32 programs on every backend, divergences reported by seed.
#   scripts/fuzz.sh --programs 100000 [--seed FIRST]   a campaign; prints progress to stderr and a summary line
#   scripts/fuzz.sh --minimize SEED                     shrinks a divergent program and prints what is left
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Translator.Fuzz -c Release -v q -nologo >/dev/null
exec dotnet tests/Translator.Fuzz/bin/Release/net10.0/Translator.Fuzz.dll "$@"
