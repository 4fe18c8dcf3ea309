/*
 * test_abi.c - the plugin's ABI as hosts meet it, on the real .so by dlopen:
 * exports, version negotiation, hosts with no, old-size and future-size
 * structs, argument and ordering errors (caller buffers untouched), two
 * contexts on two threads, the frozen 1.0 layout, header compilation, the
 * libabigail baseline and the example host. The clip helpers are in
 * abi/clip.h.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi/clip.h"
#include "abi/layout_1_0.h"
#include "abi/layout_1_1.h"
#include "abi/layout_1_2.h"

/* Only the types of the public headers: the plugin's own are private. */
#define ABIDW_FLAGS \
    "--no-corpus-path --no-comp-dir-path --headers-dir include/omnizip --drop-private-types"
#define CONFIG_SIZE_1_0 (offsetof(struct omnizip_config, reserved1) + sizeof(uint32_t))
#define HOST_SIZE_1_0 (offsetof(struct omnizip_host, parallel_for) + sizeof(void *))

static const char *build_dir(void)
{
    const char *b = getenv("OMNIZIP_BUILD");
    return b && *b ? b : "build";
}

static char plugin_path[512];
static omnizip_plugin_entry_fn entry;
static const struct omnizip_plugin *P;

static void load(void)
{
    snprintf(plugin_path, sizeof plugin_path, "%s/libomnizip.so", build_dir());
    void *dl = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(dl, "%s", dlerror());
    void *sym = dlsym(dl, OMNIZIP_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry);
    cr_assert_not_null(entry);
    P = entry(OMNIZIP_ABI_VERSION);
    cr_assert_not_null(P);
}

TestSuite(abi, .init = load);

Test(abi, exports_only_the_entry)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "nm -D --defined-only %s", plugin_path);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char line[512], names[2048] = "";
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char addr[64], type[8], name[256];
        if (sscanf(line, "%63s %7s %255s", addr, type, name) == 3) {
            n++;
            strncat(names, name, sizeof names - strlen(names) - 2);
            strcat(names, " ");
        }
    }
    cr_assert_eq(pclose(f), 0, "nm failed");
    cr_assert_eq(n, 1, "exported: %s", names);
    cr_assert_str_eq(names, "omnizip_plugin_entry ");
}

Test(abi, entry_negotiates_majors)
{
    cr_assert_null(entry(0));
    cr_assert_null(entry(2));
    cr_assert_null(entry(99));
    cr_assert_null(entry(UINT32_MAX));
    const struct omnizip_plugin *t = entry(1);
    cr_assert_eq(t->abi_version, 1);
    cr_assert_geq(t->struct_size, offsetof(struct omnizip_plugin, get_extension) + sizeof(void *));
    cr_assert_str_eq(t->name, "omnizip");
    cr_assert_str_not_empty(t->version);
    cr_assert_eq(entry(1), t, "entry(1) must return the same static table");
    cr_assert_null(t->get_extension("omnizip.no-such-extension/1"));
    cr_assert_str_not_empty(t->status_str(OMNIZIP_E_STATE));
}

/* The reference: a host with no services at all (host == NULL). */
static void reference(struct clip_result *r)
{
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    char err[256] = "";
    cr_assert_eq(clip_run(P, &cfg, NULL, r, err, sizeof err), OMNIZIP_OK, "%s", err);
}

Test(abi, host_without_services_runs)
{
    struct clip_result r;
    reference(&r);
    cr_assert_eq(r.plan.n_windows, CLIP_WINDOWS);
    cr_assert_lt(r.plan.audio_kept, r.plan.audio_in);
    cr_assert_lt(r.plan.video_kept, r.plan.video_in);
}

static int logs;
static void count_log(void *user, omnizip_log_level level, const char *msg)
{
    (void)level;
    (void)msg;
    (*(int *)user)++;
}
static int pool_runs;
static void serial_for(void *user, uint32_t n, omnizip_task_fn task, void *task_ctx)
{
    (void)user;
    pool_runs++;
    for (uint32_t i = 0; i < n; i++)
        task(task_ctx, i);
}

