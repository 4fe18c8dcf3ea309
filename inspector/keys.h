/*
 * keys.h - the one key table: it maps key codes to actions and also builds
 * the help overlay and the function-key bar, so the three never disagree.
 */
#ifndef OZ_INSPECT_KEYS_H
#define OZ_INSPECT_KEYS_H

#include <stddef.h>

#include "model.h"

enum ozi_action {
    OZ_ACT_NONE,
    OZ_ACT_QUIT,
    OZ_ACT_HELP,
    OZ_ACT_ESCAPE,
    OZ_ACT_UP,
    OZ_ACT_DOWN,
    OZ_ACT_PGUP,
    OZ_ACT_PGDN,
    OZ_ACT_HOME,
    OZ_ACT_END,
    OZ_ACT_FOLLOW,
    OZ_ACT_DETAIL,
    OZ_ACT_PAUSE,
    OZ_ACT_NEXT,
    OZ_ACT_PREV,
    OZ_ACT_FASTER,
    OZ_ACT_SLOWER,
    OZ_ACT_JUMP,
    OZ_ACT_PARAM_NEXT,
    OZ_ACT_PARAM_PREV,
    OZ_ACT_PARAM_UP,
    OZ_ACT_PARAM_DOWN,
    OZ_ACT_PARAM_RESET,
    OZ_ACT_PARAM_WRITE,
    OZ_ACT_PARAM_TYPE,
    OZ_ACT_RESTART
};

/* The action of key code (a curses key code or a character) in mode. */
enum ozi_action ozi_key_action(int code, enum ozi_mode mode);

/* The i-th help line of mode: its keys ("q F10") and what they do. Returns
 * 0 past the last line. */
int ozi_key_help(enum ozi_mode mode, size_t i, const char **keys, const char **text);

/* The i-th function-bar entry of mode ("F1", "Help"). Returns 0 past the
 * last entry. */
int ozi_key_bar(enum ozi_mode mode, size_t i, const char **label, const char **text);

/* Line-editing keys of the jump prompt. */
int ozi_key_is_enter(int code);
int ozi_key_is_backspace(int code);

#endif
