"""mode: streaming in numpy, written from docs/STREAMING.md, never from the C
engine: compress_stream() takes one clip like omnizip_ref.compress() and
decides its windows one at a time (window i = video run i and audio run i,
in order) from the window and a summary of the windows before it.

Count-deciding arithmetic uses Python floats (IEEE doubles, no fused
multiply-add) in the order the document writes it; the similarity and stage-3
pieces are omnizip_ref's own.
"""
import math

import numpy as np

import omnizip_ref as ref

BAND = 0.009
PULL = 0.2
BITS = 14


def score_bin(x):
    """Top BITS bits of a float32's order-preserving pattern."""
    u = int(np.float32(x).view(np.uint32))
    u = (~u & 0xFFFFFFFF) if u & 0x80000000 else (u | 0x80000000)
    return u >> (32 - BITS)


def banded(target, band, have, prev, want):
    """The step from `have` whose total lies in [T - E, T + E], nearest to
    want less PULL of the running error (have - prev)."""
    want -= int(np.rint(PULL * (float(have) - prev)))
    e = band if band > 0.0 else 0.0
    lo, hi = math.ceil(target - e) - have, math.floor(target + e) - have
    if lo > hi:
        lo = hi = int(np.rint(target)) - have
    return min(max(want, lo), hi)


class State:
    def __init__(self, tpf):
        self.tpf = tpf
        self.audio_in = self.dominant = self.anchors = 0
        self.frame_tokens = self.video_kept_frames = 0
        self.base_sum = 0.0
        self.hist = np.zeros(1 << BITS, dtype=np.int64)

    def wanted(self, scores, p):
        """Tokens ranking above rho_audio among all scores seen, window included."""
        bins = [score_bin(s) for s in scores]
        total = int(self.hist.sum()) + len(scores)
        want = 0
        for b in sorted(set(bins)):
            same = bins.count(b)
            below = int(self.hist[:b].sum()) + sum(1 for x in bins if x < b)
            mid = float(below) + 0.5 * float(int(self.hist[b]) + same)
            if mid / float(total) > p.rho_audio:
                want += same
        return want


def bounds(p, guided, m):
    lo, hi = p.rho_min, p.rho_max
    if not guided:
        lo, hi = min(lo, p.rho_video), max(hi, p.rho_video)
    kmax = math.floor(m * (1.0 - lo))
    return min(math.ceil(m * (1.0 - hi)), kmax), kmax