Test(abi, host_services_give_same_result)
{
    struct clip_result want, got;
    reference(&want);
    struct omnizip_host host = {.struct_size = sizeof host,
                                .user = &logs,
                                .log = count_log,
                                .parallel_for = serial_for};
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    char err[256] = "";
    cr_assert_eq(clip_run(P, &cfg, &host, &got, err, sizeof err), OMNIZIP_OK, "%s", err);
    clip_assert_same(&want, &got);
    cr_assert_gt(logs, 0, "the plugin never used the host's log");
    cr_assert_gt(pool_runs, 0, "the plugin never ran on the host's parallel-for");
}

Test(abi, old_host_config_of_1_0_size)
{
    /* Exactly the 1.0 bytes, so a read past them is a sanitizer error. */
    struct clip_result want, got;
    reference(&want);
    struct omnizip_config *cfg = malloc(CONFIG_SIZE_1_0);
    cr_assert_not_null(cfg);
    memset(cfg, 0, CONFIG_SIZE_1_0);
    cfg->struct_size = CONFIG_SIZE_1_0;
    P->config_default(cfg);
    cr_assert_eq(cfg->struct_size, CONFIG_SIZE_1_0);
    struct omnizip_host *host = calloc(1, HOST_SIZE_1_0);
    cr_assert_not_null(host);
    host->struct_size = HOST_SIZE_1_0;
    char err[256] = "";
    cr_assert_eq(clip_run(P, cfg, host, &got, err, sizeof err), OMNIZIP_OK, "%s", err);
    clip_assert_same(&want, &got);
    free(cfg);
    free(host);
}

Test(abi, future_host_with_zeroed_tail)
{
    struct clip_result want, got;
    reference(&want);
    size_t size = sizeof(struct omnizip_config) + 64;
    struct omnizip_config *cfg = calloc(1, size);
    cr_assert_not_null(cfg);
    cfg->struct_size = (uint32_t)size;
    P->config_default(cfg);
    unsigned char *tail = (unsigned char *)cfg + sizeof *cfg;
    for (int i = 0; i < 64; i++)
        cr_assert_eq(tail[i], 0, "config_default wrote past the size it knows");
    size_t hsize = sizeof(struct omnizip_host) + 32;
    struct omnizip_host *host = calloc(1, hsize);
    cr_assert_not_null(host);
    host->struct_size = (uint32_t)hsize;
    char err[256] = "";
    cr_assert_eq(clip_run(P, cfg, host, &got, err, sizeof err), OMNIZIP_OK, "%s", err);
    clip_assert_same(&want, &got);
    free(cfg);
    free(host);
}

