/*
 * cost.h - extension "omnizip.cost/1": the model presets and the paper's
 * Eq. 9, the one table every part of omnizip and every host reads, served by
 * the plugin through get_extension(OMNIZIP_EXT_COST). [1.3]
 *
 * A preset holds what a host needs about an omnimodal LLM to use omnizip on
 * it: the decoder shapes for the prefill FLOPs (Eq. 9) and the KV-cache
 * size, the token ids that mark its audio and video tokens, the vision
 * encoder's spatial merge size, and how its audio-importance scores are
 * defined. Thread tags and growth rules as in omnizip.h.
 */
#ifndef OMNIZIP_COST_H
#define OMNIZIP_COST_H

#include <stdint.h>

#include "omnizip.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a model's audio-importance scores are defined (the audio encoder's
 * last attention layer; see audio_importance in omnizip.h). */
typedef int32_t omnizip_audio_score;
/* Softmax over all T keys, mean over heads and queries, then mean-pooled by
 * audio_pool (Qwen2.5-Omni: the encoder pools its output by 2). */
#define OMNIZIP_AUDIO_SCORE_FULL 0
/* Softmax within the attention windows given by cu_seqlens, mean over
 * heads, sum over the window's queries, no pooling (Qwen3-Omni). */
#define OMNIZIP_AUDIO_SCORE_WINDOWED 1

/* One model. Every figure is the text decoder's (a "thinker"'s), as its
 * transformers config names it. Static storage: valid while the plugin is
 * loaded. */
struct omnizip_model_preset {
    uint32_t struct_size;
    uint32_t reserved0;
    const char *name; /* "qwen2.5-omni-7b", ... */
    int32_t layers;   /* num_hidden_layers */
    int32_t hidden;   /* hidden_size */
    /* The FFN width one token passes through: intermediate_size, or for a
     * mixture of experts num_experts_per_tok x moe_intermediate_size. */
    int32_t ffn;
    int32_t kv_heads; /* num_key_value_heads */
    int32_t head_dim;
    int32_t spatial_merge_size; /* the vision encoder's s: video grids are T x H/s x W/s */
    int64_t audio_token_id;     /* the placeholder id of one audio token */
    int64_t video_token_id;     /* the placeholder id of one video token */
    omnizip_audio_score audio_score;
    uint32_t audio_pool; /* importance_in.pool for this model (1: none) */
};

struct omnizip_cost_ext {
    uint32_t struct_size;
    uint32_t reserved0;
    /* Preset i in table order, NULL past the last. [any-thread] */
    const struct omnizip_model_preset *(*preset)(uint32_t i);
    /* The preset named name, NULL when none is (or name is NULL).
     * [any-thread] */
    const struct omnizip_model_preset *(*find)(const char *name);
    /* Eq. 9 of the paper for model m (a preset, or a host's own record with
     * layers, hidden and ffn set): the FLOPs of prefilling n tokens plus
     * decoding r more. Returns OMNIZIP_E_INVALID for a NULL, n or r < 0, a
     * struct_size below this layout or a non-positive shape; *flops is
     * then untouched. [any-thread] */
    omnizip_status (*flops)(const struct omnizip_model_preset *m, int64_t n, int64_t r,
                            double *flops);
    /* The KV cache of n tokens in 16-bit floats, in bytes:
     * n x 2 (K and V) x layers x kv_heads x head_dim x 2. Errors as flops.
     * [any-thread] */
    omnizip_status (*kv_bytes)(const struct omnizip_model_preset *m, int64_t n, double *bytes);
};
#define OMNIZIP_EXT_COST "omnizip.cost/1"

/* The model omnizip's tools report figures for unless told otherwise. */
#define OMNIZIP_COST_DEFAULT_MODEL "qwen2.5-omni-7b"
/* The decoded tokens r the paper's figures use with Eq. 9. */
#define OMNIZIP_COST_DECODE_TOKENS 100

#ifdef __cplusplus
}
#endif

#endif
