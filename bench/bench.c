/*
 * omnizip-bench: times the compress stage (plan + bind + windows, no file
 * I/O) of the real libomnizip.so on a workload dump, against the floor set by
 * the sgemm rate the same BLAS reaches in the same run; and times whole
 * commands (median wall time, peak RSS of the child).
 *
 *   omnizip-bench stage DUMP [--runs N] [--set k=v]...   one JSON line
 *   omnizip-bench proc --runs N -- CMD ARGS...           one JSON line
 *   omnizip-bench importance T [--runs N]                one JSON line
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <omnizip/omnizip.h>
#include <omnizip/shim.h>

#include "ozc_clock.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);

struct half {
    sgemm_fn sgemm;
    const float *a, *b;
    float *c;
    int n, rows;
};

static void *half_gemm(void *arg)
{
    struct half *h = arg;
    h->sgemm(101, 111, 112, h->rows, h->n, h->n, 1.0f, h->a, h->n, h->b, h->n, 0.0f, h->c, h->n);
    return NULL;
}

/* The attainable sgemm rate of the BLAS library at `path` on a square
 * product, best of 3, split over one thread per core the way the plugin
 * splits its work (the plugin links a single-threaded BLAS and runs its own
 * threads). Run in a child so the library loads exactly as the plugin's. */
static int sgemm_rate(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    sgemm_fn sgemm = h ? (sgemm_fn)dlsym(h, "cblas_sgemm") : NULL;
    if (!sgemm)
        return fprintf(stderr, "omnizip-bench: no cblas_sgemm in %s: %s\n", path, dlerror()), 1;
    const int n = 2048;
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    threads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
    float *a = malloc((size_t)n * n * 4), *b = malloc((size_t)n * n * 4),
          *c = malloc((size_t)n * n * 4);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = (float)(i % 13) * 0.01f;
        b[i] = (float)(i % 7) * 0.02f;
    }
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        pthread_t t[64];
        struct half part[64];
        double t0 = ozc_now_ms();
        for (int k = 0; k < threads; k++) {
            int lo = n * k / threads, hi = n * (k + 1) / threads;
            part[k] = (struct half){sgemm, a + (size_t)lo * n, b, c + (size_t)lo * n, n, hi - lo};
            pthread_create(&t[k], NULL, half_gemm, &part[k]);
        }
        for (int k = 0; k < threads; k++)
            pthread_join(t[k], NULL);
        double tm = ozc_now_ms() - t0;
        best = tm < best ? tm : best;
    }
    free(a), free(b), free(c);
    printf("%.3f\n", 2.0 * n * (double)n * n / (best * 1e6));
    return 0;
}

/* The BLAS library the loaded plugin uses, found among the loaded objects. */
static int find_blas(struct dl_phdr_info *info, size_t size, void *out)
{
    (void)size;
    const char *base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    if (strncmp(base, "libblis", 7) == 0 || strncmp(base, "libopenblas", 11) == 0 ||
        strncmp(base, "libblas", 7) == 0) {
        snprintf(out, 4096, "%s", info->dlpi_name);
        return 1;
    }
    return 0;
}

static double sgemm_gflops(void)
{
    double rate = 0.0;
    char self[4096], blas[4096] = "", cmd[8400];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || !dl_iterate_phdr(find_blas, blas))
        return 0.0;
    self[n] = 0;
    snprintf(cmd, sizeof cmd, "'%s' sgemm '%s'", self, blas);
    FILE *f = popen(cmd, "r");
    if (f) {
        if (fscanf(f, "%lf", &rate) != 1)
            rate = 0.0;
        pclose(f);
    }
    return rate;
}

static const struct omnizip_plugin *load_plugin(void)
{
    const char *path = getenv("OMNIZIP_PLUGIN") ? getenv("OMNIZIP_PLUGIN") : "build/libomnizip.so";
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    omnizip_plugin_entry_fn entry = h ? (omnizip_plugin_entry_fn)dlsym(h, OMNIZIP_ENTRY_SYMBOL)
                                      : NULL;
    const struct omnizip_plugin *p = entry ? entry(OMNIZIP_ABI_VERSION) : NULL;
    if (!p)
        fprintf(stderr, "omnizip-bench: cannot load %s: %s\n", path, dlerror());
    return p;
}

