/*
 * adapter.c - the sequence adapter's front half: checks a host sequence,
 * finds its audio and video runs (docs/ALGORITHM.md, stage 0), and drives
 * create/plan/window_plan. adapter_apply.c does the rest.
 */
#include "adapter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loader.h"

omnizip_status ozs_adapter_fail(char *err, size_t err_size, omnizip_status status, const char *fmt,
                                ...)
{
    va_list ap;
    va_start(ap, fmt);
    ozc_verr(err, err_size, fmt, ap);
    va_end(ap);
    return status;
}

#define FAIL(status, ...) ozs_adapter_fail(err, err_size, status, __VA_ARGS__)

static omnizip_status validate(const struct omnizip_sequence *seq, int need_embeds, char *err,
                               size_t err_size)
{
    if (!seq)
        return FAIL(OMNIZIP_E_INVALID, "sequence is NULL");
    int64_t L = seq->length;
    if (L < 0)
        return FAIL(OMNIZIP_E_INVALID, "sequence: length %lld is negative", (long long)L);
    if (L > 0 && !seq->input_ids)
        return FAIL(OMNIZIP_E_INVALID, "sequence: input_ids is NULL");
    if (seq->position_ids && seq->position_stride < L)
        return FAIL(OMNIZIP_E_INVALID, "sequence: position_stride %lld is below length %lld",
                    (long long)seq->position_stride, (long long)L);
    if (seq->compact != 0 && seq->compact != 1)
        return FAIL(OMNIZIP_E_INVALID, "sequence: compact is %d, expected 0 or 1",
                    (int)seq->compact);
    if (seq->n_audio_scores < 0 || (seq->n_audio_scores > 0 && !seq->audio_scores))
        return FAIL(OMNIZIP_E_INVALID, "sequence: audio_scores is NULL for %lld scores",
                    (long long)seq->n_audio_scores);
    if (seq->merge_size < 1)
        return FAIL(OMNIZIP_E_INVALID, "sequence: merge_size %lld is below 1",
                    (long long)seq->merge_size);
    if (seq->grid_t < 0 || seq->grid_h < 0 || seq->grid_w < 0)
        return FAIL(OMNIZIP_E_INVALID, "sequence: video grid %lldx%lldx%lld has a negative size",
                    (long long)seq->grid_t, (long long)seq->grid_h, (long long)seq->grid_w);
    if (!need_embeds)
        return OMNIZIP_OK;
    if (ozc_dtype_size(seq->dtype) == 0)
        return FAIL(OMNIZIP_E_UNSUPPORTED, "sequence: dtype %d is not f32, f16 or bf16",
                    (int)seq->dtype);
    if (seq->hidden < 1)
        return FAIL(OMNIZIP_E_INVALID, "sequence: hidden size %lld is below 1",
                    (long long)seq->hidden);
    if (seq->row_stride < seq->hidden)
        return FAIL(OMNIZIP_E_INVALID, "sequence: row_stride %lld is below hidden size %lld",
                    (long long)seq->row_stride, (long long)seq->hidden);
    if (L > 0 && !seq->embeds)
        return FAIL(OMNIZIP_E_INVALID, "sequence: embeds is NULL");
    return OMNIZIP_OK;
}

void ozs_seqmap_free(struct ozs_seqmap *map)
{
    free(map->audio_pos);
    free(map->video_pos);
    free(map->audio_run);
    free(map->video_run);
    free(map->audio_start);
    free(map->video_start);
    memset(map, 0, sizeof *map);
}

