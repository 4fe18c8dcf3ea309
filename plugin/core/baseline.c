/* Baseline strategies at OmniZip's budgets (docs/strategies.md): random and
 * uniform are decided here from the layout alone; dycoke gets its budgets
 * here and its ranking from similarities the engine measures at bind. None
 * of them merges audio, so the plan holds no anchors and no pool. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

/* Stream tags: each modality draws from its own generator, so changing the
 * audio budget leaves the video mask of the same seed alone. */
#define AUDIO_STREAM 0x617564696f000000ull /* "audio" */
#define VIDEO_STREAM 0x766964656f000000ull /* "video" */

/* splitmix64 (Steele, Lea and Flood, OOPSLA 2014): tiny, full-period, and
 * easy to reproduce outside C (tests/ref/baselines.py does). */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias: draws below 2^64 mod bound are
 * rejected. */
static uint64_t below(uint64_t *s, uint64_t bound)
{
    uint64_t floor = (0 - bound) % bound;
    for (;;) {
        uint64_t x = next(s);
        if (x >= floor)
            return x % bound;
    }
}

void oz_random_keep(uint64_t seed, uint64_t stream, int64_t n, int64_t budget, int64_t *idx,
                    uint8_t *keep)
{
    uint64_t s = seed ^ stream;
    if (n <= 0)
        return;
    for (int64_t j = 0; j < n; j++)
        idx[j] = j;
    memset(keep, 0, (size_t)n);
    /* Partial Fisher-Yates: position j takes a uniform pick of the rest. */
    for (int64_t j = 0; j < budget && j < n; j++) {
        int64_t r = j + (int64_t)below(&s, (uint64_t)(n - j));
        int64_t t = idx[j];
        idx[j] = idx[r];
        idx[r] = t;
        keep[idx[j]] = 1;
    }
}

/* budget * len mod total, exact in 128 bits. */
static uint64_t remainder_of(int64_t budget, int64_t len, int64_t total)
{
    return (uint64_t)(((unsigned __int128)(uint64_t)budget * (uint64_t)len) % (uint64_t)total);
}

void oz_apportion(const int64_t *len, uint32_t n_runs, int64_t total, int64_t budget,
                  int64_t *share, int64_t *order)
{
    int64_t given = 0;
    if (total <= 0) {
        memset(share, 0, n_runs * sizeof *share);
        return;
    }
    for (uint32_t i = 0; i < n_runs; i++) {
        unsigned __int128 q = (unsigned __int128)(uint64_t)budget * (uint64_t)len[i];
        share[i] = (int64_t)(q / (uint64_t)total);
        given += share[i];
    }
    /* The rest by largest remainder, ties to the lower index: the runs are
     * windows (a few hundred), ordered by an insertion sort. */
    for (uint32_t i = 0; i < n_runs; i++) {
        uint64_t ri = remainder_of(budget, len[i], total);
        uint32_t at = i;
        while (at > 0 && remainder_of(budget, len[order[at - 1]], total) < ri) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = i;
    }
    for (uint32_t k = 0; given < budget && k < n_runs; k++, given++)
        share[order[k]]++;
}

void oz_even_keep(int64_t n, int64_t m, uint8_t *keep)
{
    memset(keep, 0, (size_t)n);
    /* The centre of each of m equal segments: floor((2k + 1) n / 2m). */
    for (int64_t k = 0; k < m && m <= n; k++)
        keep[(int64_t)(((unsigned __int128)(2 * k + 1) * (uint64_t)n) / (uint64_t)(2 * m))] = 1;
}

static int cmp_drop(const void *a, const void *b, void *key)
{
    const double *k = key;
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (k[x] != k[y])
        return k[x] > k[y] ? -1 : 1;
    return (x > y) - (x < y);
}

void oz_keep_below(const double *key, int64_t n, int64_t budget, int64_t *order, uint8_t *keep)
{
    for (int64_t j = 0; j < n; j++) {
        order[j] = j;
        keep[j] = 1;
    }
    qsort_r(order, (size_t)n, sizeof *order, cmp_drop, (void *)key);
    for (int64_t j = 0; j < n - budget; j++)
        keep[order[j]] = 0;
}

