/*
 * app.c - omnizip-inspect: picks the source (replay, live, tune), then either
 * prints one frame (--dump), writes the plot (--svg) or runs the terminal
 * loop: poll the source, redraw on change, sleep on input.
 */
#include "inspect.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crt.h"
#include "draw.h"
#include "plugin_link.h"
#include "keys.h"
#include "live.h"
#include "model.h"
#include "svg.h"
#include "trace.h"
#include "tune.h"
#include "ozc_clock.h"

/* 20 frames per second at most; also the poll period of a live ring. */
#define TICK_MS 50

/* What the status-line prompt is for: a window number, a parameter value,
 * the profile path `w` writes, or a y/n question. */
enum { PROMPT_JUMP = 1, PROMPT_VALUE, PROMPT_PATH, PROMPT_OVERWRITE, PROMPT_QUIT };

struct app {
    struct ozi_options opt;
    struct ozi_model m;
    struct ozi_link engine;
    struct ozi_live live;
    struct ozi_tune *tune;
    struct ozi_frame frame;
    struct ozi_layout layout;
    const struct ozi_glyphs *glyphs;
    double credit; /* replay: records owed to the pacing clock */
    double last;   /* seconds, monotonic */
    int prompting; /* PROMPT_* while typing */
    char prompt[512];
    char label[600]; /* what the prompt asks */
    char path[512];  /* the profile path being written */
};

static int poll_source(struct app *a)
{
    struct ozi_model *m = &a->m;
    double t = ozc_now_us() / 1e6, dt = t - a->last;
    a->last = t;
    if (m->mode == OZ_MODE_LIVE)
        return ozi_live_poll(&a->live, m);
    if (m->mode != OZ_MODE_REPLAY || m->paused || m->n_shown >= m->n_rec)
        return 0;
    a->credit += dt * m->speed;
    size_t before = m->n_shown;
    while (a->credit >= 1 && m->n_shown < m->n_rec) {
        m->n_shown++;
        a->credit -= 1;
    }
    if (m->n_shown >= m->n_rec)
        a->credit = 0;
    return m->n_shown != before;
}

static void render(struct app *a, int w, int h)
{
    if (a->frame.w != w || a->frame.h != h)
        ozi_frame_resize(&a->frame, w, h);
    ozi_layout_compute(&a->layout, &a->m, w, h);
    struct ozi_draw_extra extra;
    memset(&extra, 0, sizeof(extra));
    extra.prompt = a->prompting ? a->prompt : NULL;
    extra.prompt_label = a->prompting == PROMPT_VALUE && a->tune ? ozi_tune_selected(a->tune)
                         : a->prompting >= PROMPT_PATH           ? a->label
                                                                 : NULL;
    if (a->tune) {
        extra.n_params = ozi_tune_params(a->tune, &extra.param_names, &extra.param_values,
                                         &extra.param_sel);
        extra.param_base = ozi_tune_base_values(a->tune);
        extra.base = ozi_tune_base(a->tune, &extra.n_base, &extra.base_label);
        extra.dirty = ozi_tune_dirty(a->tune);
        if (a->m.n_shown > 0)
            ozi_tune_detail(a->tune, a->m.rec[a->m.sel < a->m.n_shown ? a->m.sel : 0].index,
                            &extra.detail_audio, &extra.n_detail_audio, &extra.detail_video,
                            &extra.n_detail_video, &extra.tpf);
    }
    ozi_draw(&a->frame, &a->m, &a->layout, a->glyphs, &extra);
}

static void jump(struct ozi_model *m, const char *text)
{
    char *end;
    long want = strtol(text, &end, 10);
    if (end == text || *end) {
        ozi_model_message(m, "jump: '%s' is not a window number", text);
        return;
    }
    for (size_t i = 0; i < m->n_shown; i++) {
        if ((long)m->rec[i].index == want) {
            m->sel = i;
            m->follow = 0;
            return;
        }
    }
    ozi_model_message(m, "jump: window %ld not shown", want);
}

