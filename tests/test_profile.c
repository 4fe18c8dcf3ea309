/* YAML profiles: the shipped ones load, broken ones (tests/profiles/) fail
 * with their exact FILE:LINE:COL message and leave the config alone,
 * extends merges with sources, the fuzz corpus never crashes, and the real
 * .so serves profile_load. Run from the repository root (make test does). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <dlfcn.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define SHIPPED "profiles"
#define BROKEN "tests/profiles/"

static struct omnizip_config fresh(void)
{
    struct omnizip_config c;
    memset(&c, 0xAB, sizeof c);
    c.struct_size = sizeof c;
    oz_config_default(&c);
    return c;
}

static void at_root(void)
{
    cr_assert_eq(access(SHIPPED "/default.yaml", R_OK), 0,
                 "run from the repository root: profiles/default.yaml not found");
}

static omnizip_status load(const char *path, const char *search, struct omnizip_config *c,
                           char *err, size_t size)
{
    err[0] = '\0';
    return oz_profile_load(path, search, c, NULL, NULL, err, size);
}

Test(profile, every_shipped_profile_loads_clean)
{
    glob_t g;
    at_root();
    cr_assert_eq(glob(SHIPPED "/*.yaml", 0, NULL, &g), 0);
    cr_assert_geq(g.gl_pathc, 8);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct omnizip_config c = fresh();
        char err[512];
        cr_assert_eq(load(g.gl_pathv[i], NULL, &c, err, sizeof err), OMNIZIP_OK, "%s: %s",
                     g.gl_pathv[i], err);
        cr_assert_eq(oz_config_check(&c, err, sizeof err), OMNIZIP_OK, "%s", err);
    }
    globfree(&g);
}

static struct omnizip_config shipped(const char *name)
{
    struct omnizip_config c = fresh();
    char path[256], err[512];
    snprintf(path, sizeof path, SHIPPED "/%s.yaml", name);
    cr_assert_eq(load(path, SHIPPED, &c, err, sizeof err), OMNIZIP_OK, "%s", err);
    return c;
}

Test(profile, shipped_profiles_hold_the_paper_numbers)
{
    struct omnizip_config d = fresh(), c;
    at_root();
    /* default.yaml writes out the built-in defaults, byte for byte. */
    c = shipped("default");
    cr_assert_eq(memcmp(&c, &d, sizeof c), 0);
    c = shipped("paper-45");
    cr_assert(c.rho_audio == 0.3 && c.rho_video == 0.6 && c.g == 3);
    c = shipped("aggressive-35");
    cr_assert(c.rho_audio == 0.4 && c.rho_video == 0.7 && c.g == 3);
    c = shipped("balanced-50");
    cr_assert(c.rho_audio == 0.5 && c.rho_video == 0.5 && c.g == 3);
    c = shipped("avut");
    cr_assert(c.rho_audio == 0.3 && c.rho_video == 0.6 && c.g == 15);
    c = shipped("worldsense");
    cr_assert(c.rho_audio == 0.3 && c.rho_video == 0.6 && c.g == 3);
    c = shipped("videomme");
    cr_assert(c.rho_audio == 0.3 && c.rho_video == 0.6 && c.g == 3);
    c = shipped("shortvid");
    cr_assert(c.rho_audio == 0.5 && c.rho_video == 0.5 && c.g == 3);
}

struct broken {
    const char *file;
    omnizip_status status;
    const char *message;
};

