/* bind: the clip's audio and video rows once, for the global and window:K
 * scopes: every merge is decided and every video run's mask computed here,
 * so window() only hands out. */
#include "engine/engine.h"

/* bind's matrices must hold every run: concatenated, or at its start row. */
static omnizip_status check_bind_rows(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                                      const struct omnizip_matrix *video)
{
    const struct oz_plan *p = &ctx->plan;
    int64_t need_a = p->n_audio, need_v = p->n_video;
    if (p->sequence_rows) {
        need_a = need_v = 0;
        for (uint32_t i = 0; i < p->n_windows; i++) {
            const struct oz_window *w = &p->win[i];
            if (w->audio_len && w->audio_row + w->audio_len > need_a)
                need_a = w->audio_row + w->audio_len;
            if (w->video_len && w->video_row + w->video_len > need_v)
                need_v = w->video_row + w->video_len;
        }
        need_a = audio->rows >= need_a ? audio->rows : need_a;
        need_v = video->rows >= need_v ? video->rows : need_v;
    }
    int64_t d = p->n_audio > 0 ? audio->cols : video->cols;
    omnizip_status st = oz_engine_reach(ctx, audio->memory);
    if (st == OMNIZIP_OK)
        st = oz_engine_reach(ctx, video->memory);
    if (st == OMNIZIP_OK)
        st = oz_check_matrix(ctx, "bind: audio", audio, need_a, p->n_audio ? d : 0);
    if (st == OMNIZIP_OK)
        st = oz_check_matrix(ctx, "bind: video", video, need_v, p->n_video ? d : 0);
    return st;
}

/* Stage 3 for every run of the clip at once: the frames run in parallel. */
static omnizip_status decide_video(omnizip_ctx *ctx, const struct omnizip_matrix *video)
{
    const struct oz_plan *p = &ctx->plan;
    int64_t n = 0;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        const struct oz_window *w = &p->win[i];
        if (w->video_len > 0)
            ctx->runs[n++] = (struct oz_run){w->video_row,
                                             w->video_len,
                                             w->frames,
                                             w->num_keep,
                                             w->extra,
                                             ctx->video_norm + w->video_off,
                                             ctx->video_keep + w->video_off};
    }
    return ctx->be.ops->istc(ctx->be.self, ctx->stream, video, ctx->runs, n, p->tpf, ctx->cfg.dpc_k,
                             ctx->err, sizeof ctx->err);
}

omnizip_status oz_engine_bind(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                              const struct omnizip_matrix *video)
{
    if (!ctx->planned)
        return oz_engine_fail(ctx, OMNIZIP_E_STATE, "bind before plan");
    if (ctx->plan.totals_only)
        return oz_engine_fail(ctx, OMNIZIP_E_STATE, OZ_TOTALS_ONLY);
    double t0 = ozc_now_us();
    struct oz_plan *p = &ctx->plan;
    omnizip_status st = check_bind_rows(ctx, audio, video);
    if (st == OMNIZIP_OK && ctx->cfg.strategy != OMNIZIP_STRATEGY_OMNIZIP)
        return oz_baseline_bind(ctx, audio, video);
    if (st != OMNIZIP_OK || oz_engine_local(ctx))
        return st;
    int64_t d = p->n_audio > 0 ? audio->cols : (p->n_video > 0 ? video->cols : 0);
    if (ctx->d && d && d != ctx->d) {
        ozc_err(ctx->err, sizeof ctx->err, "bind: hidden size %lld, earlier %lld", (long long)d,
                (long long)ctx->d);
        return OMNIZIP_E_INVALID;
    }
    int convert = audio->dtype != OMNIZIP_DTYPE_F32 || video->dtype != OMNIZIP_DTYPE_F32;
    if (d > 0 && (st = oz_engine_reserve(ctx, d, convert)) != OMNIZIP_OK)
        return st;
    ctx->bound = 0;
    for (int64_t q = 0; q < p->n_pool; q++)
        p->audio_state[p->pool[q]] = OMNIZIP_AUDIO_PRUNED;
    /* The global scope's products read every video row once: the norms are
     * computed on the way. Otherwise they get a pass of their own. */
    int fused = ctx->cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL && p->n_pool > 0;
    if (p->n_video > 0 && !fused)
        ctx->be.ops->norms(ctx->be.self, video, ctx->spans,
                           oz_video_spans(ctx, 0, p->n_windows - 1, 0), ctx->video_norm);
    oz_audio_rows(ctx, 0, p->n_pool, 0, p->n_anchors, NULL);
    ctx->anchor_base = 0;
    if (p->n_pool > 0)
        st = oz_cross_windows(ctx, audio, video, ctx->video_norm, fused, 0, p->n_windows, 0);
    if (st == OMNIZIP_OK)
        st = oz_merge_anchors(ctx, audio, 0, p->n_anchors, 0, p->n_pool);
    if (st == OMNIZIP_OK)
        st = decide_video(ctx, video);
    if (st != OMNIZIP_OK)
        return st == OMNIZIP_E_NOMEM ? oz_engine_fail(ctx, st, "bind: out of memory") : st;
    oz_count_merged(ctx, 0, p->n_windows);
    ctx->bound = 1;
    ctx->us_bind += ozc_now_us() - t0;
    return OMNIZIP_OK;
}
