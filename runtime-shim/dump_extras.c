/*
 * dump_extras.c - the parts of a dump beyond one sequence with one video:
 * video_grid_thw of several videos, and the extra per-token tensors
 * (per_token.NAME [L, ...], per_video_token.NAME [n_video, ...],
 * per_audio_token.NAME [n_audio, ...]) that come out of a compress run
 * compacted with the matching mask under the same names.
 */
#include <stdlib.h>
#include <string.h>

#include <omnizip/shim.h>

#include "adapter.h"
#include "dump_impl.h"

#define FAIL(...) ozs_path_fail(err, es, OMNIZIP_E_INVALID, d->path, __VA_ARGS__)

omnizip_status ozs_dump_grids(struct ozs_dump_impl *d, struct omnizip_sequence *s, int64_t n_video,
                              char *err, size_t es)
{
    int64_t n = d->grid->count / 3;
    if (n > UINT32_MAX - 1)
        return FAIL("video_grid_thw has %lld rows", (long long)n);
    d->grids64 = malloc((size_t)(n * 3 + 1) * sizeof *d->grids64);
    if (!d->grids64)
        return ozs_path_fail(err, es, OMNIZIP_E_NOMEM, d->path, "out of memory");
    for (int64_t i = 0; i < 3 * n; i++)
        d->grids64[i] = d->grid->dtype == OZ_ST_I64 ? ((const int64_t *)d->grid->data)[i]
                                                    : ((const int32_t *)d->grid->data)[i];
    for (int64_t v = 0; v < n; v++) {
        const int64_t *g = d->grids64 + 3 * v;
        int64_t tpf;
        char why[256];
        if (g[0] < 0 || g[1] < 0 || g[2] < 0)
            return FAIL("video_grid_thw row %lld [%lld, %lld, %lld] has a negative entry",
                        (long long)v, (long long)g[0], (long long)g[1], (long long)g[2]);
        /* Bounds only: the clips split matches the grids to the tokens. */
        if (ozs_grid_check(g[0], g[1], g[2], s->merge_size, 0, &tpf, why, sizeof why) != 0)
            return FAIL("video_grid_thw row %lld: %s", (long long)v, why);
        if (g[0] > 0 && tpf == 0)
            return FAIL("video_grid_thw row %lld: H=%lld, W=%lld with spatial_merge_size %lld "
                        "gives 0 tokens per frame",
                        (long long)v, (long long)g[1], (long long)g[2], (long long)s->merge_size);
    }
    if (n == 0 && n_video > 0)
        return FAIL("video_grid_thw has no row but input_ids holds %lld video tokens",
                    (long long)n_video);
    s->video_grids = d->grids64;
    s->n_videos = (uint32_t)n;
    return OMNIZIP_OK;
}

static const char *const groups[] = {"per_token.", "per_video_token.", "per_audio_token."};
static const int32_t kinds[] = {OMNIZIP_EXTRA_TOKEN, OMNIZIP_EXTRA_VIDEO, OMNIZIP_EXTRA_AUDIO};

static int group_of(const char *name)
{
    for (int g = 0; g < 3; g++)
        if (strncmp(name, groups[g], strlen(groups[g])) == 0 && name[strlen(groups[g])])
            return g;
    return -1;
}

omnizip_status ozs_dump_extras(struct ozs_dump_impl *d, struct omnizip_sequence *s, int64_t n_video,
                               int64_t n_audio, char *err, size_t es)
{
    size_t n = 0, total = ozs_st_count(d->st);
    for (size_t i = 0; i < total; i++)
        n += group_of(ozs_st_at(d->st, i)->name) >= 0;
    if (n == 0)
        return OMNIZIP_OK;
    d->extras = calloc(n, sizeof *d->extras);
    d->extra_tensors = calloc(n, sizeof *d->extra_tensors);
    if (!d->extras || !d->extra_tensors)
        return ozs_path_fail(err, es, OMNIZIP_E_NOMEM, d->path, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < total; i++) {
        const struct ozs_st_tensor *t = ozs_st_at(d->st, i);
        int g = group_of(t->name);
        if (g < 0)
            continue;
        int64_t want = ozs_extra_rows_expected(kinds[g], s->length, n_video, n_audio);
        if (t->rank < 1 || t->shape[0] != want)
            return FAIL("%s has %lld rows, expected %lld (one per %s)", t->name,
                        (long long)(t->rank ? t->shape[0] : 0), (long long)want,
                        g == 0   ? "token"
                        : g == 1 ? "video token"
                                 : "audio token");
        struct omnizip_extra *x = &d->extras[k];
        x->name = t->name;
        x->kind = kinds[g];
        /* The dump never compacts: data is read through it, never written. */
        x->data = (void *)t->data;
        x->rows = want;
        x->row_bytes = want ? (int64_t)(t->nbytes / (size_t)want) : 0;
        d->extra_tensors[k++] = t;
    }
    s->extras = d->extras;
    s->n_extras = (uint32_t)n;
    return OMNIZIP_OK;
}

omnizip_status ozs_dump_add_extras(ozs_st_writer *w, const struct ozs_dump_impl *d,
                                   const struct omnizip_sequence *s, const uint8_t *keep,
                                   void **bufs)
{
    for (uint32_t i = 0; i < s->n_extras; i++) {
        const struct omnizip_extra *x = &s->extras[i];
        const struct ozs_st_tensor *t = d->extra_tensors[i];
        bufs[i] = malloc((size_t)x->rows * (size_t)x->row_bytes + 1);
        if (!bufs[i])
            return OMNIZIP_E_NOMEM;
        int64_t id = x->kind == OMNIZIP_EXTRA_VIDEO ? s->video_token_id : s->audio_token_id;
        int64_t shape[OZ_ST_MAX_RANK];
        memcpy(shape, t->shape, sizeof shape);
        shape[0] = ozs_extra_gather(s->input_ids, s->length, id, x->kind, keep, x->data,
                                    (size_t)x->row_bytes, bufs[i]);
        ozs_st_writer_add(w, t->name, t->dtype, t->rank, shape, bufs[i]);
    }
    return OMNIZIP_OK;
}