static void ask(struct app *a, int kind, const char *fmt, const char *arg)
{
    a->prompting = kind;
    a->prompt[0] = '\0';
    snprintf(a->label, sizeof(a->label), fmt, arg);
}

/* Writes to a->path, asking first when a file is there. */
static void write_to(struct app *a)
{
    if (access(a->path, F_OK) == 0)
        ask(a, PROMPT_OVERWRITE, "%s exists: overwrite? (y/n)", a->path);
    else
        ozi_tune_write(a->tune, a->path, &a->m);
}

/* `w`: to --out, else to the path typed at the prompt (Enter: the default). */
static void write_profile(struct app *a)
{
    if (ozi_tune_out(a->tune)) {
        snprintf(a->path, sizeof(a->path), "%s", ozi_tune_out(a->tune));
        write_to(a);
        return;
    }
    char dflt[256];
    ozi_tune_default_path(a->tune, dflt, sizeof(dflt));
    ask(a, PROMPT_PATH, "write profile to (Enter: %s)", dflt);
}

/* A y/n answer; returns 1 to quit. */
static int answer(struct app *a, int kind, int key)
{
    int yes = key == 'y' || key == 'Y';
    if (kind == PROMPT_OVERWRITE && yes)
        ozi_tune_write(a->tune, a->path, &a->m);
    else if (kind == PROMPT_OVERWRITE)
        ozi_model_message(&a->m, "not written: %s is unchanged", a->path);
    return kind == PROMPT_QUIT && yes;
}

/* Keys typed into the prompt: a window number, a parameter value, a path or
 * a y/n answer. Returns 1 to quit. */
static int prompt_key(struct app *a, int key)
{
    size_t n = strlen(a->prompt);
    int kind = a->prompting;
    if (kind == PROMPT_OVERWRITE || kind == PROMPT_QUIT) {
        a->prompting = 0;
        return answer(a, kind, key);
    }
    int text = kind != PROMPT_JUMP ? key > ' ' && key < 127 : key >= '0' && key <= '9';
    if (text && n + 1 < sizeof(a->prompt)) {
        a->prompt[n] = (char)key;
        a->prompt[n + 1] = '\0';
    } else if (ozi_key_is_backspace(key) && n > 0) {
        a->prompt[n - 1] = '\0';
    } else if (ozi_key_is_enter(key)) {
        a->prompting = 0;
        if (kind == PROMPT_PATH) {
            if (n)
                snprintf(a->path, sizeof(a->path), "%s", a->prompt);
            else
                ozi_tune_default_path(a->tune, a->path, sizeof(a->path));
            write_to(a);
        } else if (n && kind == PROMPT_VALUE && a->tune) {
            ozi_tune_set(a->tune, a->prompt, &a->m);
        } else if (n && kind == PROMPT_JUMP) {
            jump(&a->m, a->prompt);
        }
    } else if (key == 27) {
        a->prompting = 0;
    }
    return 0;
}

