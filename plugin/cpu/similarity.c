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

omnizip_status oz_cpu_reserve(struct oz_cpu *c, int64_t d, int64_t pool, int64_t anchors,
                              int64_t tpf, int64_t run, int convert)
{
    pool = pool < 1 ? 1 : pool > CHUNK ? CHUNK : pool;
    if (c->row && d <= c->d && pool <= c->pool_cap && anchors <= c->anchor_cap &&
        tpf <= c->tpf_cap && run <= c->run_cap && (!convert || c->block))
        return OMNIZIP_OK;
    d = d > c->d ? d : c->d;
    pool = pool > c->pool_cap ? pool : c->pool_cap;
    anchors = anchors > c->anchor_cap ? anchors : c->anchor_cap;
    tpf = tpf > c->tpf_cap ? tpf : c->tpf_cap;
    run = run > c->run_cap ? run : c->run_cap;
    /* Every size is computed (overflow-checked) before anything is touched. */
    size_t D = (size_t)d, P = (size_t)pool, A = (size_t)anchors, T = (size_t)tpf, R = (size_t)run;
    size_t wide = A > VBLOCK ? A : VBLOCK;
    size_t pool_b, anchor_b, prod_b, gram_b, block_b, frames_b;
    if (d < 0 || anchors < 0 || tpf < 0 || run < 0 || __builtin_mul_overflow(P * 4, D, &pool_b) ||
        __builtin_mul_overflow(A * 4, D, &anchor_b) ||
        __builtin_mul_overflow(P * 4, wide, &prod_b) || __builtin_mul_overflow(T * 4, T, &gram_b) ||
        __builtin_mul_overflow((size_t)VBLOCK * 4, D, &block_b) ||
        __builtin_mul_overflow(T * 8, D, &frames_b) || T > SIZE_MAX / 8 || R > SIZE_MAX / 8)
        return OMNIZIP_E_NOMEM;
    /* A failure part-way leaves some buffers grown and the capacities as
     * they were: every buffer still holds at least what its capacity says. */
    if (!grow((void **)&c->pool_u, pool_b) || !grow((void **)&c->anchor_u, anchor_b) ||
        !grow((void **)&c->prod, prod_b) || !grow((void **)&c->row, D * 4) ||
        !grow((void **)&c->acc, D * 8) || !grow((void **)&c->gram, gram_b) ||
        !grow((void **)&c->score, T * 8) || !grow((void **)&c->rho, T * 8) ||
        !grow((void **)&c->order, T * 8) || !grow((void **)&c->norm, R * 8) ||
        !grow((void **)&c->part, P * 4))
        return OMNIZIP_E_NOMEM;
    /* F32 rows are used where they lie; only other dtypes need f32 copies. */
    if ((convert || c->block) &&
        (!grow((void **)&c->block, block_b) || !grow((void **)&c->frames, frames_b)))
        return OMNIZIP_E_NOMEM;
    c->d = d;
    c->pool_cap = pool;
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
    free(c->acc);
    free(c->frames);
    free(c->gram);
    free(c->score);
    free(c->rho);
    free(c->order);
    free(c->norm);
    free(c->part);
    memset(c, 0, sizeof *c);
}

struct norms_arg {
    const struct oz_cpu_set *x;
    const struct omnizip_matrix *m;
    const struct oz_span *spans;
    int64_t n_spans;
    double *norm;
};

static void norms_task(void *arg, uint32_t t)
{
    const struct norms_arg *a = arg;
    struct oz_cpu *c = &a->x->work[t];
    int64_t d = a->m->cols, at = 0;
    for (int64_t s = 0; s < a->n_spans; s++) {
        if (s % a->x->tasks == t)
            for (int64_t r = 0; r < a->spans[s].len; r++) {
                const float *v = oz_row_ptr(a->m, a->spans[s].row + r);
                if (a->m->dtype != OMNIZIP_DTYPE_F32) {
                    oz_row_f32(a->m, a->spans[s].row + r, c->row);
                    v = c->row;
                }
                a->norm[at + r] = sqrt(oz_dot(v, v, d));
            }
        at += a->spans[s].len;
    }
}

void oz_cpu_norms(const struct oz_cpu_set *x, const struct omnizip_matrix *m,
                  const struct oz_span *spans, int64_t n_spans, double *norm)
{
    struct norms_arg a = {x, m, spans, n_spans, norm};
    oz_cpu_run(x, x->tasks, norms_task, &a);
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

/* One video block against the pool chunk (in work[0].pool_u); b holds the
 * block's f32 rows. */
static void video_block(struct oz_cpu *c, const float *pool_u, const float *b, int64_t ldb,
                        int64_t nb, int64_t np, const double *vnorm)
{
    int64_t d = c->d;
    float scale[VBLOCK];
    for (int64_t j = 0; j < nb; j++)
        scale[j] = (float)(1.0 / (vnorm[j] + 1e-6));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)np, (int)nb, (int)d, 1.0f, pool_u,
                (int)d, b, (int)ldb, 0.0f, c->prod, (int)nb);
    c->flops += 2.0 * (double)np * (double)nb * (double)d;
    scaled_row_max(c->prod, np, nb, scale, c->part);
}

