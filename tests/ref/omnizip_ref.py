"""OmniZip reference mode in numpy, written from docs/ALGORITHM.md alone.

compress() takes one clip (token ids, embeddings, audio scores, video grid,
parameters) and returns the keep mask, the embeddings with merged anchors in
place, the per-guided-window audio retention (float32), the per-video-run
rates (float64) and per-window kept counts. It is the oracle for the golden
files and the random conformance cases; it never looks at the C engine.

Precision: every similarity, distance and merge is computed in float64 from
the float32 embeddings (so the oracle's own rounding stays far below the
golden comparison's 1e-5 tolerance); count-deciding
arithmetic uses Python floats (IEEE doubles, no fused multiply-add).
"""
import math
from dataclasses import dataclass

import numpy as np

PARAM_KEYS = ("rho_audio", "rho_video", "g", "contextual_ratio", "rho_min", "rho_max", "dpc_k",
              "normalize", "mode")
INT_KEYS = ("g", "dpc_k")
STR_KEYS = ("normalize", "mode")


@dataclass
class Params:
    rho_audio: float = 0.5
    rho_video: float = 0.5
    g: int = 3
    contextual_ratio: float = 0.05
    rho_min: float = 0.35
    rho_max: float = 0.75
    dpc_k: int = 5
    normalize: str = "reference"  # or "exact": the video budget to the token
    mode: str = "reference"  # or "streaming" (stream_ref.py)

    @classmethod
    def from_meta(cls, meta):
        p = cls()
        for k in PARAM_KEYS:
            if k in meta:
                v = meta[k]
                setattr(p, k, int(v) if k in INT_KEYS else str(v) if k in STR_KEYS else float(v))
        return p

    def as_meta(self):
        return {k: repr(getattr(self, k)) if isinstance(getattr(self, k), float)
                else str(getattr(self, k)) for k in PARAM_KEYS}


@dataclass
class Result:
    keep: np.ndarray            # bool [L]
    embeds: np.ndarray          # float32 [L, D], merged anchors in place
    audio_retention: np.ndarray  # float32 [guided]
    video_rates: np.ndarray     # float64 [video runs]
    audio_kept: list            # kept audio tokens per audio run
    video_kept: list            # kept video tokens per video run
    audio_runs: list            # (start, end) into the audio position list
    video_runs: list            # (start, end) into the video position list
    stage: np.ndarray           # int8 [L]: 0 other, 1 audio, 3 video (for reports)


PREC = np.float64


def runs(positions):
    """Maximal runs of consecutive positions, as (start, end) into positions."""
    out = []
    start = 0
    for i in range(1, len(positions) + 1):
        if i == len(positions) or positions[i] != positions[i - 1] + 1:
            if i > start:
                out.append((start, i))
            start = i
    return out


class TieCheck:
    """Collects decisions on computed values whose margin is below eps.

    A float32 engine with another summation order can only be held to the same
    answer where every cut-off has a margin well above float32 noise; the random
    case generator redraws a case whenever this records anything."""

    def __init__(self, eps):
        self.eps = eps
        self.notes = []

    def cut(self, values, k, what):
        v = np.sort(np.asarray(values, dtype=np.float64))[::-1]
        if 0 < k < len(v):
            gap = v[k - 1] - v[k]
            if gap <= self.eps * max(1.0, abs(v[k])):
                self.notes.append(f"{what}: cut gap {gap:.3g}")


CHECK = None


def top_largest(values, k, what=None):
    """Indices of the k largest values, ties to the lower index."""
    if CHECK is not None and what:
        CHECK.cut(values, k, what)
    return np.argsort(-np.asarray(values), kind="stable")[:k]


def top_smallest(values, k, what=None):
    if CHECK is not None and what:
        CHECK.cut(-np.asarray(values, dtype=np.float64), k, what)
    return np.argsort(np.asarray(values), kind="stable")[:k]


def unit_eps(x):
    x = x.astype(PREC)
    return x / (np.sqrt((x * x).sum(axis=1, keepdims=True)) + 1e-6)