struct runs {
    const int64_t *start, *len;
    uint32_t n;
};

/* The dump's one clip by the plugin's own rule (omnizip.clips/1): its video
 * and audio runs, tokens per frame and frames. rs/rl hold length entries. */
static int find_clip(const struct omnizip_plugin *p, const struct omnizip_sequence *s, int64_t *rs,
                     int64_t *rl, struct omnizip_clip *c, char *err, size_t es)
{
    const struct omnizip_clips_ext *x = p->get_extension(OMNIZIP_EXT_CLIPS);
    int64_t grid[3] = {s->grid_t, s->grid_h, s->grid_w};
    struct omnizip_clip clips[2];
    struct omnizip_clips_in in = {sizeof in,         1,
                                  s->input_ids,      s->length,
                                  s->audio_token_id, s->video_token_id,
                                  s->merge_size,     grid};
    struct omnizip_clips_out out = {sizeof out, 0, 0, 2, clips, rs, rl, (uint32_t)s->length, 0};
    if (!x || x->split(&in, &out, err, es) != OMNIZIP_OK || out.n_clips != 1)
        return -1;
    *c = clips[0];
    return 0;
}

static int stage(int argc, char **argv)
{
    char err[512];
    int runs = 5;
    const struct omnizip_plugin *p = load_plugin();
    if (!p || argc < 1)
        return 1;
    struct omnizip_dump dump;
    if (omnizip_dump_load(argv[0], &dump, err, sizeof err) != OMNIZIP_OK) {
        fprintf(stderr, "omnizip-bench: %s\n", err);
        return 1;
    }
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    p->config_default(&cfg);
    p->config_set(&cfg, "rho_audio", "0.3", err, sizeof err);
    p->config_set(&cfg, "rho_video", "0.6", err, sizeof err);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
            char kv[256];
            snprintf(kv, sizeof kv, "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            if (!eq || p->config_set(&cfg, kv, (*eq = 0, eq + 1), err, sizeof err) != OMNIZIP_OK) {
                fprintf(stderr, "omnizip-bench: --set %s: %s\n", argv[i], err);
                return 2;
            }
        }
    }
    const struct omnizip_sequence *seq = &dump.seq;
    int64_t l = seq->length, d = seq->hidden, n_scores = seq->n_audio_scores;
    int64_t *rs = malloc((size_t)l * 8), *rl = malloc((size_t)l * 8);
    struct omnizip_clip clip;
    if (seq->dtype != OMNIZIP_DTYPE_F32 || find_clip(p, seq, rs, rl, &clip, err, sizeof err)) {
        fprintf(stderr, "omnizip-bench: %s: one clip of F32 rows expected %s\n", argv[0], err);
        return 1;
    }
    struct runs vr = {rs + clip.first_run, rl + clip.first_run, clip.n_video_runs};
    struct runs ar = {vr.start + vr.n, vr.len + vr.n, clip.n_audio_runs};
    int64_t tpf = clip.tokens_per_frame;
    const float *emb = seq->embeds;
    struct omnizip_layout lay = {.struct_size = sizeof lay,
                                 .n_video_runs = vr.n,
                                 .n_audio_runs = ar.n,
                                 .video_run_len = vr.len,
                                 .audio_run_len = ar.len,
                                 .tokens_per_frame = tpf,
                                 .grid_t = clip.grid_t,
                                 .video_run_start = vr.start,
                                 .audio_run_start = ar.start};
    struct omnizip_matrix whole = {seq->embeds,        l, d, seq->row_stride, OMNIZIP_DTYPE_F32,
                                   OMNIZIP_MEMORY_HOST};
    omnizip_ctx *ctx;
    if (p->create(&cfg, NULL, &ctx, err, sizeof err) != OMNIZIP_OK) {
        fprintf(stderr, "omnizip-bench: %s\n", err);
        return 1;
    }
    uint8_t *astate = malloc((size_t)l), *vkeep = malloc((size_t)l);
    float *anchors = malloc((size_t)(n_scores + 1) * d * 4);
    double *tp = calloc((size_t)runs, 8), *tb = calloc((size_t)runs, 8),
           *tw = calloc((size_t)runs, 8);
    double *tt = calloc((size_t)runs, 8);
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    int64_t n_pool = 0, even = 0, odd = 0;
    struct mallinfo2 m0 = mallinfo2();
    for (int r = -1; r < runs; r++) { /* run -1 warms caches and BLAS threads */
        double t0 = ozc_now_ms();
        if (p->plan(ctx, &lay, seq->audio_scores, n_scores, &plan) != OMNIZIP_OK)
            return fprintf(stderr, "plan: %s\n", p->last_error(ctx)), 1;
        double t1 = ozc_now_ms();
        if (p->bind(ctx, &whole, &whole, NULL) != OMNIZIP_OK)
            return fprintf(stderr, "bind: %s\n", p->last_error(ctx)), 1;
        double t2 = ozc_now_ms();
        n_pool = even = odd = 0;
        for (uint32_t i = 0; i < plan.n_windows; i++) {
            int64_t alen = i < ar.n ? ar.len[i] : 0, vlen = i < vr.n ? vr.len[i] : 0;
            struct omnizip_window_info info = {.struct_size = sizeof info};
            struct omnizip_window_in in = {.struct_size = sizeof in,
                                           .audio = {(float *)emb + (i < ar.n ? ar.start[i] : 0) *
                                                                        seq->row_stride,
                                                     alen, d, seq->row_stride, 0, 0},
                                           .video = {(float *)emb + (i < vr.n ? vr.start[i] : 0) *
                                                                        seq->row_stride,
                                                     vlen, d, seq->row_stride, 0, 0}};
            struct omnizip_window_out out = {.struct_size = sizeof out,
                                             .audio_state = astate,
                                             .audio_capacity = l,
                                             .video_keep = vkeep,
                                             .video_capacity = l,
                                             .anchors = {anchors, n_scores + 1, d, d, 0, 0},
                                             .info = &info};
            if (p->window(ctx, i, &in, &out) != OMNIZIP_OK)
                return fprintf(stderr, "window %u: %s\n", i, p->last_error(ctx)), 1;
            for (int64_t j = 0; j < alen; j++)
                n_pool += astate[j] == OMNIZIP_AUDIO_PRUNED || astate[j] == OMNIZIP_AUDIO_MERGED;
            int64_t frames = tpf ? vlen / tpf : 0;
            even += (frames + 1) / 2;
            odd += frames / 2;
        }
        double t3 = ozc_now_ms();
        if (r >= 0)
            tp[r] = t1 - t0, tb[r] = t2 - t1, tw[r] = t3 - t2, tt[r] = t3 - t0;
    }
    /* Pool = remaining minus anchors; the audio_state count above includes
     * neither kept nor anchor tokens. */
    double n_video = (double)plan.video_in, n_anchor = (double)plan.audio_anchors;
    double fl_cross = 2.0 * d * (double)n_pool * (n_video + n_anchor);
    double fl_istc = (double)d * tpf * tpf * even + 2.0 * d * tpf * odd;
    /* Working memory: the heap the context holds after the last window (it
     * allocates everything at plan, bind or the first window and keeps it),
     * beyond the mapped input and the caller's output buffers. */
    struct mallinfo2 m1 = mallinfo2();
    double extra_mb = ((double)(m1.uordblks + m1.hblkhd) - (double)(m0.uordblks + m0.hblkhd)) /
                      1048576.0;
    double rate = sgemm_gflops();
    double mt = median(tt, runs), floor_ms = (fl_cross + fl_istc) / (rate * 1e6);
    printf(
        "{\"workload\":\"%s\",\"runs\":%d,\"windows\":%u,\"hidden\":%lld,\"n_pool\":%lld,"
        "\"n_anchor\":%.0f,\"n_video\":%.0f,\"ms_plan\":%.3f,\"ms_bind\":%.3f,\"ms_windows\":%.3f,"
        "\"ms_total\":%.3f,\"gflop_cross\":%.3f,\"gflop_istc\":%.3f,\"sgemm_gflops\":%.1f,"
        "\"ms_floor\":%.3f,\"x_floor\":%.3f,\"achieved_gflops\":%.1f,\"kept\":%lld,"
        "\"scope\":\"%s\",\"extra_mb\":%.1f}\n",
        argv[0], runs, plan.n_windows, (long long)d, (long long)n_pool, n_anchor, n_video,
        median(tp, runs), median(tb, runs), median(tw, runs), mt, fl_cross / 1e9, fl_istc / 1e9,
        rate, floor_ms, mt / floor_ms, (fl_cross + fl_istc) / (mt * 1e6),
        (long long)(plan.audio_kept + plan.video_kept),
        cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL ? "global" : "window", extra_mb);
    p->destroy(ctx);
    omnizip_dump_free(&dump);
    free(rs), free(rl);
    return 0;
}

