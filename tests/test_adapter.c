/*
 * test_adapter.c - the shim's sequence adapter on the golden files of
 * tests/data/ through the real plugin: keep masks, kept rows (merged anchors
 * included), per-window rates, compact = 1 against compact = 0, plan-only
 * counts, position ids and attention mask travelling with their tokens,
 * half-precision anchors, pass-through and input validation.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omnizip/shim.h>

#include "safetensors.h"

static omnizip_shim *open_plugin(void)
{
    const char *b = getenv("OMNIZIP_BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/libomnizip.so", b && *b ? b : "build");
    omnizip_shim *shim = NULL;
    cr_assert_eq(omnizip_shim_open(path, NULL, &shim), OMNIZIP_OK);
    cr_assert_not_null(omnizip_shim_plugin(shim), "%s", omnizip_shim_reason(shim));
    return shim;
}

/* A golden file: the input dump, its expectations and its parameters. */
struct golden {
    struct omnizip_dump dump;
    ozs_st_file *st;
    const uint8_t *keep;    /* expected_keep [L] */
    const float *embeds;    /* expected_embeds [L, D] */
    const float *retention; /* expected_audio_retention [guided] */
    const double *rates;    /* expected_video_rates [video runs] */
    int64_t n_retention, n_rates;
    struct omnizip_config cfg;
};

static const struct ozs_st_tensor *need(ozs_st_file *st, const char *name)
{
    const struct ozs_st_tensor *t = ozs_st_find(st, name);
    cr_assert_not_null(t, "%s: no tensor %s", ozs_st_path(st), name);
    return t;
}

