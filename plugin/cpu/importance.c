/* Audio importance: the attention each key receives in the audio encoder's
 * last layer, averaged over heads and queries, computed in query chunks so
 * no T x T matrix exists (docs/ALGORITHM.md "Audio importance scores"). */
#include "cpu/cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GLIBC__)
#include <immintrin.h>
/* glibc's vector expf (libmvec): the exponentials, T^2 per head, are as
 * much work as the products, and scalar expf would dominate. */
__m128 _ZGVbN4v_expf(__m128 x);
__attribute__((target("avx2"))) __m256 _ZGVdN8v_expf(__m256 x);

__attribute__((target("avx2"))) static int64_t exp8(float *x, int64_t n, float shift)
{
    int64_t j = 0;
    __m256 s = _mm256_set1_ps(shift);
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(x + j, _ZGVdN8v_expf(_mm256_sub_ps(_mm256_loadu_ps(x + j), s)));
    return j;
}

static void exp_row(float *x, int64_t n, float shift)
{
    int64_t j = __builtin_cpu_supports("avx2") ? exp8(x, n, shift) : 0;
    __m128 s = _mm_set1_ps(shift);
    for (; j + 4 <= n; j += 4)
        _mm_storeu_ps(x + j, _ZGVbN4v_expf(_mm_sub_ps(_mm_loadu_ps(x + j), s)));
    for (; j < n; j++)
        x[j] = expf(x[j] - shift);
}
#else
static void exp_row(float *x, int64_t n, float shift)
{
    for (int64_t j = 0; j < n; j++)
        x[j] = expf(x[j] - shift);
}
#endif

/* Queries per product: large enough that re-packing K per chunk is cheap. */
enum { QCHUNK = 256 };

typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

/* Row softmax, then each column's share added into acc (double). Written in
 * vector types with independent lanes: at T^2 elements per head this loop is
 * as much work as the products, and a scalar reduction would be
 * latency-bound. The lanes are combined in a fixed order. */
OZ_CLONES
static void softmax_colsum(float *s, int64_t rows, int64_t t, double *acc)
{
    for (int64_t r = 0; r < rows; r++) {
        float *row = s + r * t;
        float mx = row[0];
        int64_t j = 0;
        float lane[8] = {row[0], row[0], row[0], row[0], row[0], row[0], row[0], row[0]};
        for (; j + 8 <= t; j += 8)
            for (int k = 0; k < 8; k++)
                lane[k] = row[j + k] > lane[k] ? row[j + k] : lane[k];
        for (int k = 0; k < 8; k++)
            mx = lane[k] > mx ? lane[k] : mx;
        for (; j < t; j++)
            mx = row[j] > mx ? row[j] : mx;
        exp_row(row, t, mx);
        v4d z4 = {0};
        for (j = 0; j + 4 <= t; j += 4) {
            v4f v;
            memcpy(&v, row + j, sizeof v);
            z4 += __builtin_convertvector(v, v4d);
        }
        double z = (z4[0] + z4[1]) + (z4[2] + z4[3]);
        for (; j < t; j++)
            z += row[j];
        double inv = 1.0 / z;
        v4d inv4 = {inv, inv, inv, inv};
        for (j = 0; j + 4 <= t; j += 4) {
            v4f v;
            v4d a;
            memcpy(&v, row + j, sizeof v);
            memcpy(&a, acc + j, sizeof a);
            a += __builtin_convertvector(v, v4d) * inv4;
            memcpy(acc + j, &a, sizeof a);
        }
        for (; j < t; j++)
            acc[j] += row[j] * inv;
    }
}

/* One task's share: heads t, t + tasks, ... into its own acc[T]. */
struct heads_arg {
    const struct omnizip_importance_in *in;
    const int64_t *cu; /* window offsets: n_win + 1 of them */
    uint32_t n_win;
    int64_t t, hd;
    uint32_t tasks;
    float scale;
    float **k, **q, **s;
    double **acc;
};

