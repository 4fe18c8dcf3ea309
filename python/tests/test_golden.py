"""Every golden case through omnizip.compress (numpy and torch) equals the
CLI's output: keep mask, rows, ids, positions, per-window figures."""
import os

import numpy as np
import pytest

import omnizip
from conftest import DATA, GOLDEN, cli_compress, golden, to_numpy, torch_or_skip


def _config(sets):
    return omnizip.Config(**sets)


@pytest.mark.parametrize("name", GOLDEN)
def test_numpy_equals_cli(name, tmp_path):
    t, m, sets = golden(name)
    path = os.path.join(DATA, name)
    want = cli_compress(path, tmp_path / "out.safetensors", sets)
    got = omnizip.compress(**omnizip.load_dump(path), config=_config(sets))
    assert np.array_equal(got.keep_mask, want["keep_mask"])
    assert np.array_equal(got.inputs_embeds, want["inputs_embeds"])
    assert np.array_equal(got.input_ids, want["input_ids"])
    assert np.array_equal(got.position_ids, want["position_ids"])
    guided = [w for w in got.windows if w["guided"]]
    assert np.array_equal(np.array([w["s_a"] for w in guided], np.float32),
                          want["window_audio_retention"])
    rates = [w["rate"] for w in got.windows if w["video_in"] > 0]
    assert len(rates) == len(want["window_video_rate"])
    assert got.totals["tokens_kept"] == len(want["input_ids"])
    # And the independent reference's expectation stored in the case.
    assert np.array_equal(got.keep_mask, t["expected_keep"])


@pytest.mark.parametrize("name", GOLDEN)
def test_torch_equals_cli(name, tmp_path):
    torch = torch_or_skip()
    t, m, sets = golden(name)
    path = os.path.join(DATA, name)
    want = cli_compress(path, tmp_path / "out.safetensors", sets)
    kw = omnizip.load_dump(path, as_torch=True)
    got = omnizip.compress(**kw, config=_config(sets))
    assert isinstance(got.inputs_embeds, torch.Tensor)
    assert got.inputs_embeds.dtype == torch.float32
    assert torch.equal(got.keep_mask, torch.from_numpy(want["keep_mask"]))
    assert np.array_equal(to_numpy(got.inputs_embeds), want["inputs_embeds"])
    assert np.array_equal(to_numpy(got.input_ids), want["input_ids"])
    assert np.array_equal(to_numpy(got.position_ids), want["position_ids"])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_torch_equals_cli_on_the_dump_python_wrote(dtype, tmp_path):
    """save_dump writes what the CLI reads; both agree on half-precision rows."""
    torch = torch_or_skip()
    t, m, sets = golden("paper45.safetensors")
    kw = omnizip.load_dump(os.path.join(DATA, "paper45.safetensors"), as_torch=True)
    kw["inputs_embeds"] = kw["inputs_embeds"].to(getattr(torch, dtype))
    dump = tmp_path / "half.safetensors"
    omnizip.save_dump(dump, **{k: v for k, v in kw.items() if v is not None})
    want = cli_compress(dump, tmp_path / "out.safetensors", sets)
    got = omnizip.compress(**kw, config=_config(sets))
    assert got.inputs_embeds.dtype == getattr(torch, dtype)
    assert np.array_equal(to_numpy(got.keep_mask), want["keep_mask"])
    bits = got.inputs_embeds.view(torch.int16).numpy().view(np.uint16)
    raw = omnizip.dump.read_safetensors(tmp_path / "out.safetensors", as_torch=True)[0]
    assert np.array_equal(bits, raw["inputs_embeds"].view(torch.int16).numpy().view(np.uint16))


@pytest.mark.parametrize("strategy", ["random", "uniform", "dycoke"])
def test_baseline_strategies_equal_cli(strategy, tmp_path):
    """The A/B baselines run through the same Python path as OmniZip."""
    t, m, sets = golden("paper45.safetensors")
    sets = {**sets, "strategy": strategy, "seed": 7}
    path = os.path.join(DATA, "paper45.safetensors")
    want = cli_compress(path, tmp_path / "out.safetensors", sets)
    got = omnizip.compress(**omnizip.load_dump(path), config=_config(sets))
    assert np.array_equal(got.keep_mask, want["keep_mask"])
    assert np.array_equal(got.inputs_embeds, want["inputs_embeds"])
