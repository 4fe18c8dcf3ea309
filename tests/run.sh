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
# The Python package's pytest suite (make test sets OMNIZIP_PYTHON, empty when
# no python3 has numpy and pytest), counted in the same closing line. Exit 5
# (nothing collected) is a failure, never a silent pass.
if [ "${OMNIZIP_PYTHON+set}" = set ]; then
    if [ -z "$OMNIZIP_PYTHON" ]; then
        echo "pytest: no python3 with numpy and pytest (apt-get install python3-numpy python3-pytest)"
        bad="$bad pytest"; failed=$((failed + 1))
    else
        out=$(env $OMNIZIP_PY_ENV $OMNIZIP_PYTHON -m pytest python/tests -q -rs -p no:cacheprovider 2>&1); rc=$?
        printf '%s\n' "$out" | grep -E '^(FAILED|ERROR|SKIPPED)|^E ' | tail -n 40
        line=$(printf '%s\n' "$out" | tail -n 1)
        echo "pytest: $line"
        count() { printf '%s' "$line" | sed -n "s/.*[^0-9]\([0-9][0-9]*\) $1.*/\1/p;s/^\([0-9][0-9]*\) $1.*/\1/p" | head -n 1; }
        p=$(count passed); f=$(count failed); e=$(count error); s=$(count skipped)
        passed=$((passed + ${p:-0})); skipped=$((skipped + ${s:-0}))
        failed=$((failed + ${f:-0} + ${e:-0}))
        if [ $rc -ne 0 ]; then
            bad="$bad pytest"
            [ -z "$f$e" ] && failed=$((failed + 1))
        fi
    fi
fi
[ -n "$bad" ] && echo "failing suites:$bad"
echo "$passed passed, $failed failed, $skipped skipped"
[ -z "$bad" ]
