/* Per-frame kernels of stage 3 (DPC-KNN scores from the Gram matrices,
 * temporal cosines, top-k keep masks) and the softmax column sums of audio
 * importance. Frames are small (a few hundred tokens), so a frame's top-k
 * is a block-level rank count instead of a sort. */
#include "cuda/dev.h"

#include <math.h>

enum { THREADS = 256 };

/* Distance i-j read from the upper triangle, so it is symmetric as on the
 * CPU, which mirrors its SYRK result. */
__device__ static double dist(const float *g, int64_t tpf, int64_t i, int64_t j)
{
    int64_t a = i < j ? i : j, b = i < j ? j : i;
    return 1.0 - (double)g[a * tpf + b];
}

/* rho_i = exp(-mean of the k smallest distances), summed in ascending order
 * like the CPU so equal distance sets give equal rho. The next smallest is
 * found by scanning for the least (distance, index) above the last one. */
__global__ static void rho_kernel(const float *gram, int64_t tpf, int32_t k, double *rho)
{
    const float *g = gram + (size_t)blockIdx.x * (size_t)(tpf * tpf);
    double *r = rho + (int64_t)blockIdx.x * tpf;
    int64_t kk = k < tpf - 1 ? k : tpf - 1;
    for (int64_t i = threadIdx.x; i < tpf; i += THREADS) {
        if (kk <= 0) {
            r[i] = 1.0;
            continue;
        }
        double last = -INFINITY, sum = 0.0;
        int64_t last_j = -1;
        for (int64_t t = 0; t < kk; t++) {
            double best = INFINITY;
            int64_t best_j = -1;
            for (int64_t j = 0; j < tpf; j++) {
                if (j == i)
                    continue;
                double d = dist(g, tpf, i, j);
                int above = d > last || (d == last && j > last_j);
                if (above && (best_j < 0 || d < best))
                    best = d, best_j = j;
            }
            last = best;
            last_j = best_j;
            sum = __dadd_rn(sum, best);
        }
        r[i] = exp(-__ddiv_rn(sum, (double)kk));
    }
}

__global__ static void delta_kernel(const float *gram, int64_t tpf, const double *rho,
                                    double *score)
{
    int64_t e = blockIdx.x;
    const float *g = gram + (size_t)e * (size_t)(tpf * tpf);
    const double *r = rho + e * tpf;
    double *s = score + 2 * e * tpf;
    for (int64_t i = threadIdx.x; i < tpf; i += THREADS) {
        double dmin = INFINITY, dmax = 0.0;
        int denser = 0, any = 0;
        for (int64_t j = 0; j < tpf; j++) {
            if (j == i)
                continue;
            double d = dist(g, tpf, i, j);
            if (!any || d > dmax)
                dmax = d;
            any = 1;
            if (r[j] > r[i] && d < dmin) {
                dmin = d;
                denser = 1;
            }
        }
        double delta = denser ? dmin : (any ? dmax : 0.0);
        s[i] = __dmul_rn(delta, r[i]);
    }
}

extern "C" cudaError_t oz_k_dpc(const float *gram, int64_t n_even, int64_t tpf, int32_t k,
                                double *rho, double *score, cudaStream_t s)
{
    if (n_even <= 0)
        return cudaSuccess;
    rho_kernel<<<(unsigned)n_even, THREADS, 0, s>>>(gram, tpf, k, rho);
    delta_kernel<<<(unsigned)n_even, THREADS, 0, s>>>(gram, tpf, rho, score);
    return cudaGetLastError();
}

/* One warp per token of an odd frame: the dot of its unit row with the same
 * position of the previous frame. */
__global__ static void temporal_kernel(const float *u, int64_t frames, int64_t tpf, int64_t d,
                                       double *score)
{
    int64_t w = ((int64_t)blockIdx.x * THREADS + threadIdx.x) / 32;
    int lane = threadIdx.x & 31;
    int64_t odd = frames / 2;
    if (w >= odd * tpf)
        return;
    int64_t f = 2 * (w / tpf) + 1, j = w % tpf;
    const float *a = u + (f * tpf + j) * d, *b = a - tpf * d;
    double dot = 0.0;
    for (int64_t c = lane; c < d; c += 32)
        dot = __dadd_rn(dot, __dmul_rn((double)a[c], (double)b[c]));
    for (int o = 16; o > 0; o /= 2)
        dot += __shfl_down_sync(0xffffffffu, dot, o);
    if (lane == 0)
        score[f * tpf + j] = dot;
}

