/*
 * clips.c - one LLM input sequence split into clips, each with the runs of
 * docs/ALGORITHM.md stage 0 (the rule is stated at struct omnizip_clip in
 * omnizip.h). Pure: the host's ids in, the caller's arrays out. It lives in
 * the plugin so that every host (the shim, the Python package, a runtime)
 * splits sequences the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* Which clip each token belongs to (-1: text and special tokens), and each
 * clip's grid (-1: the audio-only clip). */
struct assign {
    int32_t *clip;     /* length entries */
    int32_t *video_of; /* n_videos + 1 entries */
    uint32_t n_clips;
};

static int64_t tpf_of(const int64_t *g, int64_t s)
{
    return (g[1] / s) * (g[2] / s);
}

static omnizip_status check_grids(const struct omnizip_clips_in *in, char *err, size_t es)
{
    for (uint32_t v = 0; v < in->n_videos; v++) {
        const int64_t *g = in->grid_thw + 3 * (size_t)v;
        if (g[0] < 0 || g[1] < 0 || g[2] < 0) {
            ozc_err(err, es, "clips: video %u grid [%lld, %lld, %lld] has a negative size", v,
                    (long long)g[0], (long long)g[1], (long long)g[2]);
            return OMNIZIP_E_INVALID;
        }
        int64_t tpf = tpf_of(g, in->merge_size), n;
        if (g[1] / in->merge_size > INT32_MAX || g[2] / in->merge_size > INT32_MAX ||
            __builtin_mul_overflow(g[0], tpf, &n)) {
            ozc_err(err, es, "clips: video %u grid [%lld, %lld, %lld] is too large", v,
                    (long long)g[0], (long long)g[1], (long long)g[2]);
            return OMNIZIP_E_INVALID;
        }
    }
    return OMNIZIP_OK;
}

/* Video tokens to grids in order; marks each video token with its video and
 * records each video's first and last position (-1 when it has none). */
static omnizip_status videos(const struct omnizip_clips_in *in, int32_t *owner, int64_t *first,
                             int64_t *last, char *err, size_t es)
{
    uint32_t v = 0;
    int64_t taken = 0, n_video = 0;
    for (uint32_t i = 0; i < in->n_videos; i++)
        first[i] = last[i] = -1;
    for (int64_t j = 0; j < in->length; j++) {
        owner[j] = -1;
        if (in->input_ids[j] != in->video_token_id)
            continue;
        n_video++;
        if (in->n_videos == 0)
            continue;
        /* The last video takes every remaining token (a partial frame). */
        while (v + 1 < in->n_videos &&
               taken == in->grid_thw[3 * (size_t)v] *
                            tpf_of(in->grid_thw + 3 * (size_t)v, in->merge_size)) {
            v++;
            taken = 0;
        }
        owner[j] = (int32_t)v;
        taken++;
        if (first[v] < 0)
            first[v] = j;
        last[v] = j;
    }
    if (n_video > 0 && in->n_videos == 0) {
        ozc_err(err, es, "clips: %lld video tokens but no video grid", (long long)n_video);
        return OMNIZIP_E_INVALID;
    }
    for (uint32_t i = 0; i < in->n_videos; i++) {
        const int64_t *g = in->grid_thw + 3 * (size_t)i;
        int64_t want = g[0] * tpf_of(g, in->merge_size);
        int64_t got = 0;
        for (int64_t j = 0; j < in->length; j++)
            got += owner[j] == (int32_t)i;
        if (got > 0 && want == 0) {
            ozc_err(err, es,
                    "clips: video %u has %lld tokens but grid [%lld, %lld, %lld] "
                    "with merge size %lld holds no whole frame",
                    i, (long long)got, (long long)g[0], (long long)g[1], (long long)g[2],
                    (long long)in->merge_size);
            return OMNIZIP_E_INVALID;
        }
        if (i + 1 < in->n_videos && got < want && n_video > 0) {
            ozc_err(err, es,
                    "clips: %lld video tokens, fewer than the grids before the last "
                    "video need (video %u: %lld of %lld)",
                    (long long)n_video, i, (long long)got, (long long)want);
            return OMNIZIP_E_INVALID;
        }
    }
    return OMNIZIP_OK;
}

/* Clip of every audio token in a sequence of several videos: inside video
 * v's span (or in the audio run right after its last token), clip v's; else
 * the audio-only clip, created on first use. */
static void assign_audio(const struct omnizip_clips_in *in, struct assign *a, const int64_t *first,
                         const int64_t *last, const int32_t *video_clip)
{
    int32_t run_owner = -1, audio_only = -1;
    uint32_t v = 0;
    for (int64_t j = 0; j < in->length; j++) {
        if (in->input_ids[j] != in->audio_token_id)
            continue;
        /* An audio run that starts right after a video token extends that
         * video's span: it pairs with the video's last run. */
        if (j == 0 || in->input_ids[j - 1] != in->audio_token_id)
            run_owner = j > 0 && in->input_ids[j - 1] == in->video_token_id ? a->clip[j - 1] : -1;
        while (v < in->n_videos && (first[v] < 0 || last[v] < j))
            v++;
        if (v < in->n_videos && first[v] < j) {
            a->clip[j] = video_clip[v];
        } else if (run_owner >= 0) {
            a->clip[j] = run_owner;
        } else {
            if (audio_only < 0) {
                audio_only = (int32_t)a->n_clips++;
                a->video_of[audio_only] = -1;
            }
            a->clip[j] = audio_only;
        }
    }
}

