/* The omnizip.clips/1 extension through the real .so: sequences written as
 * strings ('v' video, 'a' audio, '.' text) and the clips and runs expected
 * from the rule in omnizip.h, worked out by hand. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omnizip/omnizip.h>

#include "plugin_table.h"

enum { AUDIO = 7, VIDEO = 9, MAXL = 128 };

static const struct omnizip_clips_ext *ext(void)
{
    const struct omnizip_clips_ext *x = test_plugin_table()->get_extension(OMNIZIP_EXT_CLIPS);
    cr_assert_not_null(x, "omnizip.clips/1 not served");
    cr_assert_geq(x->struct_size, sizeof *x);
    return x;
}

struct result {
    omnizip_status st;
    struct omnizip_clip clips[8];
    int64_t start[MAXL], len[MAXL];
    struct omnizip_clips_out out;
    char err[256];
};

/* grids: n rows of T, H, W with merge size 1 (tpf = H * W). */
static void split(const char *seq, const int64_t *grids, uint32_t n, struct result *r)
{
    int64_t ids[MAXL];
    int64_t L = (int64_t)strlen(seq);
    for (int64_t j = 0; j < L; j++)
        ids[j] = seq[j] == 'v' ? VIDEO : seq[j] == 'a' ? AUDIO : 1;
    struct omnizip_clips_in in = {sizeof in, n, ids, L, AUDIO, VIDEO, 1, grids};
    memset(r, 0, sizeof *r);
    r->out = (struct omnizip_clips_out){sizeof r->out, 0,      0,    8, r->clips,
                                        r->start,      r->len, MAXL, 0};
    r->st = ext()->split(&in, &r->out, r->err, sizeof r->err);
}

/* Clip c's runs as "v0+2 a2+3 ...": kind, start, length. */
static const char *runs_of(const struct result *r, uint32_t c, char *buf, size_t n)
{
    const struct omnizip_clip *k = &r->clips[c];
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < k->n_video_runs + k->n_audio_runs; i++) {
        uint32_t x = k->first_run + i;
        used += (size_t)snprintf(buf + used, n - used, "%s%c%lld+%lld", i ? " " : "",
                                 i < k->n_video_runs ? 'v' : 'a', (long long)r->start[x],
                                 (long long)r->len[x]);
    }
    return buf;
}

Test(clips, one_video_is_one_clip_with_all_audio)
{
    /* Audio before the video and after a text token still belong to it. */
    int64_t g[3] = {2, 1, 2};
    struct result r;
    char b[256];
    split("aa.vvaa.vv.a", g, 1, &r);
    cr_assert_eq(r.st, OMNIZIP_OK, "%s", r.err);
    cr_assert_eq(r.out.n_clips, 1);
    cr_assert_eq(r.clips[0].video, 0);
    cr_assert_eq(r.clips[0].tokens_per_frame, 2);
    cr_assert_eq(r.clips[0].grid_t, 2);
    cr_assert_str_eq(runs_of(&r, 0, b, sizeof b), "v3+2 v8+2 a0+2 a5+2 a11+1");
}

Test(clips, two_videos_and_outside_audio)
{
    /* Video 0: 2 frames of 2; video 1: 1 frame of 3. Audio right after a
     * video's last token extends its span; audio after text, or before the
     * first video, goes to the audio-only clip (last). */
    int64_t g[6] = {2, 1, 2, 1, 1, 3};
    struct result r;
    char b[256];
    split("a.vvaavvaa.aa.vvva.a", g, 2, &r);
    cr_assert_eq(r.st, OMNIZIP_OK, "%s", r.err);
    cr_assert_eq(r.out.n_clips, 3);
    cr_assert_str_eq(runs_of(&r, 0, b, sizeof b), "v2+2 v6+2 a4+2 a8+2");
    cr_assert_str_eq(runs_of(&r, 1, b, sizeof b), "v14+3 a17+1");
    cr_assert_str_eq(runs_of(&r, 2, b, sizeof b), "a0+1 a11+2 a19+1");
    cr_assert_eq(r.clips[1].video, 1);
    cr_assert_eq(r.clips[1].tokens_per_frame, 3);
    cr_assert_eq(r.clips[2].video, -1);
    cr_assert_eq(r.clips[2].grid_t, 0);
    cr_assert_eq(r.clips[2].n_audio, 4);
    cr_assert_eq(r.clips[0].n_video, 4);
    cr_assert_eq(r.clips[0].n_audio, 4);
}

