#!/usr/bin/env bash
# The whole test suite: installs missing prerequisites, then runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
# bt translations made by the tests go to a cache of their own (the user's ~/.cache/translator stays untouched, and
# every run exercises translation from scratch, as on a fresh machine).
if [ -z "${TRANSLATOR_CACHE_DIR:-}" ]; then
    TRANSLATOR_CACHE_DIR=$(mktemp -d)
    export TRANSLATOR_CACHE_DIR
    trap 'rm -rf "$TRANSLATOR_CACHE_DIR"' EXIT
fi
dotnet test Translator.sln -c Release "$@"
