"""compress() and plan(): transformers-shaped batches through the plugin.

Each row of a batch is compressed on its own: its valid span (from
attention_mask; padding on the left or right) is split into clips by the
plugin's omnizip.clips/1 rule, every clip is planned and compressed, and the
kept rows are gathered and padded again, on the same side, to the longest
kept row. This file only indexes: every decision comes from the plugin."""
from dataclasses import dataclass, field

import numpy as np

from . import _abi, _clip, _tensors
from .config import Config
from .presets import preset


@dataclass
class Result:
    """What compress returns. Tensors have the input's type, dtype and device;
    a [L, D] input gives [L', D] outputs (batch axis dropped again)."""
    inputs_embeds: object
    input_ids: object
    position_ids: object
    attention_mask: object
    keep_mask: object        # bool, the input's [B, L] (or [L]): True where kept
    rope_deltas: object      # [B, 1] int64: next decode position - new padded length
    per_token: object = None
    per_video_token: object = None
    per_audio_token: object = None
    windows: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)


@dataclass
class PlanResult:
    """What plan returns: counts only. lengths: each row's compressed length."""
    windows: list
    totals: dict
    lengths: list


def _resolve(model, audio_token_id, video_token_id, spatial_merge_size, config):
    """Token ids and merge size: the arguments, else the model preset's, else
    (merge size only) 2."""
    p = preset(model) if model else None
    a = audio_token_id if audio_token_id is not None else (p.audio_token_id if p else None)
    v = video_token_id if video_token_id is not None else (p.video_token_id if p else None)
    if a is None or v is None:
        raise ValueError("audio_token_id and video_token_id are needed (or a model preset)")
    s = spatial_merge_size if spatial_merge_size is not None else (
        p.spatial_merge_size if p else 2)
    if config is None:
        config = Config()
    elif not isinstance(config, Config):
        config = Config.from_profile(config)
    return int(a), int(v), int(s), config


def _batch_ids(input_ids):
    ids = _tensors.host_array(input_ids, np.int64)
    if ids.ndim == 1:
        return ids[None, :], False
    if ids.ndim != 2:
        raise ValueError(f"input_ids has shape {ids.shape}, expected [L] or [B, L]")
    return ids, True


def _spans(mask, B, L):
    """Each row's valid [start, end) and the padding side."""
    if mask is None:
        return [(0, L)] * B, "right"
    m = _tensors.host_array(mask).reshape(B, L) != 0
    spans, left, right = [], True, True
    for b in range(B):
        idx = np.flatnonzero(m[b])
        s, e = (int(idx[0]), int(idx[-1]) + 1) if len(idx) else (0, 0)
        if len(idx) != e - s:
            raise ValueError(f"attention_mask row {b} is not one contiguous block")
        left &= e == L or s == e
        right &= s == 0
        spans.append((s, e))
    if not (left or right):
        raise ValueError("attention_mask pads some rows on the left and others on the right")
    return spans, "right" if right else "left"


def _ragged(x):
    return isinstance(x, (list, tuple)) and len(x) > 0 and any(
        np.ndim(_tensors.host_array(e)) >= 1 for e in x)


def _scores_per_row(scores, ids, spans, audio_id, B):
    if scores is None:
        return [None] * B
    if _ragged(scores) and len(scores) == B:
        return [None if s is None else _tensors.host_array(s, np.float32).reshape(-1)
                for s in scores]
    flat = _tensors.host_array(scores, np.float32).reshape(-1)
    out, k = [], 0
    for b, (s, e) in enumerate(spans):
        n = int(np.count_nonzero(ids[b, s:e] == audio_id))
        out.append(flat[k:k + n])
        k += n
    if k != len(flat):
        raise ValueError(f"{len(flat)} audio scores for {k} audio tokens in the batch")
    return out


