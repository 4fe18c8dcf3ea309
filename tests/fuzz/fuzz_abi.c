/*
 * fuzz_abi.c - call sequences on the real table (omnizip_plugin_entry(1),
 * linked in): one context, then up to 24 calls chosen by the bytes - plan
 * (random layouts, run starts that overlap, leave the buffer or sit near
 * INT64_MAX, huge tokens_per_frame, non-zero reserved fields), window_plan,
 * bind, window, finish, audio_importance - with random dtypes, strides,
 * capacities and NULLs, re-planning on the same context.
 *
 * The host here is honest about its own buffers (a matrix never claims more
 * rows than it holds; a capacity never exceeds its buffer): whatever goes
 * wrong is the plugin's. A failed call must leave every caller buffer as it
 * was: outputs are filled with a canary first and checked after a failure.
 */
#include "fuzz.h"

#include <math.h>

#include <omnizip/omnizip.h>

#define MAX_RUNS 6
#define MAX_BYTES ((int64_t)4 << 20) /* the most one host buffer takes */
#define CANARY 0xA5

struct host {
    const struct omnizip_plugin *p;
    omnizip_ctx *ctx;
    struct fz f;
    int64_t vlen[MAX_RUNS], alen[MAX_RUNS], vstart[MAX_RUNS], astart[MAX_RUNS];
    uint32_t nv, na, n_windows;
    int starts;
    int64_t D;
};

static int64_t bytes_of(int64_t rows, int64_t stride, int64_t esz)
{
    int64_t b;
    if (rows < 0 || stride < 0 || __builtin_mul_overflow(rows, stride, &b) ||
        __builtin_mul_overflow(b, esz, &b) || b > MAX_BYTES)
        return -1;
    return b;
}

static void fill(struct host *h, void *data, int64_t bytes, omnizip_dtype dt)
{
    uint32_t seed = (uint32_t)fz_bits(&h->f, 2) * 2654435761u + 1;
    int nan_at = fz_range(&h->f, 0, 31) == 0 ? (int)fz_range(&h->f, 0, 63) : -1;
    if (dt == OMNIZIP_DTYPE_F32) {
        float *x = data;
        for (int64_t i = 0; i < bytes / 4; i++) {
            seed = seed * 1664525u + 1013904223u;
            x[i] = i == nan_at ? NAN : (float)((int32_t)seed >> 8) / 8388608.0f;
        }
    } else {
        uint16_t *x = data;
        for (int64_t i = 0; i < bytes / 2; i++) {
            seed = seed * 1664525u + 1013904223u;
            /* sign, exponents 2^-3..2^3, mantissa: finite in f16 and bf16 */
            x[i] = (uint16_t)((seed >> 16 & 0x83ff) | (dt == OMNIZIP_DTYPE_F16 ? 0x3000 : 0x3e00));
            if (i == nan_at)
                x[i] = 0x7fff;
        }
    }
}

/* A matrix of rows x cols; the buffer matches it, or data is NULL. */
static void *matrix(struct host *h, struct omnizip_matrix *m, int64_t rows, int64_t cols)
{
    memset(m, 0, sizeof *m);
    m->rows = rows;
    m->cols = cols;
    m->dtype = (omnizip_dtype)fz_range(&h->f, 0, 3); /* 3: not a dtype */
    m->memory = fz_range(&h->f, 0, 31) == 0 ? OMNIZIP_MEMORY_CUDA : OMNIZIP_MEMORY_HOST;
    int64_t pad = fz_range(&h->f, 0, 2);
    if (fz_range(&h->f, 0, 15) == 0 || __builtin_add_overflow(cols, pad, &m->row_stride))
        m->row_stride = fz_size(&h->f, 0, 64);
    int64_t b = bytes_of(rows, m->row_stride, 4);
    if (b < 0 || fz_range(&h->f, 0, 31) == 0)
        return NULL;
    void *data = malloc(b ? (size_t)b : 1);
    if (!data)
        abort();
    fill(h, data, b, m->dtype);
    m->data = data;
    return data;
}

static int untouched(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != CANARY)
            return 0;
    return 1;
}