static void golden_load(struct golden *g, const char *name, const struct omnizip_plugin *p)
{
    char path[256], err[512] = "";
    snprintf(path, sizeof path, "tests/data/%s.safetensors", name);
    cr_assert_eq(omnizip_dump_load(path, &g->dump, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(ozs_st_open(path, &g->st, err, sizeof err), OMNIZIP_OK, "%s", err);
    g->keep = need(g->st, "expected_keep")->data;
    g->embeds = need(g->st, "expected_embeds")->data;
    const struct ozs_st_tensor *r = need(g->st, "expected_audio_retention");
    const struct ozs_st_tensor *v = need(g->st, "expected_video_rates");
    g->retention = r->data;
    g->rates = v->data;
    g->n_retention = r->count;
    g->n_rates = v->count;
    cr_assert_eq(g->dump.seq.dtype, OMNIZIP_DTYPE_F32);
    g->cfg = (struct omnizip_config){.struct_size = sizeof g->cfg};
    p->config_default(&g->cfg);
    static const char *keys[] = {"rho_audio", "rho_video", "g",    "contextual_ratio",
                                 "rho_min",   "rho_max",   "dpc_k"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *val = omnizip_dump_meta(&g->dump, keys[k]);
        cr_assert_not_null(val, "%s: metadata %s missing", path, keys[k]);
        cr_assert_eq(p->config_set(&g->cfg, keys[k], val, err, sizeof err), OMNIZIP_OK, "%s", err);
    }
}

static void golden_free(struct golden *g)
{
    ozs_st_close(g->st);
    omnizip_dump_free(&g->dump);
}

static void assert_row(const float *got, const float *want, int64_t d, int64_t row)
{
    for (int64_t c = 0; c < d; c++)
        cr_assert_leq(fabsf(got[c] - want[c]), 1e-5f * fmaxf(1.0f, fabsf(want[c])),
                      "row %lld col %lld: got %.9g want %.9g", (long long)row, (long long)c, got[c],
                      want[c]);
}

static uint32_t windows_seen;
static void on_window(void *user, const struct omnizip_window_info *info)
{
    (void)user;
    cr_assert_eq(info->index, windows_seen, "windows out of order");
    windows_seen++;
}

static void run_golden(const char *name)
{
    omnizip_shim *shim = open_plugin();
    struct golden g;
    golden_load(&g, name, omnizip_shim_plugin(shim));
    const struct omnizip_sequence *in = &g.dump.seq;
    int64_t L = in->length, D = in->hidden;
    char err[512] = "";

    /* compact = 0: decide only; anchors come back in the report. */
    struct omnizip_sequence s0 = *in;
    uint8_t *keep0 = malloc((size_t)L);
    struct omnizip_window_info infos[64];
    struct omnizip_run_report r0 = {.windows = infos, .capacity = 64};
    s0.compact = 0;
    s0.keep_mask = keep0;
    windows_seen = 0;
    cr_assert_eq(omnizip_shim_compress(shim, &g.cfg, &s0, on_window, NULL, &r0, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    cr_assert_eq(windows_seen, r0.n_windows);
    cr_assert_eq(r0.passthrough, 0, "a loaded plugin reported pass-through");
    cr_assert_eq(s0.length, L, "compact = 0 changed the length");
    int64_t kept = 0, k = 0, audio_kept = 0, video_kept = 0;
    for (int64_t j = 0; j < L; j++) {
        cr_assert_eq(keep0[j], g.keep[j], "%s: token %lld (id %lld)", name, (long long)j,
                     (long long)in->input_ids[j]);
        if (!keep0[j])
            continue;
        kept++;
        audio_kept += in->input_ids[j] == in->audio_token_id;
        video_kept += in->input_ids[j] == in->video_token_id;
        const float *row = (const float *)in->embeds + j * in->row_stride;
        if (k < r0.n_anchors && r0.anchor_positions[k] == j)
            row = r0.anchor_rows + k++ * D;
        assert_row(row, g.embeds + j * D, D, j);
    }
    cr_assert_eq(k, r0.n_anchors, "anchor positions not all kept or not ascending");

    /* The plan promised exactly what the windows produced. */
    cr_assert_eq(r0.plan.audio_kept, audio_kept);
    cr_assert_eq(r0.plan.video_kept, video_kept);
    cr_assert_eq(r0.summary.audio_kept, audio_kept);
    cr_assert_eq(r0.summary.video_kept, video_kept);
    cr_assert_eq(r0.plan.audio_anchors, r0.n_anchors);
    int64_t wa = 0, wv = 0;
    for (uint32_t i = 0; i < r0.n_windows; i++) {
        wa += infos[i].audio_kept;
        wv += infos[i].video_kept;
        if ((int64_t)i < g.n_retention)
            cr_assert_eq((float)infos[i].s_a, g.retention[i], "window %u S_a", i);
        if ((int64_t)i < g.n_rates)
            cr_assert_leq(fabs(infos[i].rate - g.rates[i]), 1e-12, "window %u rate %.17g/%.17g", i,
                          infos[i].rate, g.rates[i]);
    }
    cr_assert_eq(wa, audio_kept);
    cr_assert_eq(wv, video_kept);

    /* Plan only: the same counts without reading an embedding. */
    struct omnizip_sequence sp = *in;
    sp.embeds = NULL;
    struct omnizip_window_info pinfos[64];
    struct omnizip_run_report rp = {.windows = pinfos, .capacity = 64};
    cr_assert_eq(omnizip_shim_plan(shim, &g.cfg, &sp, &rp, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(rp.n_windows, r0.n_windows);
    cr_assert_eq(rp.plan.audio_kept, audio_kept);
    cr_assert_eq(rp.plan.video_kept, video_kept);
    for (uint32_t i = 0; i < rp.n_windows; i++)
        cr_assert_eq(pinfos[i].video_kept, infos[i].video_kept, "window %u", i);

    /* compact = 1 on writable copies; the attention mask carries each row's
     * original index so we can see every row travel with its token. */
    float *e1 = malloc((size_t)(L * D) * sizeof *e1);
    int64_t *ids = malloc((size_t)L * sizeof *ids), *pos = malloc((size_t)(3 * L) * sizeof *pos);
    int64_t *mask = malloc((size_t)L * sizeof *mask);
    uint8_t *keep1 = malloc((size_t)L);
    for (int64_t j = 0; j < L; j++) {
        memcpy(e1 + j * D, (const float *)in->embeds + j * in->row_stride, (size_t)D * 4);
        ids[j] = in->input_ids[j];
        mask[j] = j;
        for (int r = 0; r < 3; r++)
            pos[r * L + j] = in->position_ids ? in->position_ids[r * in->position_stride + j] : j;
    }
    /* Extras of each kind carry their row's ordinal among their tokens. */
    int64_t nv = 0, na = 0;
    for (int64_t j = 0; j < L; j++) {
        nv += in->input_ids[j] == in->video_token_id;
        na += in->input_ids[j] == in->audio_token_id;
    }
    int64_t *xt = malloc((size_t)(L + 1) * sizeof *xt);
    int32_t *xv = malloc((size_t)(nv + 1) * sizeof *xv);
    double *xa = malloc((size_t)(2 * na + 2) * sizeof *xa);
    for (int64_t j = 0; j < L; j++)
        xt[j] = j;
    for (int64_t j = 0; j < nv; j++)
        xv[j] = (int32_t)j;
    for (int64_t j = 0; j < 2 * na; j++)
        xa[j] = (double)(j / 2);
    struct omnizip_extra extras[3] = {
        {"t", OMNIZIP_EXTRA_TOKEN, 0, xt, sizeof *xt, L},
        {"v", OMNIZIP_EXTRA_VIDEO, 0, xv, sizeof *xv, nv},
        {"a", OMNIZIP_EXTRA_AUDIO, 0, xa, 2 * sizeof *xa, na},
    };
    struct omnizip_sequence s1 = *in;
    s1.extras = extras;
    s1.n_extras = 3;
    s1.embeds = e1;
    s1.row_stride = D;
    s1.input_ids = ids;
    s1.position_ids = pos;
    s1.position_stride = L;
    s1.attention_mask = mask;
    s1.compact = 1;
    s1.keep_mask = keep1;
    struct omnizip_run_report r1 = {0};
    cr_assert_eq(omnizip_shim_compress(shim, &g.cfg, &s1, NULL, NULL, &r1, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    cr_assert_eq(s1.length, kept);
    cr_assert_arr_eq(keep1, keep0, (size_t)L, "compact = 1 and 0 disagree");
    int64_t max_pos = -1, prev = -1;
    for (int64_t j = 0; j < 3 * L; j++)
        max_pos = pos[j] > max_pos ? pos[j] : max_pos;
    cr_assert_eq(s1.next_position, (in->position_ids ? max_pos : L - 1) + 1);
    for (int64_t w = 0; w < kept; w++) {
        int64_t j = mask[w];
        cr_assert_gt(j, prev, "row order changed at %lld", (long long)w);
        prev = j;
        cr_assert(keep0[j], "row %lld of a dropped token", (long long)j);
        cr_assert_eq(ids[w], in->input_ids[j]);
        for (int r = 0; in->position_ids && r < 3; r++)
            cr_assert_eq(pos[r * L + w], in->position_ids[r * in->position_stride + j]);
        assert_row(e1 + w * D, g.embeds + j * D, D, j);
    }
    int64_t ov = 0, oa = 0, kv = 0, ka = 0;
    cr_assert_eq(extras[0].rows, kept);
    for (int64_t j = 0; j < L; j++) {
        int is_v = in->input_ids[j] == in->video_token_id;
        int is_a = in->input_ids[j] == in->audio_token_id;
        if (keep0[j] && is_v)
            cr_assert_eq(xv[kv++], ov, "video extra row %lld", (long long)kv);
        if (keep0[j] && is_a) {
            cr_assert(xa[2 * ka] == (double)oa && xa[2 * ka + 1] == (double)oa);
            ka++;
        }
        ov += is_v;
        oa += is_a;
    }
    for (int64_t w = 0; w < kept; w++)
        cr_assert_eq(xt[w], mask[w], "token extra row %lld", (long long)w);
    cr_assert_eq(extras[1].rows, kv);
    cr_assert_eq(extras[2].rows, ka);
    free(xt), free(xv), free(xa);
    omnizip_run_report_release(&r0);
    omnizip_run_report_release(&r1);
    free(e1), free(ids), free(pos), free(mask), free(keep0), free(keep1);
    golden_free(&g);
    omnizip_shim_close(shim);
}

#define GOLDEN(name)       \
    Test(golden, name)     \
    {                      \
        run_golden(#name); \
    }
GOLDEN(basic)
GOLDEN(audio_only)
GOLDEN(video_only)
GOLDEN(balanced50)
GOLDEN(paper35_g15)
GOLDEN(paper45)
GOLDEN(three_frames)
GOLDEN(two_windows_g0)
GOLDEN(unguided_tail_ragged)

Test(adapter, pass_through_keeps_everything)
{
    omnizip_shim *shim = NULL;
    cr_assert_eq(omnizip_shim_open("/nonexistent/libomnizip.so", NULL, &shim), OMNIZIP_OK);
    struct omnizip_dump d;
    char err[512] = "";
    cr_assert_eq(omnizip_dump_load("tests/data/basic.safetensors", &d, err, sizeof err), OMNIZIP_OK,
                 "%s", err);
    int64_t L = d.seq.length, D = d.seq.hidden;
    float *e = malloc((size_t)(L * D) * 4);
    memcpy(e, d.seq.embeds, (size_t)(L * D) * 4);
    uint8_t *keep = malloc((size_t)L);
    struct omnizip_sequence s = d.seq;
    s.embeds = e;
    s.compact = 1;
    s.keep_mask = keep;
    s.position_ids = NULL;
    struct omnizip_run_report r = {0};
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s, NULL, NULL, &r, err, sizeof err), OMNIZIP_OK,
                 "%s", err);
    cr_assert_eq(s.length, L);
    cr_assert_eq(s.next_position, L);
    cr_assert_eq(r.n_windows, 0);
    for (int64_t j = 0; j < L; j++)
        cr_assert_eq(keep[j], 1);
    cr_assert_arr_eq(e, d.seq.embeds, (size_t)(L * D) * 4);
    free(e);
    free(keep);
    omnizip_dump_free(&d);
    omnizip_shim_close(shim);
}

/* Half-precision hosts: anchors land in the embeddings rounded to nearest
 * even, exactly what compact = 0 returned in f32; other rows keep their bits. */
Test(adapter, bf16_anchors_are_rounded_into_place)
{
    omnizip_shim *shim = open_plugin();
    struct omnizip_dump d;
    char err[512] = "";
    cr_assert_eq(omnizip_dump_load("tests/data/paper45.safetensors", &d, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    int64_t L = d.seq.length, D = d.seq.hidden;
    uint16_t *h = malloc((size_t)(L * D) * 2), *orig = malloc((size_t)(L * D) * 2);
    for (int64_t j = 0; j < L * D; j++)
        orig[j] = h[j] = ozc_f32_to_bf16(((const float *)d.seq.embeds)[j]);
    struct omnizip_sequence s0 = d.seq;
    s0.embeds = h;
    s0.dtype = OMNIZIP_DTYPE_BF16;
    s0.compact = 0;
    uint8_t *keep = malloc((size_t)L);
    s0.keep_mask = keep;
    struct omnizip_run_report r0 = {0};
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s0, NULL, NULL, &r0, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    cr_assert_gt(r0.n_anchors, 0);
    cr_assert_arr_eq(h, orig, (size_t)(L * D) * 2, "compact = 0 wrote the embeddings");
    int64_t *ids = malloc((size_t)L * sizeof *ids);
    memcpy(ids, d.seq.input_ids, (size_t)L * sizeof *ids);
    struct omnizip_sequence s1 = s0;
    s1.compact = 1;
    s1.input_ids = ids;
    s1.position_ids = NULL;
    s1.keep_mask = NULL;
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s1, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    int64_t w = 0, k = 0;
    for (int64_t j = 0; j < L; j++) {
        if (!keep[j])
            continue;
        int anchor = k < r0.n_anchors && r0.anchor_positions[k] == j;
        for (int64_t c = 0; c < D; c++) {
            uint16_t want = anchor ? ozc_f32_to_bf16(r0.anchor_rows[k * D + c]) : orig[j * D + c];
            cr_assert_eq(h[w * D + c], want, "row %lld col %lld", (long long)j, (long long)c);
        }
        k += anchor;
        w++;
    }
    cr_assert_eq(s1.length, w);
    omnizip_run_report_release(&r0);
    free(h), free(orig), free(keep), free(ids);
    omnizip_dump_free(&d);
    omnizip_shim_close(shim);
}

Test(adapter, bad_sequences_are_refused_untouched)
{
    omnizip_shim *shim = open_plugin();
    struct omnizip_dump d;
    char err[512] = "";
    cr_assert_eq(omnizip_dump_load("tests/data/basic.safetensors", &d, err, sizeof err), OMNIZIP_OK,
                 "%s", err);
    uint8_t keep[8] = {0xAB, 0xAB};
    struct omnizip_sequence s = d.seq;
    s.keep_mask = keep;
    s.n_audio_scores--;
    memset(err, 0, sizeof err);
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "audio scores"), "%s", err);
    cr_assert_eq(keep[0], 0xAB);
    s = d.seq;
    s.grid_h = 1; /* grid_h / merge = 0 while video tokens exist */
    cr_assert_eq(omnizip_shim_plan(shim, NULL, &s, NULL, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "grid"), "%s", err);
    s = d.seq;
    s.input_ids = NULL;
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "input_ids"), "%s", err);
    s = d.seq;
    s.dtype = 7;
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_UNSUPPORTED);
    cr_assert(strstr(err, "dtype"), "%s", err);
    s = d.seq;
    s.row_stride = s.hidden - 1;
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "row_stride"), "%s", err);
    /* An extra whose rows do not match its kind's tokens, or of no known kind. */
    int32_t rows[1] = {0};
    struct omnizip_extra x = {"deepstack_0", OMNIZIP_EXTRA_VIDEO, 0, rows, 4, 1};
    s = d.seq;
    s.extras = &x;
    s.n_extras = 1;
    s.keep_mask = keep;
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "deepstack_0") && strstr(err, "video"), "%s", err);
    x.kind = 9;
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "kind"), "%s", err);
    cr_assert_eq(keep[0], 0xAB);
    cr_assert_eq(x.rows, 1);
    /* Several grids: too few video tokens for the first one. */
    int64_t grids[6] = {100, 4, 8, 1, 4, 8};
    s = d.seq;
    s.video_grids = grids;
    s.n_videos = 2;
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &s, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "fewer"), "%s", err);
    cr_assert_eq(omnizip_shim_compress(shim, NULL, NULL, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    omnizip_dump_free(&d);
    omnizip_shim_close(shim);
}
