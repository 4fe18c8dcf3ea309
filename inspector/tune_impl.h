/*
 * tune_impl.h - the tune mode's state, shared by tune.c (recompute) and
 * tune_write.c (the written profile).
 */
#ifndef OZ_INSPECT_TUNE_IMPL_H
#define OZ_INSPECT_TUNE_IMPL_H

#include "tune.h"

#include <stddef.h>

#define OZ_TUNE_PARAMS 10
#define OZ_TUNE_MAX_KEYS 64
#define OZ_TUNE_TEXT 64

enum ozi_tune_kind { OZ_TUNE_RATIO, OZ_TUNE_INT, OZ_TUNE_CHOICE };

/* A tunable key: how +/- moves it. */
struct ozi_tune_param {
    const char *key;
    enum ozi_tune_kind kind;
    double step, lo, hi;
    size_t code; /* OZ_TUNE_CHOICE: offsetof the int32_t code in struct omnizip_config */
};
extern const struct ozi_tune_param ozi_tune_table[OZ_TUNE_PARAMS];

/* One side of the comparison: a config and the windows it gives. */
struct ozi_tune_side {
    struct omnizip_config cfg;
    struct omnizip_window_info *win;
    uint32_t n, cap;
};

struct ozi_tune {
    const struct omnizip_plugin *p;
    omnizip_shim *shim;
    struct omnizip_dump dump;
    char *search;  /* the profile search path */
    char *profile; /* the loaded profile's file, NULL: defaults */
    const char *out;
    struct omnizip_config loaded, written;
    unsigned char from_file[OZ_TUNE_MAX_KEYS]; /* key i set by the loaded chain */
    char *extends, *description;               /* the loaded file's own */
    const char *names[OZ_TUNE_PARAMS];
    char text[OZ_TUNE_PARAMS][OZ_TUNE_TEXT], base_text[OZ_TUNE_PARAMS][OZ_TUNE_TEXT];
    const char *values[OZ_TUNE_PARAMS], *base_values[OZ_TUNE_PARAMS];
    size_t sel;
    struct ozi_tune_side now, base;
    char base_label[256];
    /* The current side's decisions per sequence position (keep mask and
     * audio codes), and each window's runs, for the positional detail. */
    uint8_t *keep, *audio_state;
    int64_t *run_start[2], *run_len[2]; /* [0] audio, [1] video, by window */
    uint32_t n_runs[2];
};

#endif
