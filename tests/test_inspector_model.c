/*
 * The inspector's UI-free model on recorded traces (tests/traces/, written
 * by omnizip-run --trace), its layout arithmetic, and the --dump / --svg
 * outputs of the real binary.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "draw.h"
#include "frame.h"
#include "model.h"
#include "plugin_link.h"
#include "trace.h"

static const char *build(void)
{
    const char *b = getenv("OMNIZIP_BUILD");
    return b && b[0] ? b : "build";
}

/* The real plugin's omnizip.cost/1, loaded once through the shim. */
static const struct omnizip_cost_ext *cost(void)
{
    static struct ozi_link e;
    if (!e.plugin) {
        char path[512];
        snprintf(path, sizeof(path), "%s/libomnizip.so", build());
        ozi_link_open(&e, path);
    }
    cr_assert_not_null(ozi_link_cost(&e), "%s", e.why);
    return ozi_link_cost(&e);
}

static void load(struct ozi_model *m, const char *path)
{
    char err[512];
    ozi_model_init(m, OZ_MODE_REPLAY);
    m->cost = cost();
    cr_assert_eq(ozi_trace_load(m, path, err, sizeof(err)), 0, "%s", err);
    m->n_shown = m->n_rec;
}

Test(model, eq9_matches_the_paper)
{
    const struct omnizip_cost_ext *c = cost();
    const struct omnizip_model_preset *b7 = c->find("qwen2.5-omni-7b");
    const struct omnizip_model_preset *b3 = c->find("qwen2.5-omni-3b");
    cr_assert(b7 && b3);
    /* docs/ALGORITHM.md: n = 10,000 gives 73.2 / 37.4 TFLOPs, 45% kept 28.3 / 13.3. */
    double f[6];
    c->flops(b7, 10000, 100, &f[0]);
    c->flops(b3, 10000, 100, &f[1]);
    c->flops(b7, 4500, 100, &f[2]);
    c->flops(b3, 4500, 100, &f[3]);
    c->kv_bytes(b7, 1, &f[4]);
    c->kv_bytes(b3, 1, &f[5]);
    cr_expect_eq(round(f[0] / 1e11), 732);
    cr_expect_eq(round(f[1] / 1e11), 374);
    cr_expect_eq(round(f[2] / 1e11), 283);
    cr_expect_eq(round(f[3] / 1e11), 133);
    cr_expect_eq(f[4], 2.0 * 28 * 4 * 128 * 2);
    cr_expect_eq(f[5], 2.0 * 36 * 2 * 128 * 2);
    cr_expect_null(c->find("gpt-9"));
}

/* The totals the writer put in the trace's summary line, read apart from
 * the model's reader. */
static void summary_of(const char *path, json_int_t out[4])
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[4096];
    json_t *s = NULL;
    while (fgets(line, sizeof(line), f)) {
        json_t *o = json_loads(line, 0, NULL);
        if (o && strcmp(json_string_value(json_object_get(o, "type")), "summary") == 0)
            s = json_incref(o);
        json_decref(o);
    }
    fclose(f);
    cr_assert_not_null(s, "no summary in %s", path);
    const char *keys[] = {"audio_in", "audio_kept", "video_in", "video_kept"};
    for (int i = 0; i < 4; i++)
        out[i] = json_integer_value(json_object_get(s, keys[i]));
    json_decref(s);
}

Test(model, totals_equal_the_trace_summary)
{
    struct ozi_model m;
    load(&m, "tests/traces/ten.jsonl");
    cr_expect_eq(m.n_rec, 10u);
    cr_expect_eq(m.n_planned, 10u);
    cr_expect_eq(m.n_messages, 0u);
    cr_expect(m.ended);
    cr_expect_eq(m.rho_video, 0.6);
    cr_expect_eq(m.g, 3);
    json_int_t want[4];
    summary_of("tests/traces/ten.jsonl", want);
    struct ozi_totals t;
    ozi_model_totals(&m, &t);
    cr_expect_eq(t.audio_in, want[0]);
    cr_expect_eq(t.audio_kept, want[1]);
    cr_expect_eq(t.video_in, want[2]);
    cr_expect_eq(t.video_kept, want[3]);
    double kept = (double)(want[1] + want[3]) / (double)(want[0] + want[2]);
    cr_expect_float_eq(t.kept_pct, 100 * kept, 1e-9);
    cr_expect(t.have_flops);
    cr_expect_float_eq(t.kv_saved,
                       (double)(want[0] + want[2] - want[1] - want[3]) * 2 * 28 * 4 * 128 * 2,
                       1e-6);
    /* Only the shown records count. */
    m.n_shown = 0;
    ozi_model_totals(&m, &t);
    cr_expect_eq(t.audio_in, 0);
    ozi_model_free(&m);
}

