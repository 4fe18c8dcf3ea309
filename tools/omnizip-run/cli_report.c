/* cli_report.c - omnizip-run's output: the per-window table with totals for
 * people, and the one-object --json for programs. */
#include <jansson.h>
#include <string.h>

#include "cli.h"

void ozr_report_table_head(FILE *f)
{
    fprintf(f, "%6s  %13s  %5s  %5s  %5s  %13s  %14s\n", "window", "audio kept/in", "S_a", "base",
            "rate", "video kept/in", "anchors/merged");
}

/* "kept/in", or "-/in" where the count is decided later (dycoke before bind). */
static void kept_of(char *buf, size_t size, int64_t kept, int64_t in)
{
    if (kept < 0)
        snprintf(buf, size, "-/%lld", (long long)in);
    else
        snprintf(buf, size, "%lld/%lld", (long long)kept, (long long)in);
}

void ozr_report_row(FILE *f, const struct omnizip_window_info *w, int planned)
{
    char audio[48], video[48], merge[32], s_a[16], base[16];
    kept_of(audio, sizeof audio, w->audio_kept, w->audio_in);
    kept_of(video, sizeof video, w->video_kept, w->video_in);
    /* plan reads no embeddings: which pool tokens merge is not computed */
    if (planned)
        snprintf(merge, sizeof merge, "%lld/-", (long long)w->audio_anchors);
    else
        snprintf(merge, sizeof merge, "%lld/%lld", (long long)w->audio_anchors,
                 (long long)w->audio_merged);
    /* unguided windows have no S_a: their rate is rho_video itself */
    snprintf(s_a, sizeof s_a, "-");
    snprintf(base, sizeof base, "-");
    if (w->guided) {
        snprintf(s_a, sizeof s_a, "%.3f", w->s_a);
        snprintf(base, sizeof base, "%.3f", w->base_rate);
    }
    fprintf(f, "%6u  %13s  %5s  %5s  %5.3f  %13s  %14s\n", w->index, audio, s_a, base, w->rate,
            video, merge);
}

static double pct(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static int64_t text_tokens(const struct ozr_run *run)
{
    const struct omnizip_plan *p = &run->report.plan;
    return run->length - p->audio_in - p->video_in;
}

/* One vocabulary in every tool: "kept" is after / before of tokens, "saved"
 * is 1 - after / before of a cost; media = audio + video tokens, sequence =
 * every token including text. */
void ozr_report_totals(FILE *f, const struct ozr_run *run)
{
    const struct omnizip_plan *p = &run->report.plan;
    int64_t media_in = p->audio_in + p->video_in, media_kept = p->audio_kept + p->video_kept;
    fprintf(f,
            "total: audio %lld/%lld kept (%.1f%%), video %lld/%lld kept (%.1f%%), media "
            "%lld/%lld kept (%.1f%%), sequence %lld/%lld kept (%.1f%%, %lld text tokens)\n",
            (long long)p->audio_kept, (long long)p->audio_in, pct(p->audio_kept, p->audio_in),
            (long long)p->video_kept, (long long)p->video_in, pct(p->video_kept, p->video_in),
            (long long)media_kept, (long long)media_in, pct(media_kept, media_in),
            (long long)run->kept, (long long)run->length, pct(run->kept, run->length),
            (long long)text_tokens(run));
    double saved = run->flops_before > 0 ? 1.0 - run->flops_after / run->flops_before : 0.0;
    fprintf(f, "prefill FLOPs (%s, media tokens): %.2f T -> %.2f T (%.1f%% saved)\n",
            run->cli->model, run->flops_before / 1e12, run->flops_after / 1e12, 100.0 * saved);
    if (run->have_kv)
        fprintf(f, "KV cache (%s, media tokens, 16-bit): %.1f MiB -> %.1f MiB (%.1f%% saved)\n",
                run->cli->model, run->kv_before / 1048576.0, run->kv_after / 1048576.0,
                run->kv_before > 0 ? 100.0 * (1.0 - run->kv_after / run->kv_before) : 0.0);
    fprintf(f, "time: load %.1f ms, plan %.2f ms", run->ms_load, run->report.ms_plan);
    if (!run->planned_only)
        fprintf(f, ", bind %.2f ms, windows %.2f ms", run->report.ms_bind, run->report.ms_windows);
    if (run->cli->output)
        fprintf(f, ", write %.1f ms", run->ms_write);
    fprintf(f, ", total %.1f ms\n", run->ms_total);
}

void *ozr_report_config_json(const struct omnizip_plugin *p, const struct omnizip_config *c)
{
    char strategy[64];
    ozr_cli_config_text(p, c, "strategy", strategy, sizeof strategy);
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:s, "
                     "s:I}",
                     "rho_audio", c->rho_audio, "rho_video", c->rho_video, "contextual_ratio",
                     c->contextual_ratio, "rho_min", c->rho_min, "rho_max", c->rho_max, "g",
                     (int)c->g, "dpc_k", (int)c->dpc_k, "normalize",
                     ozr_cli_enum_name("normalize", c->normalize), "similarity_scope",
                     ozr_cli_enum_name("similarity_scope", c->similarity_scope), "scope_radius",
                     (int)c->scope_radius, "mode", ozr_cli_enum_name("mode", c->mode), "backend",
                     ozr_cli_enum_name("backend", c->backend), "threads", (int)c->threads,
                     "telemetry", ozr_cli_enum_name("telemetry", c->telemetry), "strategy",
                     strategy, "seed", (json_int_t)c->seed);
}

