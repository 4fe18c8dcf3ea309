/*
 * adapter_clips.c - a sequence's clips, as the plugin's omnizip.clips/1
 * extension splits it (several videos; the rule is stated once, in
 * omnizip.h), turned into one seqmap per clip; and the clips' decisions
 * merged back into sequence order for adapter_apply.c.
 */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define FAIL(status, ...) ozs_adapter_fail(err, err_size, status, __VA_ARGS__)

void ozs_clipset_free(struct ozs_clipset *cs)
{
    for (uint32_t c = 0; cs->maps && c < cs->n; c++) {
        ozs_seqmap_free(&cs->maps[c]);
        free(cs->scores[c]);
    }
    free(cs->maps);
    free(cs->scores);
    memset(cs, 0, sizeof *cs);
}

/* Index of pos in the ascending list v[0..n) (it is there by construction). */
static int64_t rank_of(const int64_t *v, int64_t n, int64_t pos)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (v[mid] < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Runs [first, first + n) of the split as a list of positions, lengths and starts. */
static int take_runs(const int64_t *start, const int64_t *len, uint32_t first, uint32_t n,
                     int64_t **pos, int64_t *count, int64_t **run, int64_t **run_start)
{
    int64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += len[first + i];
    *pos = malloc((size_t)(total + 1) * sizeof **pos);
    *run = malloc((size_t)(n + 1) * sizeof **run);
    *run_start = malloc((size_t)(n + 1) * sizeof **run_start);
    if (!*pos || !*run || !*run_start)
        return -1;
    int64_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        (*run)[i] = len[first + i];
        (*run_start)[i] = start[first + i];
        for (int64_t j = 0; j < len[first + i]; j++)
            (*pos)[k++] = start[first + i] + j;
    }
    *count = total;
    return 0;
}

/* One clip's seqmap (positions, runs, grid) and its share of the scores. */
static int clip_map(const struct omnizip_clip *k, const int64_t *start, const int64_t *len,
                    const struct omnizip_sequence *seq, const struct ozs_seqmap *all,
                    struct ozs_seqmap *m, float **scores)
{
    memset(m, 0, sizeof *m);
    if (take_runs(start, len, k->first_run, k->n_video_runs, &m->video_pos, &m->n_video,
                  &m->video_run, &m->video_start) != 0 ||
        take_runs(start, len, k->first_run + k->n_video_runs, k->n_audio_runs, &m->audio_pos,
                  &m->n_audio, &m->audio_run, &m->audio_start) != 0)
        return -1;
    m->n_video_runs = k->n_video_runs;
    m->n_audio_runs = k->n_audio_runs;
    m->n_windows = k->n_video_runs > k->n_audio_runs ? k->n_video_runs : k->n_audio_runs;
    m->tpf = k->tokens_per_frame;
    m->grid_t = k->grid_t;
    *scores = NULL;
    if (!seq->audio_scores)
        return 0;
    if (!(*scores = malloc((size_t)(m->n_audio + 1) * sizeof **scores)))
        return -1;
    for (int64_t j = 0; j < m->n_audio; j++)
        (*scores)[j] = seq->audio_scores[rank_of(all->audio_pos, all->n_audio, m->audio_pos[j])];
    m->scores = *scores;
    return 0;
}

/* One grid and a plugin without the extension: the whole sequence is the
 * one clip, as the rule says anyway. */
