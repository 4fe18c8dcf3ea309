/*
 * engine.h - the context behind the ABI table: plan, bind, window and
 * audio importance over one backend table (backend.h). plugin.c checks the
 * boundary (struct sizes, NULLs) and calls these; these check the state and
 * the shapes. Files: context.c (create/destroy, the exec and its pool,
 * matrix checks, the backend in use), plan.c (plan and the working memory it
 * sizes), bind.c, window.c, scope.c (what each pool token is compared with),
 * strategy.c (the baseline strategies), stream.c (mode streaming) and
 * pool.c (the internal threads).
 */
#ifndef OZ_ENGINE_H
#define OZ_ENGINE_H

#include "backend.h"
#include "ozc_clock.h"
#include "telemetry.h"

struct omnizip_ctx {
    struct omnizip_config cfg;
    struct omnizip_host host;
    char err[1024];
    int planned, bound;
    int sized;         /* the backend and the arrays below fit the plan and d */
    int sized_convert; /* ... and F16/BF16 rows */
    struct oz_plan plan;
    int64_t d;      /* hidden size, known from bind or the first window */
    float *anchors; /* merged anchor rows from anchor_base on */
    int64_t anchor_base;
    float *sigma; /* per pool token */
    int64_t *assign;
    int64_t *pool_rows, *anchor_rows; /* rows of the audio matrix in use */
    double *video_norm;               /* per video token (bind), or one run's (window scope) */
    struct oz_span *spans;            /* video runs in scope */
    struct oz_run *runs;              /* video runs handed to stage 3 */
    struct oz_merge_sel sel;
    uint8_t *video_keep;  /* every run's mask, decided at bind */
    struct oz_exec exec;  /* how stages run in parallel */
    struct oz_pool *pool; /* internal threads when the host lends none */
    struct oz_backend be;
    double flops; /* arithmetic of a backend replaced since the last window */
    void *stream; /* the host's stream for the call in progress */
    struct oz_telemetry *tel;
    struct oz_streamer *streamer; /* mode streaming: the stream (stream.c) */
    uint32_t window_base;         /* streaming: the stream index of plan window 0 */
    double us_plan, us_bind, us_windows;
};

/* The refusal of per-window calls after a plan without scores. */
#define OZ_TOTALS_ONLY                                                     \
    "planned without audio scores: only the totals are known; plan again " \
    "with the scores for per-window counts and compression"

/* context.c */

/* Sets up the parallel tasks (config threads, or one per core), the pool
 * when the host lends no parallel-for, and the configured backend. */
omnizip_status oz_engine_init(omnizip_ctx *ctx, char *err, size_t err_size);
/* Joins the pool and frees everything the context holds. */
void oz_engine_release(omnizip_ctx *ctx);
/* Frees what plan allocated; the context is unplanned. */
void oz_engine_free(omnizip_ctx *ctx);
/* Makes the backend read memory kind m: with backend auto, CUDA memory
 * switches the context to the CUDA backend (loading it). The one place a
 * backend is chosen after create; the checks below only refuse. */
omnizip_status oz_engine_reach(omnizip_ctx *ctx, omnizip_memory m);
/* Checks a matrix the host passes: memory the backend reads, known dtype,
 * sane shape. */
omnizip_status oz_check_matrix(omnizip_ctx *ctx, const char *what, const struct omnizip_matrix *m,
                               int64_t rows, int64_t cols);
/* Arithmetic the backend did since the last call. */
double oz_engine_take_flops(omnizip_ctx *ctx);
omnizip_status oz_engine_fail(omnizip_ctx *ctx, omnizip_status st, const char *msg);

/* plan.c */
omnizip_status oz_engine_plan(omnizip_ctx *ctx, const struct omnizip_layout *layout,
                              const float *scores, int64_t n_scores, struct omnizip_plan *out);
void oz_engine_window_info(const omnizip_ctx *ctx, uint32_t i, struct omnizip_window_info *info);
/* Sizes the working memory for hidden size d (convert: rows in F16/BF16)
 * from the plan, once: later calls return at once. */
omnizip_status oz_engine_reserve(omnizip_ctx *ctx, int64_t d, int convert);
/* The window scope with radius 0, and mode streaming, need nothing beyond
 * each window's own rows: bind is skipped and memory stays per-window. */
int oz_engine_local(const omnizip_ctx *ctx);

/* bind.c, window.c */
omnizip_status oz_engine_bind(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                              const struct omnizip_matrix *video);
omnizip_status oz_engine_window(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                                const struct omnizip_window_out *out,
                                struct omnizip_window_info *info);
/* The host's mask buffers hold window i (every strategy's window() asks). */
omnizip_status oz_window_check_masks(omnizip_ctx *ctx, uint32_t i, const struct oz_window *w,
                                     const struct omnizip_window_out *out);
/* Audio importance: checks in, then the backend computes. */
omnizip_status oz_engine_importance(omnizip_ctx *ctx, const struct omnizip_importance_in *in,
                                    float *scores, int64_t n_scores);

/* scope.c: the video runs of windows [lo, hi] as spans (of bind's matrix,
 * or of the window's own run when local); the audio rows of pool tokens
 * [q0, q1) and anchors [a0, a1) (bind's, or of window `local`'s own run);
 * sigma and assignment for the pool tokens of windows [w0, w1); the merges
 * of anchors [a0, a1) with their chosen pool tokens of [q0, q1), counted
 * into each window's audio_merged. */
int64_t oz_video_spans(omnizip_ctx *ctx, uint32_t lo, uint32_t hi, int local);
void oz_audio_rows(omnizip_ctx *ctx, int64_t q0, int64_t q1, int64_t a0, int64_t a1,
                   const struct oz_window *local);
omnizip_status oz_cross_windows(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                                const struct omnizip_matrix *video, double *vnorm, int fill_norms,
                                uint32_t w0, uint32_t w1, int local);
omnizip_status oz_merge_anchors(omnizip_ctx *ctx, const struct omnizip_matrix *audio, int64_t a0,
                                int64_t a1, int64_t q0, int64_t q1);
/* Counts the merged pool tokens of windows [w0, w1) into their audio_merged. */
void oz_count_merged(omnizip_ctx *ctx, uint32_t w0, uint32_t w1);

/* strategy.c: the baseline strategies' bind (dycoke decides there) and
 * window (masks from the plan). */
omnizip_status oz_baseline_bind(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                                const struct omnizip_matrix *video);
omnizip_status oz_baseline_window(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                                  const struct omnizip_window_out *out,
                                  struct omnizip_window_info *info);

/* stream.c: the omnizip.streaming/1 extension behind plugin.c's checks. */
omnizip_status oz_stream_start(omnizip_ctx *ctx, int64_t tokens_per_frame);
omnizip_status oz_stream_push(omnizip_ctx *ctx, const struct omnizip_stream_in *in,
                              const struct omnizip_window_out *out,
                              struct omnizip_window_info *info);
omnizip_status oz_stream_totals(omnizip_ctx *ctx, struct omnizip_stream_totals *out);
/* Ends the stream (push then needs begin); oz_stream_free releases it. */
void oz_stream_end(omnizip_ctx *ctx);
void oz_stream_free(omnizip_ctx *ctx);

/* pool.c */
struct oz_pool;
omnizip_status oz_pool_create(struct oz_pool **out, uint32_t threads);
void oz_pool_run(struct oz_pool *p, uint32_t n, omnizip_task_fn fn, void *arg);
void oz_pool_destroy(struct oz_pool *p);

#endif
