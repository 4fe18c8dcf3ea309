"""Config, plan, dumps and errors around compress."""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import omnizip
from conftest import BUILD, DATA, golden, run_cli, torch_or_skip

A, V = 151646, 151656


def test_config_keys_are_the_plugins():
    cfg = omnizip.Config(rho_audio=0.3, similarity_scope="window")
    assert cfg.rho_audio == 0.3 and cfg.similarity_scope == 1
    with pytest.raises(ValueError, match="rho_audio"):
        omnizip.Config(rho_adio=0.3)  # the plugin names the closest key
    with pytest.raises(ValueError):
        omnizip.Config(rho_video=1.5)
    p = omnizip.Config.from_profile("paper-45", g=5)
    assert (p.rho_audio, p.rho_video, p.g) == (0.3, 0.6, 5)
    assert omnizip.Config.from_profile(p.source).to_dict()["rho_video"] == "0.6"
    assert omnizip.Config(rho_audio=0.333).get("rho_audio") == "0.333"
    assert "similarity_scope" in omnizip.Config().keys()
    with pytest.raises(FileNotFoundError):
        omnizip.Config.from_profile("no-such-task")


@pytest.mark.parametrize("name", ["paper45.safetensors", "unguided_tail_ragged.safetensors"])
def test_plan_equals_compress_and_the_cli(name):
    t, m, sets = golden(name)
    kw = omnizip.load_dump(os.path.join(DATA, name))
    cfg = omnizip.Config(**sets)
    p = omnizip.plan(kw["input_ids"], kw["audio_scores"], kw["video_grid_thw"],
                     audio_token_id=A, video_token_id=V, config=cfg)
    c = omnizip.compress(**kw, config=cfg)
    assert p.lengths == [len(c.input_ids)]
    keys = ("audio_in", "audio_kept", "audio_anchors", "video_in", "video_kept", "rate")
    assert [{k: w[k] for k in keys} for w in p.windows] == \
           [{k: w[k] for k in keys} for w in c.windows]
    args = ["plan", os.path.join(DATA, name), "--json"]
    for k, v in sets.items():
        args += ["--set", f"{k}={v}"]
    j = json.loads(run_cli(*args).stdout)
    assert j["tokens"]["total"]["kept"] == p.totals["tokens_kept"]


def test_exact_mode_plans_without_scores():
    kw = omnizip.load_dump(os.path.join(DATA, "paper45.safetensors"))
    cfg = omnizip.Config(normalize="exact", rho_audio=0.3, rho_video=0.6)
    free = omnizip.plan(kw["input_ids"], None, kw["video_grid_thw"], audio_token_id=A,
                        video_token_id=V, config=cfg)
    c = omnizip.compress(**kw, config=cfg)
    assert free.lengths == [len(c.input_ids)]


def test_dump_round_trip_and_the_cli_reads_it(tmp_path):
    torch = torch_or_skip()
    kw = omnizip.load_dump(os.path.join(DATA, "basic.safetensors"), as_torch=True)
    kw["inputs_embeds"] = kw["inputs_embeds"].to(torch.bfloat16)
    n_video = int((kw["input_ids"] == V).sum())
    extra = {"per_video_token": [torch.arange(n_video * 2, dtype=torch.float32).reshape(-1, 2)]}
    path = tmp_path / "in.safetensors"
    omnizip.save_dump(path, **{k: v for k, v in kw.items() if v is not None}, **extra)
    back = omnizip.load_dump(path, as_torch=True)
    assert back["inputs_embeds"].dtype == torch.bfloat16
    assert torch.equal(back["inputs_embeds"], kw["inputs_embeds"])
    assert torch.equal(back["per_video_token"]["deepstack_0"], extra["per_video_token"][0])
    assert back["video_grid_thw"].shape == (1, 3)
    run_cli("compress", path, "-o", tmp_path / "out.safetensors")


def test_bad_inputs_are_refused_with_reasons():
    kw = omnizip.load_dump(os.path.join(DATA, "basic.safetensors"))
    with pytest.raises(ValueError, match="audio scores"):
        omnizip.compress(**{**kw, "audio_scores": kw["audio_scores"][:-1]})
    with pytest.raises(ValueError, match="audio_token_id"):
        omnizip.compress(kw["inputs_embeds"], kw["input_ids"], kw["audio_scores"],
                         kw["video_grid_thw"])
    with pytest.raises(ValueError, match="needs the audio scores"):
        omnizip.compress(**{**kw, "audio_scores": None})
    with pytest.raises(TypeError, match="float32"):
        omnizip.compress(**{**kw, "inputs_embeds": kw["inputs_embeds"].astype(np.float64)})


def test_installed_package_finds_its_plugin_and_profiles_in_a_moved_prefix(tmp_path):
    """make test installs into a staged prefix and moves it (test_install):
    the package there loads PREFIX/lib's plugin and PREFIX/share's profiles,
    with no OMNIZIP_PLUGIN and nothing of the checkout."""
    sites = glob.glob(os.path.join(BUILD, "test-prefix", "lib", "python3*", "dist-packages"))
    assert sites, "make test installs the package into build/test-prefix"
    prefix = os.path.realpath(os.path.join(BUILD, "test-prefix"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIZIP_")}
    env["PYTHONPATH"] = sites[0]
    code = ("import omnizip; print(omnizip.plugin_path()); "
            "print(omnizip.Config.from_profile('paper-45').source)")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == os.path.join(prefix, "lib", "libomnizip.so.1")
    assert out[1].startswith(os.path.join(prefix, "share"))