static int proc(int argc, char **argv)
{
    int runs = 5, at = 0;
    if (argc >= 2 && !strcmp(argv[0], "--runs"))
        runs = atoi(argv[1]), at = 2;
    if (at < argc && !strcmp(argv[at], "--"))
        at++;
    if (at >= argc)
        return 2;
    double *t = calloc((size_t)runs, 8);
    long rss = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = ozc_now_ms();
        pid_t pid = fork();
        if (pid == 0) {
            /* The command's own report is not the benchmark's. */
            FILE *null = freopen("/dev/null", "w", stdout);
            (void)null;
            execvp(argv[at], argv + at);
            _exit(127);
        }
        int st;
        struct rusage ru;
        wait4(pid, &st, 0, &ru);
        t[r] = ozc_now_ms() - t0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return fprintf(stderr, "omnizip-bench: %s failed\n", argv[at]), 1;
        rss = ru.ru_maxrss > rss ? ru.ru_maxrss : rss;
    }
    printf("{\"command\":\"%s\",\"runs\":%d,\"ms_median\":%.1f,\"peak_rss_mb\":%.1f}\n", argv[at],
           runs, median(t, runs), rss / 1024.0);
    return 0;
}

/* Audio importance at Qwen2.5-Omni's audio encoder shape (20 heads x 64). */
static int importance(int argc, char **argv)
{
    char err[512];
    int64_t t = argc > 0 ? atoll(argv[0]) : 15000;
    int runs = argc > 2 && !strcmp(argv[1], "--runs") ? atoi(argv[2]) : 3;
    const struct omnizip_plugin *p = load_plugin();
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    omnizip_ctx *ctx;
    if (!p)
        return 1;
    p->config_default(&cfg);
    if (p->create(&cfg, NULL, &ctx, err, sizeof err) != OMNIZIP_OK)
        return fprintf(stderr, "%s\n", err), 1;
    const int64_t h = 20, hd = 64;
    float *q = malloc((size_t)(h * t * hd) * 4), *k = malloc((size_t)(h * t * hd) * 4);
    float *s = malloc((size_t)(t / 2) * 4);
    uint32_t x = 12345;
    for (int64_t i = 0; i < h * t * hd; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        q[i] = (float)(x % 2001) / 1000.0f - 1.0f;
        k[i] = (float)((x >> 11) % 2001) / 1000.0f - 1.0f;
    }
    struct omnizip_importance_in in = {.struct_size = sizeof in,
                                       .n_heads = (uint32_t)h,
                                       .pool = 2,
                                       .q = {q, h * t, hd, hd, 0, 0},
                                       .k = {k, h * t, hd, hd, 0, 0}};
    double *tm = calloc((size_t)runs, 8);
    for (int r = 0; r < runs; r++) {
        double t0 = ozc_now_ms();
        if (p->audio_importance(ctx, &in, s, t / 2) != OMNIZIP_OK)
            return fprintf(stderr, "%s\n", p->last_error(ctx)), 1;
        tm[r] = ozc_now_ms() - t0;
    }
    double flops = 2.0 * (double)h * t * t * hd; /* the q k^T products */
    double ms = median(tm, runs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"importance_T\":%lld,\"heads\":%lld,\"head_dim\":%lld,\"ms_median\":%.1f,"
           "\"gflops\":%.1f,\"input_mb\":%.1f,\"peak_rss_mb\":%.1f}\n",
           (long long)t, (long long)h, (long long)hd, ms, flops / (ms * 1e6),
           2.0 * h * t * hd * 4 / 1048576.0, ru.ru_maxrss / 1024.0);
    p->destroy(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "stage"))
        return stage(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "proc"))
        return proc(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "sgemm"))
        return sgemm_rate(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "importance"))
        return importance(argc - 2, argv + 2);
    fprintf(stderr, "usage: omnizip-bench stage DUMP [--runs N] [--set k=v]... | proc [--runs N] "
                    "-- CMD... | importance T [--runs N]\n");
    return 2;
}
