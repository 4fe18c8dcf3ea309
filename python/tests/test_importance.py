"""Both audio-importance definitions through the plugin against a naive numpy
computation written here: full softmax matrices in float64."""
import numpy as np
import pytest

import omnizip
from conftest import to_numpy, torch_or_skip


def naive(q, k, pool, cu=None):
    h, t, d = q.shape
    q, k = q.astype(np.float64), k.astype(np.float64)
    acc = np.zeros(t)
    bounds = list(zip(cu[:-1], cu[1:])) if cu is not None else [(0, t)]
    for a, b in bounds:
        if b == a:
            continue
        s = q[:, a:b] @ k[:, a:b].transpose(0, 2, 1) / np.sqrt(d)  # [h, n, n]
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        acc[a:b] += p.sum(axis=(0, 1))  # over heads and queries
    acc /= h if cu is not None else h * t  # windowed: mean over heads, sum over queries
    n = t // pool
    return acc[:n * pool].reshape(n, pool).mean(1)


def _qk(h, t, d, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(h, t, d)).astype(np.float32),
            rng.normal(size=(h, t, d)).astype(np.float32))


@pytest.mark.parametrize("h,t,d,pool", [(3, 37, 8, 2), (4, 300, 16, 2), (2, 50, 8, 1)])
def test_global_definition_matches_naive(h, t, d, pool):
    q, k = _qk(h, t, d, t)
    got = omnizip.audio_importance(q, k, pool=pool)
    want = naive(q, k, pool)
    assert got.shape == (t // pool,) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("cu", [[0, 13, 13, 40, 300, 301], [0, 100], [0, 1, 2, 3, 50, 120]])
def test_windowed_definition_matches_naive(cu):
    t = cu[-1]
    q, k = _qk(4, t, 16, 7)
    got = omnizip.audio_importance(q, k, pool=1, cu_seqlens=np.array(cu))
    want = naive(q, k, 1, np.array(cu))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
    # Each window's scores sum to its length: every query's attention sums to 1.
    for a, b in zip(cu[:-1], cu[1:]):
        assert abs(got[a:b].sum() - (b - a)) < 1e-3 * max(1, b - a)


def test_windowed_torch_and_pooling():
    torch = torch_or_skip()
    q, k = _qk(2, 64, 8, 11)
    cu = torch.tensor([0, 20, 64])
    got = omnizip.audio_importance(torch.from_numpy(q), torch.from_numpy(k), pool=2,
                                   cu_seqlens=cu)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(to_numpy(got), naive(q, k, 2, np.array([0, 20, 64])),
                               rtol=1e-5, atol=1e-8)


def test_bad_offsets_refused():
    q, k = _qk(2, 10, 4, 1)
    with pytest.raises(omnizip.Error, match="cu_seqlens"):
        omnizip.audio_importance(q, k, pool=1, cu_seqlens=[0, 4, 9])
