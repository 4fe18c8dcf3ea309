/*
 * tune.h - the tune mode: recompute a dump through the plugin while the user
 * changes rho_audio, rho_video, g, the modes and the strategy, compare with
 * the loaded profile (or a second one), and write the result as a profile
 * that plans exactly what the screen showed.
 */
#ifndef OZ_INSPECT_TUNE_H
#define OZ_INSPECT_TUNE_H

#include <stddef.h>

#include "plugin_link.h"
#include "keys.h"
#include "model.h"

struct ozi_tune;

struct ozi_tune_args {
    const char *dump;    /* --tune DUMP */
    const char *profile; /* --profile FILE, or NULL */
    const char *task;    /* --task NAME, or NULL */
    const char *out;     /* --out FILE: where w writes, or NULL (w asks) */
    const char *compare; /* --compare FILE|NAME: the "before" side, or NULL */
};

/* Loads the dump and the profiles and computes once into m. Returns an exit
 * code: 0, OZ_EXIT_INPUT (dump), OZ_EXIT_PROFILE, OZ_EXIT_PLUGIN, with err. */
int ozi_tune_open(struct ozi_tune **out, struct ozi_link *e, const struct ozi_tune_args *args,
                  struct ozi_model *m, char *err, size_t err_size);

/* The parameters for the tune line: names, their values as the plugin
 * formats them (the text a written profile holds), the selected one. */
size_t ozi_tune_params(const struct ozi_tune *t, const char *const **names,
                       const char *const **values, size_t *sel);
/* The parameter values of the "before" side, for marking changed ones. */
const char *const *ozi_tune_base_values(const struct ozi_tune *t);

/* The "before" windows (the loaded profile's, or --compare's) and what to
 * call them. */
const struct omnizip_window_info *ozi_tune_base(const struct ozi_tune *t, size_t *n,
                                                const char **label);

/* Where window w's kept, merged and pruned tokens are: its audio tokens'
 * OMNIZIP_AUDIO_* codes and its video tokens' keep bytes, in sequence order
 * (NULL and 0 for an absent run), and the tokens per frame. */
void ozi_tune_detail(const struct ozi_tune *t, uint32_t w, const uint8_t **audio, size_t *n_audio,
                     const uint8_t **video, size_t *n_video, int64_t *tpf);

/* 1 while the values differ from the last written (or loaded) ones. */
int ozi_tune_dirty(const struct ozi_tune *t);

/* Handles the parameter actions (pick, change, reset); results and
 * refusals go to m's messages. Returns 1 when m changed. */
int ozi_tune_action(struct ozi_tune *t, enum ozi_action a, struct ozi_model *m);

/* Enter in tune mode: the selected parameter's key, and setting it from
 * typed text (validated by the plugin; a refusal is a status message). */
const char *ozi_tune_selected(const struct ozi_tune *t);
int ozi_tune_set(struct ozi_tune *t, const char *text, struct ozi_model *m);

/* Where w writes: --out, else NULL and default_path proposes a name. */
const char *ozi_tune_out(const struct ozi_tune *t);
void ozi_tune_default_path(const struct ozi_tune *t, char *buf, size_t size);
/* Writes the profile to path atomically (temp file + rename); says where
 * (or why not) in m's messages. Returns 0 when written. */
int ozi_tune_write(struct ozi_tune *t, const char *path, struct ozi_model *m);

void ozi_tune_close(struct ozi_tune *t);

#endif
