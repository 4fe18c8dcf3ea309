/* Stage 0 (layout) and the whole count-deciding plan: everything here
 * depends only on the layout and the audio scores (docs/ALGORITHM.md, stages 0 to 2). */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void oz_plan_free(struct oz_plan *p)
{
    if (!p)
        return;
    free(p->win);
    free(p->audio_state);
    free(p->anchors);
    free(p->pool);
    free(p->audio_row);
    free(p->video_keep);
    memset(p, 0, sizeof *p);
}

/* Run i of one kind as a row interval; empty runs take no rows. */
static int run_at(const int64_t *start, const int64_t *len, uint32_t n, uint32_t i, int64_t *lo,
                  int64_t *hi)
{
    if (i >= n)
        return 0;
    *lo = start[i];
    *hi = start[i] + len[i]; /* lengths are checked first: no overflow below the limit */
    return 1;
}

/* Run starts (sequence rows): each run inside [0, OMNIZIP_MAX_ROWS), the
 * non-empty runs of each kind in order, and no two runs overlapping. The
 * two ordered lists are merged, so nothing is allocated. */
static omnizip_status check_starts(const struct omnizip_layout *lay, char *err, size_t es)
{
    const int64_t *s[2] = {lay->video_run_start, lay->audio_run_start};
    const int64_t *len[2] = {lay->video_run_len, lay->audio_run_len};
    const uint32_t n[2] = {lay->n_video_runs, lay->n_audio_runs};
    static const char *const kind[2] = {"video", "audio"};
    for (int k = 0; k < 2; k++)
        for (uint32_t i = 0; i < n[k]; i++)
            if (s[k][i] < 0 || s[k][i] > OMNIZIP_MAX_ROWS - len[k][i]) {
                ozc_err(err, es, "layout: %s run %u starts at row %lld (rows end at %lld)", kind[k],
                        i, (long long)s[k][i], OMNIZIP_MAX_ROWS);
                return OMNIZIP_E_INVALID;
            }
    uint32_t i[2] = {0, 0};
    int64_t end = 0, lo, hi;
    for (;;) {
        int k = -1;
        int64_t best = 0;
        for (int c = 0; c < 2; c++) {
            while (i[c] < n[c] && len[c][i[c]] == 0)
                i[c]++;
            if (run_at(s[c], len[c], n[c], i[c], &lo, &hi) && (k < 0 || lo < best))
                k = c, best = lo;
        }
        if (k < 0)
            return OMNIZIP_OK;
        run_at(s[k], len[k], n[k], i[k], &lo, &hi);
        if (lo < end) {
            ozc_err(err, es,
                    "layout: %s run %u (rows %lld..%lld) overlaps an earlier run or "
                    "comes out of order",
                    kind[k], i[k], (long long)lo, (long long)hi);
            return OMNIZIP_E_INVALID;
        }
        end = hi;
        i[k]++;
    }
}

