"""Several videos in one row, and DeepStack-shaped extras."""
import json
import os
import subprocess

import numpy as np
import pytest

import omnizip
from conftest import BUILD, DATA, cli_compress, run_cli, to_numpy, torch_or_skip

A, V = 151646, 151656


def _case(name):
    return omnizip.load_dump(os.path.join(DATA, name))


def test_two_video_row_equals_its_clips_separately():
    """Video 1 (basic) then video 2 (three_frames) in one row, text between
    and an audio question after: each video and its interleaved audio is a
    clip, the question an audio-only clip."""
    x, y = _case("basic.safetensors"), _case("three_frames.safetensors")
    rng = np.random.default_rng(3)
    q_rows = rng.normal(size=(20, 48)).astype(np.float32)
    q_scores = rng.random(20).astype(np.float32)
    text = np.full(4, 17, np.int64)
    ids = np.concatenate([x["input_ids"], text, y["input_ids"], text, np.full(20, A)])
    emb = np.concatenate([x["inputs_embeds"], rng.normal(size=(4, 48)).astype(np.float32),
                          y["inputs_embeds"], rng.normal(size=(4, 48)).astype(np.float32),
                          q_rows])
    scores = np.concatenate([x["audio_scores"], y["audio_scores"], q_scores])
    grids = np.concatenate([x["video_grid_thw"], y["video_grid_thw"]])
    cfg = omnizip.Config(rho_audio=0.4, rho_video=0.6)
    got = omnizip.compress(emb, ids, scores, grids, audio_token_id=A, video_token_id=V,
                           config=cfg)
    one = omnizip.compress(x["inputs_embeds"], x["input_ids"], x["audio_scores"],
                           x["video_grid_thw"], audio_token_id=A, video_token_id=V, config=cfg)
    two = omnizip.compress(y["inputs_embeds"], y["input_ids"], y["audio_scores"],
                           y["video_grid_thw"], audio_token_id=A, video_token_id=V, config=cfg)
    qa = omnizip.compress(q_rows, np.full(20, A), q_scores, None, audio_token_id=A,
                          video_token_id=V, config=cfg)
    want_keep = np.concatenate([one.keep_mask, np.ones(4, bool), two.keep_mask,
                                np.ones(4, bool), qa.keep_mask])
    assert np.array_equal(got.keep_mask, want_keep)
    kept = got.inputs_embeds
    n1, n2 = len(one.inputs_embeds), len(two.inputs_embeds)
    assert np.array_equal(kept[:n1], one.inputs_embeds)
    assert np.array_equal(kept[n1 + 4:n1 + 4 + n2], two.inputs_embeds)
    assert np.array_equal(kept[n1 + 8 + n2:], qa.inputs_embeds)
    assert sorted({(w["clip"], w["video"]) for w in got.windows}) == [(0, 0), (1, 1), (2, -1)]
    assert len(got.windows) == len(one.windows) + len(two.windows) + len(qa.windows)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_deepstack_and_visual_pos_masks_follow_the_video_keep_mask(kind):
    x = _case("paper45.safetensors")
    n_video = int((x["input_ids"] == V).sum())
    n_audio = int((x["input_ids"] == A).sum())
    rng = np.random.default_rng(5)
    deep = [rng.normal(size=(n_video, 64)).astype(np.float32) for _ in range(3)]
    audio_extra = rng.normal(size=(n_audio, 8)).astype(np.float32)
    vpm = x["input_ids"] == V
    emb, ids = x["inputs_embeds"][None], x["input_ids"][None]
    vpm_b = vpm[None]
    if kind == "torch":
        torch = torch_or_skip()
        deep = [torch.from_numpy(d) for d in deep]
        emb, ids, vpm_b = torch.from_numpy(emb), torch.from_numpy(ids), torch.from_numpy(vpm_b)
        audio_extra = torch.from_numpy(audio_extra)
    got = omnizip.compress(emb, ids, x["audio_scores"], x["video_grid_thw"],
                           audio_token_id=A, video_token_id=V,
                           per_token={"visual_pos_masks": vpm_b}, per_video_token=deep,
                           per_audio_token={"feat": audio_extra})
    keep = to_numpy(got.keep_mask)[0]
    vkeep, akeep = keep[vpm], keep[x["input_ids"] == A]
    assert isinstance(got.per_video_token, list) and len(got.per_video_token) == 3
    for d, out in zip(deep, got.per_video_token):
        assert np.array_equal(to_numpy(out), to_numpy(d)[vkeep])
    assert np.array_equal(to_numpy(got.per_audio_token["feat"]), to_numpy(audio_extra)[akeep])
    masks = to_numpy(got.per_token["visual_pos_masks"])[0]
    assert np.array_equal(masks, to_numpy(got.input_ids)[0] == V)
    assert masks.sum() == len(to_numpy(got.per_video_token[0]))


