/*
 * draw.h - composes the inspector's screen into a frame (frame.h) from the
 * model and the layout. No terminal calls: crt.c paints the frame, the dump
 * mode prints it.
 */
#ifndef OZ_INSPECT_DRAW_H
#define OZ_INSPECT_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "model.h"

/* Glyph sets: Unicode blocks when the locale is UTF-8, ASCII otherwise. */
struct ozi_glyphs {
    const char *full;       /* a full bar cell */
    const char *partial[8]; /* 0..7 eighths ("" for 0) */
    const char *rate_fill;  /* rate bar cell */
    const char *mark;       /* rho_min / rho_max marker */
    const char *band;       /* empty cell inside the rho band */
    const char *spark[8];
    const char *kept, *merged, *pruned;
    const char *anchor; /* a kept audio anchor (merge target) */
};

extern const struct ozi_glyphs ozi_glyphs_utf8;
extern const struct ozi_glyphs ozi_glyphs_ascii;

/* What only the app knows: the jump prompt, the tune parameters. */
struct ozi_draw_extra {
    const char *prompt;       /* NULL or the text being typed */
    const char *prompt_label; /* what it is for: "jump to window", "rho_audio" */
    size_t n_params;          /* tune mode: parameters shown on line 3 */
    const char *const *param_names;
    const char *const *param_values; /* as the plugin writes them */
    const char *const *param_base;   /* the "before" side's values */
    size_t param_sel;
    int dirty; /* values not yet written */
    /* Tune mode's "before" side: its windows (same count and order as the
     * model's) and its name (the loaded profile, or --compare's). */
    const struct omnizip_window_info *base;
    size_t n_base;
    const char *base_label;
    /* Tune mode's detail pane: the selected window's tokens in order (audio
     * OMNIZIP_AUDIO_* codes, video keep bytes) and the tokens per frame. */
    const uint8_t *detail_audio, *detail_video;
    size_t n_detail_audio, n_detail_video;
    int64_t tpf;
};

/* Draws the whole screen (or the too-small message) into f, which must be
 * l->w x l->h. Fits m's view to the layout first. */
void ozi_draw(struct ozi_frame *f, struct ozi_model *m, const struct ozi_layout *l,
              const struct ozi_glyphs *g, const struct ozi_draw_extra *extra);

#endif
