#!/bin/sh
# Runs every criterion suite given on the command line (each test in its own
# process, as criterion does) and prints one closing line for the whole run.
passed=0 failed=0 skipped=0 bad=""
for t in "$@"; do
    out=$("$t" --jobs 2 --short-filename --verbose 2>&1); rc=$?
    # Failures and skips with their reasons; not the per-test RUN/PASS lines.
    printf '%s\n' "$out" | grep -vE '^\[(RUN |PASS|====)\]|^\[----\] Criterion|^\[----\] Running' \
        | tail -n 40
    printf '%s\n' "$out" | grep 'Synthesis:'
    line=$(printf '%s\n' "$out" | grep 'Synthesis: Tested:' | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(printf '%s' "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(printf '%s' "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    s=$(printf '%s\n' "$out" | grep -c '^\[SKIP\]')
    passed=$((passed + ${p:-0})); skipped=$((skipped + ${s:-0}))
    failed=$((failed + ${f:-0} + ${c:-0}))
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        bad="$bad $(basename "$t")"
        [ -z "$line" ] && failed=$((failed + 1))
    fi
done
[ -n "$bad" ] && echo "failing suites:$bad"
echo "$passed passed, $failed failed, $skipped skipped"
[ -z "$bad" ]
