/*
 * api.h - the internal, versioned table between libomnizip.so and
 * libomnizip_cuda.so. The CUDA library exports one symbol,
 * oz_cuda_backend_entry(version), returning this table or NULL when it
 * cannot serve that version. Like the public ABI, the table only grows by
 * appending and starts with struct_size, so a newer plugin can refuse an
 * older backend by size instead of calling past its end.
 *
 * Every operation is stream-ordered on the host's cudaStream_t (passed as
 * void *, NULL for the legacy default stream) and returns when its host
 * outputs are written (it synchronises the stream only when it has host
 * outputs). Matrices may live in CUDA or host memory (host rows are staged
 * to the device), in F32/F16/BF16, with any row stride. Failures return
 * OMNIZIP_E_BACKEND (a CUDA or cuBLAS error), OMNIZIP_E_NOMEM (device
 * memory) or OMNIZIP_E_INVALID, with a message in err.
 */
#ifndef OZ_CUDA_API_H
#define OZ_CUDA_API_H

#include <omnizip/omnizip.h>

#define OZ_CUDA_BACKEND_VERSION 1u
#define OZ_CUDA_ENTRY_SYMBOL "oz_cuda_backend_entry"
#define OZ_CUDA_LIBRARY "libomnizip_cuda.so"

struct oz_cu; /* one device context: cuBLAS handle and scratch buffers */

/* A run of consecutive rows of a matrix. */
struct oz_cuda_span {
    int64_t row, len;
};

/* Stage 1.4: for each pool token (audio row pool_rows[q]) its best anchor
 * (index into anchor_rows, first on ties, -1 with no anchor) and sigma: the
 * max cosine of unit_eps rows over the video rows of `spans`, or the best
 * anchor cosine with no video row. Blocked GEMMs with a row max: no pool x
 * video matrix is held. */
struct oz_cuda_cross {
    const struct omnizip_matrix *audio;
    const int64_t *pool_rows; /* host */
    int64_t n_pool;
    const int64_t *anchor_rows; /* host */
    int64_t n_anchor;
    const struct omnizip_matrix *video;
    const struct oz_cuda_span *spans; /* host */
    int64_t n_spans;
    float *sigma;    /* host, n_pool */
    int64_t *assign; /* host, n_pool */
};

/* Stage 1.5 with the host's selection: out row a = (x_a + sum w_m x_m) /
 * (1 + wsum_a) for the members m in [start[a], start[a+1]), in double with
 * unfused arithmetic (bit-equal to the CPU for equal inputs). x are audio
 * rows. out: n_anchor x D, host or CUDA memory, any dtype. */
struct oz_cuda_merge {
    const struct omnizip_matrix *audio;
    const int64_t *anchor_row; /* host, n_anchor audio rows */
    int64_t n_anchor;
    const int64_t *start;      /* host, n_anchor + 1 */
    const int64_t *member_row; /* host, start[n_anchor] audio rows */
    const double *weight;      /* host, per member */
    const double *wsum;        /* host, per anchor */
    const struct omnizip_matrix *out;
};

/* Stage 3 on one video run, rows [row, row + n) of video: keep[n] (host)
 * gets 0/1 as docs/ALGORITHM.md stage 3 says, ties to the lower index. */
struct oz_cuda_istc {
    const struct omnizip_matrix *video;
    int64_t row, n;
    int64_t tpf, frames, num_keep;
    int32_t dpc_k;
    uint8_t *keep;
};

struct oz_cuda_backend {
    uint32_t struct_size;
    uint32_t version;
    const char *name; /* "omnizip-cuda" */

    /* Opens the current device, its cuBLAS handle. With no usable device
     * returns OMNIZIP_E_BACKEND and err starts with "no CUDA device". */
    omnizip_status (*open)(struct oz_cu **out, char *err, size_t err_size);
    void (*close)(struct oz_cu *cu);

    omnizip_status (*cross)(struct oz_cu *cu, const struct oz_cuda_cross *a, void *stream,
                            char *err, size_t err_size);
    omnizip_status (*merge)(struct oz_cu *cu, const struct oz_cuda_merge *a, void *stream,
                            char *err, size_t err_size);
    omnizip_status (*istc)(struct oz_cu *cu, const struct oz_cuda_istc *a, void *stream, char *err,
                           size_t err_size);
    /* Audio importance, as the public audio_importance says, into the host
     * array scores[n_scores]. */
    omnizip_status (*importance)(struct oz_cu *cu, const struct omnizip_importance_in *in,
                                 float *scores, int64_t n_scores, char *err, size_t err_size);

    /* Device memory for tests and benches (the plugin itself needs none):
     * alloc returns NULL on failure; copy is synchronous, dir 0 host to
     * device, 1 device to host. */
    void *(*alloc)(struct oz_cu *cu, size_t bytes);
    void (*free)(struct oz_cu *cu, void *p);
    omnizip_status (*copy)(struct oz_cu *cu, void *dst, const void *src, size_t bytes, int dir,
                           char *err, size_t err_size);
};

typedef const struct oz_cuda_backend *(*oz_cuda_entry_fn)(uint32_t version);

#endif
