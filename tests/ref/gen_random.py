"""Random OmniZip conformance cases in the golden-file format.

make_case(seed, index) draws one case (seeded, reproducible) and fills its
expected_* tensors with the numpy reference (omnizip_ref.py). Each case has:
- 1-40 windows, each a video run of 1-4 whole frames (tpf 4-144 through the
  grid, merge size 2) paired with a ragged audio run (length 1 to ~60);
  sometimes extra unguided video runs or extra audio runs at the end, runs of
  fewer than tpf video tokens, a partial trailing frame (video tokens past
  T*tpf), text tokens around and between runs, audio-first layouts; some cases
  have no video (T = 0) or no audio at all.
- parameters: rho_audio/rho_video in [0, 0.9] (0.5 often, for round-half-even
  budgets), rho_min <= rho_max, contextual_ratio 0-0.2, G 0-15, dpc_k 1-8.
- embeddings mixing i.i.d. noise with structure: clustered video tokens
  (objects), static scenes whose even frames are exact copies of the previous
  odd frame, slowly changing scenes (odd frame = previous frame + small noise),
  speech (clustered) and silence (near-constant) audio, audio correlated with
  video, norms spread over four decades. Audio scores are sometimes quantised
  so exact score ties occur (the rule "lower index first" decides them).

What is kept out, and why: a decision on a *computed* value (cosines, DPC
scores, densities) is only well defined across implementations when its
margin is far above float32 rounding. The reference records every cut-off
closer than 1e-5 (TieCheck) and the case is redrawn (next attempt number)
until none is; the float32 and float64 references must also agree. Exact copies
are therefore only made where they create no computed tie: an even frame may
copy the previous (odd) frame, since DPC looks within one frame and the next
temporal step compares against distinct tokens; an odd frame never copies the
previous frame exactly (all its cosines would be 1 up to rounding).

Usage: gen_random.py --n N --seed S --dir DIR  (writes DIR/case_SSSS_NNNN.safetensors)
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import omnizip_ref as ref  # noqa: E402
import stream_ref  # noqa: E402
import st  # noqa: E402

AUDIO_ID = 151646
VIDEO_ID = 151656
TEXT_IDS = (151644, 151645, 151652, 151653, 872, 1234, 30)
TIE_EPS = 1e-5
MAX_VIDEO_TOKENS = 6000


def draw_params(rng):
    def ratio(lo, hi):
        if rng.random() < 0.3:
            return 0.5
        return round(float(rng.uniform(lo, hi)), 2)

    lo, hi = sorted(round(float(x), 2) for x in rng.uniform(0.0, 0.95, 2))
    if rng.random() < 0.4:
        lo, hi = 0.35, 0.75
    elif rng.random() < 0.1:
        hi = lo
    return ref.Params(rho_audio=ratio(0.0, 0.9), rho_video=ratio(0.0, 0.9),
                      g=int(rng.integers(0, 16)) if rng.random() < 0.7 else 3,
                      contextual_ratio=float(rng.choice([0.0, 0.02, 0.05, 0.05, 0.1, 0.15, 0.2])),
                      rho_min=lo, rho_max=hi,
                      dpc_k=int(rng.integers(1, 9)) if rng.random() < 0.6 else 5)


def draw_layout(rng):
    """Returns (grid, video run sizes, audio run sizes, tpf)."""
    h2 = int(rng.integers(1, 13))
    w2 = int(rng.integers(max(1, -(-4 // h2)), 13))
    tpf = h2 * w2
    no_video = rng.random() < 0.06
    no_audio = rng.random() < 0.06 and not no_video
    n_win = int(rng.integers(1, 41)) if rng.random() < 0.5 else int(rng.integers(1, 9))
    fixed_fpw = int(rng.integers(1, 5)) if rng.random() < 0.7 else 0
    frames = []
    for _ in range(n_win):
        f = fixed_fpw or int(rng.integers(1, 5))
        frames.append(f)
    while sum(frames) * tpf > MAX_VIDEO_TOKENS and len(frames) > 1:
        frames.pop()
    n_win = len(frames)
    vsizes = [f * tpf for f in frames]
    extra_audio = extra_video = 0
    r = rng.random()
    if r < 0.2:
        extra_video = int(rng.integers(1, 4))
    elif r < 0.35:
        extra_audio = int(rng.integers(1, 4))
    for _ in range(extra_video):
        f = int(rng.integers(1, 3))
        if sum(vsizes) + f * tpf <= MAX_VIDEO_TOKENS:
            vsizes.append(f * tpf)
    t_frames = sum(vsizes) // tpf
    i = int(rng.integers(0, len(vsizes)))
    if rng.random() < 0.15 and tpf > 1 and t_frames > vsizes[i] // tpf:
        # A run shorter than a frame: ISTC keeps it whole; not counted in T,
        # which stays >= 1 (T = 0 with video tokens is a bad input file).
        t_frames -= vsizes[i] // tpf
        vsizes[i] = int(rng.integers(1, tpf))
    if rng.random() < 0.25 and tpf > 1:
        vsizes[-1] += int(rng.integers(1, tpf))  # partial trailing frame
    alen = []
    for _ in range(n_win + extra_audio):
        u = rng.random()
        alen.append(1 if u < 0.08 else int(rng.integers(2, 5)) if u < 0.2 else int(rng.integers(5, 61)))
    if no_video:
        vsizes, t_frames = [], 0
    if no_audio:
        alen = []
    return np.array([[t_frames, 2 * h2, 2 * w2]], dtype=np.int64), vsizes, alen, tpf


def video_rows(rng, size, tpf, d, prev_frame, protos):
    """Rows for one video run, frame by frame, with a scene style."""
    style = rng.choice(["random", "clustered", "static", "slow"])
    rows = []
    prev = prev_frame
    n_frames, tail = divmod(size, tpf)
    for t in range(n_frames + (1 if tail else 0)):
        n = tpf if t < n_frames else tail
        if style == "static" and prev is not None and t % 2 == 0 and n == tpf:
            frame = prev.copy()
        elif style in ("static", "slow") and prev is not None and n == tpf:
            frame = prev + rng.normal(0, float(rng.uniform(0.2, 0.6)), prev.shape).astype(np.float32)
        elif style == "clustered":
            k = rng.integers(0, len(protos), n)
            frame = protos[k] + rng.normal(0, 0.3, (n, d)).astype(np.float32)
        else:
            frame = rng.normal(0, 1, (n, d)).astype(np.float32)
        frame = frame.astype(np.float32)
        rows.append(frame)
        if n == tpf:
            prev = frame
    out = np.concatenate(rows) if rows else np.zeros((0, d), np.float32)
    if rng.random() < 0.5:
        # One scale per spatial position, so copied frames stay exact copies.
        scale = np.exp(rng.uniform(-2.0, 2.0, (tpf, 1))).astype(np.float32)
        out = out * np.resize(scale, (len(out), 1))
    return out.astype(np.float32), prev


def audio_rows(rng, n, d, protos, video_pool):
    kind = rng.choice(["speech", "silence", "noise", "crossmodal"])
    if kind == "silence":
        base = rng.normal(0, 1, d).astype(np.float32)
        return base + rng.normal(0, 0.2, (n, d)).astype(np.float32)
    if kind == "speech":
        k = rng.integers(0, len(protos), n)
        return protos[k] + rng.normal(0, 0.5, (n, d)).astype(np.float32)
    if kind == "crossmodal" and len(video_pool):
        pick = video_pool[rng.integers(0, len(video_pool), n)]
        return pick + rng.normal(0, 0.5, (n, d)).astype(np.float32)
    return rng.normal(0, 1, (n, d)).astype(np.float32)


def draw_scores(rng, n):
    s = rng.random(n).astype(np.float32)
    if rng.random() < 0.3:
        s = (np.floor(s * 8) / 8).astype(np.float32)  # exact ties
    return s


def build_sequence(rng, vsizes, alen, tpf, d):
    """Token ids and embeddings: text, then V_i A_i (or A_i V_i) per window."""
    vprotos = rng.normal(0, 1, (int(rng.integers(2, 9)), d)).astype(np.float32)
    aprotos = rng.normal(0, 1, (int(rng.integers(2, 9)), d)).astype(np.float32)
    audio_first = rng.random() < 0.15
    ids, rows = [], []

    def text(n):
        for _ in range(n):
            ids.append(int(rng.choice(TEXT_IDS)))
            rows.append(rng.normal(0, 1, (1, d)).astype(np.float32))

    text(int(rng.integers(0, 6)))
    prev = None
    vseen = []
    for i in range(max(len(vsizes), len(alen))):
        parts = []
        if i < len(vsizes):
            vr, prev = video_rows(rng, vsizes[i], tpf, d, prev, vprotos)
            vseen.append(vr)
            parts.append((VIDEO_ID, vr))
        if i < len(alen):
            pool = np.concatenate(vseen) if vseen else np.zeros((0, d), np.float32)
            parts.append((AUDIO_ID, audio_rows(rng, alen[i], d, aprotos, pool)))
        if audio_first:
            parts.reverse()
        for tid, r in parts:
            # A text token between runs of one kind keeps them from fusing.
            if (ids and ids[-1] == tid) or rng.random() < 0.15:
                text(int(rng.integers(1, 3)))
            ids.extend([tid] * len(r))
            rows.append(r)
    text(int(rng.integers(0, 6)))
    return np.array(ids, dtype=np.int64), np.concatenate(rows).astype(np.float32)


def run_counts(ids):
    """Number of maximal runs of each kind (windows must not have fused)."""
    return (len(ref.runs(np.nonzero(ids == VIDEO_ID)[0])), len(ref.runs(np.nonzero(ids == AUDIO_ID)[0])))


def attempt(seed, index, tries, normalize="reference", mode="reference"):
    rng = np.random.default_rng([seed, index, tries])
    p = draw_params(rng)
    p.normalize = normalize
    p.mode = mode
    run = stream_ref.compress_stream if mode == "streaming" else ref.compress
    grid, vsizes, alen, tpf = draw_layout(rng)
    d = int(rng.choice([8, 16, 24, 32, 48, 64]))
    ids, embeds = build_sequence(rng, vsizes, alen, tpf, d)
    if run_counts(ids) != (len(vsizes), len(alen)):
        return None
    scores = draw_scores(rng, int((ids == AUDIO_ID).sum()))
    ref.CHECK = ref.TieCheck(TIE_EPS)
    try:
        res = run(ids, embeds, scores, grid, p, AUDIO_ID, VIDEO_ID)
        notes = ref.CHECK.notes
    finally:
        ref.CHECK = None
    if notes:
        return None
    ref.PREC = np.float32
    try:
        res32 = run(ids, embeds, scores, grid, p, AUDIO_ID, VIDEO_ID)
    finally:
        ref.PREC = np.float64
    if not np.array_equal(res.keep, res32.keep):
        return None
    planned = ref.plan_counts(ids, scores, grid, p, AUDIO_ID, VIDEO_ID)
    if mode != "streaming" and (planned[0] != res.audio_kept or planned[1] != res.video_kept):
        raise AssertionError(f"case {seed}/{index}: reference plan and compress disagree")
    meta = {"audio_token_id": AUDIO_ID, "video_token_id": VIDEO_ID, "spatial_merge_size": 2}
    meta.update(p.as_meta())
    tensors = {"inputs_embeds": embeds, "input_ids": ids, "audio_scores": scores,
               "video_grid_thw": grid}
    if rng.random() < 0.7:
        pos = np.arange(len(ids), dtype=np.int64)
        tensors["position_ids"] = np.stack([pos, pos // 2, pos % 7])
    if rng.random() < 0.1:
        tensors["inputs_embeds"] = embeds[None]
        tensors["input_ids"] = ids[None]
    elif rng.random() < 0.1:
        tensors["input_ids"] = ids.astype(np.int32)
    tensors.update({
        "expected_keep": res.keep,
        "expected_embeds": res.embeds,
        "expected_audio_retention": res.audio_retention,
        "expected_video_rates": res.video_rates,
        "expected_audio_kept": np.array(res.audio_kept, dtype=np.int64),
        "expected_video_kept": np.array(res.video_kept, dtype=np.int64),
    })
    return tensors, meta, res


def make_case(seed, index, normalize="reference", mode="reference"):
    """Returns (tensors, metadata, reference Result) for case `index` of `seed`
    (the draws do not depend on normalize or mode)."""
    for tries in range(200):
        out = attempt(seed, index, tries, normalize, mode)
        if out is not None:
            return out
    raise RuntimeError(f"case {seed}/{index}: no tie-free draw in 200 attempts")


def case_path(directory, seed, index):
    return os.path.join(directory, f"case_{seed:04d}_{index:04d}.safetensors")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    for i in range(args.n):
        tensors, meta, _ = make_case(args.seed, i)
        st.save(case_path(args.dir, args.seed, i), tensors, meta)
    print(f"{args.n} cases in {args.dir}")


if __name__ == "__main__":
    main()
