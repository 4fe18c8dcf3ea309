/* test_streaming.c - the omnizip.streaming/1 extension on the real .so by
 * dlopen: a window's decisions (masks, merged anchors, record) do not depend
 * on the windows after it, the heap stays the same however long the stream
 * runs, cumulative fractions track the offline method's, and the reference
 * calls are refused on a streaming context. */
#include <dlfcn.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <omnizip/omnizip.h>
#include "plugin_table.h"

enum { TPF = 16, D = 32, MAX_A = 64, MAX_V = 4 * TPF };

static const struct omnizip_plugin *P;
static const struct omnizip_streaming_ext *X;

static void load(void)
{
    P = test_plugin_table();
    X = P->get_extension(OMNIZIP_EXT_STREAMING);
    cr_assert_not_null(X, "the plugin does not serve " OMNIZIP_EXT_STREAMING);
}

TestSuite(streaming, .init = load, .timeout = 120);

/* One window of a seeded structured stream: scenes of speech (high scores,
 * clustered rows) and silence (low flat scores), 2-4 frames of video. */
struct win {
    int64_t na, nv;
    float scores[MAX_A], audio[MAX_A * D], video[MAX_V * D];
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}
static float unif(uint64_t *s)
{
    return (float)(rnd(s) >> 40) / 16777216.0f;
}

static void make_window(uint64_t seed, int i, int fixed_shape, struct win *w)
{
    uint64_t s = seed * 1000003u + (uint64_t)i * 7919u + 1;
    int speech = (i / 3 + (int)(seed & 1)) % 2;
    w->na = fixed_shape ? 40 : 30 + (int64_t)(rnd(&s) % 31);
    w->nv = fixed_shape ? 2 * TPF : (2 + (int64_t)(rnd(&s) % 3)) * TPF;
    for (int64_t j = 0; j < w->na; j++)
        w->scores[j] = speech ? 0.01f + 0.05f * unif(&s) : 0.002f + 0.004f * unif(&s);
    for (int64_t j = 0; j < w->na * D; j++)
        w->audio[j] = unif(&s) - 0.5f + (speech ? 0.3f * (float)((j / D) % 3) : 0.0f);
    for (int64_t j = 0; j < w->nv * D; j++)
        w->video[j] = unif(&s) - 0.5f + 0.5f * (float)((j % D) == (j / D) % D);
}

struct outs {
    uint8_t state[MAX_A], keep[MAX_V];
    float anchors[MAX_A * D];
    struct omnizip_window_info info;
};

static struct omnizip_matrix host(float *data, int64_t rows)
{
    return (struct omnizip_matrix){rows ? data : NULL, rows, D, D, OMNIZIP_DTYPE_F32,
                                   OMNIZIP_MEMORY_HOST};
}

static omnizip_status push(omnizip_ctx *ctx, struct win *w, struct outs *o)
{
    struct omnizip_stream_in in = {sizeof in, 0,   host(w->audio, w->na), host(w->video, w->nv),
                                   w->scores, NULL};
    memset(o, 0xab, sizeof *o);
    o->info.struct_size = sizeof o->info;
    struct omnizip_window_out out =
        {sizeof out, 0, o->state, MAX_A, o->keep, MAX_V, host(o->anchors, MAX_A), &o->info};
    return X->push(ctx, &in, &out);
}

