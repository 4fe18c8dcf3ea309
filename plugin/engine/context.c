/* plan, bind and window behind the table: state checks, the similarity
 * scope, anchor merging and the per-window outputs. */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void exec_run(const struct oz_exec *x, uint32_t n, omnizip_task_fn fn, void *arg)
{
    omnizip_ctx *ctx = x->self;
    if (ctx->host.parallel_for)
        ctx->host.parallel_for(ctx->host.user, n, fn, arg);
    else if (ctx->pool)
        oz_pool_run(ctx->pool, n, fn, arg);
    else
        for (uint32_t i = 0; i < n; i++)
            fn(arg, i);
}

omnizip_status oz_engine_init(omnizip_ctx *ctx, char *err, size_t err_size)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t tasks = ctx->cfg.threads > 0 ? (uint32_t)ctx->cfg.threads
                                          : (uint32_t)(cores > 0 ? (cores < 64 ? cores : 64) : 1);
    ctx->work = calloc(tasks, sizeof *ctx->work);
    if (!ctx->work) {
        oz_seterr(err, err_size, "create: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    ctx->exec = (struct oz_exec){tasks, ctx->work, exec_run, ctx};
    /* Without threads the tasks still run, one after the other. */
    if (!ctx->host.parallel_for && tasks > 1 && oz_pool_create(&ctx->pool, tasks - 1) != OMNIZIP_OK)
        ctx->pool = NULL;
    return OMNIZIP_OK;
}

void oz_engine_release(omnizip_ctx *ctx)
{
    oz_engine_free(ctx);
    oz_pool_destroy(ctx->pool);
    for (uint32_t t = 0; ctx->work && t < ctx->exec.tasks; t++)
        oz_cpu_release(&ctx->work[t]);
    free(ctx->work);
    ctx->work = NULL;
    ctx->pool = NULL;
}

/* FLOPs the tasks did since the last call. */
static double take_flops(omnizip_ctx *ctx)
{
    double f = 0.0;
    for (uint32_t t = 0; t < ctx->exec.tasks; t++) {
        f += ctx->work[t].flops;
        ctx->work[t].flops = 0.0;
    }
    return f;
}

double oz_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static omnizip_status fail(omnizip_ctx *ctx, omnizip_status st, const char *msg)
{
    oz_seterr(ctx->err, sizeof ctx->err, "%s", msg);
    return st;
}

omnizip_status oz_check_matrix(omnizip_ctx *ctx, const char *what, const struct omnizip_matrix *m,
                               int64_t rows, int64_t cols)
{
    char *e = ctx->err;
    size_t es = sizeof ctx->err;
    if (m->memory == OMNIZIP_MEMORY_CUDA && !ctx->cuda && ctx->cfg.backend == OMNIZIP_BACKEND_AUTO) {
        omnizip_status st = oz_cuda_open(&ctx->cuda, e, es);
        if (st != OMNIZIP_OK)
            return st;
    }
    if (m->memory != OMNIZIP_MEMORY_HOST && !(m->memory == OMNIZIP_MEMORY_CUDA && ctx->cuda)) {
        oz_seterr(e, es, "%s: memory kind %d needs the cuda backend (backend auto or cuda)", what,
                  (int)m->memory);
        return OMNIZIP_E_UNSUPPORTED;
    }
    if (oz_dtype_size(m->dtype) == 0) {
        oz_seterr(e, es, "%s: unknown dtype %d", what, (int)m->dtype);
        return OMNIZIP_E_UNSUPPORTED;
    }
    if (m->rows != rows) {
        oz_seterr(e, es, "%s: %lld rows, the plan has %lld", what, (long long)m->rows,
                  (long long)rows);
        return OMNIZIP_E_INVALID;
    }
    if (rows > 0 && (m->cols <= 0 || (cols > 0 && m->cols != cols) || m->row_stride < m->cols ||
                     !m->data)) {
        oz_seterr(e, es, "%s: bad shape (cols %lld, row stride %lld, data %s; hidden size %lld)",
                  what, (long long)m->cols, (long long)m->row_stride, m->data ? "set" : "NULL",
                  (long long)cols);
        return OMNIZIP_E_INVALID;
    }
    return OMNIZIP_OK;
}

void oz_engine_free(omnizip_ctx *ctx)
{
    oz_plan_free(&ctx->plan);
    free(ctx->anchors);
    free(ctx->sigma);
    free(ctx->assign);
    free(ctx->members);
    free(ctx->member_start);
    free(ctx->member_rows);
    free(ctx->member_scratch);
    free(ctx->member_chosen);
    free(ctx->pool_rows);
    free(ctx->anchor_rows);
    free(ctx->video_norm);
    free(ctx->spans);
    free(ctx->jobs);
    free(ctx->video_keep);
    ctx->jobs = NULL;
    ctx->video_keep = NULL;
    ctx->pool_rows = ctx->anchor_rows = NULL;
    ctx->video_norm = NULL;
    ctx->spans = NULL;
    ctx->anchors = ctx->sigma = ctx->member_rows = NULL;
    ctx->assign = ctx->members = ctx->member_start = ctx->member_scratch = NULL;
    ctx->member_chosen = NULL;
    ctx->member_cap = 0;
    ctx->planned = ctx->bound = 0;
    ctx->d = 0;
    ctx->sized_convert = 0;
}

/* The window scope with radius 0 needs nothing beyond each window's own
 * rows: bind is skipped and memory stays per-window. */
static int window_local(const omnizip_ctx *ctx)
{
    return (ctx->cfg.similarity_scope == OMNIZIP_SCOPE_WINDOW && ctx->cfg.scope_radius == 0) ||
           ctx->cfg.mode == OMNIZIP_MODE_STREAMING;
}

omnizip_status oz_engine_plan(omnizip_ctx *ctx, const struct omnizip_layout *layout,
                              const float *scores, int64_t n_scores, struct omnizip_plan *out)
{
    double t0 = oz_now_us();
    struct oz_plan p;
    omnizip_status st = oz_plan_build(&p, &ctx->cfg, layout, scores, n_scores, ctx->err,
                                      sizeof ctx->err);
    if (st != OMNIZIP_OK)
        return st;
    size_t np = (size_t)(p.n_pool ? p.n_pool : 1), na = (size_t)(p.n_anchors ? p.n_anchors : 1);
    float *sigma = malloc(np * sizeof *sigma);
    int64_t *assign = malloc(np * sizeof *assign), *members = malloc(np * sizeof *members);
    int64_t *start = malloc((na + 1) * sizeof *start);
    int64_t *prow = malloc(np * sizeof *prow), *arow = malloc(na * sizeof *arow);
    double *vnorm = malloc((size_t)(p.n_video && !window_local(ctx) ? p.n_video : 1) * sizeof *vnorm);
    struct oz_span *spans = malloc((p.n_windows ? p.n_windows : 1) * sizeof *spans);
    int64_t n_frames = 0;
    for (uint32_t i = 0; i < p.n_windows; i++)
        n_frames += p.win[i].frames;
    struct oz_frame_job *jobs = malloc((size_t)(n_frames ? n_frames : 1) * sizeof *jobs);
    uint8_t *vkeep = malloc((size_t)(p.n_video && !window_local(ctx) ? p.n_video : 1));
    if (!sigma || !assign || !members || !start || !prow || !arow || !vnorm || !spans || !jobs ||
        !vkeep) {
        free(sigma), free(assign), free(members), free(start);
        free(prow), free(arow), free(vnorm), free(spans), free(jobs), free(vkeep);
        oz_plan_free(&p);
        return fail(ctx, OMNIZIP_E_NOMEM, "plan: out of memory");
    }
    oz_engine_free(ctx);
    ctx->plan = p;
    ctx->sigma = sigma;
    ctx->assign = assign;
    ctx->members = members;
    ctx->member_start = start;
    ctx->pool_rows = prow;
    ctx->anchor_rows = arow;
    ctx->video_norm = vnorm;
    ctx->spans = spans;
    ctx->jobs = jobs;
    ctx->video_keep = vkeep;
    ctx->planned = 1;
    ctx->us_bind = ctx->us_windows = 0.0;
    if (ctx->tel)
        oz_telemetry_plan(ctx->tel, p.n_windows);

    struct omnizip_plan r;
    memset(&r, 0, sizeof r);
    r.n_windows = p.n_windows;
    r.n_guided = p.n_guided;
    r.audio_in = p.n_audio;
    r.audio_kept = p.audio_kept;
    r.audio_anchors = p.n_anchors;
    r.video_in = p.n_video;
    r.video_kept = p.video_kept;
    size_t n = out->struct_size < sizeof r ? out->struct_size : sizeof r;
    r.struct_size = (uint32_t)n;
    memcpy(out, &r, n);
    ctx->us_plan = oz_now_us() - t0;
    return OMNIZIP_OK;
}

void oz_engine_window_info(const omnizip_ctx *ctx, uint32_t i, struct omnizip_window_info *info)
{
    const struct oz_window *w = &ctx->plan.win[i];
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    info->index = i + ctx->window_base;
    info->audio_in = w->audio_len;
    info->audio_kept = w->audio_kept;
    info->audio_anchors = w->anchor_count;
    int64_t merged = 0;
    if (ctx->bound)
        for (int64_t q = 0; q < w->pool_count; q++)
            merged += ctx->plan.audio_state[ctx->plan.pool[w->pool_first + q]] ==
                      OMNIZIP_AUDIO_MERGED;
    info->audio_merged = merged;
    info->video_in = w->video_len;
    info->video_kept = w->video_kept;
    info->s_a = w->s_a;
    info->base_rate = w->base;
    info->rate = w->rate;
    info->guided = w->guided;
    if (ctx->plan.counts_at_bind && !ctx->bound)
        info->audio_kept = info->video_kept = -1;
}

/* Working memory for hidden size d, sized by the plan: the window path then
 * allocates nothing. convert: rows arrive in F16/BF16. */
static omnizip_status reserve(omnizip_ctx *ctx, int64_t d, int convert)
{
    /* Sized once per plan: every later window returns here. */
    if (ctx->anchors && ctx->d == d && (!convert || ctx->sized_convert))
        return OMNIZIP_OK;
    const struct oz_plan *p = &ctx->plan;
    int64_t max_anchor = 0, max_pool = 0, max_run = 0, k = ctx->cfg.scope_radius;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        max_anchor = p->win[i].anchor_count > max_anchor ? p->win[i].anchor_count : max_anchor;
        max_pool = p->win[i].pool_count > max_pool ? p->win[i].pool_count : max_pool;
        max_run = p->win[i].video_len > max_run ? p->win[i].video_len : max_run;
    }
    if (!ctx->anchors) {
        int64_t stored = window_local(ctx) ? max_anchor : p->n_anchors;
        ctx->anchors = malloc((size_t)(stored ? stored : 1) * (size_t)d * sizeof(float));
        if (!ctx->anchors)
            return fail(ctx, OMNIZIP_E_NOMEM, "out of memory for the merged anchors");
    }
    if (ctx->cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL || max_anchor * (2 * k + 1) > p->n_anchors)
        max_anchor = p->n_anchors;
    else
        max_anchor *= 2 * k + 1;
    if (ctx->cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL)
        max_pool = p->n_pool;
    for (uint32_t t = 0; t < ctx->exec.tasks; t++)
        if (oz_cpu_reserve(&ctx->work[t], d, max_pool, max_anchor, p->tpf, max_run, convert) !=
            OMNIZIP_OK)
            return fail(ctx, OMNIZIP_E_NOMEM, "out of memory for working buffers");
    ctx->d = d;
    ctx->sized_convert |= convert;
    return OMNIZIP_OK;
}

