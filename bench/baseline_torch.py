"""PyTorch performance baseline for omnizip (docs/DESIGN.md "Benchmarks").

OmniZip reference mode written from docs/ALGORITHM.md, with the cost
structure of the authors' published PyTorch code: the whole pool x video
similarity matrix materialised for σ, a per-anchor merge loop that recomputes
its members' similarity to every video token, one dense tpf x tpf distance
matrix per even frame, per-frame cosine for odd frames, boolean gathers and
copies; float32 on the CPU with torch.set_num_threads(2).

It loads a workload dump (bench/gen_workload.py), times the compress
computation only (embeddings already in memory; no file I/O), median of
--runs runs after one warm-up, checks its per-window kept counts against the
numpy reference's plan (tests/ref/omnizip_ref.py) and prints one JSON line:
{"workload": ..., "ms_median": ..., "ms_runs": [...], "threads": 2}.

Usage: baseline_torch.py DUMP.safetensors [--runs 5] [--threads 2]
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import omnizip_ref as ref  # noqa: E402
import st  # noqa: E402


def runs_of(idx):
    """Maximal runs of consecutive positions as (start, end) into idx."""
    if idx.numel() == 0:
        return []
    cut = ((idx[1:] - idx[:-1]) > 1).nonzero(as_tuple=True)[0] + 1
    bounds = [0] + cut.tolist() + [idx.numel()]
    return list(zip(bounds[:-1], bounds[1:]))


def audio_stage(a, v, scores, p):
    n = a.size(0)
    keep = torch.zeros(n, dtype=torch.bool)
    plan = {}
    if n == 0:
        return keep, plan
    dominant = int(max(0, min(n, round((1.0 - p.rho_audio) * n))))
    if dominant > 0:
        keep[torch.topk(scores, dominant).indices] = True
    remaining = torch.arange(n)[~keep]
    ctx = int(max(0, round(p.contextual_ratio * n)))
    if remaining.numel() == 0 or ctx == 0 or p.g == 0:
        return keep, plan
    ctx = min(ctx, remaining.numel())
    step = max(1, remaining.numel() // ctx)
    local = torch.arange(0, remaining.numel(), step)[:ctx]
    anchors = remaining[local]
    keep[anchors] = True
    rest = torch.ones(remaining.numel(), dtype=torch.bool)
    rest[local] = False
    pool = remaining[rest]
    if pool.numel() == 0:
        return keep, plan
    a_norm = a / (a.norm(dim=-1, keepdim=True) + 1e-6)
    sim_aa = a_norm[pool] @ a_norm[anchors].T
    assign = sim_aa.argmax(dim=1)
    if v.numel() > 0:
        v_norm = v / (v.norm(dim=-1, keepdim=True) + 1e-6)
        sigma = (a_norm[pool] @ v_norm.T).max(dim=1).values
    else:
        sigma = sim_aa.max(dim=1).values
    for c in range(anchors.numel()):
        members = assign == c
        cand = pool[members]
        if cand.numel() == 0:
            continue
        sel = torch.topk(sigma[members], min(p.g, cand.numel())).indices
        plan[int(anchors[c])] = cand[sel]
    return keep, plan


def merge(a, v, plan):
    """The published merge loop: σ of each anchor's members recomputed against all video."""
    a_norm = a / (a.norm(dim=-1, keepdim=True) + 1e-6)
    v_norm = v / (v.norm(dim=-1, keepdim=True) + 1e-6) if v.numel() > 0 else None
    out = {}
    for anchor, members in plan.items():
        if v_norm is not None:
            s = (a_norm[members] @ v_norm.T).max(dim=1).values
        else:
            s = a_norm[members] @ a_norm[anchor]
        w = torch.softmax(s, dim=0)
        out[anchor] = (a[anchor] + (a[members] * w.unsqueeze(-1)).sum(dim=0)) / (1.0 + w.sum())
    return out


