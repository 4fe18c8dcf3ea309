"""numpy arrays and torch tensors behind one small interface: what the ABI
needs to see (a data pointer, dtype, memory kind, row stride) and the few
index operations the sequence adapter does (gather rows, scatter rows, pad).
Results come back in the input's own type, dtype and device."""
import numpy as np

from . import _abi

try:  # torch is optional: numpy alone is a complete path
    import torch
except ImportError:  # pragma: no cover - exercised on machines without torch
    torch = None


def is_torch(x):
    return torch is not None and isinstance(x, torch.Tensor)


def host_array(x, dtype=None):
    """A host numpy copy (or view) of any array-like: for ids, masks, grids and
    scores, which are small."""
    if x is None:
        return None
    if is_torch(x):
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    return a if dtype is None else a.astype(dtype, copy=False)


_NP_DTYPES = {np.dtype(np.float32): _abi.DTYPE_F32, np.dtype(np.float16): _abi.DTYPE_F16}


def _torch_dtypes():
    return {torch.float32: _abi.DTYPE_F32, torch.float16: _abi.DTYPE_F16,
            torch.bfloat16: _abi.DTYPE_BF16}


def abi_dtype(x):
    if is_torch(x):
        d = _torch_dtypes().get(x.dtype)
    else:
        d = _NP_DTYPES.get(np.asarray(x).dtype)
    if d is None:
        raise TypeError(f"embeddings of dtype {x.dtype}: expected float32, float16 or "
                        "bfloat16 (torch)")
    return d


def rows_view(x):
    """x as [rows, D] with unit column stride, without copying when possible."""
    if is_torch(x):
        if x.stride(-1) != 1:
            x = x.contiguous()
        return x
    x = np.asarray(x)
    if x.strides[-1] != x.itemsize or not x.flags.aligned:
        x = np.ascontiguousarray(x)
    return x


def matrix(x):
    """The ABI matrix over a [rows, D] view (host or CUDA)."""
    d = abi_dtype(x)
    if is_torch(x):
        rows, cols = x.shape
        stride = x.stride(0) if rows > 1 else cols
        mem = _abi.MEMORY_CUDA if x.is_cuda else _abi.MEMORY_HOST
        ptr = x.data_ptr() if rows else None
    else:
        rows, cols = x.shape
        stride = x.strides[0] // x.itemsize if rows > 1 else cols
        mem = _abi.MEMORY_HOST
        ptr = x.ctypes.data if rows else None
    return _abi.Matrix(ptr, rows, cols, stride, d, mem)


def is_cuda(x):
    return is_torch(x) and x.is_cuda


def stream_of(x):
    """The current CUDA stream of x's device, as the ABI's opaque pointer."""
    if not is_cuda(x):
        return None
    return torch.cuda.current_stream(x.device).cuda_stream


def empty_anchors(x, n):
    """A host buffer for n merged anchor rows in x's dtype (uint16 for the
    half types: the plugin writes their bits)."""
    d = abi_dtype(x)
    dt = np.float32 if d == _abi.DTYPE_F32 else np.uint16
    return np.zeros((max(n, 1), x.shape[-1]), dt)


def take_rows(x, idx):
    """x[idx] along the first axis, in x's type and device."""
    if is_torch(x):
        return x.index_select(0, torch.as_tensor(idx, dtype=torch.long, device=x.device))
    return np.asarray(x)[idx]


def put_anchor_rows(out, pos, rows):
    """out[pos] = rows, with rows a host buffer of the plugin's bits in out's dtype."""
    if len(pos) == 0:
        return out
    if is_torch(out):
        src = np.ascontiguousarray(rows[:len(pos)])
        if out.dtype in (torch.float16, torch.bfloat16):
            src = torch.from_numpy(src.view(np.int16)).view(out.dtype)
        else:
            src = torch.from_numpy(src)
        out[torch.as_tensor(pos, dtype=torch.long, device=out.device)] = src.to(out.device)
        return out
    src = rows[:len(pos)]
    if out.dtype == np.float16:
        src = src.view(np.float16)
    out[pos] = src
    return out


def like(x, a):
    """numpy array a in x's kind: a torch tensor on x's device, or numpy."""
    if is_torch(x):
        return torch.as_tensor(a).to(x.device)
    return np.asarray(a)


def stack_padded(rows, length, side, fill_rows):
    """Stacks per-row arrays [n_i, ...] (same kind) into [B, length, ...],
    padding each on `side` with fill_rows(pad_count, like_row)."""
    out = []
    for r in rows:
        pad = length - r.shape[0]
        if pad:
            f = fill_rows(pad, r)
            r = _cat([f, r] if side == "left" else [r, f])
        out.append(r)
    if rows and is_torch(rows[0]):
        return torch.stack(out)
    return np.stack(out)


def _cat(parts):
    if is_torch(parts[0]):
        return torch.cat(parts)
    return np.concatenate(parts)


def cat(parts, like_x):
    """Concatenates along axis 0; an empty list gives an empty array like like_x."""
    if parts:
        return _cat(parts)
    return like_x[:0]


def full(n, shape_tail, value, like_x):
    """An [n, *shape_tail] array of value, of like_x's kind, dtype and device."""
    if is_torch(like_x):
        return torch.full((n, *shape_tail), value, dtype=like_x.dtype, device=like_x.device)
    return np.full((n, *shape_tail), value, dtype=np.asarray(like_x).dtype)
