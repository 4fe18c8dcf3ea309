/* test_cli.c - the real omnizip-run binary ($OMNIZIP_BUILD/omnizip-run) with
 * the real plugin: golden files, plan vs compress, exit codes, --json,
 * --trace, the built-in clip, profile check/show. Outputs are read back with
 * the shim's safetensors reader; broken inputs are written with its writer. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safetensors.h"
#include "slurp.h"

extern char **environ;

static char tmp[64];
static char bin[512];
static char *paths[256];
static int n_paths;

static void setup(void)
{
    const char *b = getenv("OMNIZIP_BUILD");
    snprintf(bin, sizeof bin, "%s/omnizip-run", b && *b ? b : "build");
    snprintf(tmp, sizeof tmp, "/tmp/oz_cli_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
    DIR *d = opendir(tmp);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
            unlink(path);
        }
    }
    if (d)
        closedir(d);
    rmdir(tmp);
    while (n_paths > 0)
        free(paths[--n_paths]);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 120);

/* A path in this test's directory; lives until teardown. */
static char *tpath(const char *name)
{
    cr_assert_lt(n_paths, 256);
    char *p = paths[n_paths++] = malloc(512);
    cr_assert_not_null(p);
    snprintf(p, 512, "%s/%s", tmp, name);
    return p;
}

struct result {
    int code;
    char *out;
    char *err;
};

/* Runs omnizip-run with args (NULL-terminated), stdout and stderr captured. */
static struct result run_args(const char *const *args)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = bin;
    for (; *args && n < 63; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, tpath("stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&fa, 2, tpath("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "spawn %s: %s", bin, strerror(rc));
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "omnizip-run died (status %d)", status);
    struct result r = {WEXITSTATUS(status), slurp(tpath("stdout.txt"), NULL),
                       slurp(tpath("stderr.txt"), NULL)};
    return r;
}

#define RUN(...) run_args((const char *const[]){__VA_ARGS__, NULL})

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static ozs_st_file *st_open(const char *path)
{
    char err[512];
    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open(path, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    return f;
}

static const struct ozs_st_tensor *tensor(ozs_st_file *f, const char *name, enum ozs_st_dtype dtype)
{
    const struct ozs_st_tensor *t = ozs_st_find(f, name);
    cr_assert_not_null(t, "%s: no tensor %s", ozs_st_path(f), name);
    cr_assert_eq(t->dtype, dtype, "%s: %s has dtype %s", ozs_st_path(f), name,
                 ozs_st_dtype_name(t->dtype));
    return t;
}

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

static json_t *parse_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "stdout is not JSON (%s, line %d): %.200s", e.text, e.line, text);
    return j;
}

static json_int_t jint(json_t *obj, const char *path)
{
    json_t *v = json_object_get(obj, path);
    cr_assert(json_is_integer(v), "no integer '%s'", path);
    return json_integer_value(v);
}

static json_t *jobj(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    cr_assert_not_null(v, "no key '%s'", key);
    return v;
}

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

/* ---- broken inputs: each is a real file, written with the shim's writer ---- */
enum breakage { DROP_SCORES, SHORT_SCORES, NAN_EMBED, ZERO_GRID_T, ZERO_GRID_HW };

