/* The model presets and the paper's Eq. 9 (prefill + decode FLOPs): the one
 * table of models in omnizip, served through omnizip.cost/1. */
#include "core/core.h"

#include <omnizip/cost.h>
#include <stddef.h>
#include <string.h>

#define PRESET(name, layers, hidden, ffn, kv, hd, merge, audio, video, score, pool)              \
    {                                                                                            \
        sizeof(struct omnizip_model_preset), 0, name, layers, hidden, ffn, kv, hd, merge, audio, \
            video, score, pool                                                                   \
    }

/* The thinkers' text configs. Qwen3-Omni-30B-A3B is a mixture of experts:
 * 8 experts per token of moe_intermediate_size 768 make its FFN width. */
static const struct omnizip_model_preset presets[] = {
    PRESET("qwen2.5-omni-7b", 28, 3584, 18944, 4, 128, 2, 151646, 151656, OMNIZIP_AUDIO_SCORE_FULL,
           2),
    PRESET("qwen2.5-omni-3b", 36, 2048, 11008, 2, 128, 2, 151646, 151656, OMNIZIP_AUDIO_SCORE_FULL,
           2),
    PRESET("qwen3-omni-30b-a3b", 48, 2048, 8 * 768, 4, 128, 2, 151675, 151656,
           OMNIZIP_AUDIO_SCORE_WINDOWED, 1),
};

#define HAS(m, field) \
    ((m)->struct_size >= offsetof(struct omnizip_model_preset, field) + sizeof((m)->field))

const struct omnizip_model_preset *oz_cost_preset(uint32_t i)
{
    return i < sizeof presets / sizeof presets[0] ? &presets[i] : NULL;
}

const struct omnizip_model_preset *oz_cost_find(const char *name)
{
    for (uint32_t i = 0; name && i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

omnizip_status oz_cost_flops(const struct omnizip_model_preset *m, int64_t n_tokens,
                             int64_t r_tokens, double *flops)
{
    if (!m || !flops || n_tokens < 0 || r_tokens < 0 || !HAS(m, ffn) || m->layers <= 0 ||
        m->hidden <= 0 || m->ffn <= 0)
        return OMNIZIP_E_INVALID;
    double t = m->layers, d = m->hidden, f = m->ffn, n = (double)n_tokens, r = (double)r_tokens;
    double prefill = t * (4 * n * d * d + 2 * n * n * d + 2 * n * d * f);
    double decode = t * r * ((4 * d * d + 2 * d * f) + 2 * (d * n + d * (r + 1) / 2));
    *flops = prefill + decode;
    return OMNIZIP_OK;
}

omnizip_status oz_cost_kv_bytes(const struct omnizip_model_preset *m, int64_t n, double *bytes)
{
    if (!m || !bytes || n < 0 || !HAS(m, head_dim) || m->layers <= 0 || m->kv_heads <= 0 ||
        m->head_dim <= 0)
        return OMNIZIP_E_INVALID;
    *bytes = (double)n * 2 * m->layers * m->kv_heads * m->head_dim * 2;
    return OMNIZIP_OK;
}
