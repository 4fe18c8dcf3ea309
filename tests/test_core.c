/* Each stage of plugin/core alone on small cases checked by hand (the
 * expected numbers are worked out in the comments from docs/ALGORITHM.md, not
 * taken from the code's output). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "core/core.h"

static struct omnizip_config defaults(void)
{
    struct omnizip_config c = {.struct_size = sizeof c};
    oz_config_default(&c);
    return c;
}

/* Scores with a three-way tie: rho_audio 0.5 of 10 keeps rint(5.0) = 5
 * dominant tokens, the tie broken by the lower index: 1, 2, 5 (0.9), 9
 * (0.6), 0 (0.5). Remaining 3, 4, 6, 7, 8; contextual 0.2 -> ctx = 2,
 * step = 5 div 2 = 2 -> anchors 3 and 6; pool 4, 7, 8. */
Test(stage1, dominant_ties_anchors_and_pool)
{
    struct omnizip_config c = defaults();
    c.rho_audio = 0.5;
    c.contextual_ratio = 0.2;
    const float s[10] = {0.5f, 0.9f, 0.9f, 0.1f, 0.3f, 0.9f, 0.2f, 0.0f, 0.4f, 0.6f};
    uint8_t st[10];
    int64_t anchors[10], pool[10], order[10], na, np;
    cr_assert_eq(oz_audio_select(&c, s, 10, st, anchors, &na, pool, &np, order), OMNIZIP_OK);
    const uint8_t want[10] = {1, 1, 1, 2, 0, 1, 2, 0, 0, 1};
    for (int j = 0; j < 10; j++)
        cr_assert_eq(st[j], want[j], "token %d: state %d, want %d", j, st[j], want[j]);
    cr_assert_eq(na, 2);
    cr_assert(anchors[0] == 3 && anchors[1] == 6);
    cr_assert_eq(np, 3);
    cr_assert(pool[0] == 4 && pool[1] == 7 && pool[2] == 8);
}

/* Rounding is half-to-even on doubles: (1 - 0.5) * 5 = 2.5 -> 2 dominant;
 * (1 - 0.3) * 5 = 3.5 -> 4. G = 0 or ctx = 0 stops before anchors. */
Test(stage1, half_even_rounding_and_no_anchors)
{
    struct omnizip_config c = defaults();
    const float s[5] = {1, 2, 3, 4, 5};
    uint8_t st[5];
    int64_t a[5], p[5], o[5], na, np;
    c.rho_audio = 0.5;
    oz_audio_select(&c, s, 5, st, a, &na, p, &np, o);
    int kept = 0;
    for (int j = 0; j < 5; j++)
        kept += st[j] == OMNIZIP_AUDIO_KEPT;
    cr_assert_eq(kept, 2);
    cr_assert(st[3] == OMNIZIP_AUDIO_KEPT && st[4] == OMNIZIP_AUDIO_KEPT);
    c.rho_audio = 0.3;
    oz_audio_select(&c, s, 5, st, a, &na, p, &np, o);
    kept = 0;
    for (int j = 0; j < 5; j++)
        kept += st[j] == OMNIZIP_AUDIO_KEPT;
    cr_assert_eq(kept, 4);
    c.rho_audio = 0.5;
    c.contextual_ratio = 0.5;
    c.g = 0;
    oz_audio_select(&c, s, 5, st, a, &na, p, &np, o);
    cr_assert(na == 0 && np == 0, "G = 0 makes no anchors and no pool");
    c.g = 3;
    c.contextual_ratio = 0.05; /* rint(0.25) = 0 anchors */
    oz_audio_select(&c, s, 5, st, a, &na, p, &np, o);
    cr_assert(na == 0 && np == 0);
}

/* Anchor (1, 0); members (0, 2) with sigma 0 and (2, 0) with sigma ln 3:
 * softmax weights 1/4 and 3/4, so (a + w.m) / (1 + 1) = (1.25, 0.25). With
 * G = 1 only the larger sigma merges: ((1, 0) + (2, 0)) / 2 = (1.5, 0). */
