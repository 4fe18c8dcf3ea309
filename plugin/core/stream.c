/* mode: streaming, the decisions. Windows come one at a time with no
 * lookahead and no known clip length, so every count is decided from the
 * window itself and a bounded summary of the windows before it:
 *
 * - Audio. The offline method keeps the clip's top (1 - rho_audio) scores:
 *   a window keeps more when its scores rank high in the whole clip. Here a
 *   score ranks against every score seen so far (a histogram of the scores'
 *   order-preserving bits, so memory stays fixed) and the window "wants" its
 *   tokens whose rank is above rho_audio. A budget band then bounds the
 *   cumulative dominant count to (1 - rho_audio) * A +- (BAND * A - 1.5), A
 *   the audio tokens seen: salient windows keep more as long as the running
 *   total stays inside the band. Anchors follow contextual_ratio (capped at
 *   rho_audio, as the offline remaining set caps them) by error feedback on
 *   the cumulative count, so no rounding bias builds up; they are spread
 *   over the window's remaining tokens exactly as the offline rule spreads
 *   them over the clip's.
 * - Video. The base rate comes from the window's S_a as offline. The offline
 *   normalisation shifts every base rate by one common amount; here the shift
 *   is rho_video minus the running frame-weighted mean of the base rates, and
 *   the kept count it gives is bounded by the same kind of band around
 *   (1 - rho_video) * M, M the whole-frame video tokens seen, and by the rate
 *   clamps (normalize: exact's bounds). Frames of one window differ by one.
 * The band keeps both cumulative fractions within BAND (< 1 point) of their
 * targets once BAND * A exceeds the rounding slack. */
#include "core/core.h"

#include <math.h>
#include <string.h>

#define BAND 0.009
/* Share of the running error a window's wish gives back: without it the
 * cumulative count would sit wherever a biased wish (score ties, a drifting
 * score distribution) pushes it inside the band. */
#define PULL 0.2

void oz_stream_begin(struct oz_stream *s, int64_t tpf)
{
    memset(s, 0, sizeof *s);
    s->tpf = tpf;
}

/* Order-preserving bin of a float: sign, exponent and the top mantissa bits. */
static uint32_t score_bin(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return u >> (32 - OZ_STREAM_BIN_BITS);
}

/* The count in [T - E, T + E] (T the target of the cumulative total, E the
 * band) nearest `want` less PULL of the running error (have - prev, prev the
 * target before this window), as a step from `have`; rint(T) when no
 * integer fits. */
static int64_t banded(double target, double band, int64_t have, double prev, int64_t want)
{
    want -= (int64_t)rint(PULL * ((double)have - prev));
    double e = band > 0.0 ? band : 0.0;
    int64_t lo = (int64_t)ceil(target - e) - have, hi = (int64_t)floor(target + e) - have;
    if (lo > hi)
        lo = hi = (int64_t)rint(target) - have;
    return want < lo ? lo : want > hi ? hi : want;
}

static double anchor_ratio(const struct omnizip_config *cfg)
{
    return cfg->g > 0 ? fmin(cfg->contextual_ratio, cfg->rho_audio) : 0.0;
}

