/*
 * adapter_apply.c - the sequence adapter's back half: hands the plugin the
 * clip's rows, runs every window, and applies the decisions to the host's
 * sequence (keep mask, merged anchors, in-place compaction).
 *
 * The plan's layout carries each run's first sequence row, so bind and the
 * windows read the host's interleaved embeddings in place: no copy of the
 * audio or video rows is made. Anchors are written only after the last
 * window, so no window reads a row another has already changed.
 */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "safetensors.h"

#define FAIL(status, ...) ozs_adapter_fail(err, err_size, status, __VA_ARGS__)

struct omnizip_matrix ozs_adapter_rows(const struct omnizip_sequence *seq, int64_t row0,
                                       int64_t rows)
{
    struct omnizip_matrix m = {NULL,        rows,
                               seq->hidden, seq->row_stride,
                               seq->dtype,  OMNIZIP_MEMORY_HOST};
    if (rows > 0)
        m.data = (char *)seq->embeds +
                 (size_t)row0 * (size_t)seq->row_stride * ozc_dtype_size(seq->dtype);
    return m;
}

static int64_t count_eq(const uint8_t *v, int64_t n, uint8_t a, uint8_t b)
{
    int64_t c = 0;
    for (int64_t j = 0; j < n; j++)
        c += v[j] == a || v[j] == b;
    return c;
}

/* The plan is a promise hosts size buffers by: hold window() to it. */
static omnizip_status check_window(const struct omnizip_window_info *planned, const uint8_t *state,
                                   const uint8_t *keep, char *err, size_t err_size)
{
    int64_t kept = count_eq(state, planned->audio_in, OMNIZIP_AUDIO_KEPT, OMNIZIP_AUDIO_ANCHOR);
    int64_t anchors = count_eq(state, planned->audio_in, OMNIZIP_AUDIO_ANCHOR,
                               OMNIZIP_AUDIO_ANCHOR);
    int64_t vkept = count_eq(keep, planned->video_in, 1, 1);
    if (kept == planned->audio_kept && anchors == planned->audio_anchors &&
        vkept == planned->video_kept)
        return OMNIZIP_OK;
    return FAIL(OMNIZIP_E_BACKEND,
                "window %u: plugin kept %lld audio (%lld anchors) and %lld video tokens, "
                "its plan said %lld (%lld) and %lld",
                planned->index, (long long)kept, (long long)anchors, (long long)vkept,
                (long long)planned->audio_kept, (long long)planned->audio_anchors,
                (long long)planned->video_kept);
}

static omnizip_status run_windows(const struct omnizip_plugin *p, omnizip_ctx *ctx,
                                  const struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                                  struct omnizip_window_info *infos, omnizip_window_fn on_window,
                                  void *user, struct ozs_decisions *d, char *err, size_t err_size)
{
    int64_t D = seq->hidden, a_off = 0, v_off = 0, k_off = 0;
    for (uint32_t i = 0; i < map->n_windows; i++) {
        int64_t na = i < map->n_audio_runs ? map->audio_run[i] : 0;
        int64_t nv = i < map->n_video_runs ? map->video_run[i] : 0;
        struct omnizip_window_info planned = infos[i];
        struct omnizip_window_in in = {
            .struct_size = sizeof in,
            .audio = ozs_adapter_rows(seq, na ? map->audio_start[i] : 0, na),
            .video = ozs_adapter_rows(seq, nv ? map->video_start[i] : 0, nv),
        };
        struct omnizip_window_out out = {
            .struct_size = sizeof out,
            .audio_state = d->audio_state + a_off,
            .audio_capacity = na,
            .video_keep = d->video_keep + v_off,
            .video_capacity = nv,
            .anchors = {d->anchors + k_off * D, planned.audio_anchors, D, D, OMNIZIP_DTYPE_F32,
                        OMNIZIP_MEMORY_HOST},
            .info = &infos[i],
        };
        omnizip_status st = p->window(ctx, i, &in, &out);
        if (st != OMNIZIP_OK)
            return FAIL(st, "window %u: %s", i, p->last_error(ctx));
        st = check_window(&planned, out.audio_state, out.video_keep, err, err_size);
        if (st != OMNIZIP_OK)
            return st;
        if (on_window)
            on_window(user, &infos[i]);
        a_off += na;
        v_off += nv;
        k_off += planned.audio_anchors;
    }
    return OMNIZIP_OK;
}

omnizip_status ozs_adapter_drive(const struct omnizip_plugin *p, omnizip_ctx *ctx,
                                 const struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                                 struct omnizip_window_info *infos, omnizip_window_fn on_window,
                                 void *user, struct omnizip_run_report *rep,
                                 struct ozs_decisions *d, char *err, size_t err_size)
{
    memset(d, 0, sizeof *d);
    for (uint32_t i = 0; i < map->n_windows; i++)
        d->n_anchors += infos[i].audio_anchors;
    int64_t D = seq->hidden;
    d->audio_state = malloc((size_t)map->n_audio + 1);
    d->video_keep = malloc((size_t)map->n_video + 1);
    d->anchors = malloc(((size_t)d->n_anchors * (size_t)D + 1) * sizeof(float));
    omnizip_status st = OMNIZIP_OK;
    if (!d->audio_state || !d->video_keep || !d->anchors) {
        st = FAIL(OMNIZIP_E_NOMEM, "outputs of %lld audio and %lld video tokens: out of memory",
                  (long long)map->n_audio, (long long)map->n_video);
        goto out;
    }
    /* The whole sequence as both matrices; the layout says where runs start. */
    struct omnizip_matrix all = ozs_adapter_rows(seq, 0, seq->length);
    double t0 = ozc_now_ms();
    st = p->bind(ctx, &all, &all, NULL);
    rep->ms_bind = ozc_now_ms() - t0;
    if (st != OMNIZIP_OK) {
        st = FAIL(st, "bind: %s", p->last_error(ctx));
        goto out;
    }
    /* A strategy may settle per-window counts only at bind (dycoke): the
     * plan's totals stand, the windows are asked again. */
    for (uint32_t i = 0; i < map->n_windows; i++)
        if ((infos[i].audio_kept < 0 || infos[i].video_kept < 0) &&
            (st = p->window_plan(ctx, i, &infos[i])) != OMNIZIP_OK) {
            st = FAIL(st, "window_plan %u: %s", i, p->last_error(ctx));
            goto out;
        }
    t0 = ozc_now_ms();
    st = run_windows(p, ctx, seq, map, infos, on_window, user, d, err, err_size);
    rep->ms_windows = ozc_now_ms() - t0;
    if (st != OMNIZIP_OK)
        goto out;
    rep->summary.struct_size = sizeof rep->summary;
    st = p->finish(ctx, &rep->summary);
    if (st != OMNIZIP_OK)
        st = FAIL(st, "finish: %s", p->last_error(ctx));
out:
    if (st != OMNIZIP_OK)
        ozs_decisions_free(d);
    return st;
}

