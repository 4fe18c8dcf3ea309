/*
 * test_loader.c - the shim's loader against the fixture plugins of
 * tests/fixtures/ (good, wrong ABI, short table, NULL member, no entry,
 * crashing entry), missing and non-ELF files, OMNIZIP_PLUGIN, and two copies
 * of the real plugin loaded side by side. Every refusal must name the path
 * and leave a shim that passes sequences through unchanged.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <omnizip/shim.h>

static char *build_path(const char *rel)
{
    const char *b = getenv("OMNIZIP_BUILD");
    char *p = NULL;
    cr_assert(asprintf(&p, "%s/%s", b && *b ? b : "build", rel) > 0);
    return p;
}

/* A short sequence: text, one video run of 2 frames (tpf 4), one audio run, text. */
struct tiny {
    struct omnizip_sequence seq;
    float embeds[24 * 8];
    int64_t ids[24], pos[3 * 24], mask[24];
    float scores[10];
    uint8_t keep[24];
};

static void tiny_init(struct tiny *t)
{
    memset(t, 0, sizeof *t);
    for (int j = 0; j < 24; j++) {
        t->ids[j] = j >= 4 && j < 12 ? 7 : j >= 12 && j < 22 ? 9 : 100 + j;
        t->mask[j] = 1;
        for (int r = 0; r < 3; r++)
            t->pos[r * 24 + j] = j + r;
    }
    for (int j = 0; j < 24 * 8; j++)
        t->embeds[j] = (float)((j * 37) % 11) - 5.0f;
    for (int j = 0; j < 10; j++)
        t->scores[j] = (float)((j * 7) % 10) / 10.0f;
    t->seq = (struct omnizip_sequence){
        .length = 24,
        .hidden = 8,
        .embeds = t->embeds,
        .dtype = OMNIZIP_DTYPE_F32,
        .row_stride = 8,
        .input_ids = t->ids,
        .position_ids = t->pos,
        .position_stride = 24,
        .attention_mask = t->mask,
        .audio_token_id = 9,
        .video_token_id = 7,
        .grid_t = 2,
        .grid_h = 4,
        .grid_w = 4,
        .merge_size = 2,
        .audio_scores = t->scores,
        .n_audio_scores = 10,
        .compact = 1,
        .keep_mask = t->keep,
    };
}

/* A refused shim must pass through: OK, all kept, nothing moved. */
static void assert_pass_through(omnizip_shim *shim)
{
    struct tiny t, before;
    tiny_init(&t);
    tiny_init(&before);
    struct omnizip_run_report rep = {0};
    char err[256] = "";
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &t.seq, NULL, NULL, &rep, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    cr_assert_eq(t.seq.length, 24);
    cr_assert_eq(rep.n_windows, 0);
    cr_assert_eq(rep.passthrough, 1, "pass-through not flagged in the report");
    cr_assert_eq(rep.plan.audio_kept, 10);
    cr_assert_eq(rep.plan.video_kept, 8);
    cr_assert_eq(t.seq.next_position, 24 + 2);
    for (int j = 0; j < 24; j++)
        cr_assert_eq(t.keep[j], 1, "token %d dropped in pass-through", j);
    cr_assert_arr_eq(t.embeds, before.embeds, sizeof t.embeds);
    cr_assert_arr_eq(t.ids, before.ids, sizeof t.ids);
    cr_assert_arr_eq(t.pos, before.pos, sizeof t.pos);
}

static char logged[1024];
static int log_level = -1;

static void log_cb(void *user, omnizip_log_level level, const char *msg)
{
    (void)user;
    log_level = level;
    snprintf(logged, sizeof logged, "%s", msg);
}

/* Opens a fixture expected to be refused; checks the reason and the log. */
static void refused(const char *fixture, const char *why)
{
    char *path = build_path(fixture);
    struct omnizip_host host = {.struct_size = sizeof host, .log = log_cb};
    omnizip_shim *shim = NULL;
    cr_assert_eq(omnizip_shim_open(path, &host, &shim), OMNIZIP_OK);
    cr_assert_not_null(shim);
    cr_assert_null(omnizip_shim_plugin(shim));
    const char *reason = omnizip_shim_reason(shim);
    cr_assert(strstr(reason, path), "reason does not name %s: %s", path, reason);
    cr_assert(strstr(reason, why), "reason lacks \"%s\": %s", why, reason);
    cr_assert_str_eq(logged, reason);
    cr_assert_eq(log_level, OMNIZIP_LOG_WARN);
    cr_assert_str_eq(omnizip_shim_path(shim), path);
    assert_pass_through(shim);
    /* Each pass-through compress tells the log again, with the reason. */
    cr_assert_eq(log_level, OMNIZIP_LOG_WARN);
    cr_assert(strstr(logged, "pass-through") && strstr(logged, reason), "log: %s", logged);
    omnizip_shim_close(shim);
    free(path);
}

