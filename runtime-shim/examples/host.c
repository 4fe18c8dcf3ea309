/*
 * host.c - a runtime's integration of omnizip through the plugin ABI, as a
 * template to copy. compress_sequence() is the part a runtime writes: it
 * holds the LLM input as a transformers-style forward does just before
 * prefill (inputs_embeds with the encoders' rows already scattered into
 * their placeholders, input_ids, M-RoPE position_ids [3, L], attention_mask)
 * and calls plan, bind, window per window and finish on it; then it edits
 * its own buffers: merged anchors into the LLM input (never into the
 * encoders' outputs), compaction of all four arrays, and the decode position
 * and rope delta that the next step needs.
 *
 * main() is the harness: it reads an input dump (docs/FORMATS.md) with the
 * shim's dump API and lets the shim find and negotiate the plugin.
 *
 * Build: cc host.c $(pkg-config --cflags --libs omnizip) -o host
 * Run:   ./host IN.safetensors [PROFILE.yaml]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omnizip/omnizip.h>
#include <omnizip/shim.h>

#include "summary.h"

/* The plugin's path when the build system knows it (CMake's omnizip_PLUGIN,
 * for a host linking the shim statically: there is no shim library whose
 * location leads to the plugin). NULL: the shim searches. */
#ifndef OMNIZIP_PLUGIN_PATH
#define OMNIZIP_PLUGIN_PATH NULL
#endif

/* The LLM input of one request, owned by the runtime. */
struct request {
    int64_t length, hidden;
    float *embeds;      /* length x hidden */
    int64_t *ids;       /* length */
    int64_t *positions; /* 3 x stride (temporal, height, width) */
    int64_t stride;     /* the original length: rows stay put */
    int64_t *mask;      /* length */
    int64_t audio_id, video_id;
    int64_t grid_t, tokens_per_frame;
    const float *scores; /* one per audio token, sequence order */
    int64_t n_scores;
    int64_t next_position; /* out: the first decode step's position */
};

/* Maximal runs of consecutive `id` tokens: their starts and lengths. */
static uint32_t find_runs(const struct request *r, int64_t id, int64_t *start, int64_t *len)
{
    uint32_t n = 0;
    for (int64_t j = 0; j < r->length; j++) {
        if (r->ids[j] != id)
            continue;
        if (n > 0 && start[n - 1] + len[n - 1] == j) {
            len[n - 1]++;
        } else {
            start[n] = j;
            len[n++] = 1;
        }
    }
    return n;
}

static struct omnizip_matrix rows(float *base, int64_t first, int64_t n, int64_t hidden)
{
    struct omnizip_matrix m = {n ? base + first * hidden : NULL,
                               n,
                               hidden,
                               hidden,
                               OMNIZIP_DTYPE_F32,
                               OMNIZIP_MEMORY_HOST};
    return m;
}

/* What the windows decided, in sequence terms, until the edits. */
struct decisions {
    uint8_t *keep;      /* per token; text and special tokens stay 1 */
    int64_t *anchor_of; /* per token: its row in anchors, or -1 */
    float *anchors;     /* the merged anchor rows, plan.audio_anchors x hidden */
    int64_t n_anchors;
};

/* Decides window i: its video keep bytes and audio states into d, its merged
 * anchor rows straight into d->anchors (a buffer of the runtime's own). */
static omnizip_status run_window(const struct omnizip_plugin *p, omnizip_ctx *ctx, uint32_t i,
                                 const struct request *r, int64_t v0, int64_t vn, int64_t a0,
                                 int64_t an, struct decisions *d)
{
    struct omnizip_window_info plan = {.struct_size = sizeof plan};
    omnizip_status st = p->window_plan(ctx, i, &plan);
    if (st != OMNIZIP_OK)
        return st;
    uint8_t *state = malloc((size_t)an + 1), *vkeep = malloc((size_t)vn + 1);
    struct omnizip_window_in in = {.struct_size = sizeof in,
                                   .audio = rows(r->embeds, a0, an, r->hidden),
                                   .video = rows(r->embeds, v0, vn, r->hidden)};
    struct omnizip_window_out out = {.struct_size = sizeof out,
                                     .audio_state = state,
                                     .audio_capacity = an,
                                     .video_keep = vkeep,
                                     .video_capacity = vn,
                                     .anchors = rows(d->anchors, d->n_anchors, plan.audio_anchors,
                                                     r->hidden)};
    st = state && vkeep ? p->window(ctx, i, &in, &out) : OMNIZIP_E_NOMEM;
    for (int64_t j = 0; st == OMNIZIP_OK && j < vn; j++)
        d->keep[v0 + j] = vkeep[j];
    for (int64_t j = 0; st == OMNIZIP_OK && j < an; j++) {
        d->keep[a0 + j] = state[j] == OMNIZIP_AUDIO_KEPT || state[j] == OMNIZIP_AUDIO_ANCHOR;
        if (state[j] == OMNIZIP_AUDIO_ANCHOR)
            d->anchor_of[a0 + j] = d->n_anchors++;
    }
    free(state);
    free(vkeep);
    return st;
}

