/*
 * clip.h - a small deterministic clip (4 windows of 2 frames of 4 video
 * tokens and 20 audio tokens, D = 16) driven through the raw table, for the
 * ABI tests: every host variant must produce the same masks on it.
 */
#ifndef OZ_TEST_CLIP_H
#define OZ_TEST_CLIP_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <omnizip/omnizip.h>

enum { CLIP_WINDOWS = 4, CLIP_TPF = 4, CLIP_VRUN = 2 * CLIP_TPF, CLIP_ARUN = 20, CLIP_D = 16 };
enum { CLIP_NA = CLIP_WINDOWS * CLIP_ARUN, CLIP_NV = CLIP_WINDOWS * CLIP_VRUN };

/* One window's output buffers (filled with 0xAB to detect writes). */
struct clip_outs {
    uint8_t state[CLIP_ARUN];
    uint8_t keep[CLIP_VRUN];
    float anchors[CLIP_ARUN * CLIP_D];
    struct omnizip_window_info info;
};

struct clip_result {
    struct omnizip_plan plan;
    struct clip_outs w[CLIP_WINDOWS];
};

static float clip_audio_rows[CLIP_NA * CLIP_D], clip_video_rows[CLIP_NV * CLIP_D];
static float clip_score_vals[CLIP_NA];

static void clip_fill(void)
{
    unsigned s = 12345u;
    for (int j = 0; j < CLIP_NA * CLIP_D + CLIP_NV * CLIP_D + CLIP_NA; j++) {
        s = s * 1664525u + 1013904223u;
        float x = (float)(s >> 8) / 16777216.0f - 0.5f;
        if (j < CLIP_NA * CLIP_D)
            clip_audio_rows[j] = x;
        else if (j < CLIP_NA * CLIP_D + CLIP_NV * CLIP_D)
            clip_video_rows[j - CLIP_NA * CLIP_D] = x;
        else
            clip_score_vals[j - CLIP_NA * CLIP_D - CLIP_NV * CLIP_D] = x + 0.5f;
    }
}

static const float *clip_scores(void)
{
    clip_fill();
    return clip_score_vals;
}

static struct omnizip_layout clip_layout(void)
{
    static const int64_t vlen[CLIP_WINDOWS] = {CLIP_VRUN, CLIP_VRUN, CLIP_VRUN, CLIP_VRUN};
    static const int64_t alen[CLIP_WINDOWS] = {CLIP_ARUN, CLIP_ARUN, CLIP_ARUN, CLIP_ARUN};
    struct omnizip_layout lay = {.struct_size = sizeof lay,
                                 .n_video_runs = CLIP_WINDOWS,
                                 .n_audio_runs = CLIP_WINDOWS,
                                 .video_run_len = vlen,
                                 .audio_run_len = alen,
                                 .tokens_per_frame = CLIP_TPF,
                                 .grid_t = 2 * CLIP_WINDOWS};
    return lay;
}

static struct omnizip_matrix clip_matrix(float *data, int64_t rows)
{
    struct omnizip_matrix m = {data, rows, CLIP_D, CLIP_D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    return m;
}

static struct omnizip_matrix clip_audio(void)
{
    clip_fill();
    return clip_matrix(clip_audio_rows, CLIP_NA);
}

static struct omnizip_matrix clip_video(void)
{
    clip_fill();
    return clip_matrix(clip_video_rows, CLIP_NV);
}

static struct omnizip_window_in clip_window_in(uint32_t i)
{
    clip_fill();
    struct omnizip_window_in in = {sizeof in, 0,
                                   clip_matrix(clip_audio_rows + i * CLIP_ARUN * CLIP_D, CLIP_ARUN),
                                   clip_matrix(clip_video_rows + i * CLIP_VRUN * CLIP_D, CLIP_VRUN),
                                   NULL};
    return in;
}

static struct omnizip_window_out clip_window_out(struct clip_outs *o)
{
    struct omnizip_window_out out =
        {sizeof out, 0, o->state, CLIP_ARUN, o->keep, CLIP_VRUN, clip_matrix(o->anchors, CLIP_ARUN),
         &o->info};
    return out;
}

#define CLIP_FAIL(what)                                              \
    do {                                                             \
        snprintf(err, err_size, "%s: %s", what, p->last_error(ctx)); \
        p->destroy(ctx);                                             \
        return st;                                                   \
    } while (0)

/* create, plan, bind, every window, finish, destroy; err names the stage. */
static omnizip_status clip_run(const struct omnizip_plugin *p, const struct omnizip_config *cfg,
                               const struct omnizip_host *host, struct clip_result *r, char *err,
                               size_t err_size)
{
    memset(r, 0, sizeof *r);
    omnizip_ctx *ctx = NULL;
    omnizip_status st = p->create(cfg, host, &ctx, err, err_size);
    if (st != OMNIZIP_OK)
        return st;
    struct omnizip_layout lay = clip_layout();
    r->plan.struct_size = sizeof r->plan;
    if ((st = p->plan(ctx, &lay, clip_scores(), CLIP_NA, &r->plan)) != OMNIZIP_OK)
        CLIP_FAIL("plan");
    struct omnizip_matrix am = clip_audio(), vm = clip_video();
    if ((st = p->bind(ctx, &am, &vm, NULL)) != OMNIZIP_OK)
        CLIP_FAIL("bind");
    for (uint32_t i = 0; i < CLIP_WINDOWS; i++) {
        struct omnizip_window_in in = clip_window_in(i);
        struct omnizip_window_out out = clip_window_out(&r->w[i]);
        r->w[i].info.struct_size = sizeof r->w[i].info;
        if ((st = p->window(ctx, i, &in, &out)) != OMNIZIP_OK)
            CLIP_FAIL("window");
    }
    struct omnizip_summary sum = {.struct_size = sizeof sum};
    if ((st = p->finish(ctx, &sum)) != OMNIZIP_OK)
        CLIP_FAIL("finish");
    p->destroy(ctx);
    return OMNIZIP_OK;
}

static void clip_assert_same(const struct clip_result *a, const struct clip_result *b)
{
    cr_assert_eq(a->plan.audio_kept, b->plan.audio_kept);
    cr_assert_eq(a->plan.audio_anchors, b->plan.audio_anchors);
    cr_assert_eq(a->plan.video_kept, b->plan.video_kept);
    for (int i = 0; i < CLIP_WINDOWS; i++) {
        cr_assert_arr_eq(a->w[i].state, b->w[i].state, CLIP_ARUN, "window %d audio", i);
        cr_assert_arr_eq(a->w[i].keep, b->w[i].keep, CLIP_VRUN, "window %d video", i);
        for (int64_t k = 0; k < a->w[i].info.audio_anchors * CLIP_D; k++) {
            float x = a->w[i].anchors[k], y = b->w[i].anchors[k];
            cr_assert_leq(fabsf(x - y), 1e-5f * fmaxf(1.0f, fabsf(x)), "window %d anchor %ld", i,
                          (long)k);
        }
    }
}

#endif