static const struct broken broken[] = {
    {"bad_indent.yaml", OMNIZIP_E_PROFILE,
     BROKEN "bad_indent.yaml:2:4: mapping values are not allowed in this context (expected "
            "every key at the start of its line: profiles are flat)"},
    {"tab.yaml", OMNIZIP_E_PROFILE,
     BROKEN "tab.yaml:2:1: expected spaces, found a tab character (YAML indents with spaces)"},
    {"unclosed_quote.yaml", OMNIZIP_E_PROFILE,
     BROKEN "unclosed_quote.yaml:3:1: found unexpected end of stream (while scanning a quoted "
            "scalar at line 1, column 12)"},
    {"unknown_key.yaml", OMNIZIP_E_PROFILE,
     BROKEN "unknown_key.yaml:2:1: unknown key 'rhoaudio' (did you mean rho_audio?)"},
    {"out_of_range.yaml", OMNIZIP_E_PROFILE,
     BROKEN "out_of_range.yaml:2:12: rho_video: 1.5 is out of range [0, 1)"},
    {"wrong_type.yaml", OMNIZIP_E_PROFILE,
     BROKEN "wrong_type.yaml:1:4: expected a scalar value for 'g', found a sequence"},
    {"duplicate_key.yaml", OMNIZIP_E_PROFILE,
     BROKEN "duplicate_key.yaml:3:1: duplicate key 'g' (first at " BROKEN
            "duplicate_key.yaml:1:1)"},
    {"cycle_a.yaml", OMNIZIP_E_PROFILE,
     BROKEN "cycle_b.yaml:2:10: extends cycle: " BROKEN "cycle_a.yaml -> " BROKEN
            "cycle_b.yaml -> " BROKEN "cycle_a.yaml"},
    {"missing_parent.yaml", OMNIZIP_E_PROFILE,
     BROKEN "missing_parent.yaml:2:10: extends: cannot find profile 'nope' (searched: "
            "profiles, tests/profiles)"},
    {"missing_parent_path.yaml", OMNIZIP_E_PROFILE,
     BROKEN "missing_parent_path.yaml:2:10: extends: cannot open '" BROKEN
            "./nope.yaml': No such file or directory"},
    {"empty.yaml", OMNIZIP_E_PROFILE, BROKEN "empty.yaml: empty profile"},
    {"comment_only.yaml", OMNIZIP_E_PROFILE, BROKEN "comment_only.yaml: empty profile"},
    {"binary.yaml", OMNIZIP_E_PROFILE,
     BROKEN "binary.yaml:1:1: expected UTF-8 text: control characters are not allowed (found "
            "0x7F)"},
    {"latin1.yaml", OMNIZIP_E_PROFILE,
     BROKEN "latin1.yaml:2:7: expected UTF-8 text: incomplete UTF-8 octet sequence (found "
            "0xE9)"},
    {"top_list.yaml", OMNIZIP_E_PROFILE,
     BROKEN "top_list.yaml:1:1: expected a mapping of key: value, found a sequence"},
    {"top_scalar.yaml", OMNIZIP_E_PROFILE,
     BROKEN "top_scalar.yaml:1:1: expected a mapping of key: value, found a scalar"},
    {"two_docs.yaml", OMNIZIP_E_PROFILE,
     BROKEN "two_docs.yaml:2:1: expected the end of the profile, found a second document"},
    {"min_above_max.yaml", OMNIZIP_E_PROFILE,
     BROKEN "min_above_max.yaml:2:1: rho_min (0.8) must not exceed rho_max (0.75)"},
    /* The child's rho_max made the pair inconsistent: it is the one blamed. */
    {"child_max_below_min.yaml", OMNIZIP_E_PROFILE,
     BROKEN "child_max_below_min.yaml:1:1: rho_min (0.35) must not exceed rho_max (0.2)"},
    {"does_not_exist.yaml", OMNIZIP_E_IO,
     BROKEN "does_not_exist.yaml: cannot open: No such file or directory"},
};

static void count(void *user, const char *key, const char *value, const char *file, int32_t line)
{
    ++*(int *)user;
}

Test(profile, broken_profiles_fail_with_exact_messages_and_touch_nothing)
{
    at_root();
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        struct omnizip_config c = fresh(), before = fresh();
        char path[256], err[1024];
        int called = 0;
        snprintf(path, sizeof path, BROKEN "%s", broken[i].file);
        cr_assert_eq(oz_profile_load(path, SHIPPED, &c, count, &called, err, sizeof err),
                     broken[i].status, "%s: %s", path, err);
        cr_assert_str_eq(err, broken[i].message);
        cr_assert_eq(memcmp(&c, &before, sizeof c), 0, "%s changed the config", path);
        cr_assert_eq(called, 0, "%s: on_key called on failure", path);
    }
}

struct seen {
    char value[64];
    char file[256];
    int line;
};

static void record(void *user, const char *key, const char *value, const char *file, int32_t line)
{
    struct seen *s = user;
    int i = oz_config_key_index(key);
    /* [1.1] The named file's own extends and description come after the keys. */
    if (strcmp(key, "extends") == 0 || strcmp(key, "description") == 0)
        i = (int)oz_config_key_count() + (key[0] == 'd');
    cr_assert_geq(i, 0, "on_key got unknown key %s", key);
    snprintf(s[i].value, sizeof s[i].value, "%s", value);
    snprintf(s[i].file, sizeof s[i].file, "%s", file ? file : "(default)");
    s[i].line = line;
}

