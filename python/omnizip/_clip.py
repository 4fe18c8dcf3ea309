"""One row of a batch through the plugin: clips from omnizip.clips/1, then
per clip plan, bind, window and finish. Returns the decisions by sequence
position; the caller compacts. No stage of the algorithm runs here."""
import ctypes as C

import numpy as np

from . import _abi, _tensors


class Context:
    """One plugin context, planned again for every clip of every row."""

    def __init__(self, lib, config):
        self.lib = lib
        err = _abi.ERRBUF()
        ctx = C.c_void_p()
        st = lib.table.create(config.as_pointer(), None, C.byref(ctx), err, C.sizeof(err))
        if st != _abi.OK:
            raise _abi.Error(st, "create: " + (err.value.decode() or lib.status_text(st)))
        self.ctx = ctx

    def check(self, st, what):
        if st != _abi.OK:
            raise _abi.Error(st, f"{what}: " + (self.lib.table.last_error(self.ctx).decode() or
                                                self.lib.status_text(st)))

    def close(self):
        if self.ctx:
            self.lib.table.destroy(self.ctx)
            self.ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Clips:
    """omnizip.clips/1's answer for one row: the clips and their runs."""

    def __init__(self, lib, ids, grids, audio_id, video_id, merge):
        if lib.clips is None:
            raise OSError(f"{lib.path}: the plugin does not serve {_abi.EXT_CLIPS.decode()}")
        self.ids = np.ascontiguousarray(ids, dtype=np.int64)
        n = len(self.ids)
        self.grids = np.ascontiguousarray(np.asarray(grids, np.int64).reshape(-1, 3))
        self.clips = (_abi.Clip * (len(self.grids) + 1))()
        self.run_start = np.zeros(max(n, 1), np.int64)
        self.run_len = np.zeros(max(n, 1), np.int64)
        cin = _abi.new(_abi.ClipsIn, n_videos=len(self.grids),
                       input_ids=self.ids.ctypes.data_as(_abi.P64), length=n,
                       audio_token_id=audio_id, video_token_id=video_id, merge_size=merge,
                       grid_thw=self.grids.ctypes.data_as(_abi.P64))
        out = _abi.new(_abi.ClipsOut, clips=self.clips, clip_capacity=len(self.clips),
                       run_start=self.run_start.ctypes.data_as(_abi.P64),
                       run_len=self.run_len.ctypes.data_as(_abi.P64), run_capacity=max(n, 1))
        err = _abi.ERRBUF()
        st = lib.clips.split(C.byref(cin), C.byref(out), err, C.sizeof(err))
        if st != _abi.OK:
            raise ValueError(err.value.decode() or lib.status_text(st))
        self.n = out.n_clips

    def __iter__(self):
        return iter(self.clips[:self.n])

    def runs(self, clip, video):
        """(start, length) pairs of the clip's video (or audio) runs."""
        first = clip.first_run + (0 if video else clip.n_video_runs)
        count = clip.n_video_runs if video else clip.n_audio_runs
        return list(zip(self.run_start[first:first + count].tolist(),
                        self.run_len[first:first + count].tolist()))

    def layout(self, clip):
        def ptr(arr, off):
            return C.cast(arr.ctypes.data + 8 * off, _abi.P64)
        v0, a0 = clip.first_run, clip.first_run + clip.n_video_runs
        return _abi.new(_abi.Layout, n_video_runs=clip.n_video_runs,
                        n_audio_runs=clip.n_audio_runs, video_run_len=ptr(self.run_len, v0),
                        audio_run_len=ptr(self.run_len, a0),
                        tokens_per_frame=clip.tokens_per_frame, grid_t=clip.grid_t,
                        video_run_start=ptr(self.run_start, v0),
                        audio_run_start=ptr(self.run_start, a0))


def _positions(runs):
    if not runs:
        return np.zeros(0, np.int64)
    return np.concatenate([np.arange(s, s + n, dtype=np.int64) for s, n in runs])


def _record(info, row, clip_index, clip):
    names = [n for n, _ in _abi.WindowInfo._fields_ if n not in ("struct_size", "reserved0")]
    rec = {n: getattr(info, n) for n in names}
    rec["guided"] = bool(rec["guided"])
    rec.update(row=row, clip=clip_index, video=clip.video)
    return rec


class RowPlan:
    """What plan decided for one row: per-clip windows and totals."""

    def __init__(self):
        self.windows = []
        self.audio_in = self.audio_kept = self.video_in = self.video_kept = 0

    def add(self, counts):
        """Adds a clip's totals (a Plan or a Summary)."""
        self.audio_in += counts.audio_in
        self.audio_kept += counts.audio_kept
        self.video_in += counts.video_in
        self.video_kept += counts.video_kept


def _clip_scores(scores, audio_rank, apos):
    if scores is None:
        return None
    return np.ascontiguousarray(scores[audio_rank[apos]], dtype=np.float32)