struct cross_arg {
    const struct oz_cpu_set *x;
    const float *pool_u;
    int64_t np;
    const struct omnizip_matrix *video;
    const struct oz_span *spans;
    int64_t n_spans;
    double *vnorm;
    int fill_norms; /* compute the block's norms first, while it is in cache */
    int64_t next;   /* the next block to take */
};

/* Tasks take the blocks of the video in scope in turn, into their part[]. */
static void cross_task(void *arg, uint32_t t)
{
    struct cross_arg *a = arg;
    struct oz_cpu *c = &a->x->work[t];
    const struct omnizip_matrix *v = a->video;
    int64_t d = v->cols;
    for (int64_t r = 0; r < a->np; r++)
        c->part[r] = -INFINITY;
    int64_t mine = __atomic_fetch_add(&a->next, 1, __ATOMIC_RELAXED);
    int64_t at = 0, k = 0;
    for (int64_t s = 0; s < a->n_spans; s++)
        for (int64_t b0 = 0; b0 < a->spans[s].len; b0 += VBLOCK, k++) {
            int64_t nb = a->spans[s].len - b0 < VBLOCK ? a->spans[s].len - b0 : VBLOCK;
            int64_t row = a->spans[s].row + b0;
            if (k == mine) {
                const float *b = oz_row_ptr(v, row);
                int64_t ld = v->row_stride;
                if (v->dtype != OMNIZIP_DTYPE_F32) {
                    for (int64_t r = 0; r < nb; r++)
                        oz_row_f32(v, row + r, c->block + r * d);
                    b = c->block;
                    ld = d;
                }
                for (int64_t r = 0; a->fill_norms && r < nb; r++)
                    a->vnorm[at + r] = sqrt(oz_dot(b + r * ld, b + r * ld, d));
                video_block(c, a->pool_u, b, ld, nb, a->np, a->vnorm + at);
                mine = __atomic_fetch_add(&a->next, 1, __ATOMIC_RELAXED);
            }
            at += nb;
        }
}

void oz_cpu_cross(const struct oz_cpu_set *x, const struct oz_cross *in)
{
    const struct omnizip_matrix *audio = in->audio, *video = in->video;
    const int64_t *pool_rows = in->pool_rows, *anchor_rows = in->anchor_rows;
    const struct oz_span *spans = in->spans;
    int64_t n_pool = in->n_pool, n_anchor = in->n_anchor, n_spans = in->n_spans;
    float *sigma = in->sigma;
    int64_t *assign = in->assign;
    struct oz_cpu *c = &x->work[0];
    int64_t d = audio->cols, have_video = 0, blocks = 0;
    for (int64_t s = 0; s < n_spans; s++) {
        have_video += spans[s].len;
        blocks += (spans[s].len + VBLOCK - 1) / VBLOCK;
    }
    unit_rows(c, audio, anchor_rows, n_anchor, c->anchor_u);
    int64_t chunk = c->pool_cap;
    for (int64_t p0 = 0; p0 < n_pool; p0 += chunk) {
        int64_t np = n_pool - p0 < chunk ? n_pool - p0 : chunk;
        float *sg = sigma + p0;
        int64_t *as = assign + p0;
        unit_rows(c, audio, pool_rows + p0, np, c->pool_u);
        for (int64_t r = 0; r < np; r++) {
            as[r] = -1;
            sg[r] = -INFINITY;
        }
        if (n_anchor > 0) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)np, (int)n_anchor, (int)d,
                        1.0f, c->pool_u, (int)d, c->anchor_u, (int)d, 0.0f, c->prod, (int)n_anchor);
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
        if (have_video == 0)
            continue;
        struct cross_arg a = {x,     c->pool_u, np,        video,
                              spans, n_spans,   in->vnorm, in->fill_norms && p0 == 0,
                              0};
        uint32_t n = blocks < (int64_t)x->tasks ? (uint32_t)blocks : x->tasks;
        if (n <= 1) {
            struct oz_cpu_set one = *x;
            one.tasks = 1;
            a.x = &one;
            cross_task(&a, 0);
        } else {
            oz_cpu_run(x, n, cross_task, &a);
        }
        for (int64_t r = 0; r < np; r++) {
            float m = -INFINITY;
            for (uint32_t t = 0; t < (n > 1 ? n : 1); t++)
                m = x->work[t].part[r] > m ? x->work[t].part[r] : m;
            sg[r] = m;
        }
    }
}
