/*
 * host.c - the raw omnizip ABI as a runtime sees it, with omnizip.h only:
 * dlopen, negotiate, plan (exact counts before any embedding), bind, one
 * window() per window, compact. Build: cc -Iinclude host.c -ldl
 * Run:   ./host build/libomnizip.so   (or OMNIZIP_PLUGIN=...)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omnizip/omnizip.h>

enum { WINDOWS = 3, TPF = 4, VRUN = 2 * TPF, ARUN = 12, D = 16, TEXT = 3 };
enum { L = TEXT + WINDOWS * (VRUN + ARUN) + 2, NA = WINDOWS * ARUN, NV = WINDOWS * VRUN };

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 65536.0f - 0.5f;
}

static int fail(const struct omnizip_plugin *p, omnizip_ctx *ctx, const char *what)
{
    fprintf(stderr, "host: %s: %s\n", what, ctx ? p->last_error(ctx) : "failed");
    if (ctx)
        p->destroy(ctx);
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : getenv("OMNIZIP_PLUGIN");
    if (!path) {
        fprintf(stderr, "usage: host PLUGIN.so (or set OMNIZIP_PLUGIN)\n");
        return 2;
    }
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        fprintf(stderr, "host: %s\n", dlerror());
        return 1;
    }
    omnizip_plugin_entry_fn entry;
    void *sym = dlsym(dl, OMNIZIP_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry);
    const struct omnizip_plugin *p = entry ? entry(OMNIZIP_ABI_VERSION) : NULL;
    if (!p || p->abi_version != OMNIZIP_ABI_VERSION) {
        fprintf(stderr, "host: %s does not serve ABI version %u\n", path, OMNIZIP_ABI_VERSION);
        return 1;
    }

    /* The sequence: TEXT tokens, then per window a video run and an audio
     * run, then 2 text tokens. The encoders' outputs arrive per modality. */
    static float audio[NA * D], video[NV * D], anchors[ARUN * D];
    static float scores[NA];
    int64_t ids[L], pos[L];
    unsigned seed = 7;
    for (int j = 0; j < NA * D; j++)
        audio[j] = frand(&seed);
    for (int j = 0; j < NV * D; j++)
        video[j] = frand(&seed);
    for (int j = 0; j < NA; j++)
        scores[j] = frand(&seed) + 0.5f;
    for (int j = 0; j < L; j++) {
        int w = (j - TEXT) % (VRUN + ARUN);
        ids[j] = j < TEXT || j >= L - 2 ? 1 : w < VRUN ? 2 : 3; /* text, video, audio */
        pos[j] = j;
    }

    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    p->config_default(&cfg);
    omnizip_ctx *ctx = NULL;
    char err[256];
    if (p->create(&cfg, NULL, &ctx, err, sizeof err) != OMNIZIP_OK) {
        fprintf(stderr, "host: create: %s\n", err);
        return 1;
    }
    int64_t vlen[WINDOWS], alen[WINDOWS];
    for (int i = 0; i < WINDOWS; i++) {
        vlen[i] = VRUN;
        alen[i] = ARUN;
    }
    struct omnizip_layout lay = {.struct_size = sizeof lay, .n_video_runs = WINDOWS,
                                 .n_audio_runs = WINDOWS, .video_run_len = vlen,
                                 .audio_run_len = alen, .tokens_per_frame = TPF, .grid_t = 2 * WINDOWS};
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    if (p->plan(ctx, &lay, scores, NA, &plan) != OMNIZIP_OK)
        return fail(p, ctx, "plan");
    int64_t planned = L - (plan.audio_in - plan.audio_kept) - (plan.video_in - plan.video_kept);
    printf("plan: windows=%u audio=%lld->%lld video=%lld->%lld length=%d->%lld\n", plan.n_windows,
           (long long)plan.audio_in, (long long)plan.audio_kept, (long long)plan.video_in,
           (long long)plan.video_kept, L, (long long)planned);

    struct omnizip_matrix am = {audio, NA, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    struct omnizip_matrix vm = {video, NV, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    if (p->bind(ctx, &am, &vm, NULL) != OMNIZIP_OK)
        return fail(p, ctx, "bind");

    uint8_t keep[L];
    memset(keep, 1, sizeof keep);
    for (uint32_t i = 0; i < WINDOWS; i++) {
        int v0 = TEXT + (int)i * (VRUN + ARUN), a0 = v0 + VRUN; /* sequence positions */
        uint8_t state[ARUN], vkeep[VRUN];
        struct omnizip_window_info info = {.struct_size = sizeof info};
        struct omnizip_window_in in = {
            .struct_size = sizeof in,
            .audio = {audio + i * ARUN * D, ARUN, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST},
            .video = {video + i * VRUN * D, VRUN, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST}};
        struct omnizip_window_out out = {
            .struct_size = sizeof out, .audio_state = state, .audio_capacity = ARUN,
            .video_keep = vkeep, .video_capacity = VRUN,
            .anchors = {anchors, ARUN, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST},
            .info = &info};
        if (p->window(ctx, i, &in, &out) != OMNIZIP_OK)
            return fail(p, ctx, "window");
        for (int j = 0; j < VRUN; j++)
            keep[v0 + j] = vkeep[j];
        for (int j = 0, k = 0; j < ARUN; j++) {
            keep[a0 + j] = state[j] == OMNIZIP_AUDIO_KEPT || state[j] == OMNIZIP_AUDIO_ANCHOR;
            if (state[j] == OMNIZIP_AUDIO_ANCHOR) /* the merged row replaces the token's */
                memcpy(audio + (i * ARUN + j) * D, anchors + k++ * D, sizeof(float) * D);
        }
        printf("window %u: audio=%lld->%lld video=%lld->%lld rate=%.4f\n", i,
               (long long)info.audio_in, (long long)info.audio_kept, (long long)info.video_in,
               (long long)info.video_kept, info.rate);
    }
    struct omnizip_summary sum = {.struct_size = sizeof sum};
    if (p->finish(ctx, &sum) != OMNIZIP_OK)
        return fail(p, ctx, "finish");
    p->destroy(ctx);

    /* Compact ids and positions in place; kept tokens keep their positions. */
    int64_t n = 0;
    for (int j = 0; j < L; j++)
        if (keep[j]) {
            ids[n] = ids[j];
            pos[n++] = pos[j];
        }
    printf("compacted: length=%lld next_position=%lld\n", (long long)n, (long long)L);
    dlclose(dl);
    return n == planned ? 0 : 1;
}
