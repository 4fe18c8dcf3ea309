/*
 * loader.c - finds libomnizip.so, dlopens it, negotiates the ABI and checks
 * the table before anything else calls it. Every refusal leaves the shim in
 * pass-through mode with a reason that names the path, so a runtime keeps
 * serving when the plugin is missing or incompatible.
 */
#include "loader.h"
#include "ozc_err.h"
#include "ozc_status.h"

#include <dlfcn.h>
#include <link.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

/* Majors probed to tell the user which one a refusing plugin serves. */
#define PROBE_MAX 16u

/* The table as ABI 1.0 released it: a plugin serving less is refused. */
#define TABLE_SIZE_1_0                                \
    (offsetof(struct omnizip_plugin, get_extension) + \
     sizeof(((struct omnizip_plugin *)0)->get_extension))

struct omnizip_shim {
    void *dl;
    const struct omnizip_plugin *plugin;
    struct omnizip_host host;
    int has_host;
    char path[PATH_MAX];
    char reason[PATH_MAX + 512];
};

/* Records why the shim passes through and tells the host's log. */
static void refuse(omnizip_shim *shim, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ozc_verr(shim->reason, sizeof shim->reason, fmt, ap);
    va_end(ap);
    if (shim->has_host && shim->host.log)
        shim->host.log(shim->host.user, OMNIZIP_LOG_WARN, shim->reason);
}

static void copy_host(omnizip_shim *shim, const struct omnizip_host *host)
{
    if (!host)
        return;
    size_t n = host->struct_size < sizeof shim->host ? host->struct_size : sizeof shim->host;
    memcpy(&shim->host, host, n);
    shim->host.struct_size = sizeof shim->host;
    shim->has_host = 1;
}

static int exists(const char *path)
{
    return path && *path && access(path, F_OK) == 0;
}

/* The real file behind a bare soname, when the dynamic loader's own search
 * (LD_LIBRARY_PATH, the executable's RUNPATH, ld.so.cache) finds one. */
