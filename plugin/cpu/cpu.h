/*
 * cpu.h - the CPU backend: BLAS GEMMs straight on the host's rows (F32) or
 * on converted blocks (F16/BF16), with the unit normalisations folded in as
 * per-row scales, feeding the decisions in core/.
 */
#ifndef OZ_CPU_H
#define OZ_CPU_H

#include "backend.h"

/* Working memory, sized once (oz_cpu_reserve) so the window path allocates
 * nothing. */
struct oz_cpu {
    int64_t d;
    int64_t pool_cap, anchor_cap, tpf_cap, run_cap;
    float *pool_u;   /* a pool chunk, unit_eps rows */
    float *anchor_u; /* anchors in scope, unit_eps rows */
    float *block;    /* a block of rows converted to f32 (F16/BF16 input) */
    float *prod;     /* chunk x max(block, anchors) products */
    float *row;      /* one row in f32 */
    double *acc;     /* one merged row in double */
    float *frames;   /* two frames of f32 rows (F16/BF16 input) */
    float *gram;     /* tpf x tpf */
    double *score, *rho, *norm;
    int64_t *order;
    float *part;  /* this task's sigma maxima for a pool chunk */
    double flops; /* arithmetic done since the last reset */
};

/* The CPU backend's state: the engine's exec and one scratch area per task
 * (task t uses work[t]), and the frame jobs of one istc call. */
struct oz_cpu_set {
    uint32_t tasks;
    struct oz_cpu *work;
    const struct oz_exec *exec;
    struct oz_frame_job *jobs;
    int64_t job_cap;
};

/* Runs fn(arg, t) for t < n on the exec's threads. */
static inline void oz_cpu_run(const struct oz_cpu_set *x, uint32_t n, omnizip_task_fn fn, void *arg)
{
    x->exec->run(x->exec, n, fn, arg);
}

/* One frame of stage 3: frame t of the run starting at `row` (norms
 * norm[tpf] of that frame, the previous frame's just before them). */
struct oz_frame_job {
    int64_t row, t, num_keep;
    const double *norm;
    uint8_t *keep;
};

/* Grows c for hidden size d, pool chunks of up to `pool` tokens (capped),
 * `anchors` anchors in scope, frames of tpf tokens, runs of `run` tokens;
 * convert: inputs that are not F32 need f32 copies of rows. */
omnizip_status oz_cpu_reserve(struct oz_cpu *c, int64_t d, int64_t pool, int64_t anchors,
                              int64_t tpf, int64_t run, int convert);
void oz_cpu_release(struct oz_cpu *c);

/* Euclidean norms of the rows of `spans` of m, concatenated into norm[]. */
void oz_cpu_norms(const struct oz_cpu_set *x, const struct omnizip_matrix *m,
                  const struct oz_span *spans, int64_t n_spans, double *norm);

/* The backend's cross operation (backend.h); fill_norms computes each
 * block's norms just before its product, while it is in cache. */
void oz_cpu_cross(const struct oz_cpu_set *x, const struct oz_cross *a);

/* Stage 3 on a run: rows [row, row + n) of `video` with norms norm[n];
 * keep[n] gets 0/1; frames 0..extra-1 keep num_keep + 1 tokens, the others
 * num_keep. Whole frames are settled here; the frames that need a decision
 * are appended to jobs[*n_jobs] for oz_cpu_frames. */
void oz_cpu_istc_run(int64_t row, int64_t n, const double *norm, int64_t tpf, int64_t frames,
                     int64_t num_keep, int64_t extra, uint8_t *keep, struct oz_frame_job *jobs,
                     int64_t *n_jobs);

/* Decides every frame job, in parallel over x's tasks. */
void oz_cpu_frames(const struct oz_cpu_set *x, const struct omnizip_matrix *video,
                   const struct oz_frame_job *jobs, int64_t n_jobs, int64_t tpf, int32_t dpc_k);

/* Pointer to row r of a host matrix. */
static inline const void *oz_row_ptr(const struct omnizip_matrix *m, int64_t r)
{
    return (const unsigned char *)m->data + (size_t)(r * m->row_stride) * ozc_dtype_size(m->dtype);
}

/* Audio importance (the public call's contract; in already checked). */
omnizip_status oz_cpu_importance(const struct oz_cpu_set *x, const struct omnizip_importance_in *in,
                                 float *scores, int64_t n_scores, char *err, size_t err_size);

#endif
