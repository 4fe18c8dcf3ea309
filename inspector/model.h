/*
 * model.h - the inspector's UI-free model: window records and their totals,
 * the cost figures, the view state (selection, scroll, follow, pause) and the
 * layout arithmetic (what fits, bar lengths). Nothing here touches a terminal.
 */
#ifndef OZ_INSPECT_MODEL_H
#define OZ_INSPECT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <omnizip/cost.h>

#define OZ_MIN_WIDTH 40
#define OZ_MIN_HEIGHT 10
#define OZ_MAX_MESSAGES 16
#define OZ_MESSAGE_LEN 200
/* The preset names of cost (the plugin's omnizip.cost/1, may be NULL),
 * comma-separated, into buf, for messages. */
void ozi_preset_names(const struct omnizip_cost_ext *cost, char *buf, size_t size);

/* Where records come from; decides the title and which keys apply. */
enum ozi_mode { OZ_MODE_REPLAY = 1, OZ_MODE_LIVE = 2, OZ_MODE_TUNE = 4 };

struct ozi_totals {
    int64_t audio_in, audio_kept, video_in, video_kept;
    double kept_pct; /* kept audio+video tokens / all, in percent */
    double flops_before, flops_after;
    int have_flops;
    double kv_saved;  /* bytes */
    double kv_before; /* bytes of every media token, for the saved share */
};

struct ozi_model {
    enum ozi_mode mode;
    char source[512]; /* trace path, shm name or dump path */
    char origin[256]; /* the trace's "source", the live pid... */
    char preset[64];  /* model preset name (the trace's, --model, or the first) */
    /* The config the records were made with (trace header / shm header). */
    int have_config;
    double rho_audio, rho_video, rho_min, rho_max, contextual_ratio;
    int g, dpc_k;
    char strategy[16];                 /* "" or the trace's strategy (omnizip, random, ...) */
    uint32_t n_planned;                /* windows the header announces, 0 unknown */
    int streaming;                     /* a streaming session: the budget line shows */
    double audio_target, video_target; /* its controller's targets */
    struct omnizip_window_info *rec;
    size_t n_rec, cap_rec;
    size_t n_shown;    /* records revealed so far (replay pacing) */
    uint64_t dropped;  /* records a live reader lost */
    size_t lines_used; /* trace lines that parsed as trace objects */
    int ended;         /* the producer is gone (trace complete, session ended) */
    char messages[OZ_MAX_MESSAGES][OZ_MESSAGE_LEN];
    size_t n_messages; /* total ever added; the last OZ_MAX_MESSAGES kept */
    /* View state. */
    size_t sel, top;
    int follow, paused, help, detail;
    double speed; /* replay records per second */
    /* The plugin's model presets and Eq. 9 (omnizip.cost/1); NULL: no
     * plugin, no cost figures. */
    const struct omnizip_cost_ext *cost;
};

void ozi_model_init(struct ozi_model *m, enum ozi_mode mode);
void ozi_model_free(struct ozi_model *m);
/* Drops every record (a new clip). */
void ozi_model_clear(struct ozi_model *m);
/* Appends a copy of rec; returns 0, or -1 when out of memory. */
int ozi_model_add(struct ozi_model *m, const struct omnizip_window_info *rec);
/* The largest token count a record may carry (2^50, far above any clip):
 * keeps every sum and cell count of the model far from overflowing. */
#define OZ_COUNT_MAX ((int64_t)1 << 50)
/* Checks a record from outside (ring or trace): counts in [0, OZ_COUNT_MAX]
 * and consistent (kept <= in, anchors <= kept, merged <= in - kept), rates in
 * [0,1], micros and flops finite and >= 0, guided 0 or 1. Returns 0, or -1
 * with the problem in why. */
int ozi_record_check(const struct omnizip_window_info *w, char *why, size_t why_size);
/* Adds a status message (printf format). */
void ozi_model_message(struct ozi_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The newest message, "" if none. */
const char *ozi_model_last_message(const struct ozi_model *m);

/* Totals over the shown records. */
void ozi_model_totals(const struct ozi_model *m, struct ozi_totals *t);

/* Keeps sel and top consistent for `rows` visible table rows: sel within the
 * shown records, follow pins sel to the newest, top scrolls sel into view. */
void ozi_view_fit(struct ozi_model *m, int rows);
/* Moves the selection by delta rows (clamped); leaves follow mode unless it
 * lands on the newest record. */
void ozi_view_move(struct ozi_model *m, long delta);

/* Cells filled for a value in [0,1] on a bar of width cells (rounded). */
int ozi_bar_cells(double v, int width);
/* The same in eighths of a cell, for Unicode partial blocks. */
int ozi_bar_eighths(double v, int width);
/* The cell at which a mark for value v sits on a bar of width cells. */
int ozi_bar_mark(double v, int width);
/* Sparkline level 0..7 of a value in [0,1]. */
int ozi_spark_level(double v);

/* Screen layout for a w x h terminal. */
struct ozi_layout {
    int ok; /* 0: too small, draw only the message */
    int w, h;
    int totals_y, config_y;
    int history_y; /* first of 2 sparkline lines, -1 when none */
    int budget_y;  /* streaming: cumulative fractions vs targets, -1 when none */
    int head_y;    /* column header */
    int table_y, table_rows;
    int detail_y, detail_h; /* -1/0 when the detail pane is off */
    int status_y, bar_y;
    int audio_w, video_w; /* digits of the kept/in columns */
    int sa_w, rate_w;     /* bar cells between the brackets */
    int values;           /* 1: numeric S_a and rate after the bars */
    int video_col;        /* 1: the video kept/in column is shown */
    int tune_cols;        /* 1: tune mode's anchors/merged and delta columns */
};

/* Width of tune mode's extra columns: " anchors/merged" (9) and " delta" (7). */
#define OZ_TUNE_COLS_W 16

void ozi_layout_compute(struct ozi_layout *l, const struct ozi_model *m, int w, int h);

/* A mouse click on screen line y: selects the window drawn there (stops
 * following). Returns 1 when y is a window row, else 0. */
int ozi_view_click(struct ozi_model *m, const struct ozi_layout *l, int y);

#endif
