/* cli_trace.c - what omnizip-run does as each window completes: the
 * JSON-lines trace (kept in memory and written whole at the end through
 * omnizip_write_file, so a full disk or a signal never leaves half a line;
 * watch a run live through --live and omnizip-inspect --attach), --live rows
 * and pacing, and the progress bar. */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <glob.h>
#include <jansson.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omnizip/telemetry.h>

#include "cli.h"
#include "ozc_trace.h"

/* Appends obj as one line; remembers a failure instead of failing the
 * window (the run goes on; the caller reports it at the end). */
static void put_line(struct ozr_watch *w, json_t *obj)
{
    if (!w->trace_path || !obj) {
        w->trace_failed |= w->trace_path && !obj;
        json_decref(obj);
        return;
    }
    char *line = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    size_t n = line ? strlen(line) + 1 : 0;
    if (line && w->trace_cap - w->trace_len < n) {
        size_t cap = w->trace_cap ? w->trace_cap : 4096;
        while (cap - w->trace_len < n && cap < SIZE_MAX / 2)
            cap *= 2;
        char *p = cap - w->trace_len >= n ? realloc(w->trace, cap) : NULL;
        if (p) {
            w->trace = p;
            w->trace_cap = cap;
        }
    }
    if (!line || w->trace_cap - w->trace_len < n) {
        w->trace_failed = 1;
    } else {
        memcpy(w->trace + w->trace_len, line, n - 1);
        w->trace[w->trace_len + n - 1] = '\n';
        w->trace_len += n;
    }
    free(line);
}

/* Adds the fields of table f, read from the struct at base, to o; NULL (o
 * released) when one cannot be (a non-finite real). */
static json_t *put_fields(json_t *o, const struct ozc_trace_field *f, size_t n, const void *base)
{
    for (size_t k = 0; o && k < n; k++) {
        const char *p = (const char *)base + f[k].off;
        json_t *v;
        switch (f[k].kind) {
        case OZC_TRACE_COUNT: v = json_integer(*(const int64_t *)p); break;
        case OZC_TRACE_INDEX: v = json_integer(*(const uint32_t *)p); break;
        case OZC_TRACE_INT: v = json_integer(*(const int32_t *)p); break;
        case OZC_TRACE_REAL: v = json_real(*(const double *)p); break;
        default: v = json_boolean(*(const int32_t *)p != 0); break;
        }
        if (json_object_set_new(o, f[k].key, v) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

int ozr_trace_open(struct ozr_watch *w, const char *path, const struct ozr_run *run,
                   uint32_t n_windows)
{
    w->trace_path = path;
    w->n_windows = n_windows;
    w->t0 = ozc_now_ms();
    if (!path)
        return OZ_EXIT_OK;
    const struct omnizip_config *c = run->cfg;
    json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s}", "type", OZC_TRACE_HEADER, "version",
                          OZC_TRACE_VERSION, "tool", "omnizip-run", "source", run->source, "model",
                          run->cli->model);
    o = put_fields(o, ozc_trace_config, OZC_TRACE_N(ozc_trace_config), c);
    const char *scope = ozr_cli_enum_name("similarity_scope", c->similarity_scope);
    char strategy[64];
    ozr_cli_config_text(run->plugin, c, "strategy", strategy, sizeof strategy);
    if (o && (json_object_set_new(o, "similarity_scope", json_string(scope)) != 0 ||
              json_object_set_new(o, "strategy", json_string(strategy)) != 0 ||
              json_object_set_new(o, "windows", json_integer((json_int_t)n_windows)) != 0)) {
        json_decref(o);
        o = NULL;
    }
    put_line(w, o);
    return OZ_EXIT_OK;
}

static json_t *window_json(const struct omnizip_window_info *i)
{
    return put_fields(json_pack("{s:s}", "type", OZC_TRACE_WINDOW), ozc_trace_window,
                      OZC_TRACE_N(ozc_trace_window), i);
}

void ozr_trace_summary(struct ozr_watch *w, const struct ozr_run *run)
{
    if (!w->trace_path)
        return;
    const struct omnizip_summary *s = &run->report.summary;
    put_line(w,
             json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f}", "type",
                       OZC_TRACE_SUMMARY, "audio_in", (json_int_t)s->audio_in, "audio_kept",
                       (json_int_t)s->audio_kept, "video_in", (json_int_t)s->video_in, "video_kept",
                       (json_int_t)s->video_kept, "flops_before", run->flops_before, "flops_after",
                       run->flops_after, "ms_plan", run->report.ms_plan, "ms_bind",
                       run->report.ms_bind, "ms_windows", run->report.ms_windows));
}

int ozr_trace_close(struct ozr_watch *w, int write)
{
    if (!w->trace_path)
        return OZ_EXIT_OK;
    int rc = OZ_EXIT_OK;
    if (write && w->trace_failed) {
        ozr_cli_error("--trace %s: out of memory building the trace: nothing written",
                      w->trace_path);
        rc = OZ_EXIT_FAIL;
    } else if (write) {
        char err[1024] = "";
        ozr_cli_signals_hold(1);
        omnizip_status st = omnizip_write_file(w->trace_path, w->trace, w->trace_len, err,
                                               sizeof err);
        ozr_cli_signals_hold(0);
        if (st != OMNIZIP_OK) {
            ozr_cli_error("--trace %s", err);
            rc = OZ_EXIT_FAIL;
        }
    }
    free(w->trace);
    w->trace = NULL;
    w->trace_len = w->trace_cap = 0;
    return rc;
}

static void progress(struct ozr_watch *w)
{
    double elapsed = ozc_now_ms() - w->t0;
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

size_t ozr_heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

void ozr_watch_window(void *user, const struct omnizip_window_info *info)
{
    struct ozr_watch *w = user;
    size_t heap = ozr_heap_in_use();
    w->heap_peak = heap > w->heap_peak ? heap : w->heap_peak;
    w->seen++;
    put_line(w, w->trace_path ? window_json(info) : NULL);
    if (w->live) {
        if (w->seen == 1) {
            live_banner();
            ozr_report_table_head(stdout);
        }
        ozr_report_row(stdout, info, 0);
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

void ozr_watch_done(struct ozr_watch *w)
{
    if (w->progress && !w->live && ozc_now_ms() - w->t0 >= 300.0) {
        fprintf(stderr, "\r%*s\r", 60, "");
        fflush(stderr);
    }
}