static omnizip_status assign(const struct omnizip_clips_in *in, struct assign *a, char *err,
                             size_t es)
{
    uint32_t nv = in->n_videos;
    int64_t *first = malloc((nv + 1) * sizeof *first), *last = malloc((nv + 1) * sizeof *last);
    int32_t *video_clip = malloc((nv + 1) * sizeof *video_clip);
    omnizip_status st = OMNIZIP_E_NOMEM;
    if (first && last && video_clip)
        st = videos(in, a->clip, first, last, err, es);
    if (st != OMNIZIP_OK)
        goto out;
    /* One video or none: the whole sequence is one clip, every audio token
     * in it (the published method's behaviour). */
    a->n_clips = 0;
    for (uint32_t v = 0; v < nv; v++) {
        video_clip[v] = first[v] >= 0 || nv == 1 ? (int32_t)a->n_clips : -1;
        if (video_clip[v] >= 0)
            a->video_of[a->n_clips++] = (int32_t)v;
    }
    for (int64_t j = 0; j < in->length; j++)
        if (a->clip[j] >= 0)
            a->clip[j] = video_clip[a->clip[j]];
    if (nv >= 2) {
        assign_audio(in, a, first, last, video_clip);
    } else {
        for (int64_t j = 0; j < in->length; j++) {
            if (in->input_ids[j] != in->audio_token_id)
                continue;
            if (a->n_clips == 0)
                a->video_of[a->n_clips++] = -1;
            a->clip[j] = 0;
        }
    }
out:
    free(first);
    free(last);
    free(video_clip);
    if (st == OMNIZIP_E_NOMEM)
        ozc_err(err, es, "clips: out of memory for %lld tokens", (long long)in->length);
    return st;
}

/* Maximal runs of consecutive positions of clip c's tokens with id `id`. */
static uint32_t runs(const struct omnizip_clips_in *in, const int32_t *clip, int32_t c, int64_t id,
                     int64_t *start, int64_t *len, int64_t *count)
{
    uint32_t k = 0;
    *count = 0;
    for (int64_t j = 0; j < in->length; j++) {
        if (clip[j] != c || in->input_ids[j] != id)
            continue;
        (*count)++;
        if (k > 0 && start[k - 1] + len[k - 1] == j) {
            len[k - 1]++;
        } else {
            start[k] = j;
            len[k++] = 1;
        }
    }
    return k;
}

static omnizip_status check_in(const struct omnizip_clips_in *in,
                               const struct omnizip_clips_out *out, char *err, size_t es)
{
    if (!in || !out || in->length < 0 || (in->length > 0 && !in->input_ids) ||
        (in->n_videos > 0 && !in->grid_thw) || !out->clips || !out->run_start || !out->run_len) {
        ozc_err(err, es, "clips: a required pointer is NULL or the length is negative");
        return OMNIZIP_E_INVALID;
    }
    if (in->merge_size < 1 || in->audio_token_id == in->video_token_id) {
        ozc_err(err, es,
                "clips: merge size %lld below 1, or audio and video token ids equal "
                "(%lld)",
                (long long)in->merge_size, (long long)in->audio_token_id);
        return OMNIZIP_E_INVALID;
    }
    if (in->n_videos >= UINT32_MAX || in->length >= (int64_t)UINT32_MAX ||
        (uint64_t)in->length > SIZE_MAX / sizeof(int32_t)) {
        ozc_err(err, es, "clips: %u videos or %lld tokens are too many", in->n_videos,
                (long long)in->length);
        return OMNIZIP_E_INVALID;
    }
    return check_grids(in, err, es);
}

omnizip_status oz_clips_split(const struct omnizip_clips_in *in, struct omnizip_clips_out *out,
                              char *err, size_t es)
{
    omnizip_status st = check_in(in, out, err, es);
    if (st != OMNIZIP_OK)
        return st;
    struct assign a = {malloc((size_t)(in->length ? in->length : 1) * sizeof(int32_t)),
                       malloc(((size_t)in->n_videos + 1) * sizeof(int32_t)), 0};
    if (!a.clip || !a.video_of) {
        ozc_err(err, es, "clips: out of memory for %lld tokens", (long long)in->length);
        st = OMNIZIP_E_NOMEM;
        goto out;
    }
    if ((st = assign(in, &a, err, es)) != OMNIZIP_OK)
        goto out;
    if (a.n_clips > out->clip_capacity || (int64_t)out->run_capacity < in->length) {
        ozc_err(err, es, "clips: capacities %u clips and %u runs, need %u and %lld",
                out->clip_capacity, out->run_capacity, a.n_clips, (long long)in->length);
        st = OMNIZIP_E_INVALID;
        goto out;
    }
    uint32_t r = 0;
    for (uint32_t c = 0; c < a.n_clips; c++) {
        struct omnizip_clip *k = &out->clips[c];
        memset(k, 0, sizeof *k);
        k->video = a.video_of[c];
        if (k->video >= 0) {
            const int64_t *g = in->grid_thw + 3 * (size_t)k->video;
            k->tokens_per_frame = tpf_of(g, in->merge_size);
            k->grid_t = g[0];
        }
        k->first_run = r;
        k->n_video_runs = runs(in, a.clip, (int32_t)c, in->video_token_id, out->run_start + r,
                               out->run_len + r, &k->n_video);
        r += k->n_video_runs;
        k->n_audio_runs = runs(in, a.clip, (int32_t)c, in->audio_token_id, out->run_start + r,
                               out->run_len + r, &k->n_audio);
        r += k->n_audio_runs;
    }
    out->n_clips = a.n_clips;
    out->n_runs = r;
out:
    free(a.clip);
    free(a.video_of);
    return st;
}
