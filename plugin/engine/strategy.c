/* The baseline strategies behind bind and window (their selection rules
 * are in core/baseline.c): DyCoke's similarities from the clip's rows at
 * bind, and every baseline's masks handed out per window. */
#include "engine/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* DyCoke's temporal window: one pivot frame per group of 4 frames (and, for
 * audio, one pivot segment per 4 consecutive audio runs). */
#define GROUP 4
/* Drop keys outside the cosine range [-1, 1]: pivots and tokens without a
 * counterpart go last, tokens past a run's last whole frame (which ISTC
 * drops too) go first. */
#define PROTECTED -3.0
#define TAIL 3.0

/* cos(unit(a), unit(b)) with stage 3's unit (norm floored at 1e-12). */
static double cosine(const float *a, const float *b, int64_t d)
{
    double na = fmax(sqrt(oz_dot(a, a, d)), 1e-12), nb = fmax(sqrt(oz_dot(b, b, d)), 1e-12);
    return oz_dot(a, b, d) / (na * nb);
}

/* Each video token's similarity to the same position of its group's pivot
 * frame; whole frames are counted over the clip, across window borders. */
static void video_keys(const struct oz_plan *p, const struct omnizip_matrix *v, double *key,
                       float *x, float *y)
{
    int64_t frame = 0, pivot = 0, tpf = p->tpf;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        const struct oz_window *w = &p->win[i];
        for (int64_t t = 0; t < w->frames; t++, frame++) {
            int64_t row = w->video_row + t * tpf;
            double *k = key + w->video_off + t * tpf;
            if (frame % GROUP == 0)
                pivot = row;
            for (int64_t j = 0; j < tpf; j++) {
                if (row == pivot) {
                    k[j] = PROTECTED;
                    continue;
                }
                oz_row_f32(v, row + j, x);
                oz_row_f32(v, pivot + j, y);
                k[j] = cosine(x, y, v->cols);
            }
        }
        for (int64_t j = w->frames * tpf; j < w->video_len; j++)
            key[w->video_off + j] = w->frames ? TAIL : PROTECTED;
    }
}

/* The same over consecutive audio segments (the audio runs): token j of a
 * run against token j of its group's pivot run. */
static void audio_keys(const struct oz_plan *p, const struct omnizip_matrix *a, double *key,
                       float *x, float *y)
{
    int64_t seg = 0;
    const struct oz_window *pivot = NULL;
    for (uint32_t i = 0; i < p->n_windows; i++) {
        const struct oz_window *w = &p->win[i];
        if (w->audio_len == 0)
            continue;
        if (seg++ % GROUP == 0)
            pivot = w;
        for (int64_t j = 0; j < w->audio_len; j++) {
            if (w == pivot || j >= pivot->audio_len) {
                key[w->audio_off + j] = PROTECTED;
                continue;
            }
            oz_row_f32(a, p->audio_row[w->audio_off + j], x);
            oz_row_f32(a, p->audio_row[pivot->audio_off + j], y);
            key[w->audio_off + j] = cosine(x, y, a->cols);
        }
    }
}

static omnizip_status dycoke(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                             const struct omnizip_matrix *video)
{
    struct oz_plan *p = &ctx->plan;
    if ((p->n_audio && audio->memory != OMNIZIP_MEMORY_HOST) ||
        (p->n_video && video->memory != OMNIZIP_MEMORY_HOST))
        return oz_engine_fail(ctx, OMNIZIP_E_UNSUPPORTED,
                              "bind: strategy dycoke reads host memory only");
    int64_t n = p->n_audio > p->n_video ? p->n_audio : p->n_video;
    /* Only a modality with tokens had its matrix checked at bind. */
    int64_t da = p->n_audio ? audio->cols : 0, dv = p->n_video ? video->cols : 0;
    int64_t d = da > dv ? da : dv;
    double *key = malloc((size_t)(n ? n : 1) * sizeof *key);
    int64_t *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    float *x = malloc((size_t)(d > 0 ? d : 1) * sizeof *x);
    float *y = malloc((size_t)(d > 0 ? d : 1) * sizeof *y);
    uint8_t *mask = malloc((size_t)(n ? n : 1));
    if (!key || !order || !x || !y || !mask) {
        free(key), free(order), free(x), free(y), free(mask);
        return oz_engine_fail(ctx, OMNIZIP_E_NOMEM, "bind: out of memory");
    }
    video_keys(p, video, key, x, y);
    oz_keep_below(key, p->n_video, p->video_kept, order, p->video_keep);
    audio_keys(p, audio, key, x, y);
    oz_keep_below(key, p->n_audio, p->audio_kept, order, mask);
    for (int64_t j = 0; j < p->n_audio; j++)
        p->audio_state[j] = mask[j] ? OMNIZIP_AUDIO_KEPT : OMNIZIP_AUDIO_PRUNED;
    oz_baseline_counts(p);
    free(key), free(order), free(x), free(y), free(mask);
    return OMNIZIP_OK;
}

omnizip_status oz_baseline_bind(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                                const struct omnizip_matrix *video)
{
    double t0 = ozc_now_us();
    if (ctx->plan.counts_at_bind) {
        omnizip_status st = dycoke(ctx, audio, video);
        if (st != OMNIZIP_OK)
            return st;
    }
    ctx->bound = 1;
    ctx->us_bind += ozc_now_us() - t0;
    return OMNIZIP_OK;
}

omnizip_status oz_baseline_window(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                                  const struct omnizip_window_out *out,
                                  struct omnizip_window_info *info)
{
    const struct oz_plan *p = &ctx->plan;
    const struct oz_window *w = &p->win[i];
    double t0 = ozc_now_us();
    if (p->counts_at_bind && !ctx->bound)
        return oz_engine_fail(ctx, OMNIZIP_E_STATE,
                              "window before bind (strategy dycoke "
                              "decides from the clip's rows at bind)");
    omnizip_status st = oz_engine_reach(ctx, in->video.memory);
    if (st == OMNIZIP_OK)
        st = oz_check_matrix(ctx, "window: video", &in->video, w->video_len, 0);
    if (st == OMNIZIP_OK)
        st = oz_window_check_masks(ctx, i, w, out);
    if (st != OMNIZIP_OK)
        return st;
    if (w->audio_len > 0)
        memcpy(out->audio_state, p->audio_state + w->audio_off, (size_t)w->audio_len);
    if (w->video_len > 0)
        memcpy(out->video_keep, p->video_keep + w->video_off, (size_t)w->video_len);
    oz_engine_window_info(ctx, i, info);
    info->micros = ozc_now_us() - t0;
    ctx->us_windows += info->micros;
    if (ctx->tel)
        oz_telemetry_publish(ctx->tel, info);
    return OMNIZIP_OK;
}
