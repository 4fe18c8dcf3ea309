/* loader.h - what the sequence adapter needs from the loader beyond shim.h. */
#ifndef OZ_LOADER_H
#define OZ_LOADER_H

#include <omnizip/shim.h>

/* The host services given to omnizip_shim_open (struct_size set to the size
 * this build knows), or NULL when none were given. Valid until close. */
const struct omnizip_host *ozs_shim_host(const omnizip_shim *shim);

#endif