static omnizip_ctx *stream_ctx(double rho_a, double rho_v)
{
    struct omnizip_config c;
    c.struct_size = sizeof c;
    P->config_default(&c);
    c.mode = OMNIZIP_MODE_STREAMING;
    c.rho_audio = rho_a, c.rho_video = rho_v;
    c.threads = 1;
    omnizip_ctx *ctx = NULL;
    char err[256];
    cr_assert_eq(P->create(&c, NULL, &ctx, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(X->begin(ctx, TPF), OMNIZIP_OK, "%s", P->last_error(ctx));
    return ctx;
}

/* Window k's decisions, with continuations of other shapes and contents. */
Test(streaming, decisions_depend_on_nothing_later)
{
    enum { K = 25, N = 50 };
    omnizip_ctx *a = stream_ctx(0.5, 0.6), *b = stream_ctx(0.5, 0.6);
    static struct win w;
    static struct outs oa[K], ob;
    for (int i = 0; i < N; i++) {
        make_window(1, i, 0, &w);
        struct outs tmp;
        cr_assert_eq(push(a, &w, i < K ? &oa[i] : &tmp), OMNIZIP_OK, "%s", P->last_error(a));
        make_window(i < K ? 1 : 2, i, 0, &w);
        cr_assert_eq(push(b, &w, &ob), OMNIZIP_OK, "%s", P->last_error(b));
        if (i >= K)
            continue;
        const struct outs *x = &oa[i];
        cr_assert_eq(memcmp(x->state, ob.state, (size_t)w.na), 0, "window %d audio", i);
        cr_assert_eq(memcmp(x->keep, ob.keep, (size_t)w.nv), 0, "window %d video", i);
        cr_assert_eq(x->info.audio_anchors, ob.info.audio_anchors);
        cr_assert_eq(memcmp(x->anchors, ob.anchors, (size_t)x->info.audio_anchors * D * 4), 0,
                     "window %d merged anchors", i);
        cr_assert_eq(x->info.index, (uint32_t)i);
        cr_assert_eq(x->info.rate, ob.info.rate);
        cr_assert_eq(x->info.audio_merged, ob.info.audio_merged);
        cr_assert_eq(x->info.video_kept, ob.info.video_kept);
    }
    P->destroy(a);
    P->destroy(b);
}

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* The heap after 40 windows and after 600 is the same. */
Test(streaming, heap_does_not_grow_with_the_stream)
{
    omnizip_ctx *ctx = stream_ctx(0.5, 0.5);
    static struct win w;
    static struct outs o;
    size_t at40 = 0;
    omnizip_status worst = OMNIZIP_OK;
    /* No assertion inside the loop: criterion's own bookkeeping allocates. */
    for (int i = 0; i < 600; i++) {
        make_window(3, i, 1, &w);
        omnizip_status st = push(ctx, &w, &o);
        worst = st != OMNIZIP_OK ? st : worst;
        if (i == 39)
            at40 = heap_in_use();
    }
    size_t at600 = heap_in_use();
    cr_assert_eq(worst, OMNIZIP_OK, "%s", P->last_error(ctx));
    cr_assert_eq(at600, at40, "heap %zu bytes after 40 windows, %zu after 600", at40, at600);
    P->destroy(ctx);
}

/* 300 windows: within 1 point of the targets from window 10 on; the audio
 * target is what the offline method keeps of the same clip. */
Test(streaming, cumulative_fractions_track_the_offline_method)
{
    enum { N = 300 };
    omnizip_ctx *ctx = stream_ctx(0.3, 0.6);
    static struct win w;
    static struct outs o;
    static float scores[N * MAX_A];
    int64_t alen[N], vlen[N], na = 0, a_in = 0, a_kept = 0, v_in = 0, v_kept = 0;
    for (int i = 0; i < N; i++) {
        make_window(5, i, 0, &w);
        memcpy(scores + na, w.scores, (size_t)w.na * sizeof *scores);
        alen[i] = w.na, vlen[i] = w.nv, na += w.na;
        cr_assert_eq(push(ctx, &w, &o), OMNIZIP_OK, "%s", P->last_error(ctx));
        a_in += o.info.audio_in, a_kept += o.info.audio_kept;
        v_in += o.info.video_in, v_kept += o.info.video_kept;
        cr_assert(o.info.rate >= 0.35 - 1e-12 && o.info.rate <= 0.75 + 1e-12);
        if (i >= 9)
            cr_assert(fabs((double)v_kept / (double)v_in - 0.4) <= 0.01, "window %d video", i);
    }
    struct omnizip_stream_totals t = {.struct_size = sizeof t};
    cr_assert_eq(X->totals(ctx, &t), OMNIZIP_OK);
    cr_assert(t.n_windows == N && t.audio_in == a_in && t.audio_kept == a_kept);
    cr_assert(t.video_in == v_in && t.video_kept == v_kept && t.video_target == 1.0 - 0.6);

    struct omnizip_config c;
    c.struct_size = sizeof c;
    P->config_default(&c);
    c.rho_audio = 0.3, c.rho_video = 0.6;
    omnizip_ctx *off = NULL;
    char err[256];
    cr_assert_eq(P->create(&c, NULL, &off, err, sizeof err), OMNIZIP_OK, "%s", err);
    struct omnizip_layout lay = {sizeof lay, N, N, 0, vlen, alen, TPF, 0, NULL, NULL};
    for (int i = 0; i < N; i++)
        lay.grid_t += vlen[i] / TPF;
    struct omnizip_plan p = {.struct_size = sizeof p};
    cr_assert_eq(P->plan(off, &lay, scores, na, &p), OMNIZIP_OK, "%s", P->last_error(off));
    double offline = (double)p.audio_kept / (double)p.audio_in;
    cr_assert(fabs(t.audio_target - offline) < 0.002, "target %g offline %g", t.audio_target,
              offline);

    /* Re-run, checking the audio fraction at every window from 10 on. */
    cr_assert_eq(X->begin(ctx, TPF), OMNIZIP_OK);
    a_in = a_kept = 0;
    for (int i = 0; i < N; i++) {
        make_window(5, i, 0, &w);
        cr_assert_eq(push(ctx, &w, &o), OMNIZIP_OK);
        a_in += o.info.audio_in, a_kept += o.info.audio_kept;
        if (i >= 9)
            cr_assert(fabs((double)a_kept / (double)a_in - offline) <= 0.01,
                      "window %d audio %.4f offline %.4f", i, (double)a_kept / a_in, offline);
    }
    struct omnizip_summary s = {.struct_size = sizeof s};
    cr_assert_eq(P->finish(ctx, &s), OMNIZIP_OK);
    cr_assert(s.n_windows == N && s.audio_kept == a_kept);
    cr_assert_eq(push(ctx, &w, &o), OMNIZIP_E_STATE, "push after finish needs a new begin");
    P->destroy(off);
    P->destroy(ctx);
}

Test(streaming, reference_calls_are_refused_and_the_reverse)
{
    omnizip_ctx *ctx = stream_ctx(0.5, 0.5);
    int64_t len[1] = {8};
    struct omnizip_layout lay = {sizeof lay, 1, 0, 0, len, NULL, 4, 2, NULL, NULL};
    struct omnizip_plan p = {.struct_size = sizeof p};
    cr_assert_eq(P->plan(ctx, &lay, NULL, 0, &p), OMNIZIP_E_STATE);
    cr_assert(strstr(P->last_error(ctx), OMNIZIP_EXT_STREAMING), "%s", P->last_error(ctx));
    cr_assert_eq(X->begin(ctx, -1), OMNIZIP_E_INVALID);
    static struct win w;
    static struct outs o;
    make_window(1, 0, 1, &w);
    w.scores[3] = NAN;
    cr_assert_eq(push(ctx, &w, &o), OMNIZIP_E_INVALID);
    struct omnizip_stream_totals t = {.struct_size = sizeof t};
    cr_assert_eq(X->totals(ctx, &t), OMNIZIP_OK);
    cr_assert_eq(t.n_windows, 0, "a failed push leaves the stream as it was");
    P->destroy(ctx);

    struct omnizip_config c;
    c.struct_size = sizeof c;
    P->config_default(&c);
    char err[256];
    cr_assert_eq(P->create(&c, NULL, &ctx, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(X->begin(ctx, TPF), OMNIZIP_E_STATE);
    P->destroy(ctx);
    cr_assert_null(P->get_extension("omnizip.streaming/0"));
}
