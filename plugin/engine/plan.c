/* plan: core decides every count; the engine keeps the plan and allocates
 * the arrays its windows use, and sizes the backend's working memory once
 * the hidden size is known, so window() allocates nothing afterwards. */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

int oz_engine_local(const omnizip_ctx *ctx)
{
    return (ctx->cfg.similarity_scope == OMNIZIP_SCOPE_WINDOW && ctx->cfg.scope_radius == 0) ||
           ctx->cfg.mode == OMNIZIP_MODE_STREAMING;
}

static int64_t max_run(const struct oz_plan *p)
{
    int64_t m = 0;
    for (uint32_t i = 0; i < p->n_windows; i++)
        m = p->win[i].video_len > m ? p->win[i].video_len : m;
    return m;
}

/* n elements of size sz, at least one. */
static void *alloc(int64_t n, size_t sz)
{
    return malloc((size_t)(n > 0 ? n : 1) * sz);
}

/* The plan's arrays into ctx: all or nothing. */
static int alloc_arrays(omnizip_ctx *ctx, const struct oz_plan *p)
{
    int64_t np = p->n_pool, na = p->n_anchors;
    int64_t nv = oz_engine_local(ctx) ? max_run(p) : p->n_video;
    struct oz_merge_sel s = {alloc(na + 1, sizeof(int64_t)), alloc(np, sizeof(int64_t)),
                             alloc(np, sizeof(double)),      alloc(na, sizeof(double)),
                             alloc(np, sizeof(int64_t)),     alloc(np, sizeof(int64_t)),
                             alloc(np, sizeof(double))};
    ctx->sel = s;
    ctx->sigma = alloc(np, sizeof(float));
    ctx->assign = alloc(np, sizeof(int64_t));
    ctx->pool_rows = alloc(np, sizeof(int64_t));
    ctx->anchor_rows = alloc(na, sizeof(int64_t));
    ctx->video_norm = alloc(nv, sizeof(double));
    ctx->spans = alloc(p->n_windows, sizeof(struct oz_span));
    ctx->runs = alloc(p->n_windows, sizeof(struct oz_run));
    ctx->video_keep = alloc(oz_engine_local(ctx) ? 0 : p->n_video, 1);
    return s.start && s.member_row && s.weight && s.wsum && s.group && s.order && s.value &&
           ctx->sigma && ctx->assign && ctx->pool_rows && ctx->anchor_rows && ctx->video_norm &&
           ctx->spans && ctx->runs && ctx->video_keep;
}

omnizip_status oz_engine_plan(omnizip_ctx *ctx, const struct omnizip_layout *layout,
                              const float *scores, int64_t n_scores, struct omnizip_plan *out)
{
    double t0 = ozc_now_us();
    struct oz_plan p;
    omnizip_status st = oz_plan_build(&p, &ctx->cfg, layout, scores, n_scores, ctx->err,
                                      sizeof ctx->err);
    if (st != OMNIZIP_OK)
        return st;
    /* Into a scratch context first: on failure the previous plan stands. */
    omnizip_ctx next;
    memset(&next, 0, sizeof next);
    next.cfg = ctx->cfg;
    if (!alloc_arrays(&next, &p)) {
        oz_engine_free(&next);
        oz_plan_free(&p);
        return oz_engine_fail(ctx, OMNIZIP_E_NOMEM, "plan: out of memory");
    }
    oz_engine_free(ctx);
    ctx->sel = next.sel;
    ctx->sigma = next.sigma;
    ctx->assign = next.assign;
    ctx->pool_rows = next.pool_rows;
    ctx->anchor_rows = next.anchor_rows;
    ctx->video_norm = next.video_norm;
    ctx->spans = next.spans;
    ctx->runs = next.runs;
    ctx->video_keep = next.video_keep;
    ctx->plan = p;
    ctx->planned = 1;
    ctx->us_bind = ctx->us_windows = 0.0;
    if (ctx->tel)
        oz_telemetry_plan(ctx->tel, p.n_windows);

    struct omnizip_plan r;
    memset(&r, 0, sizeof r);
    r.n_windows = p.n_windows;
    r.n_guided = p.n_guided;
    r.audio_in = p.n_audio;
    r.audio_kept = p.audio_kept;
    r.audio_anchors = p.n_anchors;
    r.video_in = p.n_video;
    r.video_kept = p.video_kept;
    size_t n = out->struct_size < sizeof r ? out->struct_size : sizeof r;
    r.struct_size = (uint32_t)n;
    memcpy(out, &r, n);
    ctx->us_plan = ozc_now_us() - t0;
    return OMNIZIP_OK;
}

