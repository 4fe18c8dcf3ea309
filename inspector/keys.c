/*
 * keys.c - the key table (htop's Action/FunctionBar pattern): one row per
 * binding with the modes it applies to, its help text and its bar label.
 * Only key code constants come from curses here; no curses call is made.
 */
#include "keys.h"

#include <curses.h>

#define ALL (OZ_MODE_REPLAY | OZ_MODE_LIVE | OZ_MODE_TUNE)
#define VIEW (OZ_MODE_REPLAY | OZ_MODE_LIVE)
#define ENTER_KEYS '\n', '\r', KEY_ENTER

struct binding {
    int codes[5]; /* 0-terminated */
    unsigned modes;
    enum ozi_action action;
    const char *help_keys;
    const char *help;
    const char *bar_label; /* NULL: not on the bar */
    const char *bar_text;
};

static const struct binding table[] = {
    {{'?', 'h', KEY_F(1)}, ALL, OZ_ACT_HELP, "? h F1", "help (any key closes it)", "F1", "Help"},
    {{27}, ALL, OZ_ACT_ESCAPE, "Esc", "close the help or the detail pane", NULL, NULL},
    {{KEY_UP, 'k'}, ALL, OZ_ACT_UP, "Up k", "select the previous window", NULL, NULL},
    {{KEY_DOWN, 'j'}, ALL, OZ_ACT_DOWN, "Down j", "select the next window", NULL, NULL},
    {{KEY_PPAGE}, ALL, OZ_ACT_PGUP, "PgUp", "scroll one page up", NULL, NULL},
    {{KEY_NPAGE}, ALL, OZ_ACT_PGDN, "PgDn", "scroll one page down", NULL, NULL},
    {{KEY_HOME, 'g'}, ALL, OZ_ACT_HOME, "Home g", "first window", NULL, NULL},
    {{KEY_END, 'G'}, ALL, OZ_ACT_END, "End G", "newest window (follows it)", NULL, NULL},
    {{'f'}, VIEW, OZ_ACT_FOLLOW, "f", "follow the newest window", "f", "Follow"},
    {{ENTER_KEYS},
     VIEW,
     OZ_ACT_DETAIL,
     "Enter",
     "detail pane of the selected window",
     "Enter",
     "Detail"},
    {{'d'},
     OZ_MODE_TUNE,
     OZ_ACT_DETAIL,
     "d",
     "detail pane: where the window's tokens are kept, "
     "merged or pruned",
     "d",
     "Detail"},
    {{' '}, VIEW, OZ_ACT_PAUSE, "Space", "pause / resume", "Space", "Pause"},
    {{'n', '.'}, OZ_MODE_REPLAY, OZ_ACT_NEXT, "n .", "step one window (paused replay)", NULL, NULL},
    {{'p', ','},
     OZ_MODE_REPLAY,
     OZ_ACT_PREV,
     "p ,",
     "step back one window (paused replay)",
     NULL,
     NULL},
    {{'R'},
     OZ_MODE_REPLAY,
     OZ_ACT_RESTART,
     "R",
     "restart the replay from its first window",
     "R",
     "Restart"},
    {{'+', '='}, OZ_MODE_REPLAY, OZ_ACT_FASTER, "+", "replay faster", "+-", "Speed"},
    {{'-'}, OZ_MODE_REPLAY, OZ_ACT_SLOWER, "-", "replay slower", NULL, NULL},
    {{':', '/'}, ALL, OZ_ACT_JUMP, ": /", "jump to window N (type N, Enter)", NULL, NULL},
    {{'\t'}, OZ_MODE_TUNE, OZ_ACT_PARAM_NEXT, "Tab", "next parameter", "Tab", "Param"},
    {{KEY_BTAB}, OZ_MODE_TUNE, OZ_ACT_PARAM_PREV, "Shift-Tab", "previous parameter", NULL, NULL},
    {{'+', '=', KEY_RIGHT},
     OZ_MODE_TUNE,
     OZ_ACT_PARAM_UP,
     "+ Right",
     "raise the parameter",
     "+-",
     "Change"},
    {{'-', KEY_LEFT}, OZ_MODE_TUNE, OZ_ACT_PARAM_DOWN, "- Left", "lower the parameter", NULL, NULL},
    {{ENTER_KEYS},
     OZ_MODE_TUNE,
     OZ_ACT_PARAM_TYPE,
     "Enter",
     "type a value for the parameter",
     "Enter",
     "Type"},
    {{'r'}, OZ_MODE_TUNE, OZ_ACT_PARAM_RESET, "r", "reset to the loaded profile", "r", "Reset"},
    {{'w'}, OZ_MODE_TUNE, OZ_ACT_PARAM_WRITE, "w", "write the profile YAML", "w", "Write"},
    {{0}, ALL, OZ_ACT_NONE, "Mouse", "a click selects a window, the wheel scrolls", NULL, NULL},
    {{'q', KEY_F(10)}, ALL, OZ_ACT_QUIT, "q F10", "quit", "F10", "Quit"},
};

#define N_BINDINGS (sizeof(table) / sizeof(table[0]))

enum ozi_action ozi_key_action(int code, enum ozi_mode mode)
{
    for (size_t i = 0; i < N_BINDINGS; i++) {
        if (!(table[i].modes & (unsigned)mode))
            continue;
        for (const int *c = table[i].codes; *c; c++)
            if (*c == code)
                return table[i].action;
    }
    return OZ_ACT_NONE;
}

int ozi_key_help(enum ozi_mode mode, size_t i, const char **keys, const char **text)
{
    for (size_t k = 0; k < N_BINDINGS; k++) {
        if (!(table[k].modes & (unsigned)mode))
            continue;
        if (i-- == 0) {
            *keys = table[k].help_keys;
            *text = table[k].help;
            return 1;
        }
    }
    return 0;
}

int ozi_key_bar(enum ozi_mode mode, size_t i, const char **label, const char **text)
{
    for (size_t k = 0; k < N_BINDINGS; k++) {
        if (!(table[k].modes & (unsigned)mode) || !table[k].bar_label)
            continue;
        if (i-- == 0) {
            *label = table[k].bar_label;
            *text = table[k].bar_text;
            return 1;
        }
    }
    return 0;
}

int ozi_key_is_enter(int code)
{
    return code == '\n' || code == '\r' || code == KEY_ENTER;
}

int ozi_key_is_backspace(int code)
{
    return code == KEY_BACKSPACE || code == 127 || code == 8;
}
