"""Benchmark dumps for omnizip: W1 (30 windows, ~1 minute of Qwen2.5-Omni input)
and W4 (120 windows), in the golden/omnizip-run input format.

Each window is 2 frames x 144 video tokens (grid T = 2*windows, H = W = 24,
merge 2) followed by 50 audio tokens, D = 3584, F32, between a text prefix
and suffix, as Qwen2.5-Omni interleaves them (V_0 A_0 V_1 A_1 ...).
Structure, so that the algorithm's choices are not those of pure noise:
- scenes last 2-8 windows; a scene is a set of object prototypes laid out
  over the 12x12 patch grid; static scenes change little between frames,
  moving scenes shift and re-noise part of the grid;
- audio alternates speech (phoneme prototypes, high and spread importance
  scores) and silence (near-constant rows, low flat scores), some audio rows
  correlated with what is on screen.
Deterministic (fixed seed per workload). Files are large (W1 ~145 MB, W4
~580 MB): write them outside the repository and never commit them.

Usage: gen_workload.py DIR [--which W1,W4]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import st  # noqa: E402

AUDIO_ID = 151646
VIDEO_ID = 151656
D = 3584
TPF = 144
FRAMES = 2
AUDIO_PER_WINDOW = 50
WORKLOADS = {"W1": 30, "W4": 120}
SEEDS = {"W1": 101, "W4": 404}


def scene_frames(rng, protos, moving, prev):
    """Two frames of one window, each [TPF, D]."""
    frames = []
    for _ in range(FRAMES):
        if prev is None:
            layout = rng.integers(0, len(protos), TPF)
            frame = protos[layout] + rng.normal(0, 0.35, (TPF, D)).astype(np.float32)
        else:
            frame = prev.copy()
            changed = rng.random(TPF) < (0.5 if moving else 0.08)
            if moving:
                frame = np.roll(frame.reshape(12, 12, D), int(rng.integers(-2, 3)), axis=1).reshape(TPF, D)
            frame[changed] += rng.normal(0, 0.6, (int(changed.sum()), D)).astype(np.float32)
            frame += rng.normal(0, 0.05, (TPF, D)).astype(np.float32)
        frames.append(frame.astype(np.float32))
        prev = frames[-1]
    return frames, prev


def audio_window(rng, phonemes, speech, screen):
    if speech:
        rows = phonemes[rng.integers(0, len(phonemes), AUDIO_PER_WINDOW)]
        rows = rows + rng.normal(0, 0.5, (AUDIO_PER_WINDOW, D)).astype(np.float32)
        cross = rng.random(AUDIO_PER_WINDOW) < 0.2
        rows[cross] += 0.8 * screen[rng.integers(0, len(screen), int(cross.sum()))]
        scores = rng.gamma(2.0, 1.0, AUDIO_PER_WINDOW)
    else:
        base = rng.normal(0, 0.3, D).astype(np.float32)
        rows = base + rng.normal(0, 0.05, (AUDIO_PER_WINDOW, D)).astype(np.float32)
        scores = rng.uniform(0.05, 0.2, AUDIO_PER_WINDOW)
    return rows.astype(np.float32), scores.astype(np.float32)


def build(name):
    windows = WORKLOADS[name]
    rng = np.random.default_rng(SEEDS[name])
    prefix, suffix = 24, 8
    L = prefix + windows * (FRAMES * TPF + AUDIO_PER_WINDOW) + suffix
    embeds = np.empty((L, D), dtype=np.float32)
    ids = np.empty(L, dtype=np.int64)
    scores = []
    embeds[:prefix] = rng.normal(0, 1, (prefix, D))
    ids[:prefix] = rng.integers(100, 150000, prefix)
    phonemes = rng.normal(0, 1, (40, D)).astype(np.float32)
    at = prefix
    prev = protos = None
    scene_left = 0
    moving = speech = False
    for _ in range(windows):
        if scene_left == 0:
            scene_left = int(rng.integers(2, 9))
            protos = rng.normal(0, 1, (int(rng.integers(3, 12)), D)).astype(np.float32)
            moving = rng.random() < 0.4
            prev = None
        scene_left -= 1
        frames, prev = scene_frames(rng, protos, moving, prev)
        for f in frames:
            embeds[at:at + TPF] = f
            ids[at:at + TPF] = VIDEO_ID
            at += TPF
        if rng.random() < 0.3:
            speech = not speech
        rows, sc = audio_window(rng, phonemes, speech, frames[-1])
        embeds[at:at + AUDIO_PER_WINDOW] = rows
        ids[at:at + AUDIO_PER_WINDOW] = AUDIO_ID
        scores.append(sc)
        at += AUDIO_PER_WINDOW
    embeds[at:] = rng.normal(0, 1, (suffix, D))
    ids[at:] = rng.integers(100, 150000, suffix)
    pos = np.arange(L, dtype=np.int64)
    tensors = {
        "inputs_embeds": embeds,
        "input_ids": ids,
        "audio_scores": np.concatenate(scores).astype(np.float32),
        "video_grid_thw": np.array([[FRAMES * windows, 24, 24]], dtype=np.int64),
        "position_ids": np.stack([pos, pos, pos]),
    }
    meta = {"audio_token_id": AUDIO_ID, "video_token_id": VIDEO_ID, "spatial_merge_size": 2,
            "workload": name, "rho_audio": "0.5", "rho_video": "0.5", "g": "3",
            "contextual_ratio": "0.05", "rho_min": "0.35", "rho_max": "0.75", "dpc_k": "5"}
    return tensors, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--which", default="W1,W4")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    for name in args.which.split(","):
        if name not in WORKLOADS:
            sys.exit(f"gen_workload: unknown workload {name!r} (known: {', '.join(WORKLOADS)})")
        tensors, meta = build(name)
        path = os.path.join(args.dir, f"{name}.safetensors")
        st.save(path, tensors, meta)
        print(f"{path}: L={len(tensors['input_ids'])} D={D} "
              f"{os.path.getsize(path) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
