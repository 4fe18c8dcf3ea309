/* The omnizip.streaming/1 extension: each pushed window is decided by
 * core/stream.c from the stream so far, laid out as a one-window plan, and
 * compressed by the window path of the window scope (its own rows only).
 * Buffers grow to the largest window seen and are then reused: the heap
 * does not grow with the stream's length. */
#include "engine/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct oz_streamer {
    struct oz_stream st;
    int begun;
    int64_t audio_cap, video_cap; /* the largest window the buffers hold */
    int64_t *order;
    double *value;
};

void oz_stream_free(omnizip_ctx *ctx)
{
    struct oz_streamer *s = ctx->streamer;
    if (!s)
        return;
    free(s->order);
    free(s->value);
    free(s);
    ctx->streamer = NULL;
}

void oz_stream_end(omnizip_ctx *ctx)
{
    if (ctx->streamer)
        ctx->streamer->begun = 0;
}

omnizip_status oz_stream_start(omnizip_ctx *ctx, int64_t tpf)
{
    if (ctx->cfg.mode != OMNIZIP_MODE_STREAMING)
        return oz_engine_fail(ctx, OMNIZIP_E_STATE,
                              "streaming: the context was not created "
                              "with mode streaming");
    if (tpf < 0)
        return oz_engine_fail(ctx, OMNIZIP_E_INVALID, "streaming: tokens_per_frame is negative");
    if (!ctx->streamer && !(ctx->streamer = calloc(1, sizeof *ctx->streamer)))
        return oz_engine_fail(ctx, OMNIZIP_E_NOMEM, "streaming: out of memory");
    oz_stream_begin(&ctx->streamer->st, tpf);
    ctx->streamer->begun = 1;
    ctx->us_windows = 0.0;
    if (ctx->tel)
        oz_telemetry_plan(ctx->tel, 0);
    return OMNIZIP_OK;
}

#define GROW(p, n)                                                          \
    do {                                                                    \
        void *q_ = realloc((p), (size_t)((n) > 0 ? (n) : 1) * sizeof *(p)); \
        if (!q_)                                                            \
            return OMNIZIP_E_NOMEM;                                         \
        (p) = q_;                                                           \
    } while (0)

/* Grows the one-window plan and the window path's buffers for na audio and
 * nv video tokens; a larger window also resizes the working memory. */
static omnizip_status grow(omnizip_ctx *ctx, int64_t na, int64_t nv)
{
    struct oz_streamer *s = ctx->streamer;
    struct oz_plan *p = &ctx->plan;
    struct oz_merge_sel *sel = &ctx->sel;
    if (!p->win)
        GROW(p->win, 1);
    if (!ctx->runs) {
        GROW(ctx->runs, 1);
        GROW(ctx->spans, 1);
    }
    if (na > s->audio_cap) {
        GROW(p->audio_state, na);
        GROW(p->anchors, na);
        GROW(p->pool, na);
        GROW(p->audio_row, na);
        GROW(s->order, na);
        GROW(s->value, na);
        GROW(ctx->sigma, na);
        GROW(ctx->assign, na);
        GROW(ctx->pool_rows, na);
        GROW(ctx->anchor_rows, na);
        GROW(sel->start, na + 1);
        GROW(sel->member_row, na);
        GROW(sel->weight, na);
        GROW(sel->wsum, na);
        GROW(sel->group, na);
        GROW(sel->order, na);
        GROW(sel->value, na);
        for (int64_t j = s->audio_cap; j < na; j++)
            p->audio_row[j] = j;
        s->audio_cap = na;
        free(ctx->anchors);
        ctx->anchors = NULL;
        ctx->sized = 0;
    }
    if (nv > s->video_cap) {
        GROW(ctx->video_norm, nv);
        s->video_cap = nv;
        ctx->sized = 0;
    }
    return OMNIZIP_OK;
}

/* Working memory for the largest window so far, hidden size d (the
 * engine's own sizing would follow the current window's counts, which vary
 * between windows of one size). */
static omnizip_status reserve(omnizip_ctx *ctx, int64_t d, int convert)
{
    struct oz_streamer *s = ctx->streamer;
    if (d == 0 || (ctx->sized && ctx->d == d && (!convert || ctx->sized_convert)))
        return OMNIZIP_OK;
    free(ctx->anchors);
    ctx->anchors = malloc((size_t)(s->audio_cap > 0 ? s->audio_cap : 1) * (size_t)d *
                          sizeof(float));
    if (!ctx->anchors)
        return OMNIZIP_E_NOMEM;
    int64_t frames = s->st.tpf > 0 ? s->video_cap / s->st.tpf : 0;
    struct oz_sizes z = {d, s->audio_cap, s->audio_cap, s->st.tpf, s->video_cap, frames,
                         1, convert};
    if (ctx->be.ops->reserve(ctx->be.self, &z, ctx->err, sizeof ctx->err) != OMNIZIP_OK)
        return OMNIZIP_E_NOMEM;
    ctx->d = d;
    ctx->sized = 1;
    ctx->sized_convert |= convert;
    return OMNIZIP_OK;
}