static void do_plan(struct host *h)
{
    struct fz *f = &h->f;
    h->nv = (uint32_t)fz_range(f, 0, MAX_RUNS);
    h->na = (uint32_t)fz_range(f, 0, MAX_RUNS);
    h->starts = (int)fz_range(f, 0, 1);
    int64_t pos = 0, n_scores = 0;
    int wild = 0;
    for (uint32_t i = 0; i < MAX_RUNS; i++) {
        h->vlen[i] = fz_size(f, 0, 48);
        h->alen[i] = fz_size(f, 0, 48);
        wild |= h->vlen[i] < 0 || h->vlen[i] > 48 || h->alen[i] < 0 || h->alen[i] > 48;
        /* In sequence order (video run i, then audio run i), or anywhere. */
        int scatter = fz_range(f, 0, 7) == 0;
        h->vstart[i] = scatter ? fz_size(f, 0, 600) : pos;
        pos += h->vlen[i] > 0 && h->vlen[i] <= 48 ? h->vlen[i] : 0;
        h->astart[i] = scatter ? fz_size(f, 0, 600) : pos;
        pos += h->alen[i] > 0 && h->alen[i] <= 48 ? h->alen[i] : 0;
        if (i < h->na && h->alen[i] > 0 && h->alen[i] <= 48)
            n_scores += h->alen[i];
    }
    struct omnizip_layout l;
    memset(&l, 0, sizeof l);
    l.struct_size = fz_range(f, 0, 15) == 0 ? (uint32_t)fz_range(f, 0, 96) : sizeof l;
    l.reserved0 = fz_range(f, 0, 15) == 0;
    l.n_video_runs = h->nv;
    l.n_audio_runs = h->na;
    l.video_run_len = h->vlen;
    l.audio_run_len = h->alen;
    l.tokens_per_frame = fz_size(f, 1, 16);
    l.grid_t = fz_size(f, 0, 8);
    if (h->starts) {
        l.video_run_start = h->vstart;
        l.audio_run_start = h->astart;
    }
    if (fz_range(f, 0, 15) == 0)
        l.video_run_len = NULL;
    float *scores = NULL;
    if (!wild && fz_range(f, 0, 15) != 0) {
        scores = malloc((size_t)(n_scores ? n_scores : 1) * sizeof *scores);
        if (!scores)
            abort();
        for (int64_t i = 0; i < n_scores; i++)
            scores[i] = (float)fz_range(f, 0, 255) / 64.0f;
        if (n_scores && fz_range(f, 0, 31) == 0)
            scores[fz_range(f, 0, n_scores - 1)] = NAN;
    }
    if (fz_range(f, 0, 15) == 0)
        n_scores = fz_size(f, 0, 300);
    if (!scores && n_scores && fz_range(f, 0, 1))
        n_scores = 0;
    struct omnizip_plan out;
    memset(&out, CANARY, sizeof out);
    out.struct_size = sizeof out;
    struct omnizip_plan before = out;
    omnizip_status st = h->p->plan(h->ctx, &l, scores, scores ? n_scores : n_scores, &out);
    if (st != OMNIZIP_OK && memcmp(&out, &before, sizeof out) != 0)
        abort();
    h->n_windows = st == OMNIZIP_OK ? out.n_windows : 0;
    free(scores);
}

static void do_window_plan(struct host *h)
{
    struct omnizip_window_info w;
    memset(&w, CANARY, sizeof w);
    w.struct_size = sizeof w;
    struct omnizip_window_info before = w;
    uint32_t i = (uint32_t)fz_range(&h->f, 0, h->n_windows + 1);
    if (h->p->window_plan(h->ctx, i, &w) != OMNIZIP_OK && memcmp(&w, &before, sizeof w) != 0)
        abort();
}

static int64_t total(const int64_t *len, uint32_t n)
{
    int64_t t = 0;
    for (uint32_t i = 0; i < n; i++)
        if (len[i] < 0 || len[i] > 48 || __builtin_add_overflow(t, len[i], &t))
            return -1;
    return t;
}

static void do_bind(struct host *h)
{
    struct omnizip_matrix a, v;
    void *da, *dv;
    int64_t D = h->D;
    if (h->starts && fz_range(&h->f, 0, 3) != 0) {
        /* The whole sequence, once, for both: rows as the host holds them. */
        int64_t L = fz_range(&h->f, 0, 1) ? 600 : fz_range(&h->f, 0, 700);
        da = matrix(h, &a, L, D);
        v = a;
        dv = NULL;
    } else {
        int64_t ra = total(h->alen, h->na), rv = total(h->vlen, h->nv);
        da = matrix(h, &a, ra >= 0 && fz_range(&h->f, 0, 7) ? ra : fz_range(&h->f, 0, 64), D);
        dv = matrix(h, &v, rv >= 0 && fz_range(&h->f, 0, 7) ? rv : fz_range(&h->f, 0, 64), D);
    }
    h->p->bind(h->ctx, fz_range(&h->f, 0, 31) ? &a : NULL, &v, NULL);
    free(da);
    free(dv);
}