int ozs_grid_check(int64_t t, int64_t h, int64_t w, int64_t s, int64_t n_video, int64_t *tpf,
                   char *why, size_t why_size)
{
    int64_t f, grid;
    if (t < 0 || h < 0 || w < 0 || s < 1) {
        snprintf(why, why_size, "grid %lldx%lldx%lld (merge size %lld) has a negative entry",
                 (long long)t, (long long)h, (long long)w, (long long)s);
        return -1;
    }
    if (__builtin_mul_overflow(h / s, w / s, &f) || f > OMNIZIP_MAX_TOKENS_PER_FRAME ||
        __builtin_mul_overflow(t, f, &grid) || grid > OMNIZIP_MAX_TOKENS) {
        snprintf(why, why_size,
                 "grid %lldx%lldx%lld (merge size %lld) is too large: at most %d "
                 "tokens per frame and %lld in the grid",
                 (long long)t, (long long)h, (long long)w, (long long)s,
                 OMNIZIP_MAX_TOKENS_PER_FRAME, OMNIZIP_MAX_TOKENS);
        return -1;
    }
    if (n_video > 0 && f == 0) {
        snprintf(why, why_size,
                 "grid H=%lld, W=%lld with merge size %lld gives 0 tokens per "
                 "frame for %lld video tokens",
                 (long long)h, (long long)w, (long long)s, (long long)n_video);
        return -1;
    }
    if (n_video > 0 && t == 0) {
        snprintf(why, why_size, "grid T=0 but input_ids holds %lld video tokens",
                 (long long)n_video);
        return -1;
    }
    if (n_video > 0 && grid > n_video) {
        snprintf(why, why_size,
                 "grid of %lld frames of %lld tokens (%lld) but input_ids holds "
                 "only %lld video tokens",
                 (long long)t, (long long)f, (long long)grid, (long long)n_video);
        return -1;
    }
    *tpf = f;
    return 0;
}

/* Splits positions into maximal runs of consecutive positions: each run's
 * length and first position. Returns -1 when out of memory. */
static int runs(const int64_t *pos, int64_t n, int64_t **len, int64_t **start, uint32_t *n_runs)
{
    *len = malloc((size_t)(n > 0 ? n : 1) * sizeof **len);
    *start = malloc((size_t)(n > 0 ? n : 1) * sizeof **start);
    if (!*len || !*start)
        return -1;
    uint32_t k = 0;
    for (int64_t j = 0; j < n; j++) {
        if (j > 0 && pos[j] == pos[j - 1] + 1) {
            (*len)[k - 1]++;
        } else {
            (*start)[k] = pos[j];
            (*len)[k++] = 1;
        }
    }
    *n_runs = k;
    return 0;
}

static omnizip_status build_map(const struct omnizip_sequence *seq, struct ozs_seqmap *map,
                                char *err, size_t err_size)
{
    memset(map, 0, sizeof *map);
    int64_t L = seq->length;
    size_t cap = (size_t)(L > 0 ? L : 1) * sizeof(int64_t);
    map->audio_pos = malloc(cap);
    map->video_pos = malloc(cap);
    if (!map->audio_pos || !map->video_pos)
        goto nomem;
    for (int64_t j = 0; j < L; j++) {
        if (seq->input_ids[j] == seq->audio_token_id)
            map->audio_pos[map->n_audio++] = j;
        else if (seq->input_ids[j] == seq->video_token_id)
            map->video_pos[map->n_video++] = j;
    }
    if (runs(map->audio_pos, map->n_audio, &map->audio_run, &map->audio_start,
             &map->n_audio_runs) != 0 ||
        runs(map->video_pos, map->n_video, &map->video_run, &map->video_start,
             &map->n_video_runs) != 0)
        goto nomem;
    map->n_windows = map->n_audio_runs > map->n_video_runs ? map->n_audio_runs : map->n_video_runs;
    map->grid_t = seq->grid_t;
    map->scores = seq->audio_scores;
    /* The counts the messages need, taken before a failure frees the map. */
    int64_t n_audio = map->n_audio, n_video = map->n_video;
    char why[256];
    if (seq->audio_scores && seq->n_audio_scores != n_audio) {
        ozs_seqmap_free(map);
        return FAIL(OMNIZIP_E_INVALID,
                    "sequence: %lld audio scores for %lld audio tokens (id %lld)",
                    (long long)seq->n_audio_scores, (long long)n_audio,
                    (long long)seq->audio_token_id);
    }
    /* With several videos each clip's grid is checked by the clips split. */
    int64_t in_grid = seq->video_grids ? 0 : n_video;
    if (ozs_grid_check(seq->grid_t, seq->grid_h, seq->grid_w, seq->merge_size, in_grid, &map->tpf,
                       why, sizeof why) != 0) {
        ozs_seqmap_free(map);
        return FAIL(OMNIZIP_E_INVALID, "sequence: %s", why);
    }
    return OMNIZIP_OK;
nomem:
    ozs_seqmap_free(map);
    return FAIL(OMNIZIP_E_NOMEM, "sequence of %lld tokens: out of memory", (long long)L);
}

