/* Audio importance: the attention each key receives in the audio encoder's
 * last layer, averaged over heads and queries, computed in query chunks so
 * no T x T matrix exists (ALGORITHM.md "Audio importance scores"). */
#include "engine.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { QCHUNK = 64 };

static void softmax_colsum(float *s, int64_t rows, int64_t t, double *acc)
{
    for (int64_t r = 0; r < rows; r++) {
        float *row = s + r * t;
        float mx = row[0];
        for (int64_t j = 1; j < t; j++)
            mx = row[j] > mx ? row[j] : mx;
        double z = 0.0;
        for (int64_t j = 0; j < t; j++) {
            row[j] = expf(row[j] - mx);
            z += row[j];
        }
        double inv = 1.0 / z;
        for (int64_t j = 0; j < t; j++)
            acc[j] += row[j] * inv;
    }
}

omnizip_status oz_cpu_importance(omnizip_ctx *ctx, const struct omnizip_importance_in *in,
                                 float *scores, int64_t n_scores)
{
    uint32_t h = in->n_heads, pool = in->pool ? in->pool : 1;
    if (h == 0 || in->q.rows % h != 0 || in->k.rows != in->q.rows) {
        oz_seterr(ctx->err, sizeof ctx->err, "audio_importance: q has %lld rows and k %lld, "
                  "not n_heads (%u) blocks of T rows", (long long)in->q.rows,
                  (long long)in->k.rows, h);
        return OMNIZIP_E_INVALID;
    }
    int64_t t = in->q.rows / h, hd = in->q.cols;
    omnizip_status st = oz_check_matrix(ctx, "audio_importance: q", &in->q, in->q.rows, hd);
    if (st == OMNIZIP_OK)
        st = oz_check_matrix(ctx, "audio_importance: k", &in->k, in->k.rows, hd);
    if (st != OMNIZIP_OK)
        return st;
    if (t == 0 || hd <= 0 || n_scores != t / pool) {
        oz_seterr(ctx->err, sizeof ctx->err, "audio_importance: scores holds %lld, expected "
                  "T/pool = %lld/%u = %lld", (long long)n_scores, (long long)t, pool,
                  (long long)(t / pool));
        return OMNIZIP_E_INVALID;
    }
    float *k = malloc((size_t)(t * hd) * sizeof *k), *q = malloc((size_t)(QCHUNK * hd) * sizeof *q);
    float *s = malloc((size_t)(QCHUNK * t) * sizeof *s);
    double *acc = calloc((size_t)t, sizeof *acc);
    if (!k || !q || !s || !acc) {
        free(k), free(q), free(s), free(acc);
        oz_seterr(ctx->err, sizeof ctx->err, "audio_importance: out of memory for T = %lld",
                  (long long)t);
        return OMNIZIP_E_NOMEM;
    }
    float scale = (float)(1.0 / sqrt((double)hd));
    for (uint32_t head = 0; head < h; head++) {
        for (int64_t j = 0; j < t; j++)
            oz_row_f32(&in->k, head * t + j, k + j * hd);
        for (int64_t q0 = 0; q0 < t; q0 += QCHUNK) {
            int64_t nq = t - q0 < QCHUNK ? t - q0 : QCHUNK;
            for (int64_t r = 0; r < nq; r++)
                oz_row_f32(&in->q, head * t + q0 + r, q + r * hd);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)t, (int)hd, scale,
                        q, (int)hd, k, (int)hd, 0.0f, s, (int)t);
            softmax_colsum(s, nq, t, acc);
        }
    }
    double norm = 1.0 / ((double)h * (double)t);
    for (int64_t j = 0; j < n_scores; j++) {
        double v = 0.0;
        for (uint32_t p = 0; p < pool; p++)
            v += acc[j * pool + p] * norm;
        scores[j] = (float)(v / pool);
    }
    free(k), free(q), free(s), free(acc);
    return OMNIZIP_OK;
}
