/*
 * core.h - the OmniZip stages (docs/ALGORITHM.md) as pure functions: no I/O, no
 * globals, no backend. Counts are decided here from the layout and the audio
 * scores alone; the similarity arithmetic is handed in by a backend.
 */
#ifndef OZ_CORE_H
#define OZ_CORE_H

#include <omnizip/omnizip.h>
#include <stddef.h>
#include <stdint.h>

#include "ozc_err.h"
#include "ozc_half.h"

/* One window: video run i and audio run i, offsets into the clip's
 * concatenated video and audio rows. */
struct oz_window {
    int64_t audio_off, audio_len;       /* in the clip's audio tokens */
    int64_t video_off, video_len;       /* in the clip's video tokens */
    int64_t audio_row, video_row;       /* first row in bind's matrices */
    int64_t anchor_first, anchor_count; /* slice of oz_plan.anchors */
    int64_t pool_first, pool_count;     /* slice of oz_plan.pool */
    int64_t audio_kept, video_kept;
    int64_t frames, num_keep; /* stage 3: 0 <= num_keep <= tpf, set by plan */
    int64_t extra;            /* frames 0..extra-1 keep num_keep + 1 <= tpf (normalize: exact) */
    int64_t audio_merged;     /* pool tokens merged, once the merges ran */
    float s_a;
    double base, rate;
    int guided;
};

/* Everything plan decides. Owned arrays; oz_plan_free releases them. */
struct oz_plan {
    uint32_t n_windows, n_guided, n_video_runs, n_audio_runs;
    int64_t tpf, n_video_grid, n_audio, n_video;
    struct oz_window *win;
    uint8_t *audio_state;        /* OMNIZIP_AUDIO_*; pool tokens PRUNED until merged */
    int64_t *anchors, n_anchors; /* audio indices, ascending */
    int64_t *pool, n_pool;       /* audio indices, ascending */
    int64_t *audio_row;          /* bind-matrix row of each audio token */
    int sequence_rows;           /* bind gets the whole sequence (run starts given) */
    int totals_only;             /* planned without scores: only the totals hold */
    int64_t audio_kept, video_kept;
    /* Baselines (strategy != omnizip): the clip's video mask, and whether
     * the per-window counts wait for bind (dycoke). */
    int32_t strategy;
    uint8_t *video_keep;
    int counts_at_bind;
};

/* Stages 0-2 and the stage-3 counts. Returns OMNIZIP_OK or a status with a
 * message in err; *p is untouched on failure. */
omnizip_status oz_plan_build(struct oz_plan *p, const struct omnizip_config *cfg,
                             const struct omnizip_layout *lay, const float *scores,
                             int64_t n_scores, char *err, size_t err_size);
void oz_plan_free(struct oz_plan *p);

/* ---- baseline strategies (baseline.c), at OmniZip's budgets ---------- */

/* Turns an OmniZip plan into cfg->strategy's: the same audio and video
 * totals, no anchors or pool. Random and uniform fill the masks and the
 * per-window counts; dycoke only sets counts_at_bind. */
omnizip_status oz_baseline_plan(struct oz_plan *p, const struct omnizip_config *cfg);
/* Per-window counts, S_a and effective rates from audio_state and video_keep. */
void oz_baseline_counts(struct oz_plan *p);
/* keep[n]: budget of n indices drawn uniformly without replacement by a
 * splitmix64 generator seeded with seed ^ stream; idx[n] is scratch. */
void oz_random_keep(uint64_t seed, uint64_t stream, int64_t n, int64_t budget, int64_t *idx,
                    uint8_t *keep);
/* share[i] of budget for runs of len[i] (summing to total), proportional to
 * length, the rest by largest remainder (ties to the lower index); order is
 * scratch of n_runs. */
void oz_apportion(const int64_t *len, uint32_t n_runs, int64_t total, int64_t budget,
                  int64_t *share, int64_t *order);
/* keep[n]: m evenly spaced indices, floor((2k + 1) n / 2m) for k < m <= n. */
void oz_even_keep(int64_t n, int64_t m, uint8_t *keep);
/* keep[n]: drops the n - budget largest keys (ties: lower index first);
 * order[n] is scratch. */
void oz_keep_below(const double *key, int64_t n, int64_t budget, int64_t *order, uint8_t *keep);

