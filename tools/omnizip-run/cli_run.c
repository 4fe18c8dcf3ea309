/* cli_run.c - `omnizip-run compress` (a dump or the built-in clip) and
 * `omnizip-run plan`: load, drive the shim, write OUT atomically, report. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The window count the adapter will find: max(video runs, audio runs),
 * each a maximal run of consecutive positions (docs/ALGORITHM.md, stage 0). */
static uint32_t count_windows(const struct omnizip_sequence *s)
{
    uint32_t runs[3] = {0, 0, 0};
    int prev = 0;
    for (int64_t i = 0; i < s->length; i++) {
        int64_t id = s->input_ids[i];
        int kind = id == s->video_token_id ? 1 : id == s->audio_token_id ? 2 : 0;
        if (kind && kind != prev)
            runs[kind]++;
        prev = kind;
    }
    /* Several videos are split into clips (omnizip.clips/1): each clip has
     * at most its run count of windows, and a boundary between two adjacent
     * videos may split one run in two. */
    if (s->video_grids)
        return runs[1] + runs[2] + s->n_videos;
    return runs[1] > runs[2] ? runs[1] : runs[2];
}

/* What a failed shim call means for omnizip-run's exit code. */
static int status_exit(omnizip_status st)
{
    switch (st) {
    case OMNIZIP_E_INVALID:
    case OMNIZIP_E_UNSUPPORTED:
    case OMNIZIP_E_IO: return OZ_EXIT_INPUT;
    case OMNIZIP_E_PROFILE: return OZ_EXIT_PROFILE;
    default: return OZ_EXIT_FAIL;
    }
}

/* The model must be one of the plugin's presets (omnizip.cost/1). */
static int check_model(const struct omnizip_plugin *p, const char *model)
{
    const struct omnizip_cost_ext *cost = p->get_extension(OMNIZIP_EXT_COST);
    if (cost && cost->find(model))
        return OZ_EXIT_OK;
    char names[256] = "";
    const struct omnizip_model_preset *m;
    for (uint32_t i = 0, at = 0; cost && (m = cost->preset(i)) && at < sizeof names; i++)
        at += (uint32_t)snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "", m->name);
    ozr_cli_error("--model %s: unknown model preset (the plugin's: %s)", model, names);
    return OZ_EXIT_USAGE;
}

int ozr_cli_load(const struct ozr_cli *cli, struct ozr_input *in)
{
    char err[1024] = "";
    memset(in, 0, sizeof *in);
    if (!cli->input) {
        if (ozr_clip_build(&in->clip) != 0) {
            ozr_cli_error("out of memory building the built-in clip");
            return OZ_EXIT_FAIL;
        }
        in->seq = &in->clip.seq;
        return OZ_EXIT_OK;
    }
    omnizip_status st = omnizip_dump_load(cli->input, &in->dump, err, sizeof err);
    if (st != OMNIZIP_OK) {
        ozr_cli_error("%s", *err ? err : cli->input);
        return st == OMNIZIP_E_NOMEM ? OZ_EXIT_FAIL : OZ_EXIT_INPUT;
    }
    in->is_dump = 1;
    in->seq = &in->dump.seq;
    return OZ_EXIT_OK;
}

void ozr_cli_unload(struct ozr_input *in)
{
    if (in->is_dump)
        omnizip_dump_free(&in->dump);
    else if (in->seq)
        ozr_clip_free(&in->clip);
}

/* Eq. 9 and the KV cache over the media (audio + video) tokens, before and
 * after, from the plugin's model table. */
static void compute_flops(struct ozr_run *run)
{
    const struct omnizip_plan *p = &run->report.plan;
    int64_t before = p->audio_in + p->video_in, after = p->audio_kept + p->video_kept;
    run->plugin->prefill_flops(run->cli->model, before, OMNIZIP_COST_DECODE_TOKENS,
                               &run->flops_before);
    run->plugin->prefill_flops(run->cli->model, after, OMNIZIP_COST_DECODE_TOKENS,
                               &run->flops_after);
    const struct omnizip_cost_ext *cost = run->plugin->get_extension(OMNIZIP_EXT_COST);
    const struct omnizip_model_preset *m = cost ? cost->find(run->cli->model) : NULL;
    run->have_kv = m && cost->kv_bytes(m, before, &run->kv_before) == OMNIZIP_OK &&
                   cost->kv_bytes(m, after, &run->kv_after) == OMNIZIP_OK;
}

