/* Cross-modal max similarity and anchor assignment (stage 1.4) as blocked
 * GEMMs: pool chunks against video blocks, reduced by a row max, so no
 * audio x video matrix is ever held. */
#include "cpu/cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 256, VBLOCK = 256 };

static int grow(void **p, size_t bytes)
{
    void *q = realloc(*p, bytes ? bytes : 1);
    if (!q)
        return 0;
    *p = q;
    return 1;
}

omnizip_status oz_cpu_reserve(struct oz_cpu *c, int64_t d, int64_t anchors, int64_t tpf)
{
    if (d <= c->d && anchors <= c->anchor_cap && tpf <= c->tpf_cap && c->pool_u)
        return OMNIZIP_OK;
    if (d < c->d)
        d = c->d;
    if (anchors < c->anchor_cap)
        anchors = c->anchor_cap;
    if (tpf < c->tpf_cap)
        tpf = c->tpf_cap;
    size_t D = (size_t)d, A = (size_t)anchors, T = (size_t)tpf;
    size_t wide = A > VBLOCK ? A : VBLOCK;
    if (!grow((void **)&c->pool_u, CHUNK * D * 4) || !grow((void **)&c->anchor_u, A * D * 4) ||
        !grow((void **)&c->video_u, VBLOCK * D * 4) || !grow((void **)&c->prod, CHUNK * wide * 4) ||
        !grow((void **)&c->row, D * 4) || !grow((void **)&c->frame_u, 2 * T * D * 4) ||
        !grow((void **)&c->gram, T * T * 4) || !grow((void **)&c->score, T * 8) ||
        !grow((void **)&c->rho, T * 8) || !grow((void **)&c->order, T * 8) ||
        !grow((void **)&c->keep, T))
        return OMNIZIP_E_NOMEM;
    c->d = d;
    c->anchor_cap = anchors;
    c->tpf_cap = tpf;
    c->pool_cap = CHUNK;
    return OMNIZIP_OK;
}

void oz_cpu_release(struct oz_cpu *c)
{
    free(c->pool_u);
    free(c->anchor_u);
    free(c->video_u);
    free(c->prod);
    free(c->row);
    free(c->frame_u);
    free(c->gram);
    free(c->score);
    free(c->rho);
    free(c->order);
    free(c->keep);
    memset(c, 0, sizeof *c);
}

static void unit_rows(struct oz_cpu *c, const struct omnizip_matrix *m, const int64_t *idx,
                      int64_t base, int64_t first, int64_t n, float *out)
{
    int64_t d = m->cols;
    for (int64_t r = 0; r < n; r++) {
        int64_t row = idx ? idx[r] - base : first + r;
        oz_row_f32(m, row, c->row);
        oz_unit_eps(c->row, d, out + r * d);
    }
}

/* Row max of a chunk x block product into sigma (first block initialises). */
static void row_max(const float *prod, int64_t rows, int64_t cols, float *sigma, int init)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *p = prod + r * cols;
        float m = init ? -INFINITY : sigma[r];
        for (int64_t j = 0; j < cols; j++)
            if (p[j] > m)
                m = p[j];
        sigma[r] = m;
    }
}

omnizip_status oz_cpu_cross(struct oz_cpu *c, const struct omnizip_matrix *audio,
                            int64_t audio_base, const int64_t *pool_idx, int64_t n_pool,
                            const int64_t *anchor_idx, int64_t n_anchor,
                            const struct omnizip_matrix *video, int64_t v0, int64_t v1,
                            float *sigma, int64_t *assign)
{
    int64_t d = audio->cols;
    if (oz_cpu_reserve(c, d, n_anchor, c->tpf_cap) != OMNIZIP_OK)
        return OMNIZIP_E_NOMEM;
    unit_rows(c, audio, anchor_idx, audio_base, 0, n_anchor, c->anchor_u);
    for (int64_t p0 = 0; p0 < n_pool; p0 += CHUNK) {
        int64_t np = n_pool - p0 < CHUNK ? n_pool - p0 : CHUNK;
        unit_rows(c, audio, pool_idx + p0, audio_base, 0, np, c->pool_u);
        float *sg = sigma + p0;
        int64_t *as = assign + p0;
        if (n_anchor > 0) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)np, (int)n_anchor, (int)d,
                        1.0f, c->pool_u, (int)d, c->anchor_u, (int)d, 0.0f, c->prod,
                        (int)n_anchor);
            c->flops += 2.0 * (double)np * (double)n_anchor * (double)d;
            for (int64_t r = 0; r < np; r++) {
                const float *p = c->prod + r * n_anchor;
                int64_t best = 0;
                for (int64_t j = 1; j < n_anchor; j++)
                    if (p[j] > p[best])
                        best = j;
                as[r] = best;
                sg[r] = p[best];
            }
        } else {
            for (int64_t r = 0; r < np; r++) {
                as[r] = -1;
                sg[r] = -INFINITY;
            }
        }
        for (int64_t b0 = v0; b0 < v1; b0 += VBLOCK) {
            int64_t nb = v1 - b0 < VBLOCK ? v1 - b0 : VBLOCK;
            unit_rows(c, video, NULL, 0, b0, nb, c->video_u);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)np, (int)nb, (int)d, 1.0f,
                        c->pool_u, (int)d, c->video_u, (int)d, 0.0f, c->prod, (int)nb);
            c->flops += 2.0 * (double)np * (double)nb * (double)d;
            row_max(c->prod, np, nb, sg, b0 == v0);
        }
    }
    return OMNIZIP_OK;
}
