"""torch CUDA tensors go to the CUDA backend in place (skipped without a device)."""
import os

import numpy as np
import pytest

import omnizip
from conftest import DATA, golden, to_numpy, torch_or_skip

torch = torch_or_skip()
BUILD_CUDA = os.path.join(os.path.dirname(os.environ["OMNIZIP_PLUGIN"]), "libomnizip_cuda.so")
pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available() or not os.path.exists(BUILD_CUDA),
    reason="no CUDA device or no libomnizip_cuda.so: CUDA path not run")


@pytest.mark.parametrize("name", ["paper45.safetensors", "three_frames.safetensors"])
def test_cuda_tensors_match_the_host_decisions(name):
    t, m, sets = golden(name)
    kw = omnizip.load_dump(os.path.join(DATA, name), as_torch=True)
    cfg = omnizip.Config(**sets)
    host = omnizip.compress(**kw, config=cfg)
    dev = omnizip.compress(**{**kw, "inputs_embeds": kw["inputs_embeds"].cuda()}, config=cfg)
    assert dev.inputs_embeds.is_cuda
    assert torch.equal(dev.keep_mask, host.keep_mask)
    np.testing.assert_allclose(to_numpy(dev.inputs_embeds), to_numpy(host.inputs_embeds),
                               rtol=1e-3, atol=1e-5)
