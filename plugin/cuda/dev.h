/*
 * dev.h - inside libomnizip_cuda.so: the device context, its scratch
 * buffers, and the kernel launchers (kernels.cu, select.cu) the C glue calls.
 */
#ifndef OZ_CUDA_DEV_H
#define OZ_CUDA_DEV_H

#include "cuda/api.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

/* Scratch slots: each grows on demand and is reused across calls. */
enum {
    OZ_S_STAGE_A, /* host audio/q rows staged to the device */
    OZ_S_STAGE_B, /* host video/k rows staged to the device */
    OZ_S_IDX,     /* index lists */
    OZ_S_POOL,    /* unit pool chunk / unit frames / q chunk */
    OZ_S_OTHER,   /* unit anchors / video block / k rows */
    OZ_S_PROD,    /* GEMM products */
    OZ_S_OUT,     /* per-row results */
    OZ_S_AUX,     /* second result array */
    OZ_S_COUNT
};

struct oz_cu {
    int device;
    cublasHandle_t blas;
    void *buf[OZ_S_COUNT];
    size_t cap[OZ_S_COUNT];
};

/* Normalisation modes of oz_k_rows. */
enum { OZ_NORM_NONE = 0, OZ_NORM_EPS = 1, OZ_NORM_UNIT = 2 };

/* A device view of matrix rows: data points at row 0 of the view. */
struct oz_dview {
    const void *data;
    int64_t stride;
    omnizip_dtype dtype;
};

/* Grows scratch slot s to at least bytes; NULL with err set on failure. */
void *oz_cu_scratch(struct oz_cu *cu, int slot, size_t bytes, char *err, size_t err_size);

/* Rows [r0, r1) of m as a device view; host rows are copied into slot. */
omnizip_status oz_cu_view(struct oz_cu *cu, const struct omnizip_matrix *m, int64_t r0, int64_t r1,
                          int slot, cudaStream_t s, struct oz_dview *v, char *err, size_t err_size);

/* Checks a CUDA status; writes "what: cuda error text" into err. */
omnizip_status oz_cu_check(cudaError_t e, const char *what, char *err, size_t err_size);
omnizip_status oz_cu_blas(cublasStatus_t e, const char *what, char *err, size_t err_size);

/* Operations (cross.c, istc.c, importance.c). */
omnizip_status oz_cu_cross(struct oz_cu *cu, const struct oz_cuda_cross *a, void *stream, char *err,
                           size_t err_size);
omnizip_status oz_cu_merge(struct oz_cu *cu, const struct oz_cuda_merge *a, void *stream, char *err,
                           size_t err_size);
omnizip_status oz_cu_istc(struct oz_cu *cu, const struct oz_cuda_istc *a, void *stream, char *err,
                          size_t err_size);
omnizip_status oz_cu_importance(struct oz_cu *cu, const struct omnizip_importance_in *in,
                                float *scores, int64_t n_scores, char *err, size_t err_size);

#ifdef __cplusplus
extern "C" {
#endif
/* out[r] = norm(row idx[r] - base (or first + r) of v) in f32, dense n x d. */
cudaError_t oz_k_rows(const struct oz_dview *v, const int64_t *idx, int64_t base, int64_t first,
                      int64_t n, int64_t d, int norm, float *out, cudaStream_t s);
/* Per row r of prod (rows x cols, row-major): the max into val[r]
 * (init: -inf start, else max with val[r]), or with arg != NULL the first
 * argmax into arg[r] and its value into val[r]. */
cudaError_t oz_k_rowmax(const float *prod, int64_t rows, int64_t cols, int init, float *val,
                        int64_t *arg, cudaStream_t s);
/* out row a = (x_a + sum w x_m) / (1 + wsum_a) with rows anchor_row[a] - base
 * and member_row[m] - base of v; start holds n + 1 offsets into the members. */
cudaError_t oz_k_merge(const struct oz_dview *v, int64_t base, const int64_t *anchor_row,
                       const int64_t *start, const int64_t *member_row, const double *weight,
                       const double *wsum, int64_t n, int64_t d, void *out, int64_t out_stride,
                       omnizip_dtype dtype, cudaStream_t s);
/* DPC-KNN scores delta * rho of the even frames into score (frames x tpf;
 * rho: n_even x tpf scratch); gram holds n_even tpf x tpf blocks for
 * frames 0, 2, 4... */
cudaError_t oz_k_dpc(const float *gram, int64_t n_even, int64_t tpf, int32_t k, double *rho,
                     double *score, cudaStream_t s);
/* Temporal cosines of the odd frames of unit rows u into score. */
cudaError_t oz_k_temporal(const float *u, int64_t frames, int64_t tpf, int64_t d, double *score,
                          cudaStream_t s);
/* keep (frames x tpf) gets the num_keep largest scores of even frames and
 * the num_keep smallest of odd ones, ties to the lower index. */
cudaError_t oz_k_select(const double *score, int64_t frames, int64_t tpf, int64_t num_keep,
                        uint8_t *keep, cudaStream_t s);
/* For rows of s (rows x t): softmax per row, column sums added to acc. */
cudaError_t oz_k_softmax_colsum(const float *sm, int64_t rows, int64_t t, float *row_max,
                                double *row_inv, double *acc, cudaStream_t s);
/* scores[j] = mean of acc[j*pool .. j*pool+pool) * norm, as float. */
cudaError_t oz_k_pool(const double *acc, int64_t n, uint32_t pool, double norm, float *scores,
                      cudaStream_t s);
#ifdef __cplusplus
}
#endif

/* Returns the status of x from the calling function when it is not OK. */
#define TRY(x)                    \
    do {                          \
        omnizip_status st_ = (x); \
        if (st_ != OMNIZIP_OK)    \
            return st_;           \
    } while (0)

#endif