/* A context with config (NULL: the defaults). */
static omnizip_status create(const omnizip_shim *shim, const struct omnizip_config *config,
                             omnizip_ctx **ctx, char *err, size_t err_size)
{
    const struct omnizip_plugin *p = omnizip_shim_plugin(shim);
    struct omnizip_config defaults;
    if (!config) {
        memset(&defaults, 0, sizeof defaults);
        defaults.struct_size = sizeof defaults;
        p->config_default(&defaults);
        config = &defaults;
    }
    char why[512] = "";
    omnizip_status st = p->create(config, ozs_shim_host(shim), ctx, why, sizeof why);
    if (st != OMNIZIP_OK)
        return FAIL(st, "create: %s", *why ? why : p->status_str(st));
    return OMNIZIP_OK;
}

static int streaming(const struct omnizip_config *config)
{
    return config && config->mode == OMNIZIP_MODE_STREAMING;
}

/* Creates a context and plans the clip: rep->plan, infos[] and ms_plan. */
static omnizip_status start(const omnizip_shim *shim, const struct omnizip_config *config,
                            const struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                            omnizip_ctx **ctx, struct omnizip_window_info *infos,
                            struct omnizip_run_report *rep, char *err, size_t err_size)
{
    const struct omnizip_plugin *p = omnizip_shim_plugin(shim);
    omnizip_status st = create(shim, config, ctx, err, err_size);
    if (st != OMNIZIP_OK)
        return st;

    struct omnizip_layout layout = {
        .struct_size = sizeof layout,
        .n_video_runs = map->n_video_runs,
        .n_audio_runs = map->n_audio_runs,
        .video_run_len = map->video_run,
        .audio_run_len = map->audio_run,
        .tokens_per_frame = map->tpf,
        .grid_t = map->grid_t,
        .video_run_start = map->video_start,
        .audio_run_start = map->audio_start,
    };
    double t0 = ozc_now_ms();
    rep->plan.struct_size = sizeof rep->plan;
    st = p->plan(*ctx, &layout, map->scores, map->scores ? map->n_audio : 0, &rep->plan);
    if (st != OMNIZIP_OK)
        return FAIL(st, "plan: %s", p->last_error(*ctx));
    /* Without scores the plugin knows the totals only. */
    uint32_t n_known = map->scores || map->n_audio == 0 ? map->n_windows : 0;
    for (uint32_t i = 0; i < n_known; i++) {
        memset(&infos[i], 0, sizeof infos[i]);
        infos[i].struct_size = sizeof infos[i];
        st = p->window_plan(*ctx, i, &infos[i]);
        if (st != OMNIZIP_OK)
            return FAIL(st, "window_plan %u: %s", i, p->last_error(*ctx));
    }
    rep->ms_plan = ozc_now_ms() - t0;
    rep->n_windows = n_known;
    return OMNIZIP_OK;
}

/* Pass-through decisions: every audio and video token kept. */
static omnizip_status keep_all(const struct ozs_seqmap *map, struct ozs_decisions *d,
                               struct omnizip_run_report *rep, char *err, size_t err_size)
{
    memset(d, 0, sizeof *d);
    d->audio_state = malloc((size_t)map->n_audio + 1);
    d->video_keep = malloc((size_t)map->n_video + 1);
    if (!d->audio_state || !d->video_keep) {
        free(d->audio_state);
        free(d->video_keep);
        return FAIL(OMNIZIP_E_NOMEM, "pass-through: out of memory");
    }
    memset(d->audio_state, OMNIZIP_AUDIO_KEPT, (size_t)map->n_audio);
    memset(d->video_keep, 1, (size_t)map->n_video);
    rep->plan.struct_size = sizeof rep->plan;
    rep->plan.audio_in = rep->plan.audio_kept = map->n_audio;
    rep->plan.video_in = rep->plan.video_kept = map->n_video;
    rep->summary.struct_size = sizeof rep->summary;
    rep->summary.audio_in = rep->summary.audio_kept = map->n_audio;
    rep->summary.video_in = rep->summary.video_kept = map->n_video;
    rep->n_windows = 0;
    return OMNIZIP_OK;
}

/* No plugin: the caller's report says so and the host's log hears why, on
 * every call, so a pass-through is never silent. */