Test(model, truncated_last_line_reported_rest_shown)
{
    struct ozi_model m;
    load(&m, "tests/traces/truncated.jsonl");
    cr_expect_eq(m.n_rec, 8u, "the 8 complete windows are kept");
    cr_expect_eq(m.n_messages, 1u);
    cr_expect_eq(strncmp(ozi_model_last_message(&m), "line 10: bad record", 19), 0, "%s",
                 ozi_model_last_message(&m));
    cr_expect_not(m.ended, "no summary: the run did not complete");
    ozi_model_free(&m);
}

Test(model, garbage_lines_each_reported)
{
    struct ozi_model m;
    load(&m, "tests/traces/garbage.jsonl");
    cr_expect_eq(m.n_rec, 2u, "two good windows among the garbage");
    cr_expect_eq(m.rec[0].index, 0u);
    cr_expect_eq(m.rec[1].index, 1u);
    cr_expect_eq(m.n_messages, 9u, "last: %s", ozi_model_last_message(&m));
    cr_expect_eq(strncmp(ozi_model_last_message(&m), "line 13: bad record", 19), 0);
    ozi_model_free(&m);
}

Test(model, missing_file_is_an_error)
{
    struct ozi_model m;
    char err[256];
    ozi_model_init(&m, OZ_MODE_REPLAY);
    cr_expect_eq(ozi_trace_load(&m, "tests/traces/absent.jsonl", err, sizeof(err)), -1);
    cr_expect(strstr(err, "tests/traces/absent.jsonl") != NULL, "%s", err);
    ozi_model_free(&m);
}

Test(model, corpus_never_crashes)
{
    DIR *d = opendir("tests/corpus/trace");
    cr_assert_not_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[512], err[512];
        snprintf(path, sizeof(path), "tests/corpus/trace/%s", e->d_name);
        struct ozi_model m;
        ozi_model_init(&m, OZ_MODE_REPLAY);
        cr_expect_eq(ozi_trace_load(&m, path, err, sizeof(err)), 0, "%s", err);
        for (size_t i = 0; i < m.n_rec; i++)
            cr_expect(m.rec[i].audio_kept <= m.rec[i].audio_in, "%s", path);
        ozi_model_free(&m);
        files++;
    }
    closedir(d);
    cr_expect_gt(files, 5);
}

Test(model, bar_lengths)
{
    cr_expect_eq(ozi_bar_cells(0.5, 10), 5);
    cr_expect_eq(ozi_bar_cells(0.76, 34), 26);
    cr_expect_eq(ozi_bar_cells(1.0, 10), 10);
    cr_expect_eq(ozi_bar_cells(0, 10), 0);
    cr_expect_eq(ozi_bar_cells(-1, 10), 0);
    cr_expect_eq(ozi_bar_cells(7, 10), 10);
    cr_expect_eq(ozi_bar_cells(NAN, 10), 0);
    cr_expect_eq(ozi_bar_cells(0.5, 0), 0);
    cr_expect_eq(ozi_bar_eighths(0.5, 3), 12);
    cr_expect_eq(ozi_bar_eighths(1.0 / 24, 3), 1);
    cr_expect_eq(ozi_bar_mark(0.35, 30), 10);
    cr_expect_eq(ozi_bar_mark(1.0, 30), 29);
    cr_expect_eq(ozi_spark_level(0), 0);
    cr_expect_eq(ozi_spark_level(1), 7);
    cr_expect_eq(ozi_spark_level(0.5), 4);
}

Test(model, rows_that_fit)
{
    struct ozi_model m;
    load(&m, "tests/traces/sixty.jsonl");
    struct ozi_layout l;
    ozi_layout_compute(&l, &m, 120, 40);
    cr_expect(l.ok);
    cr_expect_eq(l.history_y, 3, "history strip when there is room");
    cr_expect_eq(l.table_rows, 40 - 6 - 2);
    cr_expect(l.values && l.video_col);
    /* marker, index, space, kept/in, space, [bar], space, [bar], 2 values, video */
    cr_expect_eq(1 + 4 + 1 + (2 * l.audio_w + 1) + 1 + (l.sa_w + 2) + 1 + (l.rate_w + 2) + 10 +
                     (1 + 2 * l.video_w + 1),
                 120, "the row uses the width exactly");
    ozi_layout_compute(&l, &m, 80, 24);
    cr_expect_eq(l.table_rows, 24 - 6 - 2);
    ozi_layout_compute(&l, &m, 40, 10);
    cr_expect(l.ok);
    cr_expect_eq(l.history_y, -1);
    cr_expect_eq(l.table_rows, 10 - 4 - 2);
    cr_expect_gt(l.sa_w, 0);
    m.detail = 1;
    ozi_layout_compute(&l, &m, 120, 40);
    cr_expect_eq(l.detail_h, 6);
    cr_expect_eq(l.table_rows, 40 - 6 - 2 - 6);
    ozi_layout_compute(&l, &m, 39, 40);
    cr_expect_not(l.ok);
    ozi_layout_compute(&l, &m, 120, 9);
    cr_expect_not(l.ok);
    ozi_model_free(&m);
}

