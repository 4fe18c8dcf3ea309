/* cli_trace.c - what omnizip-run does as each window completes: the
 * JSON-lines trace (one flushed line per window, so a reader tailing the file
 * sees it live), --live rows and pacing, and the progress bar. */
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omnizip/telemetry.h>

#include "cli.h"

double oz_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Writes obj as one line and flushes; remembers a failure instead of failing
 * the window (the run goes on; the caller reports it at the end). */
static void put_line(struct oz_watch *w, json_t *obj)
{
    if (!w->trace || !obj) {
        w->trace_failed |= w->trace && !obj;
        json_decref(obj);
        return;
    }
    if (json_dumpf(obj, w->trace, JSON_COMPACT) != 0 ||
        fputc('\n', w->trace) == EOF || fflush(w->trace) != 0)
        w->trace_failed = 1;
    json_decref(obj);
}

int oz_trace_open(struct oz_watch *w, const char *path, const struct oz_run *run,
                  uint32_t n_windows)
{
    w->trace_path = path;
    w->n_windows = n_windows;
    w->t0 = oz_now_ms();
    if (!path)
        return OZ_EXIT_OK;
    w->trace = fopen(path, "w");
    if (!w->trace) {
        oz_cli_error("--trace %s: cannot open for writing: %s", path, strerror(errno));
        return OZ_EXIT_FAIL;
    }
    const struct omnizip_config *c = run->cfg;
    put_line(w, json_pack("{s:s, s:i, s:s, s:s, s:s, s:f, s:f, s:i, s:f, s:f, s:f, s:i, s:s, "
                          "s:I}",
                          "type", "header", "version", 1, "tool", "omnizip-run", "source",
                          run->source, "model", run->cli->model, "rho_audio", c->rho_audio,
                          "rho_video", c->rho_video, "g", (int)c->g, "contextual_ratio",
                          c->contextual_ratio, "rho_min", c->rho_min, "rho_max", c->rho_max,
                          "dpc_k", (int)c->dpc_k, "similarity_scope",
                          oz_cli_enum_name("similarity_scope", c->similarity_scope), "windows",
                          (json_int_t)n_windows));
    return OZ_EXIT_OK;
}

static json_t *window_json(const struct omnizip_window_info *i)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:b, s:I, s:I, s:f, s:f}",
                     "type", "window", "index", (json_int_t)i->index, "audio_in",
                     (json_int_t)i->audio_in, "audio_kept", (json_int_t)i->audio_kept,
                     "audio_anchors", (json_int_t)i->audio_anchors, "audio_merged",
                     (json_int_t)i->audio_merged, "s_a", i->s_a, "base_rate", i->base_rate,
                     "rate", i->rate, "guided", i->guided != 0, "video_in",
                     (json_int_t)i->video_in, "video_kept", (json_int_t)i->video_kept,
                     "micros", i->micros, "flops", i->flops);
}

void oz_trace_summary(struct oz_watch *w, const struct oz_run *run)
{
    if (!w->trace)
        return;
    const struct omnizip_summary *s = &run->report.summary;
    put_line(w, json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f}", "type",
                          "summary", "audio_in", (json_int_t)s->audio_in, "audio_kept",
                          (json_int_t)s->audio_kept, "video_in", (json_int_t)s->video_in,
                          "video_kept", (json_int_t)s->video_kept, "flops_before",
                          run->flops_before, "flops_after", run->flops_after, "ms_plan",
                          run->report.ms_plan, "ms_bind", run->report.ms_bind, "ms_windows",
                          run->report.ms_windows));
}

int oz_trace_close(struct oz_watch *w)
{
    if (!w->trace)
        return OZ_EXIT_OK;
    int bad = w->trace_failed;
    if (fclose(w->trace) != 0)
        bad = 1;
    w->trace = NULL;
    if (bad) {
        oz_cli_error("--trace %s: write failed", w->trace_path);
        return OZ_EXIT_FAIL;
    }
    return OZ_EXIT_OK;
}

static void progress(struct oz_watch *w)
{
    double elapsed = oz_now_ms() - w->t0;
    /* short runs finish before a bar would help */
    if (elapsed < 300.0 || w->n_windows == 0)
        return;
    int width = 40, done = (int)((uint64_t)w->seen * (uint64_t)width / w->n_windows);
    char bar[41];
    memset(bar, '#', (size_t)done);
    memset(bar + done, '.', (size_t)(width - done));
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %u/%u windows", bar, w->seen, w->n_windows);
    fflush(stderr);
}

/* --live: the plugin creates the telemetry segment with the context, so by
 * the first window it exists; its number is the newest of this process. */
static void live_banner(void)
{
    char pattern[64];
    glob_t g;
    long pid = (long)getpid();
    snprintf(pattern, sizeof pattern, "/dev/shm%s%ld-*", OMNIZIP_TELEMETRY_PREFIX, pid);
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0)
        printf("telemetry: %s; inspect with: omnizip-inspect --attach %ld\n",
               g.gl_pathv[g.gl_pathc - 1] + strlen("/dev/shm"), pid);
    else
        printf("telemetry: no shm segment found for pid %ld (plugin without telemetry?)\n", pid);
    globfree(&g);
}

void oz_watch_window(void *user, const struct omnizip_window_info *info)
{
    struct oz_watch *w = user;
    w->seen++;
    put_line(w, w->trace ? window_json(info) : NULL);
    if (w->live) {
        if (w->seen == 1) {
            live_banner();
            oz_report_table_head(stdout);
        }
        oz_report_row(stdout, info);
        fflush(stdout);
        if (w->pace_ms > 0) {
            struct timespec ts = {w->pace_ms / 1000, (w->pace_ms % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                continue;
        }
    } else if (w->progress) {
        progress(w);
    }
}

void oz_watch_done(struct oz_watch *w)
{
    if (w->progress && !w->live && oz_now_ms() - w->t0 >= 300.0) {
        fprintf(stderr, "\r%*s\r", 60, "");
        fflush(stderr);
    }
}