static void *out_buffer(struct host *h, int64_t want, int64_t *capacity)
{
    int64_t cap = fz_range(&h->f, 0, 3) ? want : fz_size(&h->f, 0, 64);
    if (cap < 0 || cap > MAX_BYTES || fz_range(&h->f, 0, 31) == 0) {
        *capacity = cap;
        return NULL;
    }
    void *b = malloc(cap ? (size_t)cap : 1);
    if (!b)
        abort();
    memset(b, CANARY, cap ? (size_t)cap : 1);
    *capacity = cap;
    return b;
}

static void do_window(struct host *h)
{
    uint32_t i = (uint32_t)fz_range(&h->f, 0, h->n_windows + 1);
    struct omnizip_window_info plan;
    memset(&plan, 0, sizeof plan);
    plan.struct_size = sizeof plan;
    h->p->window_plan(h->ctx, i, &plan);
    int64_t ar = i < h->na && h->alen[i] >= 0 && h->alen[i] <= 48 ? h->alen[i] : 0;
    int64_t vr = i < h->nv && h->vlen[i] >= 0 && h->vlen[i] <= 48 ? h->vlen[i] : 0;
    struct omnizip_window_in in;
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.reserved0 = fz_range(&h->f, 0, 31) == 0;
    void *da = matrix(h, &in.audio, fz_range(&h->f, 0, 7) ? ar : fz_range(&h->f, 0, 64), h->D);
    void *dv = matrix(h, &in.video, fz_range(&h->f, 0, 7) ? vr : fz_range(&h->f, 0, 64), h->D);
    struct omnizip_window_out out;
    memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    out.audio_state = out_buffer(h, ar, &out.audio_capacity);
    out.video_keep = out_buffer(h, vr, &out.video_capacity);
    int64_t anchors = plan.audio_anchors >= 0 && plan.audio_anchors <= 48 ? plan.audio_anchors : 0;
    struct omnizip_matrix *m = &out.anchors;
    m->rows = fz_range(&h->f, 0, 3) ? anchors : fz_range(&h->f, 0, 8);
    m->cols = fz_range(&h->f, 0, 7) ? h->D : fz_size(&h->f, 0, 32);
    if (__builtin_add_overflow(m->cols, fz_range(&h->f, 0, 1), &m->row_stride))
        m->row_stride = m->cols;
    m->dtype = (omnizip_dtype)fz_range(&h->f, 0, 2);
    int64_t ab = bytes_of(m->rows, m->row_stride, 4);
    if (ab >= 0 && fz_range(&h->f, 0, 31)) {
        m->data = malloc(ab ? (size_t)ab : 1);
        if (!m->data)
            abort();
        memset(m->data, CANARY, ab ? (size_t)ab : 1);
    }
    struct omnizip_window_info info;
    memset(&info, CANARY, sizeof info);
    info.struct_size = sizeof info;
    out.info = fz_range(&h->f, 0, 7) ? &info : NULL;
    omnizip_status st = h->p->window(h->ctx, i, &in, &out);
    if (st != OMNIZIP_OK) {
        struct omnizip_window_info fresh;
        memset(&fresh, CANARY, sizeof fresh);
        fresh.struct_size = sizeof fresh;
        if ((out.audio_state && !untouched(out.audio_state, (size_t)out.audio_capacity)) ||
            (out.video_keep && !untouched(out.video_keep, (size_t)out.video_capacity)) ||
            (m->data && !untouched(m->data, (size_t)ab)) || memcmp(&info, &fresh, sizeof info) != 0)
            abort();
    }
    free(da);
    free(dv);
    free(out.audio_state);
    free(out.video_keep);
    free(m->data);
}

