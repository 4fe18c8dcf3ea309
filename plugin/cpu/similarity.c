/* Cross-modal max similarity and anchor assignment (stage 1.4) as blocked
 * GEMMs: the unit pool rows against the host's video rows as they lie,
 * reduced by a row max with the video norms applied as column scales, so
 * neither the audio x video matrix nor a normalised copy of the video exists. */
#include "cpu/cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 1024, VBLOCK = 512 };

static int grow(void **p, size_t bytes)
{
    void *q = realloc(*p, bytes ? bytes : 1);
    if (!q)
        return 0;
    *p = q;
    return 1;
}

omnizip_status oz_cpu_reserve(struct oz_cpu *c, int64_t d, int64_t anchors, int64_t tpf,
                              int64_t run)
{
    if (c->pool_u && d <= c->d && anchors <= c->anchor_cap && tpf <= c->tpf_cap &&
        run <= c->run_cap)
        return OMNIZIP_OK;
    d = d > c->d ? d : c->d;
    anchors = anchors > c->anchor_cap ? anchors : c->anchor_cap;
    tpf = tpf > c->tpf_cap ? tpf : c->tpf_cap;
    run = run > c->run_cap ? run : c->run_cap;
    size_t D = (size_t)d, A = (size_t)anchors, T = (size_t)tpf, R = (size_t)run;
    size_t wide = A > VBLOCK ? A : VBLOCK;
    if (!grow((void **)&c->pool_u, CHUNK * D * 4) || !grow((void **)&c->anchor_u, A * D * 4) ||
        !grow((void **)&c->block, VBLOCK * D * 4) || !grow((void **)&c->prod, CHUNK * wide * 4) ||
        !grow((void **)&c->row, D * 4) || !grow((void **)&c->frames, 2 * T * D * 4) ||
        !grow((void **)&c->gram, T * T * 4) || !grow((void **)&c->score, T * 8) ||
        !grow((void **)&c->rho, T * 8) || !grow((void **)&c->order, T * 8) ||
        !grow((void **)&c->norm, R * 8))
        return OMNIZIP_E_NOMEM;
    c->d = d;
    c->anchor_cap = anchors;
    c->tpf_cap = tpf;
    c->run_cap = run;
    return OMNIZIP_OK;
}

void oz_cpu_release(struct oz_cpu *c)
{
    free(c->pool_u);
    free(c->anchor_u);
    free(c->block);
    free(c->prod);
    free(c->row);
    free(c->frames);
    free(c->gram);
    free(c->score);
    free(c->rho);
    free(c->order);
    free(c->norm);
    memset(c, 0, sizeof *c);
}

void oz_cpu_norms(struct oz_cpu *c, const struct omnizip_matrix *m, const struct oz_span *spans,
                  int64_t n_spans, double *norm)
{
    int64_t d = m->cols, at = 0;
    for (int64_t s = 0; s < n_spans; s++)
        for (int64_t r = 0; r < spans[s].len; r++) {
            const float *x = oz_row_ptr(m, spans[s].row + r);
            if (m->dtype != OMNIZIP_DTYPE_F32) {
                oz_row_f32(m, spans[s].row + r, c->row);
                x = c->row;
            }
            norm[at++] = sqrt(oz_dot(x, x, d));
        }
}

static void unit_rows(struct oz_cpu *c, const struct omnizip_matrix *m, const int64_t *rows,
                      int64_t n, float *out)
{
    for (int64_t r = 0; r < n; r++) {
        oz_row_f32(m, rows[r], c->row);
        oz_unit_eps(c->row, m->cols, out + r * m->cols);
    }
}

/* sigma[r] = max(sigma[r], max_j prod[r][j] * scale[j]). */
static void scaled_row_max(const float *prod, int64_t rows, int64_t cols, const float *scale,
                           float *sigma)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *p = prod + r * cols;
        float m = sigma[r];
        for (int64_t j = 0; j < cols; j++) {
            float v = p[j] * scale[j];
            m = v > m ? v : m;
        }
        sigma[r] = m;
    }
}

/* One video block against the pool chunk: B is the block's f32 rows. */
static void video_block(struct oz_cpu *c, const float *b, int64_t ldb, int64_t nb, int64_t np,
                        const double *vnorm, float *sigma)
{
    int64_t d = c->d;
    float scale[VBLOCK];
    for (int64_t j = 0; j < nb; j++)
        scale[j] = (float)(1.0 / (vnorm[j] + 1e-6));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)np, (int)nb, (int)d, 1.0f,
                c->pool_u, (int)d, b, (int)ldb, 0.0f, c->prod, (int)nb);
    c->flops += 2.0 * (double)np * (double)nb * (double)d;
    scaled_row_max(c->prod, np, nb, scale, sigma);
}

omnizip_status oz_cpu_cross(struct oz_cpu *c, const struct omnizip_matrix *audio,
                            const int64_t *pool_rows, int64_t n_pool, const int64_t *anchor_rows,
                            int64_t n_anchor, const struct omnizip_matrix *video,
                            const struct oz_span *spans, int64_t n_spans, const double *vnorm,
                            float *sigma, int64_t *assign)
{
    int64_t d = audio->cols;
    if (oz_cpu_reserve(c, d, n_anchor, c->tpf_cap, c->run_cap) != OMNIZIP_OK)
        return OMNIZIP_E_NOMEM;
    unit_rows(c, audio, anchor_rows, n_anchor, c->anchor_u);
    for (int64_t p0 = 0; p0 < n_pool; p0 += CHUNK) {
        int64_t np = n_pool - p0 < CHUNK ? n_pool - p0 : CHUNK;
        float *sg = sigma + p0;
        int64_t *as = assign + p0;
        unit_rows(c, audio, pool_rows + p0, np, c->pool_u);
        for (int64_t r = 0; r < np; r++) {
            as[r] = -1;
            sg[r] = -INFINITY;
        }
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
        }
        int64_t have_video = 0, at = 0;
        for (int64_t s = 0; s < n_spans; s++)
            have_video += spans[s].len;
        if (have_video > 0)
            for (int64_t r = 0; r < np; r++)
                sg[r] = -INFINITY;
        for (int64_t s = 0; s < n_spans; s++) {
            for (int64_t b0 = 0; b0 < spans[s].len; b0 += VBLOCK) {
                int64_t nb = spans[s].len - b0 < VBLOCK ? spans[s].len - b0 : VBLOCK;
                int64_t row = spans[s].row + b0;
                if (video->dtype == OMNIZIP_DTYPE_F32) {
                    video_block(c, oz_row_ptr(video, row), video->row_stride, nb, np, vnorm + at,
                                sg);
                } else {
                    for (int64_t r = 0; r < nb; r++)
                        oz_row_f32(video, row + r, c->block + r * d);
                    video_block(c, c->block, d, nb, np, vnorm + at, sg);
                }
                at += nb;
            }
        }
    }
    return OMNIZIP_OK;
}
