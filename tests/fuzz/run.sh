#!/bin/sh
# run.sh SECONDS TARGET... - runs each libFuzzer target (built by make fuzz)
# for SECONDS, one after the other, and prints one line per target:
# executions, coverage (edges, features), corpus size, and the result. A
# crash, leak, timeout or out-of-memory input is written to
# tests/fuzz/corpus/TARGET/ (committed: make test replays it forever after).
secs=$1; shift
status=0
mkdir -p build/fuzz/logs
for t in "$@"; do
    corpus=build/fuzz/corpus/$t
    mkdir -p "$corpus" "tests/fuzz/corpus/$t"
    log=build/fuzz/logs/$t.log
    # Dumps are files of tens of KB; the other surfaces are small.
    case $t in dump) max=65536 ;; *) max=4096 ;; esac
    build/fuzz/fuzz-bin/fuzz_$t -max_total_time="$secs" -max_len=$max -timeout=20 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="tests/fuzz/corpus/$t/" "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(printf '%s' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(printf '%s' "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    if [ $rc -eq 0 ]; then result=ok; else result="FAILED (see $log)"; status=1; fi
    printf 'fuzz %-8s %ss  execs %s  cov %s  ft %s  corpus %s  %s\n' "$t" "$secs" \
        "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
exit $status
