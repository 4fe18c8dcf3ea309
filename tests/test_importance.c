/* The audio-importance helper through the real .so against a naive version
 * written here from docs/ALGORITHM.md: the full softmax(q k^T / sqrt(d)) per head,
 * in double, column means over heads and queries, pooled with the odd tail
 * dropped. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omnizip/omnizip.h>

#include "plugin_table.h"

static const struct omnizip_plugin *plugin(void)
{
    return test_plugin_table();
}

static void naive(const float *q, const float *k, int h, int t, int hd, int pool, double *out)
{
    double *acc = calloc((size_t)t, sizeof *acc), *row = malloc((size_t)t * sizeof *row);
    for (int a = 0; a < h; a++)
        for (int i = 0; i < t; i++) {
            double mx = -INFINITY, z = 0.0;
            for (int j = 0; j < t; j++) {
                double dot = 0.0;
                for (int c = 0; c < hd; c++)
                    dot += (double)q[(a * t + i) * hd + c] * k[(a * t + j) * hd + c];
                row[j] = dot / sqrt((double)hd);
                mx = row[j] > mx ? row[j] : mx;
            }
            for (int j = 0; j < t; j++)
                z += row[j] = exp(row[j] - mx);
            for (int j = 0; j < t; j++)
                acc[j] += row[j] / z;
        }
    for (int j = 0; j < t / pool; j++) {
        double v = 0.0;
        for (int p = 0; p < pool; p++)
            v += acc[j * pool + p] / ((double)h * t);
        out[j] = v / pool;
    }
    free(acc), free(row);
}

static void fill(float *x, int n, unsigned seed)
{
    for (int i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((seed >> 9) % 4001) / 1000.0f - 2.0f;
    }
}

static void check(int h, int t, int hd, int pool, int threads)
{
    const struct omnizip_plugin *p = plugin();
    char err[256], th[8];
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    p->config_default(&cfg);
    snprintf(th, sizeof th, "%d", threads);
    cr_assert_eq(p->config_set(&cfg, "threads", th, err, sizeof err), 0, "%s", err);
    omnizip_ctx *ctx;
    cr_assert_eq(p->create(&cfg, NULL, &ctx, err, sizeof err), 0, "%s", err);
    float *q = malloc((size_t)h * t * hd * 4), *k = malloc((size_t)h * t * hd * 4);
    fill(q, h * t * hd, 1u + (unsigned)t);
    fill(k, h * t * hd, 7u + (unsigned)hd);
    struct omnizip_importance_in in = {.struct_size = sizeof in,
                                       .n_heads = (uint32_t)h,
                                       .pool = (uint32_t)pool,
                                       .q = {q, h * t, hd, hd, OMNIZIP_DTYPE_F32,
                                             OMNIZIP_MEMORY_HOST},
                                       .k = {k, h * t, hd, hd, OMNIZIP_DTYPE_F32,
                                             OMNIZIP_MEMORY_HOST}};
    int n = t / pool;
    float *got = malloc((size_t)n * 4);
    double *want = malloc((size_t)n * 8), sum = 0.0;
    cr_assert_eq(p->audio_importance(ctx, &in, got, n), 0, "%s", p->last_error(ctx));
    naive(q, k, h, t, hd, pool, want);
    for (int j = 0; j < n; j++) {
        cr_assert_float_eq(got[j], want[j], 1e-5 * fmax(1e-3, fabs(want[j])) + 1e-7,
                           "T=%d score %d: %g vs %g", t, j, got[j], want[j]);
        sum += got[j];
    }
    /* Each query's attention sums to 1: the means sum to 1 when nothing is
     * dropped by pooling. */
    if (t % pool == 0)
        cr_assert_float_eq(sum * pool, 1.0, 1e-4);
    p->destroy(ctx);
    free(q), free(k), free(got), free(want);
}