def _plan_clip(cx, clips, clip, scores, audio_rank):
    """Plans one clip; returns its window infos (ctypes structs)."""
    apos = _positions(clips.runs(clip, video=False))
    sc = _clip_scores(scores, audio_rank, apos)
    layout = clips.layout(clip)
    plan = _abi.new(_abi.Plan)
    ptr = sc.ctypes.data if sc is not None and len(sc) else None
    n = len(apos) if sc is not None else 0  # exact mode plans without scores
    cx.check(cx.lib.table.plan(cx.ctx, C.byref(layout), ptr, n, C.byref(plan)), "plan")
    infos = []
    if scores is None:  # exact mode, score-free totals: no per-window counts exist
        return plan, infos, apos
    for i in range(plan.n_windows):
        info = _abi.new(_abi.WindowInfo)
        cx.check(cx.lib.table.window_plan(cx.ctx, i, C.byref(info)), f"window_plan {i}")
        infos.append(info)
    return plan, infos, apos


def _check_scores(scores, ids, audio_id):
    n = int(np.count_nonzero(ids == audio_id))
    if scores is not None and len(scores) != n:
        raise ValueError(f"{len(scores)} audio scores for {n} audio tokens (id {audio_id})")


class RowResult(RowPlan):
    """Decisions for one row: keep mask, video/audio keep (sequence order of
    each kind), merged anchors (positions and rows in the embeddings' bits)."""

    def __init__(self, n):
        super().__init__()
        self.keep = np.ones(n, bool)
        self.anchor_pos = []
        self.anchor_rows = []


def run_row(cx, row, ids, scores, grids, audio_id, video_id, merge, embeds=None):
    """Every clip of one row: planned only (a RowPlan) when embeds is None,
    else compressed (a RowResult); embeds is a [n, D] view (host or CUDA)."""
    clips = Clips(cx.lib, ids, grids, audio_id, video_id, merge)
    audio_rank = np.cumsum(clips.ids == audio_id) - 1
    _check_scores(scores, clips.ids, audio_id)
    if embeds is not None and scores is None and (clips.ids == audio_id).any():
        raise ValueError(f"row {row}: compress needs the audio scores (a plan under "
                         "normalize: exact does not)")
    res = RowPlan() if embeds is None else RowResult(len(clips.ids))
    for c, clip in enumerate(clips):
        if clip.n_video_runs + clip.n_audio_runs == 0:
            continue
        plan, infos, _ = _plan_clip(cx, clips, clip, scores, audio_rank)
        if embeds is None:
            res.windows += [_record(i, row, c, clip) for i in infos]
            res.add(plan)
        else:
            res.add(_compress_clip(cx, clips, clip, infos, embeds, res))
            res.windows += [_record(i, row, c, clip) for i in infos]
    return res


def _compress_clip(cx, clips, clip, infos, embeds, res):
    """bind, every window, finish on a planned clip; returns the summary."""
    m = _tensors.matrix(embeds)
    stream = _tensors.stream_of(embeds)
    cx.check(cx.lib.table.bind(cx.ctx, C.byref(m), C.byref(m), stream), "bind")
    for i, info in enumerate(infos):  # a strategy may settle counts at bind (dycoke)
        if info.audio_kept < 0 or info.video_kept < 0:
            cx.check(cx.lib.table.window_plan(cx.ctx, i, C.byref(info)), f"window_plan {i}")
    vruns, aruns = clips.runs(clip, True), clips.runs(clip, False)
    for i, info in enumerate(infos):
        _window(cx, i, info, embeds, m, stream, vruns, aruns, res)
    summary = _abi.new(_abi.Summary)
    cx.check(cx.lib.table.finish(cx.ctx, C.byref(summary)), "finish")
    return summary


def _sub(m, start, rows):
    """Rows [start, start + rows) of matrix m (NULL data when empty)."""
    es = 4 if m.dtype == _abi.DTYPE_F32 else 2
    ptr = m.data + start * m.row_stride * es if rows and m.data else None
    return _abi.Matrix(ptr, rows, m.cols, m.row_stride, m.dtype, m.memory)


def _window(cx, i, info, embeds, m, stream, vruns, aruns, res):
    vs, nv = vruns[i] if i < len(vruns) else (0, 0)
    as_, na = aruns[i] if i < len(aruns) else (0, 0)
    state = np.zeros(max(na, 1), np.uint8)
    keep = np.zeros(max(nv, 1), np.uint8)
    anchors = _tensors.empty_anchors(embeds, info.audio_anchors)
    win = _abi.new(_abi.WindowIn, audio=_sub(m, as_, na), video=_sub(m, vs, nv), stream=stream)
    amat = _abi.Matrix(anchors.ctypes.data, info.audio_anchors, m.cols, anchors.shape[1],
                       m.dtype, _abi.MEMORY_HOST)
    out = _abi.new(_abi.WindowOut, audio_state=state.ctypes.data, audio_capacity=na,
                   video_keep=keep.ctypes.data, video_capacity=nv, anchors=amat,
                   info=C.pointer(info))
    cx.check(cx.lib.table.window(cx.ctx, i, C.byref(win), C.byref(out)), f"window {i}")
    res.keep[vs:vs + nv] = keep[:nv] != 0
    st = state[:na]
    res.keep[as_:as_ + na] = (st == _abi.AUDIO_KEPT) | (st == _abi.AUDIO_ANCHOR)
    pos = as_ + np.flatnonzero(st == _abi.AUDIO_ANCHOR)
    res.anchor_pos.extend(pos.tolist())
    res.anchor_rows.append(anchors[:len(pos)])
