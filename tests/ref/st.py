"""Minimal safetensors reader/writer on numpy, for test and bench tooling.

The format is an 8-byte little-endian header length, a JSON header mapping
tensor names to dtype/shape/byte offsets (plus an optional string-to-string
"__metadata__"), then the raw little-endian data. Offsets carry no alignment
guarantee, so tensors are copied out with frombuffer on a bytes slice.
"""
import json
import os
import struct

import numpy as np

_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
    "U8": np.uint8, "BOOL": np.bool_,
}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def _bf16_to_f32(raw):
    u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32)
    return (u16 << 16).view(np.float32)


def load(path):
    """Returns (tensors, metadata): a dict of numpy arrays and a dict of strings.

    BF16 tensors come back as float32 (numpy has no bfloat16)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} runs past the file end")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None) or {}
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        raw = data[start:end]
        shape = tuple(info["shape"])
        if info["dtype"] == "BF16":
            arr = _bf16_to_f32(raw)
        else:
            dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
            arr = np.frombuffer(raw, dtype=dt)
        out[name] = arr.reshape(shape).copy()
    return out, dict(meta)


def save(path, tensors, metadata=None):
    """Writes tensors (name -> numpy array) and string metadata to path, atomically."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype not in _NAMES:
            raise ValueError(f"{name}: unsupported dtype {arr.dtype}")
        arr = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False))
        header[name] = {"dtype": _NAMES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        chunks.append(arr)
        offset += arr.nbytes
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for c in chunks:
            if c.nbytes:
                f.write(c.reshape(-1).view(np.uint8).data)
    os.replace(tmp, path)
