/*
 * dump.c - loading omnizip's input dumps (docs/FORMATS.md "Input dump").
 *
 * Everything a compress run could trip over later is checked here, once,
 * with a message naming the file and the tensor: a dump that loads is one
 * the sequence adapter can run. Embeddings stay where the reader put them
 * (mapped or aligned copy); ids, positions and mask become int64 arrays so
 * the adapter sees one integer type.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omnizip/shim.h>

#include "adapter.h"
#include "dump_impl.h"

#define FAIL(...) ozs_path_fail(err, es, OMNIZIP_E_INVALID, d->path, __VA_ARGS__)

static const char *shape_str(const struct ozs_st_tensor *t, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
    return buf;
}

static int dtype_in(enum ozs_st_dtype dt, const enum ozs_st_dtype *allowed, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (allowed[i] == dt)
            return 1;
    return 0;
}

/* Looks a tensor up and checks its dtype; NULL with err filled when wrong. */
static const struct ozs_st_tensor *get(struct ozs_dump_impl *d, const char *name, int required,
                                       const enum ozs_st_dtype *allowed, size_t n_allowed,
                                       omnizip_status *st, char *err, size_t es)
{
    const struct ozs_st_tensor *t = ozs_st_find(d->st, name);
    if (!t) {
        if (required)
            *st = FAIL("missing tensor '%s'", name);
        return NULL;
    }
    if (!dtype_in(t->dtype, allowed, n_allowed)) {
        char list[64] = "";
        for (size_t i = 0; i < n_allowed; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "/" : "",
                     ozs_st_dtype_name(allowed[i]));
        *st = FAIL("%s has dtype %s, expected %s", name, ozs_st_dtype_name(t->dtype), list);
        return NULL;
    }
    return t;
}

static omnizip_status to_i64(const struct ozs_st_tensor *t, int64_t **out)
{
    *out = malloc((size_t)(t->count ? t->count : 1) * sizeof **out);
    if (!*out)
        return OMNIZIP_E_NOMEM;
    for (int64_t i = 0; i < t->count; i++) {
        if (t->dtype == OZ_ST_I64)
            (*out)[i] = ((const int64_t *)t->data)[i];
        else if (t->dtype == OZ_ST_I32)
            (*out)[i] = ((const int32_t *)t->data)[i];
        else
            (*out)[i] = ((const uint8_t *)t->data)[i];
    }
    return OMNIZIP_OK;
}

static omnizip_status meta_int(struct ozs_dump_impl *d, const char *key, int required,
                               int64_t fallback, int64_t *out, char *err, size_t es)
{
    const char *v = ozs_st_meta(d->st, key);
    if (!v) {
        if (required)
            return FAIL("missing metadata '%s'", key);
        *out = fallback;
        return OMNIZIP_OK;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || errno == ERANGE)
        return FAIL("metadata '%s' is \"%s\", not an integer", key, v);
    *out = x;
    return OMNIZIP_OK;
}

/* Whether elements [b, end) hold a NaN or Inf: an all-ones exponent marks
 * both in each of the three formats (mask16: the 16-bit exponent mask, 0 for
 * F32). Branch-free ORs let the compiler vectorise the scan. */
static int any_nonfinite(const unsigned char *p, uint16_t mask16, int64_t b, int64_t end)
{
    uint32_t any = 0;
    if (mask16 == 0) {
        for (int64_t i = b; i < end; i++) {
            uint32_t v;
            memcpy(&v, p + 4 * i, 4);
            any |= (v & 0x7f800000u) == 0x7f800000u;
        }
    } else {
        for (int64_t i = b; i < end; i++) {
            uint16_t v;
            memcpy(&v, p + 2 * i, 2);
            any |= (v & mask16) == mask16;
        }
    }
    return any != 0;
}

/* Where the first NaN or Inf sits, or -1. */
static int64_t first_nonfinite(const struct ozs_st_tensor *t)
{
    uint16_t mask16 = t->dtype == OZ_ST_F32 ? 0 : t->dtype == OZ_ST_F16 ? 0x7c00u : 0x7f80u;
    enum { BLOCK = 4096 };
    for (int64_t b = 0; b < t->count; b += BLOCK) {
        int64_t end = t->count - b < BLOCK ? t->count : b + BLOCK;
        if (!any_nonfinite(t->data, mask16, b, end))
            continue;
        for (int64_t i = b; i < end; i++)
            if (any_nonfinite(t->data, mask16, i, i + 1))
                return i;
    }
    return -1;
}