static omnizip_status check_layout(const struct omnizip_layout *lay, const float *scores,
                                   int64_t n_scores, int64_t *n_audio, int64_t *n_video, char *err,
                                   size_t es)
{
    int64_t na = 0, nv = 0;
    if (lay->n_audio_runs && !lay->audio_run_len) {
        ozc_err(err, es, "layout: audio_run_len is NULL with %u audio runs", lay->n_audio_runs);
        return OMNIZIP_E_INVALID;
    }
    if (lay->n_video_runs && !lay->video_run_len) {
        ozc_err(err, es, "layout: video_run_len is NULL with %u video runs", lay->n_video_runs);
        return OMNIZIP_E_INVALID;
    }
    for (uint32_t i = 0; i < lay->n_audio_runs; i++) {
        if (lay->audio_run_len[i] < 0 || lay->audio_run_len[i] > OMNIZIP_MAX_TOKENS - na) {
            ozc_err(err, es,
                    "layout: audio run %u has length %lld (negative, or the "
                    "clip's audio tokens past %lld)",
                    i, (long long)lay->audio_run_len[i], OMNIZIP_MAX_TOKENS);
            return OMNIZIP_E_INVALID;
        }
        na += lay->audio_run_len[i];
    }
    for (uint32_t i = 0; i < lay->n_video_runs; i++) {
        if (lay->video_run_len[i] < 0 || lay->video_run_len[i] > OMNIZIP_MAX_TOKENS - nv) {
            ozc_err(err, es,
                    "layout: video run %u has length %lld (negative, or the "
                    "clip's video tokens past %lld)",
                    i, (long long)lay->video_run_len[i], OMNIZIP_MAX_TOKENS);
            return OMNIZIP_E_INVALID;
        }
        nv += lay->video_run_len[i];
    }
    if (!lay->audio_run_start != !lay->video_run_start) {
        ozc_err(err, es, "layout: give both audio_run_start and video_run_start, or neither");
        return OMNIZIP_E_INVALID;
    }
    if (lay->audio_run_start && check_starts(lay, err, es) != OMNIZIP_OK)
        return OMNIZIP_E_INVALID;
    if (n_scores != na && !(n_scores == 0 && !scores)) {
        ozc_err(err, es, "plan: %lld audio scores for %lld audio tokens", (long long)n_scores,
                (long long)na);
        return OMNIZIP_E_INVALID;
    }
    if (na > 0 && !scores && n_scores != 0) {
        ozc_err(err, es, "plan: scores is NULL");
        return OMNIZIP_E_INVALID;
    }
    for (int64_t j = 0; scores && j < na; j++)
        if (!isfinite(scores[j])) {
            ozc_err(err, es, "plan: audio score %lld is not finite", (long long)j);
            return OMNIZIP_E_INVALID;
        }
    if (lay->grid_t < 0 || lay->tokens_per_frame < 0) {
        ozc_err(err, es, "layout: negative grid (T=%lld, tokens per frame %lld)",
                (long long)lay->grid_t, (long long)lay->tokens_per_frame);
        return OMNIZIP_E_INVALID;
    }
    if (nv > 0 && (lay->tokens_per_frame == 0 || lay->grid_t == 0)) {
        ozc_err(err, es,
                "layout: %lld video tokens but the grid is empty (T=%lld, tokens "
                "per frame %lld)",
                (long long)nv, (long long)lay->grid_t, (long long)lay->tokens_per_frame);
        return OMNIZIP_E_INVALID;
    }
    if (lay->tokens_per_frame > OMNIZIP_MAX_TOKENS_PER_FRAME ||
        (lay->grid_t > 0 && lay->tokens_per_frame > OMNIZIP_MAX_TOKENS / lay->grid_t)) {
        ozc_err(err, es,
                "layout: grid too large (T=%lld, tokens per frame %lld; at most %d "
                "tokens per frame and %lld in the grid)",
                (long long)lay->grid_t, (long long)lay->tokens_per_frame,
                OMNIZIP_MAX_TOKENS_PER_FRAME, OMNIZIP_MAX_TOKENS);
        return OMNIZIP_E_INVALID;
    }
    *n_audio = na;
    *n_video = nv;
    return OMNIZIP_OK;
}

/* Stage 3's counts for one run: frames, num_keep, kept. */
static void istc_counts(struct oz_window *w, int64_t tpf)
{
    w->frames = tpf > 0 ? w->video_len / tpf : 0;
    if (w->frames == 0) {
        w->num_keep = tpf;
        w->video_kept = w->video_len;
        return;
    }
    double keep_ratio = 1.0 - w->rate;
    int64_t keep = (int64_t)((double)tpf * keep_ratio);
    /* The invariant every later stage relies on: 0 <= num_keep <= tpf. */
    w->num_keep = keep < 0 ? 0 : keep > tpf ? tpf : keep;
    w->video_kept = w->frames * w->num_keep;
}

