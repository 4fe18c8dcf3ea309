/*
 * dump_write.c - the output file of a compress run (docs/FORMATS.md "Output
 * file"): the keep mask, the kept rows of every per-token tensor in the
 * input's own dtype and rank, and the per-window numbers.
 *
 * The output is built from the dump's original tensor bytes rather than the
 * int64 copies, so an I32 input_ids stays I32 and a [1, L] stays [1, K]; the
 * writer makes the file appear atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omnizip/shim.h>

#include "dump_impl.h"

/* Copies the kept elements (of esz bytes) of src to dst; returns how many. */
static int64_t gather(const void *src, size_t esz, const uint8_t *keep, int64_t n, void *dst)
{
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (keep[i])
            memcpy((char *)dst + (size_t)k++ * esz, (const char *)src + (size_t)i * esz, esz);
    return k;
}

static int64_t count_runs(const int64_t *ids, int64_t n, int64_t token)
{
    int64_t runs = 0;
    for (int64_t i = 0; i < n; i++)
        runs += ids[i] == token && (i == 0 || ids[i - 1] != token);
    return runs;
}

static void put_row(void *dst, enum ozs_st_dtype dt, const float *row, int64_t n)
{
    if (dt == OZ_ST_F32) {
        memcpy(dst, row, (size_t)n * sizeof *row);
        return;
    }
    uint16_t *h = dst;
    for (int64_t j = 0; j < n; j++)
        h[j] = dt == OZ_ST_F16 ? ozc_f32_to_f16(row[j]) : ozc_f32_to_bf16(row[j]);
}

/* Checks the anchors against the mask, then points rows[] at each kept row:
 * the input's own row, or its merged anchor converted into anchors[]. */
static omnizip_status compact_embeds(const struct omnizip_dump *dump, const struct ozs_dump_impl *d,
                                     const uint8_t *keep, const struct omnizip_run_report *r,
                                     const void **rows, void *anchors, char *err, size_t es)
{
    int64_t L = dump->seq.length, D = dump->seq.hidden;
    int64_t n_anchors = r->n_anchors;
    if (n_anchors < 0 || (n_anchors > 0 && (!r->anchor_positions || !r->anchor_rows)))
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, dump->path,
                             "report has %lld anchors but no anchor arrays", (long long)n_anchors);
    for (int64_t a = 0; a < n_anchors; a++) {
        int64_t p = r->anchor_positions[a];
        if (p < 0 || p >= L || !keep[p] || (a > 0 && p <= r->anchor_positions[a - 1]))
            return ozs_path_fail(err, es, OMNIZIP_E_INVALID, dump->path,
                                 "report's anchor %lld at position %lld is out of order, out of "
                                 "range or not kept",
                                 (long long)a, (long long)p);
    }
    size_t esz = ozs_st_dtype_size(d->embeds->dtype);
    size_t row_bytes = (size_t)D * esz;
    int64_t a = 0, k = 0;
    for (int64_t i = 0; i < L; i++) {
        if (!keep[i])
            continue;
        if (a < n_anchors && r->anchor_positions[a] == i) {
            char *row = (char *)anchors + (size_t)a * row_bytes;
            put_row(row, d->embeds->dtype, r->anchor_rows + a++ * D, D);
            rows[k++] = row;
        } else {
            rows[k++] = (const char *)d->embeds->data + (size_t)i * row_bytes;
        }
    }
    return OMNIZIP_OK;
}

/* Several videos: the report's windows run clip after clip, so retention
 * and rates are taken by the windows' own flags, in that order. */
static void clip_stats(const struct omnizip_run_report *r, int64_t *guided, int64_t *nv)
{
    *guided = *nv = 0;
    for (uint32_t i = 0; i < r->n_windows; i++) {
        *guided += r->windows[i].guided != 0;
        *nv += r->windows[i].video_in > 0;
    }
}

/* Per-window retention (guided windows) and rates (video runs), recounted
 * from input_ids so the shapes follow the sequence, not the report. A
 * pass-through report (no windows) kept everything: retention 1, rate 0. */
