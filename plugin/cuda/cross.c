/* Stage 1.4-1.5 on the device: cross-modal max similarity and anchor
 * assignment as blocked cuBLAS GEMMs reduced by a row max (no pool x video
 * matrix is held), and the anchor merge with the host's selection. */
#include "cuda/dev.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { CHUNK = 2048, VBLOCK = 4096 };

/* C (rows_b x rows_a, col-major) = B A^T for dense row-major f32 A, B with d
 * columns: row r of A meets every row of B in one contiguous run. */
static omnizip_status gemm_nt(struct oz_cu *cu, const float *a, int64_t rows_a, const float *b,
                              int64_t rows_b, int64_t d, float *c, char *err, size_t es)
{
    const float one = 1.0f, zero = 0.0f;
    return oz_cu_blas(cublasSgemm(cu->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)rows_b, (int)rows_a,
                                  (int)d, &one, b, (int)d, a, (int)d, &zero, c, (int)rows_b),
                      "cublasSgemm (cross similarity)", err, es);
}

/* The least and greatest of n row indices (lists a and b). */
static void row_range(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int64_t *lo,
                      int64_t *hi)
{
    *lo = INT64_MAX;
    *hi = -1;
    for (int64_t i = 0; i < na; i++) {
        *lo = a[i] < *lo ? a[i] : *lo;
        *hi = a[i] > *hi ? a[i] : *hi;
    }
    for (int64_t i = 0; i < nb; i++) {
        *lo = b[i] < *lo ? b[i] : *lo;
        *hi = b[i] > *hi ? b[i] : *hi;
    }
    if (*hi < 0)
        *lo = 0;
}

/* sigma of one pool chunk (unit rows pool_u) against the video of the
 * spans, block by block; the first block initialises. */
static omnizip_status video_max(struct oz_cu *cu, const struct oz_cuda_cross *a,
                                const float *pool_u, int64_t n, int64_t block, float *video_u,
                                float *prod, float *sigma, cudaStream_t s, char *err, size_t es)
{
    int64_t d = a->audio->cols;
    int first = 1;
    for (int64_t k = 0; k < a->n_spans; k++) {
        for (int64_t b0 = 0; b0 < a->spans[k].len; b0 += block) {
            int64_t nb = a->spans[k].len - b0 < block ? a->spans[k].len - b0 : block;
            int64_t r0 = a->spans[k].row + b0;
            struct oz_dview vv;
            TRY(oz_cu_view(cu, a->video, r0, r0 + nb, OZ_S_STAGE_B, s, &vv, err, es));
            TRY(oz_cu_check(oz_k_rows(&vv, NULL, 0, 0, nb, d, OZ_NORM_EPS, video_u, s),
                            "video normalisation kernel", err, es));
            TRY(gemm_nt(cu, pool_u, n, video_u, nb, d, prod, err, es));
            TRY(oz_cu_check(oz_k_rowmax(prod, n, nb, first, sigma, NULL, s), "row max kernel", err,
                            es));
            first = 0;
        }
    }
    return OMNIZIP_OK;
}

omnizip_status oz_cu_cross(struct oz_cu *cu, const struct oz_cuda_cross *a, void *stream, char *err,
                           size_t es)
{
    cudaStream_t s = (cudaStream_t)stream;
    int64_t d = a->audio->cols, np = a->n_pool, na = a->n_anchor, nv = 0, longest = 0;
    for (int64_t k = 0; k < a->n_spans; k++) {
        nv += a->spans[k].len;
        longest = a->spans[k].len > longest ? a->spans[k].len : longest;
    }
    if (np == 0)
        return OMNIZIP_OK;
    if (na == 0 && nv == 0) {
        for (int64_t q = 0; q < np; q++) {
            a->sigma[q] = -INFINITY;
            a->assign[q] = -1;
        }
        return OMNIZIP_OK;
    }
    TRY(oz_cu_blas(cublasSetStream(cu->blas, s), "cublasSetStream", err, es));
    int64_t lo, hi;
    row_range(a->pool_rows, np, a->anchor_rows, na, &lo, &hi);
    struct oz_dview av;
    TRY(oz_cu_view(cu, a->audio, lo, hi + 1, OZ_S_STAGE_A, s, &av, err, es));
    int64_t chunk = np < CHUNK ? np : CHUNK, block = longest < VBLOCK ? longest : VBLOCK;
    int64_t wide = block > na ? block : na;
    int64_t *idx = oz_cu_scratch(cu, OZ_S_IDX, (size_t)(np + na) * 8, err, es);
    float *pool_u = oz_cu_scratch(cu, OZ_S_POOL, (size_t)(chunk * d) * 4, err, es);
    float *other = oz_cu_scratch(cu, OZ_S_OTHER, (size_t)((na + block) * d) * 4, err, es);
    float *prod = oz_cu_scratch(cu, OZ_S_PROD, (size_t)(chunk * wide) * 4, err, es);
    float *sigma = oz_cu_scratch(cu, OZ_S_OUT, (size_t)np * 4, err, es);
    int64_t *assign = oz_cu_scratch(cu, OZ_S_AUX, (size_t)np * 8, err, es);
    if (!idx || !pool_u || !other || !prod || !sigma || !assign)
        return OMNIZIP_E_NOMEM;
    float *anchor_u = other, *video_u = other + na * d;
    const char *up = "uploading index lists";
    TRY(oz_cu_check(cudaMemcpyAsync(idx, a->pool_rows, (size_t)np * 8, cudaMemcpyHostToDevice, s),
                    up, err, es));
    if (na > 0)
        TRY(oz_cu_check(cudaMemcpyAsync(idx + np, a->anchor_rows, (size_t)na * 8,
                                        cudaMemcpyHostToDevice, s),
                        up, err, es));
    const char *kn = "cross-modal similarity kernels";
    TRY(oz_cu_check(oz_k_rows(&av, idx + np, lo, 0, na, d, OZ_NORM_EPS, anchor_u, s), kn, err, es));
    for (int64_t p0 = 0; p0 < np; p0 += chunk) {
        int64_t n = np - p0 < chunk ? np - p0 : chunk;
        TRY(oz_cu_check(oz_k_rows(&av, idx + p0, lo, 0, n, d, OZ_NORM_EPS, pool_u, s), kn, err,
                        es));
        if (na > 0) {
            TRY(gemm_nt(cu, pool_u, n, anchor_u, na, d, prod, err, es));
            TRY(oz_cu_check(oz_k_rowmax(prod, n, na, 1, sigma + p0, assign + p0, s), kn, err, es));
        }
        TRY(video_max(cu, a, pool_u, n, block, video_u, prod, sigma + p0, s, err, es));
    }
    const char *down = "copying sigma and assignment to the host";
    TRY(oz_cu_check(cudaMemcpyAsync(a->sigma, sigma, (size_t)np * 4, cudaMemcpyDeviceToHost, s),
                    down, err, es));
    if (na > 0)
        TRY(oz_cu_check(cudaMemcpyAsync(a->assign, assign, (size_t)np * 8, cudaMemcpyDeviceToHost,
                                        s),
                        down, err, es));
    TRY(oz_cu_check(cudaStreamSynchronize(s), down, err, es));
    if (na == 0)
        for (int64_t q = 0; q < np; q++)
            a->assign[q] = -1;
    return OMNIZIP_OK;
}

