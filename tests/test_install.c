/*
 * test_install.c - omnizip as a user meets it after `make install`: make test
 * installs into $OMNIZIP_BUILD/test-prefix by staging under PREFIX and then
 * moving the tree (so nothing may depend on the prefix it was built for).
 * From there: the installed omnizip-run finds its plugin and profiles, the
 * example hosts build with pkg-config alone and with CMake, and their output
 * equals what omnizip-run writes, to the bit. A build under
 * CFLAGS='-O3 -march=native' (build/o3) keeps exactly the same tokens.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runtime-shim/examples/summary.h"
#include "safetensors.h"

#define GOLDEN "tests/data/paper45.safetensors"
#define O3_BUILD "build/o3"

static const char *build_dir(void)
{
    const char *b = getenv("OMNIZIP_BUILD");
    return b && *b ? b : "build";
}

static char prefix[PATH_MAX], tmp[64], repo[PATH_MAX];

static void setup(void)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/test-prefix", build_dir());
    cr_assert_not_null(realpath(p, prefix), "%s missing: make test installs it", p);
    cr_assert_not_null(getcwd(repo, sizeof repo));
    strcpy(tmp, "/tmp/oz_install_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(install, .init = setup, .fini = teardown, .timeout = 120);

/* Runs cmd under sh with stdout into out (NUL-terminated); the exit status. */
static int run(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t size, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f, "%s", cmd);
    size_t n = 0;
    if (out) {
        while (n + 1 < size && !feof(f))
            n += fread(out + n, 1, size - 1 - n, f);
        out[n] = '\0';
    } else {
        char sink[4096];
        while (fread(sink, 1, sizeof sink, f) > 0)
            ;
    }
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Extra compiler flags for hosts: a sanitized build's shim needs its runtime. */
static const char *host_flags(void)
{
    return strstr(build_dir(), "san") ? "-fsanitize=address,undefined" : "";
}

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %.200s", e.text, text);
    return j;
}

static json_int_t kept(json_t *j, const char *what)
{
    return json_integer_value(
        json_object_get(json_object_get(json_object_get(j, "tokens"), what), "kept"));
}

/* What the hosts must print for GOLDEN under paper-45: the same summary,
 * computed from the file omnizip-run writes and its --json counts. */
