/* cli_compare.c - `omnizip-run compare IN A B [--set k=v]... [--json]`: plans
 * IN with two profiles (files or task names; every --set applies to both)
 * and shows them side by side with the differences, B minus A. --json is
 * {"a": PLAN, "b": PLAN, "delta": ...}, PLAN being what `plan --json` prints. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* A side's config: defaults < its profile < every --set. */
static int side_config(const struct omnizip_plugin *p, const struct ozr_cli *cli, int i,
                       struct omnizip_config *cfg, char *name, size_t size)
{
    struct ozr_cli one = *cli;
    const char *arg = cli->side[i];
    int file = access(arg, R_OK) == 0 || strchr(arg, '/');
    one.profile = file ? arg : NULL;
    one.task = file ? NULL : arg;
    const char *base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
    snprintf(name, size, "%s", base);
    return ozr_cli_config(p, &one, cfg);
}

static int64_t kept(const struct omnizip_window_info *w, int video)
{
    return video ? w->video_kept : w->audio_kept;
}

/* B - A per window and in total; null where either side is not computed. */
static json_t *delta_json(const struct ozr_run *r[2])
{
    const struct omnizip_plan *a = &r[0]->report.plan, *b = &r[1]->report.plan;
    json_t *win = json_array();
    uint32_t n = r[0]->report.n_windows < r[1]->report.n_windows ? r[0]->report.n_windows
                                                                 : r[1]->report.n_windows;
    for (uint32_t i = 0; win && i < n; i++) {
        const struct omnizip_window_info *wa = &r[0]->report.windows[i];
        const struct omnizip_window_info *wb = &r[1]->report.windows[i];
        json_t *o = json_object();
        json_object_set_new(o, "index", json_integer(i));
        for (int v = 0; v < 2; v++) {
            int64_t x = kept(wa, v), y = kept(wb, v);
            json_object_set_new(o, v ? "video_kept" : "audio_kept",
                                x < 0 || y < 0 ? json_null() : json_integer(y - x));
        }
        json_object_set_new(o, "rate", json_real(wb->rate - wa->rate));
        json_array_append_new(win, o);
    }
    return json_pack("{s:{s:I, s:I, s:I}, s:{s:f}, s:{s:f}, s:o}", "tokens", "audio_kept",
                     (json_int_t)(b->audio_kept - a->audio_kept), "video_kept",
                     (json_int_t)(b->video_kept - a->video_kept), "kept",
                     (json_int_t)(r[1]->kept - r[0]->kept), "flops", "after",
                     r[1]->flops_after - r[0]->flops_after, "kv_bytes", "after",
                     r[1]->kv_after - r[0]->kv_after, "per_window", win);
}

static int print_json(const struct ozr_run *r[2])
{
    json_t *root = json_pack("{s:o, s:o, s:o}", "a", ozr_report_json_object(r[0]), "b",
                             ozr_report_json_object(r[1]), "delta", delta_json(r));
    if (!root) {
        ozr_cli_error("cannot build the JSON report (out of memory)");
        return OZ_EXIT_FAIL;
    }
    int bad = json_dumpf(root, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF;
    json_decref(root);
    return bad ? OZ_EXIT_FAIL : OZ_EXIT_OK;
}

static void cell(char *buf, size_t size, int64_t kept_, int64_t in)
{
    if (kept_ < 0)
        snprintf(buf, size, "-/%lld", (long long)in);
    else
        snprintf(buf, size, "%lld/%lld", (long long)kept_, (long long)in);
}

static void diff(char *buf, size_t size, int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        snprintf(buf, size, "-");
    else if (a == b)
        snprintf(buf, size, "=");
    else
        snprintf(buf, size, "%+lld", (long long)(b - a));
}

static void print_table(const struct ozr_run *r[2], char names[2][128])
{
    printf("%6s  %-27.27s  %-27.27s  %s\n", "", names[0], names[1], "B - A");
    printf("%6s  %13s %13s  %13s %13s  %6s %6s\n", "window", "audio kept/in", "video kept/in",
           "audio kept/in", "video kept/in", "audio", "video");
    uint32_t n = r[0]->report.n_windows < r[1]->report.n_windows ? r[0]->report.n_windows
                                                                 : r[1]->report.n_windows;
    for (uint32_t i = 0; i < n; i++) {
        const struct omnizip_window_info *w[2] = {&r[0]->report.windows[i],
                                                  &r[1]->report.windows[i]};
        char c[4][48], d[2][24];
        for (int s = 0; s < 2; s++) {
            cell(c[2 * s], sizeof c[0], w[s]->audio_kept, w[s]->audio_in);
            cell(c[2 * s + 1], sizeof c[0], w[s]->video_kept, w[s]->video_in);
        }
        diff(d[0], sizeof d[0], w[0]->audio_kept, w[1]->audio_kept);
        diff(d[1], sizeof d[1], w[0]->video_kept, w[1]->video_kept);
        printf("%6u  %13s %13s  %13s %13s  %6s %6s\n", i, c[0], c[1], c[2], c[3], d[0], d[1]);
    }
    for (int s = 0; s < 2; s++) {
        printf("%s (%s): ", s ? "B" : "A", names[s]);
        ozr_report_totals(stdout, r[s]);
    }
    const struct omnizip_plan *a = &r[0]->report.plan, *b = &r[1]->report.plan;
    printf("B - A: audio kept %+lld, video kept %+lld, sequence kept %+lld\n",
           (long long)(b->audio_kept - a->audio_kept), (long long)(b->video_kept - a->video_kept),
           (long long)(r[1]->kept - r[0]->kept));
}

int ozr_cli_compare(omnizip_shim *shim, const struct ozr_cli *cli)
{
    const struct omnizip_plugin *p = omnizip_shim_plugin(shim);
    struct omnizip_config cfg[2];
    char names[2][128];
    struct ozr_run runs[2];
    const struct ozr_run *r[2] = {&runs[0], &runs[1]};
    struct ozr_input in;
    memset(runs, 0, sizeof runs);
    int rc = side_config(p, cli, 0, &cfg[0], names[0], sizeof names[0]);
    if (rc == OZ_EXIT_OK)
        rc = side_config(p, cli, 1, &cfg[1], names[1], sizeof names[1]);
    if (rc == OZ_EXIT_OK)
        rc = ozr_cli_load(cli, &in);
    if (rc)
        return rc;
    rc = ozr_cli_plan(shim, cli, &cfg[0], &in, &runs[0]);
    if (rc == OZ_EXIT_OK)
        rc = ozr_cli_plan(shim, cli, &cfg[1], &in, &runs[1]);
    if (rc == OZ_EXIT_OK && cli->json)
        rc = print_json(r);
    else if (rc == OZ_EXIT_OK)
        print_table(r, names);
    ozr_run_free(&runs[0]);
    ozr_run_free(&runs[1]);
    ozr_cli_unload(&in);
    fflush(stdout);
    return rc;
}
