/* test_stream.c - mode: streaming's causal decisions (plugin/core/stream.c)
 * on long structured streams, against the offline plan of the same clip:
 * cumulative audio and video kept fractions within 1 point of their targets
 * after 10 windows, every rate in its clamps, per-window S_a correlated with
 * the offline S_a, and decisions that depend on nothing that comes later. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/core.h"

#define TPF 144
#define MAX_AUDIO 64

/* A clip of scenes of 2-8 windows: speech (high, spread scores) or silence
 * (low, flat), 40-60 audio tokens and 2 frames per window; seeded. */
struct clip {
    int n;
    int64_t *alen, *vlen;
    float *scores; /* concatenated */
    int64_t n_audio;
};

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}
static double uniform(uint64_t *s)
{
    return (double)(next(s) >> 11) / 9007199254740992.0;
}

static struct clip make_clip(int n, uint64_t seed)
{
    struct clip c = {n, calloc(n, sizeof(int64_t)), calloc(n, sizeof(int64_t)),
                     malloc((size_t)n * MAX_AUDIO * sizeof(float)), 0};
    int left = 0, speech = 0;
    for (int i = 0; i < n; i++) {
        if (left-- == 0) {
            left = 1 + (int)(next(&seed) % 7);
            speech = !speech;
        }
        c.alen[i] = 40 + (int64_t)(next(&seed) % 21);
        c.vlen[i] = 2 * TPF;
        for (int64_t j = 0; j < c.alen[i]; j++)
            c.scores[c.n_audio++] = (float)(speech ? 0.004 + 0.02 * uniform(&seed)
                                                   : 0.001 + 0.004 * uniform(&seed));
    }
    return c;
}

static void free_clip(struct clip *c)
{
    free(c->alen), free(c->vlen), free(c->scores);
}

static struct omnizip_config config(double rho_a, double rho_v)
{
    struct omnizip_config c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.rho_audio = rho_a, c.rho_video = rho_v, c.contextual_ratio = 0.05;
    c.rho_min = 0.35, c.rho_max = 0.75, c.g = 3, c.dpc_k = 5;
    c.mode = OMNIZIP_MODE_STREAMING;
    return c;
}

/* Streams windows [0, n) of c into w[], continuing s. */
static void run(const struct omnizip_config *cfg, struct oz_stream *s, const struct clip *c,
                int from, int to, const float *scores, struct oz_window *w, uint8_t *states)
{
    int64_t off = 0, anchors[MAX_AUDIO], pool[MAX_AUDIO], order[MAX_AUDIO];
    double value[MAX_AUDIO];
    for (int i = 0; i < from; i++)
        off += c->alen[i];
    for (int i = from; i < to; i++) {
        cr_assert_eq(oz_stream_decide(cfg, s, scores + off, c->alen[i], c->vlen[i], &w[i],
                                      states + off, anchors, pool, order, value),
                     OMNIZIP_OK);
        oz_stream_commit(s, scores + off, &w[i]);
        off += c->alen[i];
    }
}

static double pearson(const double *x, const double *y, int n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++)
        mx += x[i] / n, my += y[i] / n;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