omnizip_status oz_cu_merge(struct oz_cu *cu, const struct oz_cuda_merge *a, void *stream, char *err,
                           size_t es)
{
    cudaStream_t s = (cudaStream_t)stream;
    int64_t n = a->n_anchor, m = n > 0 ? a->start[n] : 0, d = a->audio->cols;
    const struct omnizip_matrix *o = a->out;
    if (n == 0)
        return OMNIZIP_OK;
    int64_t lo, hi;
    row_range(a->anchor_row, n, a->member_row, m, &lo, &hi);
    struct oz_dview av;
    TRY(oz_cu_view(cu, a->audio, lo, hi + 1, OZ_S_STAGE_A, s, &av, err, es));
    /* One upload: anchor rows, offsets, member rows, weights, weight sums. */
    size_t words = (size_t)(n + (n + 1) + m + m + n);
    char *buf = oz_cu_scratch(cu, OZ_S_IDX, words * 8, err, es);
    if (!buf)
        return OMNIZIP_E_NOMEM;
    int64_t *anchor_row = (int64_t *)buf, *start = anchor_row + n, *member_row = start + n + 1;
    double *weight = (double *)(member_row + m), *wsum = weight + m;
    const char *up = "uploading the merge selection";
    TRY(oz_cu_check(cudaMemcpyAsync(anchor_row, a->anchor_row, (size_t)n * 8,
                                    cudaMemcpyHostToDevice, s),
                    up, err, es));
    TRY(oz_cu_check(cudaMemcpyAsync(start, a->start, (size_t)(n + 1) * 8, cudaMemcpyHostToDevice,
                                    s),
                    up, err, es));
    if (m > 0) {
        TRY(oz_cu_check(cudaMemcpyAsync(member_row, a->member_row, (size_t)m * 8,
                                        cudaMemcpyHostToDevice, s),
                        up, err, es));
        TRY(oz_cu_check(cudaMemcpyAsync(weight, a->weight, (size_t)m * 8, cudaMemcpyHostToDevice,
                                        s),
                        up, err, es));
    }
    TRY(oz_cu_check(cudaMemcpyAsync(wsum, a->wsum, (size_t)n * 8, cudaMemcpyHostToDevice, s), up,
                    err, es));
    size_t oes = o->dtype == OMNIZIP_DTYPE_F32 ? 4 : 2;
    void *dst = o->data;
    int64_t dst_stride = o->row_stride;
    if (o->memory != OMNIZIP_MEMORY_CUDA) {
        dst = oz_cu_scratch(cu, OZ_S_PROD, (size_t)(n * d) * oes, err, es);
        dst_stride = d;
        if (!dst)
            return OMNIZIP_E_NOMEM;
    }
    TRY(oz_cu_check(oz_k_merge(&av, lo, anchor_row, start, member_row, weight, wsum, n, d, dst,
                               dst_stride, o->dtype, s),
                    "anchor merge kernel", err, es));
    if (o->memory == OMNIZIP_MEMORY_CUDA)
        return OMNIZIP_OK;
    const char *down = "copying merged anchors to the host";
    TRY(oz_cu_check(cudaMemcpy2DAsync(o->data, (size_t)o->row_stride * oes, dst, (size_t)d * oes,
                                      (size_t)d * oes, (size_t)n, cudaMemcpyDeviceToHost, s),
                    down, err, es));
    return oz_cu_check(cudaStreamSynchronize(s), down, err, es);
}