static omnizip_status window_stats(const struct omnizip_dump *dump,
                                   const struct omnizip_run_report *r, float **ret, int64_t *n_ret,
                                   double **rate, int64_t *n_rate, char *err, size_t es)
{
    const struct omnizip_sequence *s = &dump->seq;
    int64_t nv = count_runs(s->input_ids, s->length, s->video_token_id);
    int64_t na = count_runs(s->input_ids, s->length, s->audio_token_id);
    int64_t guided = nv < na ? nv : na;
    int64_t n_windows = nv > na ? nv : na;
    int64_t avail = r->windows ? (r->capacity < r->n_windows ? r->capacity : r->n_windows) : 0;
    int by_flags = s->video_grids && r->n_windows != 0;
    if (by_flags && avail < r->n_windows)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, dump->path,
                             "report holds %u of %u windows", (unsigned)avail, r->n_windows);
    if (by_flags)
        clip_stats(r, &guided, &nv);
    else if (r->n_windows != 0 && (r->n_windows != n_windows || avail < n_windows))
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, dump->path,
                             "report holds %u of %u windows but input_ids has %lld video runs "
                             "and %lld audio runs",
                             (unsigned)avail, r->n_windows, (long long)nv, (long long)na);
    *ret = malloc((size_t)(guided ? guided : 1) * sizeof **ret);
    *rate = malloc((size_t)(nv ? nv : 1) * sizeof **rate);
    if (!*ret || !*rate)
        return ozs_path_fail(err, es, OMNIZIP_E_NOMEM, dump->path, "out of memory");
    for (int64_t i = 0, g = 0, v = 0; by_flags && i < r->n_windows; i++) {
        if (r->windows[i].guided)
            (*ret)[g++] = (float)r->windows[i].s_a;
        if (r->windows[i].video_in > 0)
            (*rate)[v++] = r->windows[i].rate;
    }
    for (int64_t i = 0; !by_flags && i < guided; i++)
        (*ret)[i] = r->n_windows ? (float)r->windows[i].s_a : 1.0f;
    for (int64_t i = 0; !by_flags && i < nv; i++)
        (*rate)[i] = r->n_windows ? r->windows[i].rate : 0.0;
    *n_ret = guided;
    *n_rate = nv;
    return OMNIZIP_OK;
}

struct outbufs {
    uint8_t *keep;
    const void **rows; /* each kept embedding row, in the input or embeds */
    void *embeds;      /* the merged anchor rows in the input dtype */
    void *ids, *positions, *mask;
    float *retention;
    double *rate;
    void **extras; /* one compacted buffer per extra tensor */
    uint32_t n_extras;
};

static void free_bufs(struct outbufs *b)
{
    free(b->keep);
    free(b->rows);
    free(b->embeds);
    free(b->ids);
    free(b->positions);
    free(b->mask);
    free(b->retention);
    free(b->rate);
    for (uint32_t i = 0; b->extras && i < b->n_extras; i++)
        free(b->extras[i]);
    free(b->extras);
}

/* A rejected add is remembered by the writer and reported by save. */
static void add_all(ozs_st_writer *w, const struct omnizip_dump *dump,
                    const struct ozs_dump_impl *d, const struct outbufs *b, int64_t K,
                    int64_t n_ret, int64_t n_rate)
{
    int64_t L = dump->seq.length, D = dump->seq.hidden;
    int64_t e3[3] = {1, K, D}, ids2[2] = {1, K}, p3[3] = {3, 1, K}, p2[2] = {3, K};
    ozs_st_writer_add(w, "keep_mask", OZ_ST_BOOL, 1, &L, b->keep);
    ozs_st_writer_add_rows(w, "inputs_embeds", d->embeds->dtype, dump->embeds_rank3 ? 3 : 2,
                           dump->embeds_rank3 ? e3 : e3 + 1, (const void *const *)b->rows,
                           (size_t)dump->seq.hidden * ozs_st_dtype_size(d->embeds->dtype));
    ozs_st_writer_add(w, "input_ids", d->ids->dtype, dump->ids_rank2 ? 2 : 1,
                      dump->ids_rank2 ? ids2 : ids2 + 1, b->ids);
    if (d->positions)
        ozs_st_writer_add(w, "position_ids", d->positions->dtype, dump->positions_rank3 ? 3 : 2,
                          dump->positions_rank3 ? p3 : p2, b->positions);
    if (d->mask)
        ozs_st_writer_add(w, "attention_mask", d->mask->dtype, d->mask_rank2 ? 2 : 1,
                          d->mask_rank2 ? ids2 : ids2 + 1, b->mask);
    ozs_st_writer_add(w, "window_audio_retention", OZ_ST_F32, 1, &n_ret, b->retention);
    ozs_st_writer_add(w, "window_video_rate", OZ_ST_F64, 1, &n_rate, b->rate);
    const char *keys[] = {"audio_token_id", "video_token_id", "spatial_merge_size"};
    const int64_t vals[] = {dump->seq.audio_token_id, dump->seq.video_token_id,
                            dump->seq.merge_size};
    for (int i = 0; i < 3; i++) {
        char text[24];
        snprintf(text, sizeof text, "%lld", (long long)vals[i]);
        ozs_st_writer_meta(w, keys[i], text);
    }
}