static omnizip_status whole(const struct omnizip_sequence *seq, const struct ozs_seqmap *all,
                            struct ozs_clipset *cs, char *err, size_t err_size)
{
    cs->n = 1;
    cs->maps = calloc(1, sizeof *cs->maps);
    cs->scores = calloc(1, sizeof *cs->scores);
    if (!cs->maps || !cs->scores)
        return FAIL(OMNIZIP_E_NOMEM, "clips: out of memory");
    struct ozs_seqmap *m = &cs->maps[0];
    size_t nr = (size_t)all->n_audio_runs + 1, nv = (size_t)all->n_video_runs + 1;
    *m = *all;
    m->audio_pos = malloc(((size_t)all->n_audio + 1) * sizeof(int64_t));
    m->video_pos = malloc(((size_t)all->n_video + 1) * sizeof(int64_t));
    m->audio_run = malloc(nr * sizeof(int64_t));
    m->audio_start = malloc(nr * sizeof(int64_t));
    m->video_run = malloc(nv * sizeof(int64_t));
    m->video_start = malloc(nv * sizeof(int64_t));
    if (!m->audio_pos || !m->video_pos || !m->audio_run || !m->audio_start || !m->video_run ||
        !m->video_start)
        return FAIL(OMNIZIP_E_NOMEM, "clips: out of memory");
    memcpy(m->audio_pos, all->audio_pos, (size_t)all->n_audio * sizeof(int64_t));
    memcpy(m->video_pos, all->video_pos, (size_t)all->n_video * sizeof(int64_t));
    memcpy(m->audio_run, all->audio_run, (nr - 1) * sizeof(int64_t));
    memcpy(m->audio_start, all->audio_start, (nr - 1) * sizeof(int64_t));
    memcpy(m->video_run, all->video_run, (nv - 1) * sizeof(int64_t));
    memcpy(m->video_start, all->video_start, (nv - 1) * sizeof(int64_t));
    m->scores = seq->audio_scores;
    return OMNIZIP_OK;
}

omnizip_status ozs_clipset_build(const struct omnizip_plugin *p, const struct omnizip_sequence *seq,
                                 const struct ozs_seqmap *all, struct ozs_clipset *cs, char *err,
                                 size_t err_size)
{
    memset(cs, 0, sizeof *cs);
    const struct omnizip_clips_ext *x = p->get_extension(OMNIZIP_EXT_CLIPS);
    int64_t one[3] = {seq->grid_t, seq->grid_h, seq->grid_w};
    const int64_t *grids = seq->video_grids ? seq->video_grids : one;
    uint32_t n_videos = seq->video_grids ? seq->n_videos : 1;
    if (!x || x->struct_size < sizeof *x) {
        if (n_videos == 1)
            return whole(seq, all, cs, err, err_size);
        return FAIL(OMNIZIP_E_UNSUPPORTED, "sequence: %u videos need the plugin's %s", n_videos,
                    OMNIZIP_EXT_CLIPS);
    }
    size_t cap = (size_t)(seq->length > 0 ? seq->length : 1);
    struct omnizip_clip *clips = calloc((size_t)n_videos + 1, sizeof *clips);
    int64_t *start = malloc(cap * sizeof *start), *len = malloc(cap * sizeof *len);
    omnizip_status st = OMNIZIP_OK;
    if (!clips || !start || !len) {
        st = FAIL(OMNIZIP_E_NOMEM, "clips: out of memory");
        goto out;
    }
    struct omnizip_clips_in in = {sizeof in,           n_videos,
                                  seq->input_ids,      seq->length,
                                  seq->audio_token_id, seq->video_token_id,
                                  seq->merge_size,     grids};
    struct omnizip_clips_out o = {sizeof o,      0, 0, n_videos + 1, clips, start, len,
                                  (uint32_t)cap, 0};
    char why[512] = "";
    if ((st = x->split(&in, &o, why, sizeof why)) != OMNIZIP_OK) {
        st = FAIL(st, "sequence: %s", why);
        goto out;
    }
    cs->maps = calloc(o.n_clips + 1, sizeof *cs->maps);
    cs->scores = calloc(o.n_clips + 1, sizeof *cs->scores);
    if (!cs->maps || !cs->scores) {
        st = FAIL(OMNIZIP_E_NOMEM, "clips: out of memory");
        goto out;
    }
    for (uint32_t c = 0; c < o.n_clips; c++, cs->n++)
        if (clip_map(&clips[c], start, len, seq, all, &cs->maps[c], &cs->scores[c]) != 0) {
            st = FAIL(OMNIZIP_E_NOMEM, "clips: out of memory");
            cs->n++;
            goto out;
        }
out:
    free(clips);
    free(start);
    free(len);
    if (st != OMNIZIP_OK)
        ozs_clipset_free(cs);
    return st;
}