static omnizip_status check_in(omnizip_ctx *ctx, const struct omnizip_stream_in *in)
{
    if (in->audio.rows < 0 || in->video.rows < 0)
        return oz_engine_fail(ctx, OMNIZIP_E_INVALID, "streaming: negative row count");
    if (in->audio.rows > 0 && !in->audio_scores)
        return oz_engine_fail(ctx, OMNIZIP_E_INVALID, "streaming: audio_scores is NULL");
    for (int64_t j = 0; j < in->audio.rows; j++)
        if (!isfinite(in->audio_scores[j])) {
            ozc_err(ctx->err, sizeof ctx->err, "streaming: audio score %lld is not finite",
                    (long long)j);
            return OMNIZIP_E_INVALID;
        }
    if (in->video.rows > 0 && ctx->streamer->st.tpf == 0)
        return oz_engine_fail(ctx, OMNIZIP_E_INVALID,
                              "streaming: video rows in a stream begun "
                              "with 0 tokens per frame");
    return OMNIZIP_OK;
}

omnizip_status oz_stream_push(omnizip_ctx *ctx, const struct omnizip_stream_in *in,
                              const struct omnizip_window_out *out,
                              struct omnizip_window_info *info)
{
    struct oz_streamer *s = ctx->streamer;
    if (!s || !s->begun)
        return oz_engine_fail(ctx, OMNIZIP_E_STATE, "streaming: push before begin");
    omnizip_status st = check_in(ctx, in);
    if (st != OMNIZIP_OK)
        return st;
    int64_t na = in->audio.rows, nv = in->video.rows;
    int64_t d = ctx->d ? ctx->d : na > 0 ? in->audio.cols : nv > 0 ? in->video.cols : 0;
    int convert = (na > 0 && in->audio.dtype != OMNIZIP_DTYPE_F32) ||
                  (nv > 0 && in->video.dtype != OMNIZIP_DTYPE_F32);
    if (d < 0 || grow(ctx, na, nv) != OMNIZIP_OK || reserve(ctx, d, convert) != OMNIZIP_OK)
        return oz_engine_fail(ctx, OMNIZIP_E_NOMEM, "streaming: out of memory");
    struct oz_plan *p = &ctx->plan;
    struct oz_window *w = &p->win[0];
    oz_stream_decide(&ctx->cfg, &s->st, in->audio_scores, na, nv, w, p->audio_state, p->anchors,
                     p->pool, s->order, s->value);
    p->n_windows = 1;
    p->n_guided = w->guided && nv > 0;
    p->n_audio_runs = na > 0;
    p->n_video_runs = nv > 0;
    p->tpf = s->st.tpf;
    p->n_audio = na;
    p->n_video = nv;
    p->n_video_grid = w->frames * s->st.tpf;
    p->n_anchors = w->anchor_count;
    p->n_pool = w->pool_count;
    p->audio_kept = w->audio_kept;
    p->video_kept = w->video_kept;
    ctx->planned = 1;
    ctx->bound = 0;
    ctx->window_base = s->st.n_windows;

    struct omnizip_window_in win = {sizeof win, 0, in->audio, in->video, in->stream};
    st = oz_engine_window(ctx, 0, &win, out, info);
    if (st == OMNIZIP_OK)
        oz_stream_commit(&s->st, in->audio_scores, w);
    return st;
}

omnizip_status oz_stream_totals(omnizip_ctx *ctx, struct omnizip_stream_totals *out)
{
    struct oz_streamer *s = ctx->streamer;
    if (!s || !s->begun)
        return oz_engine_fail(ctx, OMNIZIP_E_STATE, "streaming: totals before begin");
    const struct omnizip_config *c = &ctx->cfg;
    memset(out, 0, sizeof *out);
    out->n_windows = s->st.n_windows;
    out->audio_in = s->st.audio_in;
    out->audio_kept = s->st.dominant + s->st.anchors;
    out->video_in = s->st.video_in;
    out->video_kept = s->st.video_kept;
    out->audio_target = oz_stream_audio_target(c);
    out->video_target = 1.0 - c->rho_video;
    return OMNIZIP_OK;
}
