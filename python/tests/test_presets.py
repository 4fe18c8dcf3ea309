"""Model presets come from the plugin's one table (omnizip.cost/1): the same
figures Python, the CLI and the docs use."""
import json
import os

import numpy as np
import pytest

import omnizip
from conftest import DATA, run_cli


def test_presets_table():
    names = [p.name for p in omnizip.presets()]
    assert {"qwen2.5-omni-7b", "qwen2.5-omni-3b", "qwen3-omni-30b-a3b"} <= set(names)
    q3 = omnizip.preset("qwen3-omni-30b-a3b")
    # The thinker: 48 layers, hidden 2048, 4 KV heads of 128; a mixture of
    # experts whose active FFN is 8 experts x 768.
    assert (q3.layers, q3.hidden, q3.ffn, q3.kv_heads, q3.head_dim) == (48, 2048, 6144, 4, 128)
    assert (q3.audio_token_id, q3.video_token_id, q3.spatial_merge_size) == (151675, 151656, 2)
    assert (q3.audio_score, q3.audio_pool) == ("windowed", 1)
    q7 = omnizip.preset("qwen2.5-omni-7b")
    assert (q7.layers, q7.hidden, q7.ffn, q7.audio_token_id, q7.audio_pool) == \
           (28, 3584, 18944, 151646, 2)
    assert q7.audio_score == "full"
    # The paper's check values: n = 10,000 audio+video tokens, 73.2 / 37.4 TFLOPs.
    assert round(q7.flops(10000) / 1e12, 1) == 73.2
    assert round(omnizip.preset("qwen2.5-omni-3b").flops(10000) / 1e12, 1) == 37.4
    with pytest.raises(ValueError, match="known"):
        omnizip.preset("gpt-9")


def test_model_gives_token_ids_and_figures_like_the_cli():
    kw = omnizip.load_dump(os.path.join(DATA, "paper45.safetensors"))
    del kw["audio_token_id"], kw["video_token_id"], kw["spatial_merge_size"]
    cfg = omnizip.Config.from_profile("paper-45")
    out = omnizip.compress(**kw, model="qwen2.5-omni-7b", config=cfg)
    j = json.loads(run_cli("plan", os.path.join(DATA, "paper45.safetensors"), "--task",
                           "paper-45", "--model", "qwen2.5-omni-7b", "--json").stdout)
    assert j["flops"]["before"] == out.totals["flops_before"]
    assert j["flops"]["after"] == out.totals["flops_after"]
    assert out.totals["kv_bytes_after"] < out.totals["kv_bytes_before"]
    assert np.array_equal(out.keep_mask, omnizip.compress(
        **kw, audio_token_id=151646, video_token_id=151656, config=cfg).keep_mask)