static void do_finish(struct host *h)
{
    struct omnizip_summary s;
    memset(&s, CANARY, sizeof s);
    s.struct_size = fz_range(&h->f, 0, 15) ? sizeof s : (uint32_t)fz_range(&h->f, 0, 80);
    struct omnizip_summary before = s;
    if (h->p->finish(h->ctx, fz_range(&h->f, 0, 31) ? &s : NULL) != OMNIZIP_OK &&
        memcmp(&s, &before, sizeof s) != 0)
        abort();
}

static void do_importance(struct host *h)
{
    struct omnizip_importance_in in;
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.n_heads = (uint32_t)fz_range(&h->f, 0, 4);
    in.pool = (uint32_t)fz_range(&h->f, 0, 3);
    /* Attention is quadratic in T: a legitimate T of 65537 keys is minutes
     * of work, not a finding. T is small, or negative, or past the limit. */
    static const int64_t bad_t[] = {-1, -12, (1ll << 26) + 1, INT64_MAX / 4};
    int64_t T = fz_range(&h->f, 0, 7) ? fz_range(&h->f, 0, 40) : bad_t[fz_range(&h->f, 0, 3)];
    int64_t hd = fz_size(&h->f, 1, 16), rows = 0;
    if (__builtin_mul_overflow(T, (int64_t)in.n_heads, &rows))
        rows = -1;
    void *q = matrix(h, &in.q, rows, hd), *k = matrix(h, &in.k, rows, hd);
    int64_t cu[4] = {0, T / 3, T / 2, T};
    if (fz_range(&h->f, 0, 3) == 0) {
        in.cu_seqlens = cu;
        in.n_cu_seqlens = (uint32_t)fz_range(&h->f, 0, 4);
        cu[1] = fz_size(&h->f, 0, 40);
    }
    int64_t n = fz_range(&h->f, 0, 3) && in.pool ? T / in.pool : fz_range(&h->f, 0, 48);
    float *scores = n >= 0 && n <= 1 << 16 ? malloc((size_t)(n ? n : 1) * sizeof *scores) : NULL;
    if (scores)
        memset(scores, CANARY, (size_t)(n ? n : 1) * sizeof *scores);
    omnizip_status st = h->p->audio_importance(h->ctx, &in, scores, scores ? n : 0);
    if (st != OMNIZIP_OK && scores && !untouched(scores, (size_t)n * sizeof *scores))
        abort();
    free(scores);
    free(q);
    free(k);
}

static void configure(struct host *h, struct omnizip_config *c)
{
    static const double ratios[] = {0, 0.3, 0.5, 0.6, 0.9};
    struct fz *f = &h->f;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    h->p->config_default(c);
    c->rho_audio = ratios[fz_range(f, 0, 4)];
    c->rho_video = ratios[fz_range(f, 0, 4)];
    c->contextual_ratio = ratios[fz_range(f, 0, 2)];
    c->g = (int32_t)fz_range(f, 0, 6);
    c->dpc_k = (int32_t)fz_range(f, 1, 8);
    c->normalize = (omnizip_normalize)fz_range(f, 0, 1);
    c->similarity_scope = (omnizip_scope)fz_range(f, 0, 1);
    c->scope_radius = (int32_t)fz_range(f, 0, 2);
    c->strategy = (omnizip_strategy)fz_range(f, 0, 3);
    c->seed = fz_bits(f, 1);
    c->threads = 1;
    char err[256];
    if (h->p->config_check(c, err, sizeof err) != OMNIZIP_OK) {
        h->p->config_default(c);
        c->threads = 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct host h;
    memset(&h, 0, sizeof h);
    h.f = (struct fz){data, size};
    h.p = omnizip_plugin_entry(1);
    struct omnizip_config cfg;
    configure(&h, &cfg);
    char err[256];
    if (h.p->create(&cfg, NULL, &h.ctx, err, sizeof err) != OMNIZIP_OK)
        abort();
    h.D = fz_size(&h.f, 1, 24);
    for (int step = 0; step < 24 && h.f.n; step++) {
        switch (fz_range(&h.f, 0, 7)) {
        case 0:
        case 1: do_plan(&h); break;
        case 2: do_window_plan(&h); break;
        case 3: do_bind(&h); break;
        case 4:
        case 5: do_window(&h); break;
        case 6: do_finish(&h); break;
        case 7: do_importance(&h); break;
        }
        if (!h.p->last_error(h.ctx))
            abort();
    }
    h.p->destroy(h.ctx);
    return 0;
}