omnizip_status omnizip_dump_write(const struct omnizip_dump *dump, const uint8_t *keep_mask,
                                  const struct omnizip_run_report *report, const char *out_path,
                                  char *err, size_t err_size)
{
    size_t es = err_size;
    if (!dump || !dump->impl || !keep_mask || !report || !out_path)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, out_path,
                             "dump, keep mask, report and output path are all required");
    const struct ozs_dump_impl *d = dump->impl;
    int64_t L = dump->seq.length, D = dump->seq.hidden;
    struct outbufs b;
    memset(&b, 0, sizeof b);
    int64_t K = 0, n_ret = 0, n_rate = 0;
    for (int64_t i = 0; i < L; i++)
        K += keep_mask[i] != 0;
    size_t k1 = (size_t)(K ? K : 1);
    b.keep = malloc((size_t)(L ? L : 1));
    size_t a1 = (size_t)(report->n_anchors > 0 ? report->n_anchors : 1);
    b.embeds = malloc(a1 * (size_t)D * ozs_st_dtype_size(d->embeds->dtype));
    b.rows = malloc(k1 * sizeof *b.rows);
    b.ids = malloc(k1 * ozs_st_dtype_size(d->ids->dtype));
    if (d->positions)
        b.positions = malloc(3 * k1 * ozs_st_dtype_size(d->positions->dtype));
    if (d->mask)
        b.mask = malloc(k1 * ozs_st_dtype_size(d->mask->dtype));
    omnizip_status st = OMNIZIP_OK;
    if (!b.keep || !b.embeds || !b.rows || !b.ids || (d->positions && !b.positions) ||
        (d->mask && !b.mask))
        st = ozs_path_fail(err, es, OMNIZIP_E_NOMEM, out_path, "out of memory");
    if (st == OMNIZIP_OK) {
        for (int64_t i = 0; i < L; i++)
            b.keep[i] = keep_mask[i] != 0;
        st = compact_embeds(dump, d, b.keep, report, b.rows, b.embeds, err, es);
    }
    if (st == OMNIZIP_OK)
        st = window_stats(dump, report, &b.retention, &n_ret, &b.rate, &n_rate, err, es);
    if (st == OMNIZIP_OK) {
        gather(d->ids->data, ozs_st_dtype_size(d->ids->dtype), b.keep, L, b.ids);
        if (d->mask)
            gather(d->mask->data, ozs_st_dtype_size(d->mask->dtype), b.keep, L, b.mask);
        if (d->positions) {
            size_t esz = ozs_st_dtype_size(d->positions->dtype);
            for (int r = 0; r < 3; r++)
                gather((const char *)d->positions->data + (size_t)r * (size_t)L * esz, esz, b.keep,
                       L, (char *)b.positions + (size_t)r * (size_t)K * esz);
        }
        ozs_st_writer *w = ozs_st_writer_new();
        if (!w)
            st = ozs_path_fail(err, es, OMNIZIP_E_NOMEM, out_path, "out of memory");
        else {
            add_all(w, dump, d, &b, K, n_ret, n_rate);
            b.n_extras = dump->seq.n_extras;
            if (b.n_extras && !(b.extras = calloc(b.n_extras, sizeof *b.extras)))
                st = OMNIZIP_E_NOMEM;
            if (st == OMNIZIP_OK)
                st = ozs_dump_add_extras(w, d, &dump->seq, b.keep, b.extras);
            if (st == OMNIZIP_OK)
                st = ozs_st_writer_save(w, out_path, err, es);
            else
                st = ozs_path_fail(err, es, st, out_path, "out of memory");
        }
        ozs_st_writer_free(w);
    }
    free_bufs(&b);
    return st;
}
