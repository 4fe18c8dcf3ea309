/* libomnizip_cuda.so's C entry: the versioned backend table, the device
 * context, scratch buffers, staging of host rows and error texts. */
#include "cuda/dev.h"
#include "ozc_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

omnizip_status oz_cu_check(cudaError_t e, const char *what, char *err, size_t err_size)
{
    if (e == cudaSuccess)
        return OMNIZIP_OK;
    ozc_err(err, err_size, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    return e == cudaErrorMemoryAllocation ? OMNIZIP_E_NOMEM : OMNIZIP_E_BACKEND;
}

omnizip_status oz_cu_blas(cublasStatus_t e, const char *what, char *err, size_t err_size)
{
    if (e == CUBLAS_STATUS_SUCCESS)
        return OMNIZIP_OK;
    ozc_err(err, err_size, "%s: cuBLAS status %d", what, (int)e);
    return e == CUBLAS_STATUS_ALLOC_FAILED ? OMNIZIP_E_NOMEM : OMNIZIP_E_BACKEND;
}

void *oz_cu_scratch(struct oz_cu *cu, int slot, size_t bytes, char *err, size_t err_size)
{
    if (bytes == 0)
        bytes = 1;
    if (bytes <= cu->cap[slot])
        return cu->buf[slot];
    /* Grow by half again so a slowly growing clip does not reallocate per call. */
    size_t want = bytes + bytes / 2;
    void *p = NULL;
    cudaFree(cu->buf[slot]);
    cu->buf[slot] = NULL;
    cu->cap[slot] = 0;
    cudaError_t e = cudaMalloc(&p, want);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        ozc_err(err, err_size, "cudaMalloc of %zu bytes of device scratch: %s", want,
                cudaGetErrorString(e));
        return NULL;
    }
    cu->buf[slot] = p;
    cu->cap[slot] = want;
    return p;
}

omnizip_status oz_cu_view(struct oz_cu *cu, const struct omnizip_matrix *m, int64_t r0, int64_t r1,
                          int slot, cudaStream_t s, struct oz_dview *v, char *err, size_t err_size)
{
    size_t es = m->dtype == OMNIZIP_DTYPE_F32 ? 4 : 2;
    v->stride = m->row_stride;
    v->dtype = m->dtype;
    v->data = m->data;
    if (r1 <= r0)
        return OMNIZIP_OK;
    size_t off = (size_t)r0 * (size_t)m->row_stride * es;
    if (m->memory == OMNIZIP_MEMORY_CUDA) {
        v->data = (const char *)m->data + off;
        return OMNIZIP_OK;
    }
    size_t bytes = ((size_t)(r1 - r0 - 1) * (size_t)m->row_stride + (size_t)m->cols) * es;
    void *d = oz_cu_scratch(cu, slot, bytes, err, err_size);
    if (!d)
        return OMNIZIP_E_NOMEM;
    v->data = d;
    return oz_cu_check(cudaMemcpyAsync(d, (const char *)m->data + off, bytes,
                                       cudaMemcpyHostToDevice, s),
                       "staging host rows to the device", err, err_size);
}

static omnizip_status open_dev(struct oz_cu **out, char *err, size_t err_size)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        ozc_err(err, err_size, "no CUDA device: cudaGetDeviceCount failed: %s (%s)",
                cudaGetErrorString(e), cudaGetErrorName(e));
        return OMNIZIP_E_BACKEND;
    }
    if (n == 0) {
        ozc_err(err, err_size, "no CUDA device: cudaGetDeviceCount found 0 devices");
        return OMNIZIP_E_BACKEND;
    }
    struct oz_cu *cu = calloc(1, sizeof *cu);
    if (!cu) {
        ozc_err(err, err_size, "cuda backend: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    omnizip_status st = oz_cu_check(cudaGetDevice(&cu->device), "cudaGetDevice", err, err_size);
    if (st == OMNIZIP_OK)
        st = oz_cu_blas(cublasCreate(&cu->blas), "cublasCreate", err, err_size);
    if (st != OMNIZIP_OK) {
        free(cu);
        return st;
    }
    /* No TF32: similarities must stay float32 (docs/ALGORITHM.md). */
    cublasSetMathMode(cu->blas, CUBLAS_DEFAULT_MATH);
    *out = cu;
    return OMNIZIP_OK;
}

static void close_dev(struct oz_cu *cu)
{
    if (!cu)
        return;
    for (int s = 0; s < OZ_S_COUNT; s++)
        cudaFree(cu->buf[s]);
    cublasDestroy(cu->blas);
    free(cu);
}

static void *dev_alloc(struct oz_cu *cu, size_t bytes)
{
    void *p = NULL;
    (void)cu;
    if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess) {
        (void)cudaGetLastError();
        return NULL;
    }
    return p;
}

static void dev_free(struct oz_cu *cu, void *p)
{
    (void)cu;
    cudaFree(p);
}

static omnizip_status dev_copy(struct oz_cu *cu, void *dst, const void *src, size_t bytes, int dir,
                               char *err, size_t err_size)
{
    (void)cu;
    return oz_cu_check(cudaMemcpy(dst, src, bytes,
                                  dir == 0 ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost),
                       "cudaMemcpy", err, err_size);
}

static const struct oz_cuda_backend table = {
    .struct_size = sizeof(struct oz_cuda_backend),
    .version = OZ_CUDA_BACKEND_VERSION,
    .name = "omnizip-cuda",
    .open = open_dev,
    .close = close_dev,
    .cross = oz_cu_cross,
    .merge = oz_cu_merge,
    .istc = oz_cu_istc,
    .importance = oz_cu_importance,
    .alloc = dev_alloc,
    .free = dev_free,
    .copy = dev_copy,
};

EXPORT const struct oz_cuda_backend *oz_cuda_backend_entry(uint32_t version);
EXPORT const struct oz_cuda_backend *oz_cuda_backend_entry(uint32_t version)
{
    return version == OZ_CUDA_BACKEND_VERSION ? &table : NULL;
}
