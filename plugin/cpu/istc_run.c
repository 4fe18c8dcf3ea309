/* Stage 3 on video runs: the Gram matrix of each even (spatial) frame by
 * SYRK on the rows as they lie, cosine with the previous frame for odd ones;
 * unit normalisation enters as the row scales 1 / max(norm, 1e-12). Frames
 * are independent (an odd frame reads the previous frame's input rows, not
 * its decision), so they run as parallel jobs. */
#include "cpu/cpu.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Frame rows as f32: in place for F32 input, else converted into buf. */
static const float *frame_rows(const struct omnizip_matrix *v, int64_t row, int64_t tpf, float *buf,
                               int64_t *ld)
{
    if (v->dtype == OMNIZIP_DTYPE_F32) {
        *ld = v->row_stride;
        return oz_row_ptr(v, row);
    }
    for (int64_t r = 0; r < tpf; r++)
        oz_row_f32(v, row + r, buf + r * v->cols);
    *ld = v->cols;
    return buf;
}

static double inv_unit(double norm)
{
    return 1.0 / (norm > 1e-12 ? norm : 1e-12);
}

void oz_cpu_istc_run(int64_t row, int64_t n, const double *norm, int64_t tpf, int64_t frames,
                     int64_t num_keep, int64_t extra, uint8_t *keep, struct oz_frame_job *jobs,
                     int64_t *n_jobs)
{
    if (frames == 0) {
        memset(keep, 1, (size_t)n);
        return;
    }
    memset(keep, 0, (size_t)n);
    for (int64_t t = 0; t < frames; t++) {
        int64_t nk = num_keep + (t < extra);
        if (nk >= tpf)
            memset(keep + t * tpf, 1, (size_t)tpf);
        else
            jobs[(*n_jobs)++] = (struct oz_frame_job){row + t * tpf, t, nk, norm + t * tpf,
                                                      keep + t * tpf};
    }
}

static void frame(struct oz_cpu *c, const struct omnizip_matrix *video,
                  const struct oz_frame_job *j, int64_t tpf, int32_t dpc_k)
{
    int64_t d = video->cols, ld, ld_prev;
    struct oz_istc_scratch s = {c->gram, c->score, c->rho, c->order};
    const float *x = frame_rows(video, j->row, tpf, c->frames, &ld);
    if ((j->t & 1) == 0) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)tpf, (int)d, 1.0f, x, (int)ld,
                    0.0f, c->gram, (int)tpf);
        c->flops += (double)tpf * (double)tpf * (double)d;
        for (int64_t i = 0; i < tpf; i++) {
            double si = inv_unit(j->norm[i]);
            for (int64_t k = i; k < tpf; k++) {
                float g = (float)(c->gram[i * tpf + k] * si * inv_unit(j->norm[k]));
                c->gram[i * tpf + k] = c->gram[k * tpf + i] = g;
            }
        }
        oz_dpc_knn_keep(c->gram, tpf, dpc_k, j->num_keep, &s, j->keep);
        return;
    }
    /* F32 rows need no copy buffer (frames is NULL then): no arithmetic on it. */
    float *prev_buf = c->frames ? c->frames + tpf * d : NULL;
    const float *prev = frame_rows(video, j->row - tpf, tpf, prev_buf, &ld_prev);
    for (int64_t k = 0; k < tpf; k++)
        s.score[k] = oz_dot(x + k * ld, prev + k * ld_prev, d) * inv_unit(j->norm[k]) *
                     inv_unit(j->norm[k - tpf]);
    c->flops += 2.0 * (double)tpf * (double)d;
    oz_temporal_keep(s.score, tpf, j->num_keep, &s, j->keep);
}

struct frames_arg {
    const struct oz_cpu_set *x;
    const struct omnizip_matrix *video;
    const struct oz_frame_job *jobs;
    int64_t n_jobs, tpf;
    int32_t dpc_k;
    int64_t next; /* the next job to take: even (SYRK) frames cost far more than odd ones */
};

static void frames_task(void *arg, uint32_t t)
{
    struct frames_arg *a = arg;
    for (;;) {
        int64_t j = __atomic_fetch_add(&a->next, 1, __ATOMIC_RELAXED);
        if (j >= a->n_jobs)
            break;
        frame(&a->x->work[t], a->video, &a->jobs[j], a->tpf, a->dpc_k);
    }
}

void oz_cpu_frames(const struct oz_cpu_set *x, const struct omnizip_matrix *video,
                   const struct oz_frame_job *jobs, int64_t n_jobs, int64_t tpf, int32_t dpc_k)
{
    struct frames_arg a = {x, video, jobs, n_jobs, tpf, dpc_k, 0};
    uint32_t n = n_jobs < (int64_t)x->tasks ? (uint32_t)n_jobs : x->tasks;
    if (n <= 1) {
        for (int64_t j = 0; j < n_jobs; j++)
            frame(&x->work[0], video, &jobs[j], tpf, dpc_k);
        return;
    }
    oz_cpu_run(x, n, frames_task, &a);
}