Test(model, selection_and_scroll)
{
    struct ozi_model m;
    load(&m, "tests/traces/sixty.jsonl");
    cr_assert_eq(m.n_rec, 60u);
    ozi_view_fit(&m, 10);
    cr_expect_eq(m.sel, 59u, "follow pins the newest");
    cr_expect_eq(m.top, 50u);
    ozi_view_move(&m, -20);
    ozi_view_fit(&m, 10);
    cr_expect_not(m.follow);
    cr_expect_eq(m.sel, 39u);
    cr_expect_eq(m.top, 39u);
    ozi_view_move(&m, -1000);
    ozi_view_fit(&m, 10);
    cr_expect_eq(m.sel, 0u);
    cr_expect_eq(m.top, 0u);
    ozi_view_move(&m, 12);
    ozi_view_fit(&m, 10);
    cr_expect_eq(m.top, 3u, "scrolls just enough");
    m.n_shown = 5; /* replay stepped back */
    ozi_view_fit(&m, 10);
    cr_expect_eq(m.sel, 4u);
    cr_expect_eq(m.top, 0u);
    ozi_model_free(&m);
}

/* A click selects the window drawn on that line, only on table lines. */
Test(model, click_selects_the_row_under_it)
{
    struct ozi_model m;
    load(&m, "tests/traces/sixty.jsonl");
    struct ozi_layout l;
    ozi_layout_compute(&l, &m, 120, 40);
    ozi_view_fit(&m, l.table_rows);
    cr_assert(l.ok && l.table_rows > 3);
    cr_expect_eq(ozi_view_click(&m, &l, l.table_y + 2), 1);
    cr_expect_eq(m.sel, m.top + 2);
    cr_expect_not(m.follow);
    size_t sel = m.sel;
    cr_expect_eq(ozi_view_click(&m, &l, l.table_y - 1), 0, "a header line selects nothing");
    cr_expect_eq(ozi_view_click(&m, &l, l.table_y + l.table_rows), 0);
    cr_expect_eq(m.sel, sel);
    ozi_model_free(&m);
}

