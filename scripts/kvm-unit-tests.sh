#!/usr/bin/env bash
# Runs KVM's unit tests (i386 images of ../shared/conformance/kvm-unit-tests, beside the repository) under native,
# hw (EPT and shadow), bt and trap, compares each with QEMU TCG's PASS/FAIL/SKIP lines and exit code, and prints the
# table (docs/devices.md explains it). The work is done by the xunit test KvmUnitTests, which also checks every
# cell against its recorded outcome; this script runs it and shows the table it wrote to artifacts/kvm-unit-tests.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/conformance/kvm-unit-tests/images ]; then
    echo "kvm-unit-tests: ../shared/conformance/kvm-unit-tests/images not found: nothing to run" >&2
    exit 2
fi

rm -f artifacts/kvm-unit-tests.md
status=0
dotnet test tests/Translator.Vmm.Tests -c Release --filter "FullyQualifiedName~Conformance.KvmUnitTests" --nologo -v q || status=$?
if [ -f artifacts/kvm-unit-tests.md ]; then
    cat artifacts/kvm-unit-tests.md
fi
exit $status