static void write_broken(const char *dst, enum breakage how)
{
    ozs_st_file *f = st_open("tests/data/basic.safetensors");
    ozs_st_writer *w = ozs_st_writer_new();
    char err[512];
    float *embeds = NULL;
    int64_t grid[3];
    cr_assert_not_null(w);
    for (size_t i = 0; i < ozs_st_count(f); i++) {
        const struct ozs_st_tensor *t = ozs_st_at(f, i);
        int64_t shape[OZ_ST_MAX_RANK];
        const void *data = t->data;
        memcpy(shape, t->shape, sizeof shape);
        if (strcmp(t->name, "audio_scores") == 0 && how == DROP_SCORES)
            continue;
        if (strcmp(t->name, "audio_scores") == 0 && how == SHORT_SCORES)
            shape[0]--;
        if (strcmp(t->name, "inputs_embeds") == 0 && how == NAN_EMBED) {
            embeds = malloc(t->nbytes);
            memcpy(embeds, t->data, t->nbytes);
            embeds[t->count / 2] = NAN;
            data = embeds;
        }
        if (strcmp(t->name, "video_grid_thw") == 0 && (how == ZERO_GRID_T || how == ZERO_GRID_HW)) {
            memcpy(grid, t->data, sizeof grid);
            if (how == ZERO_GRID_T)
                grid[0] = 0;
            else
                grid[1] = grid[2] = 1; /* H/s = W/s = 0 */
            data = grid;
        }
        cr_assert_eq(ozs_st_writer_add(w, t->name, t->dtype, t->rank, shape, data), OMNIZIP_OK);
    }
    const char *meta[] = {"audio_token_id", "video_token_id", "spatial_merge_size"};
    for (int k = 0; k < 3; k++)
        ozs_st_writer_meta(w, meta[k], ozs_st_meta(f, meta[k]));
    cr_assert_eq(ozs_st_writer_save(w, dst, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_writer_free(w);
    free(embeds);
    ozs_st_close(f);
}

static void write_bytes(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

/* Runs a command that must fail with code, leaving no OUT and an existing
 * OUT untouched; stderr must mention needle. */
static void expect_failure(const char *const *args, int code, const char *needle)
{
    const char *out = tpath("out.safetensors");
    unlink(out);
    struct result r = run_args(args);
    cr_assert_eq(r.code, code, "exit %d, want %d; stderr: %s", r.code, code, r.err);
    cr_assert(strncmp(r.err, "omnizip-run: ", 13) == 0, "stderr: %s", r.err);
    if (needle)
        cr_assert(strstr(r.err, needle), "stderr lacks '%s': %s", needle, r.err);
    cr_assert(!exists(out), "a failed run left %s", out);
    result_free(&r);

    write_text(out, "precious");
    r = run_args(args);
    cr_assert_eq(r.code, code);
    size_t len;
    char *kept = slurp(out, &len);
    cr_assert(len == 8 && memcmp(kept, "precious", 8) == 0, "failed run clobbered OUT");
    free(kept);
    result_free(&r);
    unlink(out);
}

#define FAILS(code, needle, ...) \
    expect_failure((const char *const[]){__VA_ARGS__, NULL}, code, needle)

Test(cli, bad_input_files_exit_3)
{
    const char *out = tpath("out.safetensors");
    size_t len;
    char *whole = slurp("tests/data/basic.safetensors", &len);
    write_bytes(tpath("truncated.safetensors"), whole, len / 2);
    free(whole);
    write_text(tpath("text.safetensors"), "hello, not a tensor file\n");
    FAILS(3, "truncated.safetensors", "compress", tpath("truncated.safetensors"), "-o", out);
    FAILS(3, "text.safetensors", "compress", tpath("text.safetensors"), "-o", out);
    FAILS(3, "missing.safetensors", "compress", tpath("missing.safetensors"), "-o", out);

    static const struct {
        enum breakage how;
        const char *file;
    } cases[] = {{DROP_SCORES, "noscores.safetensors"},
                 {SHORT_SCORES, "short.safetensors"},
                 {NAN_EMBED, "nan.safetensors"},
                 {ZERO_GRID_T, "grid_t0.safetensors"},
                 {ZERO_GRID_HW, "grid_hw0.safetensors"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *in = tpath(cases[i].file);
        write_broken(in, cases[i].how);
        FAILS(3, cases[i].file, "compress", in, "-o", out);
        struct result r = RUN("plan", in);
        cr_assert_eq(r.code, 3, "plan %s: exit %d", cases[i].file, r.code);
        result_free(&r);
    }
}

/* The placeholder size: under normalize: exact a dump without audio_scores
 * plans to the same totals as with them; the reference mode says why not. */
Test(cli, plan_without_scores_gives_exact_totals)
{
    const char *bare = tpath("noscores.safetensors");
    write_broken(bare, DROP_SCORES);
    struct result r = RUN("plan", bare);
    cr_assert_eq(r.code, 3);
    cr_assert(strstr(r.err, "no audio_scores") && strstr(r.err, "normalize=exact"), "%s", r.err);
    result_free(&r);
    struct result with = RUN("plan", "tests/data/basic.safetensors", "--json", "--set",
                             "normalize=exact", "--set", "rho_video=0.6");
    struct result without = RUN("plan", bare, "--json", "--set", "normalize=exact", "--set",
                                "rho_video=0.6");
    cr_assert_eq(with.code, 0, "%s", with.err);
    cr_assert_eq(without.code, 0, "%s", without.err);
    json_t *wj = parse_json(with.out), *nj = parse_json(without.out);
    const char *mods[] = {"audio", "video", "total"};
    for (int m = 0; m < 3; m++)
        cr_assert_eq(jint(jobj(jobj(wj, "tokens"), mods[m]), "kept"),
                     jint(jobj(jobj(nj, "tokens"), mods[m]), "kept"), "%s", mods[m]);
    /* 192 video tokens, grid 192: round(0.4 * 192) = 77 to the token. */
    cr_assert_eq(jint(jobj(jobj(nj, "tokens"), "video"), "kept"), 77);
    cr_assert_eq(json_array_size(jobj(nj, "per_window")), 0);
    cr_assert_eq(jint(nj, "windows"), jint(wj, "windows"));
    json_decref(wj);
    json_decref(nj);
    result_free(&with);
    result_free(&without);
}

Test(cli, bad_config_exit_4)
{
    const char *in = "tests/data/basic.safetensors", *out = tpath("out.safetensors");
    FAILS(4, "rho_audio", "compress", in, "-o", out, "--set", "rho_audio=1.5");
    FAILS(4, "did you mean rho_audio", "compress", in, "-o", out, "--set", "rhoaudio=0.3");
    FAILS(4, "g", "compress", in, "-o", out, "--set", "g=-1");
    FAILS(4, "rho_min", "compress", in, "-o", out, "--set", "rho_min=0.7", "--set", "rho_max=0.5");
    FAILS(4, "no plan ahead", "plan", in, "--set", "mode=streaming");
    write_text(tpath("bad.yaml"), "rho_audio: 0.3\nrho_video: [1, 2]\n");
    FAILS(4, "bad.yaml:2", "compress", in, "-o", out, "--profile", tpath("bad.yaml"));
    FAILS(4, "no-such-task", "compress", in, "-o", out, "--task", "no-such-task");
}

Test(cli, usage_errors_exit_2)
{
    const char *in = "tests/data/basic.safetensors", *out = tpath("out.safetensors");
    FAILS(2, "--frobnicate", "compress", in, "-o", out, "--frobnicate");
    FAILS(2, "-o", "compress", in);
    FAILS(2, "another", "plan", in, in);
    FAILS(2, "KEY=VALUE", "compress", in, "-o", out, "--set", "rho_audio");
    FAILS(2, "--model", "compress", in, "-o", out, "--model", "gpt-17");
}

Test(cli, unusable_plugin_exit_5)
{
    const char *in = "tests/data/basic.safetensors", *out = tpath("out.safetensors");
    FAILS(5, "/nonexistent/libomnizip.so", "compress", in, "-o", out, "--plugin",
          "/nonexistent/libomnizip.so");
    char fixture[512];
    const char *b = getenv("OMNIZIP_BUILD");
    snprintf(fixture, sizeof fixture, "%s/fixtures/wrong_version.so", b && *b ? b : "build");
    if (exists(fixture))
        FAILS(5, "wrong_version.so", "compress", in, "-o", out, "--plugin", fixture);
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

/* Asked for the CUDA backend, the CLI either gets a device and compresses, or
 * says why it cannot (no libomnizip_cuda.so, no device) with exit 5 and no
 * output: never a silent fall-back to the CPU. */
Test(cli, cuda_backend_used_or_refused_with_exit_5)
{
    const char *in = "tests/data/basic.safetensors", *out = tpath("cuda.safetensors");
    unlink(out);
    struct result r = RUN("compress", in, "-o", out, "--set", "backend=cuda");
    if (r.code == 0) {
        cr_assert(exists(out));
    } else {
        cr_assert_eq(r.code, 5, "exit %d; stderr: %s", r.code, r.err);
        cr_assert(strstr(r.err, "cuda") != NULL, "stderr: %s", r.err);
        cr_assert(!exists(out));
    }
    result_free(&r);
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
