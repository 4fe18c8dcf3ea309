/*
 * bench_cuda.c - device timings of the CUDA backend, one JSON line each.
 * W1: 30 windows of (2 frames x 144 video + 50 audio) tokens at D 3584, W4:
 * 120 such windows; each in the reference scope (every pool token against
 * the whole clip's video, then merge, then ISTC per window) and the window
 * scope (each window against its own video). Then audio importance at
 * T = 15000, 20 heads, head_dim 64. Inputs are BF16 in device memory; times
 * come from cudaEvents on one stream. Usage: bench_cuda [BUILD_DIR] [REPS].
 */
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_loader.h"

enum { TPF = 144, FRAMES = 2, AUDIO = 50, D = 3584 };

struct clip {
    int64_t windows, n_audio, n_video;
    int64_t *pool_rows, *anchor_rows, n_pool, n_anchor;
    int64_t *win_pool, *win_anchor; /* first pool / anchor of each window (+1 end) */
    uint8_t *state;
    int64_t *pool_idx;
    float *sigma, *anchors_out;
    int64_t *assign;
    uint8_t *keep;
    struct oz_span *spans;
    struct omnizip_matrix audio, video;
};

static uint16_t *random_bf16(size_t n)
{
    uint16_t *h = malloc(n * sizeof *h);
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n && h; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        h[i] = ozc_f32_to_bf16((float)((double)(s >> 11) / 9007199254740992.0 - 0.5));
    }
    return h;
}

static void *upload(const struct oz_cuda *cu, const void *host, size_t bytes)
{
    const struct oz_cuda_backend *be = oz_cuda_table(cu);
    void *d = be->alloc(oz_cuda_dev(cu), bytes);
    char err[256];
    if (d && be->copy(oz_cuda_dev(cu), d, host, bytes, 0, err, sizeof err) != OMNIZIP_OK) {
        fprintf(stderr, "bench_cuda: %s\n", err);
        exit(1);
    }
    return d;
}

/* Half of each window's audio is dominant (even tokens); of the odd ones
 * every tenth is an anchor and the rest the pool: 5% anchors, as the
 * reference defaults give. */
static void clip_init(struct clip *c, const struct oz_cuda *cu, int64_t windows)
{
    memset(c, 0, sizeof *c);
    c->windows = windows;
    c->n_audio = windows * AUDIO;
    c->n_video = windows * FRAMES * TPF;
    c->pool_rows = malloc(sizeof(int64_t) * c->n_audio);
    c->pool_idx = malloc(sizeof(int64_t) * c->n_audio);
    c->anchor_rows = malloc(sizeof(int64_t) * c->n_audio);
    c->win_pool = malloc(sizeof(int64_t) * (windows + 1));
    c->win_anchor = malloc(sizeof(int64_t) * (windows + 1));
    c->state = calloc((size_t)c->n_audio, 1);
    c->sigma = malloc(sizeof(float) * c->n_audio);
    c->assign = malloc(sizeof(int64_t) * c->n_audio);
    c->anchors_out = malloc(sizeof(float) * c->n_audio * D);
    c->keep = malloc((size_t)(FRAMES * TPF));
    c->spans = malloc(sizeof *c->spans * windows);
    for (int64_t w = 0; w < windows; w++) {
        c->win_pool[w] = c->n_pool;
        c->win_anchor[w] = c->n_anchor;
        for (int64_t j = 0; j < AUDIO; j++) {
            int64_t r = w * AUDIO + j;
            if (j % 2 == 0)
                continue;
            if (j % 20 == 1)
                c->anchor_rows[c->n_anchor++] = r;
            else
                c->pool_idx[c->n_pool] = r, c->pool_rows[c->n_pool++] = r;
        }
        c->spans[w] = (struct oz_span){w * FRAMES * TPF, FRAMES * TPF};
    }
    c->win_pool[windows] = c->n_pool;
    c->win_anchor[windows] = c->n_anchor;
    uint16_t *a = random_bf16((size_t)(c->n_audio * D)), *v = random_bf16((size_t)(c->n_video * D));
    c->audio = (struct omnizip_matrix){upload(cu, a, (size_t)(c->n_audio * D) * 2),
                                       c->n_audio,
                                       D,
                                       D,
                                       OMNIZIP_DTYPE_BF16,
                                       OMNIZIP_MEMORY_CUDA};
    c->video = (struct omnizip_matrix){upload(cu, v, (size_t)(c->n_video * D) * 2),
                                       c->n_video,
                                       D,
                                       D,
                                       OMNIZIP_DTYPE_BF16,
                                       OMNIZIP_MEMORY_CUDA};
    free(a), free(v);
}

static void must(omnizip_status st, const char *err)
{
    if (st != OMNIZIP_OK) {
        fprintf(stderr, "bench_cuda: %s\n", err);
        exit(1);
    }
}