def _two_video_row():
    x, y = _case("basic.safetensors"), _case("three_frames.safetensors")
    rng = np.random.default_rng(3)
    text = np.full(4, 17, np.int64)
    ids = np.concatenate([np.full(6, A), text, x["input_ids"], text, y["input_ids"]])
    emb = np.concatenate([rng.normal(size=(10, 48)).astype(np.float32), x["inputs_embeds"],
                          rng.normal(size=(4, 48)).astype(np.float32), y["inputs_embeds"]])
    scores = np.concatenate([rng.random(6).astype(np.float32), x["audio_scores"],
                             y["audio_scores"]])
    grids = np.concatenate([x["video_grid_thw"], y["video_grid_thw"]])
    pos = np.stack([np.arange(len(ids))] * 3)
    return emb, ids, scores, grids, pos


def test_cli_splits_and_compacts_as_python(tmp_path):
    """The same two-video row with DeepStack extras through omnizip-run (the
    shim's adapter) and through Python: same clips, masks, rows and extras."""
    emb, ids, scores, grids, pos = _two_video_row()
    n_video, n_audio = int((ids == V).sum()), int((ids == A).sum())
    rng = np.random.default_rng(9)
    deep = {f"deepstack_{i}": rng.normal(size=(n_video, 16)).astype(np.float16)
            for i in range(2)}
    feat = {"feat": rng.integers(0, 9, size=(n_audio, 3)).astype(np.int32)}
    vpm = {"visual_pos_masks": ids == V}
    path = tmp_path / "two.safetensors"
    omnizip.save_dump(path, emb, ids, scores, grids, position_ids=pos, audio_token_id=A,
                      video_token_id=V, per_token=vpm, per_video_token=deep,
                      per_audio_token=feat)
    sets = {"rho_audio": 0.4, "rho_video": 0.6, "g": 4}
    out = cli_compress(path, tmp_path / "out.safetensors", sets)
    got = omnizip.compress(emb, ids, scores, grids, position_ids=pos, audio_token_id=A,
                           video_token_id=V, config=omnizip.Config(**sets), per_token=vpm,
                           per_video_token=deep, per_audio_token=feat)
    assert np.array_equal(out["keep_mask"], got.keep_mask)
    assert np.array_equal(out["inputs_embeds"], got.inputs_embeds)
    assert np.array_equal(out["position_ids"], got.position_ids)
    for k in deep:
        assert np.array_equal(out[f"per_video_token.{k}"], got.per_video_token[k])
    assert np.array_equal(out["per_audio_token.feat"], got.per_audio_token["feat"])
    assert np.array_equal(out["per_token.visual_pos_masks"], got.per_token["visual_pos_masks"])
    assert np.array_equal(out["per_token.visual_pos_masks"], out["input_ids"] == V)
    guided = [w["s_a"] for w in got.windows if w["guided"]]
    assert np.array_equal(out["window_audio_retention"], np.array(guided, np.float32))
    # Three clips: the leading audio is the audio-only one (placed last).
    assert sorted({w["video"] for w in got.windows}) == [-1, 0, 1]


def test_cli_refuses_extras_of_the_wrong_length(tmp_path):
    emb, ids, scores, grids, pos = _two_video_row()
    path = tmp_path / "bad.safetensors"
    omnizip.save_dump(path, emb, ids, scores, grids, audio_token_id=A, video_token_id=V,
                      per_video_token={"deepstack_0": np.zeros((3, 4), np.float32)})
    p = subprocess.run([os.path.join(BUILD, "omnizip-run"), "compress", str(path), "-o",
                        str(tmp_path / "out.safetensors")], capture_output=True, text=True)
    assert p.returncode == 3, p.stderr
    assert "per_video_token.deepstack_0" in p.stderr and "video token" in p.stderr
    assert not (tmp_path / "out.safetensors").exists()


def test_cli_plan_of_a_two_video_row_equals_python(tmp_path):
    emb, ids, scores, grids, pos = _two_video_row()
    path = tmp_path / "two.safetensors"
    omnizip.save_dump(path, emb, ids, scores, grids, audio_token_id=A, video_token_id=V)
    j = json.loads(run_cli("plan", path, "--json", "--set", "rho_video=0.6").stdout)
    p = omnizip.plan(ids, scores, grids, audio_token_id=A, video_token_id=V,
                     config=omnizip.Config(rho_video=0.6))
    assert j["tokens"]["total"]["kept"] == p.lengths[0]
    assert j["windows"] == len(p.windows)
    assert [w["video_kept"] for w in j["per_window"]] == [w["video_kept"] for w in p.windows]
