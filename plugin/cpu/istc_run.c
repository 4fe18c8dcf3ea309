/* Stage 3 on one video run: the Gram matrix of each even (spatial) frame by
 * SYRK on the rows as they lie, cosine with the previous frame for odd ones;
 * unit normalisation enters as the row scales 1 / max(norm, 1e-12). */
#include "cpu/cpu.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* The frame's rows as f32: in place for F32 input, else converted into buf. */
static const float *frame_rows(const struct omnizip_matrix *v, int64_t row, int64_t tpf,
                               float *buf, int64_t *ld)
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

static double inv_unit(double norm) { return 1.0 / (norm > 1e-12 ? norm : 1e-12); }

void oz_cpu_istc(struct oz_cpu *c, const struct omnizip_matrix *video, int64_t row, int64_t n,
                 const double *norm, int64_t tpf, int64_t frames, int64_t num_keep,
                 int32_t dpc_k, uint8_t *keep)
{
    int64_t d = video->cols;
    if (frames == 0) {
        memset(keep, 1, (size_t)n);
        return;
    }
    memset(keep, 0, (size_t)n);
    if (num_keep >= tpf) {
        memset(keep, 1, (size_t)(frames * tpf));
        return;
    }
    struct oz_istc_scratch s = {c->gram, c->score, c->rho, c->order};
    const float *prev = NULL;
    int64_t ld_prev = 0;
    for (int64_t t = 0; t < frames; t++) {
        int64_t ld;
        float *buf = c->frames + (t & 1) * tpf * d;
        const float *x = frame_rows(video, row + t * tpf, tpf, buf, &ld);
        const double *nm = norm + t * tpf;
        uint8_t *k = keep + t * tpf;
        if ((t & 1) == 0) {
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)tpf, (int)d, 1.0f, x,
                        (int)ld, 0.0f, c->gram, (int)tpf);
            c->flops += (double)tpf * (double)tpf * (double)d;
            for (int64_t i = 0; i < tpf; i++) {
                double si = inv_unit(nm[i]);
                for (int64_t j = i; j < tpf; j++) {
                    float g = (float)(c->gram[i * tpf + j] * si * inv_unit(nm[j]));
                    c->gram[i * tpf + j] = c->gram[j * tpf + i] = g;
                }
            }
            oz_dpc_knn_keep(c->gram, tpf, dpc_k, num_keep, &s, k);
        } else {
            for (int64_t j = 0; j < tpf; j++) {
                double dot = oz_dot(x + j * ld, prev + j * ld_prev, d);
                s.score[j] = dot * inv_unit(nm[j]) * inv_unit(nm[j - tpf]);
            }
            c->flops += 2.0 * (double)tpf * (double)d;
            oz_temporal_keep(s.score, tpf, num_keep, &s, k);
        }
        prev = x;
        ld_prev = ld;
    }
}
