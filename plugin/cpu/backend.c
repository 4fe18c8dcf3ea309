/* The CPU backend's table: the stages of similarity.c, istc_run.c and
 * importance.c behind the engine's operations (backend.h), with one scratch
 * area per parallel task. */
#include "cpu/cpu.h"

#include <stdlib.h>
#include <string.h>

static omnizip_status reserve(void *self, const struct oz_sizes *s, char *err, size_t es)
{
    struct oz_cpu_set *x = self;
    for (uint32_t t = 0; t < x->tasks; t++)
        if (oz_cpu_reserve(&x->work[t], s->d, s->pool, s->anchors, s->tpf, s->run, s->convert) !=
            OMNIZIP_OK) {
            ozc_err(err, es, "out of memory for working buffers");
            return OMNIZIP_E_NOMEM;
        }
    if (s->frames > x->job_cap) {
        void *q = realloc(x->jobs, (size_t)s->frames * sizeof *x->jobs);
        if (!q) {
            ozc_err(err, es, "out of memory for working buffers");
            return OMNIZIP_E_NOMEM;
        }
        x->jobs = q;
        x->job_cap = s->frames;
    }
    return OMNIZIP_OK;
}

static void norms(void *self, const struct omnizip_matrix *m, const struct oz_span *spans,
                  int64_t n_spans, double *norm)
{
    oz_cpu_norms(self, m, spans, n_spans, norm);
}

static omnizip_status cross(void *self, void *stream, const struct oz_cross *a, char *err,
                            size_t es)
{
    oz_cpu_cross(self, a);
    return OMNIZIP_OK;
}

/* Each merged row accumulates its members one row at a time, so the scratch
 * is one row whatever the number of members; per element the sum runs in
 * rank order, as oz_merge_anchor's. */
static omnizip_status merge(void *self, void *stream, const struct oz_merge *a, char *err,
                            size_t es)
{
    struct oz_cpu *c = &((struct oz_cpu_set *)self)->work[0];
    const struct oz_merge_sel *s = a->sel;
    int64_t d = a->d;
    for (int64_t k = 0; k < a->n_anchor; k++) {
        float *out = a->out + k * d;
        oz_row_f32(a->audio, a->anchor_rows[k], out);
        if (s->start[k + 1] == s->start[k])
            continue;
        for (int64_t e = 0; e < d; e++)
            c->acc[e] = out[e];
        for (int64_t m = s->start[k]; m < s->start[k + 1]; m++) {
            oz_row_f32(a->audio, s->member_row[m], c->row);
            for (int64_t e = 0; e < d; e++)
                c->acc[e] += s->weight[m] * c->row[e];
        }
        for (int64_t e = 0; e < d; e++)
            out[e] = (float)(c->acc[e] / (1.0 + s->wsum[k]));
    }
    return OMNIZIP_OK;
}

static omnizip_status istc(void *self, void *stream, const struct omnizip_matrix *video,
                           const struct oz_run *runs, int64_t n_runs, int64_t tpf, int32_t dpc_k,
                           char *err, size_t es)
{
    struct oz_cpu_set *x = self;
    int64_t n_jobs = 0;
    for (int64_t r = 0; r < n_runs; r++)
        oz_cpu_istc_run(runs[r].row, runs[r].len, runs[r].norm, tpf, runs[r].frames,
                        runs[r].num_keep, runs[r].extra, runs[r].keep, x->jobs, &n_jobs);
    oz_cpu_frames(x, video, x->jobs, n_jobs, tpf, dpc_k);
    return OMNIZIP_OK;
}

static omnizip_status importance(void *self, const struct omnizip_importance_in *in, float *scores,
                                 int64_t n_scores, char *err, size_t es)
{
    return oz_cpu_importance(self, in, scores, n_scores, err, es);
}

static double take_flops(void *self)
{
    struct oz_cpu_set *x = self;
    double f = 0.0;
    for (uint32_t t = 0; t < x->tasks; t++) {
        f += x->work[t].flops;
        x->work[t].flops = 0.0;
    }
    return f;
}

static void close_set(void *self)
{
    struct oz_cpu_set *x = self;
    for (uint32_t t = 0; t < x->tasks; t++)
        oz_cpu_release(&x->work[t]);
    free(x->work);
    free(x->jobs);
    free(x);
}

static const struct oz_backend_ops cpu_ops = {
    .name = "cpu",
    .memory = 1u << OMNIZIP_MEMORY_HOST,
    .reserve = reserve,
    .norms = norms,
    .cross = cross,
    .merge = merge,
    .istc = istc,
    .importance = importance,
    .take_flops = take_flops,
    .close = close_set,
};

omnizip_status oz_cpu_backend_open(struct oz_backend *out, const struct oz_exec *exec, char *err,
                                   size_t es)
{
    struct oz_cpu_set *x = calloc(1, sizeof *x);
    struct oz_cpu *work = calloc(exec->tasks, sizeof *work);
    if (!x || !work) {
        free(x);
        free(work);
        ozc_err(err, es, "create: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    *x = (struct oz_cpu_set){exec->tasks, work, exec, NULL, 0};
    *out = (struct oz_backend){&cpu_ops, x};
    return OMNIZIP_OK;
}
