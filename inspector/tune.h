/*
 * tune.h - the tune mode: recompute a dump through the plugin while the user
 * changes rho_audio, rho_video, g and the rest, and write the result as a
 * profile.
 */
#ifndef OZ_INSPECT_TUNE_H
#define OZ_INSPECT_TUNE_H

#include <stddef.h>

#include "plugin_link.h"
#include "keys.h"
#include "model.h"

struct oz_tune;

/* Loads the dump (and profile) and computes once into m. Returns an exit
 * code: 0, OZ_EXIT_INPUT (dump), OZ_EXIT_PROFILE, OZ_EXIT_PLUGIN, with err. */
int oz_tune_open(struct oz_tune **out, struct oz_engine *e, const char *dump,
                 const char *profile, struct oz_model *m, char *err, size_t err_size);

/* The parameters for the config line. */
size_t oz_tune_params(const struct oz_tune *t, const char *const **names, const double **values,
                      size_t *sel);

/* Handles the tune actions (pick, change, reset, write); results and
 * refusals go to m's messages. Returns 1 when m changed. */
int oz_tune_action(struct oz_tune *t, enum oz_action a, struct oz_model *m);

/* Enter in tune mode: the selected parameter's key, and setting it from
 * typed text (validated by the plugin; a refusal is a status message). */
const char *oz_tune_selected(const struct oz_tune *t);
int oz_tune_set(struct oz_tune *t, const char *text, struct oz_model *m);

void oz_tune_close(struct oz_tune *t);

#endif
