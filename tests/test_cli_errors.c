/* test_cli_errors.c - how the real omnizip-run refuses: broken dumps (each a
 * real file written with the shim's writer) exit 3, bad profiles and --set
 * exit 4, usage exits 2, an unusable plugin or CUDA backend exits 5, and a
 * failed run never leaves or clobbers OUT. */
#include "cli_harness.h"

TestSuite(cli_errors, .init = setup, .fini = teardown, .timeout = 120);

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

Test(cli_errors, bad_input_files_exit_3)
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
Test(cli_errors, plan_without_scores_gives_exact_totals)
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

Test(cli_errors, bad_config_exit_4)
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

Test(cli_errors, usage_errors_exit_2)
{
    const char *in = "tests/data/basic.safetensors", *out = tpath("out.safetensors");
    FAILS(2, "--frobnicate", "compress", in, "-o", out, "--frobnicate");
    FAILS(2, "-o", "compress", in);
    FAILS(2, "another", "plan", in, in);
    FAILS(2, "KEY=VALUE", "compress", in, "-o", out, "--set", "rho_audio");
    FAILS(2, "--model", "compress", in, "-o", out, "--model", "gpt-17");
}

Test(cli_errors, unusable_plugin_exit_5)
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

/* Asked for the CUDA backend, the CLI either gets a device and compresses, or
 * says why it cannot (no libomnizip_cuda.so, no device) with exit 5 and no
 * output: never a silent fall-back to the CPU. */
Test(cli_errors, cuda_backend_used_or_refused_with_exit_5)
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
