/* test_cli.c - the real omnizip-run binary ($OMNIZIP_BUILD/omnizip-run) with
 * the real plugin: golden files, plan vs compress, --json, --trace, the
 * built-in clip, streaming, profile check/show (refusals and exit codes are
 * in test_cli_errors.c). Outputs are read back with the shim's safetensors
 * reader. */
#include "cli_harness.h"

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 120);

static const char *const param_keys[] = {"rho_audio", "rho_video", "g",    "contextual_ratio",
                                         "rho_min",   "rho_max",   "dpc_k"};
#define N_PARAMS (sizeof param_keys / sizeof param_keys[0])

/* The file's parameters as "--set k=v" arguments appended to args at *n. */
static void param_sets(ozs_st_file *f, const char **args, int *n, char sets[][96])
{
    for (size_t k = 0; k < N_PARAMS; k++) {
        const char *v = ozs_st_meta(f, param_keys[k]);
        if (!v)
            continue;
        snprintf(sets[k], 96, "%s=%s", param_keys[k], v);
        args[(*n)++] = "--set";
        args[(*n)++] = sets[k];
    }
}

static struct result run_case(const char *cmd, const char *in, const char *out, const char *extra)
{
    ozs_st_file *f = st_open(in);
    const char *args[40];
    char sets[N_PARAMS][96];
    int n = 0;
    args[n++] = cmd;
    args[n++] = in;
    if (out) {
        args[n++] = "-o";
        args[n++] = out;
    }
    param_sets(f, args, &n, sets);
    if (extra)
        args[n++] = extra;
    args[n] = NULL;
    struct result r = run_args(args);
    ozs_st_close(f);
    return r;
}

static void check_golden(const char *name)
{
    char in[256];
    snprintf(in, sizeof in, "tests/data/%s.safetensors", name);
    const char *out = tpath("out.safetensors");
    struct result r = run_case("compress", in, out, NULL);
    cr_assert_eq(r.code, 0, "%s: exit %d: %s", name, r.code, r.err);
    result_free(&r);

    ozs_st_file *want = st_open(in), *got = st_open(out);
    const struct ozs_st_tensor *ek = tensor(want, "expected_keep", OZ_ST_BOOL);
    const struct ozs_st_tensor *gk = tensor(got, "keep_mask", OZ_ST_BOOL);
    cr_assert_eq(gk->count, ek->count);
    const uint8_t *ekd = ek->data, *gkd = gk->data;
    int64_t kept = 0;
    for (int64_t i = 0; i < ek->count; i++) {
        cr_assert_eq(gkd[i] != 0, ekd[i] != 0, "%s: keep_mask[%lld]", name, (long long)i);
        kept += ekd[i] != 0;
    }

    const struct ozs_st_tensor *ee = tensor(want, "expected_embeds", OZ_ST_F32);
    const struct ozs_st_tensor *ge = tensor(got, "inputs_embeds", OZ_ST_F32);
    int64_t D = ee->shape[1];
    cr_assert_eq(ge->count, kept * D, "%s: inputs_embeds holds %lld values", name,
                 (long long)ge->count);
    const float *eed = ee->data, *ged = ge->data;
    const int64_t *ids = tensor(want, "input_ids", OZ_ST_I64)->data;
    const struct ozs_st_tensor *gi = tensor(got, "input_ids", OZ_ST_I64);
    const int64_t *gid = gi->data;
    cr_assert_eq(gi->count, kept);
    for (int64_t i = 0, row = 0; i < ek->count; i++) {
        if (!ekd[i])
            continue;
        cr_assert_eq(gid[row], ids[i], "%s: input_ids[%lld]", name, (long long)row);
        for (int64_t d = 0; d < D; d++) {
            float w = eed[i * D + d], g = ged[row * D + d];
            cr_assert(fabsf(g - w) <= 1e-5f * fmaxf(1.0f, fabsf(w)),
                      "%s: row %lld (seq %lld) col %lld: got %.9g want %.9g", name, (long long)row,
                      (long long)i, (long long)d, g, w);
        }
        row++;
    }

    const struct ozs_st_tensor *ea = tensor(want, "expected_audio_retention", OZ_ST_F32);
    const struct ozs_st_tensor *ga = tensor(got, "window_audio_retention", OZ_ST_F32);
    cr_assert_eq(ga->count, ea->count, "%s: %lld audio retentions", name, (long long)ga->count);
    for (int64_t i = 0; i < ea->count; i++)
        cr_assert_eq(((const float *)ga->data)[i], ((const float *)ea->data)[i],
                     "%s: audio retention %lld", name, (long long)i);
    const struct ozs_st_tensor *ev = tensor(want, "expected_video_rates", OZ_ST_F64);
    const struct ozs_st_tensor *gv = tensor(got, "window_video_rate", OZ_ST_F64);
    cr_assert_eq(gv->count, ev->count, "%s: %lld video rates", name, (long long)gv->count);
    for (int64_t i = 0; i < ev->count; i++)
        cr_assert_eq(((const double *)gv->data)[i], ((const double *)ev->data)[i],
                     "%s: video rate %lld: %.17g vs %.17g", name, (long long)i,
                     ((const double *)gv->data)[i], ((const double *)ev->data)[i]);
    ozs_st_close(want);
    ozs_st_close(got);
}