Test(stage1, merge_is_a_softmax_weighted_mean)
{
    const float rows[4] = {0, 2, 2, 0};
    const float sigma[2] = {0.0f, (float)log(3.0)};
    const int64_t members[2] = {0, 1};
    int64_t scratch[4];
    uint8_t chosen[2];
    float anchor[2] = {1, 0};
    cr_assert_eq(oz_merge_anchor(anchor, 2, members, 2, sigma, rows, 3, chosen, scratch), 2);
    cr_assert_float_eq(anchor[0], 1.25f, 1e-6);
    cr_assert_float_eq(anchor[1], 0.25f, 1e-6);
    float one[2] = {1, 0};
    cr_assert_eq(oz_merge_anchor(one, 2, members, 2, sigma, rows, 1, chosen, scratch), 1);
    cr_assert(chosen[1] && !chosen[0]);
    cr_assert_float_eq(one[0], 1.5f, 1e-6);
    cr_assert_float_eq(one[1], 0.0f, 1e-6);
}

/* A plan skeleton for stage 2: n windows of video_len tokens, audio kept/len. */
static struct oz_plan rates_plan(struct oz_window *w, uint32_t n, uint32_t guided, int64_t grid)
{
    struct oz_plan p;
    memset(&p, 0, sizeof p);
    p.win = w;
    p.n_windows = p.n_video_runs = n;
    p.n_audio_runs = p.n_guided = guided;
    p.n_video_grid = grid;
    return p;
}

/* S_a 1, .5, 0, .5 -> base .35, .55, .75, .55 (rho 0.35..0.75). Video 4 x 8
 * tokens, rho_v 0.5, grid 32: guided_target 16, base_discard 17.6. lo = 0,
 * hi = 2, fixed 8.8, scale (16 - 8.8) / 8.8, others .55 * scale = .45;
 * actual 16: no shift. Rates .35 .45 .75 .45. */
Test(stage2, reference_normalisation)
{
    struct omnizip_config c = defaults();
    struct oz_window w[4];
    memset(w, 0, sizeof w);
    const int64_t kept[4] = {4, 2, 0, 2};
    for (int i = 0; i < 4; i++)
        w[i].audio_len = 4, w[i].audio_kept = kept[i], w[i].video_len = 8;
    struct oz_plan p = rates_plan(w, 4, 4, 32);
    oz_rates(&c, &p);
    const double base[4] = {0.35, 0.55, 0.75, 0.55}, rate[4] = {0.35, 0.45, 0.75, 0.45};
    for (int i = 0; i < 4; i++) {
        cr_assert_float_eq(w[i].base, base[i], 1e-12, "base %d: %.17g", i, w[i].base);
        cr_assert_float_eq(w[i].rate, rate[i], 1e-12, "rate %d: %.17g", i, w[i].rate);
    }
    cr_assert_eq(w[1].s_a, 0.5f);
}

/* All bases equal (S_a .5 -> .55): lo = hi = 0 and fixed counts window 0
 * twice: 2 * .55 * 8 = 8.8. Grid 24 -> target 12; scale 3.2 / 8.8, others
 * clamp(.2) = .35; actual 4.4 + 5.6 = 10, diff 2 over 16 tokens: + .125 ->
 * .475. Rates .55 .475 .475. */
Test(stage2, equal_bases_count_the_extreme_twice)
{
    struct omnizip_config c = defaults();
    struct oz_window w[3];
    memset(w, 0, sizeof w);
    for (int i = 0; i < 3; i++)
        w[i].audio_len = 4, w[i].audio_kept = 2, w[i].video_len = 8;
    struct oz_plan p = rates_plan(w, 3, 3, 24);
    oz_rates(&c, &p);
    cr_assert_float_eq(w[0].rate, 0.55, 1e-12);
    cr_assert_float_eq(w[1].rate, 0.475, 1e-12, "%.17g", w[1].rate);
    cr_assert_float_eq(w[2].rate, 0.475, 1e-12);
}