/* bind's matrices must hold every run: concatenated, or at its start row. */
static omnizip_status check_bind_rows(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                                      const struct omnizip_matrix *video)
{
    const struct oz_plan *p = &ctx->plan;
    int64_t need_a = p->n_audio, need_v = p->n_video;
    if (p->sequence_rows) {
        need_a = need_v = 0;
        for (uint32_t i = 0; i < p->n_windows; i++) {
            const struct oz_window *w = &p->win[i];
            if (w->audio_len && w->audio_row + w->audio_len > need_a)
                need_a = w->audio_row + w->audio_len;
            if (w->video_len && w->video_row + w->video_len > need_v)
                need_v = w->video_row + w->video_len;
        }
        need_a = audio->rows >= need_a ? audio->rows : need_a;
        need_v = video->rows >= need_v ? video->rows : need_v;
    }
    int64_t d = p->n_audio > 0 ? audio->cols : video->cols;
    omnizip_status st = oz_check_matrix(ctx, "bind: audio", audio, need_a, p->n_audio ? d : 0);
    if (st == OMNIZIP_OK)
        st = oz_check_matrix(ctx, "bind: video", video, need_v, p->n_video ? d : 0);
    return st;
}

omnizip_status oz_engine_bind(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                              const struct omnizip_matrix *video)
{
    if (!ctx->planned)
        return fail(ctx, OMNIZIP_E_STATE, "bind before plan");
    if (ctx->plan.totals_only)
        return fail(ctx, OMNIZIP_E_STATE, OZ_TOTALS_ONLY);
    double t0 = oz_now_us();
    struct oz_plan *p = &ctx->plan;
    omnizip_status st = check_bind_rows(ctx, audio, video);
    if (st == OMNIZIP_OK && ctx->cfg.strategy != OMNIZIP_STRATEGY_OMNIZIP)
        return oz_baseline_bind(ctx, audio, video);
    if (st != OMNIZIP_OK || window_local(ctx))
        return st;
    int64_t d = p->n_audio > 0 ? audio->cols : (p->n_video > 0 ? video->cols : 0);
    if (ctx->d && d && d != ctx->d) {
        oz_seterr(ctx->err, sizeof ctx->err, "bind: hidden size %lld, earlier %lld",
                  (long long)d, (long long)ctx->d);
        return OMNIZIP_E_INVALID;
    }
    int convert = audio->dtype != OMNIZIP_DTYPE_F32 || video->dtype != OMNIZIP_DTYPE_F32;
    if (d > 0 && (st = reserve(ctx, d, convert)) != OMNIZIP_OK)
        return st;
    ctx->bound = 0;
    for (int64_t q = 0; q < p->n_pool; q++)
        p->audio_state[p->pool[q]] = OMNIZIP_AUDIO_PRUNED;
    /* The global scope's products read every video row once: the norms are
     * computed on the way. Otherwise they get a pass of their own. */
    int fused = ctx->cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL && p->n_pool > 0 && !ctx->cuda;
    if (p->n_video > 0 && !ctx->cuda && !fused)
        oz_cpu_norms(&ctx->exec, video, ctx->spans, oz_video_spans(ctx, 0, p->n_windows - 1, 0),
                     ctx->video_norm);
    oz_audio_rows(ctx, 0, p->n_pool, 0, p->n_anchors, NULL);
    ctx->anchor_base = 0;
    if (p->n_pool > 0)
        st = oz_cross_windows(ctx, audio, video, ctx->video_norm, fused, 0, p->n_windows, 0);
    if (st == OMNIZIP_OK)
        st = oz_merge_anchors(ctx, audio, 0, p->n_anchors, 0, p->n_pool);
    if (st != OMNIZIP_OK)
        return st == OMNIZIP_E_NOMEM ? fail(ctx, st, "bind: out of memory") : st;
    /* With the whole clip at hand, every frame of every run is decided here
     * at once: the frames run in parallel, and window() only hands out. */
    if (!ctx->cuda) {
        int64_t n_jobs = 0;
        for (uint32_t i = 0; i < p->n_windows; i++) {
            const struct oz_window *w = &p->win[i];
            if (w->video_len > 0)
                oz_cpu_istc_run(w->video_row, w->video_len, ctx->video_norm + w->video_off, p->tpf,
                                w->frames, w->num_keep, w->extra, ctx->video_keep + w->video_off,
                                ctx->jobs, &n_jobs);
        }
        oz_cpu_frames(&ctx->exec, video, ctx->jobs, n_jobs, p->tpf, ctx->cfg.dpc_k);
    }
    ctx->bound = 1;
    ctx->us_bind += oz_now_us() - t0;
    return OMNIZIP_OK;
}

