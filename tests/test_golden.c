/* The engine on every golden case through the plugin table (linked
 * statically here; the dlopen path is covered by test_abi and test_cli):
 * masks and counts exact, merged embeddings within 1e-5 relative, retention
 * and rates bit-exact; every similarity scope gives the same masks. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include <omnizip/omnizip.h>

/* Criterion copies parameters into the test process: names by value. */
struct gcase {
    char name[32];
};
static struct gcase cases[] = {
    {"audio_only"}, {"balanced50"},   {"basic"},          {"paper35_g15"},
    {"paper45"},    {"three_frames"}, {"two_windows_g0"}, {"unguided_tail_ragged"},
    {"video_only"},
};

struct runs {
    int64_t *start, *len;
    uint32_t n;
};

static void find_runs(const int64_t *ids, int64_t l, int64_t id, struct runs *r)
{
    r->start = calloc((size_t)l + 1, sizeof *r->start);
    r->len = calloc((size_t)l + 1, sizeof *r->len);
    r->n = 0;
    for (int64_t p = 0; p < l; p++) {
        if (ids[p] != id)
            continue;
        if (r->n > 0 && r->start[r->n - 1] + r->len[r->n - 1] == p) {
            r->len[r->n - 1]++;
        } else {
            r->start[r->n] = p;
            r->len[r->n++] = 1;
        }
    }
}

static const struct ozs_st_tensor *need(ozs_st_file *f, const char *name)
{
    const struct ozs_st_tensor *t = ozs_st_find(f, name);
    cr_assert_not_null(t, "%s missing", name);
    return t;
}