/* Two guided windows are never normalised; a video run past the audio runs
 * is unguided and gets rho_v. */
Test(stage2, two_windows_and_unguided_tail)
{
    struct omnizip_config c = defaults();
    c.rho_video = 0.6;
    struct oz_window w[3];
    memset(w, 0, sizeof w);
    w[0].audio_len = 4, w[0].audio_kept = 4, w[0].video_len = 8;
    w[1].audio_len = 4, w[1].audio_kept = 1, w[1].video_len = 8;
    w[2].video_len = 8;
    struct oz_plan p = rates_plan(w, 3, 2, 24);
    oz_rates(&c, &p);
    cr_assert_float_eq(w[0].rate, 0.35, 1e-12);
    cr_assert_float_eq(w[1].rate, 0.75 + (0.35 - 0.75) * 0.25, 1e-12);
    cr_assert_eq(w[2].rate, 0.6);
    cr_assert_eq(w[2].s_a, 0.0f);
}

/* normalize: exact meets the budget to the token whenever the clamps allow:
 * five guided runs of 3, 5, 2, 4, 6 frames of 4 tokens (80 tokens), grid 20
 * frames, rho_video 0.55 -> round(0.45 * 80) = 36 kept; rates stay in
 * [0.35, 0.75]; the per-frame counts of a run differ by one at most; the
 * total is the same for any scores, and for none. */
static struct omnizip_layout exact_layout(void)
{
    static const int64_t vlen[5] = {12, 20, 8, 16, 24}, alen[5] = {10, 10, 10, 10, 10};
    return (struct omnizip_layout){.struct_size = sizeof(struct omnizip_layout),
                                   .n_video_runs = 5,
                                   .n_audio_runs = 5,
                                   .video_run_len = vlen,
                                   .audio_run_len = alen,
                                   .tokens_per_frame = 4,
                                   .grid_t = 20};
}

