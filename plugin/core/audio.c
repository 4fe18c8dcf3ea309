/* Stage 1.1-1.3: dominant audio tokens, anchors and the pool (docs/ALGORITHM.md, stage 1);
 * the merges are in merge.c. */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* qsort has no context argument, so values travel with their indices. */
struct ranked {
    double v;
    int64_t i;
};

static int cmp_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Sorting pairs in place would need a second buffer; ranking small arrays
 * (a frame, an anchor's members) by insertion keeps window() allocation-free
 * and is O(n^2) only on n <= a few hundred. Large n (all audio tokens) goes
 * through qsort in plan, where allocating is allowed. */
static void rank(const double *v, int64_t n, int64_t *order, int desc)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t j = i;
        while (j > 0) {
            double a = v[order[j - 1]], b = v[i];
            int before = desc ? (b > a) : (b < a);
            if (!before)
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

void oz_rank_desc(const double *v, int64_t n, int64_t *order)
{
    rank(v, n, order, 1);
}
void oz_rank_asc(const double *v, int64_t n, int64_t *order)
{
    rank(v, n, order, 0);
}

omnizip_status oz_audio_select(const struct omnizip_config *cfg, const float *scores, int64_t n,
                               uint8_t *state, int64_t *anchors, int64_t *n_anchors, int64_t *pool,
                               int64_t *n_pool, int64_t *order)
{
    *n_anchors = 0;
    *n_pool = 0;
    if (n == 0)
        return OMNIZIP_OK;
    double dn = (double)n;
    double want = rint((1.0 - cfg->rho_audio) * dn);
    int64_t dominant = (int64_t)fmax(0.0, fmin(dn, want));

    memset(state, OMNIZIP_AUDIO_PRUNED, (size_t)n);
    if (dominant > 0) {
        struct ranked *r = malloc((size_t)n * sizeof *r);
        if (!r)
            return OMNIZIP_E_NOMEM;
        for (int64_t j = 0; j < n; j++) {
            r[j].v = scores[j];
            r[j].i = j;
        }
        qsort(r, (size_t)n, sizeof *r, cmp_desc);
        for (int64_t j = 0; j < dominant; j++)
            state[r[j].i] = OMNIZIP_AUDIO_KEPT;
        free(r);
    }

    int64_t n_rem = 0;
    for (int64_t j = 0; j < n; j++)
        if (state[j] != OMNIZIP_AUDIO_KEPT)
            order[n_rem++] = j;
    int64_t ctx = (int64_t)fmax(0.0, rint(cfg->contextual_ratio * dn));
    if (n_rem == 0 || ctx == 0 || cfg->g == 0)
        return OMNIZIP_OK;
    if (ctx > n_rem)
        ctx = n_rem;
    int64_t step = n_rem / ctx;
    if (step < 1)
        step = 1;
    for (int64_t k = 0; k < ctx; k++) {
        int64_t j = order[k * step];
        state[j] = OMNIZIP_AUDIO_ANCHOR;
        anchors[(*n_anchors)++] = j;
    }
    for (int64_t k = 0; k < n_rem; k++)
        if (state[order[k]] != OMNIZIP_AUDIO_ANCHOR)
            pool[(*n_pool)++] = order[k];
    return OMNIZIP_OK;
}