Test(abi, create_refuses_bad_arguments)
{
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    omnizip_ctx *sentinel = (omnizip_ctx *)(uintptr_t)0xAB, *ctx = sentinel;
    char err[128];
    memset(err, 0, sizeof err);
    cr_assert_eq(P->create(NULL, NULL, &ctx, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_str_not_empty(err);
    cr_assert_eq(ctx, sentinel);
    cr_assert_eq(P->create(&cfg, NULL, NULL, err, sizeof err), OMNIZIP_E_INVALID);
    memset(err, 0, sizeof err);
    cfg.struct_size = 3;
    cr_assert_eq(P->create(&cfg, NULL, &ctx, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_str_not_empty(err);
    cr_assert_eq(ctx, sentinel);
    cfg.struct_size = sizeof cfg;
    struct omnizip_host host = {.struct_size = offsetof(struct omnizip_host, parallel_for)};
    memset(err, 0, sizeof err);
    cr_assert_eq(P->create(&cfg, &host, &ctx, err, sizeof err), OMNIZIP_E_INVALID,
                 "a host below the 1.0 layout must be refused");
    cr_assert_str_not_empty(err);
    cr_assert_eq(ctx, sentinel);
    P->destroy(NULL);
}

/* Asserts a failed call changed none of the 0xAB-filled caller buffers. */
static void assert_untouched(const struct clip_outs *o)
{
    for (size_t i = 0; i < sizeof *o; i++)
        cr_assert_eq(((const unsigned char *)o)[i], 0xAB, "caller buffer byte %zu written", i);
}

static omnizip_ctx *new_ctx(void)
{
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    omnizip_ctx *ctx = NULL;
    char err[256] = "";
    cr_assert_eq(P->create(&cfg, NULL, &ctx, err, sizeof err), OMNIZIP_OK, "%s", err);
    return ctx;
}

/* Calls window(ctx, i) on 0xAB buffers; expects status and untouched buffers. */
static void window_fails(omnizip_ctx *ctx, uint32_t i, omnizip_status want, uint32_t out_size)
{
    struct clip_outs o;
    memset(&o, 0xAB, sizeof o);
    struct omnizip_window_in in = clip_window_in(i < CLIP_WINDOWS ? i : 0);
    struct omnizip_window_out out = clip_window_out(&o);
    out.struct_size = out_size;
    cr_assert_eq(P->window(ctx, i, &in, &out), want, "window %u: %s", i, P->last_error(ctx));
    cr_assert_str_not_empty(P->last_error(ctx));
    assert_untouched(&o);
}

Test(abi, plan_refuses_bad_arguments)
{
    omnizip_ctx *ctx = new_ctx();
    struct omnizip_plan plan;
    memset(&plan, 0xAB, sizeof plan);
    plan.struct_size = sizeof plan;
    struct omnizip_plan before = plan;
    struct omnizip_layout lay = clip_layout();
    cr_assert_eq(P->plan(NULL, &lay, clip_scores(), CLIP_NA, &plan), OMNIZIP_E_INVALID);
    cr_assert_eq(P->plan(ctx, NULL, clip_scores(), CLIP_NA, &plan), OMNIZIP_E_INVALID);
    cr_assert_str_not_empty(P->last_error(ctx));
    cr_assert_eq(P->plan(ctx, &lay, NULL, CLIP_NA, &plan), OMNIZIP_E_INVALID);
    cr_assert_eq(P->plan(ctx, &lay, clip_scores(), CLIP_NA - 1, &plan), OMNIZIP_E_INVALID);
    cr_assert_str_not_empty(P->last_error(ctx));
    lay.struct_size = 3;
    cr_assert_eq(P->plan(ctx, &lay, clip_scores(), CLIP_NA, &plan), OMNIZIP_E_INVALID);
    cr_assert_str_not_empty(P->last_error(ctx));
    cr_assert_arr_eq(&plan, &before, sizeof plan);
    P->destroy(ctx);
}

Test(abi, window_before_plan_is_a_state_error)
{
    omnizip_ctx *ctx = new_ctx();
    window_fails(ctx, 0, OMNIZIP_E_STATE, sizeof(struct omnizip_window_out));
    P->destroy(ctx);
}

Test(abi, window_before_bind_is_a_state_error)
{
    omnizip_ctx *ctx = new_ctx();
    struct omnizip_layout lay = clip_layout();
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    cr_assert_eq(P->plan(ctx, &lay, clip_scores(), CLIP_NA, &plan), OMNIZIP_OK);
    window_fails(ctx, 0, OMNIZIP_E_STATE, sizeof(struct omnizip_window_out));
    P->destroy(ctx);
}

Test(abi, window_refuses_bad_index_size_and_nulls)
{
    omnizip_ctx *ctx = new_ctx();
    struct omnizip_layout lay = clip_layout();
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    cr_assert_eq(P->plan(ctx, &lay, clip_scores(), CLIP_NA, &plan), OMNIZIP_OK);
    struct omnizip_matrix am = clip_audio(), vm = clip_video();
    cr_assert_eq(P->bind(ctx, NULL, &vm, NULL), OMNIZIP_E_INVALID);
    cr_assert_eq(P->bind(ctx, &am, &vm, NULL), OMNIZIP_OK, "%s", P->last_error(ctx));
    window_fails(ctx, CLIP_WINDOWS, OMNIZIP_E_INVALID, sizeof(struct omnizip_window_out));
    window_fails(ctx, 1000, OMNIZIP_E_INVALID, sizeof(struct omnizip_window_out));
    window_fails(ctx, 0, OMNIZIP_E_INVALID, 3);
    struct clip_outs o;
    struct omnizip_window_out out = clip_window_out(&o);
    struct omnizip_window_in in = clip_window_in(0);
    cr_assert_eq(P->window(ctx, 0, NULL, &out), OMNIZIP_E_INVALID);
    cr_assert_eq(P->window(ctx, 0, &in, NULL), OMNIZIP_E_INVALID);
    cr_assert_eq(P->window(NULL, 0, &in, &out), OMNIZIP_E_INVALID);
    in.struct_size = 3;
    memset(&o, 0xAB, sizeof o);
    cr_assert_eq(P->window(ctx, 0, &in, &out), OMNIZIP_E_INVALID);
    assert_untouched(&o);
    in = clip_window_in(0);
    out.audio_capacity = 1; /* below the run */
    cr_assert_eq(P->window(ctx, 0, &in, &out), OMNIZIP_E_INVALID);
    assert_untouched(&o);
    /* Still usable afterwards. */
    out = clip_window_out(&o);
    cr_assert_eq(P->window(ctx, 0, &in, &out), OMNIZIP_OK, "%s", P->last_error(ctx));
    cr_assert_eq(P->finish(ctx, NULL), OMNIZIP_E_INVALID);
    P->destroy(ctx);
}

struct job {
    struct clip_result r;
    omnizip_status st;
    char err[256];
};

static void *job_run(void *arg)
{
    struct job *j = arg;
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.threads = 2;
    j->st = clip_run(P, &cfg, NULL, &j->r, j->err, sizeof j->err);
    return NULL;
}

Test(abi, two_contexts_on_two_threads)
{
    static struct job seq[2], par[2];
    job_run(&seq[0]);
    job_run(&seq[1]);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, job_run, &par[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(seq[i].st, OMNIZIP_OK, "%s", seq[i].err);
        cr_assert_eq(par[i].st, OMNIZIP_OK, "%s", par[i].err);
        clip_assert_same(&seq[i].r, &par[i].r);
    }
}

/* Runs cmd through the shell; its exit status. */
static int sh(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

Test(abi, public_headers_compile_alone_and_together)
{
    glob_t g;
    cr_assert_eq(glob("include/omnizip/*.h", 0, NULL, &g), 0, "run from the repository root");
    static const char *langs[][2] = {{"cc -x c -std=c99", "c"},
                                     {"cc -x c -std=c11", "c"},
                                     {"c++ -x c++ -std=c++11", "cc"},
                                     {"c++ -x c++ -std=c++17", "cc"}};
    const char *flags = "-Wall -Wextra -pedantic -Werror -Iinclude -fsyntax-only";
    char all[1024] = "", cmd[2048];
    for (size_t h = 0; h < g.gl_pathc; h++) {
        const char *name = g.gl_pathv[h] + strlen("include/");
        snprintf(all + strlen(all), sizeof all - strlen(all), " -include %s", name);
        for (int l = 0; l < 4; l++) {
            snprintf(cmd, sizeof cmd, "%s %s -DOZ_HEADER='<%s>' tests/headers/each.c", langs[l][0],
                     flags, name);
            cr_expect_eq(sh(cmd), 0, "%s", cmd);
        }
    }
    for (int l = 0; l < 4; l++) {
        snprintf(cmd, sizeof cmd, "%s %s%s tests/headers/all.%s", langs[l][0], flags, all,
                 langs[l][1]);
        cr_expect_eq(sh(cmd), 0, "%s", cmd);
    }
    globfree(&g);
}

Test(abi, abi_matches_the_baseline)
{
    if (sh("command -v abidw >/dev/null 2>&1 && command -v abidiff >/dev/null 2>&1") != 0)
        cr_skip_test("abidw/abidiff not installed (package abigail-tools)");
    cr_assert_eq(access("tests/abi/libomnizip.abi", R_OK), 0, "tests/abi/libomnizip.abi missing");
    char dir[] = "/tmp/oz_abi_XXXXXX", cmd[2048];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "abidw %s %s > %s/new.abi", ABIDW_FLAGS, plugin_path, dir);
    cr_assert_eq(sh(cmd), 0, "%s", cmd);
    snprintf(cmd, sizeof cmd,
             "abidiff --suppressions tests/abi/appends.abignore tests/abi/libomnizip.abi "
             "%s/new.abi > %s/diff.txt 2>&1",
             dir, dir);
    int rc = sh(cmd);
    char report[4096] = "";
    snprintf(cmd, sizeof cmd, "%s/diff.txt", dir);
    FILE *f = fopen(cmd, "r");
    if (f) {
        report[fread(report, 1, sizeof report - 1, f)] = '\0';
        fclose(f);
    }
    cr_assert_eq(rc, 0,
                 "abidiff exit %d (4: ABI change, 8: incompatible): the ABI moved. If the "
                 "change is an intended append, regenerate the baseline with "
                 "`abidw " ABIDW_FLAGS " build/libomnizip.so > tests/abi/libomnizip.abi`.\n%s",
                 rc, report);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}