/* Runs one golden file with the given extra key and checks everything. */
static void run_case(const char *name, const char *extra_key, const char *extra_value,
                     int check_embeds, int sequence_rows)
{
    char path[256], err[512];
    const char *dir = getenv("OMNIZIP_TESTDATA") ? getenv("OMNIZIP_TESTDATA") : "tests/data";
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    ozs_st_file *f;
    cr_assert_eq(ozs_st_open(path, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    const struct ozs_st_tensor *emb = need(f, "inputs_embeds"), *ids_t = need(f, "input_ids");
    const struct ozs_st_tensor *sc = need(f, "audio_scores"), *grid = need(f, "video_grid_thw");
    const struct ozs_st_tensor *ek = need(f, "expected_keep"), *ee = need(f, "expected_embeds");
    const struct ozs_st_tensor *er = need(f, "expected_audio_retention");
    const struct ozs_st_tensor *ev = need(f, "expected_video_rates");
    int64_t l = ids_t->count, d = emb->shape[emb->rank - 1];
    const int64_t *ids = ids_t->data, *g = grid->data;
    const float *x = emb->data;
    int64_t aid = atoll(ozs_st_meta(f, "audio_token_id")),
            vid = atoll(ozs_st_meta(f, "video_token_id"));
    int64_t s = atoll(ozs_st_meta(f, "spatial_merge_size"));

    const struct omnizip_plugin *p = omnizip_plugin_entry(1);
    cr_assert_not_null(p);
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    p->config_default(&cfg);
    const char *keys[] = {"rho_audio", "rho_video", "g",    "contextual_ratio",
                          "rho_min",   "rho_max",   "dpc_k"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        cr_assert_eq(p->config_set(&cfg, keys[k], ozs_st_meta(f, keys[k]), err, sizeof err), 0,
                     "%s", err);
    if (extra_key)
        cr_assert_eq(p->config_set(&cfg, extra_key, extra_value, err, sizeof err), 0, "%s", err);
    omnizip_ctx *ctx;
    cr_assert_eq(p->create(&cfg, NULL, &ctx, err, sizeof err), 0, "%s", err);

    struct runs ar, vr;
    find_runs(ids, l, aid, &ar);
    find_runs(ids, l, vid, &vr);
    struct omnizip_layout lay = {.struct_size = sizeof lay,
                                 .n_video_runs = vr.n,
                                 .n_audio_runs = ar.n,
                                 .video_run_len = vr.len,
                                 .audio_run_len = ar.len,
                                 .tokens_per_frame = (g[1] / s) * (g[2] / s),
                                 .grid_t = g[0]};
    if (sequence_rows) {
        lay.video_run_start = vr.start;
        lay.audio_run_start = ar.start;
    }
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    cr_assert_eq(p->plan(ctx, &lay, sc->data, sc->count, &plan), 0, "%s", p->last_error(ctx));

    /* Gather the clip's audio and video rows, in sequence order. */
    int64_t na = 0, nv = 0;
    float *arows = malloc((size_t)(sc->count + 1) * d * 4),
          *vrows = malloc((size_t)(l + 1) * d * 4);
    for (int64_t q = 0; q < l; q++) {
        if (ids[q] == aid)
            memcpy(arows + na++ * d, x + q * d, (size_t)d * 4);
        else if (ids[q] == vid)
            memcpy(vrows + nv++ * d, x + q * d, (size_t)d * 4);
    }
    struct omnizip_matrix am = {arows, na, d, d, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    struct omnizip_matrix vm = {vrows, nv, d, d, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    struct omnizip_matrix whole = {(void *)x, l, d, d, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    if (sequence_rows)
        cr_assert_eq(p->bind(ctx, &whole, &whole, NULL), 0, "%s", p->last_error(ctx));
    else
        cr_assert_eq(p->bind(ctx, &am, &vm, NULL), 0, "%s", p->last_error(ctx));

    uint8_t *keep = calloc((size_t)l, 1);
    float *out = malloc((size_t)l * d * 4);
    memcpy(out, x, (size_t)l * d * 4);
    for (int64_t q = 0; q < l; q++)
        keep[q] = ids[q] != aid && ids[q] != vid;
    int64_t aoff = 0, voff = 0, kept_audio = 0, kept_video = 0;
    for (uint32_t i = 0; i < plan.n_windows; i++) {
        struct omnizip_window_info wp = {.struct_size = sizeof wp},
                                   info = {.struct_size = sizeof info};
        cr_assert_eq(p->window_plan(ctx, i, &wp), 0);
        int64_t alen = i < ar.n ? ar.len[i] : 0, vlen = i < vr.n ? vr.len[i] : 0;
        uint8_t astate[alen + 1], vkeep[vlen + 1];
        float anchors[(wp.audio_anchors + 1) * d];
        struct omnizip_window_in in = {.struct_size = sizeof in,
                                       .audio = {arows + aoff * d, alen, d, d, OMNIZIP_DTYPE_F32,
                                                 OMNIZIP_MEMORY_HOST},
                                       .video = {vrows + voff * d, vlen, d, d, OMNIZIP_DTYPE_F32,
                                                 OMNIZIP_MEMORY_HOST}};
        struct omnizip_window_out wo = {.struct_size = sizeof wo,
                                        .audio_state = astate,
                                        .audio_capacity = alen,
                                        .video_keep = vkeep,
                                        .video_capacity = vlen,
                                        .anchors = {anchors, wp.audio_anchors, d, d,
                                                    OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST},
                                        .info = &info};
        cr_assert_eq(p->window(ctx, i, &in, &wo), 0, "%s", p->last_error(ctx));
        int64_t ka = 0, kv = 0, an = 0;
        for (int64_t j = 0; j < alen; j++) {
            int64_t pos = ar.start[i] + j;
            keep[pos] = astate[j] == OMNIZIP_AUDIO_KEPT || astate[j] == OMNIZIP_AUDIO_ANCHOR;
            ka += keep[pos];
            if (astate[j] == OMNIZIP_AUDIO_ANCHOR)
                memcpy(out + pos * d, anchors + an++ * d, (size_t)d * 4);
        }
        for (int64_t j = 0; j < vlen; j++) {
            keep[vr.start[i] + j] = vkeep[j];
            kv += vkeep[j];
        }
        cr_assert_eq(ka, wp.audio_kept, "%s window %u audio", name, i);
        cr_assert_eq(kv, wp.video_kept, "%s window %u video", name, i);
        cr_assert_eq(an, wp.audio_anchors);
        cr_assert_eq(info.video_kept, wp.video_kept);
        if (i < plan.n_guided)
            cr_assert_eq((float)wp.s_a, ((const float *)er->data)[i], "%s S_a %u", name, i);
        if (i < vr.n)
            cr_assert_eq(wp.rate, ((const double *)ev->data)[i], "%s rate %u: %.17g vs %.17g", name,
                         i, wp.rate, ((const double *)ev->data)[i]);
        kept_audio += ka;
        kept_video += kv;
        aoff += alen;
        voff += vlen;
    }
    cr_assert_eq(er->count, plan.n_guided);
    cr_assert_eq(ev->count, vr.n);
    cr_assert_eq(kept_audio, plan.audio_kept);
    cr_assert_eq(kept_video, plan.video_kept);
    const uint8_t *want = ek->data;
    for (int64_t q = 0; q < l; q++)
        cr_assert_eq(keep[q] != 0, want[q] != 0, "%s: keep[%lld] (id %lld)", name, (long long)q,
                     (long long)ids[q]);
    const float *we = ee->data;
    for (int64_t q = 0; check_embeds && q < l; q++)
        for (int64_t c = 0; keep[q] && c < d; c++) {
            float gv = out[q * d + c], wv = we[q * d + c];
            cr_assert_leq(fabsf(gv - wv), 1e-5f * fmaxf(1.0f, fabsf(wv)),
                          "%s row %lld col %lld: %g vs %g", name, (long long)q, (long long)c, gv,
                          wv);
        }
    p->destroy(ctx);
    free(arows), free(vrows), free(keep), free(out);
    free(ar.start), free(ar.len), free(vr.start), free(vr.len);
    ozs_st_close(f);
}

ParameterizedTestParameters(golden, reference)
{
    return cr_make_param_array(struct gcase, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct gcase *c, golden, reference)
{
    run_case(c->name, NULL, NULL, 1, 0);
}

/* The host's interleaved sequence handed as it is (run starts, no gather). */
ParameterizedTestParameters(golden, sequence_rows)
{
    return cr_make_param_array(struct gcase, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct gcase *c, golden, sequence_rows)
{
    run_case(c->name, NULL, NULL, 1, 1);
}

/* Masks and counts are the same in every scope; only merged rows differ. */
ParameterizedTestParameters(golden, window_scope)
{
    return cr_make_param_array(struct gcase, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct gcase *c, golden, window_scope)
{
    run_case(c->name, "similarity_scope", "window", 0, 0);
}

ParameterizedTestParameters(golden, window_scope_k2)
{
    return cr_make_param_array(struct gcase, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct gcase *c, golden, window_scope_k2)
{
    run_case(c->name, "similarity_scope", "window:2", 0, 1);
}
