/* test_cli_tune.c - the real omnizip-run's tuning commands: `profile list`,
 * `compare` (its --json is {"a": plan, "b": plan, "delta"} with delta = b - a),
 * "did you mean" for commands, options and task names, plan's merged shown
 * as not computed, and every baseline strategy at OmniZip's totals. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DUMP "tests/data/paper45.safetensors"

static char out[1 << 18];

/* Runs omnizip-run with args (./profiles on the search path); stdout+stderr
 * in out; returns the exit code. */
static int run(const char *args)
{
    const char *b = getenv("OMNIZIP_BUILD");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "OMNIZIP_PROFILE_PATH=profiles %s/omnizip-run %s 2>&1",
             b && *b ? b : "build", args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static json_t *parse(void)
{
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    cr_assert_not_null(j, "not JSON (%s):\n%.2000s", e.text, out);
    return j;
}

static json_int_t num(json_t *o, const char *a, const char *b)
{
    json_t *x = json_object_get(json_object_get(o, a), b);
    cr_assert(json_is_integer(x), "%s.%s is not an integer", a, b);
    return json_integer_value(x);
}

/* tokens.MODALITY.kept of a plan object. */
static json_int_t tokens(json_t *plan, const char *modality)
{
    return num(json_object_get(plan, "tokens"), modality, "kept");
}

Test(cli_tune, profile_list_names_describes_and_locates)
{
    cr_assert_eq(run("profile list"), 0, "%s", out);
    cr_assert(strstr(out, "paper-45") && strstr(out, "profiles/paper-45.yaml"), "%s", out);
    cr_assert(strstr(out, "45%-retained"), "the description is shown:\n%s", out);
    cr_assert_eq(run("profile list --json"), 0, "%s", out);
    json_t *j = parse();
    cr_assert(json_is_array(j) && json_array_size(j) >= 5);
    int found = 0;
    for (size_t i = 0; i < json_array_size(j); i++) {
        json_t *e = json_array_get(j, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        cr_assert_not_null(json_object_get(e, "description"));
        cr_assert_not_null(json_object_get(e, "path"));
        found |= name && strcmp(name, "paper-45") == 0;
    }
    cr_assert(found);
    json_decref(j);
}

Test(cli_tune, did_you_mean)
{
    cr_assert_eq(run("plna " DUMP), 2);
    cr_assert(strstr(out, "did you mean plan?"), "%s", out);
    cr_assert_eq(run("plan " DUMP " --jsn"), 2);
    cr_assert(strstr(out, "did you mean --json?"), "%s", out);
    cr_assert_eq(run("profile lst"), 2);
    cr_assert(strstr(out, "did you mean list?"), "%s", out);
    cr_assert_eq(run("plan " DUMP " --task paper45"), 4);
    cr_assert(strstr(out, "did you mean paper-45?"), "%s", out);
}

/* a and b are exactly what plan --json prints; delta is b - a. */
Test(cli_tune, compare_json_is_two_plans_and_their_difference)
{
    cr_assert_eq(run("plan " DUMP " --task paper-45 --json"), 0, "%s", out);
    json_t *pa = parse();
    cr_assert_eq(run("plan " DUMP " --task balanced-50 --json"), 0, "%s", out);
    json_t *pb = parse();
    cr_assert_eq(run("compare " DUMP " paper-45 profiles/balanced-50.yaml --json"), 0, "%s", out);
    json_t *c = parse();
    json_t *a = json_object_get(c, "a"), *b = json_object_get(c, "b");
    /* Timings differ run to run; everything else must be equal. */
    json_object_del(a, "ms"), json_object_del(b, "ms");
    json_object_del(pa, "ms"), json_object_del(pb, "ms");
    cr_assert(json_equal(a, pa), "a differs from plan --json");
    cr_assert(json_equal(b, pb), "b differs from plan --json");
    json_t *d = json_object_get(c, "delta");
    cr_assert_eq(num(d, "tokens", "audio_kept"), tokens(b, "audio") - tokens(a, "audio"));
    cr_assert_eq(num(d, "tokens", "video_kept"), tokens(b, "video") - tokens(a, "video"));
    json_t *w = json_object_get(d, "per_window");
    cr_assert_eq(json_array_size(w), json_array_size(json_object_get(a, "per_window")));
    json_decref(c), json_decref(pa), json_decref(pb);
    cr_assert_eq(run("compare " DUMP " paper-45 balanced-50"), 0, "%s", out);
    cr_assert(strstr(out, "B - A: audio kept -100"), "%s", out);
}

/* plan reads no embeddings: merged is null in --json and "-" in the table. */
Test(cli_tune, plan_shows_merged_as_not_computed)
{
    cr_assert_eq(run("plan " DUMP " --json"), 0, "%s", out);
    json_t *j = parse();
    json_t *w0 = json_array_get(json_object_get(j, "per_window"), 0);
    cr_assert(json_is_null(json_object_get(w0, "merged")));
    cr_assert(json_is_integer(json_object_get(w0, "anchors")));
    /* The KV cache is linear in tokens: 7B has 28 layers x 4 KV heads x 128
     * x 2 (K, V) x 2 bytes = 57344 bytes a token; the dump has 1220 media
     * tokens, 625 kept by the defaults. */
    json_t *kv = json_object_get(j, "kv_bytes");
    cr_assert_not_null(kv);
    cr_assert_eq(json_real_value(json_object_get(kv, "before")), 1220.0 * 57344);
    cr_assert_eq(json_real_value(json_object_get(kv, "after")), 625.0 * 57344);
    json_decref(j);
    cr_assert_eq(run("plan " DUMP), 0, "%s", out);
    cr_assert(strstr(out, "3/-"), "%s", out);
    cr_assert(strstr(out, "KV cache (qwen2.5-omni-7b, media tokens, 16-bit): 66.7 MiB -> 34.2 MiB "
                          "(48.8% saved)"),
              "%s", out);
}

/* Each baseline at the same config keeps OmniZip's audio and video totals,
 * in compress (masks) and in compare; random is the same for the same seed. */
Test(cli_tune, baselines_keep_omnizips_totals)
{
    static const char *const strategies[] = {"random", "uniform", "dycoke"};
    char dir[] = "/tmp/oz_cli_tune_XXXXXX", args[1024], path[256];
    cr_assert_not_null(mkdtemp(dir));
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s.yaml", dir, strategies[i]);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fprintf(f, "extends: paper-45\nstrategy: %s\nseed: 7\n", strategies[i]);
        fclose(f);
        snprintf(args, sizeof args, "compare " DUMP " paper-45 %s --json", path);
        cr_assert_eq(run(args), 0, "%s", out);
        json_t *c = parse(), *d = json_object_get(c, "delta");
        cr_assert_eq(num(d, "tokens", "audio_kept"), 0, "%s: audio", strategies[i]);
        cr_assert_eq(num(d, "tokens", "video_kept"), 0, "%s: video", strategies[i]);
        json_decref(c);
        char o1[300], o2[300];
        snprintf(o1, sizeof o1, "%s/%s.1.safetensors", dir, strategies[i]);
        snprintf(o2, sizeof o2, "%s/%s.2.safetensors", dir, strategies[i]);
        snprintf(args, sizeof args, "compress " DUMP " -o %s --profile %s --json", o1, path);
        cr_assert_eq(run(args), 0, "%s", out);
        json_t *r = parse();
        /* paper-45 on this dump keeps 375 audio and 276 video tokens. */
        cr_assert_eq(tokens(r, "audio"), 375, "%s", strategies[i]);
        cr_assert_eq(tokens(r, "video"), 276, "%s", strategies[i]);
        json_decref(r);
        snprintf(args, sizeof args, "compress " DUMP " -o %s --profile %s", o2, path);
        cr_assert_eq(run(args), 0, "%s", out);
        snprintf(args, sizeof args, "cmp -s %s %s", o1, o2);
        cr_assert_eq(system(args), 0, "%s: two runs differ", strategies[i]);
        unlink(o1), unlink(o2), unlink(path);
    }
    rmdir(dir);
}

/* A baseline's trace says which strategy made it, and the inspector shows it. */
Test(cli_tune, trace_names_the_strategy)
{
    char dir[] = "/tmp/oz_cli_trace_XXXXXX", args[600], trace[300], cmd[900];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/run.jsonl", dir);
    snprintf(args, sizeof args, "--set strategy=uniform --trace %s", trace);
    cr_assert_eq(run(args), 0, "%s", out);
    const char *b = getenv("OMNIZIP_BUILD");
    snprintf(cmd, sizeof cmd, "LC_ALL=C %s/omnizip-inspect --replay %s --dump 2>&1",
             b && *b ? b : "build", trace);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    unlink(trace);
    rmdir(dir);
    cr_assert(strstr(out, "strategy uniform"), "%s", out);
}

/* The inspector's compare: tune with A against B, the totals line says
 * B -> A (paper-45 keeps 100 more audio and 74 fewer video tokens than
 * balanced-50 on this dump, as `omnizip-run compare` says). */
Test(cli_tune, inspector_compares_two_profiles)
{
    const char *b = getenv("OMNIZIP_BUILD");
    char cmd[900];
    snprintf(cmd, sizeof cmd,
             "LC_ALL=C OMNIZIP_PROFILE_PATH=profiles %s/omnizip-inspect --tune " DUMP
             " --task paper-45 --compare balanced-50 --dump --plugin %s/libomnizip.so 2>&1",
             b && *b ? b : "build", b && *b ? b : "build");
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", out);
    cr_assert(strstr(out, "vs balanced-50: audio 275 -> 375 (+100)  video 350 -> 276 (-74)"), "%s",
              out);
    cr_assert(strstr(out, "anch/mrg") && strstr(out, "delta"), "%s", out);
}
