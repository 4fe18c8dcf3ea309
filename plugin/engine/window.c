/* window(i): checks the host's buffers, computes what bind left to the
 * window (everything, in the window scope with radius 0) and writes the
 * masks, the merged anchors and the window's record. */
#include "engine/engine.h"

#include <string.h>

static void write_anchor_rows(const omnizip_ctx *ctx, const struct oz_window *w,
                              const struct omnizip_matrix *out)
{
    size_t es = ozc_dtype_size(out->dtype);
    for (int64_t a = 0; a < w->anchor_count; a++) {
        const float *src = ctx->anchors + (w->anchor_first + a - ctx->anchor_base) * ctx->d;
        unsigned char *dst = (unsigned char *)out->data + (size_t)(a * out->row_stride) * es;
        if (out->dtype == OMNIZIP_DTYPE_F32) {
            memcpy(dst, src, (size_t)ctx->d * 4);
            continue;
        }
        uint16_t *h = (uint16_t *)dst;
        for (int64_t c = 0; c < ctx->d; c++)
            h[c] = out->dtype == OMNIZIP_DTYPE_F16 ? ozc_f32_to_f16(src[c])
                                                   : ozc_f32_to_bf16(src[c]);
    }
}

omnizip_status oz_window_check_masks(omnizip_ctx *ctx, uint32_t i, const struct oz_window *w,
                                     const struct omnizip_window_out *out)
{
    if (out->audio_capacity < w->audio_len || out->video_capacity < w->video_len ||
        (w->audio_len > 0 && !out->audio_state) || (w->video_len > 0 && !out->video_keep)) {
        ozc_err(ctx->err, sizeof ctx->err,
                "window %u: output masks need %lld audio and %lld video entries", i,
                (long long)w->audio_len, (long long)w->video_len);
        return OMNIZIP_E_INVALID;
    }
    return OMNIZIP_OK;
}

static omnizip_status check_outputs(omnizip_ctx *ctx, uint32_t i, const struct oz_window *w,
                                    const struct omnizip_window_out *out, int64_t d)
{
    omnizip_status st = oz_window_check_masks(ctx, i, w, out);
    if (st != OMNIZIP_OK)
        return st;
    if (w->anchor_count > 0) {
        const struct omnizip_matrix *a = &out->anchors;
        if (a->memory != OMNIZIP_MEMORY_HOST || ozc_dtype_size(a->dtype) == 0 || !a->data ||
            a->rows < w->anchor_count || a->cols != d || a->row_stride < a->cols) {
            ozc_err(ctx->err, sizeof ctx->err,
                    "window %u: anchors output must be a host "
                    "matrix of at least %lld x %lld",
                    i, (long long)w->anchor_count, (long long)d);
            return OMNIZIP_E_INVALID;
        }
    }
    return OMNIZIP_OK;
}

/* The window scope with radius 0: window i's merges from its own rows. */
static omnizip_status merge_local(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                                  double *vnorm)
{
    struct oz_plan *p = &ctx->plan;
    const struct oz_window *w = &p->win[i];
    for (int64_t q = w->pool_first; q < w->pool_first + w->pool_count; q++)
        p->audio_state[p->pool[q]] = OMNIZIP_AUDIO_PRUNED;
    oz_audio_rows(ctx, w->pool_first, w->pool_first + w->pool_count, w->anchor_first,
                  w->anchor_first + w->anchor_count, w);
    ctx->anchor_base = w->anchor_first;
    omnizip_status st = oz_cross_windows(ctx, &in->audio, &in->video, vnorm, 0, i, i + 1, 1);
    if (st == OMNIZIP_OK)
        st = oz_merge_anchors(ctx, &in->audio, w->anchor_first, w->anchor_first + w->anchor_count,
                              w->pool_first, w->pool_first + w->pool_count);
    if (st == OMNIZIP_OK)
        oz_count_merged(ctx, i, i + 1);
    return st;
}