static int64_t clamp64(int64_t x, int64_t lo, int64_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* How many of the window's tokens rank above rho_audio among every score
 * seen, this window included. rank[n] orders the window by score, desc. */
static int64_t wanted(const struct omnizip_config *cfg, const struct oz_stream *s,
                      const float *scores, int64_t n, const int64_t *rank)
{
    int64_t want = 0, total = s->hist_total + n;
    /* Walk the window ascending: tokens below, and in, each one's bin. */
    int64_t below = 0;
    for (int64_t a = n - 1; a >= 0;) {
        uint32_t b = score_bin(scores[rank[a]]);
        int64_t same = 0;
        while (a - same >= 0 && score_bin(scores[rank[a - same]]) == b)
            same++;
        double mid = (double)(s->prefix[b] + below) + 0.5 * (double)(s->hist[b] + same);
        if (mid / (double)total > cfg->rho_audio)
            want += same;
        below += same;
        a -= same;
    }
    return want;
}

double oz_stream_audio_target(const struct omnizip_config *cfg)
{
    return (1.0 - cfg->rho_audio) + anchor_ratio(cfg);
}

omnizip_status oz_stream_decide(const struct omnizip_config *cfg, const struct oz_stream *s,
                                const float *scores, int64_t n, int64_t n_video,
                                struct oz_window *w, uint8_t *state, int64_t *anchors,
                                int64_t *pool, int64_t *order, double *value)
{
    memset(w, 0, sizeof *w);
    w->audio_len = n;
    w->video_len = n_video;
    w->guided = n > 0;
    int64_t dominant = 0, ctx = 0;
    if (n > 0) {
        for (int64_t j = 0; j < n; j++)
            value[j] = scores[j];
        oz_rank_desc(value, n, order);
        double seen = (double)(s->audio_in + n);
        dominant = banded((1.0 - cfg->rho_audio) * seen, BAND * seen - 1.5, s->dominant,
                          (1.0 - cfg->rho_audio) * (double)s->audio_in,
                          wanted(cfg, s, scores, n, order));
        dominant = clamp64(dominant, 0, n);
        ctx = clamp64((int64_t)rint(anchor_ratio(cfg) * seen) - s->anchors, 0, n - dominant);
    }
    if (n > 0)
        memset(state, OMNIZIP_AUDIO_PRUNED, (size_t)n);
    for (int64_t j = 0; j < dominant; j++)
        state[order[j]] = OMNIZIP_AUDIO_KEPT;
    /* The offline anchor rule on the window's remaining tokens, in order. */
    int64_t n_rem = 0;
    for (int64_t j = 0; j < n; j++)
        if (state[j] != OMNIZIP_AUDIO_KEPT)
            order[n_rem++] = j;
    int64_t step = ctx > 0 && n_rem / ctx > 1 ? n_rem / ctx : 1;
    for (int64_t k = 0; k < ctx; k++) {
        state[order[k * step]] = OMNIZIP_AUDIO_ANCHOR;
        anchors[k] = order[k * step];
    }
    for (int64_t k = 0; k < n_rem; k++)
        if (state[order[k]] != OMNIZIP_AUDIO_ANCHOR)
            pool[w->pool_count++] = order[k];
    w->anchor_count = ctx;
    w->audio_kept = dominant + ctx;

    w->s_a = n > 0 ? (float)w->audio_kept / (float)n : 0.0f;
    w->base = w->guided ? fmin(fmax(cfg->rho_max + (cfg->rho_min - cfg->rho_max) * (double)w->s_a,
                                    cfg->rho_min),
                               cfg->rho_max)
                        : cfg->rho_video;
    w->rate = w->base;
    int64_t tpf = s->tpf;
    w->frames = tpf > 0 ? n_video / tpf : 0;
    if (w->frames == 0) {
        w->num_keep = tpf;
        w->video_kept = n_video;
        return OMNIZIP_OK;
    }
    int64_t m = w->frames * tpf, kmin, kmax;
    oz_exact_bounds(cfg, w->guided, m, &kmin, &kmax);
    double frames_seen = (double)(s->frame_tokens + m);
    double mean_base = (s->base_sum + (double)m * w->base) / frames_seen;
    double lo = (double)(m - kmax) / (double)m, hi = (double)(m - kmin) / (double)m;
    double rate = fmin(fmax(w->base + (cfg->rho_video - mean_base), lo), hi);
    int64_t kept = banded((1.0 - cfg->rho_video) * frames_seen, BAND * frames_seen - 0.5,
                          s->video_kept_frames, (1.0 - cfg->rho_video) * (double)s->frame_tokens,
                          (int64_t)rint((double)m * (1.0 - rate)));
    oz_exact_apply(w, tpf, clamp64(kept, kmin, kmax));
    return OMNIZIP_OK;
}

void oz_stream_commit(struct oz_stream *s, const float *scores, const struct oz_window *w)
{
    for (int64_t j = 0; j < w->audio_len; j++)
        s->hist[score_bin(scores[j])]++;
    s->hist_total += w->audio_len;
    int64_t run = 0;
    for (uint32_t b = 0; b < OZ_STREAM_BINS; b++) {
        s->prefix[b] = run;
        run += s->hist[b];
    }
    s->n_windows++;
    s->audio_in += w->audio_len;
    s->dominant += w->audio_kept - w->anchor_count;
    s->anchors += w->anchor_count;
    s->video_in += w->video_len;
    s->video_kept += w->video_kept;
    if (w->frames > 0) {
        int64_t m = w->frames * s->tpf;
        s->frame_tokens += m;
        s->video_kept_frames += w->video_kept;
        s->base_sum += (double)m * w->base;
    }
}