/* A count, or null where it is not computed. */
static json_t *count(int64_t v, int known)
{
    return known && v >= 0 ? json_integer((json_int_t)v) : json_null();
}

static json_t *window_json(const struct omnizip_window_info *w, int planned)
{
    return json_pack("{s:I, s:I, s:o, s:I, s:o, s:f, s:f, s:f, s:b, s:I, s:o}", "index",
                     (json_int_t)w->index, "audio_in", (json_int_t)w->audio_in, "audio_kept",
                     count(w->audio_kept, 1), "anchors", (json_int_t)w->audio_anchors, "merged",
                     count(w->audio_merged, !planned), "s_a", w->s_a, "base_rate", w->base_rate,
                     "rate", w->rate, "guided", w->guided != 0, "video_in", (json_int_t)w->video_in,
                     "video_kept", count(w->video_kept, 1));
}

static double fraction(int64_t kept, int64_t in)
{
    return in > 0 ? (double)kept / (double)in : 0.0;
}

static json_t *per_window(const struct ozr_run *run)
{
    json_t *arr = json_array();
    uint32_t n = run->report.n_windows < run->report.capacity ? run->report.n_windows
                                                              : run->report.capacity;
    int64_t a_in = 0, a_kept = 0, v_in = 0, v_kept = 0;
    for (uint32_t i = 0; arr && i < n; i++) {
        const struct omnizip_window_info *w = &run->report.windows[i];
        json_t *o = window_json(w, run->planned_only);
        /* Streaming: the budget controller at work, window by window. */
        if (o && run->cfg->mode == OMNIZIP_MODE_STREAMING) {
            a_in += w->audio_in, a_kept += w->audio_kept;
            v_in += w->video_in, v_kept += w->video_kept;
            json_object_set_new(o, "cumulative",
                                json_pack("{s:f, s:f}", "audio", fraction(a_kept, a_in), "video",
                                          fraction(v_kept, v_in)));
        }
        if (json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *tokens_json(const struct ozr_run *run)
{
    const struct omnizip_plan *p = &run->report.plan;
    return json_pack("{s:{s:I, s:I}, s:{s:I, s:I}, s:I, s:{s:I, s:I}}", "audio", "in",
                     (json_int_t)p->audio_in, "kept", (json_int_t)p->audio_kept, "video", "in",
                     (json_int_t)p->video_in, "kept", (json_int_t)p->video_kept, "text",
                     (json_int_t)text_tokens(run), "total", "in", (json_int_t)run->length, "kept",
                     (json_int_t)run->kept);
}

void *ozr_report_json_object(const struct ozr_run *run)
{
    const struct omnizip_run_report *r = &run->report;
    double ratio = run->flops_before > 0 ? run->flops_after / run->flops_before : 0.0;
    json_t *root =
        json_pack("{s:s, s:s, s:I, s:o, s:{s:f, s:f, s:f, s:f, s:f, s:f}, s:{s:s, s:f, s:f, s:f}, "
                  "s:o, s:o}",
                  "command", run->planned_only ? "plan" : "compress", "input", run->source,
                  "windows", (json_int_t)r->plan.n_windows, "tokens", tokens_json(run), "ms",
                  "load", run->ms_load, "plan", r->ms_plan, "bind", r->ms_bind, "windows",
                  r->ms_windows, "write", run->ms_write, "total", run->ms_total, "flops", "model",
                  run->cli->model, "before", run->flops_before, "after", run->flops_after, "ratio",
                  ratio, "config", (json_t *)ozr_report_config_json(run->plugin, run->cfg),
                  "per_window", per_window(run));
    if (root && run->have_kv)
        json_object_set_new(root, "kv_bytes",
                            json_pack("{s:s, s:f, s:f}", "model", run->cli->model, "before",
                                      run->kv_before, "after", run->kv_after));
    if (root && !run->planned_only)
        json_object_set_new(root, "memory",
                            json_pack("{s:I}", "context_bytes", (json_int_t)run->context_bytes));
    return root;
}

int ozr_report_json(FILE *f, const struct ozr_run *run)
{
    json_t *root = ozr_report_json_object(run);
    if (!root) {
        ozr_cli_error("cannot build the JSON report (out of memory)");
        return OZ_EXIT_FAIL;
    }
    int bad = json_dumpf(root, f, JSON_INDENT(2)) != 0 || fputc('\n', f) == EOF || fflush(f) != 0;
    json_decref(root);
    if (bad) {
        ozr_cli_error("writing the JSON report to stdout failed");
        return OZ_EXIT_FAIL;
    }
    return OZ_EXIT_OK;
}
