/*
 * model.c - records, totals, cost figures, view state and layout arithmetic
 * of the inspector. Pure: no terminal, no files.
 */
#include "model.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ozi_preset_names(const struct omnizip_cost_ext *cost, char *buf, size_t size)
{
    const struct omnizip_model_preset *p;
    size_t at = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; cost && (p = cost->preset(i)) && at < size; i++) {
        int n = snprintf(buf + at, size - at, "%s%s", i ? ", " : "", p->name);
        at += n > 0 ? (size_t)n : 0;
    }
}

void ozi_model_init(struct ozi_model *m, enum ozi_mode mode)
{
    memset(m, 0, sizeof(*m));
    m->mode = mode;
    m->follow = 1;
    m->speed = 10;
    snprintf(m->preset, sizeof(m->preset), "%s", OMNIZIP_COST_DEFAULT_MODEL);
}

void ozi_model_free(struct ozi_model *m)
{
    free(m->rec);
    m->rec = NULL;
    m->n_rec = m->cap_rec = m->n_shown = 0;
}

void ozi_model_clear(struct ozi_model *m)
{
    m->n_rec = m->n_shown = 0;
    m->sel = m->top = 0;
}

int ozi_model_add(struct ozi_model *m, const struct omnizip_window_info *rec)
{
    if (m->n_rec == m->cap_rec) {
        size_t cap = m->cap_rec ? 2 * m->cap_rec : 64;
        void *p = realloc(m->rec, cap * sizeof(*m->rec));
        if (!p)
            return -1;
        m->rec = p;
        m->cap_rec = cap;
    }
    m->rec[m->n_rec++] = *rec;
    return 0;
}

static int count_ok(int64_t v)
{
    return v >= 0 && v <= OZ_COUNT_MAX;
}

static int unit_ok(double v)
{
    return v >= 0 && v <= 1;
}

int ozi_record_check(const struct omnizip_window_info *w, char *why, size_t why_size)
{
    const char *bad = NULL;
    if (!count_ok(w->audio_in) || !count_ok(w->audio_kept) || !count_ok(w->audio_anchors) ||
        !count_ok(w->audio_merged) || !count_ok(w->video_in) || !count_ok(w->video_kept))
        bad = "a count is negative or too large";
    else if (w->audio_kept > w->audio_in || w->video_kept > w->video_in)
        bad = "more kept than in";
    else if (w->audio_anchors > w->audio_kept || w->audio_merged > w->audio_in - w->audio_kept)
        bad = "anchors or merged tokens inconsistent with the counts";
    else if (!unit_ok(w->s_a) || !unit_ok(w->base_rate) || !unit_ok(w->rate))
        bad = "a rate outside [0, 1]";
    else if (!(w->micros >= 0 && w->micros <= DBL_MAX) || !(w->flops >= 0 && w->flops <= DBL_MAX))
        bad = "negative or non-finite time or flops";
    else if (w->guided != 0 && w->guided != 1)
        bad = "guided is neither 0 nor 1";
    if (bad)
        snprintf(why, why_size, "%s", bad);
    return bad ? -1 : 0;
}

void ozi_model_message(struct ozi_model *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->messages[m->n_messages % OZ_MAX_MESSAGES], OZ_MESSAGE_LEN, fmt, ap);
    va_end(ap);
    m->n_messages++;
}

const char *ozi_model_last_message(const struct ozi_model *m)
{
    return m->n_messages ? m->messages[(m->n_messages - 1) % OZ_MAX_MESSAGES] : "";
}

static int flops_of(const struct ozi_model *m, const struct omnizip_model_preset *p, int64_t n,
                    double *out)
{
    return p && m->cost->flops(p, n, OMNIZIP_COST_DECODE_TOKENS, out) == OMNIZIP_OK ? 0 : -1;
}

/* Sums of non-negative counts stop at INT64_MAX instead of wrapping. */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b < 0 ? INT64_MIN : INT64_MAX) : r;
}

void ozi_model_totals(const struct ozi_model *m, struct ozi_totals *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < m->n_shown && i < m->n_rec; i++) {
        t->audio_in = sat_add(t->audio_in, m->rec[i].audio_in);
        t->audio_kept = sat_add(t->audio_kept, m->rec[i].audio_kept);
        t->video_in = sat_add(t->video_in, m->rec[i].video_in);
        t->video_kept = sat_add(t->video_kept, m->rec[i].video_kept);
    }
    int64_t before = sat_add(t->audio_in, t->video_in);
    int64_t after = sat_add(t->audio_kept, t->video_kept);
    t->kept_pct = before > 0 ? 100.0 * (double)after / (double)before : 0;
    const struct omnizip_model_preset *p = m->cost ? m->cost->find(m->preset) : NULL;
    t->have_flops = flops_of(m, p, before, &t->flops_before) == 0 &&
                    flops_of(m, p, after, &t->flops_after) == 0;
    if (p && m->cost->kv_bytes(p, before - after, &t->kv_saved) != OMNIZIP_OK)
        t->kv_saved = 0;
    if (p && m->cost->kv_bytes(p, before, &t->kv_before) != OMNIZIP_OK)
        t->kv_before = 0;
}

