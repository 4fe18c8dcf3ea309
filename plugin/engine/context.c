/* The context's machinery: the exec (host's parallel-for, own pool or a
 * plain loop), the backend in use, the matrix checks every call shares, the
 * clock. */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>
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
    ctx->exec = (struct oz_exec){tasks, exec_run, ctx};
    omnizip_status st = ctx->cfg.backend == OMNIZIP_BACKEND_CUDA
                            ? oz_cuda_backend_open(&ctx->be, err, err_size)
                            : oz_cpu_backend_open(&ctx->be, &ctx->exec, err, err_size);
    if (st != OMNIZIP_OK)
        return st;
    /* Without threads the tasks still run, one after the other. */
    if (!ctx->host.parallel_for && tasks > 1 && oz_pool_create(&ctx->pool, tasks - 1) != OMNIZIP_OK)
        ctx->pool = NULL;
    return OMNIZIP_OK;
}

void oz_engine_release(omnizip_ctx *ctx)
{
    oz_engine_free(ctx);
    oz_pool_destroy(ctx->pool);
    if (ctx->be.ops)
        ctx->be.ops->close(ctx->be.self);
    ctx->be = (struct oz_backend){NULL, NULL};
    ctx->pool = NULL;
}

void oz_engine_free(omnizip_ctx *ctx)
{
    oz_plan_free(&ctx->plan);
    free(ctx->anchors);
    free(ctx->sigma);
    free(ctx->assign);
    free(ctx->pool_rows);
    free(ctx->anchor_rows);
    free(ctx->video_norm);
    free(ctx->spans);
    free(ctx->runs);
    free(ctx->video_keep);
    free(ctx->sel.start), free(ctx->sel.member_row), free(ctx->sel.weight);
    free(ctx->sel.wsum), free(ctx->sel.group), free(ctx->sel.order), free(ctx->sel.value);
    ctx->anchors = ctx->sigma = NULL;
    ctx->assign = ctx->pool_rows = ctx->anchor_rows = NULL;
    ctx->video_norm = NULL;
    ctx->spans = NULL;
    ctx->runs = NULL;
    ctx->video_keep = NULL;
    memset(&ctx->sel, 0, sizeof ctx->sel);
    ctx->planned = ctx->bound = ctx->sized = ctx->sized_convert = 0;
    ctx->d = 0;
}

double oz_engine_take_flops(omnizip_ctx *ctx)
{
    double f = ctx->flops + ctx->be.ops->take_flops(ctx->be.self);
    ctx->flops = 0.0;
    return f;
}

omnizip_status oz_engine_reach(omnizip_ctx *ctx, omnizip_memory m)
{
    if (m != OMNIZIP_MEMORY_CUDA || (ctx->be.ops->memory & (1u << OMNIZIP_MEMORY_CUDA)) ||
        ctx->cfg.backend != OMNIZIP_BACKEND_AUTO)
        return OMNIZIP_OK; /* oz_check_matrix refuses what the backend cannot read */
    struct oz_backend cuda;
    omnizip_status st = oz_cuda_backend_open(&cuda, ctx->err, sizeof ctx->err);
    if (st != OMNIZIP_OK)
        return st;
    ctx->flops += ctx->be.ops->take_flops(ctx->be.self);
    ctx->be.ops->close(ctx->be.self);
    ctx->be = cuda;
    ctx->sized = 0;
    return OMNIZIP_OK;
}

omnizip_status oz_engine_fail(omnizip_ctx *ctx, omnizip_status st, const char *msg)
{
    ozc_err(ctx->err, sizeof ctx->err, "%s", msg);
    return st;
}

