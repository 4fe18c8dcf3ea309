"""omnizip.Stream: windows pushed one at a time through omnizip.streaming/1.
The first windows' decisions do not depend on what follows; the cumulative
fractions reach their targets; the decisions equal what omnizip-run writes
for the same windows in mode streaming."""
import os

import numpy as np
import pytest

import omnizip
from conftest import DATA, cli_compress
import st

TPF, D = 16, 24


def window(rng, speech):
    na, nv = int(rng.integers(30, 50)), int(rng.integers(2, 4)) * TPF
    scores = (rng.uniform(0.01, 0.05, na) if speech else rng.uniform(0.001, 0.004, na))
    return (rng.normal(size=(na, D)).astype(np.float32), scores.astype(np.float32),
            rng.normal(size=(nv, D)).astype(np.float32))


def stream(seed, n, cfg, start=0, prefix=None):
    rng = np.random.default_rng(seed)
    s = omnizip.Stream(cfg, tokens_per_frame=TPF)
    out = []
    for i in range(n):
        w = prefix[i] if prefix and i < len(prefix) else window(rng, (i // 3) % 2 == 0)
        out.append((w, s.push(*w)))
    return s, out


def test_prefix_decisions_do_not_depend_on_what_follows():
    cfg = omnizip.Config(rho_audio=0.5, rho_video=0.6)
    _, a = stream(1, 40, cfg)
    prefix = [w for w, _ in a[:20]]
    _, b = stream(2, 40, cfg, prefix=prefix)
    for (_, x), (_, y) in zip(a[:20], b[:20]):
        assert np.array_equal(x.audio_state, y.audio_state)
        assert np.array_equal(x.video_keep, y.video_keep)
        assert np.array_equal(x.anchors, y.anchors)
        assert x.info["rate"] == y.info["rate"]
    assert cfg.mode == 0, "the caller's config is not changed"


def test_cumulative_fractions_reach_the_targets():
    s, out = stream(3, 200, omnizip.Config(rho_audio=0.3, rho_video=0.6))
    t = s.totals()
    assert t["n_windows"] == 200
    assert abs(t["audio_kept"] / t["audio_in"] - t["audio_target"]) <= 0.01
    assert abs(t["video_kept"] / t["video_in"] - 0.4) <= 0.01
    for (a, scores, v), w in out:
        assert len(w.audio_state) == len(a) and len(w.video_keep) == len(v)
        assert w.anchors.shape == (w.info["audio_anchors"], D)
        assert 0.35 - 1e-12 <= w.info["rate"] <= 0.75 + 1e-12
    s.close()


def test_equals_the_cli_in_mode_streaming(tmp_path):
    t, m = st.load(os.path.join(DATA, "paper45.safetensors"))
    out = str(tmp_path / "out.safetensors")
    cli_compress(os.path.join(DATA, "paper45.safetensors"), out, {"mode": "streaming"})
    ids = t["input_ids"].reshape(-1)
    x = t["inputs_embeds"].reshape(len(ids), -1)
    grid = t["video_grid_thw"].reshape(-1)
    tpf = (int(grid[1]) // 2) * (int(grid[2]) // 2)
    aid, vid = int(m["audio_token_id"]), int(m["video_token_id"])

    def runs(pos):
        cut = np.nonzero(np.diff(pos) != 1)[0] + 1
        return np.split(pos, cut) if len(pos) else []

    ar, vr = runs(np.nonzero(ids == aid)[0]), runs(np.nonzero(ids == vid)[0])
    keep = np.ones(len(ids), bool)
    s = omnizip.Stream(None, tokens_per_frame=tpf)
    off = 0
    for i in range(max(len(ar), len(vr))):
        a = ar[i] if i < len(ar) else np.zeros(0, np.int64)
        v = vr[i] if i < len(vr) else np.zeros(0, np.int64)
        w = s.push(x[a], t["audio_scores"][off:off + len(a)], x[v])
        off += len(a)
        keep[a] = (w.audio_state == 1) | (w.audio_state == 2)
        keep[v] = w.video_keep
    got, _ = st.load(out)
    assert np.array_equal(got["keep_mask"].reshape(-1).astype(bool), keep)


def test_bad_scores_are_refused():
    s = omnizip.Stream(omnizip.Config(), tokens_per_frame=TPF)
    a = np.zeros((4, D), np.float32)
    with pytest.raises(ValueError):
        s.push(a, np.zeros(3, np.float32), None)
    with pytest.raises(omnizip.Error):
        s.push(a, np.array([0, 1, np.nan, 2], np.float32), None)
    assert s.totals()["n_windows"] == 0