void ozi_view_fit(struct ozi_model *m, int rows)
{
    size_t n = m->n_shown;
    if (n == 0) {
        m->sel = m->top = 0;
        return;
    }
    if (m->follow || m->sel >= n)
        m->sel = n - 1;
    if (rows <= 0) {
        m->top = m->sel;
        return;
    }
    size_t r = (size_t)rows;
    if (m->sel < m->top)
        m->top = m->sel;
    if (m->sel >= m->top + r)
        m->top = m->sel - r + 1;
    if (m->top + r > n)
        m->top = n > r ? n - r : 0;
}

void ozi_view_move(struct ozi_model *m, long delta)
{
    m->follow = 0;
    if (m->n_shown == 0)
        return;
    long last = (long)m->n_shown - 1, s = (long)m->sel + delta;
    m->sel = (size_t)(s < 0 ? 0 : s > last ? last : s);
}

int ozi_view_click(struct ozi_model *m, const struct ozi_layout *l, int y)
{
    if (!l->ok || y < l->table_y || y >= l->table_y + l->table_rows)
        return 0;
    size_t i = m->top + (size_t)(y - l->table_y);
    if (i >= m->n_shown)
        return 0;
    m->sel = i;
    m->follow = 0;
    return 1;
}

static double unit(double v)
{
    return isnan(v) || v < 0 ? 0 : v > 1 ? 1 : v;
}

int ozi_bar_cells(double v, int width)
{
    return width <= 0 ? 0 : (int)floor(unit(v) * width + 0.5);
}

int ozi_bar_eighths(double v, int width)
{
    return width <= 0 ? 0 : (int)floor(unit(v) * width * 8 + 0.5);
}

int ozi_bar_mark(double v, int width)
{
    int c = (int)floor(unit(v) * width);
    return c >= width ? width - 1 : c;
}

int ozi_spark_level(double v)
{
    int l = (int)(unit(v) * 8);
    return l > 7 ? 7 : l;
}

static int digits(int64_t v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

static int row_fixed(const struct ozi_layout *l)
{
    /* marker, index, audio kept/in, two bracketed bars */
    int w = 1 + 4 + 1 + (2 * l->audio_w + 1) + 1 + 2 + 1 + 2;
    if (l->values)
        w += 10;
    if (l->video_col)
        w += 1 + 2 * l->video_w + 1;
    if (l->tune_cols)
        w += OZ_TUNE_COLS_W;
    return w;
}

static void columns(struct ozi_layout *l, const struct ozi_model *m)
{
    int64_t amax = 0, vmax = 0;
    for (size_t i = 0; i < m->n_rec; i++) {
        if (m->rec[i].audio_in > amax)
            amax = m->rec[i].audio_in;
        if (m->rec[i].video_in > vmax)
            vmax = m->rec[i].video_in;
    }
    l->audio_w = digits(amax) < 2 ? 2 : digits(amax);
    l->video_w = digits(vmax) < 2 ? 2 : digits(vmax);
    l->values = 1;
    l->video_col = 1;
    /* Tune mode's anchors/merged and delta columns go first when narrow:
     * whole fields are dropped, digits never cut. */
    l->tune_cols = m->mode == OZ_MODE_TUNE;
    if (l->tune_cols && l->w - row_fixed(l) < 30)
        l->tune_cols = 0;
    if (l->w - row_fixed(l) < 20)
        l->values = 0;
    if (l->w - row_fixed(l) < 12)
        l->video_col = 0;
    int rem = l->w - row_fixed(l);
    if (rem < 2)
        rem = 2;
    l->sa_w = rem * 2 / 5;
    l->rate_w = rem - l->sa_w;
}

void ozi_layout_compute(struct ozi_layout *l, const struct ozi_model *m, int w, int h)
{
    memset(l, 0, sizeof(*l));
    l->w = w;
    l->h = h;
    l->ok = w >= OZ_MIN_WIDTH && h >= OZ_MIN_HEIGHT;
    l->history_y = -1;
    l->budget_y = -1;
    l->detail_y = -1;
    if (!l->ok)
        return;
    l->totals_y = 1;
    l->config_y = 2;
    l->bar_y = h - 1;
    l->status_y = h - 2;
    int y = 3;
    if (m->streaming) {
        l->budget_y = y++;
    }
    if (h >= 20) {
        l->history_y = y;
        y += 2;
    }
    l->head_y = y;
    l->table_y = y + 1;
    int end = l->status_y;
    if (m->detail && end - l->table_y >= 10) {
        l->detail_h = 6;
        l->detail_y = end - l->detail_h;
        end = l->detail_y;
    }
    l->table_rows = end - l->table_y;
    columns(l, m);
}