static void heads_task(void *arg, uint32_t task)
{
    const struct heads_arg *a = arg;
    int64_t t = a->t, hd = a->hd;
    float *k = a->k[task], *q = a->q[task], *s = a->s[task];
    for (uint32_t head = task; head < a->in->n_heads; head += a->tasks) {
        for (int64_t j = 0; j < t; j++)
            oz_row_f32(&a->in->k, head * t + j, k + j * hd);
        /* Queries attend to the keys of their own window only. */
        for (uint32_t w = 0; w < a->n_win; w++) {
            int64_t b = a->cu[w], n = a->cu[w + 1] - b;
            for (int64_t q0 = b; q0 < b + n; q0 += QCHUNK) {
                int64_t nq = b + n - q0 < QCHUNK ? b + n - q0 : QCHUNK;
                for (int64_t r = 0; r < nq; r++)
                    oz_row_f32(&a->in->q, head * t + q0 + r, q + r * hd);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)n, (int)hd,
                            a->scale, q, (int)hd, k + b * hd, (int)hd, 0.0f, s, (int)n);
                softmax_colsum(s, nq, n, a->acc[task] + b);
            }
        }
    }
}

omnizip_status oz_cpu_importance(const struct oz_cpu_set *x, const struct omnizip_importance_in *in,
                                 float *scores, int64_t n_scores, char *err, size_t err_size)
{
    uint32_t h = in->n_heads, pool = in->pool ? in->pool : 1;
    int64_t t = in->q.rows / h, hd = in->q.cols;
    /* Without cu_seqlens, one window of all T keys (the 1.0 definition);
     * the engine has checked the offsets. */
    int64_t whole[2] = {0, t}, widest = 0;
    const int64_t *cu = in->cu_seqlens ? in->cu_seqlens : whole;
    uint32_t n_win = in->cu_seqlens ? in->n_cu_seqlens - 1 : 1;
    for (uint32_t w = 0; w < n_win; w++)
        widest = cu[w + 1] - cu[w] > widest ? cu[w + 1] - cu[w] : widest;
    uint32_t tasks = x->tasks < h ? x->tasks : h;
    float *k[tasks], *q[tasks], *sc[tasks];
    double *acc[tasks];
    int ok = 1;
    for (uint32_t w = 0; w < tasks; w++) {
        k[w] = malloc((size_t)(t * hd) * sizeof(float));
        q[w] = malloc((size_t)(QCHUNK * hd) * sizeof(float));
        sc[w] = malloc((size_t)(QCHUNK * (widest ? widest : 1)) * sizeof(float));
        acc[w] = calloc((size_t)t, sizeof(double));
        ok = ok && k[w] && q[w] && sc[w] && acc[w];
    }
    if (ok) {
        struct heads_arg a = {in, cu, n_win, t,  hd, tasks, (float)(1.0 / sqrt((double)hd)),
                              k,  q,  sc,    acc};
        oz_cpu_run(x, tasks, heads_task, &a);
        for (uint32_t w = 1; w < tasks; w++)
            for (int64_t j = 0; j < t; j++)
                acc[0][j] += acc[w][j];
        /* Mean over heads; over queries too in the 1.0 definition, a sum
         * over the window's queries in the windowed one. */
        double norm = 1.0 / ((double)h * (double)(in->cu_seqlens ? 1 : t));
        for (int64_t j = 0; j < n_scores; j++) {
            double v = 0.0;
            for (uint32_t p = 0; p < pool; p++)
                v += acc[0][j * pool + p] * norm;
            scores[j] = (float)(v / pool);
        }
    }
    for (uint32_t w = 0; w < tasks; w++)
        free(k[w]), free(q[w]), free(sc[w]), free(acc[w]);
    if (!ok) {
        ozc_err(err, err_size, "audio_importance: out of memory for T = %lld", (long long)t);
        return OMNIZIP_E_NOMEM;
    }
    return OMNIZIP_OK;
}