/* Stage 1.1-1.3 on N scores: writes state[N] (KEPT / ANCHOR / PRUNED), and the
 * anchor and pool index lists (capacity N each); order[N] is scratch. */
omnizip_status oz_audio_select(const struct omnizip_config *cfg, const float *scores, int64_t n,
                               uint8_t *state, int64_t *anchors, int64_t *n_anchors, int64_t *pool,
                               int64_t *n_pool, int64_t *order);

/* Stage 2 over the guided windows of p (s_a, base, rate). With normalize:
 * exact the rates stay at base (rho_video unguided) for oz_exact_counts. */
void oz_rates(const struct omnizip_config *cfg, struct oz_plan *p);

/* normalize: exact (exact.c). Every window's whole-frame kept count from its
 * base rate: each in its clamps, summing to round((1 - rho_video) *
 * n_video_grid) whenever the clamps allow; sets frames, num_keep, extra,
 * video_kept and rate (1 - kept / whole-frame tokens). */
omnizip_status oz_exact_counts(const struct omnizip_config *cfg, struct oz_plan *p);
/* The kept-count bounds of m whole-frame tokens: rates in [rho_min, rho_max]
 * (unguided: widened to include rho_video). */
void oz_exact_bounds(const struct omnizip_config *cfg, int guided, int64_t m, int64_t *kmin,
                     int64_t *kmax);
/* Sets w's num_keep, extra, video_kept and rate for `kept` whole-frame
 * tokens (w->frames > 0). */
void oz_exact_apply(struct oz_window *w, int64_t tpf, int64_t kept);

/* mode: streaming (stream.c). The causal state of a stream: what it kept so
 * far and the distribution of the audio scores seen, as a histogram of
 * their order-preserving bits: fixed size whatever the stream's length. */
#define OZ_STREAM_BIN_BITS 14
#define OZ_STREAM_BINS (1u << OZ_STREAM_BIN_BITS)
struct oz_stream {
    int64_t tpf;
    uint32_t n_windows;
    int64_t audio_in, dominant, anchors;
    int64_t video_in, video_kept;
    int64_t frame_tokens, video_kept_frames; /* over whole frames */
    double base_sum;                         /* sum of whole-frame tokens x base rate */
    int64_t hist_total;
    int64_t hist[OZ_STREAM_BINS];
    int64_t prefix[OZ_STREAM_BINS]; /* scores seen in bins below each bin */
};
void oz_stream_begin(struct oz_stream *s, int64_t tpf);
/* Decides the next window from its n audio scores and n_video video tokens
 * without changing s: w gets the counts, rates and stage-3 decision (its
 * offsets, slices and rows are left 0); state[n] the audio codes (KEPT,
 * ANCHOR, PRUNED), anchors[] and pool[] the window's anchor and pool token
 * indices (w->anchor_count, w->pool_count of them). order[n] and value[n]
 * are scratch. */
omnizip_status oz_stream_decide(const struct omnizip_config *cfg, const struct oz_stream *s,
                                const float *scores, int64_t n, int64_t n_video,
                                struct oz_window *w, uint8_t *state, int64_t *anchors,
                                int64_t *pool, int64_t *order, double *value);
/* The kept audio fraction the offline method gives a long clip:
 * 1 - rho_audio plus the anchors (contextual_ratio, at most rho_audio). */
double oz_stream_audio_target(const struct omnizip_config *cfg);
/* Adds a decided window to s. */
void oz_stream_commit(struct oz_stream *s, const float *scores, const struct oz_window *w);

/* Stage 1.5's choice for one anchor: ranks its members (pool positions, in
 * pool order) by sigma (indexed by pool position), ties to pool order, and
 * gives the first min(g, count) softmax weights. order[count] gets the
 * ranking (indices into members); weight[count] is scratch and then holds
 * member order[t]'s weight for t < the returned count; *wsum their sum in
 * rank order. The one source of the merge weights for every backend. */
int64_t oz_merge_pick(const float *sigma, const int64_t *members, int64_t count, int32_t g,
                      int64_t *order, double *weight, double *wsum);

/* The merges of anchors [a0, a1) with their assigned pool tokens of [q0, q1),
 * decided on the host: anchor a0 + c merges the audio rows
 * member_row[start[c] .. start[c+1]) (rank order) with weight[] and their
 * sum wsum[c]; the chosen pool tokens are marked OMNIZIP_AUDIO_MERGED in
 * p->audio_state. Capacities: start a1 - a0 + 1, wsum a1 - a0, every other
 * array q1 - q0. */
