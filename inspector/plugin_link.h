/*
 * plugin_link.h - the plugin as the inspector reaches it: through the runtime
 * shim (include/omnizip/shim.h), never by linking the engine in.
 */
#ifndef OZ_INSPECT_PLUGIN_LINK_H
#define OZ_INSPECT_PLUGIN_LINK_H

#include <stddef.h>
#include <stdint.h>

#include <omnizip/cost.h>
#include <omnizip/shim.h>

struct oz_link {
    omnizip_shim *shim;
    const struct omnizip_plugin *plugin; /* NULL: not loadable (see why) */
    char why[512];
};

/* Loads the plugin at path (NULL: the shim's search). Never fails hard: a
 * missing plugin leaves e->plugin NULL with the reason in e->why. */
void oz_link_open(struct oz_link *e, const char *path);
void oz_link_close(struct oz_link *e);

/* The plugin's model presets and Eq. 9 (omnizip.cost/1), NULL when no
 * plugin is loaded or it does not serve them. */
const struct omnizip_cost_ext *oz_link_cost(const struct oz_link *e);

#endif