/* Returns 1 to quit. */
static int handle_key(struct app *a, int key)
{
    struct ozi_model *m = &a->m;
    if (m->help) {
        m->help = 0;
        return 0;
    }
    if (a->prompting)
        return prompt_key(a, key);
    long page = a->layout.table_rows > 1 ? a->layout.table_rows - 1 : 1;
    int y, wheel;
    if (ozi_crt_mouse(key, &y, &wheel)) {
        if (wheel)
            ozi_view_move(m, 3 * wheel);
        else
            ozi_view_click(m, &a->layout, y);
        return 0;
    }
    enum ozi_action act = ozi_key_action(key, m->mode);
    switch (act) {
    case OZ_ACT_QUIT:
        if (!a->tune || !ozi_tune_dirty(a->tune))
            return 1;
        ask(a, PROMPT_QUIT, "%s", "unsaved changes: quit without writing them? (y/n)");
        break;
    case OZ_ACT_HELP: m->help = 1; break;
    case OZ_ACT_ESCAPE: m->detail = 0; break;
    case OZ_ACT_UP: ozi_view_move(m, -1); break;
    case OZ_ACT_DOWN: ozi_view_move(m, 1); break;
    case OZ_ACT_PGUP: ozi_view_move(m, -page); break;
    case OZ_ACT_PGDN: ozi_view_move(m, page); break;
    case OZ_ACT_HOME: ozi_view_move(m, -(long)m->n_shown); break;
    case OZ_ACT_END:
    case OZ_ACT_FOLLOW: m->follow = 1; break;
    case OZ_ACT_DETAIL: m->detail = !m->detail; break;
    case OZ_ACT_PAUSE: m->paused = !m->paused; break;
    case OZ_ACT_NEXT:
        if (m->paused && m->n_shown < m->n_rec)
            m->n_shown++;
        break;
    case OZ_ACT_PREV:
        if (m->paused && m->n_shown > 0)
            m->n_shown--;
        break;
    case OZ_ACT_RESTART:
        m->n_shown = 0;
        m->paused = 0;
        m->follow = 1;
        a->credit = 0;
        break;
    case OZ_ACT_FASTER: m->speed = m->speed * 2 > 1000 ? 1000 : m->speed * 2; break;
    case OZ_ACT_SLOWER: m->speed = m->speed / 2 < 0.125 ? 0.125 : m->speed / 2; break;
    case OZ_ACT_JUMP:
    case OZ_ACT_PARAM_TYPE:
        a->prompting = act == OZ_ACT_JUMP ? PROMPT_JUMP : PROMPT_VALUE;
        a->prompt[0] = '\0';
        break;
    case OZ_ACT_PARAM_WRITE:
        if (a->tune)
            write_profile(a);
        break;
    case OZ_ACT_PARAM_NEXT:
    case OZ_ACT_PARAM_PREV:
    case OZ_ACT_PARAM_UP:
    case OZ_ACT_PARAM_DOWN:
    case OZ_ACT_PARAM_RESET:
        if (a->tune)
            ozi_tune_action(a->tune, act, m);
        break;
    case OZ_ACT_NONE: break;
    }
    return 0;
}

static int run_terminal(struct app *a)
{
    char err[256];
    if (ozi_crt_start(a->opt.mono, err, sizeof(err)) != 0) {
        fprintf(stderr, "omnizip-inspect: %s\n", err);
        return OZ_EXIT_FAIL;
    }
    long frames = 0;
    int dirty = 1;
    a->last = ozc_now_us() / 1e6;
    while (!ozi_crt_signal()) {
        dirty |= poll_source(a);
        if (dirty) {
            int w, h;
            ozi_crt_size(&w, &h);
            render(a, w, h);
            ozi_crt_paint(&a->frame);
            dirty = 0;
            if (a->opt.frames && ++frames >= a->opt.frames)
                break;
        }
        int key = ozi_crt_key(TICK_MS);
        if (key < 0)
            continue;
        dirty = 1;
        if (!ozi_crt_is_resize(key) && handle_key(a, key))
            break;
    }
    int sig = ozi_crt_signal();
    ozi_crt_stop();
    return sig ? 128 + sig : OZ_EXIT_OK;
}