#define GOLDEN(name)         \
    Test(cli, golden_##name) \
    {                        \
        check_golden(#name); \
    }
GOLDEN(audio_only)
GOLDEN(balanced50)
GOLDEN(basic)
GOLDEN(paper35_g15)
GOLDEN(paper45)
GOLDEN(three_frames)
GOLDEN(two_windows_g0)
GOLDEN(unguided_tail_ragged)
GOLDEN(video_only)

Test(cli, plan_counts_equal_compress_and_json_matches_output)
{
    const char *in = "tests/data/paper45.safetensors", *out = tpath("out.safetensors");
    struct result c = run_case("compress", in, out, "--json");
    cr_assert_eq(c.code, 0, "%s", c.err);
    struct result p = run_case("plan", in, NULL, "--json");
    cr_assert_eq(p.code, 0, "%s", p.err);
    json_t *cj = parse_json(c.out), *pj = parse_json(p.out);

    json_t *ct = jobj(cj, "tokens"), *pt = jobj(pj, "tokens");
    const char *mods[] = {"audio", "video", "total"};
    for (int m = 0; m < 3; m++) {
        cr_assert_eq(jint(jobj(ct, mods[m]), "in"), jint(jobj(pt, mods[m]), "in"));
        cr_assert_eq(jint(jobj(ct, mods[m]), "kept"), jint(jobj(pt, mods[m]), "kept"),
                     "%s kept differs between plan and compress", mods[m]);
    }
    json_t *cw = jobj(cj, "per_window"), *pw = jobj(pj, "per_window");
    cr_assert_eq(json_array_size(cw), (size_t)jint(cj, "windows"));
    cr_assert_eq(json_array_size(cw), json_array_size(pw));
    json_int_t audio_kept = 0, video_kept = 0;
    for (size_t i = 0; i < json_array_size(cw); i++) {
        json_t *a = json_array_get(cw, i), *b = json_array_get(pw, i);
        cr_assert_eq(jint(a, "index"), (json_int_t)i);
        cr_assert_eq(jint(a, "audio_kept"), jint(b, "audio_kept"), "window %zu", i);
        cr_assert_eq(jint(a, "video_kept"), jint(b, "video_kept"), "window %zu", i);
        cr_assert_eq(jint(a, "anchors"), jint(b, "anchors"), "window %zu", i);
        audio_kept += jint(a, "audio_kept");
        video_kept += jint(a, "video_kept");
    }
    cr_assert_eq(audio_kept, jint(jobj(ct, "audio"), "kept"));
    cr_assert_eq(video_kept, jint(jobj(ct, "video"), "kept"));

    /* the JSON's totals are the output file's */
    ozs_st_file *f = st_open(out);
    const struct ozs_st_tensor *k = tensor(f, "keep_mask", OZ_ST_BOOL);
    json_int_t kept = 0;
    for (int64_t i = 0; i < k->count; i++)
        kept += ((const uint8_t *)k->data)[i] != 0;
    cr_assert_eq(jint(jobj(ct, "total"), "kept"), kept);
    cr_assert_eq(jint(jobj(ct, "total"), "in"), k->count);
    cr_assert_eq(jint(ct, "text") + jint(jobj(ct, "audio"), "in") + jint(jobj(ct, "video"), "in"),
                 k->count);
    json_t *fl = jobj(cj, "flops");
    cr_assert(json_real_value(jobj(fl, "after")) < json_real_value(jobj(fl, "before")));
    cr_assert_str_eq(json_string_value(jobj(jobj(cj, "config"), "similarity_scope")), "global");
    cr_assert_eq(json_real_value(jobj(jobj(cj, "config"), "rho_video")), 0.6);
    ozs_st_close(f);
    json_decref(cj);
    json_decref(pj);
    result_free(&c);
    result_free(&p);
}

/* A shipped profile and the same keys given as --set write the same bytes. */
Test(cli, profile_equals_its_set_flags)
{
    const char *in = "tests/data/paper45.safetensors";
    const char *a = tpath("task.safetensors"), *b = tpath("set.safetensors");
    struct result r = RUN("compress", in, "-o", a, "--task", "avut");
    cr_assert_eq(r.code, 0, "%s", r.err);
    result_free(&r);
    r = RUN("compress", in, "-o", b, "--set", "rho_audio=0.3", "--set", "rho_video=0.6", "--set",
            "g=15");
    cr_assert_eq(r.code, 0, "%s", r.err);
    result_free(&r);
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    cr_assert(la == lb && memcmp(x, y, la) == 0, "--task avut and its --set flags differ");
    free(x), free(y);
    r = RUN("compress", in, "-o", b, "--set", "g=3", "--set", "rho_audio=0.3", "--set",
            "rho_video=0.6");
    cr_assert_eq(r.code, 0, "%s", r.err);
    result_free(&r);
    x = slurp(a, &la), y = slurp(b, &lb);
    cr_assert(la != lb || memcmp(x, y, la) != 0, "G 15 and G 3 gave the same output");
    free(x), free(y);
}

/* Rows of the human table: lines starting with a window index. */
static int count_rows(const char *text, int *last_index)
{
    int rows = 0;
    for (const char *line = text; line && *line;) {
        unsigned idx;
        long long a, b;
        if (sscanf(line, " %u %lld/%lld", &idx, &a, &b) == 3) {
            cr_assert_eq((int)idx, rows, "row %d has index %u", rows, idx);
            *last_index = (int)idx;
            rows++;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return rows;
}

Test(cli, builtin_clip_prints_60_rows)
{
    struct result r = RUN("--set", "rho_audio=0.5");
    cr_assert_eq(r.code, 0, "%s", r.err);
    int last = -1;
    cr_assert_eq(count_rows(r.out, &last), 60, "%s", r.out);
    cr_assert_eq(last, 59);
    cr_assert(strstr(r.out, "total:"), "no totals: %s", r.out);
    result_free(&r);
    /* compress with no IN is the same clip, and it is deterministic */
    struct result a = RUN("compress", "--json"), b = RUN("--json");
    cr_assert_eq(a.code, 0);
    json_t *ja = parse_json(a.out), *jb = parse_json(b.out);
    cr_assert_eq(jint(ja, "windows"), 60);
    cr_assert_str_eq(json_string_value(jobj(ja, "input")), "builtin");
    cr_assert(json_equal(jobj(ja, "per_window"), jobj(jb, "per_window")));
    /* S_a must vary across windows: the clip mixes speech and silence */
    double lo = 2, hi = -1;
    json_t *pw = jobj(ja, "per_window");
    for (size_t i = 0; i < json_array_size(pw); i++) {
        double s = json_real_value(jobj(json_array_get(pw, i), "s_a"));
        lo = s < lo ? s : lo;
        hi = s > hi ? s : hi;
    }
    cr_assert(hi - lo > 0.4, "S_a spans only [%g, %g]", lo, hi);
    json_decref(ja);
    json_decref(jb);
    result_free(&a);
    result_free(&b);
}

/* mode=streaming: the windows go one by one through the extension, the
 * output has the same form, the trace has every window, and --json shows
 * the cumulative fractions reaching the stream's totals. */
Test(cli, streaming_compress_writes_out_trace_and_cumulative_fractions)
{
    const char *out = tpath("stream.safetensors"), *trace = tpath("stream.jsonl");
    struct result r = RUN("compress", "--set", "mode=streaming", "--json", "--trace", trace);
    cr_assert_eq(r.code, 0, "%s", r.err);
    json_t *j = parse_json(r.out);
    cr_assert_str_eq(json_string_value(jobj(jobj(j, "config"), "mode")), "streaming");
    /* mallinfo2's figure: 0 under the sanitizers, whose allocator keeps no such count. */
    cr_assert(jint(jobj(j, "memory"), "context_bytes") >= 0);
    json_t *pw = jobj(j, "per_window"), *tok = jobj(j, "tokens");
    cr_assert_eq(json_array_size(pw), 60);
    json_t *last = jobj(json_array_get(pw, 59), "cumulative");
    double audio = (double)jint(jobj(tok, "audio"), "kept") /
                   (double)jint(jobj(tok, "audio"), "in");
    double video = (double)jint(jobj(tok, "video"), "kept") /
                   (double)jint(jobj(tok, "video"), "in");
    cr_assert_float_eq(json_real_value(jobj(last, "audio")), audio, 1e-12);
    cr_assert_float_eq(json_real_value(jobj(last, "video")), video, 1e-12);
    cr_assert(fabs(video - 0.5) <= 0.01, "video kept %.4f", video);
    struct result o = RUN("compress", "tests/data/paper45.safetensors", "-o", out, "--json",
                          "--set", "mode=streaming");
    cr_assert_eq(o.code, 0, "%s", o.err);
    json_t *oj = parse_json(o.out);
    ozs_st_file *f = st_open(out);
    const struct ozs_st_tensor *k = tensor(f, "keep_mask", OZ_ST_BOOL);
    json_int_t kept = 0;
    for (int64_t i = 0; i < k->count; i++)
        kept += ((const uint8_t *)k->data)[i] != 0;
    cr_assert_eq(kept, jint(jobj(jobj(oj, "tokens"), "total"), "kept"));
    tensor(f, "window_video_rate", OZ_ST_F64);
    ozs_st_close(f);
    json_decref(oj);
    result_free(&o);
    size_t len;
    char *text = slurp(trace, &len);
    int windows = 0;
    for (char *p = strstr(text, "\"type\":\"window\""); p; p = strstr(p + 1, "\"type\":\"window\""))
        windows++;
    cr_assert_eq(windows, 60, "%s", text);
    free(text);
    json_decref(j);
    result_free(&r);
}

/* plan with no IN plans the built-in clip: the counts compress keeps. */
Test(cli, plan_without_input_plans_the_builtin_clip)
{
    struct result c = RUN("--json", "--task", "paper-45"),
                  p = RUN("plan", "--json", "--task", "paper-45");
    cr_assert_eq(p.code, 0, "%s", p.err);
    json_t *cj = parse_json(c.out), *pj = parse_json(p.out);
    cr_assert_str_eq(json_string_value(jobj(pj, "input")), "builtin");
    const char *mods[] = {"audio", "video", "total"};
    for (int m = 0; m < 3; m++)
        cr_assert_eq(jint(jobj(jobj(cj, "tokens"), mods[m]), "kept"),
                     jint(jobj(jobj(pj, "tokens"), mods[m]), "kept"), "%s", mods[m]);
    json_decref(cj);
    json_decref(pj);
    result_free(&c);
    result_free(&p);
}

static json_t *trace_line(char **cursor)
{
    char *line = *cursor, *nl = strchr(line, '\n');
    cr_assert_not_null(nl, "trace line not terminated");
    *nl = '\0';
    *cursor = nl + 1;
    return parse_json(line);
}

Test(cli, trace_has_header_windows_summary)
{
    const char *trace = tpath("run.jsonl");
    struct result r = RUN("--trace", trace, "--json");
    cr_assert_eq(r.code, 0, "%s", r.err);
    json_t *report = parse_json(r.out);
    char *text = slurp(trace, NULL), *cur = text;
    json_t *h = trace_line(&cur);
    cr_assert_str_eq(json_string_value(jobj(h, "type")), "header");
    cr_assert_eq(jint(h, "version"), 1);
    cr_assert_str_eq(json_string_value(jobj(h, "source")), "builtin");
    cr_assert_eq(jint(h, "windows"), 60);
    json_int_t audio_kept = 0;
    for (int i = 0; i < 60; i++) {
        json_t *w = trace_line(&cur);
        cr_assert_str_eq(json_string_value(jobj(w, "type")), "window");
        cr_assert_eq(jint(w, "index"), i);
        audio_kept += jint(w, "audio_kept");
        json_decref(w);
    }
    json_t *s = trace_line(&cur);
    cr_assert_str_eq(json_string_value(jobj(s, "type")), "summary");
    cr_assert_eq(jint(s, "audio_kept"), audio_kept);
    cr_assert_eq(jint(s, "video_kept"), jint(jobj(jobj(report, "tokens"), "video"), "kept"));
    cr_assert_str_eq(cur, "", "trailing trace text: %s", cur);
    json_decref(h);
    json_decref(s);
    json_decref(report);
    free(text);
    result_free(&r);
}

Test(cli, profile_check_and_show)
{
    write_text(tpath("good.yaml"), "description: test\ng: 7\n");
    write_text(tpath("bad.yaml"), "rhoaudio: 0.3\n");
    struct result r = RUN("profile", "check", tpath("good.yaml"), tpath("bad.yaml"));
    cr_assert_eq(r.code, 4, "%s%s", r.out, r.err);
    char want[600];
    snprintf(want, sizeof want, "%s: ok\n", tpath("good.yaml"));
    cr_assert(strstr(r.out, want), "%s", r.out);
    snprintf(want, sizeof want, "%s:1:1", tpath("bad.yaml"));
    cr_assert(strstr(r.out, want), "%s", r.out);
    result_free(&r);

    r = RUN("profile", "check", tpath("good.yaml"));
    cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
    result_free(&r);

    r = RUN("profile", "show", tpath("good.yaml"));
    cr_assert_eq(r.code, 0, "%s", r.err);
    char *g = strstr(r.out, "\ng ");
    cr_assert_not_null(g, "%s", r.out);
    char line[600];
    sscanf(g + 1, "%599[^\n]", line);
    cr_assert(strstr(line, " 7 ") && strstr(line, tpath("good.yaml")), "g line: %s", line);
    char *rho = strstr(r.out, "rho_audio ");
    cr_assert_not_null(rho);
    sscanf(rho, "%599[^\n]", line);
    cr_assert(strstr(line, "default"), "rho_audio line: %s", line);
    result_free(&r);

    /* --task looks in $OMNIZIP_PROFILE_PATH first */
    setenv("OMNIZIP_PROFILE_PATH", tmp, 1);
    r = RUN("profile", "show", "--task", "good");
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_assert(strstr(r.out, tpath("good.yaml")), "%s", r.out);
    result_free(&r);
}

Test(cli, help_and_version)
{
    struct result r = RUN("--help");
    cr_assert_eq(r.code, 0);
    cr_assert(strstr(r.out, "usage: omnizip-run"), "%s", r.out);
    result_free(&r);
    r = RUN("--version");
    cr_assert_eq(r.code, 0);
    char *version = slurp("VERSION", NULL);
    version[strcspn(version, "\n")] = '\0';
    cr_assert(strstr(r.out, version), "%s vs %s", r.out, version);
    free(version);
    result_free(&r);
}

Test(cli, live_names_the_telemetry_segment)
{
    struct result r = RUN("--live", "--pace", "0");
    cr_assert_eq(r.code, 0, "%s", r.err);
    char want[64];
    snprintf(want, sizeof want, "/omnizip-");
    cr_assert(strstr(r.out, want) && strstr(r.out, "omnizip-inspect --attach "), "%s", r.out);
    int last = -1;
    cr_assert_eq(count_rows(r.out, &last), 60, "%s", r.out);
    result_free(&r);
    FAILS(2, "--live", "--live", "--json");
}
