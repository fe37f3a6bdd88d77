#!/usr/bin/env bash
# The whole test suite: installs missing prerequisites, then runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
dotnet test Translator.sln -c Release "$@"
