/*
 * crt.c - curses lives here and nowhere else. Frames come in as cells with
 * roles; this file decides what a role looks like (colour or mono emphasis)
 * and owns the terminal's life cycle, including signals.
 */
#include "crt.h"

#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <curses.h>

static volatile sig_atomic_t stop_signal;
static int started;
static attr_t role_attr[OZ_R_COUNT];

static void on_signal(int sig)
{
    stop_signal = sig;
}

int ozi_crt_locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

static void mono_roles(void)
{
    role_attr[OZ_R_NORMAL] = A_NORMAL;
    role_attr[OZ_R_TITLE] = A_REVERSE | A_BOLD;
    role_attr[OZ_R_HEAD] = A_BOLD;
    role_attr[OZ_R_SEL] = A_REVERSE;
    role_attr[OZ_R_AUDIO] = A_NORMAL;
    role_attr[OZ_R_VIDEO] = A_NORMAL;
    role_attr[OZ_R_BAND] = A_BOLD;
    role_attr[OZ_R_WARN] = A_BOLD | A_UNDERLINE;
    role_attr[OZ_R_KEY] = A_REVERSE;
    role_attr[OZ_R_DIM] = A_DIM;
}

/* Blue and orange-ish yellow: the colour-blind-safe pair for audio and video;
 * default background so light and dark themes both work. */
static void colour_roles(void)
{
    start_color();
    use_default_colors();
    init_pair(1, COLOR_BLUE, -1);
    init_pair(2, COLOR_YELLOW, -1);
    init_pair(3, COLOR_MAGENTA, -1);
    init_pair(4, COLOR_BLACK, COLOR_CYAN);
    init_pair(5, COLOR_CYAN, -1);
    role_attr[OZ_R_TITLE] = COLOR_PAIR(4) | A_BOLD;
    role_attr[OZ_R_HEAD] = COLOR_PAIR(5) | A_BOLD;
    role_attr[OZ_R_AUDIO] = COLOR_PAIR(1) | A_BOLD;
    role_attr[OZ_R_VIDEO] = COLOR_PAIR(2);
    role_attr[OZ_R_BAND] = COLOR_PAIR(3) | A_BOLD;
    role_attr[OZ_R_WARN] = COLOR_PAIR(2) | A_BOLD;
    role_attr[OZ_R_KEY] = COLOR_PAIR(4);
}

int ozi_crt_start(int mono, char *err, size_t err_size)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* Installed before initscr so curses keeps ours; no SA_RESTART, so a
     * signal wakes the key wait at once. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (!newterm(NULL, stdout, stdin)) {
        snprintf(err, err_size, "cannot start the terminal (TERM=%s)",
                 getenv("TERM") ? getenv("TERM") : "unset");
        return -1;
    }
    started = 1;
    raw();
    noecho();
    keypad(stdscr, TRUE);
    /* Where the terminal reports the mouse: clicks select, the wheel scrolls. */
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    curs_set(0);
    set_escdelay(25);
    mono_roles();
    const char *nc = getenv("NO_COLOR");
    if (!mono && !(nc && nc[0]) && has_colors())
        colour_roles();
    return 0;
}

void ozi_crt_stop(void)
{
    if (!started)
        return;
    started = 0;
    curs_set(1);
    endwin();
    fflush(stdout);
}

void ozi_crt_size(int *w, int *h)
{
    *w = COLS;
    *h = LINES;
}

void ozi_crt_paint(const struct ozi_frame *f)
{
    wchar_t run[1024];
    erase();
    int rows = f->h < LINES ? f->h : LINES, cols = f->w < COLS ? f->w : COLS;
    for (int y = 0; y < rows; y++) {
        const uint32_t *ch = f->ch + (size_t)y * (size_t)f->w;
        const unsigned char *role = f->role + (size_t)y * (size_t)f->w;
        for (int x = 0; x < cols;) {
            int n = 0;
            unsigned char r = role[x];
            while (x + n < cols && role[x + n] == r && n < (int)(sizeof(run) / sizeof(run[0])))
                run[n] = (wchar_t)ch[x + n], n++;
            attrset(r < OZ_R_COUNT ? role_attr[r] : A_NORMAL);
            mvaddnwstr(y, x, run, n);
            x += n;
        }
    }
    attrset(A_NORMAL);
    wnoutrefresh(stdscr);
    doupdate();
}

int ozi_crt_key(int timeout_ms)
{
    if (stop_signal)
        return -1;
    timeout(timeout_ms);
    int k = getch();
    return k == ERR ? -1 : k;
}

int ozi_crt_signal(void)
{
    return stop_signal;
}

int ozi_crt_is_resize(int key)
{
    return key == KEY_RESIZE;
}

int ozi_crt_mouse(int key, int *y, int *wheel)
{
    MEVENT ev;
    if (key != KEY_MOUSE || getmouse(&ev) != OK)
        return 0;
    *y = ev.y;
    *wheel = ev.bstate & BUTTON4_PRESSED ? -1 : ev.bstate & BUTTON5_PRESSED ? 1 : 0;
    return 1;
}
