/*
 * frame.h - a text frame: the screen as a grid of cells (a code point and a
 * role each). draw.c composes it, crt.c paints it with curses, and the dump
 * mode prints it, so the dump is exactly what the screen would show.
 */
#ifndef OZ_INSPECT_FRAME_H
#define OZ_INSPECT_FRAME_H

#include <stdint.h>
#include <stdio.h>

/* What a cell means; crt.c maps each role to colour or bold/reverse. */
enum ozi_role {
    OZ_R_NORMAL,
    OZ_R_TITLE,
    OZ_R_HEAD,
    OZ_R_SEL,
    OZ_R_AUDIO,
    OZ_R_VIDEO,
    OZ_R_BAND,
    OZ_R_WARN,
    OZ_R_KEY,
    OZ_R_DIM,
    OZ_R_COUNT
};

struct ozi_frame {
    int w, h;
    uint32_t *ch;
    unsigned char *role;
};

/* (Re)allocates for w x h cells and clears; returns 0 or -1 (no memory). */
int ozi_frame_resize(struct ozi_frame *f, int w, int h);
void ozi_frame_free(struct ozi_frame *f);
/* Every cell a blank of role NORMAL. */
void ozi_frame_clear(struct ozi_frame *f);
/* Writes UTF-8 text at (y, x), clipped to the row; invalid bytes and
 * control characters become '?'. Returns the column after the text. */
int ozi_frame_put(struct ozi_frame *f, int y, int x, enum ozi_role role, const char *utf8);
int ozi_frame_printf(struct ozi_frame *f, int y, int x, enum ozi_role role, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* One cell. */
void ozi_frame_cell(struct ozi_frame *f, int y, int x, enum ozi_role role, uint32_t ch);
/* Sets the role of cells [x0, x1) of row y. */
void ozi_frame_role(struct ozi_frame *f, int y, int x0, int x1, enum ozi_role role);
/* Prints the frame as UTF-8 text, trailing blanks of each row dropped. */
int ozi_frame_write(const struct ozi_frame *f, FILE *out);
/* Encodes one code point as UTF-8 into buf (>= 5 bytes); returns bytes. */
int ozi_utf8_encode(uint32_t cp, char *buf);

#endif
