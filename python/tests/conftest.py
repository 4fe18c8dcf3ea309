"""Shared fixtures: the built plugin and CLI ($OMNIZIP_BUILD, default build/),
the golden cases, the independent safetensors reader of tests/ref."""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
BUILD = os.path.join(ROOT, os.environ.get("OMNIZIP_BUILD", "build"))
os.environ.setdefault("OMNIZIP_PLUGIN", os.path.join(BUILD, "libomnizip.so"))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "ref"))

import st  # noqa: E402  (tests/ref: written apart from the package)

DATA = os.path.join(ROOT, "tests", "data")
GOLDEN = sorted(f for f in os.listdir(DATA) if f.endswith(".safetensors"))
PARAMS = ("rho_audio", "rho_video", "g", "contextual_ratio", "rho_min", "rho_max", "dpc_k")


def golden(name):
    """(tensors, metadata, {param: text}) of a golden case."""
    t, m = st.load(os.path.join(DATA, name))
    return t, m, {k: m[k] for k in PARAMS if k in m}


def run_cli(*args):
    """omnizip-run with args; returns the completed process (checked)."""
    cmd = [os.path.join(BUILD, "omnizip-run"), *map(str, args)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr}"
    return p


def cli_compress(path, out, sets, *extra):
    args = ["compress", path, "-o", out]
    for k, v in sets.items():
        args += ["--set", f"{k}={v}"]
    run_cli(*args, *extra)
    return st.load(out)[0]


def torch_or_skip():
    return pytest.importorskip("torch", reason="python3-torch not installed: torch path not run")


def to_numpy(x):
    if hasattr(x, "detach"):
        import torch
        x = x.detach().cpu()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.numpy()
    return np.asarray(x)