/* Runs the real binary; returns its exit code, stdout into out. */
static int inspect(const char *args, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "LC_ALL=C NO_COLOR=1 %s/omnizip-inspect %s 2>&1", build(), args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(inspect_dump, golden_ten_windows_120x40)
{
    static char out[1 << 16];
    cr_assert_eq(inspect("--replay tests/traces/ten.jsonl --dump", out, sizeof(out)), 0, "%s", out);
    cr_expect_str_eq(out, slurp("tests/traces/ten.expected"));
    int lines = 0, rows = 0;
    for (char *s = out; *s; s++)
        lines += *s == '\n';
    cr_expect_eq(lines, 40);
    cr_expect_eq(strncmp(out, "omnizip-inspect  replay tests/traces/ten.jsonl", 46), 0);
    for (int i = 0; i < 10; i++) {
        char want[16];
        snprintf(want, sizeof(want), "\n %4d ", i);
        char want_sel[16];
        snprintf(want_sel, sizeof(want_sel), "\n>%4d ", i);
        rows += strstr(out, want) != NULL || strstr(out, want_sel) != NULL;
    }
    cr_expect_eq(rows, 10, "one row per window");
    cr_expect(strstr(out, "F1 Help") && strstr(out, "F10 Quit"), "function-key bar");
}

Test(inspect_dump, fits_80x24_and_reports_bad_lines)
{
    static char out[1 << 16];
    cr_assert_eq(inspect("--replay tests/traces/truncated.jsonl --dump --width 80 --height 24", out,
                         sizeof(out)),
                 0, "%s", out);
    int lines = 0, longest = 0, cur = 0;
    for (char *s = out; *s; s++) {
        if (*s == '\n') {
            lines++;
            longest = cur > longest ? cur : longest;
            cur = 0;
        } else {
            cur++;
        }
    }
    cr_expect_eq(lines, 24);
    cr_expect_leq(longest, 80);
    cr_expect(strstr(out, "line 10: bad record") != NULL, "%s", out);
}

Test(inspect_dump, too_small)
{
    static char out[4096];
    cr_assert_eq(inspect("--replay tests/traces/ten.jsonl --dump --width 30 --height 8", out,
                         sizeof(out)),
                 0);
    cr_expect(strstr(out, "terminal too small") != NULL, "%s", out);
    cr_expect(strstr(out, "(need 40x10)") != NULL, "%s", out);
}

Test(inspect_cli, exit_codes)
{
    static char out[8192];
    cr_expect_eq(inspect("--replay tests/traces/absent.jsonl --dump", out, sizeof(out)), 3);
    cr_expect(strstr(out, "absent.jsonl") != NULL, "%s", out);
    cr_expect_eq(inspect("--bogus", out, sizeof(out)), 2);
    cr_expect_eq(inspect("--replay tests/traces/ten.jsonl --model gpt-9 --dump", out, sizeof(out)),
                 2);
    cr_expect(strstr(out, "qwen2.5-omni-7b") != NULL, "names the known presets: %s", out);
    cr_expect_eq(inspect("--replay a --attach", out, sizeof(out)), 2);
    cr_expect_eq(inspect("--help", out, sizeof(out)), 0);
}

Test(inspect_cli, model_preset_changes_figures)
{
    static char a[1 << 16], b[1 << 16];
    cr_assert_eq(inspect("--replay tests/traces/ten.jsonl --dump", a, sizeof(a)), 0);
    cr_assert_eq(inspect("--replay tests/traces/ten.jsonl --dump --model qwen2.5-omni-3b", b,
                         sizeof(b)),
                 0);
    cr_expect(strstr(b, "qwen2.5-omni-3b") != NULL);
    /* 3B: 36 layers x 2 KV heads vs 28 x 4: 72/112 of the 7B's KV bytes. */
    cr_expect(strstr(a, "KV saved 31.1 MiB") != NULL, "%s", a);
    cr_expect(strstr(b, "KV saved 20.0 MiB") != NULL, "%s", b);
}

Test(svg, written_atomically_and_readable)
{
    char dir[] = "/tmp/oz_svg_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char args[512], path[256];
    snprintf(path, sizeof(path), "%s/plot.svg", dir);
    snprintf(args, sizeof(args), "--replay tests/traces/ten.jsonl --svg %s", path);
    static char out[4096];
    cr_assert_eq(inspect(args, out, sizeof(out)), 0, "%s", out);
    char *svg = slurp(path);
    int circles = 0, squares = 0;
    for (char *s = svg; (s = strstr(s, "<circle")); s++)
        circles++;
    for (char *s = svg; (s = strstr(s, "<rect x=")); s++)
        squares++;
    cr_expect(strstr(svg, "<svg") && strstr(svg, "</svg>"));
    cr_expect_eq(circles, 10, "one S_a marker per guided window");
    cr_expect_geq(squares, 10, "one rate marker per window");
    cr_expect(strstr(svg, "rho_min 0.35") && strstr(svg, "rho_max 0.75"));
    DIR *d = opendir(dir);
    int entries = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        entries += e->d_name[0] != '.';
    closedir(d);
    cr_expect_eq(entries, 1, "no temp file left");
    unlink(path);
    snprintf(args, sizeof(args), "--replay tests/traces/ten.jsonl --svg %s/no/such/plot.svg", dir);
    cr_expect_eq(inspect(args, out, sizeof(out)), 1);
    cr_expect(strstr(out, "no/such/plot.svg") != NULL, "%s", out);
    rmdir(dir);
}

Test(model, overlong_line_skipped_not_buffered)
{
    char path[] = "/tmp/oz_long_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    /* 3 MB of one line, then a good window. */
    for (int i = 0; i < 3 << 20; i++)
        fputc('x', f);
    fputs("\n{\"type\":\"window\",\"index\":0,\"audio_in\":50,\"audio_kept\":38,\"video_in\":72,"
          "\"video_kept\":24,\"s_a\":0.76,\"rate\":0.6}\n",
          f);
    fclose(f);
    struct ozi_model m;
    load(&m, path);
    unlink(path);
    cr_expect_eq(m.n_rec, 1u);
    cr_expect_eq(m.lines_used, 1u);
    cr_expect(strstr(m.messages[0], "line 1: bad record: line longer than") != NULL, "%s",
              m.messages[0]);
    ozi_model_free(&m);
}

Test(model, hostile_records_refused_and_totals_saturate)
{
    struct omnizip_window_info w;
    memset(&w, 0, sizeof(w));
    w.struct_size = sizeof(w);
    w.audio_in = w.audio_kept = w.video_in = w.video_kept = OZ_COUNT_MAX;
    w.s_a = w.rate = 0.5;
    char why[120];
    cr_expect_eq(ozi_record_check(&w, why, sizeof(why)), 0, "%s", why);
    struct omnizip_window_info bad = w;
    bad.audio_in = INT64_MAX;
    cr_expect_eq(ozi_record_check(&bad, why, sizeof(why)), -1);
    bad = w;
    bad.video_kept = -1;
    cr_expect_eq(ozi_record_check(&bad, why, sizeof(why)), -1);
    bad = w;
    bad.audio_anchors = 1;
    bad.audio_kept = 0;
    cr_expect_eq(ozi_record_check(&bad, why, sizeof(why)), -1);
    bad = w;
    bad.rate = NAN;
    cr_expect_eq(ozi_record_check(&bad, why, sizeof(why)), -1);
    bad = w;
    bad.flops = -1;
    cr_expect_eq(ozi_record_check(&bad, why, sizeof(why)), -1);
    bad = w;
    bad.guided = 7;
    cr_expect_eq(ozi_record_check(&bad, why, sizeof(why)), -1);
    /* 2^14 records of 2^50 tokens each: 2^64, past INT64_MAX. */
    struct ozi_model m;
    ozi_model_init(&m, OZ_MODE_LIVE);
    for (int i = 0; i < 1 << 14; i++)
        cr_assert_eq(ozi_model_add(&m, &w), 0);
    m.n_shown = m.n_rec;
    struct ozi_totals t;
    ozi_model_totals(&m, &t);
    cr_expect_eq(t.audio_in, INT64_MAX);
    cr_expect_eq(t.video_kept, INT64_MAX);
    cr_expect(t.kept_pct >= 0 && t.kept_pct <= 100, "%g", t.kept_pct);
    ozi_model_free(&m);
}

/* A streaming session gets a budget line: the cumulative kept fractions of
 * the records so far, each against its controller's target. */
Test(model, streaming_session_shows_the_budget_line)
{
    struct ozi_model m;
    ozi_model_init(&m, OZ_MODE_LIVE);
    m.streaming = 1;
    m.audio_target = 0.55;
    m.video_target = 0.4;
    struct omnizip_window_info w = {.struct_size = sizeof w,
                                    .audio_in = 50,
                                    .audio_kept = 28,
                                    .video_in = 288,
                                    .video_kept = 115,
                                    .rate = 0.6,
                                    .guided = 1};
    for (int i = 0; i < 3; i++) {
        w.index = (uint32_t)i;
        cr_assert_eq(ozi_model_add(&m, &w), 0);
    }
    m.n_shown = m.n_rec;
    struct ozi_layout l;
    ozi_layout_compute(&l, &m, 120, 30);
    cr_assert(l.budget_y >= 0 && l.budget_y < l.head_y);
    struct ozi_frame f = {0};
    cr_assert_eq(ozi_frame_resize(&f, 120, 30), 0);
    ozi_draw(&f, &m, &l, &ozi_glyphs_ascii, NULL);
    char line[121];
    for (int x = 0; x < 120; x++)
        line[x] = f.ch[l.budget_y * 120 + x] < 128 ? (char)f.ch[l.budget_y * 120 + x] : '?';
    line[120] = 0;
    cr_assert(strstr(line, "budget") && strstr(line, "audio  56.0%") &&
                  strstr(line, "target 55.0%") && strstr(line, "video  39.9%") &&
                  strstr(line, "target 40.0%"),
              "%s", line);
    /* Narrow: the figures alone, whole. */
    ozi_layout_compute(&l, &m, 60, 30);
    cr_assert_eq(ozi_frame_resize(&f, 60, 30), 0);
    ozi_draw(&f, &m, &l, &ozi_glyphs_ascii, NULL);
    for (int x = 0; x < 60; x++)
        line[x] = f.ch[l.budget_y * 60 + x] < 128 ? (char)f.ch[l.budget_y * 60 + x] : '?';
    line[60] = 0;
    cr_assert(strstr(line, "budget audio 56.0/55.0%  video 39.9/40.0%"), "%s", line);
    m.streaming = 0;
    ozi_layout_compute(&l, &m, 120, 30);
    cr_assert_eq(l.budget_y, -1);
    ozi_frame_free(&f);
    ozi_model_free(&m);
}