def dpcknn(tokens, num_keep, k):
    n = tokens.size(0)
    k = min(k, n - 1)
    x = torch.nn.functional.normalize(tokens, dim=1)
    dist = 1 - x @ x.T
    dist.fill_diagonal_(float("inf"))
    rho = torch.exp(-torch.topk(dist, k, dim=1, largest=False).values.mean(dim=1))
    higher = rho.unsqueeze(0) > rho.unsqueeze(1)
    dd = dist.clone()
    dd[~higher] = float("inf")
    delta = dd.min(dim=1).values
    peak = delta.isinf()
    if peak.any():
        finite = dist.clone()
        finite.fill_diagonal_(0)
        delta[peak] = finite[peak].max(dim=1).values
    return torch.topk(delta * rho, num_keep).indices


def istc(tokens, tpf, rate, k):
    n = tokens.size(0)
    frames = n // tpf
    if frames == 0:
        return torch.ones(n, dtype=torch.bool)
    mask = torch.zeros(n, dtype=torch.bool)
    num_keep = int(tpf * (1.0 - rate))
    for t in range(frames):
        s = t * tpf
        if num_keep >= tpf:
            mask[s:s + tpf] = True
        elif t % 2 == 0:
            mask[s + dpcknn(tokens[s:s + tpf], num_keep, k)] = True
        else:
            cur = torch.nn.functional.normalize(tokens[s:s + tpf], dim=1)
            prev = torch.nn.functional.normalize(tokens[s - tpf:s], dim=1)
            c = torch.nn.functional.cosine_similarity(cur, prev, dim=1)
            mask[s + c.topk(num_keep, largest=False).indices] = True
    return mask


def compress(embeds, ids, scores, grid, p, audio_id, video_id, merge_size):
    """Returns (keep mask, embeddings with merged anchors, audio kept per run, video kept per run)."""
    vidx = (ids == video_id).nonzero(as_tuple=True)[0]
    aidx = (ids == audio_id).nonzero(as_tuple=True)[0]
    v, a = embeds[vidx], embeds[aidx]
    tpf = (grid[1] // merge_size) * (grid[2] // merge_size)
    akeep, plan = audio_stage(a, v, scores, p)
    out = embeds.clone()
    for anchor, row in merge(a, v, plan).items():
        out[aidx[anchor]] = row
    aruns, vruns = runs_of(aidx), runs_of(vidx)
    _, rates = ref.video_rates(akeep.numpy(), aruns, vruns, grid[0] * tpf, p)
    vmask = [istc(v[s:e], tpf, float(rates[i]), p.dpc_k) for i, (s, e) in enumerate(vruns)]
    keep = torch.ones(ids.numel(), dtype=torch.bool)
    if vmask:
        keep[vidx] = torch.cat(vmask)
    keep[aidx] = akeep
    return (keep, out, [int(akeep[s:e].sum()) for s, e in aruns],
            [int(m.sum()) for m in vmask])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tensors, meta = st.load(args.dump)
    p = ref.Params.from_meta(meta)
    aid, vid = int(meta["audio_token_id"]), int(meta["video_token_id"])
    ms = int(meta.get("spatial_merge_size", 2))
    embeds = torch.from_numpy(tensors["inputs_embeds"].reshape(-1, tensors["inputs_embeds"].shape[-1]))
    ids = torch.from_numpy(tensors["input_ids"].reshape(-1).astype(np.int64))
    scores = torch.from_numpy(tensors["audio_scores"].astype(np.float32))
    grid = [int(x) for x in tensors["video_grid_thw"].reshape(-1)[:3]]

    def once():
        t0 = time.perf_counter()
        got = compress(embeds, ids, scores, grid, p, aid, vid, ms)
        return (time.perf_counter() - t0) * 1e3, got

    _, (keep, _, akept, vkept) = once()
    want_a, want_v, _ = ref.plan_counts(tensors["input_ids"], tensors["audio_scores"],
                                        tensors["video_grid_thw"], p, aid, vid, ms)
    if akept != want_a or vkept != want_v:
        print(f"baseline_torch: kept counts differ from the numpy reference: audio {akept} vs "
              f"{want_a}, video {vkept} vs {want_v}", file=sys.stderr)
        return 1
    times = [once()[0] for _ in range(args.runs)]
    print(json.dumps({"workload": meta.get("workload", os.path.basename(args.dump)),
                      "ms_median": round(statistics.median(times), 3),
                      "ms_runs": [round(t, 3) for t in times], "threads": args.threads,
                      "kept": int(keep.sum()), "length": int(keep.numel()),
                      "torch": torch.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
