#!/usr/bin/env bash
# Installs what building and checking guest images needs, only when it is missing:
# qemu-system-i386 (the reference machine), nasm (system-test guests), gcc -m32 (C guests and the host-CPU oracle),
# chromium (the compare report's headless-browser test), cc (the fuzzer's host-CPU oracle), and for
# scripts/fuzz.sh --afl: Debian's afl++ and the SharpFuzz instrumentation tool (a .NET global tool).
set -euo pipefail

missing=()
command -v qemu-system-i386 >/dev/null 2>&1 || missing+=(qemu-system-x86)
command -v nasm >/dev/null 2>&1 || missing+=(nasm)
command -v make >/dev/null 2>&1 || missing+=(make)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v afl-fuzz >/dev/null 2>&1 || missing+=(afl++)
if ! printf 'int main(void){return 0;}\n' | gcc -m32 -x c - -o /dev/null >/dev/null 2>&1; then
    missing+=(gcc-multilib)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >&2
fi

# The version scripts/fuzz.sh --afl names; fuzz.sh looks in ~/.dotnet/tools, where a global tool lands.
if ! command -v sharpfuzz >/dev/null 2>&1 && [ ! -x "$HOME/.dotnet/tools/sharpfuzz" ]; then
    echo "installing: SharpFuzz.CommandLine 2.3.0 (dotnet tool)" >&2
    dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0 >&2
fi