static omnizip_status load_tensors(struct ozs_dump_impl *d, struct omnizip_dump *o, char *err,
                                   size_t es)
{
    static const enum ozs_st_dtype floats[] = {OZ_ST_F32, OZ_ST_F16, OZ_ST_BF16};
    static const enum ozs_st_dtype f32[] = {OZ_ST_F32};
    static const enum ozs_st_dtype ints[] = {OZ_ST_I64, OZ_ST_I32};
    static const enum ozs_st_dtype masks[] = {OZ_ST_I64, OZ_ST_I32, OZ_ST_BOOL};
    omnizip_status st = OMNIZIP_OK;
    char sh[96];
    d->embeds = get(d, "inputs_embeds", 1, floats, 3, &st, err, es);
    if (st == OMNIZIP_OK)
        d->ids = get(d, "input_ids", 1, ints, 2, &st, err, es);
    if (st == OMNIZIP_OK)
        d->scores = get(d, "audio_scores", 0, f32, 1, &st, err, es);
    if (st == OMNIZIP_OK)
        d->grid = get(d, "video_grid_thw", 1, ints, 2, &st, err, es);
    if (st == OMNIZIP_OK)
        d->positions = get(d, "position_ids", 0, ints, 2, &st, err, es);
    if (st == OMNIZIP_OK)
        d->mask = get(d, "attention_mask", 0, masks, 3, &st, err, es);
    if (st != OMNIZIP_OK)
        return st;

    const struct ozs_st_tensor *e = d->embeds;
    o->embeds_rank3 = e->rank == 3;
    if (!((e->rank == 2) || (e->rank == 3 && e->shape[0] == 1)) || e->shape[e->rank - 1] < 1)
        return FAIL("inputs_embeds has shape %s, expected [L, D] or [1, L, D] with D > 0",
                    shape_str(e, sh, sizeof sh));
    int64_t L = e->shape[e->rank - 2];
    int64_t D = e->shape[e->rank - 1];
    if (D > OMNIZIP_MAX_HIDDEN)
        return FAIL("inputs_embeds has %lld columns, more than the %d any model has", (long long)D,
                    OMNIZIP_MAX_HIDDEN);

    const struct ozs_st_tensor *t = d->ids;
    o->ids_rank2 = t->rank == 2;
    if (!(t->rank == 1 || (t->rank == 2 && t->shape[0] == 1)))
        return FAIL("input_ids has shape %s, expected [L] or [1, L]", shape_str(t, sh, sizeof sh));
    if (t->count != L)
        return FAIL("input_ids holds %lld tokens but inputs_embeds has %lld rows",
                    (long long)t->count, (long long)L);
    if (d->scores && d->scores->rank != 1)
        return FAIL("audio_scores has shape %s, expected [N_audio]",
                    shape_str(d->scores, sh, sizeof sh));
    t = d->grid;
    if (!((t->rank == 2 && t->shape[1] == 3) || (t->rank == 1 && t->shape[0] == 3)))
        return FAIL("video_grid_thw has shape %s, expected [n_videos, 3] or [3]",
                    shape_str(t, sh, sizeof sh));
    if ((t = d->positions)) {
        o->positions_rank3 = t->rank == 3;
        if (!((t->rank == 2 && t->shape[0] == 3 && t->shape[1] == L) ||
              (t->rank == 3 && t->shape[0] == 3 && t->shape[1] == 1 && t->shape[2] == L)))
            return FAIL("position_ids has shape %s, expected [3, %lld] or [3, 1, %lld]",
                        shape_str(t, sh, sizeof sh), (long long)L, (long long)L);
    }
    if ((t = d->mask)) {
        d->mask_rank2 = t->rank == 2;
        if (!((t->rank == 1 && t->shape[0] == L) ||
              (t->rank == 2 && t->shape[0] == 1 && t->shape[1] == L)))
            return FAIL("attention_mask has shape %s, expected [%lld] or [1, %lld]",
                        shape_str(t, sh, sizeof sh), (long long)L, (long long)L);
    }
    o->seq.length = L;
    o->seq.hidden = D;
    o->seq.row_stride = D;
    o->seq.dtype = e->dtype == OZ_ST_F32   ? OMNIZIP_DTYPE_F32
                   : e->dtype == OZ_ST_F16 ? OMNIZIP_DTYPE_F16
                                           : OMNIZIP_DTYPE_BF16;
    /* The ABI's sequence struct is writable for compaction; a loaded dump never compacts. */
    o->seq.embeds = (void *)e->data;
    /* Without audio_scores only a plan under normalize: exact can run. */
    o->seq.audio_scores = d->scores ? d->scores->data : NULL;
    o->seq.n_audio_scores = d->scores ? d->scores->count : 0;
    return OMNIZIP_OK;
}

