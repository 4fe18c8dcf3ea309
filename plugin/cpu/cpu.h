/*
 * cpu.h - the CPU backend: blocked BLAS GEMMs for the cross-modal scores and
 * the DPC-KNN Gram matrices, feeding the decisions in core/.
 */
#ifndef OZ_CPU_H
#define OZ_CPU_H

#include "core/core.h"

/* Working memory, sized once (oz_cpu_reserve) so the window path allocates
 * nothing. */
struct oz_cpu {
    int64_t d;
    int64_t pool_cap, anchor_cap, tpf_cap;
    float *pool_u;   /* pool chunk, unit_eps rows */
    float *anchor_u; /* anchors in scope, unit_eps rows */
    float *video_u;  /* one video block, unit_eps rows */
    float *prod;     /* chunk x max(block, anchors) products */
    float *row;      /* one row in f32 */
    float *frame_u;  /* two frames of unit rows (current, previous) */
    float *gram;     /* tpf x tpf */
    double *score, *rho;
    int64_t *order;
    uint8_t *keep;
    double flops;    /* arithmetic done since the last reset */
};

/* Grows the buffers for hidden size d, pool chunks, anchors in scope and
 * frames of tpf tokens. */
omnizip_status oz_cpu_reserve(struct oz_cpu *c, int64_t d, int64_t anchors, int64_t tpf);
void oz_cpu_release(struct oz_cpu *c);

/* sigma and the assigned anchor (an index into anchor_idx, -1 with no
 * anchor in scope) of each pool token. Rows are audio_idx - audio_base of
 * `audio`; video rows [v0, v1) of `video`. With no video rows in scope sigma
 * is the best anchor similarity (ALGORITHM.md 1.4). */
omnizip_status oz_cpu_cross(struct oz_cpu *c, const struct omnizip_matrix *audio,
                            int64_t audio_base, const int64_t *pool_idx, int64_t n_pool,
                            const int64_t *anchor_idx, int64_t n_anchor,
                            const struct omnizip_matrix *video, int64_t v0, int64_t v1,
                            float *sigma, int64_t *assign);

/* Stage 3 on one video run (rows of `video`, n rows): keep[n] gets 0/1. */
void oz_cpu_istc(struct oz_cpu *c, const struct omnizip_matrix *video, int64_t tpf,
                 int64_t frames, int64_t num_keep, int32_t dpc_k, uint8_t *keep);

#endif
