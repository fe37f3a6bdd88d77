#!/usr/bin/env bash
# Runs the README's "Running a guest" commands exactly as written, in a fresh clone of this repository's HEAD, as a
# newcomer would after the two commands at the top. Each must succeed: exit 0 or a guest's odd code (the tool's
# own even codes 2, 4, 6 and 70 are failures). Afterwards the clone may hold only the files the commands name with
# --out or --stats (everything else they make is ignored by .gitignore: bin/, obj/, artifacts/, tests/guests/build/).
# Usage: bash scripts/readme-commands.sh   (exit 0 when every command behaved; prints each command and its code)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/clone"
cd "$work/clone"

# The block of commands under "## Running a guest", one command a line, comments dropped.
mapfile -t commands < <(awk '/^## Running a guest/{f=1} f&&/^```sh/{b=1;next} b&&/^```/{exit} b' README.md | sed 's/[[:space:]]*#.*$//' | grep -v '^[[:space:]]*$')
if [ "${#commands[@]}" -lt 5 ]; then
    echo "readme-commands: found only ${#commands[@]} commands in README.md's 'Running a guest' block" >&2
    exit 1
fi

shopt -s expand_aliases
failed=0
expected=()
for command in "${commands[@]}"; do
    echo "readme-commands: \$ $command" >&2
    eval "$command" > "$work/stdout" 2> "$work/stderr" < /dev/null
    code=$?
    if [ $code -ne 0 ] && [ $((code % 2)) -eq 0 ]; then
        echo "readme-commands: FAILED with exit code $code:" >&2
        tail -n 20 "$work/stderr" >&2
        failed=1
    else
        echo "readme-commands:   exit $code, $(wc -c < "$work/stdout") bytes on stdout" >&2
    fi

    # What the command says it writes.
    for flag in --out --stats; do
        if [[ " $command " =~ \ $flag\ ([^ ]+) ]]; then
            expected+=("${BASH_REMATCH[1]}")
        fi
    done
done

# Leftovers: anything new in the clone that no command named.
while IFS= read -r line; do
    path=${line:3}
    named=0
    for e in "${expected[@]}"; do
        if [ "$path" = "$e" ] || [[ "$path" == "$e"/* ]]; then
            named=1
        fi
    done

    if [ $named -eq 0 ]; then
        echo "readme-commands: left behind: $path" >&2
        failed=1
    fi
done < <(git status --porcelain --untracked-files=all)

if [ $failed -eq 0 ]; then
    echo "readme-commands: all ${#commands[@]} commands ran as written; they wrote only: ${expected[*]}" >&2
fi
exit $failed