/* One compress pass: cross + merge (whole clip or per window), ISTC per window. */
static double pass(struct oz_cuda *cu, struct clip *c, cudaStream_t s, int window_scope)
{
    struct oz_plan p;
    memset(&p, 0, sizeof p);
    p.audio_state = c->state;
    p.pool = c->pool_idx;
    p.n_pool = c->n_pool;
    char err[512] = "";
    double flops = 0;
    int64_t groups = window_scope ? c->windows : 1;
    for (int64_t g = 0; g < groups; g++) {
        int64_t w0 = window_scope ? g : 0, w1 = window_scope ? g + 1 : c->windows;
        int64_t q0 = c->win_pool[w0], q1 = c->win_pool[w1];
        int64_t a0 = c->win_anchor[w0], a1 = c->win_anchor[w1];
        must(oz_cuda_cross(cu, s, &c->audio, c->pool_rows + q0, q1 - q0, c->anchor_rows + a0,
                           a1 - a0, &c->video, c->spans + w0, w1 - w0, c->sigma + q0,
                           c->assign + q0, &flops, err, sizeof err),
             err);
        for (int64_t q = q0; q < q1; q++)
            c->assign[q] += a0;
        must(oz_cuda_merge_anchors(cu, s, &p, 3, &c->audio, c->anchor_rows, c->pool_rows, a0, a1,
                                   q0, q1, c->sigma, c->assign, c->anchors_out, D, err, sizeof err),
             err);
    }
    for (int64_t w = 0; w < c->windows; w++)
        must(oz_cuda_istc(cu, s, &c->video, c->spans[w].row, c->spans[w].len, TPF, FRAMES, 72, 0, 5,
                          c->keep, &flops, err, sizeof err),
             err);
    return flops;
}

static void bench_compress(struct oz_cuda *cu, cudaStream_t s, const char *name, int64_t windows,
                           int reps)
{
    struct clip c;
    clip_init(&c, cu, windows);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    for (int scope = 0; scope < 2; scope++) {
        double flops = pass(cu, &c, s, scope); /* warm-up: scratch buffers grow here */
        float best = 1e30f;
        for (int r = 0; r < reps; r++) {
            float ms = 0;
            cudaEventRecord(e0, s);
            pass(cu, &c, s, scope);
            cudaEventRecord(e1, s);
            cudaEventSynchronize(e1);
            cudaEventElapsedTime(&ms, e0, e1);
            best = ms < best ? ms : best;
        }
        printf("{\"bench\":\"%s\",\"scope\":\"%s\",\"windows\":%lld,\"d\":%d,\"pool\":%lld,"
               "\"anchors\":%lld,\"video\":%lld,\"ms\":%.4f,\"gflops\":%.3f,\"reps\":%d}\n",
               name, scope ? "window" : "reference", (long long)windows, D, (long long)c.n_pool,
               (long long)c.n_anchor, (long long)c.n_video, best, flops / 1e9, reps);
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
}

static void bench_importance(struct oz_cuda *cu, cudaStream_t s, int reps)
{
    enum { T = 15000, H = 20, HD = 64 };
    uint16_t *q = random_bf16((size_t)H * T * HD), *k = random_bf16((size_t)H * T * HD);
    struct omnizip_importance_in in = {sizeof in,
                                       H,
                                       2,
                                       0,
                                       {upload(cu, q, (size_t)H * T * HD * 2), (int64_t)H * T, HD,
                                        HD, OMNIZIP_DTYPE_BF16, OMNIZIP_MEMORY_CUDA},
                                       {upload(cu, k, (size_t)H * T * HD * 2), (int64_t)H * T, HD,
                                        HD, OMNIZIP_DTYPE_BF16, OMNIZIP_MEMORY_CUDA},
                                       s,
                                       NULL,
                                       0,
                                       0};
    float *scores = malloc(sizeof(float) * T / 2);
    char err[512] = "";
    must(oz_cuda_importance(cu, &in, scores, T / 2, err, sizeof err), err);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    float best = 1e30f;
    for (int r = 0; r < reps; r++) {
        float ms = 0;
        cudaEventRecord(e0, s);
        must(oz_cuda_importance(cu, &in, scores, T / 2, err, sizeof err), err);
        cudaEventRecord(e1, s);
        cudaEventSynchronize(e1);
        cudaEventElapsedTime(&ms, e0, e1);
        best = ms < best ? ms : best;
    }
    printf("{\"bench\":\"audio_importance\",\"t\":%d,\"heads\":%d,\"head_dim\":%d,\"ms\":%.4f,"
           "\"gflops\":%.3f,\"reps\":%d}\n",
           T, H, HD, best, 2.0 * H * (double)T * T * HD / 1e9, reps);
    free(q), free(k), free(scores);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "build";
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, OZ_CUDA_LIBRARY);
    struct oz_cuda *cu = NULL;
    char err[512] = "";
    if (oz_cuda_open_path(path, &cu, err, sizeof err) != OMNIZIP_OK) {
        fprintf(stderr, "bench_cuda: %s\n", err);
        return 1;
    }
    cudaStream_t s;
    if (cudaStreamCreate(&s) != cudaSuccess) {
        fprintf(stderr, "bench_cuda: cudaStreamCreate failed\n");
        return 1;
    }
    bench_compress(cu, s, "W1", 30, reps < 1 ? 1 : reps);
    bench_compress(cu, s, "W4", 120, reps < 1 ? 1 : reps);
    bench_importance(cu, s, reps < 1 ? 1 : reps);
    cudaStreamDestroy(s);
    oz_cuda_close(cu);
    return 0;
}
