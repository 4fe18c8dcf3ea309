/*
 * test_abi_limits.c - sizes the plugin must refuse before it multiplies or
 * allocates, on the real .so by dlopen: tokens_per_frame, grid and run
 * lengths past the documented limits, run starts near INT64_MAX or past the
 * bound rows, overlapping and out-of-order runs, non-zero reserved fields,
 * NULL data with rows, and a context that is re-planned with a huge clip
 * (refused) and then still runs a real one. Each refusal is
 * OMNIZIP_E_INVALID with the caller's buffers untouched.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/clip.h"
#include "plugin_table.h"

static const struct omnizip_plugin *P;
static omnizip_ctx *ctx;

static void setup(void)
{
    P = test_plugin_table();
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.threads = 1;
    char err[256];
    cr_assert_eq(P->create(&cfg, NULL, &ctx, err, sizeof err), OMNIZIP_OK, "%s", err);
}

static void teardown(void)
{
    P->destroy(ctx);
}

TestSuite(limits, .init = setup, .fini = teardown);

/* plan must refuse lay with E_INVALID, leave out untouched and say why. */
static void refused(const struct omnizip_layout *lay, const float *scores, int64_t n,
                    const char *words)
{
    struct omnizip_plan out, before;
    memset(&out, 0xAB, sizeof out);
    out.struct_size = sizeof out;
    before = out;
    cr_expect_eq(P->plan(ctx, lay, scores, n, &out), OMNIZIP_E_INVALID, "accepted (%s)", words);
    cr_expect_eq(memcmp(&out, &before, sizeof out), 0, "out written on failure (%s)", words);
    cr_expect(strstr(P->last_error(ctx), words) != NULL, "'%s' lacks '%s'", P->last_error(ctx),
              words);
}

static void plan_ok(void)
{
    struct omnizip_layout lay = clip_layout();
    struct omnizip_plan out = {.struct_size = sizeof out};
    cr_assert_eq(P->plan(ctx, &lay, clip_scores(), CLIP_NA, &out), OMNIZIP_OK, "%s",
                 P->last_error(ctx));
}

Test(limits, tokens_per_frame_and_grid_bounded)
{
    struct omnizip_layout lay = clip_layout();
    lay.tokens_per_frame = OMNIZIP_MAX_TOKENS_PER_FRAME + 1;
    refused(&lay, clip_scores(), CLIP_NA, "grid too large");
    lay.tokens_per_frame = (int64_t)1 << 62;
    refused(&lay, clip_scores(), CLIP_NA, "grid too large");
    lay = clip_layout();
    lay.grid_t = OMNIZIP_MAX_TOKENS / CLIP_TPF + 1;
    refused(&lay, clip_scores(), CLIP_NA, "grid too large");
}

Test(limits, run_lengths_bounded)
{
    int64_t vlen[4] = {CLIP_VRUN, CLIP_VRUN, CLIP_VRUN, OMNIZIP_MAX_TOKENS};
    struct omnizip_layout lay = clip_layout();
    lay.video_run_len = vlen;
    refused(&lay, clip_scores(), CLIP_NA, "video run 3");
    int64_t alen[4] = {INT64_MAX, INT64_MAX, 1, 1};
    lay = clip_layout();
    lay.audio_run_len = alen;
    refused(&lay, NULL, 0, "audio run 0");
}

Test(limits, run_starts_overflowing_or_overlapping_refused)
{
    int64_t vs[4] = {0, 28, 56, 84}, as[4] = {8, 36, 64, 92};
    struct omnizip_layout lay = clip_layout();
    lay.video_run_start = vs;
    lay.audio_run_start = as;
    struct omnizip_plan out = {.struct_size = sizeof out};
    cr_assert_eq(P->plan(ctx, &lay, clip_scores(), CLIP_NA, &out), OMNIZIP_OK, "%s",
                 P->last_error(ctx));
    as[3] = INT64_MAX - 5; /* start + length wraps */
    refused(&lay, clip_scores(), CLIP_NA, "audio run 3 starts at row");
    as[3] = 92;
    vs[2] = 30; /* inside audio run 1 */
    refused(&lay, clip_scores(), CLIP_NA, "overlaps an earlier run");
    vs[2] = 56;
    as[1] = 70, as[2] = 36; /* out of order */
    refused(&lay, clip_scores(), CLIP_NA, "out of order");
}

Test(limits, reserved_fields_refused)
{
    struct omnizip_layout lay = clip_layout();
    lay.reserved0 = 1;
    refused(&lay, clip_scores(), CLIP_NA, "reserved0");
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.reserved1 = 7;
    char err[256];
    omnizip_ctx *other = NULL;
    cr_expect_eq(P->create(&cfg, NULL, &other, err, sizeof err), OMNIZIP_E_INVALID);
    cr_expect_null(other);
    P->config_default(&cfg);
    struct omnizip_host host = {.struct_size = sizeof host, .reserved0 = 1};
    cr_expect_eq(P->create(&cfg, &host, &other, err, sizeof err), OMNIZIP_E_INVALID);
    plan_ok();
    struct omnizip_matrix am = clip_audio(), vm = clip_video();
    cr_assert_eq(P->bind(ctx, &am, &vm, NULL), OMNIZIP_OK, "%s", P->last_error(ctx));
    struct clip_outs o;
    memset(&o, 0xAB, sizeof o);
    struct clip_outs before = o;
    struct omnizip_window_in in = clip_window_in(0);
    struct omnizip_window_out wo = clip_window_out(&o);
    o.info.struct_size = sizeof o.info;
    before.info.struct_size = sizeof o.info;
    in.reserved0 = 1;
    cr_expect_eq(P->window(ctx, 0, &in, &wo), OMNIZIP_E_INVALID);
    in.reserved0 = 0;
    wo.reserved0 = 1;
    cr_expect_eq(P->window(ctx, 0, &in, &wo), OMNIZIP_E_INVALID);
    cr_expect_eq(memcmp(&o, &before, sizeof o), 0, "buffers written on failure");
}

