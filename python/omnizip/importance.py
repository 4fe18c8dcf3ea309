"""audio_importance: the per-audio-token scores OmniZip is guided by, from
the audio encoder's last self-attention layer, computed by the plugin."""
import ctypes as C

import numpy as np

from . import _abi, _tensors
from ._clip import Context
from .config import Config


def _heads(x, name):
    if len(x.shape) == 4 and x.shape[0] == 1:
        x = x[0]
    if len(x.shape) != 3:
        raise ValueError(f"{name} has shape {tuple(x.shape)}, expected [H, T, head_dim]")
    h, t, d = x.shape
    rows = x.reshape(h * t, d)
    return _tensors.rows_view(rows if not _tensors.is_torch(rows) else rows.contiguous()), h, t


def audio_importance(q, k, *, pool=2, cu_seqlens=None, config=None):
    """Scores [T // pool] (float32, q's type and device) from the last audio
    self-attention layer's queries and keys, [H, T, head_dim] each.

    Without cu_seqlens (Qwen2.5-Omni): softmax over all keys, mean over heads
    and queries, averaged in groups of `pool` (2 for Qwen2.5-Omni). With
    cu_seqlens, the encoder's window offsets [0, ..., T] (Qwen3-Omni: pass
    pool=1): softmax within each window, mean over heads, sum over the
    window's queries. No T x T matrix is formed in either."""
    qm, h, t = _heads(q, "q")
    km, hk, tk = _heads(k, "k")
    if (hk, tk) != (h, t) or q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q {tuple(q.shape)} and k {tuple(k.shape)} differ")
    if _tensors.abi_dtype(qm) != _tensors.abi_dtype(km):
        raise TypeError("q and k must have the same dtype")
    lib = _abi.lib()
    cu = None
    fields = {}
    if cu_seqlens is not None:
        cu = np.ascontiguousarray(_tensors.host_array(cu_seqlens, np.int64).reshape(-1))
        fields = dict(cu_seqlens=cu.ctypes.data_as(_abi.P64), n_cu_seqlens=len(cu))
        if _tensors.is_cuda(qm):  # the windowed definition runs on the host
            qm, km = qm.cpu(), km.cpu()
    n = t // pool if pool > 0 else 0
    scores = np.zeros(max(n, 1), np.float32)
    imp = _abi.new(_abi.ImportanceIn, n_heads=h, pool=pool, q=_tensors.matrix(qm),
                   k=_tensors.matrix(km), stream=_tensors.stream_of(qm), **fields)
    with Context(lib, config or Config()) as cx:
        cx.check(lib.table.audio_importance(cx.ctx, C.byref(imp), scores.ctypes.data, n),
                 "audio_importance")
    out = scores[:n]
    if _tensors.is_torch(q):
        import torch
        return torch.from_numpy(out).to(q.device)
    return out
