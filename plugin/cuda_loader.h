/*
 * cuda_loader.h - inside libomnizip.so: the CUDA backend's host side. Loads
 * libomnizip_cuda.so (found next to libomnizip.so) by dlopen, so the CPU
 * plugin never links libcudart, and fills the engine's backend table
 * (oz_cuda_backend_open in backend.h) with its operations. The calls below
 * are the same operations for tests and benches. Messages go to err;
 * nothing here prints.
 */
#ifndef OZ_CUDA_LOADER_H
#define OZ_CUDA_LOADER_H

#include "backend.h"
#include "cuda/api.h"

struct oz_cuda; /* a loaded backend with its device context */

/* Loads OZ_CUDA_LIBRARY from the directory of libomnizip.so (the object that
 * holds this code, found by dladdr), negotiates OZ_CUDA_BACKEND_VERSION and
 * opens the current device. On failure *out is untouched and err names the
 * path and the reason ("no CUDA device: ..." when the library loads but no
 * device is usable): OMNIZIP_E_UNSUPPORTED when the library is missing or
 * does not serve this version, OMNIZIP_E_BACKEND when the device fails. */
omnizip_status oz_cuda_open(struct oz_cuda **out, char *err, size_t err_size);
/* The same with an explicit library path. */
omnizip_status oz_cuda_open_path(const char *path, struct oz_cuda **out, char *err,
                                 size_t err_size);
/* Closes the device context and the library. NULL is a no-op. */
void oz_cuda_close(struct oz_cuda *cu);

/* The backend table and device context, for tests and benches. */
const struct oz_cuda_backend *oz_cuda_table(const struct oz_cuda *cu);
struct oz_cu *oz_cuda_dev(const struct oz_cuda *cu);

/* The cross operation (struct oz_cross in backend.h) on the device: video
 * norms are not needed, the device normalises. Adds the GEMM FLOPs to
 * *flops. */
omnizip_status oz_cuda_cross(struct oz_cuda *cu, void *stream, const struct omnizip_matrix *audio,
                             const int64_t *pool_rows, int64_t n_pool, const int64_t *anchor_rows,
                             int64_t n_anchor, const struct omnizip_matrix *video,
                             const struct oz_span *spans, int64_t n_spans, float *sigma,
                             int64_t *assign, double *flops, char *err, size_t err_size);

/* Stage 3 on the device: rows [row, row + n) of video, keep[n]; frames
 * 0..extra-1 keep num_keep + 1. */
omnizip_status oz_cuda_istc(struct oz_cuda *cu, void *stream, const struct omnizip_matrix *video,
                            int64_t row, int64_t n, int64_t tpf, int64_t frames, int64_t num_keep,
                            int64_t extra, int32_t dpc_k, uint8_t *keep, double *flops, char *err,
                            size_t err_size);

/* Stage 1.4-1.5 for anchors [a0, a1) and pool positions [q0, q1) of p on the
 * device: core's oz_merge_select picks the merges and their weights on the
 * host (marking them OMNIZIP_AUDIO_MERGED in p->audio_state), and the device
 * writes merged row c into anchors + (c - a0) * d (host f32).
 * anchor_rows[c] and pool_rows[q] are rows of audio. With q0 == q1 the
 * anchors are copied unchanged. Scratch lives in cu, so repeated calls
 * allocate nothing once grown. */
omnizip_status oz_cuda_merge_anchors(struct oz_cuda *cu, void *stream, struct oz_plan *p, int32_t g,
                                     const struct omnizip_matrix *audio, const int64_t *anchor_rows,
                                     const int64_t *pool_rows, int64_t a0, int64_t a1, int64_t q0,
                                     int64_t q1, const float *sigma, const int64_t *assign,
                                     float *anchors, int64_t d, char *err, size_t err_size);

/* Audio importance on the device (in->stream), as the public call says. */
omnizip_status oz_cuda_importance(struct oz_cuda *cu, const struct omnizip_importance_in *in,
                                  float *scores, int64_t n_scores, char *err, size_t err_size);

#endif
