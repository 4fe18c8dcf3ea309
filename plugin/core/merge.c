/* Stage 1.4-1.5's decisions: which pool tokens each anchor merges and with
 * what softmax weights. Decided here, on the host, for every backend: only
 * the weighted sums run on a backend, so CPU and CUDA merge the same tokens
 * with bit-equal weights. */
#include "core/core.h"

#include <math.h>
#include <string.h>

int64_t oz_merge_pick(const float *sigma, const int64_t *members, int64_t count, int32_t g,
                      int64_t *order, double *weight, double *wsum)
{
    *wsum = 0.0;
    if (count == 0 || g <= 0)
        return 0;
    for (int64_t m = 0; m < count; m++)
        weight[m] = sigma[members[m]];
    oz_rank_desc(weight, count, order);
    int64_t take = count < g ? count : g;
    double mx = -INFINITY, z = 0.0;
    for (int64_t t = 0; t < take; t++)
        if (weight[order[t]] > mx)
            mx = weight[order[t]];
    for (int64_t t = 0; t < take; t++)
        z += exp(weight[order[t]] - mx);
    /* Each member's slot is read, then overwritten by its weight, once. */
    for (int64_t t = 0; t < take; t++) {
        weight[order[t]] = exp(weight[order[t]] - mx) / z;
        *wsum += weight[order[t]];
    }
    return take;
}

void oz_merge_select(struct oz_plan *p, const int64_t *assign, const float *sigma, int32_t g,
                     const int64_t *pool_rows, int64_t a0, int64_t a1, int64_t q0, int64_t q1,
                     struct oz_merge_sel *s)
{
    int64_t n = a1 - a0, *count = s->start;
    memset(count, 0, (size_t)(n + 1) * sizeof *count);
    for (int64_t q = q0; q < q1; q++)
        if (assign[q] >= a0 && assign[q] < a1)
            count[assign[q] - a0 + 1]++;
    for (int64_t c = 0; c < n; c++)
        count[c + 1] += count[c];
    /* Pool positions grouped by anchor, in pool order within a group. */
    for (int64_t q = q0; q < q1; q++)
        if (assign[q] >= a0 && assign[q] < a1)
            s->group[count[assign[q] - a0]++] = q;
    int64_t out = 0, first = 0;
    for (int64_t c = 0; c < n; c++) {
        const int64_t *m = s->group + first;
        int64_t members = count[c] - first;
        first = count[c];
        count[c] = out;
        int64_t take = oz_merge_pick(sigma, m, members, g, s->order, s->value, &s->wsum[c]);
        for (int64_t t = 0; t < take; t++) {
            int64_t pos = m[s->order[t]];
            s->member_row[out + t] = pool_rows[pos];
            s->weight[out + t] = s->value[s->order[t]];
            p->audio_state[p->pool[pos]] = OMNIZIP_AUDIO_MERGED;
        }
        out += take;
    }
    count[n] = out;
}

int64_t oz_merge_anchor(float *anchor, int64_t d, const int64_t *members, int64_t count,
                        const float *sigma, const float *rows, int32_t g, uint8_t *chosen,
                        int64_t *scratch)
{
    if (count == 0 || g <= 0)
        return 0;
    double *w = (double *)(scratch + count), wsum;
    int64_t take = oz_merge_pick(sigma, members, count, g, scratch, w, &wsum);
    for (int64_t c = 0; c < d; c++) {
        double acc = anchor[c];
        for (int64_t t = 0; t < take; t++)
            acc += w[scratch[t]] * rows[scratch[t] * d + c];
        anchor[c] = (float)(acc / (1.0 + wsum));
    }
    memset(chosen, 0, (size_t)count);
    for (int64_t t = 0; t < take; t++)
        chosen[scratch[t]] = 1;
    return take;
}
