/* paths.h - the places the shim looks for the plugin and for profiles, best
 * first, each relative to the running code before the build's prefix. */
#ifndef OZ_PATHS_H
#define OZ_PATHS_H

#include <limits.h>

#include <omnizip/shim.h>

#define OZ_PATHS_MAX 6

struct ozs_paths {
    int n;
    char path[OZ_PATHS_MAX][PATH_MAX];
};

/* Plugin candidates: next to the shared shim library, next to the executable
 * (a build tree), the lib directory beside the executable's bin directory,
 * the bare soname (the dynamic loader's own search), the build's LIBDIR. A
 * candidate without '/' is for dlopen's search; the others are files. */
void ozs_paths_plugin(struct ozs_paths *p);

/* Profile directories: beside the shared shim library, beside the
 * executable, the build's DATADIR, ./profiles. */
void ozs_paths_profiles(struct ozs_paths *p);

#endif
