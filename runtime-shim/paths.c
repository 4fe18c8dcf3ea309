/*
 * paths.c - where an installed omnizip lies, found from the running code
 * rather than from the prefix it was built for, so an installed tree still
 * works after it is moved (docs/INTEGRATION.md, "Where the shim looks").
 *
 * Two anchors: the shared shim library itself (dladdr on one of its
 * functions) and the running executable (/proc/self/exe). The relative paths
 * from the bin and lib directories come from the Makefile, computed from
 * BINDIR, LIBDIR and DATADIR; the absolute prefix is only a last resort.
 */
#include "paths.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef OMNIZIP_LIBDIR
#define OMNIZIP_LIBDIR "/usr/local/lib"
#endif
#ifndef OMNIZIP_DATADIR
#define OMNIZIP_DATADIR "/usr/local/share/omnizip"
#endif
#ifndef OMNIZIP_BIN_TO_LIB
#define OMNIZIP_BIN_TO_LIB "../lib"
#endif
#ifndef OMNIZIP_BIN_TO_DATA
#define OMNIZIP_BIN_TO_DATA "../share/omnizip"
#endif
#ifndef OMNIZIP_LIB_TO_DATA
#define OMNIZIP_LIB_TO_DATA "../share/omnizip"
#endif

/* Cuts path after its last '/', leaving the directory with its slash. */
static int dir_of(char *path)
{
    char *slash = strrchr(path, '/');
    if (!slash)
        return -1;
    slash[1] = '\0';
    return 0;
}

static int exe_dir(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return dir_of(buf);
}

/* The directory of the shared shim library, or -1 when the shim is linked
 * into the executable (dladdr then names the program, not a library). */
static int lib_dir(char *buf, size_t size)
{
    Dl_info info;
    char self[PATH_MAX], exe[PATH_MAX];
    if (!dladdr((void *)ozs_paths_plugin, &info) || !info.dli_fname ||
        !realpath(info.dli_fname, self))
        return -1;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if (strcmp(exe, self) == 0)
            return -1;
    }
    if ((size_t)snprintf(buf, size, "%s", self) >= size)
        return -1;
    return dir_of(buf);
}

/* Appends a + b + c; a path too long for the buffer is left out. */
static void add(struct ozs_paths *p, const char *a, const char *b, const char *c)
{
    if (p->n >= OZ_PATHS_MAX)
        return;
    int n = snprintf(p->path[p->n], sizeof p->path[0], "%s%s%s", a, b, c);
    if (n > 0 && (size_t)n < sizeof p->path[0])
        p->n++;
}

void ozs_paths_plugin(struct ozs_paths *p)
{
    char dir[PATH_MAX];
    p->n = 0;
    if (lib_dir(dir, sizeof dir) == 0)
        add(p, dir, "libomnizip.so.1", "");
    if (exe_dir(dir, sizeof dir) == 0) {
        add(p, dir, "libomnizip.so", "");
        add(p, dir, OMNIZIP_BIN_TO_LIB, "/libomnizip.so.1");
    }
    add(p, "libomnizip.so.1", "", "");
    add(p, OMNIZIP_LIBDIR, "/libomnizip.so.1", "");
}

void ozs_paths_profiles(struct ozs_paths *p)
{
    char dir[PATH_MAX];
    p->n = 0;
    if (lib_dir(dir, sizeof dir) == 0)
        add(p, dir, OMNIZIP_LIB_TO_DATA, "/profiles");
    if (exe_dir(dir, sizeof dir) == 0)
        add(p, dir, OMNIZIP_BIN_TO_DATA, "/profiles");
    add(p, OMNIZIP_DATADIR, "/profiles", "");
    add(p, "./profiles", "", "");
}

char *omnizip_profile_search_path(void)
{
    struct ozs_paths p;
    ozs_paths_profiles(&p);
    const char *env = getenv("OMNIZIP_PROFILE_PATH");
    size_t n = (env ? strlen(env) + 1 : 0) + 1;
    for (int i = 0; i < p.n; i++)
        n += strlen(p.path[i]) + 1;
    char *out = malloc(n);
    if (!out)
        return NULL;
    out[0] = '\0';
    if (env && *env)
        strcat(strcat(out, env), ":");
    for (int i = 0; i < p.n; i++)
        strcat(strcat(out, p.path[i]), i + 1 < p.n ? ":" : "");
    return out;
}
