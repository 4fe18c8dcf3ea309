#!/bin/sh
# make bench: the standard workloads (W1, W4), the compress stage against the
# sgemm floor in both similarity scopes, whole-process omnizip-run, audio
# importance at T = 15000, and the PyTorch baseline; writes bench/RESULTS.md.
# A benchmark, not a test: run it on a quiet machine.
set -eu
B=${OMNIZIP_BUILD:-build}
PY=/usr/bin/python3
WL=$B/bench
OUT=$WL/results.jsonl
mkdir -p "$WL"
[ -f "$WL/W1.safetensors" ] && [ -f "$WL/W4.safetensors" ] || $PY bench/gen_workload.py "$WL" --which W1,W4
: > "$OUT"
for w in W1 W4; do
    "$B/omnizip-bench" stage "$WL/$w.safetensors" --runs 5 >> "$OUT"
done
# The window scope's W4/W1 ratio is a claim about growth: more runs, less noise.
for w in W1 W4; do
    "$B/omnizip-bench" stage "$WL/$w.safetensors" --runs 15 --set similarity_scope=window >> "$OUT"
done
for scope in global window; do
    "$B/omnizip-bench" proc --runs 5 -- "$B/omnizip-run" compress "$WL/W1.safetensors" \
        -o "$WL/W1.out.safetensors" --set rho_audio=0.3 --set rho_video=0.6 \
        --set similarity_scope=$scope | sed "s/^{/{\"scope\":\"$scope\",/" >> "$OUT"
done
"$B/omnizip-bench" importance 15000 --runs 3 >> "$OUT"
if $PY -c "import torch" 2>/dev/null; then
    $PY bench/baseline_torch.py "$WL/W1.safetensors" --runs 5 >> "$OUT"
else
    echo "bench: python3-torch missing, no baseline" >&2
fi
$PY bench/report.py "$OUT" > bench/RESULTS.md.tmp
# Streaming: latency per window and the heap over 300, 1,200 and 7,200 windows.
{ echo; "$B/omnizip-bench-stream" "$B/libomnizip.so"; } >> bench/RESULTS.md.tmp
# Soak: RSS, descriptors and segments over 10,000 cycles and 1,000 contexts.
{ echo; "$B/omnizip-bench-soak" "$B/libomnizip.so"; } >> bench/RESULTS.md.tmp
mv bench/RESULTS.md.tmp bench/RESULTS.md
cat bench/RESULTS.md