static int64_t count_audio(const struct omnizip_sequence *seq)
{
    int64_t n = 0;
    for (int64_t i = 0; i < seq->length; i++)
        n += seq->input_ids[i] == seq->audio_token_id;
    return n;
}

static int drive(omnizip_shim *shim, const struct ozr_cli *cli, struct ozr_input *in, uint8_t *keep,
                 struct ozr_run *run)
{
    char err[1024] = "";
    omnizip_status st;
    if (!in->seq->audio_scores && count_audio(in->seq) > 0 &&
        (!run->planned_only || run->cfg->normalize != OMNIZIP_NORMALIZE_EXACT)) {
        ozr_cli_error("%s: no audio_scores: %s", cli->input ? cli->input : "built-in clip",
                      run->planned_only ? "plan gives the totals without them only with --set "
                                          "normalize=exact (the placeholder size)"
                                        : "compress needs them");
        return OZ_EXIT_INPUT;
    }
    if (run->planned_only) {
        st = omnizip_shim_plan(shim, run->cfg, in->seq, &run->report, err, sizeof err);
    } else {
        struct ozr_watch watch;
        memset(&watch, 0, sizeof watch);
        watch.live = cli->live;
        watch.pace_ms = cli->pace_ms;
        watch.progress = !cli->json && !cli->live && isatty(STDERR_FILENO);
        int rc = ozr_trace_open(&watch, cli->trace, run, run->report.capacity);
        if (rc)
            return rc;
        in->seq->keep_mask = keep;
        /* The context's heap: sampled after every window (the shim
         * destroys the context before it returns). */
        size_t base = ozr_heap_in_use();
        watch.heap_peak = base;
        st = omnizip_shim_compress(shim, run->cfg, in->seq, ozr_watch_window, &watch, &run->report,
                                   err, sizeof err);
        run->context_bytes = (int64_t)(watch.heap_peak - base);
        ozr_watch_done(&watch);
        if (st == OMNIZIP_OK) {
            compute_flops(run);
            ozr_trace_summary(&watch, run);
        }
        rc = ozr_trace_close(&watch, st == OMNIZIP_OK);
        if (st == OMNIZIP_OK && rc)
            return rc;
    }
    if (st != OMNIZIP_OK) {
        const char *what = cli->input ? cli->input : "built-in clip";
        if (strstr(err, what))
            ozr_cli_error("%s", err);
        else
            ozr_cli_error("%s: %s", what, *err ? err : run->plugin->status_str(st));
        return status_exit(st);
    }
    return OZ_EXIT_OK;
}

static void count_kept(struct ozr_run *run, const uint8_t *keep)
{
    const struct omnizip_plan *p = &run->report.plan;
    if (run->planned_only) {
        run->kept = run->length - p->audio_in - p->video_in + p->audio_kept + p->video_kept;
        compute_flops(run);
        return;
    }
    run->kept = 0;
    for (int64_t i = 0; i < run->length; i++)
        run->kept += keep[i] != 0;
}

static int write_out(const struct ozr_cli *cli, struct ozr_input *in, const uint8_t *keep,
                     struct ozr_run *run)
{
    char err[1024] = "";
    double t = ozc_now_ms();
    /* A signal now would leave the temp file: it waits until the file is
     * complete and renamed, or removed. */
    ozr_cli_signals_hold(1);
    omnizip_status st = omnizip_dump_write(&in->dump, keep, &run->report, cli->output, err,
                                           sizeof err);
    ozr_cli_signals_hold(0);
    run->ms_write = ozc_now_ms() - t;
    if (st != OMNIZIP_OK) {
        if (strstr(err, cli->output))
            ozr_cli_error("%s", err);
        else
            ozr_cli_error("%s: %s", cli->output, *err ? err : "write failed");
        return OZ_EXIT_FAIL;
    }
    return OZ_EXIT_OK;
}