omnizip_status oz_plan_build(struct oz_plan *out, const struct omnizip_config *cfg,
                             const struct omnizip_layout *lay, const float *scores,
                             int64_t n_scores, char *err, size_t es)
{
    int64_t na, nv;
    omnizip_status st = check_layout(lay, scores, n_scores, &na, &nv, err, es);
    if (st != OMNIZIP_OK)
        return st;
    /* Without scores only the totals are known, and only normalize: exact
     * makes them score-free (the audio total always is; the video total is
     * the budget, or every window at a bound of its layout). */
    int totals_only = na > 0 && !scores;
    if (totals_only && cfg->normalize != OMNIZIP_NORMALIZE_EXACT) {
        ozc_err(err, es,
                "plan: no audio scores for %lld audio tokens; only normalize: exact "
                "plans without scores (the totals)",
                (long long)na);
        return OMNIZIP_E_INVALID;
    }

    struct oz_plan p;
    memset(&p, 0, sizeof p);
    p.n_video_runs = lay->n_video_runs;
    p.n_audio_runs = lay->n_audio_runs;
    p.n_windows = p.n_video_runs > p.n_audio_runs ? p.n_video_runs : p.n_audio_runs;
    p.n_guided = p.n_video_runs < p.n_audio_runs ? p.n_video_runs : p.n_audio_runs;
    p.tpf = lay->tokens_per_frame;
    p.n_video_grid = lay->grid_t * lay->tokens_per_frame;
    p.n_audio = na;
    p.n_video = nv;
    p.sequence_rows = lay->audio_run_start != NULL;

    size_t n1 = (size_t)(na > 0 ? na : 1);
    p.win = calloc(p.n_windows ? p.n_windows : 1, sizeof *p.win);
    p.audio_state = calloc(n1, 1);
    p.anchors = malloc(n1 * sizeof *p.anchors);
    p.pool = malloc(n1 * sizeof *p.pool);
    p.audio_row = malloc(n1 * sizeof *p.audio_row);
    int64_t *order = malloc(n1 * sizeof *order);
    /* Any scores give the same totals: all equal will do. */
    float *zeros = totals_only ? calloc(n1, sizeof *zeros) : NULL;
    if (!p.win || !p.audio_state || !p.anchors || !p.pool || !p.audio_row || !order ||
        (totals_only && !zeros)) {
        free(order);
        free(zeros);
        oz_plan_free(&p);
        ozc_err(err, es, "plan: out of memory for %lld audio tokens", (long long)na);
        return OMNIZIP_E_NOMEM;
    }

    int64_t ao = 0, vo = 0;
    for (uint32_t i = 0; i < p.n_windows; i++) {
        struct oz_window *w = &p.win[i];
        w->audio_off = ao;
        w->audio_len = i < p.n_audio_runs ? lay->audio_run_len[i] : 0;
        w->video_off = vo;
        w->video_len = i < p.n_video_runs ? lay->video_run_len[i] : 0;
        w->guided = i < p.n_guided;
        w->audio_row = lay->audio_run_start && i < p.n_audio_runs ? lay->audio_run_start[i] : ao;
        w->video_row = lay->video_run_start && i < p.n_video_runs ? lay->video_run_start[i] : vo;
        for (int64_t j = 0; j < w->audio_len; j++)
            p.audio_row[ao + j] = w->audio_row + j;
        ao += w->audio_len;
        vo += w->video_len;
    }

    p.totals_only = totals_only;
    st = oz_audio_select(cfg, totals_only ? zeros : scores, na, p.audio_state, p.anchors,
                         &p.n_anchors, p.pool, &p.n_pool, order);
    free(order);
    free(zeros);
    if (st != OMNIZIP_OK) {
        oz_plan_free(&p);
        ozc_err(err, es, "plan: out of memory for %lld audio tokens", (long long)na);
        return st;
    }

    /* Slices of the ascending anchor and pool lists per window. */
    int64_t a = 0, q = 0;
    for (uint32_t i = 0; i < p.n_windows; i++) {
        struct oz_window *w = &p.win[i];
        int64_t end = w->audio_off + w->audio_len;
        w->anchor_first = a;
        while (a < p.n_anchors && p.anchors[a] < end)
            a++;
        w->anchor_count = a - w->anchor_first;
        w->pool_first = q;
        while (q < p.n_pool && p.pool[q] < end)
            q++;
        w->pool_count = q - w->pool_first;
        int64_t kept = 0;
        for (int64_t j = w->audio_off; j < end; j++)
            kept += p.audio_state[j] != OMNIZIP_AUDIO_PRUNED;
        w->audio_kept = kept;
        p.audio_kept += kept;
    }

    oz_rates(cfg, &p);
    if (cfg->normalize == OMNIZIP_NORMALIZE_EXACT && oz_exact_counts(cfg, &p) != OMNIZIP_OK) {
        ozc_err(err, es, "plan: out of memory for %u windows", p.n_windows);
        oz_plan_free(&p);
        return OMNIZIP_E_NOMEM;
    }
    for (uint32_t i = 0; i < p.n_windows; i++) {
        if (cfg->normalize != OMNIZIP_NORMALIZE_EXACT)
            istc_counts(&p.win[i], p.tpf);
        p.video_kept += p.win[i].video_kept;
    }
    if (cfg->strategy != OMNIZIP_STRATEGY_OMNIZIP &&
        (st = oz_baseline_plan(&p, cfg)) != OMNIZIP_OK) {
        oz_plan_free(&p);
        ozc_err(err, es, "plan: out of memory for the baseline strategy");
        return st;
    }
    *out = p;
    return OMNIZIP_OK;
}
