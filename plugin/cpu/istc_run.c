/* Stage 3 on one video run: unit rows per frame, the Gram matrix by SYRK for
 * even (spatial) frames, cosine with the previous frame for odd ones. */
#include "cpu/cpu.h"

#include <cblas.h>
#include <string.h>

static void unit_frame(const struct omnizip_matrix *video, int64_t first, int64_t tpf,
                       float *row, float *out)
{
    int64_t d = video->cols;
    for (int64_t r = 0; r < tpf; r++) {
        oz_row_f32(video, first + r, row);
        oz_unit(row, d, out + r * d);
    }
}

void oz_cpu_istc(struct oz_cpu *c, const struct omnizip_matrix *video, int64_t tpf,
                 int64_t frames, int64_t num_keep, int32_t dpc_k, uint8_t *keep)
{
    int64_t n = video->rows, d = video->cols;
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
    for (int64_t t = 0; t < frames; t++) {
        uint8_t *k = keep + t * tpf;
        float *cur = c->frame_u + (t & 1) * tpf * d, *prev = c->frame_u + ((t + 1) & 1) * tpf * d;
        unit_frame(video, t * tpf, tpf, c->row, cur);
        if ((t & 1) == 0) {
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)tpf, (int)d, 1.0f, cur,
                        (int)d, 0.0f, c->gram, (int)tpf);
            for (int64_t i = 0; i < tpf; i++)
                for (int64_t j = 0; j < i; j++)
                    c->gram[i * tpf + j] = c->gram[j * tpf + i];
            c->flops += (double)tpf * (double)tpf * (double)d;
            oz_dpc_knn_keep(c->gram, tpf, dpc_k, num_keep, &s, k);
        } else {
            oz_temporal_keep(cur, prev, tpf, d, num_keep, &s, k);
            c->flops += 2.0 * (double)tpf * (double)d;
        }
    }
}