void oz_engine_window_info(const omnizip_ctx *ctx, uint32_t i, struct omnizip_window_info *info)
{
    const struct oz_window *w = &ctx->plan.win[i];
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    info->index = i + ctx->window_base;
    info->audio_in = w->audio_len;
    info->audio_kept = w->audio_kept;
    info->audio_anchors = w->anchor_count;
    info->audio_merged = w->audio_merged;
    info->video_in = w->video_len;
    info->video_kept = w->video_kept;
    info->s_a = w->s_a;
    info->base_rate = w->base;
    info->rate = w->rate;
    info->guided = w->guided;
    if (ctx->plan.counts_at_bind && !ctx->bound)
        info->audio_kept = info->video_kept = -1;
}

omnizip_status oz_engine_reserve(omnizip_ctx *ctx, int64_t d, int convert)
{
    if (ctx->sized && ctx->d == d && (!convert || ctx->sized_convert))
        return OMNIZIP_OK;
    const struct oz_plan *p = &ctx->plan;
    /* The largest working buffers hold anchor or pool rows of d floats: a
     * clip within every other limit can still ask for terabytes here. */
    int64_t widest = p->n_anchors > p->n_pool ? p->n_anchors : p->n_pool, cells;
    if (d <= 0 || d > OMNIZIP_MAX_HIDDEN || __builtin_mul_overflow(widest, d, &cells) ||
        cells > OMNIZIP_MAX_CELLS) {
        ozc_err(ctx->err, sizeof ctx->err,
                "clip too large: %lld anchor or pool tokens of %lld "
                "columns (at most %lld values)",
                (long long)widest, (long long)d, OMNIZIP_MAX_CELLS);
        return OMNIZIP_E_INVALID;
    }
    int64_t max_anchor = 0, max_pool = 0, frames = 0, k = ctx->cfg.scope_radius;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        max_anchor = p->win[i].anchor_count > max_anchor ? p->win[i].anchor_count : max_anchor;
        max_pool = p->win[i].pool_count > max_pool ? p->win[i].pool_count : max_pool;
        frames += p->win[i].frames;
    }
    if (!ctx->anchors) {
        int64_t stored = oz_engine_local(ctx) ? max_anchor : p->n_anchors;
        ctx->anchors = alloc(stored * d, sizeof(float));
        if (!ctx->anchors)
            return oz_engine_fail(ctx, OMNIZIP_E_NOMEM, "out of memory for the merged anchors");
    }
    int global = ctx->cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL;
    if (global || max_anchor * (2 * k + 1) > p->n_anchors)
        max_anchor = p->n_anchors;
    else
        max_anchor *= 2 * k + 1;
    if (global)
        max_pool = p->n_pool;
    struct oz_sizes s = {d,          max_pool, max_anchor,   p->tpf,
                         max_run(p), frames,   p->n_windows, convert};
    omnizip_status st = ctx->be.ops->reserve(ctx->be.self, &s, ctx->err, sizeof ctx->err);
    if (st != OMNIZIP_OK)
        return st;
    ctx->d = d;
    ctx->sized = 1;
    ctx->sized_convert |= convert;
    return OMNIZIP_OK;
}
