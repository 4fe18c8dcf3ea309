/* Stage 1.4-1.5 in its similarity scope: which video and anchors each pool
 * token is compared with (global, window, window:K), and the merges. The rows
 * come from bind's matrices or, in the window scope with radius 0, from the
 * window's own (local). */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/* Rows of the audio matrix of pool tokens [q0, q1) and anchors [a0, a1):
 * bind's rows, or (local) rows of window w's own run. */
void oz_audio_rows(omnizip_ctx *ctx, int64_t q0, int64_t q1, int64_t a0, int64_t a1,
                   const struct oz_window *local)
{
    const struct oz_plan *p = &ctx->plan;
    for (int64_t q = q0; q < q1; q++)
        ctx->pool_rows[q] = local ? p->pool[q] - local->audio_off : p->audio_row[p->pool[q]];
    for (int64_t c = a0; c < a1; c++)
        ctx->anchor_rows[c] = local ? p->anchors[c] - local->audio_off : p->audio_row[p->anchors[c]];
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
                                const struct omnizip_matrix *video, double *vnorm,
                                int fill_norms, uint32_t w0, uint32_t w1, int local)
{
    struct oz_plan *p = &ctx->plan;
    if (ctx->cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL) {
        int64_t ns = p->n_windows ? oz_video_spans(ctx, 0, p->n_windows - 1, 0) : 0;
        if (ctx->cuda)
            return oz_cuda_cross(ctx->cuda, ctx->stream, audio, ctx->pool_rows, p->n_pool,
                                 ctx->anchor_rows, p->n_anchors, video, ctx->spans, ns, ctx->sigma,
                                 ctx->assign, &ctx->work[0].flops, ctx->err, sizeof ctx->err);
        return oz_cpu_cross(&ctx->exec, audio, ctx->pool_rows, p->n_pool, ctx->anchor_rows,
                            p->n_anchors, video, ctx->spans, ns, vnorm, fill_norms, ctx->sigma,
                            ctx->assign);
    }
    int64_t k = ctx->cfg.scope_radius;
    int64_t v_first = p->win[w0].video_off;
    for (uint32_t i = w0; i < w1; i++) {
        const struct oz_window *w = &p->win[i];
        if (w->pool_count == 0)
            continue;
        uint32_t lo = (int64_t)i - k < (int64_t)w0 ? w0 : (uint32_t)(i - k);
        uint32_t hi = (int64_t)i + k >= (int64_t)w1 ? w1 - 1 : (uint32_t)(i + k);
        int64_t a0 = p->win[lo].anchor_first, a1 = p->win[hi].anchor_first + p->win[hi].anchor_count;
        int64_t ns = oz_video_spans(ctx, lo, hi, local);
        omnizip_status st =
            ctx->cuda
                ? oz_cuda_cross(ctx->cuda, ctx->stream, audio, ctx->pool_rows + w->pool_first,
                                w->pool_count, ctx->anchor_rows + a0, a1 - a0, video, ctx->spans,
                                ns, ctx->sigma + w->pool_first, ctx->assign + w->pool_first,
                                &ctx->work[0].flops, ctx->err, sizeof ctx->err)
                : oz_cpu_cross(&ctx->exec, audio, ctx->pool_rows + w->pool_first, w->pool_count,
                               ctx->anchor_rows + a0, a1 - a0, video, ctx->spans, ns,
                               vnorm + (p->win[lo].video_off - v_first), 0,
                               ctx->sigma + w->pool_first, ctx->assign + w->pool_first);
        if (st != OMNIZIP_OK)
            return st;
        for (int64_t q = w->pool_first; q < w->pool_first + w->pool_count; q++)
            if (ctx->assign[q] >= 0)
                ctx->assign[q] += a0;
    }
    return OMNIZIP_OK;
}

/* Merges every anchor of [a0, a1) with its chosen pool tokens of [q0, q1)
 * (rows of `audio` from pool_rows/anchor_rows). */
omnizip_status oz_merge_anchors(omnizip_ctx *ctx, const struct omnizip_matrix *audio, int64_t a0,
                                int64_t a1, int64_t q0, int64_t q1)
{
    struct oz_plan *p = &ctx->plan;
    if (ctx->cuda)
        return oz_cuda_merge_anchors(ctx->cuda, ctx->stream, p, ctx->cfg.g, audio, ctx->anchor_rows,
                                     ctx->pool_rows, a0, a1, q0, q1, ctx->sigma, ctx->assign,
                                     ctx->anchors + (a0 - ctx->anchor_base) * ctx->d, ctx->d,
                                     ctx->err, sizeof ctx->err);
    int64_t d = ctx->d, *start = ctx->member_start + a0;
    memset(start, 0, (size_t)(a1 - a0 + 1) * sizeof *start);
    for (int64_t q = q0; q < q1; q++)
        if (ctx->assign[q] >= a0 && ctx->assign[q] < a1)
            start[ctx->assign[q] - a0 + 1]++;
    int64_t most = 0;
    for (int64_t c = 0; c < a1 - a0; c++) {
        most = start[c + 1] > most ? start[c + 1] : most;
        start[c + 1] += start[c];
    }
    int64_t *fill = ctx->members + q0;
    for (int64_t c = a0; c < a1; c++) {
        int64_t n = 0;
        for (int64_t q = q0; q < q1; q++)
            if (ctx->assign[q] == c)
                fill[start[c - a0] + n++] = q;
    }
    if (most > ctx->member_cap) {
        float *rows = realloc(ctx->member_rows, (size_t)(most * d) * sizeof *rows);
        if (rows)
            ctx->member_rows = rows;
        int64_t *sc = realloc(ctx->member_scratch, (size_t)(2 * most) * sizeof *sc);
        if (sc)
            ctx->member_scratch = sc;
        uint8_t *ch = realloc(ctx->member_chosen, (size_t)most);
        if (ch)
            ctx->member_chosen = ch;
        if (!rows || !sc || !ch)
            {
            oz_seterr(ctx->err, sizeof ctx->err, "out of memory for merge rows");
            return OMNIZIP_E_NOMEM;
        }
        ctx->member_cap = most;
    }
    float *rows = ctx->member_rows;
    int64_t *scratch = ctx->member_scratch;
    uint8_t *chosen = ctx->member_chosen;
    for (int64_t c = a0; c < a1; c++) {
        float *anchor = ctx->anchors + (c - ctx->anchor_base) * d;
        oz_row_f32(audio, ctx->anchor_rows[c], anchor);
        const int64_t *m = fill + start[c - a0];
        int64_t n = start[c - a0 + 1] - start[c - a0];
        for (int64_t t = 0; t < n; t++)
            oz_row_f32(audio, ctx->pool_rows[m[t]], rows + t * d);
        oz_merge_anchor(anchor, d, m, n, ctx->sigma, rows, ctx->cfg.g, chosen, scratch);
        for (int64_t t = 0; t < n; t++)
            if (chosen[t])
                p->audio_state[p->pool[m[t]]] = OMNIZIP_AUDIO_MERGED;
    }
    return OMNIZIP_OK;
}