/* Per-window counts, S_a and the effective rate from the masks. */
void oz_baseline_counts(struct oz_plan *p)
{
    for (uint32_t i = 0; i < p->n_windows; i++) {
        struct oz_window *w = &p->win[i];
        int64_t a = 0, v = 0;
        for (int64_t j = 0; j < w->audio_len; j++)
            a += p->audio_state[w->audio_off + j] != OMNIZIP_AUDIO_PRUNED;
        for (int64_t j = 0; j < w->video_len; j++)
            v += p->video_keep[w->video_off + j];
        w->audio_kept = a;
        w->video_kept = v;
        w->s_a = w->guided && w->audio_len ? (float)a / (float)w->audio_len : 0.0f;
        w->base = w->rate = w->video_len ? 1.0 - (double)v / (double)w->video_len : 0.0;
    }
}

/* Evenly spaced within each run, the budget shared by run length. */
static omnizip_status uniform(struct oz_plan *p, uint8_t *mask, int video, int64_t budget,
                              int64_t total)
{
    uint32_t n = p->n_windows;
    int64_t *len = calloc(n ? n : 1, sizeof *len), *share = calloc(n ? n : 1, sizeof *share);
    int64_t *order = calloc(n ? n : 1, sizeof *order);
    if (!len || !share || !order) {
        free(len), free(share), free(order);
        return OMNIZIP_E_NOMEM;
    }
    for (uint32_t i = 0; i < n; i++)
        len[i] = video ? p->win[i].video_len : p->win[i].audio_len;
    oz_apportion(len, n, total, budget, share, order);
    for (uint32_t i = 0; i < n; i++) {
        int64_t off = video ? p->win[i].video_off : p->win[i].audio_off;
        oz_even_keep(len[i], share[i], mask + off);
    }
    free(len), free(share), free(order);
    return OMNIZIP_OK;
}

omnizip_status oz_baseline_plan(struct oz_plan *p, const struct omnizip_config *cfg)
{
    int64_t na = p->n_audio, nv = p->n_video, big = na > nv ? na : nv;
    uint8_t *amask = malloc((size_t)(na ? na : 1));
    int64_t *idx = malloc((size_t)(big ? big : 1) * sizeof *idx);
    p->video_keep = calloc((size_t)(nv ? nv : 1), 1);
    if (!amask || !idx || !p->video_keep) {
        free(amask), free(idx);
        return OMNIZIP_E_NOMEM;
    }
    omnizip_status st = OMNIZIP_OK;
    memset(amask, 0, (size_t)(na ? na : 1));
    if (cfg->strategy == OMNIZIP_STRATEGY_RANDOM) {
        oz_random_keep(cfg->seed, AUDIO_STREAM, na, p->audio_kept, idx, amask);
        oz_random_keep(cfg->seed, VIDEO_STREAM, nv, p->video_kept, idx, p->video_keep);
    } else if (cfg->strategy == OMNIZIP_STRATEGY_UNIFORM) {
        st = uniform(p, amask, 0, p->audio_kept, na);
        if (st == OMNIZIP_OK)
            st = uniform(p, p->video_keep, 1, p->video_kept, nv);
    } else {
        /* Rates and S_a follow from the masks, decided at bind. */
        p->counts_at_bind = 1;
        for (uint32_t i = 0; i < p->n_windows; i++) {
            p->win[i].s_a = 0.0f;
            p->win[i].base = p->win[i].rate = 0.0;
        }
    }
    free(idx);
    for (int64_t j = 0; j < na; j++)
        p->audio_state[j] = amask[j] ? OMNIZIP_AUDIO_KEPT : OMNIZIP_AUDIO_PRUNED;
    free(amask);
    p->n_anchors = p->n_pool = 0;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        p->win[i].anchor_first = p->win[i].anchor_count = 0;
        p->win[i].pool_first = p->win[i].pool_count = 0;
    }
    p->strategy = cfg->strategy;
    if (!p->counts_at_bind)
        oz_baseline_counts(p);
    return st;
}
