"""save_dump / load_dump: omnizip-run's input dump format (safetensors), so
a pipeline can capture a real input for `omnizip-run compress` and the
inspector's tune mode.

Tensors: inputs_embeds [L, D] (F32/F16/BF16), input_ids [L] (I64),
audio_scores [N_audio] (F32), video_grid_thw [n, 3] (I64), optional
position_ids [3, L] and attention_mask [L], and the extras
per_token.NAME [L, ...], per_video_token.NAME [n_video, ...],
per_audio_token.NAME [n_audio, ...]. Metadata: audio_token_id,
video_token_id, spatial_merge_size."""
import json
import os
import struct
import tempfile

import numpy as np

from . import _tensors

_NP = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
       "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_NAMES = {np.dtype(t): n for n, t in _NP.items()}
EXTRA_GROUPS = ("per_token", "per_video_token", "per_audio_token")


def _raw(x):
    """(safetensors dtype name, shape, little-endian bytes) of an array or tensor."""
    if _tensors.is_torch(x):
        import torch
        x = x.detach().cpu().contiguous()
        if x.dtype == torch.bfloat16:
            return "BF16", list(x.shape), x.view(torch.int16).numpy().astype("<i2").tobytes()
        x = x.numpy()
    a = np.ascontiguousarray(np.asarray(x))
    if a.dtype not in _NAMES:
        raise TypeError(f"dtype {a.dtype} cannot go into a dump")
    return _NAMES[a.dtype], list(a.shape), a.astype(a.dtype.newbyteorder("<")).tobytes()


def _write(path, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, off = [], 0
    for name, x in tensors.items():
        dt, shape, raw = _raw(x)
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".omnizip-dump.", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(head)) + head)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: never a partial dump
    except BaseException:
        os.unlink(tmp)
        raise


def _row(x, name, rank):
    """Drops a leading batch axis of size 1 (a dump holds one sequence)."""
    if x is None:
        return None
    if len(x.shape) == rank + 1:
        if x.shape[0] != 1:
            raise ValueError(f"{name}: a dump holds one sequence, got a batch of {x.shape[0]}")
        return x[0]
    return x


def save_dump(path, inputs_embeds, input_ids, audio_scores, video_grid_thw, *,
              audio_token_id, video_token_id, spatial_merge_size=2, position_ids=None,
              attention_mask=None, per_token=None, per_video_token=None, per_audio_token=None):
    """Writes one sequence as omnizip-run's input dump (atomically)."""
    t = {"inputs_embeds": _row(inputs_embeds, "inputs_embeds", 2),
         "input_ids": _tensors.host_array(_row(input_ids, "input_ids", 1), np.int64),
         "audio_scores": _tensors.host_array(audio_scores, np.float32).reshape(-1),
         "video_grid_thw": _tensors.host_array(
             video_grid_thw if video_grid_thw is not None else np.zeros((0, 3)),
             np.int64).reshape(-1, 3)}
    if position_ids is not None:
        p = _tensors.host_array(position_ids, np.int64)
        t["position_ids"] = p[:, 0] if p.ndim == 3 else p
    if attention_mask is not None:
        t["attention_mask"] = _tensors.host_array(_row(attention_mask, "attention_mask", 1),
                                                  np.int64)
    for group, extras in zip(EXTRA_GROUPS, (per_token, per_video_token, per_audio_token)):
        items = extras.items() if isinstance(extras, dict) else enumerate(extras or ())
        for k, x in items:
            name = f"deepstack_{k}" if isinstance(k, int) else k
            t[f"{group}.{name}"] = _row(x, name, len(x.shape) - 1) if group == "per_token" and \
                len(x.shape) >= 2 and x.shape[0] == 1 and x.shape[1] == t["input_ids"].shape[0] \
                else x
    _write(path, t, {"audio_token_id": int(audio_token_id),
                     "video_token_id": int(video_token_id),
                     "spatial_merge_size": int(spatial_merge_size)})


def read_safetensors(path, as_torch=False):
    """(tensors, metadata) of any safetensors file. BF16 comes back as float32
    numpy (exact), or as torch.bfloat16 with as_torch."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", None) or {}
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        s, e = info["data_offsets"]
        raw = bytes(data[s:e])
        if info["dtype"] == "BF16":
            bits = np.frombuffer(raw, "<u2").reshape(info["shape"])
            if as_torch:
                import torch
                out[name] = torch.from_numpy(bits.astype(np.int16)).view(torch.bfloat16)
                continue
            arr = (bits.astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, np.dtype(_NP[info["dtype"]]).newbyteorder("<"))
            arr = arr.reshape(info["shape"]).astype(_NP[info["dtype"]])
        out[name] = _tensors.torch.from_numpy(arr.copy()) if as_torch else arr.copy()
    return out, meta


def load_dump(path, as_torch=False):
    """A dump as compress's keyword arguments: omnizip.compress(**load_dump(p))."""
    t, meta = read_safetensors(path, as_torch)
    kw = {k: t.get(k) for k in ("inputs_embeds", "input_ids", "audio_scores",
                                "video_grid_thw", "position_ids", "attention_mask")}
    kw["audio_token_id"] = int(meta["audio_token_id"])
    kw["video_token_id"] = int(meta["video_token_id"])
    kw["spatial_merge_size"] = int(meta.get("spatial_merge_size", 2))
    for group in EXTRA_GROUPS:
        extras = {k[len(group) + 1:]: v for k, v in t.items() if k.startswith(group + ".")}
        kw[group] = extras or None
    return kw
