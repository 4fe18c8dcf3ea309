/*
 * engine.c - loading the plugin through the shim for the cost figures and
 * the tune mode.
 */
#include "plugin_link.h"

#include <stdio.h>
#include <string.h>

#include "model.h"

void oz_engine_open(struct oz_engine *e, const char *path)
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

void oz_engine_close(struct oz_engine *e)
{
    omnizip_shim_close(e->shim);
    e->shim = NULL;
    e->plugin = NULL;
}

int oz_engine_flops(void *user, const char *model, int64_t n, double *flops)
{
    const struct oz_engine *e = user;
    if (!e->plugin || !e->plugin->prefill_flops)
        return -1;
    return e->plugin->prefill_flops(model, n, OZ_DECODE_TOKENS, flops) == OMNIZIP_OK ? 0 : -1;
}
