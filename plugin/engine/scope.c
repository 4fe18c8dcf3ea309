/* Stage 1.4-1.5 in its similarity scope: which video and anchors each pool
 * token is compared with (global, window, window:K), and the merges. The rows
 * come from bind's matrices or, in the window scope with radius 0, from the
 * window's own (local). */
#include "engine/engine.h"

/* Rows of the audio matrix of pool tokens [q0, q1) and anchors [a0, a1):
 * bind's rows, or (local) rows of window w's own run. */
void oz_audio_rows(omnizip_ctx *ctx, int64_t q0, int64_t q1, int64_t a0, int64_t a1,
                   const struct oz_window *local)
{
    const struct oz_plan *p = &ctx->plan;
    for (int64_t q = q0; q < q1; q++)
        ctx->pool_rows[q] = local ? p->pool[q] - local->audio_off : p->audio_row[p->pool[q]];
    for (int64_t c = a0; c < a1; c++)
        ctx->anchor_rows[c] = local ? p->anchors[c] - local->audio_off
                                    : p->audio_row[p->anchors[c]];
}

/* The video runs of windows [lo, hi] as spans of the video matrix: rows of
 * bind's matrix, or of the window's own run (local). */
int64_t oz_video_spans(omnizip_ctx *ctx, uint32_t lo, uint32_t hi, int local)
{
    int64_t n = 0;
    for (uint32_t i = lo; i <= hi; i++) {
        const struct oz_window *w = &ctx->plan.win[i];
        if (w->video_len > 0)
            ctx->spans[n++] = (struct oz_span){local ? 0 : w->video_row, w->video_len};
    }
    return n;
}

/* sigma and assignment for the pool tokens of windows [w0, w1), each against
 * the anchors and video of its scope. vnorm: norms of the video tokens of
 * windows from w0 on; fill_norms (global scope only) computes them here. */
omnizip_status oz_cross_windows(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                                const struct omnizip_matrix *video, double *vnorm, int fill_norms,
                                uint32_t w0, uint32_t w1, int local)
{
    struct oz_plan *p = &ctx->plan;
    const struct oz_backend *be = &ctx->be;
    if (ctx->cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL) {
        int64_t ns = p->n_windows ? oz_video_spans(ctx, 0, p->n_windows - 1, 0) : 0;
        struct oz_cross a = {audio,     video,        ctx->pool_rows, ctx->anchor_rows,
                             p->n_pool, p->n_anchors, ctx->spans,     ns,
                             vnorm,     fill_norms,   ctx->sigma,     ctx->assign};
        return be->ops->cross(be->self, ctx->stream, &a, ctx->err, sizeof ctx->err);
    }
    int64_t k = ctx->cfg.scope_radius;
    int64_t v_first = p->win[w0].video_off;
    for (uint32_t i = w0; i < w1; i++) {
        const struct oz_window *w = &p->win[i];
        if (w->pool_count == 0)
            continue;
        uint32_t lo = (int64_t)i - k < (int64_t)w0 ? w0 : (uint32_t)(i - k);
        uint32_t hi = (int64_t)i + k >= (int64_t)w1 ? w1 - 1 : (uint32_t)(i + k);
        int64_t a0 = p->win[lo].anchor_first;
        int64_t a1 = p->win[hi].anchor_first + p->win[hi].anchor_count;
        struct oz_cross a = {audio,
                             video,
                             ctx->pool_rows + w->pool_first,
                             ctx->anchor_rows + a0,
                             w->pool_count,
                             a1 - a0,
                             ctx->spans,
                             oz_video_spans(ctx, lo, hi, local),
                             vnorm + (p->win[lo].video_off - v_first),
                             0,
                             ctx->sigma + w->pool_first,
                             ctx->assign + w->pool_first};
        omnizip_status st = be->ops->cross(be->self, ctx->stream, &a, ctx->err, sizeof ctx->err);
        if (st != OMNIZIP_OK)
            return st;
        for (int64_t q = w->pool_first; q < w->pool_first + w->pool_count; q++)
            if (ctx->assign[q] >= 0)
                ctx->assign[q] += a0;
    }
    return OMNIZIP_OK;
}

/* Merges every anchor of [a0, a1) with its chosen pool tokens of [q0, q1):
 * core decides which and with what weights, the backend sums the rows. */
omnizip_status oz_merge_anchors(omnizip_ctx *ctx, const struct omnizip_matrix *audio, int64_t a0,
                                int64_t a1, int64_t q0, int64_t q1)
{
    if (a1 <= a0)
        return OMNIZIP_OK;
    oz_merge_select(&ctx->plan, ctx->assign, ctx->sigma, ctx->cfg.g, ctx->pool_rows, a0, a1, q0, q1,
                    &ctx->sel);
    struct oz_merge m = {audio,
                         ctx->anchor_rows + a0,
                         a1 - a0,
                         &ctx->sel,
                         ctx->anchors + (a0 - ctx->anchor_base) * ctx->d,
                         ctx->d};
    return ctx->be.ops->merge(ctx->be.self, ctx->stream, &m, ctx->err, sizeof ctx->err);
}

void oz_count_merged(omnizip_ctx *ctx, uint32_t w0, uint32_t w1)
{
    struct oz_plan *p = &ctx->plan;
    for (uint32_t i = w0; i < w1; i++) {
        struct oz_window *w = &p->win[i];
        w->audio_merged = 0;
        for (int64_t q = w->pool_first; q < w->pool_first + w->pool_count; q++)
            w->audio_merged += p->audio_state[p->pool[q]] == OMNIZIP_AUDIO_MERGED;
    }
}