omnizip_status oz_engine_window(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                                const struct omnizip_window_out *out,
                                struct omnizip_window_info *info)
{
    if (!ctx->planned)
        return oz_engine_fail(ctx, OMNIZIP_E_STATE, "window before plan");
    if (ctx->plan.totals_only)
        return oz_engine_fail(ctx, OMNIZIP_E_STATE, OZ_TOTALS_ONLY);
    struct oz_plan *p = &ctx->plan;
    if (i >= p->n_windows) {
        ozc_err(ctx->err, sizeof ctx->err, "window %u out of range (the plan has %u)", i,
                p->n_windows);
        return OMNIZIP_E_INVALID;
    }
    if (ctx->cfg.strategy != OMNIZIP_STRATEGY_OMNIZIP)
        return oz_baseline_window(ctx, i, in, out, info);
    if (!ctx->bound && !oz_engine_local(ctx))
        return oz_engine_fail(ctx, OMNIZIP_E_STATE,
                              "window before bind (the global similarity "
                              "scope needs the clip's rows first)");
    const struct oz_window *w = &p->win[i];
    double t0 = ozc_now_us();
    int64_t d = ctx->d;
    if (d == 0)
        /* Only a matrix with rows has its width checked: an empty window
         * sizes nothing. */
        d = w->audio_len > 0 ? in->audio.cols : w->video_len > 0 ? in->video.cols : 0;
    omnizip_status st = oz_engine_reach(ctx, in->video.memory);
    if (st == OMNIZIP_OK && !ctx->bound)
        st = oz_engine_reach(ctx, in->audio.memory);
    if (st == OMNIZIP_OK)
        st = oz_check_matrix(ctx, "window: video", &in->video, w->video_len, d);
    if (st == OMNIZIP_OK && !ctx->bound)
        st = oz_check_matrix(ctx, "window: audio", &in->audio, w->audio_len, d);
    if (st == OMNIZIP_OK)
        st = check_outputs(ctx, i, w, out, d);
    if (st != OMNIZIP_OK)
        return st;
    int convert = !ctx->bound &&
                  (in->video.dtype != OMNIZIP_DTYPE_F32 || in->audio.dtype != OMNIZIP_DTYPE_F32);
    if (d > 0 && (st = oz_engine_reserve(ctx, d, convert)) != OMNIZIP_OK)
        return st;
    if (!ctx->bound && w->video_len > 0) {
        struct oz_span run = {0, w->video_len};
        ctx->be.ops->norms(ctx->be.self, &in->video, &run, 1, ctx->video_norm);
    }
    if (!ctx->bound && w->anchor_count + w->pool_count > 0 &&
        (st = merge_local(ctx, i, in, ctx->video_norm)) != OMNIZIP_OK)
        return st == OMNIZIP_E_NOMEM ? oz_engine_fail(ctx, st, "window: out of memory") : st;
    if (w->video_len > 0 && ctx->bound) {
        memcpy(out->video_keep, ctx->video_keep + w->video_off, (size_t)w->video_len);
    } else if (w->video_len > 0) {
        struct oz_run run = {0,        w->video_len,    w->frames,      w->num_keep,
                             w->extra, ctx->video_norm, out->video_keep};
        st = ctx->be.ops->istc(ctx->be.self, ctx->stream, &in->video, &run, 1, p->tpf,
                               ctx->cfg.dpc_k, ctx->err, sizeof ctx->err);
        if (st != OMNIZIP_OK)
            return st;
    }
    if (w->audio_len > 0)
        memcpy(out->audio_state, p->audio_state + w->audio_off, (size_t)w->audio_len);
    if (w->anchor_count > 0)
        write_anchor_rows(ctx, w, &out->anchors);
    oz_engine_window_info(ctx, i, info);
    info->flops = oz_engine_take_flops(ctx);
    info->micros = ozc_now_us() - t0;
    ctx->us_windows += info->micros;
    if (ctx->tel)
        oz_telemetry_publish(ctx->tel, info);
    return OMNIZIP_OK;
}
