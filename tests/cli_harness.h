/*
 * cli_harness.h - what the omnizip-run suites share: a scratch directory per
 * test, the real binary run with its output captured, the shim's reader for
 * what it wrote, and the check that a failing run writes nothing.
 */
#ifndef OZ_TEST_CLI_HARNESS_H
#define OZ_TEST_CLI_HARNESS_H

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

static inline void setup(void)
{
    const char *b = getenv("OMNIZIP_BUILD");
    snprintf(bin, sizeof bin, "%s/omnizip-run", b && *b ? b : "build");
    snprintf(tmp, sizeof tmp, "/tmp/oz_cli_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static inline void teardown(void)
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

/* A path in this test's directory; lives until teardown. */
static inline char *tpath(const char *name)
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
static inline struct result run_args(const char *const *args)
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

static inline void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

static inline int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static inline ozs_st_file *st_open(const char *path)
{
    char err[512];
    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open(path, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    return f;
}

static inline const struct ozs_st_tensor *tensor(ozs_st_file *f, const char *name,
                                                 enum ozs_st_dtype dtype)
{
    const struct ozs_st_tensor *t = ozs_st_find(f, name);
    cr_assert_not_null(t, "%s: no tensor %s", ozs_st_path(f), name);
    cr_assert_eq(t->dtype, dtype, "%s: %s has dtype %s", ozs_st_path(f), name,
                 ozs_st_dtype_name(t->dtype));
    return t;
}

static inline json_t *parse_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "stdout is not JSON (%s, line %d): %.200s", e.text, e.line, text);
    return j;
}

static inline json_int_t jint(json_t *obj, const char *path)
{
    json_t *v = json_object_get(obj, path);
    cr_assert(json_is_integer(v), "no integer '%s'", path);
    return json_integer_value(v);
}

static inline json_t *jobj(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    cr_assert_not_null(v, "no key '%s'", key);
    return v;
}

static inline void write_bytes(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

static inline void write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

/* Runs a command that must fail with code, leaving no OUT and an existing
 * OUT untouched; stderr must mention needle. */
static inline void expect_failure(const char *const *args, int code, const char *needle)
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

#endif