Test(loader, good_fixture_loads)
{
    char *path = build_path("fixtures/good.so");
    omnizip_shim *shim = NULL;
    cr_assert_eq(omnizip_shim_open(path, NULL, &shim), OMNIZIP_OK);
    const struct omnizip_plugin *p = omnizip_shim_plugin(shim);
    cr_assert_not_null(p, "%s", omnizip_shim_reason(shim));
    cr_assert_str_eq(p->name, "fixture");
    cr_assert_eq(p->abi_version, 1);
    cr_assert_str_empty(omnizip_shim_reason(shim));
    cr_assert_str_eq(omnizip_shim_path(shim), path);
    omnizip_shim_close(shim);
    free(path);
}

Test(loader, good_fixture_create_failure_is_reported)
{
    /* The fixture's create refuses: compress must fail with the reason, and
     * leave the sequence untouched. */
    char *path = build_path("fixtures/good.so");
    omnizip_shim *shim = NULL;
    cr_assert_eq(omnizip_shim_open(path, NULL, &shim), OMNIZIP_OK);
    struct tiny t, before;
    tiny_init(&t);
    tiny_init(&before);
    memset(t.keep, 0xAB, sizeof t.keep);
    char err[256] = "";
    cr_assert_eq(omnizip_shim_compress(shim, NULL, &t.seq, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_UNSUPPORTED);
    cr_assert(strstr(err, "create"), "%s", err);
    cr_assert_eq(t.seq.length, 24);
    cr_assert_eq(t.keep[0], 0xAB);
    cr_assert_arr_eq(t.embeds, before.embeds, sizeof t.embeds);
    omnizip_shim_close(shim);
    free(path);
}

Test(loader, wrong_version_names_both_versions)
{
    refused("fixtures/wrong_version.so", "refused ABI version 1 (it serves ABI version 2)");
}

Test(loader, short_table_refused)
{
    refused("fixtures/short_table.so", "bytes");
}

Test(loader, null_member_named)
{
    refused("fixtures/null_member.so", "member window is NULL");
}

Test(loader, no_entry_symbol)
{
    refused("fixtures/no_entry.so", "no omnizip_plugin_entry symbol");
}

Test(loader, missing_file)
{
    refused("fixtures/does_not_exist.so", "cannot load plugin");
}

Test(loader, not_a_shared_object)
{
    char dir[] = "/tmp/oz_loader_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/libomnizip.so", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("this is text, not ELF\n", f);
    fclose(f);
    struct omnizip_host host = {.struct_size = sizeof host, .log = log_cb};
    omnizip_shim *shim = NULL;
    cr_assert_eq(omnizip_shim_open(path, &host, &shim), OMNIZIP_OK);
    cr_assert_null(omnizip_shim_plugin(shim));
    cr_assert(strstr(omnizip_shim_reason(shim), path), "%s", omnizip_shim_reason(shim));
    assert_pass_through(shim);
    omnizip_shim_close(shim);
    unlink(path);
    rmdir(dir);
}

/* The shim cannot survive a crashing entry in-process: the crash is the
 * expected outcome of this test. */
Test(loader, crash_entry_crashes_in_process, .signal = SIGSEGV)
{
    signal(SIGSEGV, SIG_DFL);
    char *path = build_path("fixtures/crash_entry.so");
    omnizip_shim *shim = NULL;
    omnizip_shim_open(path, NULL, &shim);
}

Test(loader, crash_entry_contained_by_child_process)
{
    char *path = build_path("fixtures/crash_entry.so");
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        omnizip_shim *shim = NULL;
        omnizip_shim_open(path, NULL, &shim);
        _exit(0);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status), "child exited with status %d", status);
    cr_assert_eq(WTERMSIG(status), SIGSEGV);
    free(path);
}

Test(loader, env_var_picks_the_plugin)
{
    char *path = build_path("fixtures/good.so");
    setenv("OMNIZIP_PLUGIN", path, 1);
    omnizip_shim *shim = NULL;
    cr_assert_eq(omnizip_shim_open(NULL, NULL, &shim), OMNIZIP_OK);
    cr_assert_not_null(omnizip_shim_plugin(shim), "%s", omnizip_shim_reason(shim));
    cr_assert_str_eq(omnizip_shim_path(shim), path);
    omnizip_shim_close(shim);
    free(path);
}

Test(loader, nothing_found_lists_every_place)
{
    if (access("/usr/local/lib/libomnizip.so.1", F_OK) == 0)
        cr_skip_test("an installed plugin in /usr/local/lib would be found");
    setenv("OMNIZIP_PLUGIN", "/nonexistent/oz.so", 1);
    omnizip_shim *shim = NULL;
    cr_assert_eq(omnizip_shim_open(NULL, NULL, &shim), OMNIZIP_OK);
    cr_assert_null(omnizip_shim_plugin(shim));
    const char *reason = omnizip_shim_reason(shim);
    cr_assert(strstr(reason, "/nonexistent/oz.so"), "%s", reason);
    cr_assert(strstr(reason, "libomnizip.so.1"), "%s", reason);
    assert_pass_through(shim);
    omnizip_shim_close(shim);
}

