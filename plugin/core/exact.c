/* normalize: exact. The video budget met to the token: integer kept counts
 * per window, each inside its rate clamps, summing to
 * round((1 - rho_video) * n_video_grid) whenever the clamps allow it.
 *
 * The counts minimise sum_i m_i * (r_i - b_i)^2 over integers (r_i the rate
 * window i ends with, b_i its guided rate, m_i its whole-frame tokens): the
 * integer form of "one common shift of every guided rate", so windows with
 * more salient audio still keep more. Separable and convex, so a greedy
 * hand-out of one token at a time to the cheapest window is optimal; ties go
 * to the lower window, which makes the result unique. Each bound depends on
 * the layout alone, so when the budget is out of reach the total is still
 * score-free: every window sits at its bound. */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>

/* A min-heap of (key, window), ordered by key then window. */
struct entry {
    double key;
    uint32_t i;
};

static int before(const struct entry *a, const struct entry *b)
{
    return a->key < b->key || (a->key == b->key && a->i < b->i);
}

static void sift_down(struct entry *h, size_t n, size_t at)
{
    for (;;) {
        size_t l = 2 * at + 1, r = l + 1, m = at;
        if (l < n && before(&h[l], &h[m]))
            m = l;
        if (r < n && before(&h[r], &h[m]))
            m = r;
        if (m == at)
            return;
        struct entry t = h[m];
        h[m] = h[at];
        h[at] = t;
        at = m;
    }
}

void oz_exact_bounds(const struct omnizip_config *cfg, int guided, int64_t m, int64_t *kmin,
                     int64_t *kmax)
{
    double lo = cfg->rho_min, hi = cfg->rho_max;
    if (!guided) {
        lo = fmin(lo, cfg->rho_video);
        hi = fmax(hi, cfg->rho_video);
    }
    *kmin = (int64_t)ceil((double)m * (1.0 - hi));
    *kmax = (int64_t)floor((double)m * (1.0 - lo));
    if (*kmin > *kmax)
        *kmin = *kmax;
}

/* Cost of window w's next token: the growth of m*(r - b)^2 times m, over m. */
static double next_cost(const struct oz_window *w, int64_t k, int64_t m)
{
    double t = (double)m * (1.0 - w->base);
    return (2.0 * ((double)k - t) + 1.0) / (double)m;
}

void oz_exact_apply(struct oz_window *w, int64_t tpf, int64_t kept)
{
    int64_t m = w->frames * tpf;
    w->num_keep = kept / w->frames;
    w->extra = kept % w->frames;
    w->video_kept = kept;
    w->rate = 1.0 - (double)kept / (double)m;
}

omnizip_status oz_exact_counts(const struct omnizip_config *cfg, struct oz_plan *p)
{
    int64_t tpf = p->tpf, want = (int64_t)rint((1.0 - cfg->rho_video) * (double)p->n_video_grid);
    int64_t *k = malloc((p->n_windows ? p->n_windows : 1) * sizeof *k);
    struct entry *heap = malloc((p->n_windows ? p->n_windows : 1) * sizeof *heap);
    if (!k || !heap) {
        free(k);
        free(heap);
        return OMNIZIP_E_NOMEM;
    }
    int64_t have = 0;
    size_t n = 0;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        struct oz_window *w = &p->win[i];
        w->frames = tpf > 0 ? w->video_len / tpf : 0;
        w->extra = 0;
        k[i] = 0;
        if (w->frames == 0) {
            w->num_keep = tpf;
            w->video_kept = w->video_len;
            continue;
        }
        int64_t kmax;
        oz_exact_bounds(cfg, w->guided, w->frames * tpf, &k[i], &kmax);
        have += k[i];
        if (k[i] < kmax)
            heap[n++] = (struct entry){next_cost(w, k[i], w->frames * tpf), i};
    }
    for (size_t j = n; j-- > 0;)
        sift_down(heap, n, j);
    while (have < want && n > 0) {
        uint32_t i = heap[0].i;
        struct oz_window *w = &p->win[i];
        int64_t kmin, kmax;
        k[i]++;
        have++;
        oz_exact_bounds(cfg, w->guided, w->frames * tpf, &kmin, &kmax);
        if (k[i] < kmax)
            heap[0].key = next_cost(w, k[i], w->frames * tpf);
        else
            heap[0] = heap[--n];
        sift_down(heap, n, 0);
    }
    for (uint32_t i = 0; i < p->n_windows; i++)
        if (p->win[i].frames > 0)
            oz_exact_apply(&p->win[i], tpf, k[i]);
    free(k);
    free(heap);
    return OMNIZIP_OK;
}
