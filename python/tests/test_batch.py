"""A padded batch (left or right) equals its rows compressed one by one; the
re-padded result keeps the padding side, the new mask and per-row rope deltas."""
import os

import numpy as np
import pytest

import omnizip
from conftest import DATA, to_numpy, torch_or_skip

ROWS = ["basic.safetensors", "three_frames.safetensors", "unguided_tail_ragged.safetensors"]
PAD_ID = 151643


def _rows(d):
    out = []
    for name in ROWS:
        kw = omnizip.load_dump(os.path.join(DATA, name))
        x = kw["inputs_embeds"]
        kw["inputs_embeds"] = np.pad(x, ((0, 0), (0, d - x.shape[1])))  # one D for the batch
        out.append(kw)
    return out


def _pad(rows, side, extra=0):
    L = max(len(r["input_ids"]) for r in rows) + extra
    B, D = len(rows), rows[0]["inputs_embeds"].shape[1]
    emb = np.full((B, L, D), 7.0, np.float32)  # padding rows must never leak out
    ids = np.full((B, L), PAD_ID, np.int64)
    pos = np.ones((3, B, L), np.int64)
    mask = np.zeros((B, L), np.int64)
    for b, r in enumerate(rows):
        n = len(r["input_ids"])
        sl = slice(L - n, L) if side == "left" else slice(0, n)
        emb[b, sl], ids[b, sl], pos[:, b, sl], mask[b, sl] = (
            r["inputs_embeds"], r["input_ids"], r["position_ids"], 1)
    return emb, ids, pos, mask


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_padded_batch_equals_rows(side, kind):
    rows = _rows(48)
    cfg = omnizip.Config(rho_audio=0.3, rho_video=0.6)
    emb, ids, pos, mask = _pad(rows, side)
    scores = [r["audio_scores"] for r in rows]
    grids = [r["video_grid_thw"] for r in rows]
    if kind == "torch":
        torch = torch_or_skip()
        emb, ids, pos, mask = map(torch.from_numpy, (emb, ids, pos, mask))
    got = omnizip.compress(emb, ids, scores, grids, position_ids=pos, attention_mask=mask,
                           audio_token_id=151646, video_token_id=151656, config=cfg)
    e, i, p, m = map(to_numpy, (got.inputs_embeds, got.input_ids, got.position_ids,
                                got.attention_mask))
    Lp = e.shape[1]
    assert m.shape == (len(rows), Lp)
    for b, r in enumerate(rows):
        one = omnizip.compress(**r, config=cfg)
        n = len(one.input_ids)
        sl = slice(Lp - n, Lp) if side == "left" else slice(0, n)
        assert np.array_equal(e[b, sl], one.inputs_embeds)
        assert np.array_equal(i[b, sl], one.input_ids)
        assert np.array_equal(p[:, b, sl], one.position_ids)
        assert m[b].sum() == n and m[b, sl].all()
        assert np.array_equal(to_numpy(got.keep_mask)[b][to_numpy(mask)[b] != 0], one.keep_mask)
        pad = np.ones(Lp, bool)
        pad[sl] = False
        assert (i[b, pad] == PAD_ID).all() and (p[:, b, pad] == 1).all()
        assert (e[b, pad] == 0).all()
        # Decoding continues after the original positions: delta + new length.
        assert int(to_numpy(got.rope_deltas)[b, 0]) + Lp == r["position_ids"].max() + 1
    assert got.totals["rows"] == len(rows)


def test_flat_transformers_inputs_split_by_rows():
    """Batch-flat audio_scores [N] and video_grid_thw [n, 3] as transformers
    passes them equal the per-row lists."""
    rows = _rows(48)
    cfg = omnizip.Config()
    emb, ids, pos, mask = _pad(rows, "left")
    kw = dict(position_ids=pos, attention_mask=mask, audio_token_id=151646,
              video_token_id=151656, config=cfg)
    a = omnizip.compress(emb, ids, [r["audio_scores"] for r in rows],
                         [r["video_grid_thw"] for r in rows], **kw)
    b = omnizip.compress(emb, ids, np.concatenate([r["audio_scores"] for r in rows]),
                         np.concatenate([r["video_grid_thw"] for r in rows]), **kw)
    assert np.array_equal(a.inputs_embeds, b.inputs_embeds)
    assert np.array_equal(a.keep_mask, b.keep_mask)


def test_mixed_padding_sides_refused():
    rows = _rows(48)[:2]
    emb, ids, pos, mask = _pad(rows, "left", extra=3)
    mask[1] = mask[1][::-1]
    with pytest.raises(ValueError, match="left"):
        omnizip.compress(emb, ids, [r["audio_scores"] for r in rows],
                         [r["video_grid_thw"] for r in rows], attention_mask=mask,
                         audio_token_id=151646, video_token_id=151656)


def test_text_only_row_passes_through_in_a_batch():
    rows = _rows(48)[:1]
    rng = np.random.default_rng(1)
    text = {"inputs_embeds": rng.normal(size=(40, 48)).astype(np.float32),
            "input_ids": np.arange(100, 140), "position_ids": np.stack([np.arange(40)] * 3),
            "audio_scores": np.zeros(0, np.float32), "video_grid_thw": np.zeros((0, 3))}
    rows.append(text)
    emb, ids, pos, mask = _pad(rows, "right")
    got = omnizip.compress(emb, ids, [r["audio_scores"] for r in rows],
                           [r["video_grid_thw"] for r in rows], position_ids=pos,
                           attention_mask=mask, audio_token_id=151646, video_token_id=151656)
    assert np.array_equal(got.inputs_embeds[1, :40], text["inputs_embeds"])
    assert got.attention_mask[1].sum() == 40
    assert int(got.rope_deltas[1, 0]) == 40 - got.inputs_embeds.shape[1]