Test(loader, null_arguments)
{
    cr_assert_eq(omnizip_shim_open("x", NULL, NULL), OMNIZIP_E_INVALID);
    omnizip_shim_close(NULL);
    cr_assert_null(omnizip_shim_plugin(NULL));
    char err[64] = "";
    cr_assert_eq(omnizip_shim_compress(NULL, NULL, NULL, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    cr_assert_str_not_empty(err);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "cannot copy %s to %s", from, to);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
}

Test(loader, two_copies_side_by_side)
{
    char *real = build_path("libomnizip.so");
    if (access(real, R_OK) != 0)
        cr_skip_test("%s not built", real);
    char dir[] = "/tmp/oz_loader_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/a.so", dir);
    snprintf(b, sizeof b, "%s/b.so", dir);
    copy_file(real, a);
    copy_file(real, b);
    omnizip_shim *sa = NULL, *sb = NULL;
    cr_assert_eq(omnizip_shim_open(a, NULL, &sa), OMNIZIP_OK);
    cr_assert_eq(omnizip_shim_open(b, NULL, &sb), OMNIZIP_OK);
    const struct omnizip_plugin *pa = omnizip_shim_plugin(sa), *pb = omnizip_shim_plugin(sb);
    cr_assert(pa && pb, "%s / %s", omnizip_shim_reason(sa), omnizip_shim_reason(sb));
    cr_assert_neq(pa, pb, "the two copies share one table: not loaded side by side");

    /* A context of each copy alive at once, each driven through a clip. */
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    pa->config_default(&cfg);
    omnizip_ctx *ca = NULL, *cb = NULL;
    char err[256] = "";
    cr_assert_eq(pa->create(&cfg, NULL, &ca, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(pb->create(&cfg, NULL, &cb, err, sizeof err), OMNIZIP_OK, "%s", err);
    struct tiny ta, tb;
    tiny_init(&ta);
    tiny_init(&tb);
    int64_t vrun = 8, arun = 10;
    struct omnizip_layout lay = {.struct_size = sizeof lay,
                                 .n_video_runs = 1,
                                 .n_audio_runs = 1,
                                 .video_run_len = &vrun,
                                 .audio_run_len = &arun,
                                 .tokens_per_frame = 4,
                                 .grid_t = 2};
    struct omnizip_plan plan_a = {.struct_size = sizeof plan_a}, plan_b = plan_a;
    cr_assert_eq(pa->plan(ca, &lay, ta.scores, 10, &plan_a), OMNIZIP_OK, "%s", pa->last_error(ca));
    cr_assert_eq(pb->plan(cb, &lay, tb.scores, 10, &plan_b), OMNIZIP_OK, "%s", pb->last_error(cb));
    cr_assert_eq(plan_a.audio_kept, plan_b.audio_kept);
    cr_assert_eq(plan_a.video_kept, plan_b.video_kept);
    pa->destroy(ca);
    pb->destroy(cb);

    /* And the full adapter through each, with identical results. */
    cr_assert_eq(omnizip_shim_compress(sa, NULL, &ta.seq, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    cr_assert_eq(omnizip_shim_compress(sb, NULL, &tb.seq, NULL, NULL, NULL, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    cr_assert_eq(ta.seq.length, tb.seq.length);
    cr_assert_arr_eq(ta.keep, tb.keep, sizeof ta.keep);
    cr_assert_eq(ta.seq.length, 24 - 18 + plan_a.audio_kept + plan_a.video_kept);
    omnizip_shim_close(sa);
    omnizip_shim_close(sb);
    unlink(a);
    unlink(b);
    rmdir(dir);
    free(real);
}

/* The shim names every status with no plugin loaded, in the plugin's words. */
Test(status_text, same_as_the_plugins_without_one)
{
    omnizip_shim *none, *real;
    cr_assert_eq(omnizip_shim_open("/nonexistent/libomnizip.so", NULL, &none), OMNIZIP_OK);
    cr_assert_null(omnizip_shim_plugin(none));
    char *path = build_path("libomnizip.so");
    cr_assert_eq(omnizip_shim_open(path, NULL, &real), OMNIZIP_OK);
    const struct omnizip_plugin *p = omnizip_shim_plugin(real);
    cr_assert_not_null(p, "%s", omnizip_shim_reason(real));
    for (omnizip_status s = OMNIZIP_OK; s <= OMNIZIP_E_IO + 1; s++)
        cr_expect_str_eq(omnizip_status_str(s), p->status_str(s), "status %d", (int)s);
    cr_expect_str_eq(omnizip_status_str(OMNIZIP_E_NOMEM), "out of memory");
    omnizip_shim_close(real);
    omnizip_shim_close(none);
    free(path);
}
