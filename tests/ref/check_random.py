"""Random conformance: omnizip-run against the numpy reference.

Generates N seeded cases (gen_random.py), runs
`$OMNIZIP_BUILD/omnizip-run compress CASE -o OUT --set key=value ...` on each
(parameters from the case's metadata) and compares OUT with the reference:
keep_mask exactly, inputs_embeds (compacted) against expected_embeds[expected_keep]
within 1e-5*max(1,|want|), input_ids/position_ids compacted, window_audio_retention
and window_video_rate bit-exact. When `omnizip-run plan CASE --json` exists, its
per-window kept counts must equal the reference's too.

With --mode streaming the expectations come from stream_ref.py (mode:
streaming, written from docs/STREAMING.md) and there is no plan to check.
With --normalize exact the same cases run in normalize: exact, and each also
checks the contract of that mode on the reference itself (the whole-frame
video total equals round((1 - rho_video) * n_video_grid) whenever the clamp
bounds allow it, else every run sits at its bound; the total is the same for
other score draws; every rate within its clamps) and that `omnizip-run plan`
on the case without audio_scores gives the same totals.

Prints one line per failing case, then "N passed, M failed"; exit 0 only when
every case passed, 1 on any failure, 2 when omnizip-run cannot be run at all.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_random  # noqa: E402
import omnizip_ref as ref  # noqa: E402
import st  # noqa: E402

TIMEOUT_S = 60


def set_args(meta):
    out = []
    for k in ref.PARAM_KEYS:
        out += ["--set", f"{k}={meta[k]}"]
    return out


def describe_keep(got, want, res, tensors, meta):
    """Where the keep masks differ: per audio run, per video run and frame (stage)."""
    ids = tensors["input_ids"].reshape(-1)
    apos = np.nonzero(ids == int(meta["audio_token_id"]))[0]
    vpos = np.nonzero(ids == int(meta["video_token_id"]))[0]
    grid = tensors["video_grid_thw"].reshape(-1)
    tpf = (int(grid[1]) // 2) * (int(grid[2]) // 2)
    parts = []
    other = np.nonzero((got != want) & (res.stage == 0))[0]
    if len(other):
        parts.append(f"{len(other)} text/special rows differ (always kept)")
    for i, (s, e) in enumerate(res.audio_runs):
        g, w = got[apos[s:e]], want[apos[s:e]]
        if not np.array_equal(g, w):
            parts.append(f"audio run {i} (stage 1): kept {int(g.sum())} want {int(w.sum())}, "
                         f"{int((g != w).sum())} differ")
    for i, (s, e) in enumerate(res.video_runs):
        g, w = got[vpos[s:e]], want[vpos[s:e]]
        if np.array_equal(g, w):
            continue
        n = e - s
        if n < tpf:
            parts.append(f"video run {i}: shorter than a frame, kept {int(g.sum())} want {n}")
            continue
        for f in range((n + tpf - 1) // tpf):
            gs, ws = g[f * tpf:(f + 1) * tpf], w[f * tpf:(f + 1) * tpf]
            if np.array_equal(gs, ws):
                continue
            kind = ("partial trailing frame" if (f + 1) * tpf > n else
                    "stage 3 spatial DPC-KNN" if f % 2 == 0 else "stage 3 temporal")
            parts.append(f"video run {i} frame {f} ({kind}): kept {int(gs.sum())} "
                         f"want {int(ws.sum())}, {int((gs != ws).sum())} differ")
    return "; ".join(parts[:6]) + (f"; ... {len(parts) - 6} more" if len(parts) > 6 else "")


def compare_out(out, tensors, meta, res):
    errs = []
    want = tensors["expected_keep"]
    L = len(want)
    km = out.get("keep_mask")
    if km is None:
        return ["OUT has no keep_mask"]
    km = km.reshape(-1)
    if km.dtype != np.bool_ or km.shape != (L,):
        return [f"keep_mask is {km.dtype} {list(km.shape)}, want bool [{L}]"]
    if not np.array_equal(km, want):
        errs.append("keep_mask: " + describe_keep(km, want, res, tensors, meta))
    k = int(want.sum())
    emb = out.get("inputs_embeds")
    exp = tensors["expected_embeds"]
    if emb is None:
        errs.append("OUT has no inputs_embeds")
    else:
        emb = emb.reshape(-1, exp.shape[-1]) if emb.size else emb.reshape(0, exp.shape[-1])
        if emb.shape[0] != k:
            errs.append(f"inputs_embeds has {emb.shape[0]} rows, want {k}")
        else:
            w = exp[want].astype(np.float64)
            bad = np.abs(emb.astype(np.float64) - w) > 1e-5 * np.maximum(1.0, np.abs(w))
            if bad.any():
                rows = np.nonzero(bad.any(axis=1))[0]
                kept = np.nonzero(want)[0]
                stage = ["other", "audio", "", "video"]
                errs.append(f"inputs_embeds: {len(rows)} rows beyond 1e-5, first at sequence "
                            f"position {int(kept[rows[0]])} ({stage[res.stage[kept[rows[0]]]]})")
    ids = tensors["input_ids"].reshape(-1)
    oid = out.get("input_ids")
    if oid is None or not np.array_equal(oid.reshape(-1), ids[want]):
        errs.append("input_ids: not the kept ids in order")
    if "position_ids" in tensors:
        pos = tensors["position_ids"].reshape(3, -1)
        opos = out.get("position_ids")
        if opos is None or opos.size != 3 * k or not np.array_equal(opos.reshape(3, -1), pos[:, want]):
            errs.append("position_ids: not the kept columns in order")
    for name, key in (("window_audio_retention", "expected_audio_retention"),
                      ("window_video_rate", "expected_video_rates")):
        got, exp_t = out.get(name), tensors[key]
        if got is None:
            errs.append(f"OUT has no {name}")
        elif got.dtype != exp_t.dtype or got.shape != exp_t.shape or not np.array_equal(got, exp_t):
            errs.append(f"{name}: {got.dtype} {got.tolist()[:8]} want {exp_t.dtype} {exp_t.tolist()[:8]}")
    return errs


def find_windows(node):
    """The first list of objects carrying audio_kept and video_kept, anywhere in the JSON."""
    if isinstance(node, list):
        if node and all(isinstance(x, dict) and "audio_kept" in x and "video_kept" in x for x in node):
            return node
        items = node
    elif isinstance(node, dict):
        items = node.values()
    else:
        return None
    for x in items:
        found = find_windows(x)
        if found is not None:
            return found
    return None


def check_plan(run, path, meta, res, notes):
    try:
        proc = run(["plan", path, "--json"] + set_args(meta))
    except (OSError, subprocess.TimeoutExpired) as e:
        return [f"plan: {e}"]
    if proc.returncode == 2:
        notes.add("plan: omnizip-run has no `plan --json` (usage error); plan counts not checked")
        return []
    if proc.returncode != 0:
        return [f"plan exited {proc.returncode}: {proc.stderr.strip()[-300:]}"]
    try:
        wins = find_windows(json.loads(proc.stdout))
    except json.JSONDecodeError as e:
        return [f"plan --json: not JSON ({e})"]
    if wins is None:
        notes.add("plan --json: no per-window list with audio_kept/video_kept; plan counts not checked")
        return []
    n = max(len(res.audio_kept), len(res.video_kept))
    if len(wins) != n:
        return [f"plan: {len(wins)} windows, want {n}"]
    errs = []
    for i, w in enumerate(wins):
        wa = res.audio_kept[i] if i < len(res.audio_kept) else 0
        wv = res.video_kept[i] if i < len(res.video_kept) else 0
        if w["audio_kept"] != wa or w["video_kept"] != wv:
            errs.append(f"plan window {i}: audio_kept {w['audio_kept']} want {wa}, "
                        f"video_kept {w['video_kept']} want {wv}")
        if "rate" in w and i < len(res.video_rates) and w["rate"] != float(res.video_rates[i]):
            errs.append(f"plan window {i}: rate {w['rate']!r} want {float(res.video_rates[i])!r}")
    return errs[:4]


def exact_contract(tensors, meta, res):
    """normalize: exact's promises, checked on the reference's own answer."""
    p = ref.Params.from_meta(meta)
    ids = tensors["input_ids"].reshape(-1)
    grid = tensors["video_grid_thw"].reshape(-1)
    t, tpf = int(grid[0]), (int(grid[1]) // 2) * (int(grid[2]) // 2)
    guided = min(len(res.audio_runs), len(res.video_runs))
    want = int(np.rint((1.0 - p.rho_video) * t * tpf))
    errs, lo_sum, hi_sum, got = [], 0, 0, 0
    for i, (s, e) in enumerate(res.video_runs):
        m = ((e - s) // tpf) * tpf
        if m == 0:
            continue
        lo, hi = p.rho_min, p.rho_max
        if i >= guided:
            lo, hi = min(lo, p.rho_video), max(hi, p.rho_video)
        kmin, kmax = int(np.ceil(m * (1.0 - hi))), int(np.floor(m * (1.0 - lo)))
        lo_sum += min(kmin, kmax)
        hi_sum += kmax
        got += res.video_kept[i]
        r = float(res.video_rates[i])
        # A clamp too narrow to hold a whole count (kmin > kmax) cannot be met.
        if kmin <= kmax and (r < lo - 1e-12 or r > hi + 1e-12):
            errs.append(f"exact: run {i} rate {r!r} outside [{lo}, {hi}]")
    expect = min(max(want, lo_sum), hi_sum)
    if got != expect:
        errs.append(f"exact: whole-frame video kept {got}, want {expect} (budget {want}, "
                    f"bounds {lo_sum}..{hi_sum})")
    apos = ids == int(meta["audio_token_id"])
    rng = np.random.default_rng(int(apos.sum()))
    for draw in range(3):
        scores = gen_random.draw_scores(rng, int(apos.sum()))
        a, v, _ = ref.plan_counts(ids, scores, tensors["video_grid_thw"], p,
                                  int(meta["audio_token_id"]), int(meta["video_token_id"]))
        if (sum(a), sum(v)) != (sum(res.audio_kept), sum(res.video_kept)):
            errs.append(f"exact: score draw {draw} keeps {sum(a)}+{sum(v)}, the case "
                        f"{sum(res.audio_kept)}+{sum(res.video_kept)}")
    return errs


def check_scoreless_plan(run, path, tensors, meta, res):
    """`omnizip-run plan` on the case without audio_scores: the same totals."""
    bare = path.replace(".safetensors", ".noscores.safetensors")
    st.save(bare, {k: v for k, v in tensors.items() if k != "audio_scores"}, meta)
    try:
        proc = run(["plan", bare, "--json"] + set_args(meta))
    except (OSError, subprocess.TimeoutExpired) as e:
        return [f"plan without scores: {e}"]
    finally:
        os.remove(bare)
    if proc.returncode != 0:
        return [f"plan without scores exited {proc.returncode}: {proc.stderr.strip()[-300:]}"]
    tok = json.loads(proc.stdout)["tokens"]
    got = (tok["audio"]["kept"], tok["video"]["kept"])
    want = (sum(res.audio_kept), sum(res.video_kept))
    return [] if got == want else [f"plan without scores: kept {got}, want {want}"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", help="keep cases and outputs here (default: a temp dir, removed)")
    ap.add_argument("--bin", help="omnizip-run to test (default: $OMNIZIP_BUILD/omnizip-run)")
    ap.add_argument("--no-plan", action="store_true", help="skip the plan --json check")
    ap.add_argument("--normalize", default="reference", choices=("reference", "exact"))
    ap.add_argument("--mode", default="reference", choices=("reference", "streaming"))
    args = ap.parse_args()
    binary = args.bin or os.path.join(os.environ.get("OMNIZIP_BUILD", "build"), "omnizip-run")
    if not os.access(binary, os.X_OK):
        print(f"check_random: {binary}: not an executable omnizip-run (build it first)")
        return 2
    workdir = args.dir or tempfile.mkdtemp(prefix="omnizip-random-")
    os.makedirs(workdir, exist_ok=True)

    def run(argv):
        return subprocess.run([binary] + argv, capture_output=True, text=True, timeout=TIMEOUT_S)

    notes, passed, failed = set(), 0, 0
    try:
        for i in range(args.n):
            tensors, meta, res = gen_random.make_case(args.seed, i, args.normalize, args.mode)
            path = gen_random.case_path(workdir, args.seed, i)
            st.save(path, tensors, meta)
            out_path = path.replace(".safetensors", ".out.safetensors")
            try:
                proc = run(["compress", path, "-o", out_path] + set_args(meta))
            except subprocess.TimeoutExpired:
                proc = f"compress timed out after {TIMEOUT_S} s"
            except OSError as e:
                proc = f"cannot run {binary}: {e}"
            if isinstance(proc, str):
                errs = [proc]
            elif proc.returncode != 0:
                errs = [f"compress exited {proc.returncode}: {proc.stderr.strip()[-300:]}"]
            else:
                try:
                    out, _ = st.load(out_path)
                    errs = compare_out(out, tensors, meta, res)
                except (OSError, ValueError, KeyError) as e:
                    errs = [f"OUT unreadable: {e}"]
            if not args.no_plan and not errs and args.mode != "streaming":
                errs = check_plan(run, path, meta, res, notes)
            if args.normalize == "exact" and not errs:
                errs = exact_contract(tensors, meta, res)
            if args.normalize == "exact" and not errs and not args.no_plan:
                errs = check_scoreless_plan(run, path, tensors, meta, res)
            if errs:
                failed += 1
                print(f"{os.path.basename(path)} (seed {args.seed} index {i}, "
                      f"{' '.join(set_args(meta)[1::2])}): {' | '.join(errs)}")
            else:
                passed += 1
                if not args.dir:
                    os.remove(path)
                    if os.path.exists(out_path):
                        os.remove(out_path)
    finally:
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)
    for n in sorted(notes):
        print(f"note: {n}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
