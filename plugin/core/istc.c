/* Stage 3: interleaved spatio-temporal compression of one frame
 * (docs/ALGORITHM.md, stage 3). The Gram matrix comes from the backend; the decisions
 * are made here, in double, from it. */
#include "core/core.h"

#include <math.h>
#include <string.h>

/* Mean of the k smallest of row i's distances (j != i), summed ascending. */
static double knn_mean(const float *row, int64_t tpf, int64_t i, int64_t k, double *best)
{
    int64_t have = 0;
    for (int64_t j = 0; j < tpf; j++) {
        if (j == i)
            continue;
        double d = 1.0 - (double)row[j];
        if (have == k && d >= best[k - 1])
            continue;
        int64_t at = have < k ? have++ : k - 1;
        while (at > 0 && best[at - 1] > d) {
            best[at] = best[at - 1];
            at--;
        }
        best[at] = d;
    }
    double sum = 0.0;
    for (int64_t t = 0; t < k; t++)
        sum += best[t];
    return sum / (double)k;
}

void oz_dpc_knn_keep(const float *gram, int64_t tpf, int32_t k, int64_t num_keep,
                     struct oz_istc_scratch *s, uint8_t *keep)
{
    if (tpf <= 0)
        return;
    int64_t kk = k < tpf - 1 ? k : tpf - 1;
    double best[kk > 0 ? kk : 1];
    for (int64_t i = 0; i < tpf; i++)
        s->rho[i] = kk > 0 ? exp(-knn_mean(gram + i * tpf, tpf, i, kk, best)) : 1.0;
    for (int64_t i = 0; i < tpf; i++) {
        const float *row = gram + i * tpf;
        double dmin = INFINITY, dmax = 0.0;
        int denser = 0, any = 0;
        for (int64_t j = 0; j < tpf; j++) {
            if (j == i)
                continue;
            double d = 1.0 - (double)row[j];
            if (!any || d > dmax)
                dmax = d;
            any = 1;
            if (s->rho[j] > s->rho[i] && d < dmin) {
                dmin = d;
                denser = 1;
            }
        }
        double delta = denser ? dmin : (any ? dmax : 0.0);
        s->score[i] = delta * s->rho[i];
    }
    oz_rank_desc(s->score, tpf, s->order);
    memset(keep, 0, (size_t)tpf);
    for (int64_t t = 0; t < num_keep; t++)
        keep[s->order[t]] = 1;
}

void oz_temporal_keep(const double *cosine, int64_t tpf, int64_t num_keep,
                      struct oz_istc_scratch *s, uint8_t *keep)
{
    oz_rank_asc(cosine, tpf, s->order);
    memset(keep, 0, (size_t)tpf);
    for (int64_t t = 0; t < num_keep; t++)
        keep[s->order[t]] = 1;
}
