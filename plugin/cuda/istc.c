/* Stage 3 and audio importance on the device: unit frames, the Gram matrices
 * of all even frames in one strided-batched GEMM, DPC-KNN and temporal
 * scores, per-frame top-k; chunked Q K^T with softmax column sums. */
#include "cuda/dev.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { QCHUNK = 2048 };

omnizip_status oz_cu_istc(struct oz_cu *cu, const struct oz_cuda_istc *a, void *stream, char *err,
                          size_t es)
{
    cudaStream_t s = (cudaStream_t)stream;
    int64_t n = a->n, d = a->video->cols, tpf = a->tpf, frames = a->frames;
    if (frames == 0) {
        memset(a->keep, 1, (size_t)n);
        return OMNIZIP_OK;
    }
    if (tpf <= 0 || frames * tpf > n) {
        snprintf(err, es, "istc: %lld frames of %lld tokens do not fit a run of %lld",
                 (long long)frames, (long long)tpf, (long long)n);
        return OMNIZIP_E_INVALID;
    }
    if (a->num_keep >= tpf) {
        memset(a->keep, 1, (size_t)(frames * tpf));
        memset(a->keep + frames * tpf, 0, (size_t)(n - frames * tpf));
        return OMNIZIP_OK;
    }
    int64_t nt = frames * tpf, n_even = (frames + 1) / 2;
    struct oz_dview v;
    TRY(oz_cu_view(cu, a->video, a->row, a->row + nt, OZ_S_STAGE_B, s, &v, err, es));
    float *u = oz_cu_scratch(cu, OZ_S_POOL, (size_t)(nt * d) * 4, err, es);
    float *gram = oz_cu_scratch(cu, OZ_S_PROD, (size_t)(n_even * tpf * tpf) * 4, err, es);
    double *score = oz_cu_scratch(cu, OZ_S_OUT, (size_t)nt * 8, err, es);
    double *rho = oz_cu_scratch(cu, OZ_S_AUX, (size_t)(n_even * tpf) * 8, err, es);
    uint8_t *keep = oz_cu_scratch(cu, OZ_S_IDX, (size_t)nt, err, es);
    if (!u || !gram || !score || !rho || !keep)
        return OMNIZIP_E_NOMEM;
    const char *kn = "istc kernels";
    TRY(oz_cu_check(oz_k_rows(&v, NULL, 0, 0, nt, d, OZ_NORM_UNIT, u, s), kn, err, es));
    TRY(oz_cu_blas(cublasSetStream(cu->blas, s), "cublasSetStream", err, es));
    const float one = 1.0f, zero = 0.0f;
    long long step = (long long)(2 * tpf * d);
    TRY(oz_cu_blas(cublasSgemmStridedBatched(cu->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)tpf, (int)tpf,
                                             (int)d, &one, u, (int)d, step, u, (int)d, step, &zero,
                                             gram, (int)tpf, (long long)(tpf * tpf), (int)n_even),
                   "cublasSgemmStridedBatched (frame Gram matrices)", err, es));
    TRY(oz_cu_check(oz_k_dpc(gram, n_even, tpf, a->dpc_k, rho, score, s), kn, err, es));
    TRY(oz_cu_check(oz_k_temporal(u, frames, tpf, d, score, s), kn, err, es));
    TRY(oz_cu_check(oz_k_select(score, frames, tpf, a->num_keep, keep, s), kn, err, es));
    const char *down = "copying the keep mask to the host";
    TRY(oz_cu_check(cudaMemcpyAsync(a->keep, keep, (size_t)nt, cudaMemcpyDeviceToHost, s), down,
                    err, es));
    TRY(oz_cu_check(cudaStreamSynchronize(s), down, err, es));
    /* Tokens after the last whole frame are dropped (docs/ALGORITHM.md, stage 3). */
    memset(a->keep + nt, 0, (size_t)(n - nt));
    return OMNIZIP_OK;
}

static int valid_matrix(const struct omnizip_matrix *m)
{
    return m->data && m->cols > 0 && m->row_stride >= m->cols &&
           (m->memory == OMNIZIP_MEMORY_HOST || m->memory == OMNIZIP_MEMORY_CUDA) &&
           (m->dtype == OMNIZIP_DTYPE_F32 || m->dtype == OMNIZIP_DTYPE_F16 ||
            m->dtype == OMNIZIP_DTYPE_BF16);
}