static void note_passthrough(const omnizip_shim *shim, struct omnizip_run_report *rep)
{
    rep->passthrough = 1;
    const struct omnizip_host *host = ozs_shim_host(shim);
    if (host && host->log) {
        char msg[1024];
        snprintf(msg, sizeof msg, "pass-through, every token kept: %s", omnizip_shim_reason(shim));
        host->log(host->user, OMNIZIP_LOG_WARN, msg);
    }
}

/* The report as the caller sees it: its own windows array kept, infos copied. */
static void hand_over(struct omnizip_run_report *out, struct omnizip_run_report *rep,
                      const struct omnizip_window_info *infos)
{
    if (!out) {
        omnizip_run_report_release(rep);
        return;
    }
    rep->windows = out->windows;
    rep->capacity = out->capacity;
    if (rep->windows && infos) {
        uint32_t n = rep->n_windows < rep->capacity ? rep->n_windows : rep->capacity;
        memcpy(rep->windows, infos, n * sizeof *infos);
    }
    *out = *rep;
}

void omnizip_run_report_release(struct omnizip_run_report *report)
{
    if (!report)
        return;
    free(report->anchor_positions);
    free(report->anchor_rows);
    report->anchor_positions = NULL;
    report->anchor_rows = NULL;
    report->n_anchors = 0;
}

/* Plans (and with dc, compresses) every clip of cs: infos[] in clip order,
 * numbered across clips; rep summed; dc[c] clip c's decisions. */
static omnizip_status run_clips(omnizip_shim *shim, const struct omnizip_config *config,
                                const struct omnizip_sequence *seq, const struct ozs_clipset *cs,
                                struct omnizip_window_info *infos, omnizip_window_fn on_window,
                                void *user, struct omnizip_run_report *rep,
                                struct ozs_decisions *dc, char *err, size_t err_size)
{
    const struct omnizip_plugin *p = omnizip_shim_plugin(shim);
    omnizip_status st = OMNIZIP_OK;
    uint32_t off = 0;
    for (uint32_t c = 0; c < cs->n && st == OMNIZIP_OK; c++) {
        const struct ozs_seqmap *m = &cs->maps[c];
        struct omnizip_run_report part;
        memset(&part, 0, sizeof part);
        omnizip_ctx *ctx = NULL;
        struct ozs_renumber r = {on_window, user, off};
        omnizip_window_fn fn = on_window ? ozs_renumbered : NULL;
        if (m->n_windows == 0) {
            /* nothing to decide */
        } else if (dc && streaming(config)) {
            if ((st = create(shim, config, &ctx, err, err_size)) == OMNIZIP_OK)
                st = ozs_adapter_stream(p, ctx, seq, m, infos + off, fn, &r, &part, &dc[c], err,
                                        err_size);
        } else if ((st = start(shim, config, seq, m, &ctx, infos + off, &part, err, err_size)) ==
                       OMNIZIP_OK &&
                   dc) {
            st = ozs_adapter_drive(p, ctx, seq, m, infos + off, fn, &r, &part, &dc[c], err,
                                   err_size);
        }
        if (ctx)
            p->destroy(ctx);
        for (uint32_t i = 0; i < part.n_windows; i++)
            infos[off + i].index += off;
        ozs_report_add(rep, &part);
        off += part.n_windows;
    }
    return st;
}

static uint32_t clip_windows(const struct ozs_clipset *cs)
{
    uint32_t n = 0;
    for (uint32_t c = 0; c < cs->n; c++)
        n += cs->maps[c].n_windows;
    return n;
}

