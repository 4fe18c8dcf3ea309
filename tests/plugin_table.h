/*
 * plugin_table.h - the real plugin's table for a test: dlopen of
 * $OMNIZIP_BUILD/libomnizip.so (build/ by default), negotiated as a host
 * does. Asserts (criterion) when anything is missing.
 */
#ifndef OZ_TEST_PLUGIN_TABLE_H
#define OZ_TEST_PLUGIN_TABLE_H

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <omnizip/omnizip.h>

static inline const struct omnizip_plugin *test_plugin_table(void)
{
    char path[512];
    const char *b = getenv("OMNIZIP_BUILD") ? getenv("OMNIZIP_BUILD") : "build";
    snprintf(path, sizeof path, "%s/libomnizip.so", b);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(h, "%s", dlerror());
    omnizip_plugin_entry_fn e = (omnizip_plugin_entry_fn)dlsym(h, OMNIZIP_ENTRY_SYMBOL);
    cr_assert_not_null(e);
    const struct omnizip_plugin *p = e(OMNIZIP_ABI_VERSION);
    cr_assert_not_null(p);
    return p;
}

#endif
