/* bench_stream.c - mode: streaming on the W1 window shape (2 frames x 144
 * video tokens + 50 audio tokens, D = 3584, F32; bench/gen_workload.py):
 * per-window push latency (p50, p99) and the context's heap after streams
 * of 300, 1,200 and 7,200 windows (1 hour of 2-second windows). Prints a
 * markdown section for bench/RESULTS.md. A benchmark, not a test.
 *
 * Usage: omnizip-bench-stream [PLUGIN.so] */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omnizip/omnizip.h>

#include "ozc_clock.h"
#include "plugin_load.h"

enum { D = 3584, TPF = 144, NV = 2 * TPF, NA = 50, SHAPES = 8 };

static size_t heap(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

static uint64_t rng = 88172645463325252ull;
static float unif(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)(rng >> 40) / 16777216.0f;
}

/* SHAPES distinct windows, cycled: scenes of speech (high, spread scores)
 * and silence (low, flat), video of a few prototypes plus noise. */
struct window {
    float audio[NA * D], video[NV * D], scores[NA];
};

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int die(const char *what, const char *why)
{
    fprintf(stderr, "omnizip-bench-stream: %s: %s\n", what, why);
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "build/libomnizip.so";
    const char *why;
    const struct omnizip_plugin *p = bench_plugin(path, &why);
    if (!p)
        return die(path, why);
    const struct omnizip_streaming_ext *x = p ? p->get_extension(OMNIZIP_EXT_STREAMING) : NULL;
    if (!x)
        return die(path, "no omnizip.streaming/1");
    struct window *w = malloc(SHAPES * sizeof *w);
    if (!w)
        return die("windows", "out of memory");
    for (int s = 0; s < SHAPES; s++) {
        int speech = (s / 2) % 2;
        for (int j = 0; j < NA; j++)
            w[s].scores[j] = speech ? 0.01f + 0.05f * unif() : 0.002f + 0.004f * unif();
        for (int j = 0; j < NA * D; j++)
            w[s].audio[j] = unif() - 0.5f;
        for (int j = 0; j < NV * D; j++)
            w[s].video[j] = unif() - 0.5f + (float)((j / D) % 4 == j % 4);
    }
    /* A first, short stream: the process-wide BLAS pools are made by the
     * first products and stay; the rows below then show the context alone. */
    static const int lengths[] = {20, 300, 1200, 7200};
    static uint8_t state[NA], keep[NV];
    static float anchors[NA * D];
    double *lat = malloc(7200 * sizeof *lat);
    printf("## Streaming (mode: streaming, W1 window shape)\n\n");
    printf("Windows of 2 frames x 144 video + 50 audio tokens, D = 3584, F32, pushed one by one "
           "through omnizip.streaming/1 (bench/bench_stream.c), rho_audio 0.3, rho_video 0.6, G "
           "3, the plugin's own threads (one per core). Latency: one push (decide, merge, stage "
           "3, outputs). Heap: in use after the last push minus before create (mallinfo2); the "
           "first, 20-window stream of the process also holds BLIS's process-wide pools, which "
           "later contexts reuse.\n\n");
    printf("| windows | push p50 ms | push p99 ms | heap after 10 windows (bytes) | heap after "
           "the last (bytes) | cumulative audio / target | cumulative video / target |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
        int n = lengths[k];
        struct omnizip_config c;
        c.struct_size = sizeof c;
        p->config_default(&c);
        c.mode = OMNIZIP_MODE_STREAMING;
        c.rho_audio = 0.3, c.rho_video = 0.6;
        size_t h0 = heap(), h10 = 0;
        omnizip_ctx *ctx = NULL;
        char err[256];
        if (p->create(&c, NULL, &ctx, err, sizeof err) != OMNIZIP_OK)
            return die("create", err);
        x->begin(ctx, TPF);
        struct omnizip_window_info info;
        for (int i = 0; i < n; i++) {
            struct window *s = &w[(i / 3) % SHAPES];
            struct omnizip_stream_in in = {sizeof in,
                                           0,
                                           {s->audio, NA, D, D, OMNIZIP_DTYPE_F32,
                                            OMNIZIP_MEMORY_HOST},
                                           {s->video, NV, D, D, OMNIZIP_DTYPE_F32,
                                            OMNIZIP_MEMORY_HOST},
                                           s->scores,
                                           NULL};
            info.struct_size = sizeof info;
            struct omnizip_window_out out =
                {sizeof out,
                 0,
                 state,
                 NA,
                 keep,
                 NV,
                 {anchors, NA, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST},
                 &info};
            double t0 = ozc_now_us();
            if (x->push(ctx, &in, &out) != OMNIZIP_OK)
                return die("push", p->last_error(ctx));
            lat[i] = (ozc_now_us() - t0) / 1e3;
            if (i == 9)
                h10 = heap();
        }
        size_t hn = heap();
        struct omnizip_stream_totals t = {.struct_size = sizeof t};
        x->totals(ctx, &t);
        qsort(lat, (size_t)n, sizeof *lat, cmp);
        printf("| %d | %.2f | %.2f | %zu | %zu | %.4f / %.4f | %.4f / %.4f |\n", n, lat[n / 2],
               lat[(int)ceil(0.99 * n) - 1], h10 - h0, hn - h0,
               (double)t.audio_kept / (double)t.audio_in, t.audio_target,
               (double)t.video_kept / (double)t.video_in, t.video_target);
        fflush(stdout);
        p->destroy(ctx);
    }
    free(lat);
    free(w);
    return 0;
}