static void expected_summary(char *buf, size_t size)
{
    char out[PATH_MAX], json[1 << 16], err[512];
    snprintf(out, sizeof out, "%s/cli.safetensors", tmp);
    cr_assert_eq(run(json, sizeof json, "%s/omnizip-run compress %s -o %s --task paper-45 --json",
                     build_dir(), GOLDEN, out),
                 0);
    json_t *j = parse(json), *t = json_object_get(j, "tokens");
    ozs_st_file *f;
    cr_assert_eq(ozs_st_open(out, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    const struct ozs_st_tensor *e = ozs_st_find(f, "inputs_embeds"),
                               *ids = ozs_st_find(f, "input_ids");
    const struct ozs_st_tensor *pos = ozs_st_find(f, "position_ids");
    const struct ozs_st_tensor *keep = ozs_st_find(f, "keep_mask");
    cr_assert(e && ids && pos && keep && e->dtype == OZ_ST_F32 && ids->dtype == OZ_ST_I64);
    int64_t n = ids->count, max_pos = -1;
    for (int64_t i = 0; i < pos->count; i++)
        max_pos = ((const int64_t *)pos->data)[i] > max_pos ? ((const int64_t *)pos->data)[i]
                                                            : max_pos;
    FILE *m = fmemopen(buf, size, "w");
    cr_assert_not_null(m);
    fprintf(m, "windows %lld audio %lld->%lld video %lld->%lld\n",
            (long long)json_integer_value(json_object_get(j, "windows")),
            (long long)json_integer_value(json_object_get(json_object_get(t, "audio"), "in")),
            (long long)kept(j, "audio"),
            (long long)json_integer_value(json_object_get(json_object_get(t, "video"), "in")),
            (long long)kept(j, "video"));
    ozs_example_summary(m, n, e->shape[e->rank - 1], e->data, ids->data, pos->data, n, NULL,
                        max_pos + 1);
    fclose(m);
    ozs_st_close(f);
    json_decref(j);
}

/* Runs an example host from the moved install; it must compress, not pass
 * through. libpath: whether the host needs LD_LIBRARY_PATH to find the shim
 * (a CMake-built host has a RUNPATH instead, and then only the shim's own
 * location can lead it to the plugin). */
static void check_host(const char *exe, int libpath)
{
    char want[4096], got[4096];
    expected_summary(want, sizeof want);
    int rc = run(got, sizeof got,
                 "cd %s && env -u OMNIZIP_PLUGIN -u OMNIZIP_PROFILE_PATH -u LD_LIBRARY_PATH "
                 "%s%s%s%s %s/%s %s/share/omnizip/profiles/paper-45.yaml",
                 tmp, libpath ? "LD_LIBRARY_PATH=" : "", libpath ? prefix : "",
                 libpath ? "/lib " : "", exe, repo, GOLDEN, prefix);
    cr_assert_eq(rc, 0, "%s exited %d (5: no plugin found)\n%s", exe, rc, got);
    cr_assert_str_eq(got, want, "%s differs from omnizip-run", exe);
    cr_assert(strstr(got, "length 667\n"), "%s", got);
}

Test(install, moved_prefix_plans_with_its_own_plugin_and_profiles)
{
    char out[1 << 16], ref[1 << 16];
    int rc = run(out, sizeof out,
                 "cd %s && env -u OMNIZIP_PLUGIN -u OMNIZIP_PROFILE_PATH "
                 "%s/bin/omnizip-run plan --task paper-45 --json",
                 tmp, prefix);
    cr_assert_eq(rc, 0, "installed omnizip-run exited %d: %s", rc, out);
    cr_assert_eq(run(ref, sizeof ref, "%s/omnizip-run plan --task paper-45 --json", build_dir()),
                 0);
    json_t *a = parse(out), *b = parse(ref);
    cr_assert_eq(kept(a, "total"), kept(b, "total"));
    cr_assert_lt(kept(a, "total"), 7340, "nothing compressed");
    json_decref(a);
    json_decref(b);
}

Test(install, c_host_links_with_pkg_config_alone)
{
    char out[8192];
    int rc = run(out, sizeof out,
                 "PKG_CONFIG_PATH=%s/lib/pkgconfig; export PKG_CONFIG_PATH; "
                 "cc -std=c11 -Wall -Wextra -pedantic -Werror %s runtime-shim/examples/host.c "
                 "-o %s/host $(pkg-config --cflags --libs omnizip) 2>&1",
                 prefix, host_flags(), tmp);
    cr_assert_eq(rc, 0, "%s", out);
    char exe[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/host", tmp);
    check_host(exe, 1);
}

Test(install, hosts_build_with_cmake_find_package)
{
    char out[1 << 15];
    int rc = run(out, sizeof out,
                 "cmake -S runtime-shim/examples -B %s/cm -DCMAKE_PREFIX_PATH=%s "
                 "-DCMAKE_C_FLAGS='%s' -DCMAKE_CXX_FLAGS='-Wall -Wextra -pedantic -Werror %s' "
                 ">/dev/null 2>&1 && cmake --build %s/cm 2>&1",
                 tmp, prefix, host_flags(), host_flags(), tmp);
    cr_assert_eq(rc, 0, "cmake: %s", out);
    const char *exes[] = {"host_cpp", "host_c", "host_c_static"};
    for (size_t i = 0; i < sizeof exes / sizeof exes[0]; i++) {
        char exe[PATH_MAX];
        snprintf(exe, sizeof exe, "%s/cm/%s", tmp, exes[i]);
        check_host(exe, 0);
    }
}

Test(install, shim_library_exports_only_its_api)
{
    char out[1 << 14];
    cr_assert_eq(run(out, sizeof out, "nm -D --defined-only %s/lib/libomnizip_shim.so.1", prefix),
                 0);
    int n = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        const char *name = strrchr(line, ' ');
        name = name ? name + 1 : line;
        cr_expect(strncmp(name, "omnizip_", 8) == 0, "exported: %s", name);
        cr_expect(!strstr(name, "run_main") && !strstr(name, "cli"), "CLI symbol: %s", name);
        n++;
    }
    cr_assert_gt(n, 10);
    cr_assert_eq(run(out, sizeof out,
                     "readelf -d %s/lib/libomnizip_shim.so.1 | grep -c "
                     "'SONAME.*libomnizip_shim.so.1'",
                     prefix),
                 0);
}

Test(install, docs_man_pages_and_package_files)
{
    const char *files[] = {
        "share/man/man1/omnizip-run.1",
        "share/man/man1/omnizip-inspect.1",
        "share/doc/omnizip/README.md",
        "share/doc/omnizip/ALGORITHM.md",
        "share/doc/omnizip/ABI.md",
        "share/doc/omnizip/FORMATS.md",
        "share/doc/omnizip/INTEGRATION.md",
        "lib/cmake/omnizip/omnizipConfig.cmake",
        "lib/cmake/omnizip/omnizipConfigVersion.cmake",
        "include/omnizip/shim.h",
        "share/omnizip/profiles/default.yaml",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", prefix, files[i]);
        cr_expect_eq(access(p, R_OK), 0, "not installed: %s", files[i]);
    }
    char out[PATH_MAX], real[PATH_MAX];
    cr_assert_eq(run(out, sizeof out,
                     "PKG_CONFIG_PATH=%s/lib/pkgconfig pkg-config --variable=plugin omnizip",
                     prefix),
                 0);
    out[strcspn(out, "\n")] = '\0';
    cr_assert_not_null(realpath(out, real), "the .pc names %s", out);
    cr_assert(strncmp(real, prefix, strlen(prefix)) == 0, "%s is outside %s", real, prefix);
}

/* Every golden file's counts and keep mask under -O3 -march=native equal
 * this build's: the required flags (-ffp-contract=off...) survive CFLAGS. */
Test(install, o3_native_build_keeps_the_same_tokens, .timeout = 180)
{
    const char *cases[] = {"audio_only", "balanced50",   "basic",          "paper35_g15",
                           "paper45",    "three_frames", "two_windows_g0", "unguided_tail_ragged",
                           "video_only"};
    const char *keys[] = {"rho_audio", "rho_video", "g",    "contextual_ratio",
                          "rho_min",   "rho_max",   "dpc_k"};
    cr_assert_eq(access(O3_BUILD "/omnizip-run", X_OK), 0, "make test builds " O3_BUILD);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char in[256], sets[1024] = "", err[512];
        snprintf(in, sizeof in, "tests/data/%s.safetensors", cases[c]);
        ozs_st_file *f;
        cr_assert_eq(ozs_st_open(in, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            snprintf(sets + strlen(sets), sizeof sets - strlen(sets), " --set %s=%s", keys[k],
                     ozs_st_meta(f, keys[k]));
        ozs_st_close(f);
        const char *builds[2] = {build_dir(), O3_BUILD};
        char json[2][1 << 16], plan[2][1 << 16];
        unsigned char *mask[2];
        int64_t mask_len[2];
        for (int b = 0; b < 2; b++) {
            cr_assert_eq(run(json[b], sizeof json[b],
                             "%s/omnizip-run compress %s -o %s/%d.st --json %s", builds[b], in, tmp,
                             b, sets),
                         0, "%s on %s", builds[b], in);
            cr_assert_eq(run(plan[b], sizeof plan[b], "%s/omnizip-run plan %s --json %s", builds[b],
                             in, sets),
                         0);
            char out[PATH_MAX];
            snprintf(out, sizeof out, "%s/%d.st", tmp, b);
            cr_assert_eq(ozs_st_open(out, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
            const struct ozs_st_tensor *t = ozs_st_find(f, "keep_mask");
            mask_len[b] = t->count;
            mask[b] = malloc((size_t)t->count + 1);
            memcpy(mask[b], t->data, (size_t)t->count);
            ozs_st_close(f);
        }
        for (int which = 0; which < 2; which++) {
            json_t *a = parse(which ? plan[0] : json[0]), *o = parse(which ? plan[1] : json[1]);
            const char *mods[] = {"audio", "video", "total"};
            for (int m = 0; m < 3; m++)
                cr_assert_eq(kept(a, mods[m]), kept(o, mods[m]), "%s: %s kept differs at -O3",
                             cases[c], mods[m]);
            json_t *pa = json_object_get(a, "per_window"), *po = json_object_get(o, "per_window");
            for (size_t w = 0; w < json_array_size(pa); w++) {
                json_t *x = json_array_get(pa, w), *y = json_array_get(po, w);
                const char *fields[] = {"audio_kept", "video_kept", "s_a", "rate"};
                for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
                    cr_assert(json_equal(json_object_get(x, fields[k]),
                                         json_object_get(y, fields[k])),
                              "%s window %zu: %s differs at -O3", cases[c], w, fields[k]);
            }
            json_decref(a);
            json_decref(o);
        }
        cr_assert(mask_len[0] == mask_len[1] && memcmp(mask[0], mask[1], (size_t)mask_len[0]) == 0,
                  "%s: keep masks differ at -O3", cases[c]);
        free(mask[0]);
        free(mask[1]);
    }
}