omnizip_status omnizip_shim_compress(omnizip_shim *shim, const struct omnizip_config *config,
                                     struct omnizip_sequence *seq, omnizip_window_fn on_window,
                                     void *user, struct omnizip_run_report *report, char *err,
                                     size_t err_size)
{
    if (!shim)
        return FAIL(OMNIZIP_E_INVALID, "shim is NULL");
    omnizip_status st = validate(seq, 1, err, err_size);
    if (st != OMNIZIP_OK)
        return st;
    struct ozs_seqmap map;
    if ((st = build_map(seq, &map, err, err_size)) != OMNIZIP_OK)
        return st;
    if (!seq->audio_scores && map.n_audio > 0) {
        ozs_seqmap_free(&map);
        return FAIL(OMNIZIP_E_INVALID,
                    "sequence: no audio scores for %lld audio tokens "
                    "(compress needs them; a plan under normalize: exact does not)",
                    (long long)map.n_audio);
    }
    if ((st = ozs_extras_check(seq, map.n_video, map.n_audio, err, err_size)) != OMNIZIP_OK) {
        ozs_seqmap_free(&map);
        return st;
    }

    struct omnizip_run_report rep;
    memset(&rep, 0, sizeof rep);
    struct ozs_decisions d;
    memset(&d, 0, sizeof d);
    struct ozs_decisions *dc = NULL;
    struct ozs_clipset cs;
    memset(&cs, 0, sizeof cs);
    struct omnizip_window_info *infos = NULL;
    const struct omnizip_plugin *p = omnizip_shim_plugin(shim);
    if (!p || map.n_windows == 0) {
        st = keep_all(&map, &d, &rep, err, err_size);
        if (!p)
            note_passthrough(shim, &rep);
    } else if ((st = ozs_clipset_build(p, seq, &map, &cs, err, err_size)) != OMNIZIP_OK) {
        /* err says why */
    } else if (!(infos = calloc(clip_windows(&cs) + 1, sizeof *infos)) ||
               !(dc = calloc(cs.n + 1, sizeof *dc))) {
        st = FAIL(OMNIZIP_E_NOMEM, "%u windows: out of memory", clip_windows(&cs));
    } else if ((st = run_clips(shim, config, seq, &cs, infos, on_window, user, &rep, dc, err,
                               err_size)) == OMNIZIP_OK) {
        st = ozs_decisions_merge(&map, &cs, dc, seq->hidden, &d, err, err_size);
    }
    for (uint32_t c = 0; dc && c < cs.n; c++)
        ozs_decisions_free(&dc[c]);
    free(dc);
    ozs_clipset_free(&cs);
    if (st == OMNIZIP_OK)
        st = ozs_adapter_apply(seq, &map, &d, &rep, err, err_size);
    else
        ozs_decisions_free(&d);
    if (st == OMNIZIP_OK)
        hand_over(report, &rep, infos);
    free(infos);
    ozs_seqmap_free(&map);
    return st;
}

omnizip_status omnizip_shim_plan(omnizip_shim *shim, const struct omnizip_config *config,
                                 const struct omnizip_sequence *seq,
                                 struct omnizip_run_report *report, char *err, size_t err_size)
{
    if (!shim)
        return FAIL(OMNIZIP_E_INVALID, "shim is NULL");
    omnizip_status st = validate(seq, 0, err, err_size);
    if (st != OMNIZIP_OK)
        return st;
    if (streaming(config))
        return FAIL(OMNIZIP_E_PROFILE,
                    "mode streaming decides each window as it comes: there is "
                    "no plan ahead (compress runs the stream; normalize: exact plans totals)");
    struct ozs_seqmap map;
    if ((st = build_map(seq, &map, err, err_size)) != OMNIZIP_OK)
        return st;

    struct omnizip_run_report rep;
    memset(&rep, 0, sizeof rep);
    struct omnizip_window_info *infos = NULL;
    struct ozs_clipset cs;
    memset(&cs, 0, sizeof cs);
    const struct omnizip_plugin *p = omnizip_shim_plugin(shim);
    if (!p || map.n_windows == 0) {
        struct ozs_decisions d;
        st = keep_all(&map, &d, &rep, err, err_size);
        if (st == OMNIZIP_OK)
            ozs_decisions_free(&d);
        if (!p)
            note_passthrough(shim, &rep);
    } else if ((st = ozs_clipset_build(p, seq, &map, &cs, err, err_size)) != OMNIZIP_OK) {
        /* err says why */
    } else if (!(infos = calloc(clip_windows(&cs) + 1, sizeof *infos))) {
        st = FAIL(OMNIZIP_E_NOMEM, "%u windows: out of memory", clip_windows(&cs));
    } else {
        st = run_clips(shim, config, seq, &cs, infos, NULL, NULL, &rep, NULL, err, err_size);
    }
    ozs_clipset_free(&cs);
    if (st == OMNIZIP_OK)
        hand_over(report, &rep, infos);
    free(infos);
    ozs_seqmap_free(&map);
    return st;
}
