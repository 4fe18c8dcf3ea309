/* Loading libomnizip_cuda.so at run time (the CPU plugin never links
 * libcudart) and the dispatchers that send a stage to the CPU or the
 * device. */
#include "cuda_loader.h"

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct oz_cuda {
    void *dl;
    const struct oz_cuda_backend *be;
    struct oz_cu *dev;
    /* Host side of the merge selection, grown on demand. */
    int64_t *start, *fill, *rows, *order;
    double *weight, *wsum, *value;
    int64_t anchor_cap, member_cap;
    struct oz_cuda_span *spans;
    int64_t span_cap;
    uint8_t *keep_more; /* normalize: exact's frames that keep one more */
    int64_t keep_more_cap;
};

omnizip_status oz_cuda_open_path(const char *path, struct oz_cuda **out, char *err,
                                 size_t err_size)
{
    /* Never unmapped: cudart and libstdc++ register exit handlers that must
     * outlive a dlclose. */
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!dl) {
        const char *why = dlerror();
        oz_seterr(err, err_size, "cuda backend: cannot load %s: %s", path,
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
    else if (!be->open || !be->close || !be->cross || !be->merge || !be->istc ||
             !be->importance || !be->alloc || !be->free || !be->copy)
        why = "returned a backend table with a NULL operation";
    if (why) {
        oz_seterr(err, err_size, "cuda backend: %s %s (version %u)", path, why,
                  OZ_CUDA_BACKEND_VERSION);
        dlclose(dl);
        return OMNIZIP_E_UNSUPPORTED;
    }
    struct oz_cuda *cu = calloc(1, sizeof *cu);
    if (!cu) {
        dlclose(dl);
        oz_seterr(err, err_size, "cuda backend: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    char msg[512] = "";
    omnizip_status st = be->open(&cu->dev, msg, sizeof msg);
    if (st != OMNIZIP_OK) {
        oz_seterr(err, err_size, "cuda backend (%s): %s", path, msg);
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
        oz_seterr(err, err_size, "cuda backend: cannot find the directory of libomnizip.so");
        return OMNIZIP_E_UNSUPPORTED;
    }
    size_t dir = (size_t)(strrchr(from, '/') - from) + 1;
    char *path = malloc(dir + sizeof OZ_CUDA_LIBRARY);
    if (!path) {
        oz_seterr(err, err_size, "cuda backend: out of memory");
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
    free(cu->start), free(cu->fill), free(cu->rows), free(cu->order);
    free(cu->weight), free(cu->wsum), free(cu->value), free(cu->spans);
    free(cu->keep_more);
    free(cu);
}

const struct oz_cuda_backend *oz_cuda_table(const struct oz_cuda *cu) { return cu->be; }
struct oz_cu *oz_cuda_dev(const struct oz_cuda *cu) { return cu->dev; }

omnizip_status oz_cuda_cross(struct oz_cuda *cu, void *stream, const struct omnizip_matrix *audio,
                             const int64_t *pool_rows, int64_t n_pool,
                             const int64_t *anchor_rows, int64_t n_anchor,
                             const struct omnizip_matrix *video, const struct oz_span *spans,
                             int64_t n_spans, float *sigma, int64_t *assign, double *flops,
                             char *err, size_t err_size)
{
    if (n_spans > cu->span_cap) {
        void *q = realloc(cu->spans, (size_t)n_spans * sizeof *cu->spans);
        if (!q) {
            oz_seterr(err, err_size, "cross-modal similarity: out of memory");
            return OMNIZIP_E_NOMEM;
        }
        cu->spans = q;
        cu->span_cap = n_spans;
    }
    int64_t nv = 0;
    for (int64_t k = 0; k < n_spans; k++) {
        cu->spans[k] = (struct oz_cuda_span){spans[k].row, spans[k].len};
        nv += spans[k].len;
    }
    struct oz_cuda_cross a = {audio, pool_rows, n_pool, anchor_rows, n_anchor,
                              video, cu->spans, n_spans, sigma, assign};
    *flops += 2.0 * (double)n_pool * (double)(n_anchor + nv) * (double)audio->cols;
    return cu->be->cross(cu->dev, &a, stream, err, err_size);
}

static int grow(void **p, int64_t n, size_t elem);

omnizip_status oz_cuda_istc(struct oz_cuda *cu, void *stream, const struct omnizip_matrix *video,
                            int64_t row, int64_t n, int64_t tpf, int64_t frames,
                            int64_t num_keep, int64_t extra, int32_t dpc_k, uint8_t *keep,
                            double *flops, char *err, size_t err_size)
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
            oz_seterr(err, err_size, "istc: out of memory");
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
    if (anchors > cu->anchor_cap) {
        if (!grow((void **)&cu->start, anchors + 1, sizeof *cu->start) ||
            !grow((void **)&cu->fill, anchors, sizeof *cu->fill) ||
            !grow((void **)&cu->wsum, anchors, sizeof *cu->wsum))
            return OMNIZIP_E_NOMEM;
        cu->anchor_cap = anchors;
    }
    if (members > cu->member_cap) {
        if (!grow((void **)&cu->rows, members, sizeof *cu->rows) ||
            !grow((void **)&cu->order, members, sizeof *cu->order) ||
            !grow((void **)&cu->weight, members, sizeof *cu->weight) ||
            !grow((void **)&cu->value, members, sizeof *cu->value))
            return OMNIZIP_E_NOMEM;
        cu->member_cap = members;
    }
    return OMNIZIP_OK;
}

/* One anchor's selection, as oz_merge_anchor makes it: members q[0..n) (pool
 * positions in pool order) ranked by sigma, ties to pool order; the first
 * min(g, n) get softmax weights. Writes their audio rows and weights in rank
 * order, which is also the CPU's summation order. Returns how many. */
static int64_t select_members(struct oz_cuda *cu, struct oz_plan *p, const int64_t *pool_rows,
                              const int64_t *q, int64_t n, const float *sigma, int32_t g,
                              int64_t *rows, double *weight, double *wsum)
{
    *wsum = 0.0;
    if (n == 0 || g <= 0)
        return 0;
    for (int64_t m = 0; m < n; m++)
        cu->value[m] = sigma[q[m]];
    oz_rank_desc(cu->value, n, cu->order);
    int64_t take = n < g ? n : g;
    double mx = -INFINITY, z = 0.0;
    for (int64_t t = 0; t < take; t++)
        if (cu->value[cu->order[t]] > mx)
            mx = cu->value[cu->order[t]];
    for (int64_t t = 0; t < take; t++)
        z += exp(cu->value[cu->order[t]] - mx);
    for (int64_t t = 0; t < take; t++) {
        int64_t pos = q[cu->order[t]];
        weight[t] = exp(cu->value[cu->order[t]] - mx) / z;
        *wsum += weight[t];
        rows[t] = pool_rows[pos];
        p->audio_state[p->pool[pos]] = OMNIZIP_AUDIO_MERGED;
    }
    return take;
}

omnizip_status oz_cuda_merge_anchors(struct oz_cuda *cu, void *stream, struct oz_plan *p,
                                     int32_t g, const struct omnizip_matrix *audio,
                                     const int64_t *anchor_rows, const int64_t *pool_rows,
                                     int64_t a0, int64_t a1, int64_t q0, int64_t q1,
                                     const float *sigma, const int64_t *assign, float *anchors,
                                     int64_t d, char *err, size_t err_size)
{
    int64_t n = a1 - a0, pool_n = q1 - q0;
    if (n <= 0)
        return OMNIZIP_OK;
    /* rows holds the chosen members' audio rows (at most pool_n) in its
     * first half and every anchor's pool positions in its second. */
    if (reserve(cu, n, 2 * pool_n + 1) != OMNIZIP_OK) {
        oz_seterr(err, err_size, "merge: out of memory for %lld pool tokens",
                  (long long)pool_n);
        return OMNIZIP_E_NOMEM;
    }
    int64_t *count = cu->start;
    memset(count, 0, (size_t)(n + 1) * sizeof *count);
    for (int64_t q = q0; q < q1; q++)
        if (assign[q] >= a0 && assign[q] < a1)
            count[assign[q] - a0 + 1]++;
    for (int64_t c = 0; c < n; c++)
        count[c + 1] += count[c];
    int64_t *pos = cu->rows + pool_n + 1, *fill = cu->fill;
    memset(fill, 0, (size_t)n * sizeof *fill);
    for (int64_t q = q0; q < q1; q++)
        if (assign[q] >= a0 && assign[q] < a1) {
            int64_t c = assign[q] - a0;
            pos[count[c] + fill[c]++] = q;
        }
    int64_t out = 0;
    for (int64_t c = 0; c < n; c++) {
        int64_t first = count[c], members = count[c + 1] - first;
        count[c] = out;
        out += select_members(cu, p, pool_rows, pos + first, members, sigma, g,
                              cu->rows + out, cu->weight + out, cu->wsum + c);
    }
    count[n] = out;
    struct omnizip_matrix dst = {anchors, n, d, d, OMNIZIP_DTYPE_F32,
                                 OMNIZIP_MEMORY_HOST};
    struct oz_cuda_merge m = {audio, anchor_rows + a0, n, count, cu->rows, cu->weight,
                              cu->wsum, &dst};
    return cu->be->merge(cu->dev, &m, stream, err, err_size);
}

omnizip_status oz_cuda_importance(struct oz_cuda *cu, const struct omnizip_importance_in *in,
                                  float *scores, int64_t n_scores, char *err, size_t err_size)
{
    return cu->be->importance(cu->dev, in, scores, n_scores, err, err_size);
}
