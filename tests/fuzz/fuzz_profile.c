/*
 * fuzz_profile.c - the profile loader through the real table: the bytes are
 * up to three YAML files separated by lines "%%" (a.yaml, b.yaml, c.yaml, in
 * one directory that is also the search path), so `extends: b`, chains,
 * cycles and paths all occur. The result, when loaded, must pass
 * config_check, and a failed load must leave the config untouched.
 */
#include "fuzz.h"

#include <omnizip/omnizip.h>

static void count_key(void *user, const char *key, const char *value, const char *file,
                      int32_t line)
{
    if (!key || !value)
        abort();
    ++*(int *)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"a.yaml", "b.yaml", "c.yaml"};
    char paths[3][128];
    size_t start = 0;
    for (int k = 0; k < 3; k++) {
        size_t end = size;
        if (k < 2)
            for (size_t i = start; i + 3 <= size; i++)
                if (data[i] == '%' && data[i + 1] == '%' && data[i + 2] == '\n' &&
                    (i == start || data[i - 1] == '\n')) {
                    end = i;
                    break;
                }
        fz_write(fz_path(paths[k], names[k]), data + (start < size ? start : size),
                 end > start ? end - start : 0);
        start = end + 3;
    }
    const struct omnizip_plugin *p = omnizip_plugin_entry(1);
    struct omnizip_config cfg, before;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    p->config_default(&cfg);
    before = cfg;
    char dir[128], err[512];
    snprintf(dir, sizeof dir, "%s", fz_dir_path);
    int keys = 0;
    omnizip_status st = p->profile_load(paths[0], dir, &cfg, count_key, &keys, err, sizeof err);
    if (st == OMNIZIP_OK && p->config_check(&cfg, err, sizeof err) != OMNIZIP_OK)
        abort();
    if (st != OMNIZIP_OK && memcmp(&cfg, &before, sizeof cfg) != 0)
        abort();
    return 0;
}