void ozs_decisions_free(struct ozs_decisions *d)
{
    free(d->audio_state);
    free(d->video_keep);
    free(d->anchors);
    memset(d, 0, sizeof *d);
}

/* Writes one f32 row into an embeddings row of the sequence's dtype. */
static void put_row(const struct omnizip_sequence *seq, int64_t pos, const float *row)
{
    size_t off = (size_t)pos * (size_t)seq->row_stride;
    if (seq->dtype == OMNIZIP_DTYPE_F32) {
        memcpy((float *)seq->embeds + off, row, (size_t)seq->hidden * sizeof *row);
        return;
    }
    uint16_t *dst = (uint16_t *)seq->embeds + off;
    for (int64_t c = 0; c < seq->hidden; c++)
        dst[c] = seq->dtype == OMNIZIP_DTYPE_F16 ? ozc_f32_to_f16(row[c]) : ozc_f32_to_bf16(row[c]);
}

/* Moves the kept rows of every array to the front, in order; the new length. */
static int64_t compact(struct omnizip_sequence *seq, const uint8_t *mask)
{
    size_t es = ozc_dtype_size(seq->dtype);
    size_t row = (size_t)seq->hidden * es, stride = (size_t)seq->row_stride * es;
    char *embeds = seq->embeds;
    int64_t w = 0;
    for (int64_t j = 0; j < seq->length; j++) {
        if (!mask[j])
            continue;
        if (w != j) {
            memcpy(embeds + (size_t)w * stride, embeds + (size_t)j * stride, row);
            seq->input_ids[w] = seq->input_ids[j];
            for (int r = 0; seq->position_ids && r < 3; r++)
                seq->position_ids[r * seq->position_stride + w] =
                    seq->position_ids[r * seq->position_stride + j];
            if (seq->attention_mask)
                seq->attention_mask[w] = seq->attention_mask[j];
        }
        w++;
    }
    return w;
}

static int64_t next_position(const struct omnizip_sequence *seq)
{
    if (!seq->position_ids)
        return seq->length;
    int64_t max = -1;
    for (int r = 0; r < 3; r++)
        for (int64_t j = 0; j < seq->length; j++)
            if (seq->position_ids[r * seq->position_stride + j] > max)
                max = seq->position_ids[r * seq->position_stride + j];
    return max + 1;
}

omnizip_status ozs_adapter_apply(struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                                 struct ozs_decisions *d, struct omnizip_run_report *rep, char *err,
                                 size_t err_size)
{
    uint8_t *own = seq->keep_mask ? NULL : malloc((size_t)seq->length + 1);
    int64_t *apos = NULL;
    if (!seq->compact && d->n_anchors > 0)
        apos = malloc((size_t)d->n_anchors * sizeof *apos);
    omnizip_status st = OMNIZIP_OK;
    if ((!seq->keep_mask && !own) || (!seq->compact && d->n_anchors > 0 && !apos)) {
        st = FAIL(OMNIZIP_E_NOMEM, "keep mask of %lld tokens: out of memory",
                  (long long)seq->length);
        free(apos);
        goto out;
    }
    uint8_t *mask = seq->keep_mask ? seq->keep_mask : own;
    memset(mask, 1, (size_t)seq->length);
    for (int64_t j = 0; j < map->n_video; j++)
        mask[map->video_pos[j]] = d->video_keep[j] != 0;
    int64_t k = 0;
    for (int64_t j = 0; j < map->n_audio; j++) {
        uint8_t s = d->audio_state[j];
        mask[map->audio_pos[j]] = s == OMNIZIP_AUDIO_KEPT || s == OMNIZIP_AUDIO_ANCHOR;
        if (seq->audio_state)
            seq->audio_state[map->audio_pos[j]] = s;
        if (s != OMNIZIP_AUDIO_ANCHOR)
            continue;
        if (seq->compact)
            put_row(seq, map->audio_pos[j], d->anchors + k * seq->hidden);
        else
            apos[k] = map->audio_pos[j];
        k++;
    }
    seq->next_position = next_position(seq);
    if (seq->compact) {
        ozs_extras_compact(seq, mask);
        seq->length = compact(seq, mask);
    } else {
        rep->n_anchors = d->n_anchors;
        rep->anchor_positions = apos;
        rep->anchor_rows = apos ? d->anchors : NULL;
        if (apos)
            d->anchors = NULL;
    }
out:
    free(own);
    free(d->audio_state);
    free(d->video_keep);
    free(d->anchors);
    memset(d, 0, sizeof *d);
    return st;
}