Test(clips, adjacent_videos_split_by_count)
{
    /* No separator: video 0 takes exactly T*tpf = 2 tokens; the last video
     * takes the rest (a partial trailing frame). Text inside a span does not
     * end it. */
    int64_t g[6] = {1, 1, 2, 1, 1, 2};
    struct result r;
    char b[256];
    split("vvvva.a.vv", g, 2, &r);
    cr_assert_eq(r.st, OMNIZIP_OK, "%s", r.err);
    cr_assert_eq(r.out.n_clips, 2);
    cr_assert_str_eq(runs_of(&r, 0, b, sizeof b), "v0+2");
    cr_assert_str_eq(runs_of(&r, 1, b, sizeof b), "v2+2 v8+2 a4+1 a6+1");
}

Test(clips, no_video_and_empty_videos)
{
    struct result r;
    char b[256];
    split(".aa.a", NULL, 0, &r);
    cr_assert_eq(r.st, OMNIZIP_OK, "%s", r.err);
    cr_assert_eq(r.out.n_clips, 1);
    cr_assert_eq(r.clips[0].video, -1);
    cr_assert_str_eq(runs_of(&r, 0, b, sizeof b), "a1+2 a4+1");
    int64_t g[6] = {0, 1, 2, 1, 1, 2};
    split("vvaa.a", g, 2, &r); /* video 0 holds no token: no clip */
    cr_assert_eq(r.st, OMNIZIP_OK, "%s", r.err);
    cr_assert_eq(r.out.n_clips, 2);
    cr_assert_eq(r.clips[0].video, 1);
    cr_assert_str_eq(runs_of(&r, 0, b, sizeof b), "v0+2 a2+2");
    cr_assert_str_eq(runs_of(&r, 1, b, sizeof b), "a5+1");
}

Test(clips, refusals)
{
    struct result r;
    int64_t g[6] = {2, 1, 2, 1, 1, 2};
    split("vv.vv", g, 2, &r); /* video 0 needs 4, the second gets none */
    cr_assert_eq(r.st, OMNIZIP_OK, "%s", r.err);
    split("vvv", g, 2, &r);
    cr_assert_eq(r.st, OMNIZIP_E_INVALID);
    cr_assert(strstr(r.err, "fewer"), "%s", r.err);
    split("vv", NULL, 0, &r);
    cr_assert_eq(r.st, OMNIZIP_E_INVALID);
    int64_t bad[3] = {1, 0, 2};
    split("vv", bad, 1, &r);
    cr_assert_eq(r.st, OMNIZIP_E_INVALID);
    cr_assert(strstr(r.err, "no whole frame"), "%s", r.err);
    int64_t neg[3] = {1, -1, 2};
    split("a", neg, 1, &r);
    cr_assert_eq(r.st, OMNIZIP_E_INVALID);
    /* Capacities too small: refused, nothing written. */
    int64_t ids[4] = {VIDEO, VIDEO, AUDIO, AUDIO}, g1[3] = {1, 1, 2};
    struct omnizip_clip clip = {.video = 42};
    int64_t s[1], l[1];
    struct omnizip_clips_in in = {sizeof in, 1, ids, 4, AUDIO, VIDEO, 1, g1};
    struct omnizip_clips_out out = {sizeof out, 0, 0, 1, &clip, s, l, 1, 0};
    char err[128];
    cr_assert_eq(ext()->split(&in, &out, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_eq(clip.video, 42);
    cr_assert_eq(out.n_clips, 0);
}
