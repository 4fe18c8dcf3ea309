"""Qwen3-Omni end to end: audio token 151675, one temporal grid per window
(so ISTC runs DPC-KNN only), scores from the windowed importance definition,
the shipped qwen3-omni profile; Python, the CLI and the independent numpy
reference (tests/ref) agree."""
import json

import numpy as np

import omnizip
import omnizip_ref as ref
from conftest import run_cli, st

A, V = 151675, 151656
GRID = (8, 8, 12)  # T, H, W: 4 x 6 = 24 tokens per frame after 2x2 merging
TPF = 24


def _clip(seed=21):
    """Text, then per window one frame of video and its audio, then text."""
    rng = np.random.default_rng(seed)
    d, protos = 64, rng.normal(size=(5, 64)).astype(np.float32)
    ids, rows, n_audio = [1, 2, 3], [rng.normal(size=(3, d))], []
    for w in range(GRID[0]):
        frame = protos[rng.integers(0, 5, TPF)] + rng.normal(0, 0.4, (TPF, d))
        n = int(rng.integers(10, 16))
        ids += [V] * TPF + [A] * n
        rows += [frame, rng.normal(size=(n, d))]
        n_audio.append(n)
    ids += [4, 5]
    rows.append(rng.normal(size=(2, d)))
    return np.array(ids, np.int64), np.concatenate(rows).astype(np.float32), n_audio


def _scores(n_audio, seed=4):
    """The audio encoder's last layer attends within windows: one per time
    window here, as cu_seqlens says."""
    rng = np.random.default_rng(seed)
    t = sum(n_audio)
    q = rng.normal(size=(4, t, 32)).astype(np.float32)
    k = rng.normal(size=(4, t, 32)).astype(np.float32)
    cu = np.concatenate([[0], np.cumsum(n_audio)])
    return omnizip.audio_importance(q, k, pool=1, cu_seqlens=cu)


def test_qwen3_profile_end_to_end(tmp_path):
    ids, emb, n_audio = _clip()
    scores = _scores(n_audio)
    grid = np.array([GRID], np.int64)
    cfg = omnizip.Config.from_profile("qwen3-omni")
    assert (cfg.rho_audio, cfg.rho_video) == (0.4, 0.7)
    q3 = omnizip.preset("qwen3-omni-30b-a3b")  # token ids, merge size, score definition
    assert (q3.audio_token_id, q3.audio_score, q3.audio_pool) == (A, "windowed", 1)
    got = omnizip.compress(emb, ids, scores, grid, config=cfg, model=q3.name)
    # One frame per window: the spatial branch alone decides every video run.
    assert all(w["video_in"] == TPF for w in got.windows)
    assert got.totals["flops_after"] < got.totals["flops_before"]

    want = ref.compress(ids, emb, scores, grid, ref.Params(rho_audio=0.4, rho_video=0.7), A, V)
    assert np.array_equal(got.keep_mask, want.keep)
    np.testing.assert_allclose(got.inputs_embeds, want.embeds[want.keep], rtol=1e-5, atol=1e-5)

    path = tmp_path / "qwen3.safetensors"
    omnizip.save_dump(path, emb, ids, scores, grid, audio_token_id=A, video_token_id=V)
    out = tmp_path / "out.safetensors"
    res = run_cli("compress", path, "-o", out, "--task", "qwen3-omni", "--model",
                  "qwen3-omni-30b-a3b", "--json")
    o = st.load(out)[0]
    assert np.array_equal(o["keep_mask"], got.keep_mask)
    assert np.array_equal(o["inputs_embeds"], got.inputs_embeds)
    report = json.dumps(json.loads(res.stdout))
    assert "qwen3-omni-30b-a3b" in report