static void check_stream(double rho_a, double rho_v, int n, uint64_t seed)
{
    struct omnizip_config cfg = config(rho_a, rho_v);
    struct clip c = make_clip(n, seed);
    struct oz_stream *s = malloc(sizeof *s);
    struct oz_window *w = calloc(n, sizeof *w);
    uint8_t *states = malloc((size_t)c.n_audio);
    oz_stream_begin(s, TPF);
    run(&cfg, s, &c, 0, n, c.scores, w, states);

    /* The offline method on the whole clip. */
    struct omnizip_config off = cfg;
    off.mode = OMNIZIP_MODE_REFERENCE;
    struct omnizip_layout lay = {.struct_size = sizeof lay,
                                 .n_video_runs = (uint32_t)n,
                                 .n_audio_runs = (uint32_t)n,
                                 .video_run_len = c.vlen,
                                 .audio_run_len = c.alen,
                                 .tokens_per_frame = TPF,
                                 .grid_t = 2 * n};
    struct oz_plan p;
    char err[160];
    cr_assert_eq(oz_plan_build(&p, &off, &lay, c.scores, c.n_audio, err, sizeof err), OMNIZIP_OK,
                 "%s", err);
    double audio_target = (double)p.audio_kept / (double)p.n_audio;

    int64_t a_in = 0, a_kept = 0, v_in = 0, v_kept = 0;
    double *sa = malloc(n * sizeof *sa), *sa_off = malloc(n * sizeof *sa_off);
    for (int i = 0; i < n; i++) {
        a_in += w[i].audio_len, a_kept += w[i].audio_kept;
        v_in += w[i].video_len, v_kept += w[i].video_kept;
        cr_assert(w[i].rate >= cfg.rho_min - 1e-12 && w[i].rate <= cfg.rho_max + 1e-12,
                  "window %d rate %g", i, w[i].rate);
        cr_assert(w[i].extra >= 0 && w[i].extra < w[i].frames);
        if (i >= 9) {
            double fa = (double)a_kept / (double)a_in, fv = (double)v_kept / (double)v_in;
            cr_assert(fabs(fa - audio_target) <= 0.01, "window %d: audio %.4f target %.4f", i, fa,
                      audio_target);
            cr_assert(fabs(fv - (1.0 - rho_v)) <= 0.01, "window %d: video %.4f target %.4f", i, fv,
                      1.0 - rho_v);
        }
        sa[i] = w[i].s_a;
        sa_off[i] = p.win[i].s_a;
    }
    double r = pearson(sa, sa_off, n);
    cr_log_info("rho %.2f/%.2f, %d windows: S_a correlation with offline %.3f", rho_a, rho_v, n, r);
    cr_assert(r > 0.3, "S_a correlation with the offline method %.3f", r);
    oz_plan_free(&p);
    free(sa), free(sa_off), free(w), free(states), free(s);
    free_clip(&c);
}

Test(stream, fractions_track_targets_and_salient_windows_keep_more)
{
    check_stream(0.5, 0.5, 300, 1);
    check_stream(0.3, 0.6, 300, 2);
    check_stream(0.55, 0.55, 1200, 3);
    check_stream(0.7, 0.4, 120, 4);
}

/* The first k windows' decisions are the same whatever follows: run a prefix,
 * then two different continuations, and compare with one full run. */
Test(stream, decisions_depend_on_nothing_later)
{
    struct omnizip_config cfg = config(0.5, 0.6);
    struct clip a = make_clip(80, 11), b = make_clip(80, 12);
    struct oz_window wa[80], wb[80];
    uint8_t *sa = malloc((size_t)a.n_audio), *sb = malloc((size_t)a.n_audio + b.n_audio);
    struct oz_stream *s = malloc(sizeof *s), *t = malloc(sizeof *t);
    oz_stream_begin(s, TPF);
    run(&cfg, s, &a, 0, 80, a.scores, wa, sa);
    /* The same 40 windows, then b's windows 40.. instead of a's. */
    struct clip mix = a;
    float *scores = malloc((size_t)(a.n_audio + b.n_audio) * sizeof *scores);
    int64_t pre = 0;
    for (int i = 0; i < 40; i++)
        pre += a.alen[i];
    memcpy(scores, a.scores, (size_t)pre * sizeof *scores);
    int64_t boff = 0;
    for (int i = 0; i < 40; i++)
        boff += b.alen[i];
    memcpy(scores + pre, b.scores + boff, (size_t)(b.n_audio - boff) * sizeof *scores);
    int64_t alen[80], vlen[80];
    for (int i = 0; i < 80; i++) {
        alen[i] = i < 40 ? a.alen[i] : b.alen[i];
        vlen[i] = i < 40 ? a.vlen[i] : b.vlen[i] - (i % 3) * TPF / 2;
    }
    mix.alen = alen, mix.vlen = vlen;
    oz_stream_begin(t, TPF);
    run(&cfg, t, &mix, 0, 80, scores, wb, sb);
    cr_assert_eq(memcmp(sa, sb, (size_t)pre), 0);
    for (int i = 0; i < 40; i++) {
        cr_assert_eq(wa[i].audio_kept, wb[i].audio_kept);
        cr_assert_eq(wa[i].video_kept, wb[i].video_kept);
        cr_assert_eq(wa[i].extra, wb[i].extra);
        cr_assert_eq(wa[i].rate, wb[i].rate);
    }
    free(scores), free(sa), free(sb), free(s), free(t);
    free_clip(&a), free_clip(&b);
}