omnizip_status oz_check_matrix(omnizip_ctx *ctx, const char *what, const struct omnizip_matrix *m,
                               int64_t rows, int64_t cols)
{
    char *e = ctx->err;
    size_t es = sizeof ctx->err;
    if (m->memory < 0 || m->memory > 31 || !(ctx->be.ops->memory & (1u << m->memory))) {
        ozc_err(e, es, "%s: memory kind %d needs the cuda backend (backend auto or cuda)", what,
                (int)m->memory);
        return OMNIZIP_E_UNSUPPORTED;
    }
    if (ozc_dtype_size(m->dtype) == 0) {
        ozc_err(e, es, "%s: unknown dtype %d", what, (int)m->dtype);
        return OMNIZIP_E_UNSUPPORTED;
    }
    if (m->rows != rows || m->rows < 0) {
        ozc_err(e, es, "%s: %lld rows, the plan has %lld", what, (long long)m->rows,
                (long long)rows);
        return OMNIZIP_E_INVALID;
    }
    /* The last element's offset, rows * row_stride * element size, must be
     * representable: no pointer arithmetic past what the host can hold. */
    int64_t span;
    if (rows > 0 && (m->cols <= 0 || m->cols > OMNIZIP_MAX_HIDDEN ||
                     (cols > 0 && m->cols != cols) || m->row_stride < m->cols || !m->data ||
                     __builtin_mul_overflow(m->rows, m->row_stride, &span) ||
                     __builtin_mul_overflow(span, (int64_t)ozc_dtype_size(m->dtype), &span))) {
        ozc_err(e, es, "%s: bad shape (cols %lld, row stride %lld, data %s; hidden size %lld)",
                what, (long long)m->cols, (long long)m->row_stride, m->data ? "set" : "NULL",
                (long long)cols);
        return OMNIZIP_E_INVALID;
    }
    return OMNIZIP_OK;
}

/* The windowed definition's offsets: 0 = cu[0] <= cu[1] <= ... = T. */
static omnizip_status check_windows(omnizip_ctx *ctx, const struct omnizip_importance_in *in,
                                    int64_t t)
{
    const int64_t *cu = in->cu_seqlens;
    uint32_t n_win = in->n_cu_seqlens - 1;
    if (in->n_cu_seqlens < 2 || cu[0] != 0 || cu[n_win] != t) {
        ozc_err(ctx->err, sizeof ctx->err,
                "audio_importance: cu_seqlens must hold at least "
                "2 offsets from 0 to T = %lld",
                (long long)t);
        return OMNIZIP_E_INVALID;
    }
    for (uint32_t w = 0; w < n_win; w++)
        if (cu[w + 1] < cu[w]) {
            ozc_err(ctx->err, sizeof ctx->err,
                    "audio_importance: cu_seqlens[%u] = %lld is "
                    "below cu_seqlens[%u] = %lld",
                    w + 1, (long long)cu[w + 1], w, (long long)cu[w]);
            return OMNIZIP_E_INVALID;
        }
    return OMNIZIP_OK;
}

omnizip_status oz_engine_importance(omnizip_ctx *ctx, const struct omnizip_importance_in *in,
                                    float *scores, int64_t n_scores)
{
    uint32_t h = in->n_heads, pool = in->pool ? in->pool : 1;
    if (in->cu_seqlens && in->q.memory == OMNIZIP_MEMORY_CUDA)
        return oz_engine_fail(ctx, OMNIZIP_E_UNSUPPORTED,
                              "audio_importance: the windowed "
                              "definition (cu_seqlens) runs on host "
                              "memory only");
    if (h == 0 || in->q.rows % h != 0 || in->k.rows != in->q.rows) {
        ozc_err(ctx->err, sizeof ctx->err,
                "audio_importance: q has %lld rows and k %lld, "
                "not n_heads (%u) blocks of T rows",
                (long long)in->q.rows, (long long)in->k.rows, h);
        return OMNIZIP_E_INVALID;
    }
    int64_t t = in->q.rows / h, hd = in->q.cols;
    omnizip_status st = oz_engine_reach(ctx, in->q.memory);
    if (st == OMNIZIP_OK)
        st = oz_engine_reach(ctx, in->k.memory);
    if (st == OMNIZIP_OK)
        st = oz_check_matrix(ctx, "audio_importance: q", &in->q, in->q.rows, hd);
    if (st == OMNIZIP_OK)
        st = oz_check_matrix(ctx, "audio_importance: k", &in->k, in->k.rows, hd);
    if (st != OMNIZIP_OK)
        return st;
    if (t <= 0 || t > OMNIZIP_MAX_TOKENS || hd <= 0 || n_scores != t / pool) {
        ozc_err(ctx->err, sizeof ctx->err,
                "audio_importance: scores holds %lld, expected "
                "T/pool = %lld/%u = %lld",
                (long long)n_scores, (long long)t, pool, (long long)(t / pool));
        return OMNIZIP_E_INVALID;
    }
    if (in->cu_seqlens && (st = check_windows(ctx, in, t)) != OMNIZIP_OK)
        return st;
    return ctx->be.ops->importance(ctx->be.self, in, scores, n_scores, ctx->err, sizeof ctx->err);
}