def unit(x):
    x = x.astype(PREC)
    return x / np.maximum(np.sqrt((x * x).sum(axis=1, keepdims=True)), 1e-12)


def audio_stage(a, v, scores, p):
    """Stage 1. Returns (keep mask over audio tokens, {anchor: [merged]}, sigma)."""
    n = a.shape[0]
    keep = np.zeros(n, dtype=bool)
    plan = {}
    if n == 0:
        return keep, plan, None
    dominant = int(max(0, min(n, round((1.0 - p.rho_audio) * n))))
    keep[top_largest(scores, dominant)] = True
    remaining = np.nonzero(~keep)[0]
    ctx = int(max(0, round(p.contextual_ratio * n)))
    if len(remaining) == 0 or ctx == 0 or p.g == 0:
        return keep, plan, None
    ctx = min(ctx, len(remaining))
    step = max(1, len(remaining) // ctx)
    local = np.arange(0, len(remaining), step)[:ctx]
    anchors = remaining[local]
    keep[anchors] = True
    pool = np.delete(remaining, local)
    if len(pool) == 0:
        return keep, plan, None
    ua = unit_eps(a)
    sim_aa = ua[pool] @ ua[anchors].T
    assign = np.argmax(sim_aa, axis=1)
    if CHECK is not None and sim_aa.shape[1] > 1:
        two = -np.sort(-sim_aa, axis=1)[:, :2]
        if (two[:, 0] - two[:, 1] <= CHECK.eps).any():
            CHECK.notes.append("audio: anchor assignment near tie")
    if v.shape[0] > 0:
        sigma = (ua[pool] @ unit_eps(v).T).max(axis=1)
    else:
        sigma = sim_aa.max(axis=1)
    for c, anchor in enumerate(anchors):
        members = np.nonzero(assign == c)[0]
        chosen = members[top_largest(sigma[members], min(p.g, len(members)), "audio sigma")]
        plan[int(anchor)] = (pool[chosen], sigma[chosen])
    return keep, plan, sigma


def merge_anchors(a, plan):
    """Stage 1.5: softmax-weighted merge of each anchor's set, from original rows."""
    out = {}
    for anchor, (members, sig) in plan.items():
        if len(members) == 0:
            continue
        w = np.exp(sig - sig.max())
        w = w / w.sum()
        merged = (a[members].astype(np.float64) * w[:, None]).sum(axis=0)
        out[anchor] = ((a[anchor].astype(np.float64) + merged) / (1.0 + w.sum())).astype(np.float32)
    return out


def video_rates(audio_keep, aruns, vruns, n_video_grid, p):
    """Stage 2: returns (S_a per guided window as float32, rates per video run as float64)."""
    guided = min(len(vruns), len(aruns))
    sa = []
    for i in range(guided):
        s, e = aruns[i]
        kept = int(audio_keep[s:e].sum())
        sa.append(np.float32(kept) / np.float32(e - s) if e > s else np.float32(0.0))
    lo_r, hi_r = p.rho_min, p.rho_max
    base = [max(lo_r, min(hi_r, hi_r + (lo_r - hi_r) * float(s))) for s in sa]
    sizes = [e - s for s, e in vruns]
    guided_tokens = sum(sizes[:guided])
    unguided_tokens = sum(sizes[guided:])
    target = p.rho_video * n_video_grid
    guided_target = target - p.rho_video * unguided_tokens
    adj = list(base)
    if guided > 2 and guided_tokens > 0:
        base_discard = sum(base[i] * sizes[i] for i in range(guided))
        if abs(base_discard - guided_target) > 1e-3 and base_discard > 0:
            lo = base.index(min(base))
            hi = base.index(max(base))
            others = [i for i in range(guided) if i != lo and i != hi]
            other_discard = sum(base[i] * sizes[i] for i in others)
            if others and other_discard > 0:
                fixed = base[lo] * sizes[lo] + base[hi] * sizes[hi]
                scale = (guided_target - fixed) / other_discard
                for i in others:
                    adj[i] = max(lo_r, min(hi_r, base[i] * scale))
                actual = sum(adj[i] * sizes[i] for i in range(guided))
                diff = guided_target - actual
                other_size = sum(sizes[i] for i in others)
                if abs(diff) > 1e-3 and other_size > 0:
                    per = diff / other_size
                    for i in others:
                        adj[i] = max(lo_r, min(hi_r, adj[i] + per))
    rates = [adj[i] if i < guided else p.rho_video for i in range(len(vruns))]
    return np.array(sa, dtype=np.float32), np.array(rates, dtype=np.float64)


def exact_counts(sa, vruns, n_video_grid, tpf, p):
    """normalize: exact. Kept whole-frame tokens per video run (None for runs
    without a whole frame) and the rates they give.

    Written from the contract, not from the C code: the counts are the integer
    minimiser of sum_i m_i (r_i - b_i)^2 (m_i whole-frame tokens, r_i = 1 - k_i/m_i,
    b_i the guided base rate, rho_video unguided) with every k_i in its clamp
    bounds and sum k_i = round((1 - rho_video) n_video_grid) when reachable.
    Each window's marginal costs (2(k - t_i) + 1)/m_i (t_i = m_i (1 - b_i)) grow
    with k, so the optimum takes the R cheapest marginal tokens of all windows
    at once (ties: lower window first): one global sort instead of a greedy
    loop."""
    guided = len(sa)
    lo_r, hi_r = p.rho_min, p.rho_max
    want = int(np.rint((1.0 - p.rho_video) * n_video_grid))
    kmin, kmax, base = [], [], []
    for i, (s, e) in enumerate(vruns):
        m = ((e - s) // tpf) * tpf if tpf else 0
        if i < guided:
            lo, hi = lo_r, hi_r
            b = max(lo_r, min(hi_r, hi_r + (lo_r - hi_r) * float(sa[i])))
        else:
            lo, hi = min(lo_r, p.rho_video), max(hi_r, p.rho_video)
            b = p.rho_video
        a, z = math.ceil(m * (1.0 - hi)), math.floor(m * (1.0 - lo))
        kmin.append(min(a, z))
        kmax.append(z)
        base.append(b)
    k = list(kmin)
    have = sum(kmin[i] for i, (s, e) in enumerate(vruns) if tpf and (e - s) >= tpf)
    cand_cost, cand_win = [], []
    for i, (s, e) in enumerate(vruns):
        m = ((e - s) // tpf) * tpf if tpf else 0
        if m == 0:
            continue
        t = m * (1.0 - base[i])
        steps = np.arange(kmin[i], kmax[i], dtype=np.float64)
        cand_cost.append((2.0 * (steps - t) + 1.0) / float(m))
        cand_win.append(np.full(len(steps), i))
    if cand_cost and want > have:
        cost, win = np.concatenate(cand_cost), np.concatenate(cand_win)
        order = np.lexsort((win, cost))[:want - have]
        for i in win[order]:
            k[int(i)] += 1
    out = []
    for i, (s, e) in enumerate(vruns):
        m = ((e - s) // tpf) * tpf if tpf else 0
        out.append((k[i], 1.0 - k[i] / m) if m else (None, base[i]))
    return out


def frame_counts(n, tpf, rate, kept):
    """Per whole frame kept counts of a run: the reference's int(tpf (1 - rate))
    each, or (normalize: exact) `kept` spread, the first frames one more."""
    frames = n // tpf
    if kept is None:
        return [int(tpf * (1.0 - rate))] * frames
    q, extra = divmod(kept, frames)
    return [q + (1 if t < extra else 0) for t in range(frames)]


def dpc_knn(tokens, num_keep, k):
    """Spatial selection for one even frame; returns kept indices within the frame."""
    n = tokens.shape[0]
    x = unit(tokens)
    dist = 1.0 - x @ x.T
    np.fill_diagonal(dist, np.inf)
    kk = min(k, n - 1)
    if kk > 0:
        rho = np.exp(-np.sort(dist, axis=1)[:, :kk].mean(axis=1))
    else:
        rho = np.ones(n)
    keep = top_largest(_density_peaks(dist, rho, 0.0) * rho, num_keep, "video dpc")
    if CHECK is not None:
        for tol in (CHECK.eps, -CHECK.eps):
            alt = top_largest(_density_peaks(dist, rho, tol) * rho, num_keep)
            if not np.array_equal(np.sort(alt), np.sort(keep)):
                CHECK.notes.append("video dpc: density comparison near tie")
                break
    return keep


def _density_peaks(dist, rho, tol):
    """δ: distance to the nearest denser token (ρ_j > ρ_i + tol), else the farthest."""
    n = dist.shape[0]
    higher = rho[None, :] > rho[:, None] + tol
    delta = np.where(higher, dist, np.inf).min(axis=1)
    peak = np.isinf(delta)
    if peak.any():
        if n > 1:
            finite = dist.copy()
            np.fill_diagonal(finite, -np.inf)
            delta[peak] = finite[peak].max(axis=1)
        else:
            delta[peak] = 0.0
    return delta


def istc(tokens, tpf, rate, k, kept=None):
    """Stage 3 for one video run; returns its keep mask. kept: the run's
    whole-frame total under normalize: exact."""
    n = tokens.shape[0]
    frames = n // tpf
    if frames == 0:
        return np.ones(n, dtype=bool)
    mask = np.zeros(n, dtype=bool)
    counts = frame_counts(n, tpf, rate, kept)
    for t in range(frames):
        num_keep = counts[t]
        s = t * tpf
        if num_keep >= tpf:
            mask[s:s + tpf] = True
            continue
        if t % 2 == 0:
            idx = dpc_knn(tokens[s:s + tpf], num_keep, k)
        else:
            c = (unit(tokens[s:s + tpf]) * unit(tokens[s - tpf:s])).sum(axis=1)
            idx = top_smallest(c, num_keep, "video temporal")
        mask[s + idx] = True
    return mask


def compress(ids, embeds, scores, grid, p, audio_id, video_id, merge=2):
    """Runs OmniZip reference mode on one clip. grid = (T, H, W)."""
    ids = np.asarray(ids).reshape(-1)
    embeds = np.asarray(embeds, dtype=np.float32)
    embeds = embeds.reshape(-1, embeds.shape[-1])
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    apos = np.nonzero(ids == audio_id)[0]
    vpos = np.nonzero(ids == video_id)[0]
    if len(scores) != len(apos):
        raise ValueError(f"{len(scores)} audio scores for {len(apos)} audio tokens")
    t, h, w = (int(x) for x in np.asarray(grid).reshape(-1)[:3])
    tpf = (h // merge) * (w // merge)
    a = embeds[apos]
    v = embeds[vpos]
    aruns, vruns = runs(apos), runs(vpos)

    akeep, plan, _ = audio_stage(a, v, scores, p)
    retention, rates, kept = rates_and_counts(akeep, aruns, vruns, t * tpf, tpf, p)
    vkeep = np.zeros(len(vpos), dtype=bool)
    for i, (s, e) in enumerate(vruns):
        vkeep[s:e] = istc(v[s:e], tpf, float(rates[i]), p.dpc_k, kept[i])

    out = embeds.copy()
    for anchor, row in merge_anchors(a, plan).items():
        out[apos[anchor]] = row
    keep = np.ones(len(ids), dtype=bool)
    keep[apos] = akeep
    keep[vpos] = vkeep
    stage = np.zeros(len(ids), dtype=np.int8)
    stage[apos] = 1
    stage[vpos] = 3
    return Result(keep=keep, embeds=out, audio_retention=retention, video_rates=rates,
                  audio_kept=[int(akeep[s:e].sum()) for s, e in aruns],
                  video_kept=[int(vkeep[s:e].sum()) for s, e in vruns],
                  audio_runs=aruns, video_runs=vruns, stage=stage)


def plan_counts(ids, scores, grid, p, audio_id, video_id, merge=2):
    """Per-window kept counts from the layout and scores alone (no embeddings).

    Returns (audio kept per audio run, video kept per video run, rates). It
    must agree with compress(): every count-deciding step ignores embeddings."""
    ids = np.asarray(ids).reshape(-1)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    apos = np.nonzero(ids == audio_id)[0]
    vpos = np.nonzero(ids == video_id)[0]
    t, h, w = (int(x) for x in np.asarray(grid).reshape(-1)[:3])
    tpf = (h // merge) * (w // merge)
    akeep = np.zeros(len(apos), dtype=bool)
    n = len(apos)
    if n:
        dominant = int(max(0, min(n, round((1.0 - p.rho_audio) * n))))
        akeep[top_largest(scores, dominant)] = True
        remaining = np.nonzero(~akeep)[0]
        ctx = int(max(0, round(p.contextual_ratio * n)))
        if len(remaining) and ctx and p.g:
            ctx = min(ctx, len(remaining))
            step = max(1, len(remaining) // ctx)
            akeep[remaining[np.arange(0, len(remaining), step)[:ctx]]] = True
    aruns, vruns = runs(apos), runs(vpos)
    _, rates, kept = rates_and_counts(akeep, aruns, vruns, t * tpf, tpf, p)
    vkept = []
    for i, (s, e) in enumerate(vruns):
        if (e - s) // tpf == 0:
            vkept.append(e - s)
        else:
            vkept.append(sum(min(c, tpf) for c in frame_counts(e - s, tpf, rates[i], kept[i])))
    return [int(akeep[s:e].sum()) for s, e in aruns], vkept, rates


def rates_and_counts(akeep, aruns, vruns, n_video_grid, tpf, p):
    """Stage 2 and, under normalize: exact, every run's whole-frame total:
    (S_a, rates, kept per run or None for the reference's per-frame rule)."""
    sa, rates = video_rates(akeep, aruns, vruns, n_video_grid, p)
    if p.normalize != "exact":
        return sa, rates, [None] * len(vruns)
    ex = exact_counts(sa, vruns, n_video_grid, tpf, p)
    return sa, np.array([r for _, r in ex], dtype=np.float64), [k for k, _ in ex]


def compress_tensors(tensors, meta, params=None):
    """compress() on a golden-format dict of tensors plus its metadata."""
    p = params or Params.from_meta(meta)
    return compress(tensors["input_ids"], tensors["inputs_embeds"], tensors["audio_scores"],
                    tensors["video_grid_thw"], p, int(meta["audio_token_id"]),
                    int(meta["video_token_id"]), int(meta.get("spatial_merge_size", 2)))


def compare(res, tensors):
    """Differences between a Result and a golden file's expected_* tensors (empty: equal)."""
    errs = []
    want = tensors["expected_keep"].astype(bool).reshape(-1)
    if not np.array_equal(res.keep, want):
        bad = np.nonzero(res.keep != want)[0]
        kinds = sorted({int(res.stage[i]) for i in bad})
        errs.append(f"keep: {len(bad)} positions differ (stages {kinds}), first {bad[:8].tolist()}")
    got_e = res.embeds[want].astype(np.float64)
    want_e = tensors["expected_embeds"].reshape(res.embeds.shape)[want].astype(np.float64)
    over = np.abs(got_e - want_e) > 1e-5 * np.maximum(1.0, np.abs(want_e))
    if over.any():
        errs.append(f"embeds: {int(over.any(axis=1).sum())} rows beyond 1e-5")
    ra = tensors["expected_audio_retention"]
    if ra.shape != res.audio_retention.shape or not np.array_equal(ra, res.audio_retention):
        errs.append(f"audio retention: {res.audio_retention.tolist()} vs {ra.tolist()}")
    vr = tensors["expected_video_rates"]
    if vr.shape != res.video_rates.shape or not np.array_equal(vr, res.video_rates):
        errs.append(f"video rates: {res.video_rates.tolist()} vs {vr.tolist()}")
    return errs


def _main(argv):
    import sys
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import st
    failed = 0
    for path in argv:
        tensors, meta = st.load(path)
        errs = compare(compress_tensors(tensors, meta), tensors)
        print(f"{os.path.basename(path)}: {'ok' if not errs else '; '.join(errs)}")
        failed += bool(errs)
    return 1 if failed else 0


if __name__ == "__main__":
    import sys
    sys.exit(_main(sys.argv[1:]))
