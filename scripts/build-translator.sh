#!/usr/bin/env bash
# Builds the translator as it ships and prints the path of its executable: published for this machine (linux-x64)
# with ReadyToRun code, as .NET ships its own libraries, so starting it costs no JIT of its own code. The demo, the
# benchmark scripts and the README use this build; the tests use the plain `dotnet build` output.
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/translator
dotnet publish src/Translator.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$out" -nologo -v q >/dev/null
echo "$PWD/$out/translator"