/* Moves kept rows to the front, in order; kept tokens keep their positions
 * and anchors take their merged rows. */
static void compact(struct request *r, const struct decisions *d)
{
    int64_t n = 0, max_pos = -1;
    for (int64_t j = 0; j < r->length; j++) {
        if (!d->keep[j])
            continue;
        const float *row = d->anchor_of[j] >= 0 ? d->anchors + d->anchor_of[j] * r->hidden
                                                : r->embeds + j * r->hidden;
        memmove(r->embeds + n * r->hidden, row, (size_t)r->hidden * sizeof(float));
        r->ids[n] = r->ids[j];
        r->mask[n] = r->mask[j];
        for (int k = 0; k < 3; k++) {
            int64_t pos = r->positions[k * r->stride + j];
            r->positions[k * r->stride + n] = pos;
            max_pos = pos > max_pos ? pos : max_pos;
        }
        n++;
    }
    /* M-RoPE: decoding continues after the largest kept position (the text
     * tail carries it). The cache now holds n tokens, so the rope delta a
     * transformers-style model adds to its cache position is next - n. */
    r->next_position = max_pos + 1;
    r->length = n;
}

/* The integration itself: plan, bind, every window, finish, then the edits. */
static omnizip_status compress_sequence(const struct omnizip_plugin *p,
                                        const struct omnizip_config *cfg, struct request *r,
                                        char *err, size_t err_size)
{
    size_t L = (size_t)r->length + 1;
    int64_t *vs = malloc(L * sizeof *vs), *vl = malloc(L * sizeof *vl);
    int64_t *as = malloc(L * sizeof *as), *al = malloc(L * sizeof *al);
    struct decisions d = {malloc(L), malloc(L * sizeof(int64_t)), NULL, 0};
    omnizip_ctx *ctx = NULL;
    omnizip_status st = OMNIZIP_E_NOMEM;
    if (!vs || !vl || !as || !al || !d.keep || !d.anchor_of)
        goto out;
    memset(d.keep, 1, L);
    for (size_t j = 0; j < L; j++)
        d.anchor_of[j] = -1;
    uint32_t nv = find_runs(r, r->video_id, vs, vl), na = find_runs(r, r->audio_id, as, al);
    /* Interleaved layout: the run starts say where each run lies in the
     * sequence, so bind reads the LLM input as it is, with no gather. */
    struct omnizip_layout layout = {.struct_size = sizeof layout,
                                    .n_video_runs = nv,
                                    .n_audio_runs = na,
                                    .video_run_len = vl,
                                    .audio_run_len = al,
                                    .tokens_per_frame = r->tokens_per_frame,
                                    .grid_t = r->grid_t,
                                    .video_run_start = vs,
                                    .audio_run_start = as};
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    struct omnizip_matrix all = rows(r->embeds, 0, r->length, r->hidden);
    if ((st = p->create(cfg, NULL, &ctx, err, err_size)) != OMNIZIP_OK)
        goto out;
    if ((st = p->plan(ctx, &layout, r->scores, r->n_scores, &plan)) != OMNIZIP_OK ||
        (st = p->bind(ctx, &all, &all, NULL)) != OMNIZIP_OK)
        goto fail;
    /* The exact counts are known here, before any window runs: a runtime
     * that sizes its KV cache or placeholders does it now. */
    d.anchors = malloc(((size_t)plan.audio_anchors + 1) * (size_t)r->hidden * sizeof(float));
    st = d.anchors ? OMNIZIP_OK : OMNIZIP_E_NOMEM;
    for (uint32_t i = 0; st == OMNIZIP_OK && i < plan.n_windows; i++)
        st = run_window(p, ctx, i, r, i < nv ? vs[i] : 0, i < nv ? vl[i] : 0, i < na ? as[i] : 0,
                        i < na ? al[i] : 0, &d);
    struct omnizip_summary sum = {.struct_size = sizeof sum};
    if (st != OMNIZIP_OK || (st = p->finish(ctx, &sum)) != OMNIZIP_OK)
        goto fail;
    printf("windows %u audio %lld->%lld video %lld->%lld\n", plan.n_windows,
           (long long)sum.audio_in, (long long)sum.audio_kept, (long long)sum.video_in,
           (long long)sum.video_kept);
    compact(r, &d);
    goto out;
fail:
    snprintf(err, err_size, "%s", st == OMNIZIP_E_NOMEM ? "out of memory" : p->last_error(ctx));
out:
    p->destroy(ctx);
    free(vs);
    free(vl);
    free(as);
    free(al);
    free(d.keep);
    free(d.anchor_of);
    free(d.anchors);
    return st;
}

