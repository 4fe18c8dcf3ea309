/* Loading libomnizip_cuda.so at run time (the CPU plugin never links
 * libcudart) and the CUDA backend's table over it. */
#include "cuda_loader.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct oz_cuda {
    void *dl;
    const struct oz_cuda_backend *be;
    struct oz_cu *dev;
    double flops; /* arithmetic since the last take_flops */
    /* oz_cuda_merge_anchors' selection, grown on demand. */
    struct oz_merge_sel sel;
    int64_t anchor_cap, member_cap;
    struct oz_cuda_span *spans;
    int64_t span_cap;
    uint8_t *keep_more; /* normalize: exact's frames that keep one more */
    int64_t keep_more_cap;
};

omnizip_status oz_cuda_open_path(const char *path, struct oz_cuda **out, char *err, size_t err_size)
{
    /* Never unmapped: cudart and libstdc++ register exit handlers that must
     * outlive a dlclose. */
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!dl) {
        const char *why = dlerror();
        ozc_err(err, err_size, "cuda backend: cannot load %s: %s", path,
                why ? why : "unknown dlopen error");
        return OMNIZIP_E_UNSUPPORTED;
    }
    oz_cuda_entry_fn entry;
    *(void **)&entry = dlsym(dl, OZ_CUDA_ENTRY_SYMBOL);
    const struct oz_cuda_backend *be = entry ? entry(OZ_CUDA_BACKEND_VERSION) : NULL;
    const char *why = NULL;
    if (!entry)
        why = "has no " OZ_CUDA_ENTRY_SYMBOL " symbol";
    else if (!be)
        why = "does not serve the backend version this plugin needs";
    else if (be->struct_size < sizeof *be || be->version != OZ_CUDA_BACKEND_VERSION)
        why = "returned a backend table older than this plugin";
    else if (!be->open || !be->close || !be->cross || !be->merge || !be->istc || !be->importance ||
             !be->alloc || !be->free || !be->copy)
        why = "returned a backend table with a NULL operation";
    if (why) {
        ozc_err(err, err_size, "cuda backend: %s %s (version %u)", path, why,
                OZ_CUDA_BACKEND_VERSION);
        dlclose(dl);
        return OMNIZIP_E_UNSUPPORTED;
    }
    struct oz_cuda *cu = calloc(1, sizeof *cu);
    if (!cu) {
        dlclose(dl);
        ozc_err(err, err_size, "cuda backend: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    char msg[512] = "";
    omnizip_status st = be->open(&cu->dev, msg, sizeof msg);
    if (st != OMNIZIP_OK) {
        ozc_err(err, err_size, "cuda backend (%s): %s", path, msg);
        free(cu);
        dlclose(dl);
        return st;
    }
    cu->dl = dl;
    cu->be = be;
    *out = cu;
    return OMNIZIP_OK;
}

omnizip_status oz_cuda_open(struct oz_cuda **out, char *err, size_t err_size)
{
    Dl_info info;
    char self[4096];
    const char *from = NULL;
    if (dladdr((void *)oz_cuda_open, &info) && info.dli_fname && strchr(info.dli_fname, '/'))
        from = info.dli_fname;
    else {
        /* Linked into the program itself: dladdr gives its bare name. */
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
            self[n] = '\0';
            from = self;
        }
    }
    if (!from) {
        ozc_err(err, err_size, "cuda backend: cannot find the directory of libomnizip.so");
        return OMNIZIP_E_UNSUPPORTED;
    }
    size_t dir = (size_t)(strrchr(from, '/') - from) + 1;
    char *path = malloc(dir + sizeof OZ_CUDA_LIBRARY);
    if (!path) {
        ozc_err(err, err_size, "cuda backend: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    memcpy(path, from, dir);
    memcpy(path + dir, OZ_CUDA_LIBRARY, sizeof OZ_CUDA_LIBRARY);
    omnizip_status st = oz_cuda_open_path(path, out, err, err_size);
    free(path);
    return st;
}

void oz_cuda_close(struct oz_cuda *cu)
{
    if (!cu)
        return;
    cu->be->close(cu->dev);
    dlclose(cu->dl);
    free(cu->sel.start), free(cu->sel.member_row), free(cu->sel.weight), free(cu->sel.wsum);
    free(cu->sel.group), free(cu->sel.order), free(cu->sel.value), free(cu->spans);
    free(cu->keep_more);
    free(cu);
}

const struct oz_cuda_backend *oz_cuda_table(const struct oz_cuda *cu)
{
    return cu->be;
}
struct oz_cu *oz_cuda_dev(const struct oz_cuda *cu)
{
    return cu->dev;
}

static omnizip_status grow_spans(struct oz_cuda *cu, int64_t n, char *err, size_t err_size)
{
    if (n <= cu->span_cap)
        return OMNIZIP_OK;
    void *q = realloc(cu->spans, (size_t)n * sizeof *cu->spans);
    if (!q) {
        ozc_err(err, err_size, "cross-modal similarity: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    cu->spans = q;
    cu->span_cap = n;
    return OMNIZIP_OK;
}

omnizip_status oz_cuda_cross(struct oz_cuda *cu, void *stream, const struct omnizip_matrix *audio,
                             const int64_t *pool_rows, int64_t n_pool, const int64_t *anchor_rows,
                             int64_t n_anchor, const struct omnizip_matrix *video,
                             const struct oz_span *spans, int64_t n_spans, float *sigma,
                             int64_t *assign, double *flops, char *err, size_t err_size)
{
    omnizip_status st = grow_spans(cu, n_spans, err, err_size);
    if (st != OMNIZIP_OK)
        return st;
    int64_t nv = 0;
    for (int64_t k = 0; k < n_spans; k++) {
        cu->spans[k] = (struct oz_cuda_span){spans[k].row, spans[k].len};
        nv += spans[k].len;
    }
    struct oz_cuda_cross a = {audio, pool_rows, n_pool,  anchor_rows, n_anchor,
                              video, cu->spans, n_spans, sigma,       assign};
    *flops += 2.0 * (double)n_pool * (double)(n_anchor + nv) * (double)audio->cols;
    return cu->be->cross(cu->dev, &a, stream, err, err_size);
}

static int grow(void **p, int64_t n, size_t elem);

omnizip_status oz_cuda_istc(struct oz_cuda *cu, void *stream, const struct omnizip_matrix *video,
                            int64_t row, int64_t n, int64_t tpf, int64_t frames, int64_t num_keep,
                            int64_t extra, int32_t dpc_k, uint8_t *keep, double *flops, char *err,
                            size_t err_size)
{
    if (num_keep < tpf) {
        double d = (double)video->cols, t = (double)tpf;
        *flops += (double)((frames + 1) / 2) * t * t * d + (double)(frames / 2) * 2.0 * t * d;
    }
    struct oz_cuda_istc a = {video, row, n, tpf, frames, num_keep, dpc_k, keep};
    omnizip_status st = cu->be->istc(cu->dev, &a, stream, err, err_size);
    if (st != OMNIZIP_OK || extra <= 0 || frames == 0)
        return st;
    /* Frames 0..extra-1 keep one more: the top num_keep + 1 of the same
     * ranking, from a second pass (only normalize: exact has extra). */
    if (n > cu->keep_more_cap) {
        if (!grow((void **)&cu->keep_more, n, 1)) {
            ozc_err(err, err_size, "istc: out of memory");
            return OMNIZIP_E_NOMEM;
        }
        cu->keep_more_cap = n;
    }
    a.num_keep = num_keep + 1;
    a.keep = cu->keep_more;
    st = cu->be->istc(cu->dev, &a, stream, err, err_size);
    if (st == OMNIZIP_OK)
        memcpy(keep, cu->keep_more, (size_t)(extra * tpf));
    return st;
}

static int grow(void **p, int64_t n, size_t elem)
{
    void *q = realloc(*p, (size_t)(n > 0 ? n : 1) * elem);
    if (!q)
        return 0;
    *p = q;
    return 1;
}

static omnizip_status reserve(struct oz_cuda *cu, int64_t anchors, int64_t members)
{
    struct oz_merge_sel *s = &cu->sel;
    if (anchors > cu->anchor_cap) {
        if (!grow((void **)&s->start, anchors + 1, sizeof *s->start) ||
            !grow((void **)&s->wsum, anchors, sizeof *s->wsum))
            return OMNIZIP_E_NOMEM;
        cu->anchor_cap = anchors;
    }
    if (members > cu->member_cap) {
        if (!grow((void **)&s->member_row, members, sizeof *s->member_row) ||
            !grow((void **)&s->weight, members, sizeof *s->weight) ||
            !grow((void **)&s->group, members, sizeof *s->group) ||
            !grow((void **)&s->order, members, sizeof *s->order) ||
            !grow((void **)&s->value, members, sizeof *s->value))
            return OMNIZIP_E_NOMEM;
        cu->member_cap = members;
    }
    return OMNIZIP_OK;
}

/* The device's weighted sums for a selection made on the host. */
static omnizip_status merge_rows(struct oz_cuda *cu, void *stream, const struct oz_merge *m,
                                 char *err, size_t err_size)
{
    struct omnizip_matrix dst = {m->out, m->n_anchor,       m->d,
                                 m->d,   OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    struct oz_cuda_merge a = {m->audio,           m->anchor_rows, m->n_anchor,  m->sel->start,
                              m->sel->member_row, m->sel->weight, m->sel->wsum, &dst};
    return cu->be->merge(cu->dev, &a, stream, err, err_size);
}

omnizip_status oz_cuda_merge_anchors(struct oz_cuda *cu, void *stream, struct oz_plan *p, int32_t g,
                                     const struct omnizip_matrix *audio, const int64_t *anchor_rows,
                                     const int64_t *pool_rows, int64_t a0, int64_t a1, int64_t q0,
                                     int64_t q1, const float *sigma, const int64_t *assign,
                                     float *anchors, int64_t d, char *err, size_t err_size)
{
    int64_t n = a1 - a0, pool_n = q1 - q0;
    if (n <= 0)
        return OMNIZIP_OK;
    if (reserve(cu, n, pool_n) != OMNIZIP_OK) {
        ozc_err(err, err_size, "merge: out of memory for %lld pool tokens", (long long)pool_n);
        return OMNIZIP_E_NOMEM;
    }
    oz_merge_select(p, assign, sigma, g, pool_rows, a0, a1, q0, q1, &cu->sel);
    struct oz_merge m = {audio, anchor_rows + a0, n, &cu->sel, anchors, d};
    return merge_rows(cu, stream, &m, err, err_size);
}

omnizip_status oz_cuda_importance(struct oz_cuda *cu, const struct omnizip_importance_in *in,
                                  float *scores, int64_t n_scores, char *err, size_t err_size)
{
    return cu->be->importance(cu->dev, in, scores, n_scores, err, err_size);
}

/* ---- the engine's backend table over the calls above ---------------- */

/* The device's scratch grows inside the CUDA library; the host side needs
 * the spans in their device-table form and a run's second mask. */
static omnizip_status op_reserve(void *self, const struct oz_sizes *s, char *err, size_t es)
{
    struct oz_cuda *cu = self;
    if (s->run > cu->keep_more_cap) {
        if (!grow((void **)&cu->keep_more, s->run, 1)) {
            ozc_err(err, es, "istc: out of memory");
            return OMNIZIP_E_NOMEM;
        }
        cu->keep_more_cap = s->run;
    }
    return grow_spans(cu, s->spans, err, es);
}

static void op_norms(void *self, const struct omnizip_matrix *m, const struct oz_span *spans,
                     int64_t n_spans, double *norm)
{
    /* the device normalises its own rows */
}

static omnizip_status op_cross(void *self, void *stream, const struct oz_cross *a, char *err,
                               size_t es)
{
    struct oz_cuda *cu = self;
    return oz_cuda_cross(cu, stream, a->audio, a->pool_rows, a->n_pool, a->anchor_rows, a->n_anchor,
                         a->video, a->spans, a->n_spans, a->sigma, a->assign, &cu->flops, err, es);
}

static omnizip_status op_merge(void *self, void *stream, const struct oz_merge *a, char *err,
                               size_t es)
{
    return a->n_anchor > 0 ? merge_rows(self, stream, a, err, es) : OMNIZIP_OK;
}

static omnizip_status op_istc(void *self, void *stream, const struct omnizip_matrix *video,
                              const struct oz_run *runs, int64_t n_runs, int64_t tpf, int32_t dpc_k,
                              char *err, size_t es)
{
    struct oz_cuda *cu = self;
    for (int64_t r = 0; r < n_runs; r++) {
        omnizip_status st = oz_cuda_istc(cu, stream, video, runs[r].row, runs[r].len, tpf,
                                         runs[r].frames, runs[r].num_keep, runs[r].extra, dpc_k,
                                         runs[r].keep, &cu->flops, err, es);
        if (st != OMNIZIP_OK)
            return st;
    }
    return OMNIZIP_OK;
}

static omnizip_status op_importance(void *self, const struct omnizip_importance_in *in,
                                    float *scores, int64_t n_scores, char *err, size_t es)
{
    if (in->cu_seqlens) {
        ozc_err(err, es,
                "audio_importance: the cuda backend computes the 1.0 definition "
                "only; the windowed one (cu_seqlens) runs on the cpu backend");
        return OMNIZIP_E_UNSUPPORTED;
    }
    return oz_cuda_importance(self, in, scores, n_scores, err, es);
}

static double op_take_flops(void *self)
{
    struct oz_cuda *cu = self;
    double f = cu->flops;
    cu->flops = 0.0;
    return f;
}

static void op_close(void *self)
{
    oz_cuda_close(self);
}

static const struct oz_backend_ops cuda_ops = {
    .name = "cuda",
    .memory = 1u << OMNIZIP_MEMORY_HOST | 1u << OMNIZIP_MEMORY_CUDA,
    .reserve = op_reserve,
    .norms = op_norms,
    .cross = op_cross,
    .merge = op_merge,
    .istc = op_istc,
    .importance = op_importance,
    .take_flops = op_take_flops,
    .close = op_close,
};

omnizip_status oz_cuda_backend_open(struct oz_backend *out, char *err, size_t err_size)
{
    struct oz_cuda *cu;
    omnizip_status st = oz_cuda_open(&cu, err, err_size);
    if (st == OMNIZIP_OK)
        *out = (struct oz_backend){&cuda_ops, cu};
    return st;
}
