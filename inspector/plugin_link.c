/*
 * plugin_link.c - loading the plugin through the shim for the cost figures and
 * the tune mode.
 */
#include "plugin_link.h"

#include <stdio.h>
#include <string.h>

void ozi_link_open(struct ozi_link *e, const char *path)
{
    memset(e, 0, sizeof(*e));
    if (omnizip_shim_open(path, NULL, &e->shim) != OMNIZIP_OK) {
        snprintf(e->why, sizeof(e->why), "out of memory loading the plugin");
        return;
    }
    e->plugin = omnizip_shim_plugin(e->shim);
    if (!e->plugin)
        snprintf(e->why, sizeof(e->why), "%s", omnizip_shim_reason(e->shim));
}

void ozi_link_close(struct ozi_link *e)
{
    omnizip_shim_close(e->shim);
    e->shim = NULL;
    e->plugin = NULL;
}

const struct omnizip_cost_ext *ozi_link_cost(const struct ozi_link *e)
{
    const struct omnizip_cost_ext *x = e->plugin ? e->plugin->get_extension(OMNIZIP_EXT_COST)
                                                 : NULL;
    return x && x->struct_size >= sizeof *x ? x : NULL;
}
