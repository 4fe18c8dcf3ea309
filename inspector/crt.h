/*
 * crt.h - the terminal: the only code that calls curses (start, colours,
 * painting a frame, reading keys, restoring the terminal), htop's CRT.c.
 */
#ifndef OZ_INSPECT_CRT_H
#define OZ_INSPECT_CRT_H

#include <stddef.h>

#include "frame.h"

/* 1 when the locale's codeset is UTF-8 (after setlocale(LC_ALL, "")). */
int ozi_crt_locale_utf8(void);

/* Starts curses: raw keys, no echo, keypad, hidden cursor, colours unless
 * mono is set, NO_COLOR is set and non-empty, or the terminal has none.
 * SIGINT, SIGTERM and SIGHUP end the loop (ozi_crt_signal) instead of killing
 * the process, so the terminal is always restored. Returns 0 or -1 with err. */
int ozi_crt_start(int mono, char *err, size_t err_size);

/* Restores the terminal; safe to call twice or without a start. */
void ozi_crt_stop(void);

/* The terminal size in cells. */
void ozi_crt_size(int *w, int *h);

/* Paints f (erase, per-role attributes, one doupdate). */
void ozi_crt_paint(const struct ozi_frame *f);

/* Waits up to timeout_ms for a key; returns it (curses codes, KEY_RESIZE
 * included) or -1 on timeout or signal. */
int ozi_crt_key(int timeout_ms);

/* The signal that asked us to stop, or 0. */
int ozi_crt_signal(void);

/* 1 when the key is the terminal's resize notification. */
int ozi_crt_is_resize(int key);
/* For a mouse event key: the screen line and the wheel (-1 up, 1 down, 0 a
 * click). Returns 0 for any other key. */
int ozi_crt_mouse(int key, int *y, int *wheel);

#endif