omnizip_status ozs_decisions_merge(const struct ozs_seqmap *all, const struct ozs_clipset *cs,
                                   const struct ozs_decisions *dc, int64_t hidden,
                                   struct ozs_decisions *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    for (uint32_t c = 0; c < cs->n; c++)
        out->n_anchors += dc[c].n_anchors;
    out->audio_state = malloc((size_t)all->n_audio + 1);
    out->video_keep = malloc((size_t)all->n_video + 1);
    out->anchors = malloc(((size_t)out->n_anchors * (size_t)hidden + 1) * sizeof(float));
    uint32_t *owner = malloc(((size_t)all->n_audio + 1) * sizeof *owner);
    int64_t *cursor = calloc(cs->n + 1, sizeof *cursor);
    if (!out->audio_state || !out->video_keep || !out->anchors || !owner || !cursor) {
        free(owner);
        free(cursor);
        ozs_decisions_free(out);
        return FAIL(OMNIZIP_E_NOMEM, "merging %u clips: out of memory", cs->n);
    }
    /* Tokens in no clip (none, by the rule) stay kept. */
    memset(out->audio_state, OMNIZIP_AUDIO_KEPT, (size_t)all->n_audio);
    memset(out->video_keep, 1, (size_t)all->n_video);
    for (uint32_t c = 0; c < cs->n; c++) {
        const struct ozs_seqmap *m = &cs->maps[c];
        for (int64_t j = 0; j < m->n_audio; j++) {
            int64_t g = rank_of(all->audio_pos, all->n_audio, m->audio_pos[j]);
            out->audio_state[g] = dc[c].audio_state[j];
            owner[g] = c;
        }
        for (int64_t j = 0; j < m->n_video; j++)
            out->video_keep[rank_of(all->video_pos, all->n_video, m->video_pos[j])] =
                dc[c].video_keep[j];
    }
    /* Anchors in sequence order, each from its clip's list (in clip order). */
    int64_t k = 0;
    size_t row = (size_t)hidden * sizeof(float);
    for (int64_t g = 0; g < all->n_audio; g++) {
        if (out->audio_state[g] != OMNIZIP_AUDIO_ANCHOR)
            continue;
        uint32_t c = owner[g];
        memcpy(out->anchors + (size_t)k++ * (size_t)hidden,
               dc[c].anchors + (size_t)cursor[c]++ * (size_t)hidden, row);
    }
    free(owner);
    free(cursor);
    return OMNIZIP_OK;
}

/* Window records renumbered across clips, for the caller's callback. */
void ozs_renumbered(void *user, const struct omnizip_window_info *info)
{
    const struct ozs_renumber *r = user;
    struct omnizip_window_info copy = *info;
    copy.index += r->offset;
    r->fn(r->user, &copy);
}

/* Adds one clip's report into the sequence's. */
void ozs_report_add(struct omnizip_run_report *to, const struct omnizip_run_report *from)
{
    struct omnizip_plan *a = &to->plan;
    const struct omnizip_plan *b = &from->plan;
    a->struct_size = sizeof *a;
    a->n_windows += b->n_windows;
    a->n_guided += b->n_guided;
    a->audio_in += b->audio_in;
    a->audio_kept += b->audio_kept;
    a->audio_anchors += b->audio_anchors;
    a->video_in += b->video_in;
    a->video_kept += b->video_kept;
    struct omnizip_summary *s = &to->summary;
    const struct omnizip_summary *t = &from->summary;
    s->struct_size = sizeof *s;
    s->n_windows += t->n_windows;
    s->audio_in += t->audio_in;
    s->audio_kept += t->audio_kept;
    s->video_in += t->video_in;
    s->video_kept += t->video_kept;
    s->micros_plan += t->micros_plan;
    s->micros_bind += t->micros_bind;
    s->micros_windows += t->micros_windows;
    to->n_windows += from->n_windows;
    to->ms_plan += from->ms_plan;
    to->ms_bind += from->ms_bind;
    to->ms_windows += from->ms_windows;
}
