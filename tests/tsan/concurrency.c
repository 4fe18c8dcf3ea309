/* make tsan: the concurrency paths under ThreadSanitizer, without criterion
 * (its forking arena and TSan's memory layout do not mix). Two contexts, each
 * with its internal pool of 2 threads, run the same golden clips at once on
 * two threads and must agree with a sequential run, offline and in mode
 * streaming (windows pushed one by one); a data race fails the run through
 * TSan's own exit code. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include <omnizip/omnizip.h>

struct clip {
    ozs_st_file *f;
    int64_t l, d, aid, vid;
    int64_t vstart[64], vlen[64], astart[64], alen[64];
    uint32_t nv, na;
};

static int load(const char *name, struct clip *c)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "tests/data/%s.safetensors", name);
    if (ozs_st_open(path, &c->f, err, sizeof err) != OMNIZIP_OK)
        return fprintf(stderr, "%s\n", err), 1;
    const struct ozs_st_tensor *ids = ozs_st_find(c->f, "input_ids"),
                               *e = ozs_st_find(c->f, "inputs_embeds");
    c->l = ids->count;
    c->d = e->shape[e->rank - 1];
    c->aid = atoll(ozs_st_meta(c->f, "audio_token_id"));
    c->vid = atoll(ozs_st_meta(c->f, "video_token_id"));
    c->nv = c->na = 0;
    const int64_t *x = ids->data;
    for (int64_t p = 0; p < c->l; p++) {
        int64_t *st = x[p] == c->aid ? c->astart : x[p] == c->vid ? c->vstart : NULL;
        int64_t *ln = x[p] == c->aid ? c->alen : c->vlen;
        uint32_t *n = x[p] == c->aid ? &c->na : &c->nv;
        if (!st)
            continue;
        if (*n && st[*n - 1] + ln[*n - 1] == p)
            ln[*n - 1]++;
        else if (*n < 64)
            st[*n] = p, ln[(*n)++] = 1;
    }
    return 0;
}

/* Runs the clip; keep[l] gets the video keep mask and audio states. */
static int run(const struct clip *c, uint8_t *keep, int streaming)
{
    char err[256];
    const struct omnizip_plugin *p = omnizip_plugin_entry(1);
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    p->config_default(&cfg);
    p->config_set(&cfg, "threads", "2", err, sizeof err);
    const char *keys[] = {"rho_audio", "rho_video", "g",    "contextual_ratio",
                          "rho_min",   "rho_max",   "dpc_k"};
    for (int k = 0; k < 7; k++)
        p->config_set(&cfg, keys[k], ozs_st_meta(c->f, keys[k]), err, sizeof err);
    if (streaming)
        p->config_set(&cfg, "mode", "streaming", err, sizeof err);
    const struct omnizip_streaming_ext *x = p->get_extension(OMNIZIP_EXT_STREAMING);
    omnizip_ctx *ctx;
    if (p->create(&cfg, NULL, &ctx, err, sizeof err) != OMNIZIP_OK)
        return fprintf(stderr, "%s\n", err), 1;
    const struct ozs_st_tensor *g = ozs_st_find(c->f, "video_grid_thw"),
                               *sc = ozs_st_find(c->f, "audio_scores");
    const int64_t *grid = g->data;
    struct omnizip_layout lay =
        {sizeof lay, c->nv,     c->na,    0, c->vlen, c->alen, (grid[1] / 2) * (grid[2] / 2),
         grid[0],    c->vstart, c->astart};
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    float *e = (float *)ozs_st_find(c->f, "inputs_embeds")->data;
    struct omnizip_matrix whole = {e, c->l, c->d, c->d, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    int bad = streaming ? x->begin(ctx, lay.tokens_per_frame) != OMNIZIP_OK
                        : p->plan(ctx, &lay, sc->data, sc->count, &plan) ||
                              p->bind(ctx, &whole, &whole, NULL);
    uint32_t n_windows = streaming ? (c->nv > c->na ? c->nv : c->na) : plan.n_windows;
    int64_t score_off = 0;
    float *anchors = malloc((size_t)(sc->count + 1) * c->d * 4);
    memset(keep, 0, (size_t)c->l);
    for (uint32_t i = 0; !bad && i < n_windows; i++) {
        int64_t vl = i < c->nv ? c->vlen[i] : 0, al = i < c->na ? c->alen[i] : 0;
        int64_t vs = i < c->nv ? c->vstart[i] : 0, as = i < c->na ? c->astart[i] : 0;
        struct omnizip_window_in in = {.struct_size = sizeof in,
                                       .audio = {e + as * c->d, al, c->d, c->d, 0, 0},
                                       .video = {e + vs * c->d, vl, c->d, c->d, 0, 0}};
        struct omnizip_window_out out = {.struct_size = sizeof out,
                                         .audio_state = keep + as,
                                         .audio_capacity = al,
                                         .video_keep = keep + vs,
                                         .video_capacity = vl,
                                         .anchors = {anchors, sc->count + 1, c->d, c->d, 0, 0}};
        if (streaming) {
            struct omnizip_stream_in sin =
                {sizeof sin, 0, in.audio, in.video, (const float *)sc->data + score_off, NULL};
            bad = x->push(ctx, &sin, &out) != OMNIZIP_OK;
            score_off += al;
        } else {
            bad = p->window(ctx, i, &in, &out) != OMNIZIP_OK;
        }
    }
    if (bad)
        fprintf(stderr, "%s\n", p->last_error(ctx));
    free(anchors);
    p->destroy(ctx);
    return bad;
}

struct job {
    const struct clip *c;
    uint8_t *keep;
    int streaming;
    int rc;
};

static void *thread_main(void *arg)
{
    struct job *j = arg;
    for (int r = 0; r < 3 && !j->rc; r++)
        j->rc = run(j->c, j->keep, j->streaming);
    return NULL;
}

int main(void)
{
    const char *names[] = {"paper45", "three_frames", "unguided_tail_ragged"};
    int passed = 0, failed = 0;
    for (int n = 0; n < 6; n++) {
        struct clip c;
        int streaming = n >= 3;
        if (load(names[n % 3], &c)) {
            failed++;
            continue;
        }
        uint8_t *want = malloc((size_t)c.l), *a = malloc((size_t)c.l), *b = malloc((size_t)c.l);
        int rc = run(&c, want, streaming);
        struct job ja = {&c, a, streaming, 0}, jb = {&c, b, streaming, 0};
        pthread_t ta, tb;
        pthread_create(&ta, NULL, thread_main, &ja);
        pthread_create(&tb, NULL, thread_main, &jb);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        int ok = !rc && !ja.rc && !jb.rc && !memcmp(want, a, (size_t)c.l) &&
                 !memcmp(want, b, (size_t)c.l);
        printf("%s%s: %s\n", names[n % 3], streaming ? " (streaming)" : "",
               ok ? "same decisions on two concurrent contexts" : "MISMATCH");
        ok ? passed++ : failed++;
        free(want), free(a), free(b);
        ozs_st_close(c.f);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