static void write_anchor_rows(const omnizip_ctx *ctx, const struct oz_window *w,
                              const struct omnizip_matrix *out)
{
    size_t es = oz_dtype_size(out->dtype);
    for (int64_t a = 0; a < w->anchor_count; a++) {
        const float *src = ctx->anchors + (w->anchor_first + a - ctx->anchor_base) * ctx->d;
        unsigned char *dst = (unsigned char *)out->data + (size_t)(a * out->row_stride) * es;
        if (out->dtype == OMNIZIP_DTYPE_F32) {
            memcpy(dst, src, (size_t)ctx->d * 4);
            continue;
        }
        uint16_t *h = (uint16_t *)dst;
        for (int64_t c = 0; c < ctx->d; c++)
            h[c] = out->dtype == OMNIZIP_DTYPE_F16 ? oz_f32_to_f16(src[c]) : oz_f32_to_bf16(src[c]);
    }
}

omnizip_status oz_engine_window(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                                const struct omnizip_window_out *out,
                                struct omnizip_window_info *info)
{
    if (!ctx->planned)
        return fail(ctx, OMNIZIP_E_STATE, "window before plan");
    if (ctx->plan.totals_only)
        return fail(ctx, OMNIZIP_E_STATE, OZ_TOTALS_ONLY);
    struct oz_plan *p = &ctx->plan;
    if (i >= p->n_windows) {
        oz_seterr(ctx->err, sizeof ctx->err, "window %u out of range (the plan has %u)", i,
                  p->n_windows);
        return OMNIZIP_E_INVALID;
    }
    if (ctx->cfg.strategy != OMNIZIP_STRATEGY_OMNIZIP)
        return oz_baseline_window(ctx, i, in, out, info);
    if (!ctx->bound && !window_local(ctx))
        return fail(ctx, OMNIZIP_E_STATE, "window before bind (the global similarity scope "
                                          "needs the clip's rows first)");
    const struct oz_window *w = &p->win[i];
    double t0 = oz_now_us();
    int64_t d = ctx->d;
    if (d == 0)
        d = w->audio_len > 0 ? in->audio.cols : in->video.cols;
    omnizip_status st = oz_check_matrix(ctx, "window: video", &in->video, w->video_len, d);
    if (st == OMNIZIP_OK && !ctx->bound)
        st = oz_check_matrix(ctx, "window: audio", &in->audio, w->audio_len, d);
    if (st != OMNIZIP_OK)
        return st;
    if (out->audio_capacity < w->audio_len || out->video_capacity < w->video_len ||
        (w->audio_len > 0 && !out->audio_state) || (w->video_len > 0 && !out->video_keep)) {
        oz_seterr(ctx->err, sizeof ctx->err, "window %u: output masks need %lld audio and %lld "
                  "video entries", i, (long long)w->audio_len, (long long)w->video_len);
        return OMNIZIP_E_INVALID;
    }
    if (w->anchor_count > 0) {
        const struct omnizip_matrix *a = &out->anchors;
        if (a->memory != OMNIZIP_MEMORY_HOST || oz_dtype_size(a->dtype) == 0 || !a->data ||
            a->rows < w->anchor_count || a->cols != d || a->row_stride < a->cols) {
            oz_seterr(ctx->err, sizeof ctx->err, "window %u: anchors output must be a host "
                      "matrix of at least %lld x %lld", i, (long long)w->anchor_count,
                      (long long)d);
            return OMNIZIP_E_INVALID;
        }
    }
    int convert = in->video.dtype != OMNIZIP_DTYPE_F32 ||
                  (!ctx->bound && in->audio.dtype != OMNIZIP_DTYPE_F32);
    if (d > 0 && (st = reserve(ctx, d, convert)) != OMNIZIP_OK)
        return st;
    double *vnorm = ctx->bound ? ctx->video_norm + w->video_off : ctx->work[0].norm;
    if (!ctx->bound && w->video_len > 0 && !ctx->cuda) {
        struct oz_span run = {0, w->video_len};
        oz_cpu_norms(&ctx->exec, &in->video, &run, 1, ctx->work[0].norm);
    }
    if (!ctx->bound && w->anchor_count + w->pool_count > 0) {
        for (int64_t q = w->pool_first; q < w->pool_first + w->pool_count; q++)
            p->audio_state[p->pool[q]] = OMNIZIP_AUDIO_PRUNED;
        oz_audio_rows(ctx, w->pool_first, w->pool_first + w->pool_count, w->anchor_first,
                   w->anchor_first + w->anchor_count, w);
        ctx->anchor_base = w->anchor_first;
        st = oz_cross_windows(ctx, &in->audio, &in->video, vnorm, 0, i, i + 1, 1);
        if (st == OMNIZIP_OK)
            st = oz_merge_anchors(ctx, &in->audio, w->anchor_first, w->anchor_first + w->anchor_count,
                               w->pool_first, w->pool_first + w->pool_count);
        if (st != OMNIZIP_OK)
            return st == OMNIZIP_E_NOMEM ? fail(ctx, st, "window: out of memory") : st;
    }
    if (w->video_len > 0 && ctx->cuda) {
        st = oz_cuda_istc(ctx->cuda, ctx->stream, &in->video, 0, w->video_len, p->tpf, w->frames,
                          w->num_keep, w->extra, ctx->cfg.dpc_k, out->video_keep,
                          &ctx->work[0].flops, ctx->err, sizeof ctx->err);
        if (st != OMNIZIP_OK)
            return st;
    } else if (w->video_len > 0 && ctx->bound) {
        memcpy(out->video_keep, ctx->video_keep + w->video_off, (size_t)w->video_len);
    } else if (w->video_len > 0) {
        int64_t n_jobs = 0;
        oz_cpu_istc_run(0, w->video_len, vnorm, p->tpf, w->frames, w->num_keep, w->extra,
                        out->video_keep, ctx->jobs, &n_jobs);
        oz_cpu_frames(&ctx->exec, &in->video, ctx->jobs, n_jobs, p->tpf, ctx->cfg.dpc_k);
    }
    if (w->audio_len > 0)
        memcpy(out->audio_state, p->audio_state + w->audio_off, (size_t)w->audio_len);
    if (w->anchor_count > 0)
        write_anchor_rows(ctx, w, &out->anchors);
    oz_engine_window_info(ctx, i, info);
    if (!ctx->bound) {
        int64_t merged = 0;
        for (int64_t q = 0; q < w->pool_count; q++)
            merged += p->audio_state[p->pool[w->pool_first + q]] == OMNIZIP_AUDIO_MERGED;
        info->audio_merged = merged;
    }
    info->flops = take_flops(ctx);
    info->micros = oz_now_us() - t0;
    ctx->us_windows += info->micros;
    if (ctx->tel)
        oz_telemetry_publish(ctx->tel, info);
    return OMNIZIP_OK;
}