def decide(s, scores, n_video, p):
    """One window's decisions: (state per audio token, anchors, pool, s_a,
    base, rate, kept whole-frame video or None)."""
    n = len(scores)
    state = np.zeros(n, dtype=np.int8)  # 0 pruned, 1 kept, 2 anchor
    dominant = ctx = 0
    if n:
        seen = float(s.audio_in + n)
        dominant = banded((1.0 - p.rho_audio) * seen, BAND * seen - 1.5, s.dominant,
                          (1.0 - p.rho_audio) * float(s.audio_in), s.wanted(scores, p))
        dominant = min(max(dominant, 0), n)
        ratio = min(p.contextual_ratio, p.rho_audio) if p.g > 0 else 0.0
        ctx = min(max(int(np.rint(ratio * seen)) - s.anchors, 0), n - dominant)
    state[np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:dominant]] = 1
    rem = np.nonzero(state == 0)[0]
    anchors = np.zeros(0, dtype=np.int64)
    if ctx:
        step = max(1, len(rem) // ctx)
        anchors = rem[np.arange(ctx) * step]
        state[anchors] = 2
    pool = np.nonzero(state == 0)[0]
    sa = np.float32(dominant + ctx) / np.float32(n) if n else np.float32(0.0)
    guided = n > 0
    base = (min(max(p.rho_max + (p.rho_min - p.rho_max) * float(sa), p.rho_min), p.rho_max)
            if guided else p.rho_video)
    frames = n_video // s.tpf if s.tpf else 0
    if frames == 0:
        return state, anchors, pool, sa, base, base, None, dominant, ctx
    m = frames * s.tpf
    kmin, kmax = bounds(p, guided, m)
    seen_v = float(s.frame_tokens + m)
    mean_base = (s.base_sum + float(m) * base) / seen_v
    lo, hi = float(m - kmax) / float(m), float(m - kmin) / float(m)
    rate = min(max(base + (p.rho_video - mean_base), lo), hi)
    kept = banded((1.0 - p.rho_video) * seen_v, BAND * seen_v - 0.5, s.video_kept_frames,
                  (1.0 - p.rho_video) * float(s.frame_tokens), int(np.rint(float(m) * (1.0 - rate))))
    kept = min(max(kept, kmin), kmax)
    return state, anchors, pool, sa, base, 1.0 - kept / m, kept, dominant, ctx


def commit(s, scores, n_video, base, kept, dominant, ctx):
    for x in scores:
        s.hist[score_bin(x)] += 1
    s.audio_in += len(scores)
    s.dominant += dominant
    s.anchors += ctx
    if kept is not None:
        m = (n_video // s.tpf) * s.tpf
        s.frame_tokens += m
        s.video_kept_frames += kept
        s.base_sum += float(m) * base


def merge_window(a, v, anchors, pool, p):
    """Stage 1.4-1.5 within the window: sigma against its own video (its
    anchors when it has none), each anchor's G best members merged."""
    if len(anchors) == 0 or len(pool) == 0:
        return {}
    ua = ref.unit_eps(a)
    sim_aa = ua[pool] @ ua[anchors].T
    assign = np.argmax(sim_aa, axis=1)
    if ref.CHECK is not None and sim_aa.shape[1] > 1:
        two = -np.sort(-sim_aa, axis=1)[:, :2]
        if (two[:, 0] - two[:, 1] <= ref.CHECK.eps).any():
            ref.CHECK.notes.append("audio: anchor assignment near tie")
    sigma = (ua[pool] @ ref.unit_eps(v).T).max(axis=1) if v.shape[0] else sim_aa.max(axis=1)
    plan = {}
    for c, anchor in enumerate(anchors):
        members = np.nonzero(assign == c)[0]
        chosen = members[ref.top_largest(sigma[members], min(p.g, len(members)), "audio sigma")]
        plan[int(anchor)] = (pool[chosen], sigma[chosen])
    return plan


def compress_stream(ids, embeds, scores, grid, p, audio_id, video_id, merge=2):
    """Mode streaming on one clip; returns an omnizip_ref.Result."""
    ids = np.asarray(ids).reshape(-1)
    embeds = np.asarray(embeds, dtype=np.float32)
    embeds = embeds.reshape(-1, embeds.shape[-1])
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    apos, vpos = np.nonzero(ids == audio_id)[0], np.nonzero(ids == video_id)[0]
    t, h, w = (int(x) for x in np.asarray(grid).reshape(-1)[:3])
    tpf = (h // merge) * (w // merge)
    aruns, vruns = ref.runs(apos), ref.runs(vpos)
    s = State(tpf)
    out = embeds.copy()
    akeep = np.zeros(len(apos), dtype=bool)
    vkeep = np.zeros(len(vpos), dtype=bool)
    retention, rates = [], []
    for i in range(max(len(aruns), len(vruns))):
        a0, a1 = aruns[i] if i < len(aruns) else (0, 0)
        v0, v1 = vruns[i] if i < len(vruns) else (0, 0)
        sc = scores[a0:a1]
        state, anchors, pool, sa, base, rate, kept, dom, ctx = decide(s, sc, v1 - v0, p)
        a, v = embeds[apos[a0:a1]], embeds[vpos[v0:v1]]
        for anchor, row in ref.merge_anchors(a, merge_window(a, v, anchors, pool, p)).items():
            out[apos[a0 + anchor]] = row
        akeep[a0:a1] = state > 0
        if v1 > v0:
            vkeep[v0:v1] = ref.istc(v, tpf, rate, p.dpc_k, kept)
            rates.append(rate)
        if i < min(len(aruns), len(vruns)):
            retention.append(sa)
        commit(s, sc, v1 - v0, base, kept, dom, ctx)
    keep = np.ones(len(ids), dtype=bool)
    keep[apos] = akeep
    keep[vpos] = vkeep
    stage = np.zeros(len(ids), dtype=np.int8)
    stage[apos] = 1
    stage[vpos] = 3
    return ref.Result(keep=keep, embeds=out, audio_retention=np.array(retention, np.float32),
                      video_rates=np.array(rates, np.float64),
                      audio_kept=[int(akeep[x:y].sum()) for x, y in aruns],
                      video_kept=[int(vkeep[x:y].sum()) for x, y in vruns],
                      audio_runs=aruns, video_runs=vruns, stage=stage)
