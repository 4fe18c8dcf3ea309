/*
 * svg.h - the per-window S_a and video-rate plot (the paper's Fig. 7 shape)
 * as a standalone SVG, readable without colour.
 */
#ifndef OZ_INSPECT_SVG_H
#define OZ_INSPECT_SVG_H

#include <stddef.h>

#include "model.h"

/* Writes the shown records of m to path atomically (temp file in the same
 * directory, fsync, rename). Returns 0, or -1 with "PATH: problem" in err. */
int ozi_svg_write(const struct ozi_model *m, const char *path, char *err, size_t err_size);

#endif