Test(importance, matches_naive_small)
{
    check(3, 37, 8, 2, 1);
}
Test(importance, matches_naive_more_rows_than_a_chunk)
{
    check(4, 150, 16, 2, 2);
}
Test(importance, no_pooling_many_threads)
{
    check(5, 66, 8, 1, 3);
}

Test(importance, refuses_bad_shapes)
{
    const struct omnizip_plugin *p = plugin();
    char err[256];
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    p->config_default(&cfg);
    omnizip_ctx *ctx;
    cr_assert_eq(p->create(&cfg, NULL, &ctx, err, sizeof err), 0);
    float q[2 * 10 * 4] = {0}, out[8];
    memset(out, 0xab, sizeof out);
    struct omnizip_importance_in in = {.struct_size = sizeof in,
                                       .n_heads = 2,
                                       .pool = 2,
                                       .q = {q, 20, 4, 4, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST},
                                       .k = {q, 20, 4, 4, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST}};
    cr_assert_eq(p->audio_importance(ctx, &in, out, 4), OMNIZIP_E_INVALID);
    cr_assert(strstr(p->last_error(ctx), "T/pool") != NULL, "%s", p->last_error(ctx));
    in.n_heads = 3;
    cr_assert_eq(p->audio_importance(ctx, &in, out, 5), OMNIZIP_E_INVALID);
    in.n_heads = 2;
    in.k.rows = 18;
    cr_assert_eq(p->audio_importance(ctx, &in, out, 5), OMNIZIP_E_INVALID);
    in.k.rows = 20;
    int64_t cu_short[3] = {0, 4, 9}, cu_down[3] = {0, 6, 4};
    in.cu_seqlens = cu_short; /* must end at T = 10 */
    in.n_cu_seqlens = 3;
    cr_assert_eq(p->audio_importance(ctx, &in, out, 5), OMNIZIP_E_INVALID);
    in.cu_seqlens = cu_down;
    cr_assert_eq(p->audio_importance(ctx, &in, out, 5), OMNIZIP_E_INVALID);
    unsigned char ab[sizeof out];
    memset(ab, 0xab, sizeof ab);
    cr_assert_eq(memcmp(out, ab, sizeof out), 0, "scores touched on failure");
    p->destroy(ctx);
}

/* A 1.0 host's struct ends before cu_seqlens: whatever lies past its
 * struct_size is not read, and the 1.0 definition runs. */
Test(importance, old_host_struct_gets_the_1_0_definition)
{
    const struct omnizip_plugin *p = plugin();
    char err[256];
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    p->config_default(&cfg);
    omnizip_ctx *ctx;
    cr_assert_eq(p->create(&cfg, NULL, &ctx, err, sizeof err), 0);
    enum { H = 2, T = 12, HD = 4 };
    float q[H * T * HD], k[H * T * HD], got[T], old[T];
    fill(q, H * T * HD, 3u);
    fill(k, H * T * HD, 5u);
    struct omnizip_importance_in in = {.struct_size = sizeof in,
                                       .n_heads = H,
                                       .pool = 1,
                                       .q = {q, H * T, HD, HD, OMNIZIP_DTYPE_F32,
                                             OMNIZIP_MEMORY_HOST},
                                       .k = {k, H * T, HD, HD, OMNIZIP_DTYPE_F32,
                                             OMNIZIP_MEMORY_HOST}};
    cr_assert_eq(p->audio_importance(ctx, &in, got, T), 0, "%s", p->last_error(ctx));
    int64_t junk = 0;
    in.cu_seqlens = &junk; /* garbage beyond an old host's struct */
    in.n_cu_seqlens = 77;
    in.struct_size = offsetof(struct omnizip_importance_in, stream) + sizeof(void *);
    cr_assert_eq(p->audio_importance(ctx, &in, old, T), 0, "%s", p->last_error(ctx));
    cr_assert_eq(memcmp(got, old, sizeof got), 0);
    p->destroy(ctx);
}
