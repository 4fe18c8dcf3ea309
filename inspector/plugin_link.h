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

struct ozi_link {
    omnizip_shim *shim;
    const struct omnizip_plugin *plugin; /* NULL: not loadable (see why) */
    char why[512];
};

/* Loads the plugin at path (NULL: the shim's search). Never fails hard: a
 * missing plugin leaves e->plugin NULL with the reason in e->why. */
void ozi_link_open(struct ozi_link *e, const char *path);
void ozi_link_close(struct ozi_link *e);

/* The plugin's model presets and Eq. 9 (omnizip.cost/1), NULL when no
 * plugin is loaded or it does not serve them. */
const struct omnizip_cost_ext *ozi_link_cost(const struct ozi_link *e);

#endif
