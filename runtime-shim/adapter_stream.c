/*
 * adapter_stream.c - the sequence adapter in mode streaming: windows go to
 * the plugin's omnizip.streaming/1 extension one at a time, in sequence
 * order, each decided before the next is handed over; the decisions land
 * in the same arrays the offline path fills, so compaction is shared.
 */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define FAIL(status, ...) ozs_adapter_fail(err, err_size, status, __VA_ARGS__)

/* Appends n anchor rows (f32, D each) to d->anchors, growing it by doubling. */
static int append_anchors(struct ozs_decisions *d, int64_t *cap, const float *rows, int64_t n,
                          int64_t D)
{
    if (n == 0) /* nothing to copy, and memcpy must not see the NULL of an empty array */
        return 0;
    if (d->n_anchors + n > *cap) {
        int64_t want = *cap ? 2 * *cap : 64;
        while (want < d->n_anchors + n)
            want *= 2;
        float *a = realloc(d->anchors, (size_t)want * (size_t)D * sizeof *a);
        if (!a)
            return -1;
        d->anchors = a;
        *cap = want;
    }
    if (n == 0) /* d->anchors may still be NULL: memcpy must not see it */
        return 0;
    memcpy(d->anchors + d->n_anchors * D, rows, (size_t)(n * D) * sizeof *rows);
    d->n_anchors += n;
    return 0;
}

static omnizip_status push_all(const struct omnizip_plugin *p,
                               const struct omnizip_streaming_ext *x, omnizip_ctx *ctx,
                               const struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                               struct omnizip_window_info *infos, omnizip_window_fn on_window,
                               void *user, struct ozs_decisions *d, float *scratch, char *err,
                               size_t err_size)
{
    int64_t D = seq->hidden, a_off = 0, v_off = 0, cap = 0;
    for (uint32_t i = 0; i < map->n_windows; i++) {
        int64_t na = i < map->n_audio_runs ? map->audio_run[i] : 0;
        int64_t nv = i < map->n_video_runs ? map->video_run[i] : 0;
        struct omnizip_stream_in in = {
            .struct_size = sizeof in,
            .audio = ozs_adapter_rows(seq, na ? map->audio_start[i] : 0, na),
            .video = ozs_adapter_rows(seq, nv ? map->video_start[i] : 0, nv),
            .audio_scores = na ? seq->audio_scores + a_off : NULL,
        };
        infos[i].struct_size = sizeof infos[i];
        struct omnizip_window_out out = {
            .struct_size = sizeof out,
            .audio_state = d->audio_state + a_off,
            .audio_capacity = na,
            .video_keep = d->video_keep + v_off,
            .video_capacity = nv,
            .anchors = {scratch, na, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST},
            .info = &infos[i],
        };
        omnizip_status st = x->push(ctx, &in, &out);
        if (st != OMNIZIP_OK)
            return FAIL(st, "window %u: %s", i, p->last_error(ctx));
        if (append_anchors(d, &cap, scratch, infos[i].audio_anchors, D) != 0)
            return FAIL(OMNIZIP_E_NOMEM, "window %u: out of memory for its anchors", i);
        if (on_window)
            on_window(user, &infos[i]);
        a_off += na;
        v_off += nv;
    }
    return OMNIZIP_OK;
}

omnizip_status ozs_adapter_stream(const struct omnizip_plugin *p, omnizip_ctx *ctx,
                                  const struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                                  struct omnizip_window_info *infos, omnizip_window_fn on_window,
                                  void *user, struct omnizip_run_report *rep,
                                  struct ozs_decisions *d, char *err, size_t err_size)
{
    memset(d, 0, sizeof *d);
    const struct omnizip_streaming_ext *x = p->get_extension(OMNIZIP_EXT_STREAMING);
    if (!x)
        return FAIL(OMNIZIP_E_UNSUPPORTED, "mode streaming: the plugin does not serve %s",
                    OMNIZIP_EXT_STREAMING);
    int64_t most = 1;
    for (uint32_t i = 0; i < map->n_audio_runs; i++)
        most = map->audio_run[i] > most ? map->audio_run[i] : most;
    float *scratch = malloc((size_t)most * (size_t)seq->hidden * sizeof *scratch);
    d->audio_state = malloc((size_t)map->n_audio + 1);
    d->video_keep = malloc((size_t)map->n_video + 1);
    omnizip_status st = OMNIZIP_OK;
    if (!scratch || !d->audio_state || !d->video_keep) {
        st = FAIL(OMNIZIP_E_NOMEM, "outputs of %lld audio and %lld video tokens: out of memory",
                  (long long)map->n_audio, (long long)map->n_video);
        goto out;
    }
    if ((st = x->begin(ctx, map->tpf)) != OMNIZIP_OK) {
        st = FAIL(st, "begin: %s", p->last_error(ctx));
        goto out;
    }
    double t0 = ozc_now_ms();
    st = push_all(p, x, ctx, seq, map, infos, on_window, user, d, scratch, err, err_size);
    rep->ms_windows = ozc_now_ms() - t0;
    if (st != OMNIZIP_OK)
        goto out;
    rep->summary.struct_size = sizeof rep->summary;
    if ((st = p->finish(ctx, &rep->summary)) != OMNIZIP_OK) {
        st = FAIL(st, "finish: %s", p->last_error(ctx));
        goto out;
    }
    /* Nothing was planned ahead: the totals are the stream's. */
    struct omnizip_plan *pl = &rep->plan;
    memset(pl, 0, sizeof *pl);
    pl->struct_size = sizeof *pl;
    pl->n_windows = map->n_windows;
    pl->n_guided = map->n_audio_runs < map->n_video_runs ? map->n_audio_runs : map->n_video_runs;
    pl->audio_in = rep->summary.audio_in;
    pl->audio_kept = rep->summary.audio_kept;
    pl->audio_anchors = d->n_anchors;
    pl->video_in = rep->summary.video_in;
    pl->video_kept = rep->summary.video_kept;
    rep->n_windows = map->n_windows;
out:
    free(scratch);
    if (st != OMNIZIP_OK)
        ozs_decisions_free(d);
    return st;
}