struct oz_merge_sel {
    int64_t *start, *member_row;
    double *weight, *wsum;
    int64_t *group, *order; /* scratch */
    double *value;          /* scratch */
};
void oz_merge_select(struct oz_plan *p, const int64_t *assign, const float *sigma, int32_t g,
                     const int64_t *pool_rows, int64_t a0, int64_t a1, int64_t q0, int64_t q1,
                     struct oz_merge_sel *s);

/* Stage 1.4-1.5 for one anchor in full: oz_merge_pick, then the anchor row
 * (d floats, updated in place) becomes (x + sum w_m x_m) / (1 + wsum) in
 * double. rows: the members' f32 embeddings (count x d). chosen[count] gets
 * 1 for the merged ones; scratch holds 2 * count int64. Returns the number
 * merged. */
int64_t oz_merge_anchor(float *anchor, int64_t d, const int64_t *members, int64_t count,
                        const float *sigma, const float *rows, int32_t g, uint8_t *chosen,
                        int64_t *scratch);

/* Stage 3 decisions on one frame, from the unit rows' Gram matrix (tpf x tpf,
 * full) or the cosines with the previous frame; 0 <= num_keep <= tpf. */
struct oz_istc_scratch {
    float *gram;    /* tpf x tpf */
    double *score;  /* tpf */
    double *rho;    /* tpf */
    int64_t *order; /* tpf */
};
void oz_dpc_knn_keep(const float *gram, int64_t tpf, int32_t k, int64_t num_keep,
                     struct oz_istc_scratch *s, uint8_t *keep);
/* Temporal frames keep the num_keep tokens that changed most: the smallest
 * cosines with the previous frame. */
void oz_temporal_keep(const double *cosine, int64_t tpf, int64_t num_keep,
                      struct oz_istc_scratch *s, uint8_t *keep);

/* Indices of the k largest (desc) or smallest (asc) values, ties to the lower
 * index; order[n] is scratch and receives the full ranking. */
void oz_rank_desc(const double *v, int64_t n, int64_t *order);
void oz_rank_asc(const double *v, int64_t n, int64_t *order);

/* Stage 1's unit normalisation into f32: eps = 1e-6 added to the norm. (Stage
 * 3's, the norm floored at 1e-12, is applied as row scales by backends.) */
void oz_unit_eps(const float *x, int64_t d, float *out);

/* AVX2 and baseline clones picked at load time (an ifunc). ThreadSanitizer
 * cannot run an instrumented ifunc resolver before it starts, so TSan builds
 * get the baseline only; the fuzz build defines OZ_NO_CLONES and compiles
 * for AVX2 instead. */
#if defined(__SANITIZE_THREAD__) || defined(OZ_NO_CLONES)
#define OZ_CLONES
#else
#define OZ_CLONES __attribute__((target_clones("avx2", "default")))
#endif
/* For declarations of cloned functions: clang resolves a multiversioned
 * function only when every declaration carries the clones, while GCC would
 * emit a resolver in every file that merely declares it. */
#ifdef __clang__
#define OZ_CLONES_DECL OZ_CLONES
#else
#define OZ_CLONES_DECL
#endif

/* Dot product of two f32 vectors accumulated in double. */
OZ_CLONES_DECL double oz_dot(const float *a, const float *b, int64_t n);

/* Row r of m converted to f32 (host memory only). */
void oz_row_f32(const struct omnizip_matrix *m, int64_t r, float *out);

/* cost.c: the model presets and Eq. 9, as omnizip.cost/1 (omnizip/cost.h)
 * serves them; prefill_flops is find + flops. */
struct omnizip_model_preset;
const struct omnizip_model_preset *oz_cost_preset(uint32_t i);
const struct omnizip_model_preset *oz_cost_find(const char *name);
omnizip_status oz_cost_flops(const struct omnizip_model_preset *m, int64_t n, int64_t r,
                             double *flops);
omnizip_status oz_cost_kv_bytes(const struct omnizip_model_preset *m, int64_t n, double *bytes);

/* The omnizip.clips/1 split (the rule at struct omnizip_clip). */
omnizip_status oz_clips_split(const struct omnizip_clips_in *in, struct omnizip_clips_out *out,
                              char *err, size_t err_size);

#endif
