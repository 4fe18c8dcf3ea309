"""Stream: mode streaming over the plugin's omnizip.streaming/1 extension.
Each push hands one window (its audio rows and scores, its video rows) and
returns that window's decisions at once; nothing depends on later windows.

    s = omnizip.Stream(omnizip.Config(rho_audio=0.3, rho_video=0.6), tokens_per_frame=144)
    for audio, scores, video in windows:
        w = s.push(audio, scores, video)
        w.audio_state, w.video_keep, w.anchors, w.info
    s.totals()
"""
import ctypes as C
from dataclasses import dataclass

import numpy as np

from . import _abi, _clip, _tensors
from .config import Config


class StreamIn(C.Structure):
    _fields_ = [("struct_size", _abi.u32), ("reserved0", _abi.u32), ("audio", _abi.Matrix),
                ("video", _abi.Matrix), ("audio_scores", C.c_void_p), ("stream", C.c_void_p)]


class StreamTotals(C.Structure):
    _fields_ = [("struct_size", _abi.u32), ("n_windows", _abi.u32), ("audio_in", _abi.i64),
                ("audio_kept", _abi.i64), ("video_in", _abi.i64), ("video_kept", _abi.i64),
                ("audio_target", _abi.f64), ("video_target", _abi.f64)]


class StreamingExt(C.Structure):
    _fields_ = [("struct_size", _abi.u32), ("reserved0", _abi.u32),
                ("begin", C.CFUNCTYPE(_abi.i32, C.c_void_p, _abi.i64)),
                ("push", C.CFUNCTYPE(_abi.i32, C.c_void_p, C.POINTER(StreamIn),
                                     C.POINTER(_abi.WindowOut))),
                ("totals", C.CFUNCTYPE(_abi.i32, C.c_void_p, C.POINTER(StreamTotals)))]


EXT_STREAMING = b"omnizip.streaming/1"


@dataclass
class Window:
    """One pushed window's decisions: audio_state (OMNIZIP_AUDIO_* codes per
    audio token), video_keep (bool per video token), anchors (the merged rows
    of the ANCHOR tokens, in order, float32 [n, D]) and info (the record)."""
    audio_state: np.ndarray
    video_keep: np.ndarray
    anchors: np.ndarray
    info: dict


def _rows(x, d):
    if x is None:
        return np.zeros((0, d or 1), np.float32)
    return _tensors.rows_view(x)


class Stream:
    """A stream of windows under `config` (a Config or keys for one; mode is
    set to streaming). tokens_per_frame: video tokens per frame (0: audio only)."""

    def __init__(self, config=None, *, tokens_per_frame, **keys):
        self._cfg = Config()  # a copy: the caller's config stays as it is
        if config is not None:
            C.memmove(self._cfg._buf, config._buf, C.sizeof(config._buf))
        for k, v in keys.items():
            self._cfg.set(k, v)
        self._cfg.set("mode", "streaming")
        self._lib = _abi.lib()
        self._ext = self._lib.extension(EXT_STREAMING, StreamingExt)
        if self._ext is None:
            raise OSError(f"{self._lib.path}: the plugin does not serve "
                          f"{EXT_STREAMING.decode()}")
        self._ctx = _clip.Context(self._lib, self._cfg)
        self._ctx.check(self._ext.begin(self._ctx.ctx, int(tokens_per_frame)), "begin")
        self._d = 0

    def push(self, audio, audio_scores, video):
        """Compresses the next window. audio [n_a, D] and video [n_v, D] are
        float32/float16 (numpy) or float32/float16/bfloat16 (torch) rows, None
        for none; audio_scores holds n_a floats."""
        a = _rows(audio, self._d)
        v = _rows(video, self._d if audio is None else a.shape[-1])
        na, nv = a.shape[0], v.shape[0]
        d = a.shape[-1] if na else v.shape[-1]
        self._d = self._d or d
        scores = np.ascontiguousarray(_tensors.host_array(
            audio_scores if audio_scores is not None else np.zeros(0), np.float32).reshape(-1))
        if scores.shape[0] != na:
            raise ValueError(f"{scores.shape[0]} audio scores for {na} audio rows")
        state = np.zeros(max(na, 1), np.uint8)
        keep = np.zeros(max(nv, 1), np.uint8)
        anchors = np.zeros((max(na, 1), d), np.float32)
        info = _abi.new(_abi.WindowInfo)
        sin = _abi.new(StreamIn, audio=_tensors.matrix(a), video=_tensors.matrix(v),
                       audio_scores=scores.ctypes.data if na else None,
                       stream=_tensors.stream_of(a if na else v))
        out = _abi.new(_abi.WindowOut, audio_state=state.ctypes.data, audio_capacity=na,
                       video_keep=keep.ctypes.data, video_capacity=nv,
                       anchors=_abi.Matrix(anchors.ctypes.data, max(na, 1), d, d,
                                           _abi.DTYPE_F32, _abi.MEMORY_HOST),
                       info=C.pointer(info))
        self._ctx.check(self._ext.push(self._ctx.ctx, C.byref(sin), C.byref(out)), "push")
        rec = {k: getattr(info, k) for k, _ in _abi.WindowInfo._fields_
               if not k.startswith(("struct_size", "reserved"))}
        rec["guided"] = bool(rec["guided"])
        return Window(state[:na].copy(), keep[:nv].astype(bool),
                      anchors[:info.audio_anchors].copy(), rec)

    def totals(self):
        """Counts since the start and the targets the controller steers to."""
        t = _abi.new(StreamTotals)
        self._ctx.check(self._ext.totals(self._ctx.ctx, C.byref(t)), "totals")
        return {k: getattr(t, k) for k, _ in StreamTotals._fields_ if k != "struct_size"}

    def close(self):
        self._ctx.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        ctx = getattr(self, "_ctx", None)
        if ctx is not None:
            ctx.close()
