/* Stage 2: per-window video pruning rates guided by audio retention
 * (Algorithm 1 of the paper; docs/ALGORITHM.md, stage 2). Sums run in index order:
 * the reference's rounding is part of the contract. */
#include "core/core.h"

#include <math.h>

static double clamp(double x, double lo, double hi)
{
    return fmin(fmax(x, lo), hi);
}

/* The published normalisation: scale the windows other than the extremes so
 * the guided discard meets the budget, then shift by the residue. */
static void normalize_reference(const struct omnizip_config *cfg, struct oz_plan *p,
                                double guided_target)
{
    uint32_t g = p->n_guided;
    struct oz_window *w = p->win;
    double guided_tokens = 0.0, base_discard = 0.0;
    for (uint32_t i = 0; i < g; i++) {
        guided_tokens += (double)w[i].video_len;
        base_discard += w[i].base * (double)w[i].video_len;
    }
    if (g <= 2 || guided_tokens <= 0.0)
        return;
    if (!(fabs(base_discard - guided_target) > 1e-3 && base_discard > 0.0))
        return;
    uint32_t lo = 0, hi = 0;
    for (uint32_t i = 1; i < g; i++) {
        if (w[i].base < w[lo].base)
            lo = i;
        if (w[i].base > w[hi].base)
            hi = i;
    }
    double other_discard = 0.0, other_tokens = 0.0;
    uint32_t n_other = 0;
    for (uint32_t i = 0; i < g; i++)
        if (i != lo && i != hi) {
            other_discard += w[i].base * (double)w[i].video_len;
            other_tokens += (double)w[i].video_len;
            n_other++;
        }
    if (n_other == 0 || !(other_discard > 0.0))
        return;
    double fixed = w[lo].base * (double)w[lo].video_len + w[hi].base * (double)w[hi].video_len;
    double scale = (guided_target - fixed) / other_discard;
    for (uint32_t i = 0; i < g; i++)
        if (i != lo && i != hi)
            w[i].rate = clamp(w[i].base * scale, cfg->rho_min, cfg->rho_max);
    double actual = 0.0;
    for (uint32_t i = 0; i < g; i++)
        actual += w[i].rate * (double)w[i].video_len;
    double diff = guided_target - actual;
    if (fabs(diff) > 1e-3 && other_tokens > 0.0) {
        double shift = diff / other_tokens;
        for (uint32_t i = 0; i < g; i++)
            if (i != lo && i != hi)
                w[i].rate = clamp(w[i].rate + shift, cfg->rho_min, cfg->rho_max);
    }
}

void oz_rates(const struct omnizip_config *cfg, struct oz_plan *p)
{
    uint32_t g = p->n_guided;
    double unguided_tokens = 0.0;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        struct oz_window *w = &p->win[i];
        w->s_a = 0.0f;
        if (i < g && w->audio_len > 0)
            w->s_a = (float)w->audio_kept / (float)w->audio_len;
        w->base = clamp(cfg->rho_max + (cfg->rho_min - cfg->rho_max) * (double)w->s_a, cfg->rho_min,
                        cfg->rho_max);
        if (i >= g)
            unguided_tokens += (double)w->video_len;
    }
    double target = cfg->rho_video * (double)p->n_video_grid;
    double guided_target = target - cfg->rho_video * unguided_tokens;

    /* The rate field plays docs/ALGORITHM.md's adj: it starts as base. */
    struct oz_window *w = p->win;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        if (i < g)
            w[i].rate = w[i].base;
        else
            w[i].base = w[i].rate = i < p->n_video_runs ? cfg->rho_video : 0.0;
    }
    /* normalize: exact decides integer counts from these rates instead
     * (oz_exact_counts). */
    if (cfg->normalize != OMNIZIP_NORMALIZE_EXACT)
        normalize_reference(cfg, p, guided_target);
}