static int found_by_loader(const char *soname, char *path, size_t size)
{
    void *dl = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        return 0;
    struct link_map *map = NULL;
    int ok = dlinfo(dl, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && *map->l_name;
    if (ok)
        snprintf(path, size, "%s", map->l_name);
    dlclose(dl);
    return ok;
}

/* Resolves the search order of omnizip_shim_open for path == NULL. Returns 0
 * with shim->path set, or -1 with the reason listing every place tried. */
static int search(omnizip_shim *shim)
{
    const char *env = getenv("OMNIZIP_PLUGIN");
    if (exists(env)) {
        snprintf(shim->path, sizeof shim->path, "%s", env);
        return 0;
    }
    struct ozs_paths tries;
    ozs_paths_plugin(&tries);
    char list[OZ_PATHS_MAX * 160] = "";
    for (int i = 0; i < tries.n; i++) {
        const char *t = tries.path[i];
        int bare = strchr(t, '/') == NULL;
        if (bare ? found_by_loader(t, shim->path, sizeof shim->path) : exists(t)) {
            if (!bare)
                snprintf(shim->path, sizeof shim->path, "%s", t);
            return 0;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, bare ? ", %s on the library path" : ", %s", t);
    }
    snprintf(shim->path, sizeof shim->path, "%s", tries.path[tries.n - 1]);
    refuse(shim, "no omnizip plugin found (tried OMNIZIP_PLUGIN=%s%s)",
           env && *env ? env : "(unset)", list);
    return -1;
}

/* Names the first major in 1..PROBE_MAX the plugin serves, for the refusal. */
static void served(omnizip_plugin_entry_fn entry, char *buf, size_t size)
{
    for (uint32_t v = 1; v <= PROBE_MAX; v++) {
        const struct omnizip_plugin *t = entry(v);
        if (t) {
            snprintf(buf, size, "ABI version %u", (unsigned)t->abi_version);
            return;
        }
    }
    snprintf(buf, size, "none of 1..%u", PROBE_MAX);
}

/* The first NULL among the mandatory members, or NULL when all are set. */
static const char *missing_member(const struct omnizip_plugin *t)
{
/* Left as written: clang-format 14 breaks a brace initialiser that opens with #arg. */
// clang-format off
#define MEMBER(m) {#m, t->m == NULL}
    // clang-format on
    const struct {
        const char *name;
        int null;
    } members[] = {
        MEMBER(name),          MEMBER(version),
        MEMBER(status_str),    MEMBER(config_default),
        MEMBER(config_set),    MEMBER(config_check),
        MEMBER(profile_load),  MEMBER(create),
        MEMBER(destroy),       MEMBER(last_error),
        MEMBER(plan),          MEMBER(window_plan),
        MEMBER(bind),          MEMBER(window),
        MEMBER(finish),        MEMBER(audio_importance),
        MEMBER(prefill_flops), MEMBER(get_extension),
    };
#undef MEMBER
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        if (members[i].null)
            return members[i].name;
    return NULL;
}

/* Checks the table entry(1) returned; refuses with a reason on any flaw. */
static int check_table(omnizip_shim *shim, omnizip_plugin_entry_fn entry)
{
    const struct omnizip_plugin *t = entry(OMNIZIP_ABI_VERSION);
    if (!t) {
        char which[64];
        served(entry, which, sizeof which);
        refuse(shim, "%s: plugin refused ABI version %u (it serves %s)", shim->path,
               OMNIZIP_ABI_VERSION, which);
        return -1;
    }
    if (t->abi_version != OMNIZIP_ABI_VERSION) {
        refuse(shim, "%s: asked for ABI version %u, plugin answered with a version %u table",
               shim->path, OMNIZIP_ABI_VERSION, (unsigned)t->abi_version);
        return -1;
    }
    if (t->struct_size < TABLE_SIZE_1_0) {
        refuse(shim, "%s: plugin table is %u bytes, ABI version %u needs at least %zu", shim->path,
               (unsigned)t->struct_size, OMNIZIP_ABI_VERSION, (size_t)TABLE_SIZE_1_0);
        return -1;
    }
    const char *member = missing_member(t);
    if (member) {
        refuse(shim, "%s: plugin table member %s is NULL", shim->path, member);
        return -1;
    }
    shim->plugin = t;
    return 0;
}

static void load(omnizip_shim *shim)
{
    dlerror();
    shim->dl = dlopen(shim->path, RTLD_NOW | RTLD_LOCAL);
    if (!shim->dl) {
        const char *why = dlerror();
        refuse(shim, "%s: cannot load plugin: %s", shim->path, why ? why : "unknown error");
        return;
    }
    /* POSIX gives dlsym a void *; the function-pointer conversion is the
     * documented way to use it. */
    omnizip_plugin_entry_fn entry;
    void *sym = dlsym(shim->dl, OMNIZIP_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry);
    if (!entry) {
        refuse(shim, "%s: no %s symbol: not an omnizip plugin", shim->path, OMNIZIP_ENTRY_SYMBOL);
    } else if (check_table(shim, entry) == 0) {
        if (shim->has_host && shim->host.log) {
            char msg[PATH_MAX + 128];
            snprintf(msg, sizeof msg, "loaded %s (%s %s, ABI version %u)", shim->path,
                     shim->plugin->name, shim->plugin->version, OMNIZIP_ABI_VERSION);
            shim->host.log(shim->host.user, OMNIZIP_LOG_INFO, msg);
        }
        return;
    }
    dlclose(shim->dl);
    shim->dl = NULL;
}

omnizip_status omnizip_shim_open(const char *path, const struct omnizip_host *host,
                                 omnizip_shim **out)
{
    if (!out)
        return OMNIZIP_E_INVALID;
    omnizip_shim *shim = calloc(1, sizeof *shim);
    if (!shim)
        return OMNIZIP_E_NOMEM;
    copy_host(shim, host);
    if (path) {
        snprintf(shim->path, sizeof shim->path, "%s", path);
        load(shim);
    } else if (search(shim) == 0) {
        load(shim);
    }
    *out = shim;
    return OMNIZIP_OK;
}

const struct omnizip_plugin *omnizip_shim_plugin(const omnizip_shim *shim)
{
    return shim ? shim->plugin : NULL;
}

const char *omnizip_shim_reason(const omnizip_shim *shim)
{
    return shim ? shim->reason : "no shim";
}

const char *omnizip_shim_path(const omnizip_shim *shim)
{
    return shim ? shim->path : "";
}

const struct omnizip_host *ozs_shim_host(const omnizip_shim *shim)
{
    return shim && shim->has_host ? &shim->host : NULL;
}

void omnizip_shim_close(omnizip_shim *shim)
{
    if (!shim)
        return;
    if (shim->dl)
        dlclose(shim->dl);
    free(shim);
}

const char *omnizip_status_str(omnizip_status status)
{
    return ozc_status_text(status);
}