Test(stage2, exact_normalisation_meets_the_budget)
{
    struct omnizip_config c = defaults();
    c.normalize = OMNIZIP_NORMALIZE_EXACT;
    c.rho_video = 0.55;
    struct omnizip_layout lay = exact_layout();
    float scores[50];
    char err[160];
    for (int draw = 0; draw < 4; draw++) {
        for (int j = 0; j < 50; j++)
            scores[j] = (float)((j * (7 + 3 * draw) + draw * 11) % 17);
        struct oz_plan p;
        cr_assert_eq(oz_plan_build(&p, &c, &lay, scores, 50, err, sizeof err), OMNIZIP_OK, "%s",
                     err);
        cr_assert_eq(p.video_kept, 36, "draw %d kept %lld", draw, (long long)p.video_kept);
        for (uint32_t i = 0; i < 5; i++) {
            const struct oz_window *w = &p.win[i];
            cr_assert(w->rate >= c.rho_min - 1e-12 && w->rate <= c.rho_max + 1e-12);
            cr_assert(w->extra >= 0 && w->extra < w->frames);
            cr_assert_eq(w->num_keep * w->frames + w->extra, w->video_kept);
        }
        /* More salient audio keeps more video (the guidance is kept). */
        for (uint32_t i = 0; i < 5; i++)
            for (uint32_t j = 0; j < 5; j++)
                if (p.win[i].s_a > p.win[j].s_a)
                    cr_assert(p.win[i].rate <= p.win[j].rate + 0.25 / 4);
        oz_plan_free(&p);
    }
    struct oz_plan p;
    cr_assert_eq(oz_plan_build(&p, &c, &lay, NULL, 0, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert(p.totals_only);
    cr_assert_eq(p.video_kept, 36);
    cr_assert_eq(p.audio_kept, 25 + 2); /* dominant 25, anchors round(2.5) = 2 */
    oz_plan_free(&p);
    c.normalize = OMNIZIP_NORMALIZE_REFERENCE;
    cr_assert_eq(oz_plan_build(&p, &c, &lay, NULL, 0, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "only normalize: exact plans without scores"), "%s", err);
}

/* Out of reach (rho_video 0.9 beyond rho_max 0.75): every window at its
 * bound, ceil(m * 0.25) kept, still independent of the scores. */
Test(stage2, exact_normalisation_out_of_reach_sits_at_the_bounds)
{
    struct omnizip_config c = defaults();
    c.normalize = OMNIZIP_NORMALIZE_EXACT;
    c.rho_video = 0.9;
    struct omnizip_layout lay = exact_layout();
    struct oz_plan p;
    char err[160];
    cr_assert_eq(oz_plan_build(&p, &c, &lay, NULL, 0, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(p.video_kept, 3 + 5 + 2 + 4 + 6);
    oz_plan_free(&p);
}

/* Stage 3 counts through a whole plan: tpf 4, rate from an unguided run.
 * A run of 10 tokens holds 2 frames and a dropped tail of 2; a run of 3 has
 * no whole frame and is kept whole. num_keep = int(4 * (1.0 - 0.6)) = 1. */
Test(stage3, counts_partial_frames_and_short_runs)
{
    struct omnizip_config c = defaults();
    c.rho_video = 0.6;
    const int64_t vlen[2] = {10, 3};
    struct omnizip_layout lay = {.struct_size = sizeof lay,
                                 .n_video_runs = 2,
                                 .n_audio_runs = 0,
                                 .video_run_len = vlen,
                                 .tokens_per_frame = 4,
                                 .grid_t = 3};
    struct oz_plan p;
    char err[128];
    cr_assert_eq(oz_plan_build(&p, &c, &lay, NULL, 0, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(p.n_guided, 0);
    cr_assert_eq(p.win[0].frames, 2);
    cr_assert_eq(p.win[0].num_keep, 1);
    cr_assert_eq(p.win[0].video_kept, 2);
    cr_assert_eq(p.win[1].frames, 0);
    cr_assert_eq(p.win[1].video_kept, 3);
    cr_assert_eq(p.video_kept, 5);
    oz_plan_free(&p);
}

/* No video (T = 0, audio only) and no audio (video only) both plan; video
 * tokens with an empty grid are refused with a message. */
Test(plan, no_video_no_audio_and_bad_grid)
{
    struct omnizip_config c = defaults();
    char err[256];
    struct oz_plan p;
    const int64_t alen[1] = {6}, vlen[1] = {8};
    const float s[6] = {6, 5, 4, 3, 2, 1};
    struct omnizip_layout audio_only = {.struct_size = sizeof audio_only,
                                        .n_audio_runs = 1,
                                        .audio_run_len = alen};
    cr_assert_eq(oz_plan_build(&p, &c, &audio_only, s, 6, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert(p.n_windows == 1 && p.n_guided == 0 && p.audio_kept == 3 && p.video_kept == 0);
    oz_plan_free(&p);
    struct omnizip_layout video_only = {.struct_size = sizeof video_only,
                                        .n_video_runs = 1,
                                        .video_run_len = vlen,
                                        .tokens_per_frame = 4,
                                        .grid_t = 2};
    cr_assert_eq(oz_plan_build(&p, &c, &video_only, NULL, 0, err, sizeof err), OMNIZIP_OK);
    /* rho_v .5: num_keep int(4 * .5) = 2 per frame, 2 frames. */
    cr_assert(p.n_windows == 1 && p.win[0].rate == 0.5 && p.video_kept == 4);
    oz_plan_free(&p);
    video_only.grid_t = 0;
    cr_assert_eq(oz_plan_build(&p, &c, &video_only, NULL, 0, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "grid") != NULL, "%s", err);
    cr_assert_eq(oz_plan_build(&p, &c, &audio_only, s, 5, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "5 audio scores for 6") != NULL, "%s", err);
}

/* Four unit vectors (1,0), (1,0), (0,1), (-1,0); k = 1. Distances 1 - dot:
 * d01 0, d02 1, d03 2, d12 1, d13 2, d23 1. rho = exp(-nearest): 1, 1,
 * e^-1, e^-1. delta: 0 and 1 have no denser token -> max distance 2; 2 ->
 * min(d20, d21) = 1; 3 -> min(d30, d31) = 2. Scores 2, 2, .37, .74: keep
 * 2 -> {0, 1} (tie to the lower index first), keep 3 -> {0, 1, 3}. */
Test(stage3, dpc_knn_by_hand)
{
    const float g[16] = {1, 1, 0, -1, 1, 1, 0, -1, 0, 0, 1, 0, -1, -1, 0, 1};
    float gram[16];
    double score[4], rho[4];
    int64_t order[4];
    uint8_t keep[4];
    struct oz_istc_scratch s = {gram, score, rho, order};
    oz_dpc_knn_keep(g, 4, 1, 2, &s, keep);
    cr_assert(keep[0] && keep[1] && !keep[2] && !keep[3]);
    cr_assert_float_eq(score[2], exp(-1.0), 1e-7);
    cr_assert_float_eq(score[3], 2 * exp(-1.0), 1e-7);
    oz_dpc_knn_keep(g, 4, 1, 3, &s, keep);
    cr_assert(keep[0] && keep[1] && !keep[2] && keep[3]);
}

/* Temporal frames keep the smallest cosines, ties to the lower index. */
Test(stage3, temporal_keeps_what_changed_most)
{
    const double cosine[4] = {0.5, 0.2, 0.2, 0.9};
    double score[4], rho[4];
    int64_t order[4];
    uint8_t keep[4];
    struct oz_istc_scratch s = {NULL, score, rho, order};
    oz_temporal_keep(cosine, 4, 2, &s, keep);
    cr_assert(!keep[0] && keep[1] && keep[2] && !keep[3]);
    oz_temporal_keep(cosine, 4, 1, &s, keep);
    cr_assert(!keep[0] && keep[1] && !keep[2] && !keep[3]);
}

/* The paper's check of Eq. 9 (docs/ALGORITHM.md): n = 10,000 audio+video tokens
 * -> 73.2 TFLOPs (7B) and 37.4 (3B); at 45% kept 28.3 and 13.3. */
static int oz_prefill_flops(const char *model, int64_t n, int64_t r, double *f)
{
    return oz_cost_flops(oz_cost_find(model), n, r, f) == OMNIZIP_OK;
}

Test(cost, eq9_matches_the_paper)
{
    double f;
    cr_assert(oz_prefill_flops("qwen2.5-omni-7b", 10000, 100, &f));
    cr_assert_float_eq(f / 1e12, 73.2, 0.05);
    cr_assert(oz_prefill_flops("qwen2.5-omni-3b", 10000, 100, &f));
    cr_assert_float_eq(f / 1e12, 37.4, 0.05);
    cr_assert(oz_prefill_flops("qwen2.5-omni-7b", 4500, 100, &f));
    cr_assert_float_eq(f / 1e12, 28.3, 0.05);
    cr_assert(oz_prefill_flops("qwen2.5-omni-3b", 4500, 100, &f));
    cr_assert_float_eq(f / 1e12, 13.3, 0.05);
    cr_assert(!oz_prefill_flops("gpt-17", 10, 1, &f));
}

/* F16 and BF16 conversions round to nearest even both ways. */
Test(convert, half_precision_round_trips)
{
    cr_assert_eq(ozc_f16_to_f32(0x3c00), 1.0f);
    cr_assert_eq(ozc_f32_to_f16(1.0f), 0x3c00);
    cr_assert_eq(ozc_f32_to_f16(65520.0f), 0x7c00);           /* rounds up to infinity */
    cr_assert_eq(ozc_f32_to_bf16(1.0f + 1.0f / 256), 0x3f80); /* a tie goes to even */
    cr_assert_eq(ozc_bf16_to_f32(0x3f81), 1.0078125f);
    for (uint32_t h = 0; h < 0x7c00; h += 7)
        cr_assert_eq(ozc_f32_to_f16(ozc_f16_to_f32((uint16_t)h)), h);
}