static omnizip_status check_content(struct ozs_dump_impl *d, struct omnizip_dump *o, char *err,
                                    size_t es)
{
    struct omnizip_sequence *s = &o->seq;
    omnizip_status st = meta_int(d, "audio_token_id", 1, 0, &s->audio_token_id, err, es);
    if (st == OMNIZIP_OK)
        st = meta_int(d, "video_token_id", 1, 0, &s->video_token_id, err, es);
    if (st == OMNIZIP_OK)
        st = meta_int(d, "spatial_merge_size", 0, 2, &s->merge_size, err, es);
    if (st != OMNIZIP_OK)
        return st;
    if (s->audio_token_id == s->video_token_id)
        return FAIL("audio_token_id and video_token_id are both %lld",
                    (long long)s->audio_token_id);
    if (s->merge_size < 1)
        return FAIL("spatial_merge_size is %lld, must be at least 1", (long long)s->merge_size);

    int64_t n_audio = 0, n_video = 0;
    for (int64_t i = 0; i < s->length; i++) {
        n_audio += s->input_ids[i] == s->audio_token_id;
        n_video += s->input_ids[i] == s->video_token_id;
    }
    if (s->audio_scores && s->n_audio_scores != n_audio)
        return FAIL("audio_scores has %lld values but input_ids holds %lld audio tokens",
                    (long long)s->n_audio_scores, (long long)n_audio);

    if ((st = ozs_dump_extras(d, s, n_video, n_audio, err, es)) != OMNIZIP_OK)
        return st;
    if (d->grid->count != 3)
        return ozs_dump_grids(d, s, n_video, err, es);
    int64_t g[3];
    for (int i = 0; i < 3; i++)
        g[i] = d->grid->dtype == OZ_ST_I64 ? ((const int64_t *)d->grid->data)[i]
                                           : ((const int32_t *)d->grid->data)[i];
    s->grid_t = g[0];
    s->grid_h = g[1];
    s->grid_w = g[2];
    int64_t tpf;
    char why[256];
    if (ozs_grid_check(g[0], g[1], g[2], s->merge_size, n_video, &tpf, why, sizeof why) != 0)
        return FAIL("video_grid_thw: %s", why + (strncmp(why, "grid ", 5) == 0 ? 5 : 0));

    int64_t bad = first_nonfinite(d->embeds);
    if (bad >= 0)
        return FAIL("inputs_embeds row %lld column %lld is NaN or Inf",
                    (long long)(bad / s->hidden), (long long)(bad % s->hidden));
    for (int64_t i = 0; i < s->n_audio_scores; i++)
        if (!isfinite(s->audio_scores[i]))
            return FAIL("audio_scores[%lld] is NaN or Inf", (long long)i);
    return OMNIZIP_OK;
}

static void impl_free(struct ozs_dump_impl *d)
{
    if (!d)
        return;
    free(d->ids64);
    free(d->positions64);
    free(d->mask64);
    free(d->grids64);
    free(d->extras);
    free(d->extra_tensors);
    ozs_st_close(d->st);
    free(d->path);
    free(d);
}

omnizip_status omnizip_dump_load(const char *path, struct omnizip_dump *out, char *err,
                                 size_t err_size)
{
    size_t es = err_size;
    if (!path || !out)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, path, "no path or output given");
    struct ozs_dump_impl *d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return ozs_path_fail(err, es, OMNIZIP_E_NOMEM, path, "out of memory");
    }
    struct omnizip_dump o;
    memset(&o, 0, sizeof o);
    omnizip_status st = ozs_st_open(path, &d->st, err, es);
    if (st == OMNIZIP_OK)
        st = load_tensors(d, &o, err, es);
    if (st == OMNIZIP_OK &&
        (to_i64(d->ids, &d->ids64) != OMNIZIP_OK ||
         (d->positions && to_i64(d->positions, &d->positions64) != OMNIZIP_OK) ||
         (d->mask && to_i64(d->mask, &d->mask64) != OMNIZIP_OK)))
        st = ozs_path_fail(err, es, OMNIZIP_E_NOMEM, path, "out of memory");
    if (st == OMNIZIP_OK) {
        o.seq.input_ids = d->ids64;
        o.seq.position_ids = d->positions64;
        o.seq.position_stride = o.seq.length;
        o.seq.attention_mask = d->mask64;
        o.has_position_ids = d->positions != NULL;
        o.has_attention_mask = d->mask != NULL;
        st = check_content(d, &o, err, es);
    }
    if (st != OMNIZIP_OK) {
        impl_free(d);
        return st;
    }
    o.path = d->path;
    o.impl = d;
    *out = o;
    return OMNIZIP_OK;
}

const char *omnizip_dump_meta(const struct omnizip_dump *dump, const char *key)
{
    if (!dump || !dump->impl)
        return NULL;
    return ozs_st_meta(((const struct ozs_dump_impl *)dump->impl)->st, key);
}

void omnizip_dump_free(struct omnizip_dump *dump)
{
    if (!dump)
        return;
    impl_free(dump->impl);
    memset(dump, 0, sizeof *dump);
}