static int open_source(struct app *a)
{
    char err[1024];
    struct ozi_model *m = &a->m;
    if (a->opt.replay) {
        ozi_model_init(m, OZ_MODE_REPLAY);
        if (ozi_trace_load(m, a->opt.replay, err, sizeof(err)) != 0) {
            fprintf(stderr, "omnizip-inspect: %s\n", err);
            return OZ_EXIT_INPUT;
        }
        if (m->lines_used == 0) {
            fprintf(stderr, "omnizip-inspect: %s: no valid trace record (%s)\n", a->opt.replay,
                    m->n_messages ? ozi_model_last_message(m) : "empty file");
            return OZ_EXIT_INPUT;
        }
        m->speed = a->opt.speed;
        if (a->opt.dump || a->opt.svg)
            m->n_shown = m->n_rec;
    } else if (a->opt.attach) {
        ozi_model_init(m, OZ_MODE_LIVE);
        if (ozi_live_open(&a->live, a->opt.attach_pid, m, err, sizeof(err)) != 0) {
            fprintf(stderr, "omnizip-inspect: %s\n", err);
            return OZ_EXIT_FAIL;
        }
        ozi_live_poll(&a->live, m);
    } else {
        ozi_model_init(m, OZ_MODE_TUNE);
        struct ozi_tune_args args = {a->opt.tune, a->opt.profile, a->opt.task, a->opt.out,
                                     a->opt.compare};
        int rc = ozi_tune_open(&a->tune, &a->engine, &args, m, err, sizeof(err));
        if (rc != OZ_EXIT_OK) {
            fprintf(stderr, "omnizip-inspect: %s\n", err);
            return rc;
        }
    }
    if (a->opt.model)
        snprintf(m->preset, sizeof(m->preset), "%s", a->opt.model);
    m->cost = ozi_link_cost(&a->engine);
    return OZ_EXIT_OK;
}

static int run(struct app *a)
{
    if (a->opt.list) {
        ozi_live_list(stdout);
        return OZ_EXIT_OK;
    }
    if (a->opt.clean) {
        if (ozi_ring_clean(stdout, (int32_t)a->opt.clean_pid) == 0)
            printf("no stale segments of this user\n");
        return OZ_EXIT_OK;
    }
    if (!a->opt.dump && !a->opt.svg && !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "omnizip-inspect: standard output is not a terminal; use --dump for a "
                        "text frame or --svg FILE for the plot\n");
        return OZ_EXIT_USAGE;
    }
    ozi_link_open(&a->engine, a->opt.plugin);
    const struct omnizip_cost_ext *cost = ozi_link_cost(&a->engine);
    if (a->opt.model && (!cost || !cost->find(a->opt.model))) {
        char names[256];
        ozi_preset_names(cost, names, sizeof(names));
        fprintf(stderr, "omnizip-inspect: --model: unknown preset '%s' (known: %s)\n", a->opt.model,
                cost ? names : a->engine.why);
        return OZ_EXIT_USAGE;
    }
    int rc = open_source(a);
    if (rc != OZ_EXIT_OK)
        return rc;
    if (a->opt.svg) {
        char err[1024];
        if (ozi_svg_write(&a->m, a->opt.svg, err, sizeof(err)) != 0) {
            fprintf(stderr, "omnizip-inspect: %s\n", err);
            return OZ_EXIT_FAIL;
        }
    }
    if (a->opt.dump) {
        render(a, a->opt.width, a->opt.height);
        return ozi_frame_write(&a->frame, stdout) == 0 ? OZ_EXIT_OK : OZ_EXIT_FAIL;
    }
    if (a->opt.svg)
        return OZ_EXIT_OK;
    return run_terminal(a);
}

int omnizip_inspect_main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    static struct app a;
    char err[256];
    if (ozi_options_parse(&a.opt, argc, argv, err, sizeof(err)) != 0) {
        int help = strcmp(err, "help") == 0;
        if (!help)
            fprintf(stderr, "omnizip-inspect: %s\n", err);
        fputs(ozi_usage(), help ? stdout : stderr);
        return help ? OZ_EXIT_OK : OZ_EXIT_USAGE;
    }
    a.glyphs = ozi_crt_locale_utf8() ? &ozi_glyphs_utf8 : &ozi_glyphs_ascii;
    int rc = run(&a);
    if (a.live.ring)
        ozi_live_close(&a.live);
    ozi_tune_close(a.tune);
    ozi_link_close(&a.engine);
    ozi_model_free(&a.m);
    ozi_frame_free(&a.frame);
    return rc;
}
