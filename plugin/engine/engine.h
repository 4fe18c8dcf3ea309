/*
 * engine.h - the context behind the ABI table: plan, bind, window, finish on
 * the CPU backend. plugin.c checks the boundary (struct sizes, NULLs) and
 * calls these; these check the state and the shapes.
 */
#ifndef OZ_ENGINE_H
#define OZ_ENGINE_H

#include "core/core.h"
#include "cpu/cpu.h"
#include "cuda_loader.h"
#include "telemetry.h"

struct omnizip_ctx {
    struct omnizip_config cfg;
    struct omnizip_host host;
    char err[1024];
    int planned, bound;
    struct oz_plan plan;
    int64_t d;      /* hidden size, known from bind or the first window */
    int sized_convert; /* working memory holds f32 copies for F16/BF16 rows */
    float *anchors; /* merged anchor rows from anchor_base on */
    int64_t anchor_base;
    float *sigma;   /* per pool token */
    int64_t *assign;
    int64_t *pool_rows, *anchor_rows; /* rows of the audio matrix in use */
    double *video_norm;               /* per video token, from bind */
    struct oz_span *spans;            /* video runs in scope */
    int64_t *members; /* pool positions grouped by anchor */
    int64_t *member_start;
    float *member_rows;      /* one anchor's members, f32 */
    int64_t *member_scratch; /* their ranking */
    uint8_t *member_chosen;
    int64_t member_cap;
    struct oz_cpu *work;  /* one scratch area per parallel task */
    struct oz_exec exec;  /* how stages run in parallel */
    struct oz_pool *pool; /* internal threads when the host lends none */
    struct oz_frame_job *jobs; /* stage-3 frames awaiting a decision */
    uint8_t *video_keep;  /* every run's mask, decided at bind (CPU) */
    struct oz_cuda *cuda; /* the CUDA backend when asked for or fed device memory */
    void *stream;         /* the host's stream for the call in progress */
    struct oz_telemetry *tel;
    struct oz_streamer *streamer; /* mode streaming: the stream (stream.c) */
    uint32_t window_base;         /* streaming: the stream index of plan window 0 */
    double us_plan, us_bind, us_windows;
};

/* The refusal of per-window calls after a plan without scores. */
#define OZ_TOTALS_ONLY "planned without audio scores: only the totals are known; plan again " \
                       "with the scores for per-window counts and compression"

omnizip_status oz_engine_plan(omnizip_ctx *ctx, const struct omnizip_layout *layout,
                              const float *scores, int64_t n_scores, struct omnizip_plan *out);
void oz_engine_window_info(const omnizip_ctx *ctx, uint32_t i, struct omnizip_window_info *info);
omnizip_status oz_engine_bind(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                              const struct omnizip_matrix *video);
omnizip_status oz_engine_window(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                                const struct omnizip_window_out *out,
                                struct omnizip_window_info *info);
void oz_engine_free(omnizip_ctx *ctx);

/* Checks a matrix the host passes: host memory, known dtype, sane shape. */
omnizip_status oz_check_matrix(omnizip_ctx *ctx, const char *what, const struct omnizip_matrix *m,
                               int64_t rows, int64_t cols);

/* merge.c: the video runs of windows [lo, hi] as spans (of bind's matrix,
 * or of the window's own run when local); the audio rows of pool tokens
 * [q0, q1) and anchors [a0, a1) (bind's, or of window `local`'s own run);
 * sigma and assignment for the pool tokens of windows [w0, w1); the merges
 * of anchors [a0, a1) with their chosen pool tokens of [q0, q1). */
int64_t oz_video_spans(omnizip_ctx *ctx, uint32_t lo, uint32_t hi, int local);
void oz_audio_rows(omnizip_ctx *ctx, int64_t q0, int64_t q1, int64_t a0, int64_t a1,
                   const struct oz_window *local);
omnizip_status oz_cross_windows(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                                const struct omnizip_matrix *video, double *vnorm,
                                int fill_norms, uint32_t w0, uint32_t w1, int local);
omnizip_status oz_merge_anchors(omnizip_ctx *ctx, const struct omnizip_matrix *audio, int64_t a0,
                                int64_t a1, int64_t q0, int64_t q1);

/* strategy.c: the baseline strategies' bind (dycoke decides there) and
 * window (masks from the plan). */
omnizip_status oz_baseline_bind(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                                const struct omnizip_matrix *video);
omnizip_status oz_baseline_window(omnizip_ctx *ctx, uint32_t i,
                                  const struct omnizip_window_in *in,
                                  const struct omnizip_window_out *out,
                                  struct omnizip_window_info *info);

/* Audio importance (docs/ALGORITHM.md "Audio importance scores"). */
omnizip_status oz_cpu_importance(omnizip_ctx *ctx, const struct omnizip_importance_in *in,
                                 float *scores, int64_t n_scores);

double oz_now_us(void);

/* stream.c: the omnizip.streaming/1 extension behind plugin.c's checks. */
omnizip_status oz_stream_start(omnizip_ctx *ctx, int64_t tokens_per_frame);
omnizip_status oz_stream_push(omnizip_ctx *ctx, const struct omnizip_stream_in *in,
                              const struct omnizip_window_out *out,
                              struct omnizip_window_info *info);
omnizip_status oz_stream_totals(omnizip_ctx *ctx, struct omnizip_stream_totals *out);
/* Ends the stream (push then needs begin); oz_stream_free releases it. */
void oz_stream_end(omnizip_ctx *ctx);
void oz_stream_free(omnizip_ctx *ctx);

/* Sets up the parallel tasks (config threads, or one per core) and their
 * scratch; the pool only when the host lends no parallel-for. */
omnizip_status oz_engine_init(omnizip_ctx *ctx, char *err, size_t err_size);
/* Joins the pool and frees everything the context holds. */
void oz_engine_release(omnizip_ctx *ctx);

#endif
