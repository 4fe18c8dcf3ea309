/* Row kernels of the CUDA backend: conversion with unit normalisation, row
 * max / argmax of GEMM products, the anchor merge, and score pooling. The
 * arithmetic that must match the CPU bit for bit (the merge, the pooling)
 * uses the _rn intrinsics, which nvcc never fuses into FMAs. */
#include "cuda/dev.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>

enum { THREADS = 256 };

__device__ static float load(const void *row, omnizip_dtype t, int64_t c)
{
    if (t == OMNIZIP_DTYPE_F32)
        return ((const float *)row)[c];
    unsigned short h = ((const unsigned short *)row)[c];
    if (t == OMNIZIP_DTYPE_F16)
        return __half2float(__ushort_as_half(h));
    return __uint_as_float((unsigned int)h << 16);
}

__device__ static size_t esize(omnizip_dtype t)
{
    return t == OMNIZIP_DTYPE_F32 ? 4 : 2;
}

__device__ static const void *row_ptr(const oz_dview &v, int64_t r)
{
    return (const char *)v.data + (size_t)r * (size_t)v.stride * esize(v.dtype);
}

/* Block-wide sum of doubles; every thread gets the total. */
__device__ static double block_sum(double x)
{
    __shared__ double part[THREADS / 32];
    for (int o = 16; o > 0; o /= 2)
        x += __shfl_down_sync(0xffffffffu, x, o);
    if ((threadIdx.x & 31) == 0)
        part[threadIdx.x / 32] = x;
    __syncthreads();
    double t = 0.0;
    for (int w = 0; w < THREADS / 32; w++)
        t += part[w];
    __syncthreads();
    return t;
}

__global__ static void rows_kernel(oz_dview v, const int64_t *idx, int64_t base, int64_t first,
                                   int64_t d, int norm, float *out)
{
    int64_t r = blockIdx.x;
    const void *row = row_ptr(v, idx ? idx[r] - base : first + r);
    float *o = out + r * d;
    double ss = 0.0;
    for (int64_t c = threadIdx.x; c < d; c += THREADS) {
        float x = load(row, v.dtype, c);
        o[c] = x;
        ss = __dadd_rn(ss, __dmul_rn((double)x, (double)x));
    }
    if (norm == OZ_NORM_NONE)
        return;
    double n = sqrt(block_sum(ss));
    float inv = norm == OZ_NORM_EPS ? (float)(1.0 / (n + 1e-6)) : (float)(1.0 / fmax(n, 1e-12));
    for (int64_t c = threadIdx.x; c < d; c += THREADS)
        o[c] = __fmul_rn(o[c], inv);
}

extern "C" cudaError_t oz_k_rows(const struct oz_dview *v, const int64_t *idx, int64_t base,
                                 int64_t first, int64_t n, int64_t d, int norm, float *out,
                                 cudaStream_t s)
{
    if (n <= 0)
        return cudaSuccess;
    rows_kernel<<<(unsigned)n, THREADS, 0, s>>>(*v, idx, base, first, d, norm, out);
    return cudaGetLastError();
}

/* Larger value wins; equal values go to the lower column (first on ties). */
__device__ static void better(float &bv, int64_t &bi, float v, int64_t i)
{
    if (v > bv || (v == bv && i < bi) || (bi < 0 && v == v)) {
        bv = v;
        bi = i;
    }
}

__global__ static void rowmax_kernel(const float *prod, int64_t cols, int init, float *val,
                                     int64_t *arg)
{
    __shared__ float sv[THREADS];
    __shared__ int64_t si[THREADS];
    int64_t r = blockIdx.x;
    const float *p = prod + r * cols;
    float bv = -INFINITY;
    int64_t bi = -1;
    for (int64_t j = threadIdx.x; j < cols; j += THREADS)
        better(bv, bi, p[j], j);
    sv[threadIdx.x] = bv;
    si[threadIdx.x] = bi;
    __syncthreads();
    for (int w = THREADS / 2; w > 0; w /= 2) {
        if ((int)threadIdx.x < w && si[threadIdx.x + w] >= 0)
            better(sv[threadIdx.x], si[threadIdx.x], sv[threadIdx.x + w], si[threadIdx.x + w]);
        __syncthreads();
    }
    if (threadIdx.x != 0)
        return;
    if (arg) {
        arg[r] = si[0] < 0 ? 0 : si[0];
        val[r] = si[0] < 0 ? p[0] : sv[0];
    } else if (init || sv[0] > val[r]) {
        val[r] = sv[0];
    }
}

