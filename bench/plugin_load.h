/* plugin_load.h - the benchmarks' way to reach the plugin: dlopen the .so
 * at path (RTLD_NOW | RTLD_LOCAL) and negotiate the ABI, as a host does. */
#ifndef OZ_BENCH_PLUGIN_LOAD_H
#define OZ_BENCH_PLUGIN_LOAD_H

#include <dlfcn.h>
#include <string.h>

#include <omnizip/omnizip.h>

/* The table, or NULL with *why set (dlerror's text or "no table"). */
static const struct omnizip_plugin *bench_plugin(const char *path, const char **why)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        *why = dlerror();
        return NULL;
    }
    omnizip_plugin_entry_fn entry;
    void *sym = dlsym(dl, OMNIZIP_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry);
    const struct omnizip_plugin *p = entry ? entry(OMNIZIP_ABI_VERSION) : NULL;
    *why = p ? "" : "no table";
    return p;
}

#endif
