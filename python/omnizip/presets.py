"""Model presets, read from the plugin's one table (extension omnizip.cost/1):
token ids, spatial merge size, audio score definition and the Eq. 9 figures.
Python holds no copy of any figure."""
import ctypes as C
from dataclasses import dataclass

from . import _abi

SCORE_NAMES = {0: "full", 1: "windowed"}


class _Preset(C.Structure):
    _fields_ = [("struct_size", _abi.u32), ("reserved0", _abi.u32), ("name", C.c_char_p),
                ("layers", _abi.i32), ("hidden", _abi.i32), ("ffn", _abi.i32),
                ("kv_heads", _abi.i32), ("head_dim", _abi.i32),
                ("spatial_merge_size", _abi.i32), ("audio_token_id", _abi.i64),
                ("video_token_id", _abi.i64), ("audio_score", _abi.i32),
                ("audio_pool", _abi.u32)]


_P = C.POINTER(_Preset)


class _CostExt(C.Structure):
    _fields_ = [("struct_size", _abi.u32), ("reserved0", _abi.u32),
                ("preset", C.CFUNCTYPE(_P, _abi.u32)),
                ("find", C.CFUNCTYPE(_P, C.c_char_p)),
                ("flops", C.CFUNCTYPE(_abi.i32, _P, _abi.i64, _abi.i64, C.POINTER(_abi.f64))),
                ("kv_bytes", C.CFUNCTYPE(_abi.i32, _P, _abi.i64, C.POINTER(_abi.f64)))]


@dataclass(frozen=True)
class Preset:
    """One model as the plugin's table describes it. ffn is the width one
    token passes through (for a mixture of experts: experts per token x the
    expert width). audio_score: "full" (softmax over all keys, pooled by
    audio_pool) or "windowed" (within the encoder's cu_seqlens windows)."""
    name: str
    layers: int
    hidden: int
    ffn: int
    kv_heads: int
    head_dim: int
    spatial_merge_size: int
    audio_token_id: int
    video_token_id: int
    audio_score: str
    audio_pool: int

    def flops(self, n, r=100):
        """The paper's Eq. 9: prefill of n tokens plus r decoded ones."""
        return _call("flops", self.name, n, r)

    def kv_bytes(self, n):
        """The KV cache of n tokens in 16-bit floats."""
        return _call("kv_bytes", self.name, n)


def _ext():
    lib = _abi.lib()
    x = lib.extension(_abi.EXT_COST, _CostExt)
    if x is None or x.struct_size < C.sizeof(_CostExt):
        raise OSError(f"{lib.path}: the plugin does not serve {_abi.EXT_COST.decode()}")
    return x


def _find(name):
    p = _ext().find(name.encode())
    if not p:
        known = ", ".join(x.name for x in presets())
        raise ValueError(f"unknown model preset {name!r} (known: {known})")
    return p


def _call(fn, name, *args):
    out = C.c_double()
    st = getattr(_ext(), fn)(_find(name), *args, C.byref(out))
    _abi.lib().check(st, f"{fn}({name})")
    return out.value


def _from(p):
    c = p.contents
    return Preset(c.name.decode(), c.layers, c.hidden, c.ffn, c.kv_heads, c.head_dim,
                  c.spatial_merge_size, c.audio_token_id, c.video_token_id,
                  SCORE_NAMES.get(c.audio_score, str(c.audio_score)), c.audio_pool)


def preset(name):
    """The preset called name, e.g. "qwen3-omni-30b-a3b"."""
    return _from(_find(name))


def presets():
    """Every preset, in the plugin's table order (the first is the tools' default)."""
    x, out, i = _ext(), [], 0
    while p := x.preset(i):
        out.append(_from(p))
        i += 1
    return out