def _grids_per_row(grids, ids, spans, video_id, merge, B):
    """Per-row [n_i, 3] grids: given per row, or transformers' flat [N, 3]
    for the batch, taken in row order until each row's video tokens are covered."""
    if grids is None:
        return [np.zeros((0, 3), np.int64)] * B
    if _ragged(grids) and len(grids) == B and (B > 1 or np.ndim(
            _tensors.host_array(grids[0])) == 2):
        return [np.zeros((0, 3), np.int64) if g is None
                else _tensors.host_array(g, np.int64).reshape(-1, 3) for g in grids]
    flat = _tensors.host_array(grids, np.int64).reshape(-1, 3)
    if B == 1:
        return [flat]
    out, k = [], 0
    for b, (s, e) in enumerate(spans):
        need = int(np.count_nonzero(ids[b, s:e] == video_id))
        got, k0 = 0, k
        while got < need and k < len(flat):
            g = flat[k]
            got += int(g[0] * (g[1] // merge) * (g[2] // merge))
            k += 1
        out.append(flat[k0:k])
    return out


def _totals(rows, tokens_in, tokens_kept, model):
    t = {"rows": len(rows), "windows": sum(len(r.windows) for r in rows),
         "audio_in": sum(r.audio_in for r in rows), "audio_kept": sum(r.audio_kept for r in rows),
         "video_in": sum(r.video_in for r in rows), "video_kept": sum(r.video_kept for r in rows),
         "tokens_in": tokens_in, "tokens_kept": tokens_kept}
    if model:  # Eq. 9 and the KV cache over audio + video tokens, before and after
        p = preset(model)
        n_in, n_kept = t["audio_in"] + t["video_in"], t["audio_kept"] + t["video_kept"]
        t.update(flops_before=p.flops(n_in), flops_after=p.flops(n_kept),
                 kv_bytes_before=p.kv_bytes(n_in), kv_bytes_after=p.kv_bytes(n_kept))
    return t


def _run(input_ids, audio_scores, video_grid_thw, attention_mask, model, audio_token_id,
         video_token_id, spatial_merge_size, config, rows_of=None):
    """Every row through the plugin; rows_of(b, start, end) gives row b's
    embeddings view to compress, or None to plan only."""
    a, v, s, cfg = _resolve(model, audio_token_id, video_token_id, spatial_merge_size, config)
    ids, _ = _batch_ids(input_ids)
    B, L = ids.shape
    spans, side = _spans(attention_mask, B, L)
    scores = _scores_per_row(audio_scores, ids, spans, a, B)
    grids = _grids_per_row(video_grid_thw, ids, spans, v, s, B)
    lib = _abi.lib()
    rows = []
    with _clip.Context(lib, cfg) as cx:
        for b, (st, e) in enumerate(spans):
            view = rows_of(b, st, e) if rows_of else None
            rows.append(_clip.run_row(cx, b, ids[b, st:e], scores[b], grids[b], a, v, s, view))
    return rows, ids, spans, side, (a, v)


def plan(input_ids, audio_scores, video_grid_thw, *, attention_mask=None, model=None,
         audio_token_id=None, video_token_id=None, spatial_merge_size=None, config=None):
    """The exact per-window and total counts before any embedding exists.
    audio_scores may be None in `normalize: exact` mode (score-free totals,
    no per-window records)."""
    rows, ids, spans, _, _ = _run(input_ids, audio_scores, video_grid_thw, attention_mask, model,
                                  audio_token_id, video_token_id, spatial_merge_size, config)
    lengths = [(e - st) - (r.audio_in - r.audio_kept) - (r.video_in - r.video_kept)
               for (st, e), r in zip(spans, rows)]
    windows = [w for r in rows for w in r.windows]
    return PlanResult(windows, _totals(rows, sum(e - st for st, e in spans), sum(lengths),
                                       model), lengths)


def _embeds_rows(inputs_embeds, B, L):
    x = inputs_embeds
    if len(x.shape) == 2:
        x = x[None]
    if tuple(x.shape[:2]) != (B, L):
        raise ValueError(f"inputs_embeds has shape {tuple(inputs_embeds.shape)}, expected "
                         f"[{B}, {L}, D] or [{L}, D]")
    _tensors.abi_dtype(x)
    return x


def _positions(position_ids, B, L):
    if position_ids is None:
        return None
    shape = tuple(position_ids.shape)
    if shape == (3, L):
        return position_ids[:, None, :]
    if shape != (3, B, L):
        raise ValueError(f"position_ids has shape {shape}, expected [3, {B}, {L}] or [3, {L}]")
    return position_ids


def _pad_value(x, spans, axis_rows):
    """A value found in x's padding positions (the input's own convention), else None."""
    for b, (s, e) in enumerate(spans):
        row = axis_rows(b)
        n = row.shape[-1]
        if s > 0:
            return row[..., 0].reshape(-1)[0].item()
        if e < n:
            return row[..., n - 1].reshape(-1)[0].item()
    return None


class _Batch:
    """Gathers kept rows per row and pads them back into a batch."""

    def __init__(self, spans, side, keep_idx, length):
        self.spans, self.side, self.keep_idx, self.length = spans, side, keep_idx, length

    def seq(self, x, pad):
        """x [B, L, ...] -> [B, L', ...] of the kept rows."""
        rows = [_tensors.take_rows(x[b], self.keep_idx[b]) for b in range(len(self.spans))]
        return _tensors.stack_padded(
            rows, self.length, self.side,
            lambda n, r: _tensors.full(n, tuple(r.shape[1:]), pad, r))


def _extras(extras, keep, name):
    """Compacts a dict (or list) of tensors indexed by the kept flags."""
    if extras is None:
        return None
    idx = np.flatnonzero(keep)

    def one(t):
        if t.shape[0] != len(keep):
            raise ValueError(f"{name} tensor has {t.shape[0]} rows, the batch has "
                             f"{len(keep)} such tokens")
        return _tensors.take_rows(t, idx)
    if isinstance(extras, dict):
        return {k: one(t) for k, t in extras.items()}
    return type(extras)(one(t) for t in extras)


def compress(inputs_embeds, input_ids, audio_scores, video_grid_thw, *, position_ids=None,
             attention_mask=None, model=None, audio_token_id=None, video_token_id=None,
             spatial_merge_size=None, config=None, per_token=None, per_video_token=None,
             per_audio_token=None):
    """Compresses the audio and video tokens of a transformers-shaped batch.

    inputs_embeds [B, L, D] or [L, D] (numpy or torch, float32/float16/
    bfloat16; CUDA tensors are read in place on the current stream), input_ids
    [B, L] or [L], position_ids [3, B, L] or [3, L], attention_mask [B, L].
    audio_scores and video_grid_thw: one entry per row (a list), or the
    batch's flat arrays as transformers has them (split in row order).
    per_token {name: [B, L, ...]}, per_video_token / per_audio_token {name:
    [n, ...]} over the batch's video / audio tokens in order (DeepStack
    features are per_video_token): compacted with the matching keep mask.
    Returns a Result."""
    input_ids, position_ids, attention_mask = (
        x if x is None or _tensors.is_torch(x) else np.asarray(x)
        for x in (input_ids, position_ids, attention_mask))
    ids, _ = _batch_ids(input_ids)
    B, L = ids.shape
    x = _embeds_rows(inputs_embeds, B, L)
    pos = _positions(position_ids, B, L)
    rows, ids, spans, side, (a, v) = _run(
        input_ids, audio_scores, video_grid_thw, attention_mask, model, audio_token_id,
        video_token_id, spatial_merge_size, config,
        rows_of=lambda b, st, e: _tensors.rows_view(x[b, st:e]))
    out = _assemble(inputs_embeds, input_ids, x, ids, pos, attention_mask, spans, side, rows,
                    model, per_token, per_video_token, per_audio_token, a, v)
    if out.position_ids is not None and len(position_ids.shape) == 2:
        out.position_ids = out.position_ids[:, 0]
    return out


def _per_token(per_token, batch, B, L):
    def one(t):
        rank3 = len(t.shape) >= 2 and tuple(t.shape[:2]) == (B, L)
        if not rank3 and not (B == 1 and t.shape[0] == L):
            raise ValueError(f"per_token tensor of shape {tuple(t.shape)}: expected "
                             f"[{B}, {L}, ...] or [{L}, ...]")
        out = batch.seq(t if rank3 else t[None], 0)
        return out if rank3 else out[0]
    if per_token is None:
        return None
    if isinstance(per_token, dict):
        return {k: one(t) for k, t in per_token.items()}
    return type(per_token)(one(t) for t in per_token)


def _padded_mask(lengths, length, side):
    m = np.zeros((len(lengths), length), np.int64)
    for b, n in enumerate(lengths):
        if side == "left":
            m[b, length - n:] = 1
        else:
            m[b, :n] = 1
    return m


def _assemble(inputs_embeds, input_ids, x, ids, pos, attention_mask, spans, side, rows,
              model, per_token, per_video_token, per_audio_token, a, v):
    B, L = ids.shape
    keep = np.zeros((B, L), bool)
    for b, (st, e) in enumerate(spans):
        keep[b, st:e] = rows[b].keep
    keep_idx = [np.flatnonzero(keep[b]) for b in range(B)]
    lengths = [len(k) for k in keep_idx]
    length = max(lengths, default=0)
    batch = _Batch(spans, side, keep_idx, length)

    embeds = batch.seq(x, 0)
    for b, r in enumerate(rows):
        if r.anchor_pos:
            dest = np.searchsorted(keep_idx[b], spans[b][0] + np.asarray(r.anchor_pos))
            if side == "left":
                dest = dest + (length - lengths[b])
            embeds[b] = _tensors.put_anchor_rows(embeds[b], dest, np.concatenate(r.anchor_rows))

    ids_b = input_ids if len(input_ids.shape) == 2 else input_ids[None]
    hid = _tensors.host_array(ids_b)
    id_pad = _pad_value(hid, spans, lambda b: hid[b])
    out_ids = batch.seq(ids_b, 0 if id_pad is None else id_pad)

    out_pos, nxt = None, [e - st for st, e in spans]
    if pos is not None:
        hp = _tensors.host_array(pos)
        pad = _pad_value(hp, spans, lambda b: hp[:, b])
        dims = [batch.seq(pos[d], 1 if pad is None else pad)[None] for d in range(3)]
        out_pos = _tensors.cat(dims, dims[0])
        nxt = [int(hp[:, b, st:e].max()) + 1 if e > st else 0 for b, (st, e) in enumerate(spans)]

    mask_out = None
    if attention_mask is not None or B > 1:
        like = attention_mask if attention_mask is not None else input_ids
        mask_out = _tensors.like(like, _padded_mask(lengths, length, side))
        if attention_mask is not None:
            mask_out = (mask_out.to(attention_mask.dtype) if _tensors.is_torch(mask_out)
                        else mask_out.astype(np.asarray(attention_mask).dtype))
            if len(attention_mask.shape) == 1:
                mask_out = mask_out[0]
    deltas = _tensors.like(input_ids, np.asarray(nxt, np.int64)[:, None] - length)

    vkeep = np.concatenate([keep[b, st:e][ids[b, st:e] == v] for b, (st, e) in enumerate(spans)])
    akeep = np.concatenate([keep[b, st:e][ids[b, st:e] == a] for b, (st, e) in enumerate(spans)])
    return Result(
        inputs_embeds=embeds if len(inputs_embeds.shape) == 3 else embeds[0],
        input_ids=out_ids if len(input_ids.shape) == 2 else out_ids[0],
        position_ids=out_pos,
        attention_mask=mask_out,
        keep_mask=_tensors.like(input_ids, keep if len(input_ids.shape) == 2 else keep[0]),
        rope_deltas=deltas,
        per_token=_per_token(per_token, batch, B, L),
        per_video_token=_extras(per_video_token, vkeep, "per_video_token"),
        per_audio_token=_extras(per_audio_token, akeep, "per_audio_token"),
        windows=[w for r in rows for w in r.windows],
        totals=_totals(rows, sum(e - st for st, e in spans), sum(lengths), model))