static void print_human(const struct ozr_cli *cli, const struct ozr_run *run)
{
    uint32_t n = run->report.n_windows < run->report.capacity ? run->report.n_windows
                                                              : run->report.capacity;
    if (n == 0 && run->report.plan.n_windows > 0) {
        printf("no audio scores: the totals alone (normalize: exact), per-window counts need "
               "the scores\n");
    } else if (!cli->input || run->planned_only || n <= 64) {
        if (!cli->live) {
            ozr_report_table_head(stdout);
            for (uint32_t i = 0; i < n; i++)
                ozr_report_row(stdout, &run->report.windows[i], run->planned_only);
        }
    }
    ozr_report_totals(stdout, run);
    if (cli->output)
        printf("wrote %s (%lld of %lld rows)\n", cli->output, (long long)run->kept,
               (long long)run->length);
    fflush(stdout);
}

int ozr_cli_plan(omnizip_shim *shim, const struct ozr_cli *cli, const struct omnizip_config *cfg,
                 struct ozr_input *in, struct ozr_run *run)
{
    memset(run, 0, sizeof *run);
    run->cli = cli;
    run->plugin = omnizip_shim_plugin(shim);
    run->cfg = cfg;
    run->planned_only = 1;
    run->source = cli->input ? cli->input : "builtin";
    run->length = in->seq->length;
    uint32_t n_windows = count_windows(in->seq);
    run->report.windows = calloc(n_windows ? n_windows : 1, sizeof *run->report.windows);
    run->report.capacity = n_windows;
    if (!run->report.windows) {
        ozr_cli_error("out of memory");
        return OZ_EXIT_FAIL;
    }
    double t0 = ozc_now_ms();
    int rc = drive(shim, cli, in, NULL, run);
    if (rc == OZ_EXIT_OK)
        count_kept(run, NULL);
    run->ms_total = ozc_now_ms() - t0;
    return rc;
}

void ozr_run_free(struct ozr_run *run)
{
    omnizip_run_report_release(&run->report);
    free(run->report.windows);
    run->report.windows = NULL;
}

int ozr_cli_run(omnizip_shim *shim, const struct ozr_cli *cli, const struct omnizip_config *cfg)
{
    struct ozr_run run;
    struct ozr_input in;
    memset(&run, 0, sizeof run);
    run.cli = cli;
    run.plugin = omnizip_shim_plugin(shim);
    run.cfg = cfg;
    run.planned_only = cli->cmd == OZ_CMD_PLAN;
    run.source = cli->input ? cli->input : "builtin";
    double t0 = ozc_now_ms();
    int rc = check_model(run.plugin, cli->model);
    if (rc == OZ_EXIT_OK)
        rc = ozr_cli_check_paths(cli);
    if (rc)
        return rc;
    rc = ozr_cli_load(cli, &in);
    if (rc)
        return rc;
    run.ms_load = ozc_now_ms() - t0;
    run.length = in.seq->length;
    uint32_t n_windows = count_windows(in.seq);
    run.report.windows = calloc(n_windows ? n_windows : 1, sizeof *run.report.windows);
    run.report.capacity = n_windows;
    uint8_t *keep = malloc(run.length > 0 ? (size_t)run.length : 1);
    if (!run.report.windows || !keep) {
        ozr_cli_error("out of memory");
        rc = OZ_EXIT_FAIL;
    }
    if (rc == OZ_EXIT_OK)
        rc = drive(shim, cli, &in, keep, &run);
    if (rc == OZ_EXIT_OK)
        count_kept(&run, keep);
    if (rc == OZ_EXIT_OK && cli->output)
        rc = write_out(cli, &in, keep, &run);
    run.ms_total = ozc_now_ms() - t0;
    if (rc == OZ_EXIT_OK) {
        if (cli->json)
            rc = ozr_report_json(stdout, &run);
        else
            print_human(cli, &run);
    }
    omnizip_run_report_release(&run.report);
    free(run.report.windows);
    free(keep);
    ozr_cli_unload(&in);
    return rc;
}
