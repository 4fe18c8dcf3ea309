/*
 * backend.h - the contract between the engine and a compute backend: one
 * table of the operations the engine needs, filled once at create by the CPU
 * backend (cpu/) or by the CUDA loader (cuda_loader.c). The engine calls
 * through it and never asks which backend it holds; a backend gets what it
 * needs as parameters (the exec, an error buffer, the host's stream) and
 * includes nothing above this header and core/.
 */
#ifndef OZ_BACKEND_H
#define OZ_BACKEND_H

#include "core/core.h"

/* A run of consecutive rows of a matrix. */
struct oz_span {
    int64_t row, len;
};

/* How a stage runs in parallel: run() executes fn(arg, t) for every t < n
 * (n <= tasks) and returns when all are done (the host's parallel-for, the
 * engine's pool, or a plain loop). BLAS is the single-threaded build, so
 * parallelism is all here. */
struct oz_exec {
    uint32_t tasks;
    void (*run)(const struct oz_exec *x, uint32_t n, omnizip_task_fn fn, void *arg);
    void *self;
};

/* What the working memory must hold, fixed by the plan and the hidden size:
 * reserve sizes a backend once, so the window path allocates nothing. */
struct oz_sizes {
    int64_t d;       /* hidden size */
    int64_t pool;    /* pool tokens compared at once */
    int64_t anchors; /* anchors in one scope */
    int64_t tpf;     /* tokens per frame */
    int64_t run;     /* the longest video run */
    int64_t frames;  /* frames decided by one istc call */
    int64_t spans;   /* video spans in one scope */
    int convert;     /* rows arrive in F16/BF16 */
};

/* Stage 1.4: sigma and the assigned anchor (an index into anchor_rows, -1
 * with no anchor) of each pool token. pool_rows/anchor_rows are rows of
 * audio; the video in scope is the rows of spans of video, with norms
 * vnorm[] (spans concatenated) that fill_norms asks to compute on the way
 * (backends that normalise on their own ignore both). With no video in scope
 * sigma is the best anchor similarity. */
struct oz_cross {
    const struct omnizip_matrix *audio, *video;
    const int64_t *pool_rows, *anchor_rows;
    int64_t n_pool, n_anchor;
    const struct oz_span *spans;
    int64_t n_spans;
    double *vnorm;
    int fill_norms;
    float *sigma;
    int64_t *assign;
};

/* Stage 1.5 with core's selection (oz_merge_select): out row a =
 * (x_a + sum_m w_m x_m) / (1 + wsum_a) over the members m in
 * [start[a], start[a+1]) in rank order, in double, unfused. */
struct oz_merge {
    const struct omnizip_matrix *audio;
    const int64_t *anchor_rows; /* n_anchor audio rows */
    int64_t n_anchor;
    const struct oz_merge_sel *sel;
    float *out; /* n_anchor x d, host f32 */
    int64_t d;
};

/* Stage 3 on one video run: rows [row, row + len) of the video matrix, norms
 * norm[len] (for backends that use host norms), keep[len] gets 0/1; frames
 * 0..extra-1 keep num_keep + 1 tokens, the others num_keep. */
struct oz_run {
    int64_t row, len, frames, num_keep, extra;
    const double *norm;
    uint8_t *keep;
};

/* The operations. self is the backend's state; every failing call returns a
 * status with a message in err. Arithmetic done is counted by the backend
 * and handed over by take_flops. */
struct oz_backend_ops {
    const char *name;
    /* Bit (1u << kind) set for each omnizip_memory kind the operations read. */
    uint32_t memory;
    omnizip_status (*reserve)(void *self, const struct oz_sizes *s, char *err, size_t err_size);
    /* Euclidean norms of the rows of spans of m, concatenated into norm[]
     * (a no-op for backends that normalise on their own). */
    void (*norms)(void *self, const struct omnizip_matrix *m, const struct oz_span *spans,
                  int64_t n_spans, double *norm);
    omnizip_status (*cross)(void *self, void *stream, const struct oz_cross *a, char *err,
                            size_t err_size);
    omnizip_status (*merge)(void *self, void *stream, const struct oz_merge *a, char *err,
                            size_t err_size);
    /* Stage 3 on runs[n_runs] of video, every run decided before it returns. */
    omnizip_status (*istc)(void *self, void *stream, const struct omnizip_matrix *video,
                           const struct oz_run *runs, int64_t n_runs, int64_t tpf, int32_t dpc_k,
                           char *err, size_t err_size);
    /* Audio importance, as the public call says; in is already checked. */
    omnizip_status (*importance)(void *self, const struct omnizip_importance_in *in, float *scores,
                                 int64_t n_scores, char *err, size_t err_size);
    double (*take_flops)(void *self);
    void (*close)(void *self);
};

struct oz_backend {
    const struct oz_backend_ops *ops;
    void *self;
};

/* The CPU backend over exec x (borrowed until close): one scratch area per
 * task. */
omnizip_status oz_cpu_backend_open(struct oz_backend *out, const struct oz_exec *x, char *err,
                                   size_t err_size);
/* The CUDA backend: libomnizip_cuda.so next to libomnizip.so, loaded at run
 * time so the CPU plugin never links libcudart. On failure *out is untouched
 * and err names the path and the reason. */
omnizip_status oz_cuda_backend_open(struct oz_backend *out, char *err, size_t err_size);

#endif