omnizip_status oz_cu_importance(struct oz_cu *cu, const struct omnizip_importance_in *in,
                                float *scores, int64_t n_scores, char *err, size_t es)
{
    cudaStream_t s = (cudaStream_t)in->stream;
    uint32_t h = in->n_heads, pool = in->pool ? in->pool : 1;
    if (h == 0 || in->q.rows % h != 0 || in->k.rows != in->q.rows || in->q.cols != in->k.cols ||
        !valid_matrix(&in->q) || !valid_matrix(&in->k)) {
        snprintf(err, es,
                 "audio_importance: q (%lld x %lld) and k (%lld x %lld) must be "
                 "n_heads (%u) blocks of T rows of one head_dim, with data, a known dtype "
                 "and row_stride >= cols",
                 (long long)in->q.rows, (long long)in->q.cols, (long long)in->k.rows,
                 (long long)in->k.cols, h);
        return OMNIZIP_E_INVALID;
    }
    int64_t t = in->q.rows / h, hd = in->q.cols;
    if (t == 0 || n_scores != t / pool) {
        snprintf(err, es,
                 "audio_importance: scores holds %lld, expected T/pool = %lld/%u = "
                 "%lld",
                 (long long)n_scores, (long long)t, pool, (long long)(t / pool));
        return OMNIZIP_E_INVALID;
    }
    struct oz_dview qv, kv;
    TRY(oz_cu_view(cu, &in->q, 0, in->q.rows, OZ_S_STAGE_A, s, &qv, err, es));
    TRY(oz_cu_view(cu, &in->k, 0, in->k.rows, OZ_S_STAGE_B, s, &kv, err, es));
    int64_t chunk = t < QCHUNK ? t : QCHUNK;
    float *q = oz_cu_scratch(cu, OZ_S_POOL, (size_t)(chunk * hd) * 4, err, es);
    float *k = oz_cu_scratch(cu, OZ_S_OTHER, (size_t)(t * hd) * 4, err, es);
    float *sm = oz_cu_scratch(cu, OZ_S_PROD, (size_t)(chunk * t) * 4, err, es);
    double *acc = oz_cu_scratch(cu, OZ_S_OUT, (size_t)t * 8, err, es);
    double *row_inv = oz_cu_scratch(cu, OZ_S_AUX, (size_t)chunk * 12, err, es);
    float *out = oz_cu_scratch(cu, OZ_S_IDX, (size_t)n_scores * 4 + 4, err, es);
    if (!q || !k || !sm || !acc || !row_inv || !out)
        return OMNIZIP_E_NOMEM;
    float *row_max = (float *)(row_inv + chunk);
    const char *kn = "audio importance kernels";
    TRY(oz_cu_check(cudaMemsetAsync(acc, 0, (size_t)t * 8, s), kn, err, es));
    TRY(oz_cu_blas(cublasSetStream(cu->blas, s), "cublasSetStream", err, es));
    const float scale = (float)(1.0 / sqrt((double)hd)), zero = 0.0f;
    for (uint32_t head = 0; head < h; head++) {
        int64_t r0 = (int64_t)head * t;
        TRY(oz_cu_check(oz_k_rows(&kv, NULL, 0, r0, t, hd, OZ_NORM_NONE, k, s), kn, err, es));
        for (int64_t q0 = 0; q0 < t; q0 += chunk) {
            int64_t nq = t - q0 < chunk ? t - q0 : chunk;
            TRY(oz_cu_check(oz_k_rows(&qv, NULL, 0, r0 + q0, nq, hd, OZ_NORM_NONE, q, s), kn, err,
                            es));
            TRY(oz_cu_blas(cublasSgemm(cu->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)t, (int)nq, (int)hd,
                                       &scale, k, (int)hd, q, (int)hd, &zero, sm, (int)t),
                           "cublasSgemm (Q K^T)", err, es));
            TRY(oz_cu_check(oz_k_softmax_colsum(sm, nq, t, row_max, row_inv, acc, s), kn, err, es));
        }
    }
    double norm = 1.0 / ((double)h * (double)t);
    TRY(oz_cu_check(oz_k_pool(acc, n_scores, pool, norm, out, s), kn, err, es));
    const char *down = "copying scores to the host";
    TRY(oz_cu_check(cudaMemcpyAsync(scores, out, (size_t)n_scores * 4, cudaMemcpyDeviceToHost, s),
                    down, err, es));
    return oz_cu_check(cudaStreamSynchronize(s), down, err, es);
}