Test(limits, huge_replan_refused_then_a_real_clip_runs)
{
    plan_ok();
    /* A clip whose Gram buffer (tpf^2 floats) would wrap: refused... */
    struct omnizip_layout lay = clip_layout();
    int64_t vlen[4] = {1 << 20, 0, 0, 0};
    lay.video_run_len = vlen;
    lay.tokens_per_frame = (int64_t)1 << 31;
    lay.grid_t = 1;
    refused(&lay, clip_scores(), CLIP_NA, "grid too large");
    /* ...and the context still runs the real clip with every buffer intact. */
    struct clip_result want, got;
    char err[256];
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.threads = 1;
    cr_assert_eq(clip_run(P, &cfg, NULL, &want, err, sizeof err), OMNIZIP_OK, "%s", err);
    plan_ok();
    struct omnizip_matrix am = clip_audio(), vm = clip_video();
    cr_assert_eq(P->bind(ctx, &am, &vm, NULL), OMNIZIP_OK, "%s", P->last_error(ctx));
    memset(&got, 0, sizeof got);
    for (uint32_t i = 0; i < CLIP_WINDOWS; i++) {
        struct omnizip_window_in in = clip_window_in(i);
        struct omnizip_window_out out = clip_window_out(&got.w[i]);
        got.w[i].info.struct_size = sizeof got.w[i].info;
        cr_assert_eq(P->window(ctx, i, &in, &out), OMNIZIP_OK, "%s", P->last_error(ctx));
    }
    got.plan = want.plan;
    clip_assert_same(&want, &got);
}

Test(limits, bind_matrices_bounded)
{
    plan_ok();
    struct omnizip_matrix am = clip_audio(), vm = clip_video();
    am.cols = OMNIZIP_MAX_HIDDEN + 1;
    am.row_stride = am.cols;
    cr_expect_eq(P->bind(ctx, &am, &vm, NULL), OMNIZIP_E_INVALID);
    am = clip_audio();
    am.row_stride = INT64_MAX / 2; /* rows * stride * 4 wraps */
    cr_expect_eq(P->bind(ctx, &am, &vm, NULL), OMNIZIP_E_INVALID);
    cr_expect(strstr(P->last_error(ctx), "row stride") != NULL, "%s", P->last_error(ctx));
    am = clip_audio();
    cr_expect_eq(P->bind(ctx, &am, &vm, NULL), OMNIZIP_OK, "%s", P->last_error(ctx));
}

/* dycoke reads the rows at bind: a clip without audio must not size
 * anything from the (unchecked, unused) audio matrix. */
Test(limits, dycoke_without_audio_ignores_the_audio_matrix)
{
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.threads = 1;
    cfg.strategy = OMNIZIP_STRATEGY_DYCOKE;
    omnizip_ctx *c = NULL;
    char err[256];
    cr_assert_eq(P->create(&cfg, NULL, &c, err, sizeof err), OMNIZIP_OK, "%s", err);
    struct omnizip_layout lay = clip_layout();
    lay.n_audio_runs = 0;
    struct omnizip_plan out = {.struct_size = sizeof out};
    cr_assert_eq(P->plan(c, &lay, NULL, 0, &out), OMNIZIP_OK, "%s", P->last_error(c));
    struct omnizip_matrix am = {NULL, 0, INT64_MAX / 2, 0, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    struct omnizip_matrix vm = clip_video();
    cr_expect_eq(P->bind(c, &am, &vm, NULL), OMNIZIP_OK, "%s", P->last_error(c));
    P->destroy(c);
}

/* Negative rows once passed the matrix check (it looked at rows > 0 only)
 * and sized audio_importance's buffers from T < 0 (found by fuzz_abi). */
Test(limits, importance_negative_rows_refused)
{
    float q[16], k[16], scores[4];
    memset(scores, 0xAB, sizeof scores);
    struct omnizip_importance_in in = {.struct_size = sizeof in, .n_heads = 1, .pool = 1};
    in.q = (struct omnizip_matrix){q, -12, 4, 4, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    in.k = (struct omnizip_matrix){k, -12, 4, 4, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    cr_expect_eq(P->audio_importance(ctx, &in, scores, -12), OMNIZIP_E_INVALID);
    unsigned char want[sizeof scores];
    memset(want, 0xAB, sizeof want);
    cr_expect_eq(memcmp(scores, want, sizeof want), 0, "scores written on failure");
}
