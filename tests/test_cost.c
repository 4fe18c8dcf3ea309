/* The omnizip.cost/1 extension through the real .so: the one model table
 * (figures from each model's transformers config, written out here by hand),
 * Eq. 9 equal to the 1.0 prefill_flops member, the KV-cache bytes, and the
 * refusals. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include <omnizip/cost.h>

#include "plugin_table.h"

static const struct omnizip_plugin *P;
static const struct omnizip_cost_ext *X;

static void load(void)
{
    P = test_plugin_table();
    X = P->get_extension(OMNIZIP_EXT_COST);
    cr_assert_not_null(X, "omnizip.cost/1 not served");
    cr_assert_geq(X->struct_size, sizeof *X);
}

TestSuite(cost_ext, .init = load);

struct want {
    const char *name;
    int32_t layers, hidden, ffn, kv_heads, head_dim, merge;
    int64_t audio_id, video_id;
    omnizip_audio_score score;
    uint32_t pool;
};

static const struct want models[] = {
    {"qwen2.5-omni-7b", 28, 3584, 18944, 4, 128, 2, 151646, 151656, OMNIZIP_AUDIO_SCORE_FULL, 2},
    {"qwen2.5-omni-3b", 36, 2048, 11008, 2, 128, 2, 151646, 151656, OMNIZIP_AUDIO_SCORE_FULL, 2},
    /* MoE: 8 active experts x moe_intermediate_size 768. */
    {"qwen3-omni-30b-a3b", 48, 2048, 6144, 4, 128, 2, 151675, 151656, OMNIZIP_AUDIO_SCORE_WINDOWED,
     1},
};

Test(cost_ext, presets_hold_each_models_figures)
{
    uint32_t n = 0;
    while (X->preset(n))
        n++;
    cr_assert_eq(n, sizeof models / sizeof models[0]);
    for (uint32_t i = 0; i < n; i++) {
        const struct want *w = &models[i];
        const struct omnizip_model_preset *m = X->preset(i);
        cr_assert_eq(X->find(w->name), m, "%s", w->name);
        cr_expect_geq(m->struct_size, sizeof *m);
        cr_expect_eq(m->layers, w->layers, "%s", w->name);
        cr_expect_eq(m->hidden, w->hidden, "%s", w->name);
        cr_expect_eq(m->ffn, w->ffn, "%s", w->name);
        cr_expect_eq(m->kv_heads, w->kv_heads, "%s", w->name);
        cr_expect_eq(m->head_dim, w->head_dim, "%s", w->name);
        cr_expect_eq(m->spatial_merge_size, w->merge, "%s", w->name);
        cr_expect_eq(m->audio_token_id, w->audio_id, "%s", w->name);
        cr_expect_eq(m->video_token_id, w->video_id, "%s", w->name);
        cr_expect_eq(m->audio_score, w->score, "%s", w->name);
        cr_expect_eq(m->audio_pool, w->pool, "%s", w->name);
    }
    cr_expect_null(X->find("gpt-9"));
    cr_expect_null(X->find(NULL));
}

Test(cost_ext, flops_are_prefill_flops_and_kv_bytes_count_k_and_v)
{
    for (uint32_t i = 0; X->preset(i); i++) {
        const struct omnizip_model_preset *m = X->preset(i);
        double a = 0, b = 0, kv = 0;
        cr_assert_eq(X->flops(m, 4500, 100, &a), OMNIZIP_OK);
        cr_assert_eq(P->prefill_flops(m->name, 4500, 100, &b), OMNIZIP_OK);
        cr_expect_eq(a, b, "%s", m->name);
        cr_assert_eq(X->kv_bytes(m, 3, &kv), OMNIZIP_OK);
        cr_expect_eq(kv, 3.0 * 2 * m->layers * m->kv_heads * m->head_dim * 2);
    }
    /* A host's own model: only layers, hidden and ffn count for Eq. 9. */
    struct omnizip_model_preset own = {sizeof own, 0, "mine", 2, 8, 16, 0, 0, 0, 0, 0, 0, 1};
    double f = 0;
    cr_assert_eq(X->flops(&own, 10, 0, &f), OMNIZIP_OK);
    cr_expect_eq(f, 2.0 * (4 * 10 * 64 + 2 * 100 * 8 + 2 * 10 * 8 * 16));
    cr_expect_eq(X->kv_bytes(&own, 10, &f), OMNIZIP_E_INVALID, "no KV heads");
}

Test(cost_ext, refusals_leave_the_output_untouched)
{
    const struct omnizip_model_preset *m = X->preset(0);
    double f = -1;
    cr_expect_eq(X->flops(NULL, 1, 1, &f), OMNIZIP_E_INVALID);
    cr_expect_eq(X->flops(m, -1, 1, &f), OMNIZIP_E_INVALID);
    cr_expect_eq(X->flops(m, 1, -1, &f), OMNIZIP_E_INVALID);
    cr_expect_eq(X->flops(m, 1, 1, NULL), OMNIZIP_E_INVALID);
    cr_expect_eq(X->kv_bytes(m, -1, &f), OMNIZIP_E_INVALID);
    struct omnizip_model_preset old = *m;
    old.struct_size = 8;
    cr_expect_eq(X->flops(&old, 1, 1, &f), OMNIZIP_E_INVALID, "struct_size below the layout");
    cr_expect_eq(f, -1);
    cr_expect_eq(P->prefill_flops("gpt-9", 1, 1, &f), OMNIZIP_E_INVALID);
    cr_expect_eq(f, -1);
}