extern "C" cudaError_t oz_k_temporal(const float *u, int64_t frames, int64_t tpf, int64_t d,
                                     double *score, cudaStream_t s)
{
    int64_t warps = (frames / 2) * tpf;
    if (warps <= 0)
        return cudaSuccess;
    int64_t blocks = (warps * 32 + THREADS - 1) / THREADS;
    temporal_kernel<<<(unsigned)blocks, THREADS, 0, s>>>(u, frames, tpf, d, score);
    return cudaGetLastError();
}

/* Token i's rank in its frame (largest first on even frames, smallest first
 * on odd ones, ties to the lower index) decides whether it is kept. */
__global__ static void select_kernel(const double *score, int64_t tpf, int64_t num_keep,
                                     uint8_t *keep)
{
    int64_t f = blockIdx.x;
    const double *s = score + f * tpf;
    int desc = (f & 1) == 0;
    for (int64_t i = threadIdx.x; i < tpf; i += THREADS) {
        int64_t rank = 0;
        for (int64_t j = 0; j < tpf; j++) {
            int before = desc ? s[j] > s[i] : s[j] < s[i];
            rank += before || (s[j] == s[i] && j < i);
        }
        keep[f * tpf + i] = rank < num_keep;
    }
}

extern "C" cudaError_t oz_k_select(const double *score, int64_t frames, int64_t tpf,
                                   int64_t num_keep, uint8_t *keep, cudaStream_t s)
{
    if (frames <= 0)
        return cudaSuccess;
    select_kernel<<<(unsigned)frames, THREADS, 0, s>>>(score, tpf, num_keep, keep);
    return cudaGetLastError();
}

/* Row r: its max and 1 / sum of exp(x - max), the sum in double as on the
 * CPU. */
__global__ static void softmax_rows_kernel(const float *sm, int64_t t, float *row_max,
                                           double *row_inv)
{
    __shared__ float m[THREADS];
    __shared__ double z[THREADS];
    const float *p = sm + (int64_t)blockIdx.x * t;
    float mx = -INFINITY;
    for (int64_t j = threadIdx.x; j < t; j += THREADS)
        mx = p[j] > mx ? p[j] : mx;
    m[threadIdx.x] = mx;
    __syncthreads();
    for (int w = THREADS / 2; w > 0; w /= 2) {
        if ((int)threadIdx.x < w && m[threadIdx.x + w] > m[threadIdx.x])
            m[threadIdx.x] = m[threadIdx.x + w];
        __syncthreads();
    }
    mx = m[0];
    double acc = 0.0;
    for (int64_t j = threadIdx.x; j < t; j += THREADS)
        acc += (double)expf(__fsub_rn(p[j], mx));
    z[threadIdx.x] = acc;
    __syncthreads();
    for (int w = THREADS / 2; w > 0; w /= 2) {
        if ((int)threadIdx.x < w)
            z[threadIdx.x] += z[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        row_max[blockIdx.x] = mx;
        row_inv[blockIdx.x] = 1.0 / z[0];
    }
}

__global__ static void colsum_kernel(const float *sm, int64_t rows, int64_t t, const float *row_max,
                                     const double *row_inv, double *acc)
{
    int64_t j = (int64_t)blockIdx.x * THREADS + threadIdx.x;
    if (j >= t)
        return;
    double a = acc[j];
    for (int64_t r = 0; r < rows; r++)
        a = __dadd_rn(a, __dmul_rn((double)expf(__fsub_rn(sm[r * t + j], row_max[r])), row_inv[r]));
    acc[j] = a;
}

extern "C" cudaError_t oz_k_softmax_colsum(const float *sm, int64_t rows, int64_t t, float *row_max,
                                           double *row_inv, double *acc, cudaStream_t s)
{
    if (rows <= 0 || t <= 0)
        return cudaSuccess;
    softmax_rows_kernel<<<(unsigned)rows, THREADS, 0, s>>>(sm, t, row_max, row_inv);
    colsum_kernel<<<(unsigned)((t + THREADS - 1) / THREADS), THREADS, 0, s>>>(sm, rows, t, row_max,
                                                                              row_inv, acc);
    return cudaGetLastError();
}