static void expect_key(const struct seen *s, const char *key, const char *value, const char *file,
                       int line)
{
    const struct seen *k = &s[oz_config_key_index(key)];
    cr_assert_str_eq(k->value, value, "%s", key);
    cr_assert_str_eq(k->file, file, "%s", key);
    cr_assert_eq(k->line, line, "%s", key);
}

Test(profile, child_overrides_parent_and_on_key_reports_sources)
{
    struct omnizip_config c = fresh();
    struct seen s[64];
    char err[512];
    at_root();
    memset(s, 0, sizeof s);
    cr_assert_eq(oz_profile_load(BROKEN "child.yaml", NULL, &c, record, s, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.g, 9);
    cr_assert_eq(c.rho_audio, 0.2);
    cr_assert_eq(c.dpc_k, 4);
    cr_assert_eq(c.similarity_scope, OMNIZIP_SCOPE_WINDOW);
    cr_assert_eq(c.scope_radius, 2);
    cr_assert_eq(c.rho_video, 0.5);
    expect_key(s, "g", "9", BROKEN "child.yaml", 3);
    expect_key(s, "similarity_scope", "window:2", BROKEN "child.yaml", 4);
    expect_key(s, "rho_audio", "0.2", BROKEN "parent.yaml", 2);
    expect_key(s, "dpc_k", "4", BROKEN "parent.yaml", 4);
    expect_key(s, "rho_video", "0.5", "(default)", 0);
    expect_key(s, "telemetry", "off", "(default)", 0);
    const struct seen *ext = &s[oz_config_key_count()];
    cr_assert_str_eq(ext->value, "parent.yaml");
    cr_assert_str_eq(ext->file, BROKEN "child.yaml");
    for (size_t i = 0; i < oz_config_key_count(); i++)
        cr_assert_neq(s[i].value[0], '\0', "on_key skipped %s", oz_config_key_name(i));
}

static char *temp_dir(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/oz_profile_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

Test(profile, names_are_searched_in_search_path_order)
{
    char *dir = temp_dir(), shadow[128], search[256], err[512];
    struct omnizip_config c = fresh();
    at_root();
    snprintf(shadow, sizeof shadow, "%s/paper-45.yaml", dir);
    write_file(shadow, "g: 11\n", 6);
    snprintf(search, sizeof search, "::%s:" SHIPPED, dir);
    cr_assert_eq(load(SHIPPED "/worldsense.yaml", search, &c, err, sizeof err), OMNIZIP_OK, "%s",
                 err);
    cr_assert_eq(c.g, 11);
    cr_assert_eq(c.rho_audio, 0.5, "the shadowing parent sets no rho_audio");
    c = fresh();
    cr_assert_eq(load(SHIPPED "/worldsense.yaml", SHIPPED ":", &c, err, sizeof err), OMNIZIP_OK,
                 "%s", err);
    cr_assert_eq(c.g, 3);
    cr_assert_eq(c.rho_audio, 0.3);
    unlink(shadow);
    rmdir(dir);
}

Test(profile, bad_arguments_and_tiny_error_buffers_are_safe)
{
    struct omnizip_config c = fresh(), before = fresh();
    char err[12];
    at_root();
    cr_assert_eq(oz_profile_load(NULL, NULL, &c, NULL, NULL, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_eq(oz_profile_load(SHIPPED "/avut.yaml", NULL, NULL, NULL, NULL, NULL, 0),
                 OMNIZIP_E_INVALID);
    c.struct_size = 16;
    cr_assert_eq(oz_profile_load(SHIPPED "/avut.yaml", NULL, &c, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_INVALID);
    c = fresh();
    cr_assert_eq(oz_profile_load(BROKEN "out_of_range.yaml", NULL, &c, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_PROFILE);
    cr_assert_str_eq(err, "tests/profi");
    cr_assert_eq(oz_profile_load(BROKEN "out_of_range.yaml", NULL, &c, NULL, NULL, NULL, 0),
                 OMNIZIP_E_PROFILE);
    cr_assert_eq(memcmp(&c, &before, sizeof c), 0);
    cr_assert_eq(oz_profile_load(BROKEN, NULL, &c, NULL, NULL, err, sizeof err), OMNIZIP_E_IO);
}

/* One load of an arbitrary file: never a crash, always a known status and,
 * on failure, a non-empty message and an untouched config. */
static void survive(const char *path)
{
    struct omnizip_config c = fresh(), before = fresh();
    char err[256];
    omnizip_status st;
    memset(err, 'x', sizeof err);
    st = oz_profile_load(path, SHIPPED, &c, NULL, NULL, err, sizeof err);
    cr_assert(st == OMNIZIP_OK || st == OMNIZIP_E_PROFILE || st == OMNIZIP_E_IO, "%s: status %d",
              path, (int)st);
    if (st == OMNIZIP_OK)
        return;
    cr_assert_neq(memchr(err, '\0', sizeof err), NULL, "%s: unterminated message", path);
    cr_assert_neq(err[0], '\0', "%s: empty message", path);
    cr_assert_eq(memcmp(&c, &before, sizeof c), 0, "%s: config changed on failure", path);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(1 << 16);
    cr_assert(f && buf, "%s", path);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* Replays tests/corpus/profile/, then every prefix and a set of single-byte
 * mutations of each file, as a fuzzer's regression driver would. */
Test(profile, corpus_replay_never_crashes, .timeout = 120)
{
    static const unsigned char swaps[] = {':', '\t', '\n', '"', '[', '{', '&', '*', '-', 0xFF, 0};
    DIR *d = opendir("tests/corpus/profile");
    struct dirent *ent;
    char *dir = temp_dir(), tmp[128], path[512];
    size_t files = 0;
    at_root();
    cr_assert_not_null(d);
    snprintf(tmp, sizeof tmp, "%s/case.yaml", dir);
    while ((ent = readdir(d))) {
        unsigned char *buf;
        size_t len;
        if (ent->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "tests/corpus/profile/%s", ent->d_name);
        survive(path);
        files++;
        buf = slurp(path, &len);
        for (size_t n = 0; n < len; n++) {
            write_file(tmp, buf, n);
            survive(tmp);
        }
        for (size_t i = 0; i < len; i++) {
            unsigned char keep = buf[i];
            for (size_t s = 0; s < sizeof swaps; s++) {
                buf[i] = swaps[s];
                write_file(tmp, buf, len);
                survive(tmp);
            }
            buf[i] = keep;
        }
        free(buf);
    }
    closedir(d);
    cr_assert_geq(files, 10, "corpus too small");
    unlink(tmp);
    rmdir(dir);
}

/* The same loader through the real plugin: dlopen + the ABI table. */
Test(profile, real_plugin_serves_profile_load)
{
    const char *b = getenv("OMNIZIP_BUILD");
    char so[512], err[512];
    struct omnizip_config c;
    struct seen s[64];
    void *h;
    omnizip_plugin_entry_fn entry;
    const struct omnizip_plugin *p;

    at_root();
    snprintf(so, sizeof so, "%s/libomnizip.so", b && *b ? b : "build");
    h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(h, "%s", dlerror());
    *(void **)&entry = dlsym(h, OMNIZIP_ENTRY_SYMBOL);
    cr_assert_not_null(entry);
    p = entry(OMNIZIP_ABI_VERSION);
    cr_assert_not_null(p);
    cr_assert_not_null(p->config_default);
    cr_assert_not_null(p->profile_load, "profile_load not wired into the table");
    memset(&c, 0, sizeof c);
    memset(s, 0, sizeof s);
    c.struct_size = sizeof c;
    p->config_default(&c);
    cr_assert_eq(p->profile_load(SHIPPED "/avut.yaml", SHIPPED, &c, record, s, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.g, 15);
    cr_assert_eq(c.rho_video, 0.6);
    expect_key(s, "g", "15", SHIPPED "/avut.yaml", 7);
    expect_key(s, "rho_audio", "0.3", SHIPPED "/paper-45.yaml", 5);
    cr_assert_eq(p->profile_load(BROKEN "tab.yaml", NULL, &c, NULL, NULL, err, sizeof err),
                 OMNIZIP_E_PROFILE);
    cr_assert_str_eq(err, broken[1].message);
    cr_assert_eq(c.g, 15);
    dlclose(h);
}