extern "C" cudaError_t oz_k_rowmax(const float *prod, int64_t rows, int64_t cols, int init,
                                   float *val, int64_t *arg, cudaStream_t s)
{
    if (rows <= 0)
        return cudaSuccess;
    rowmax_kernel<<<(unsigned)rows, THREADS, 0, s>>>(prod, cols, init, val, arg);
    return cudaGetLastError();
}

__device__ static void store(void *row, omnizip_dtype t, int64_t c, float x)
{
    if (t == OMNIZIP_DTYPE_F32)
        ((float *)row)[c] = x;
    else if (t == OMNIZIP_DTYPE_F16)
        ((__half *)row)[c] = __float2half_rn(x);
    else
        ((__nv_bfloat16 *)row)[c] = __float2bfloat16_rn(x);
}

__global__ static void merge_kernel(oz_dview v, int64_t base, const int64_t *anchor_row,
                                    const int64_t *start, const int64_t *member_row,
                                    const double *weight, const double *wsum, int64_t d, void *out,
                                    int64_t out_stride, omnizip_dtype dtype)
{
    int64_t a = blockIdx.y, c = (int64_t)blockIdx.x * THREADS + threadIdx.x;
    if (c >= d)
        return;
    double acc = (double)load(row_ptr(v, anchor_row[a] - base), v.dtype, c);
    for (int64_t m = start[a]; m < start[a + 1]; m++) {
        double x = (double)load(row_ptr(v, member_row[m] - base), v.dtype, c);
        acc = __dadd_rn(acc, __dmul_rn(weight[m], x));
    }
    float y = (float)__ddiv_rn(acc, __dadd_rn(1.0, wsum[a]));
    size_t es = dtype == OMNIZIP_DTYPE_F32 ? 4 : 2;
    store((char *)out + (size_t)a * (size_t)out_stride * es, dtype, c, y);
}

extern "C" cudaError_t oz_k_merge(const struct oz_dview *v, int64_t base, const int64_t *anchor_row,
                                  const int64_t *start, const int64_t *member_row,
                                  const double *weight, const double *wsum, int64_t n, int64_t d,
                                  void *out, int64_t out_stride, omnizip_dtype dtype,
                                  cudaStream_t s)
{
    if (n <= 0 || d <= 0)
        return cudaSuccess;
    dim3 grid((unsigned)((d + THREADS - 1) / THREADS), (unsigned)n);
    merge_kernel<<<grid, THREADS, 0, s>>>(*v, base, anchor_row, start, member_row, weight, wsum, d,
                                          out, out_stride, dtype);
    return cudaGetLastError();
}

__global__ static void pool_kernel(const double *acc, int64_t n, uint32_t pool, double norm,
                                   float *scores)
{
    int64_t j = (int64_t)blockIdx.x * THREADS + threadIdx.x;
    if (j >= n)
        return;
    double v = 0.0;
    for (uint32_t p = 0; p < pool; p++)
        v = __dadd_rn(v, __dmul_rn(acc[j * pool + p], norm));
    scores[j] = (float)__ddiv_rn(v, (double)pool);
}

extern "C" cudaError_t oz_k_pool(const double *acc, int64_t n, uint32_t pool, double norm,
                                 float *scores, cudaStream_t s)
{
    if (n <= 0)
        return cudaSuccess;
    pool_kernel<<<(unsigned)((n + THREADS - 1) / THREADS), THREADS, 0, s>>>(acc, n, pool, norm,
                                                                            scores);
    return cudaGetLastError();
}