static void log_cb(void *user, omnizip_log_level level, const char *msg)
{
    (void)user;
    if (level <= OMNIZIP_LOG_WARN)
        fprintf(stderr, "host: omnizip: %s\n", msg);
}

/* The runtime's own copies of the dump's arrays (it would have them already). */
static int request_from_dump(const struct omnizip_dump *d, struct request *r)
{
    const struct omnizip_sequence *s = &d->seq;
    size_t L = (size_t)s->length;
    if (s->dtype != OMNIZIP_DTYPE_F32)
        return -1; /* this template keeps F32 embeddings */
    *r = (struct request){.length = s->length,
                          .hidden = s->hidden,
                          .stride = s->length,
                          .audio_id = s->audio_token_id,
                          .video_id = s->video_token_id,
                          .grid_t = s->grid_t,
                          .scores = s->audio_scores,
                          .n_scores = s->n_audio_scores};
    r->tokens_per_frame = (s->grid_h / s->merge_size) * (s->grid_w / s->merge_size);
    r->embeds = malloc(L * (size_t)s->hidden * sizeof(float) + 1);
    r->ids = malloc(L * sizeof(int64_t) + 1);
    r->positions = malloc(3 * L * sizeof(int64_t) + 1);
    r->mask = malloc(L * sizeof(int64_t) + 1);
    if (!r->embeds || !r->ids || !r->positions || !r->mask)
        return -1;
    for (size_t j = 0; j < L; j++) {
        memcpy(r->embeds + j * (size_t)s->hidden,
               (const float *)s->embeds + j * (size_t)s->row_stride,
               (size_t)s->hidden * sizeof(float));
        r->ids[j] = s->input_ids[j];
        r->mask[j] = s->attention_mask ? s->attention_mask[j] : 1;
        for (size_t k = 0; k < 3; k++)
            r->positions[k * L + j] = s->position_ids
                                          ? s->position_ids[k * (size_t)s->position_stride + j]
                                          : (int64_t)j;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: host IN.safetensors [PROFILE.yaml]\n");
        return 2;
    }
    char err[1024] = "";
    struct omnizip_dump dump;
    if (omnizip_dump_load(argv[1], &dump, err, sizeof err) != OMNIZIP_OK) {
        fprintf(stderr, "host: %s\n", err);
        return 3;
    }
    struct omnizip_host services = {.struct_size = sizeof services, .log = log_cb};
    omnizip_shim *shim = NULL;
    const char *plugin = getenv("OMNIZIP_PLUGIN") ? getenv("OMNIZIP_PLUGIN") : OMNIZIP_PLUGIN_PATH;
    omnizip_shim_open(plugin, &services, &shim);
    const struct omnizip_plugin *p = omnizip_shim_plugin(shim);
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    struct request r = {0};
    int rc = 0;
    if (!p) { /* a runtime may serve uncompressed here; this host refuses */
        fprintf(stderr, "host: no plugin: %s\n", shim ? omnizip_shim_reason(shim) : "no memory");
        rc = 5;
    } else {
        p->config_default(&cfg);
        char *search = omnizip_profile_search_path();
        if (argc == 3 && p->profile_load(argv[2], search, &cfg, NULL, NULL, err, sizeof err)) {
            fprintf(stderr, "host: %s\n", err);
            rc = 4;
        }
        free(search);
    }
    if (rc == 0 && request_from_dump(&dump, &r) != 0) {
        fprintf(stderr, "host: %s: needs F32 embeddings (or out of memory)\n", argv[1]);
        rc = 3;
    }
    if (rc == 0 && compress_sequence(p, &cfg, &r, err, sizeof err) != OMNIZIP_OK) {
        fprintf(stderr, "host: %s\n", err);
        rc = 1;
    }
    if (rc == 0)
        ozs_example_summary(stdout, r.length, r.hidden, r.embeds, r.ids,
                            dump.has_position_ids ? r.positions : NULL, r.stride,
                            dump.has_attention_mask ? r.mask : NULL, r.next_position);
    free(r.embeds);
    free(r.ids);
    free(r.positions);
    free(r.mask);
    omnizip_shim_close(shim);
    omnizip_dump_free(&dump);
    return rc;
}
