#!/usr/bin/env python3
"""Regenerates the safetensors fuzz corpus beside this script.

ok_*  files are valid safetensors and must open; bad_* files must be refused
with a message naming the file. tests/test_safetensors.c replays them all and
mutates the ok_ ones.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def st(header, data=b"", pad=True, raw=None):
    text = raw if raw is not None else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def put(name, blob):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(blob)


f32 = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
put("ok_tiny.safetensors", st({"__metadata__": {"k": "v"},
                               "x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, f32))
put("ok_empty.safetensors", st({}))
put("ok_zero_dim.safetensors", st({"z": {"dtype": "I64", "shape": [0, 5], "data_offsets": [0, 0]}}))
put("ok_scalar.safetensors", st({"s": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}},
                                struct.pack("<d", 2.5)))
put("ok_unaligned.safetensors",
    st({"b": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]},
        "f": {"dtype": "F32", "shape": [2], "data_offsets": [3, 11]},
        "h": {"dtype": "BF16", "shape": [1], "data_offsets": [11, 13]}},
       b"\x01\x02\x03" + struct.pack("<2f", 0.5, -0.5) + b"\x80\x3f"))
put("ok_mixed.safetensors",
    st({"__metadata__": {"audio_token_id": "7", "video_token_id": "8"},
        "ids": {"dtype": "I32", "shape": [1, 3], "data_offsets": [0, 12]},
        "mask": {"dtype": "BOOL", "shape": [3], "data_offsets": [12, 15]},
        "half": {"dtype": "F16", "shape": [2], "data_offsets": [15, 19]}},
       struct.pack("<3i", 7, 8, 9) + b"\x01\x00\x01" + b"\x00\x3c\x00\xc0"))

put("bad_empty.safetensors", b"")
put("bad_short.safetensors", b"\x02\x00\x00")
put("bad_hlen_past_file.safetensors", struct.pack("<Q", 64) + b"{}")
put("bad_hlen_huge.safetensors", struct.pack("<Q", 1 << 63) + b"{}      ")
put("bad_not_json.safetensors", st(None, raw=b"{not json"))
put("bad_trailing.safetensors", st(None, raw=b"{}xx"))
put("bad_nul.safetensors", st(None, raw=b'{"a\x00":1}'))
put("bad_array.safetensors", st([1, 2]))
put("bad_entry_not_object.safetensors", st({"x": 3}))
put("bad_dtype.safetensors", st({"x": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}, f32))
put("bad_dtype_missing.safetensors", st({"x": {"shape": [1], "data_offsets": [0, 4]}}, f32))
put("bad_shape_mismatch.safetensors",
    st({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, f32))
put("bad_past_end.safetensors", st({"x": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}, f32))
put("bad_overlap.safetensors",
    st({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, f32))
put("bad_reversed.safetensors", st({"x": {"dtype": "U8", "shape": [0], "data_offsets": [8, 4]}}, f32))
put("bad_negative_dim.safetensors",
    st({"x": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 16]}}, f32))
put("bad_float_dim.safetensors",
    st({"x": {"dtype": "F32", "shape": [4.0], "data_offsets": [0, 16]}}, f32))
put("bad_overflow_dim.safetensors",
    st({"x": {"dtype": "F32", "shape": [1 << 62, 1 << 62, 4], "data_offsets": [0, 16]}}, f32))
put("bad_overflow_bytes.safetensors",
    st({"x": {"dtype": "F64", "shape": [1 << 61], "data_offsets": [0, 16]}}, f32))
put("bad_huge_int.safetensors", st(None, raw=b'{"x":{"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,4]}}'))
put("bad_meta_not_string.safetensors", st({"__metadata__": {"k": 1}}))
put("bad_meta_not_object.safetensors", st({"__metadata__": "k"}))
put("bad_duplicate.safetensors", st(None, raw=b'{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                                             b'"x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}'), )
put("bad_offsets_short.safetensors", st({"x": {"dtype": "U8", "shape": [1], "data_offsets": [0]}}, f32))
put("bad_rank_9.safetensors", st({"x": {"dtype": "U8", "shape": [1] * 9, "data_offsets": [0, 1]}}, f32))
