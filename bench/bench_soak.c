/* bench_soak.c - the plugin over long runs (make bench): 10,000
 * plan/bind/window/finish cycles on one context, then 1,000 create/destroy
 * cycles with telemetry on. Reports resident memory growth (after a warm-up
 * that lets BLIS and the allocator reach their steady pools), descriptors
 * and shm segments left, as a markdown section for bench/RESULTS.md. Exits
 * 1 when RSS grows by 1 MB or more, or a descriptor or a segment is left.
 * A benchmark, not a test: it takes a while and reads process-wide figures. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <omnizip/omnizip.h>

#include "plugin_load.h"

enum { W = 4, TPF = 16, NV = 2 * TPF, NA = 25, D = 128 };
enum { CYCLES = 10000, CYCLES_WARM = 200, CREATES = 1000, CREATES_WARM = 50 };

static const struct omnizip_plugin *P;
static float audio[W * NA * D], video[W * NV * D], scores[W * NA];

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    if (f)
        fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Entries of dir whose names start with prefix ("" counts all). */
static int entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.' && strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n - (d && !*prefix); /* the DIR's own descriptor in /proc/self/fd */
}

static int segments(void)
{
    char prefix[40];
    snprintf(prefix, sizeof prefix, "omnizip-%d-", (int)getpid());
    return entries("/dev/shm", prefix);
}

static int cycle(omnizip_ctx *ctx)
{
    static const int64_t vlen[W] = {NV, NV, NV, NV}, alen[W] = {NA, NA, NA, NA};
    struct omnizip_layout lay = {.struct_size = sizeof lay,
                                 .n_video_runs = W,
                                 .n_audio_runs = W,
                                 .video_run_len = vlen,
                                 .audio_run_len = alen,
                                 .tokens_per_frame = TPF,
                                 .grid_t = 2 * W};
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    if (P->plan(ctx, &lay, scores, W * NA, &plan) != OMNIZIP_OK)
        return -1;
    struct omnizip_matrix a = {audio, W * NA, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    struct omnizip_matrix v = {video, W * NV, D, D, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
    if (P->bind(ctx, &a, &v, NULL) != OMNIZIP_OK)
        return -1;
    for (uint32_t i = 0; i < W; i++) {
        uint8_t state[NA], keep[NV];
        static float anchors[NA * D];
        struct omnizip_window_info info = {.struct_size = sizeof info};
        struct omnizip_window_in in = {sizeof in, 0, a, v, NULL};
        in.audio.data = audio + i * NA * D, in.audio.rows = NA;
        in.video.data = video + i * NV * D, in.video.rows = NV;
        struct omnizip_window_out out = {sizeof out, 0, state, NA, keep, NV, a, &info};
        out.anchors.data = anchors, out.anchors.rows = NA;
        if (P->window(ctx, i, &in, &out) != OMNIZIP_OK)
            return -1;
    }
    struct omnizip_summary s = {.struct_size = sizeof s};
    return P->finish(ctx, &s) == OMNIZIP_OK ? 0 : -1;
}

static int die(const char *what, const char *why)
{
    fprintf(stderr, "omnizip-bench-soak: %s: %s\n", what, why);
    return 1;
}

static void machine(char *out, size_t size)
{
    char model[256] = "unknown CPU", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    struct utsname u;
    uname(&u);
    snprintf(out, size, "%s, %ld cores online, Linux %s", model, sysconf(_SC_NPROCESSORS_ONLN),
             u.release);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "build/libomnizip.so";
    const char *why;
    if (!(P = bench_plugin(path, &why)))
        return die(path, why);
    unsigned s = 1;
    for (size_t i = 0; i < sizeof audio / sizeof *audio; i++)
        audio[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    for (size_t i = 0; i < sizeof video / sizeof *video; i++)
        video[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    for (size_t i = 0; i < sizeof scores / sizeof *scores; i++)
        scores[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f;
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.threads = 2;
    char err[256];
    omnizip_ctx *ctx;
    if (P->create(&cfg, NULL, &ctx, err, sizeof err) != OMNIZIP_OK)
        return die("create", err);
    long r0 = 0, r1;
    for (int c = 0; c < CYCLES_WARM + CYCLES; c++) {
        if (cycle(ctx) != 0)
            return die("cycle", P->last_error(ctx));
        if (c == CYCLES_WARM - 1)
            r0 = rss_kb();
    }
    r1 = rss_kb();
    P->destroy(ctx);

    cfg.telemetry = OMNIZIP_TELEMETRY_SHM;
    int fd0 = entries("/proc/self/fd", ""), live_seen = 1;
    long c0 = 0, c1;
    for (int c = 0; c < CREATES_WARM + CREATES; c++) {
        if (P->create(&cfg, NULL, &ctx, err, sizeof err) != OMNIZIP_OK)
            return die("create (telemetry)", err);
        live_seen &= segments() == 1;
        if (c % 10 == 0 && cycle(ctx) != 0)
            return die("cycle (telemetry)", P->last_error(ctx));
        P->destroy(ctx);
        if (c == CREATES_WARM - 1)
            c0 = rss_kb();
    }
    c1 = rss_kb();
    int fd1 = entries("/proc/self/fd", ""), left = segments();

    char m[400], date[32];
    machine(m, sizeof m);
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
    printf("## Soak (bench/bench_soak.c)\n\n");
    printf(
        "Machine: %s. Date: %s. Produced by `build/omnizip-bench-soak` (run by `make bench`).\n\n",
        m, date);
    printf("A %d-window clip (2 frames of %d video tokens and %d audio tokens per window, D = %d, "
           "F32), the plugin's own 2 threads. RSS from /proc/self/statm after a warm-up (BLIS and "
           "the allocator reach their steady pools) and at the end; descriptors in "
           "/proc/self/fd; segments in /dev/shm named for this process.\n\n",
           W, TPF, NA, D);
    printf("| run | cycles | RSS after warm-up (KB) | RSS at the end (KB) | growth (KB) | "
           "descriptors left | segments left |\n|---|---|---|---|---|---|---|\n");
    printf("| plan/bind/window/finish on one context | %d (after %d) | %ld | %ld | %ld | - | - |\n",
           CYCLES, CYCLES_WARM, r0, r1, r1 - r0);
    printf("| create/destroy, telemetry shm (a clip every 10th) | %d (after %d) | %ld | %ld | %ld "
           "| %d | %d |\n\n",
           CREATES, CREATES_WARM, c0, c1, c1 - c0, fd1 - fd0, left);
    int ok = r1 - r0 < 1024 && c1 - c0 < 1024 && fd1 == fd0 && left == 0 && live_seen;
    printf("%s\n", ok ? "Both stay under 1 MB of growth and leave no descriptor or segment; each "
                        "live context had exactly one segment."
                      : "FAILED: growth of 1 MB or more, or a descriptor or segment left.");
    return ok ? 0 : 1;
}
