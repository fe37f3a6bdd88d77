#!/usr/bin/env bash
# Builds the translator as it ships and prints the path of its executable: published for this machine (linux-x64)
# with ReadyToRun code, as .NET ships its own libraries, so starting it costs no JIT of its own code. The demo, the
# benchmark scripts and the README use this build; the tests use the plain `dotnet build` output.
# Self-contained, with the tool and the .NET libraries precompiled together into one composite image
# (translator.r2r.dll): one version bubble, so the framework's generics over the tool's and over primitive types
# (Dictionary<uint, T>, List<LoadSegment>, System.CommandLine's Option<int>, ...) are precompiled too, where a
# framework-dependent publish JIT-compiles ~330 of them at every start. elf_hello under bt, cached: 0.18 -> 0.12 s;
# the publish folder grows from 60 to 152 MB (Roslyn stays out of the composite: Translator.Cli.csproj;
# docs/performance-bt.md).
# Stdout is the path alone (callers capture it); what the publish is doing goes to stderr: MSBuild's live progress
# when stderr is a terminal, a line before and after otherwise (it takes about two minutes on a 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/translator
start=$SECONDS
echo "build-translator: publishing src/Translator.Cli (Release, linux-x64, self-contained, composite ReadyToRun) to $out ..." >&2
publish=(dotnet publish src/Translator.Cli -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -o "$out" -nologo)
if [ -t 2 ]; then
    "${publish[@]}" -tl:on -v q >&2
else
    "${publish[@]}" -v q >&2   # quiet: only warnings and errors
fi
echo "build-translator: published in $((SECONDS - start)) s" >&2
echo "$PWD/$out/translator"
