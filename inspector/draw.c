/*
 * draw.c - the inspector's screen, composed as text cells: title, totals,
 * config, history strip, window table with bars, detail pane, help overlay,
 * status line and function-key bar (man/omnizip-inspect.1).
 */
#include "draw.h"

#include <stdio.h>
#include <string.h>

#include "keys.h"

const struct ozi_glyphs ozi_glyphs_utf8 = {
    "\u2588", {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"},
    "\u2588", "\u2503",
    "\u00b7", {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"},
    "\u2588", "\u2592",
    "\u00b7", "\u25c6",
};

const struct ozi_glyphs ozi_glyphs_ascii = {
    "#", {"", "", "", "", "", "", "", ""},
    "=", "|",
    ".", {"_", ".", ":", "-", "=", "+", "*", "#"},
    "#", "+",
    ".", "@",
};

/* Terminal cells of UTF-8 text: one per code point. */
static int width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Puts text at x only when all of it fits: a field is dropped whole, never
 * cut. Returns the column after it (x when dropped). */
static int field(struct ozi_frame *f, int y, int x, enum ozi_role role, const char *text)
{
    if (x + width(text) > f->w)
        return x;
    return ozi_frame_put(f, y, x, role, text);
}

static void human(double v, const char *unit, char *buf, size_t n)
{
    static const char *prefix[] = {"", "K", "M", "G", "T", "P", "E"};
    int i = 0;
    while (v >= 1000 && i < 6) {
        v /= 1000;
        i++;
    }
    snprintf(buf, n, "%.1f%s%s", v, prefix[i], unit);
}

static void mib(double bytes, char *buf, size_t n)
{
    if (bytes >= 1024.0 * 1024 * 1024)
        snprintf(buf, n, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    else
        snprintf(buf, n, "%.1f MiB", bytes / (1024.0 * 1024));
}

/* What the view is doing: paused, following or browsing; a live session
 * that ended and a replay at its end say so. */
static const char *state_of(const struct ozi_model *m)
{
    if (m->mode == OZ_MODE_LIVE && m->ended)
        return "ENDED";
    if (m->paused)
        return "PAUSED";
    if (m->mode == OZ_MODE_REPLAY && m->n_rec > 0 && m->n_shown >= m->n_rec)
        return "end of replay (R restarts)";
    return m->follow ? "following" : "browsing";
}

static void title(struct ozi_frame *f, const struct ozi_model *m)
{
    static const char *what[] = {"", "replay", "live", "", "tune"};
    char fields[7][600];
    int n = 0;
    snprintf(fields[n++], sizeof fields[0], "omnizip-inspect  %s %s", what[m->mode], m->source);
    if (m->mode == OZ_MODE_LIVE && m->origin[0])
        snprintf(fields[n++], sizeof fields[0], " (%s)", m->origin);
    snprintf(fields[n++], sizeof fields[0], "  %s", state_of(m));
    if (m->n_planned)
        snprintf(fields[n++], sizeof fields[0], "  %zu/%u windows", m->n_shown, m->n_planned);
    else
        snprintf(fields[n++], sizeof fields[0], "  %zu windows", m->n_shown);
    if (m->mode == OZ_MODE_REPLAY)
        snprintf(fields[n++], sizeof fields[0], "  %g/s", m->speed);
    snprintf(fields[n++], sizeof fields[0], "  %s", m->preset);
    int x = 0;
    for (int i = 0; i < n; i++)
        x = field(f, 0, x, OZ_R_TITLE, fields[i]);
    if (m->dropped) {
        char d[48];
        snprintf(d, sizeof d, "  dropped %llu", (unsigned long long)m->dropped);
        x = field(f, 0, x, OZ_R_WARN, d);
    }
    ozi_frame_role(f, 0, x, f->w, OZ_R_TITLE);
}

/* Tune mode: "vs LABEL: audio A -> B (+d)  video C -> D (+d)", each field
 * only when it fits whole. */
static int versus(struct ozi_frame *f, const struct ozi_model *m, int y, int x,
                  const struct ozi_draw_extra *e)
{
    int64_t a0 = 0, a1 = 0, v0 = 0, v1 = 0;
    for (size_t i = 0; i < e->n_base; i++) {
        a0 += e->base[i].audio_kept;
        v0 += e->base[i].video_kept;
    }
    for (size_t i = 0; i < m->n_shown; i++) {
        a1 += m->rec[i].audio_kept;
        v1 += m->rec[i].video_kept;
    }
    char field[3][96];
    snprintf(field[0], sizeof field[0], "  vs %s:", e->base_label ? e->base_label : "loaded");
    snprintf(field[1], sizeof field[1], " audio %lld -> %lld (%+lld)", (long long)a0, (long long)a1,
             (long long)(a1 - a0));
    snprintf(field[2], sizeof field[2], "  video %lld -> %lld (%+lld)", (long long)v0,
             (long long)v1, (long long)(v1 - v0));
    if (x + (int)(strlen(field[0]) + strlen(field[1])) > f->w)
        return x;
    x = ozi_frame_put(f, y, x, OZ_R_HEAD, field[0]);
    x = ozi_frame_put(f, y, x, a0 != a1 ? OZ_R_WARN : OZ_R_NORMAL, field[1]);
    if (x + (int)strlen(field[2]) <= f->w)
        x = ozi_frame_put(f, y, x, v0 != v1 ? OZ_R_WARN : OZ_R_NORMAL, field[2]);
    return x;
}

static void totals(struct ozi_frame *f, const struct ozi_model *m, int y,
                   const struct ozi_draw_extra *e)
{
    struct ozi_totals t;
    ozi_model_totals(m, &t);
    char a[32], b[32], text[160];
    snprintf(text, sizeof text, "kept: audio %lld/%lld  video %lld/%lld", (long long)t.audio_kept,
             (long long)t.audio_in, (long long)t.video_kept, (long long)t.video_in);
    int x = field(f, y, 0, OZ_R_NORMAL, text);
    if (e && e->base) {
        versus(f, m, y, x, e);
        return;
    }
    snprintf(text, sizeof text, "  media %.1f%%", t.kept_pct);
    x = field(f, y, x, OZ_R_NORMAL, text);
    if (t.have_flops && t.flops_before > 0) {
        human(t.flops_before, "", a, sizeof(a));
        human(t.flops_after, "", b, sizeof(b));
        snprintf(text, sizeof text, "  prefill FLOPs %s -> %s (%.1f%% saved)", a, b,
                 100.0 * (1 - t.flops_after / t.flops_before));
        x = field(f, y, x, OZ_R_NORMAL, text);
    }
    mib(t.kv_saved, a, sizeof(a));
    if (t.kv_before > 0)
        snprintf(text, sizeof text, "  KV saved %s (%.1f%%)", a, 100.0 * t.kv_saved / t.kv_before);
    else
        snprintf(text, sizeof text, "  KV saved %s", a);
    field(f, y, x, OZ_R_NORMAL, text);
}

static void config(struct ozi_frame *f, const struct ozi_model *m, int y,
                   const struct ozi_draw_extra *e)
{
    if (e && e->n_params) {
        char fields[16][128];
        size_t n = e->n_params < 16 ? e->n_params : 16, from = 0;
        int total = 5;
        for (size_t i = 0; i < n; i++)
            snprintf(fields[i], sizeof fields[i], " %s%s %s%s", i == e->param_sel ? "[" : " ",
                     e->param_names[i], e->param_values[i], i == e->param_sel ? "]" : " ");
        /* The selected parameter always shows: earlier ones scroll away. */
        for (size_t i = 0; i <= e->param_sel && i < n; i++)
            total += width(fields[i]);
        while (from < e->param_sel && total > f->w)
            total -= width(fields[from++]);
        int x = ozi_frame_put(f, y, 0, OZ_R_HEAD, e->dirty ? "tune*" : "tune:");
        if (from > 0)
            x = ozi_frame_put(f, y, x, OZ_R_DIM, "<");
        for (size_t i = from; i < n; i++) {
            int changed = e->param_base && strcmp(e->param_values[i], e->param_base[i]) != 0;
            int nx = field(f, y, x,
                           i == e->param_sel ? OZ_R_SEL
                           : changed         ? OZ_R_WARN
                                             : OZ_R_NORMAL,
                           fields[i]);
            if (nx == x)
                break;
            x = nx;
        }
        return;
    }
    if (!m->have_config) {
        ozi_frame_put(f, y, 0, OZ_R_DIM, "config unknown");
        return;
    }
    char fields[6][64];
    snprintf(fields[5], sizeof fields[5], "  strategy %s",
             m->strategy[0] ? m->strategy : "omnizip");
    snprintf(fields[0], sizeof fields[0], "rho_audio %g", m->rho_audio);
    snprintf(fields[1], sizeof fields[1], "  rho_video %g", m->rho_video);
    snprintf(fields[2], sizeof fields[2], "  g %d", m->g);
    snprintf(fields[3], sizeof fields[3], "  rho band [%g, %g]", m->rho_min, m->rho_max);
    snprintf(fields[4], sizeof fields[4], "  contextual %g", m->contextual_ratio);
    int x = 0;
    for (int i = 0; i < 6; i++)
        x = field(f, y, x, OZ_R_NORMAL, fields[i]);
}

static void history(struct ozi_frame *f, const struct ozi_model *m, int y,
                    const struct ozi_glyphs *g)
{
    static const char *const legend[2] = {"  audio kept per window, %s0 .. %s1",
                                          "  video prune rate, %s0 .. %s1"};
    int width_ = f->w - 6;
    size_t n = m->n_shown;
    /* Room for the legend when the strip is short. */
    int room = width_ - (int)n > 40 ? (int)n : width_;
    size_t from = n > (size_t)room ? n - (size_t)room : 0;
    if (m->sel < from && n > (size_t)room)
        from = m->sel;
    ozi_frame_put(f, y, 0, OZ_R_HEAD, "S_a");
    ozi_frame_put(f, y + 1, 0, OZ_R_HEAD, "rate");
    int x = 6;
    for (size_t i = from; i < n && x < 6 + room; i++, x++) {
        const struct omnizip_window_info *r = &m->rec[i];
        /* The selected window's column is marked (reverse) on both lines. */
        int sel = i == m->sel;
        if (r->guided)
            ozi_frame_put(f, y, x, sel ? OZ_R_SEL : OZ_R_AUDIO, g->spark[ozi_spark_level(r->s_a)]);
        else if (sel)
            ozi_frame_put(f, y, x, OZ_R_SEL, " ");
        ozi_frame_put(f, y + 1, x, sel ? OZ_R_SEL : OZ_R_VIDEO, g->spark[ozi_spark_level(r->rate)]);
    }
    for (int k = 0; k < 2; k++) {
        char text[96];
        snprintf(text, sizeof text, legend[k], g->spark[0], g->spark[7]);
        field(f, y + k, x, OZ_R_DIM, text);
    }
}

static void bar(struct ozi_frame *f, int y, int x, int w, double v, const struct ozi_glyphs *g,
                enum ozi_role role)
{
    int e = g->partial[1][0] ? ozi_bar_eighths(v, w) : ozi_bar_cells(v, w) * 8;
    for (int i = 0; i < w; i++, e -= 8) {
        if (e >= 8)
            ozi_frame_put(f, y, x + i, role, g->full);
        else if (e > 0)
            ozi_frame_put(f, y, x + i, role, g->partial[e]);
    }
}

static void rate_bar(struct ozi_frame *f, int y, int x, int w, const struct ozi_model *m,
                     double rate, const struct ozi_glyphs *g)
{
    int fill = ozi_bar_cells(rate, w);
    int lo = ozi_bar_mark(m->rho_min, w), hi = ozi_bar_mark(m->rho_max, w);
    for (int i = 0; i < w; i++) {
        /* Below rho_min every guided window is pruned alike: that part is dimmed. */
        if (m->have_config && (i == lo || i == hi))
            ozi_frame_put(f, y, x + i, OZ_R_BAND, g->mark);
        else if (i < fill)
            ozi_frame_put(f, y, x + i, m->have_config && i < lo ? OZ_R_DIM : OZ_R_VIDEO,
                          g->rate_fill);
        else if (m->have_config && i > lo && i < hi)
            ozi_frame_put(f, y, x + i, OZ_R_DIM, g->band);
    }
}

static void head(struct ozi_frame *f, const struct ozi_layout *l, int y)
{
    int sa = l->sa_w + 2 + (l->values ? 5 : 0), rate = l->rate_w + 2 + (l->values ? 5 : 0);
    static const char *const sa_labels[] = {"S_a (audio kept)", "S_a", ""};
    static const char *const rate_labels[] = {"video prune rate (|: rho_min, rho_max)",
                                              "video prune rate", "rate", ""};
    size_t i = 0, j = 0;
    while ((int)strlen(sa_labels[i]) > sa)
        i++;
    while ((int)strlen(rate_labels[j]) > rate)
        j++;
    int x = ozi_frame_printf(f, y, 0, OZ_R_HEAD, "  win %*s ", 2 * l->audio_w + 1, "audio");
    x = ozi_frame_printf(f, y, x, OZ_R_HEAD, "%-*s ", sa, sa_labels[i]);
    x = ozi_frame_printf(f, y, x, OZ_R_HEAD, "%-*s", rate, rate_labels[j]);
    if (l->video_col)
        x = ozi_frame_printf(f, y, x, OZ_R_HEAD, " %*s", 2 * l->video_w + 1, "video");
    if (l->tune_cols)
        x = ozi_frame_printf(f, y, x, OZ_R_HEAD, " %8s %6s", "anch/mrg", "delta");
    ozi_frame_role(f, y, x, f->w, OZ_R_HEAD);
}

/* Tune mode: anchors/merged, and the kept tokens' change against the
 * "before" side; a changed row's index is highlighted. */
static int tune_cols(struct ozi_frame *f, const struct omnizip_window_info *r, int y, int x,
                     const struct ozi_draw_extra *e, size_t i)
{
    char am[32];
    snprintf(am, sizeof(am), "%lld/%lld", (long long)r->audio_anchors, (long long)r->audio_merged);
    x = ozi_frame_printf(f, y, x, OZ_R_NORMAL, " %8s", am);
    if (!e || i >= e->n_base)
        return ozi_frame_printf(f, y, x, OZ_R_DIM, " %6s", "-");
    const struct omnizip_window_info *b = &e->base[i];
    long long d = (long long)(r->audio_kept + r->video_kept - b->audio_kept - b->video_kept);
    int changed = r->audio_kept != b->audio_kept || r->video_kept != b->video_kept;
    if (changed)
        ozi_frame_role(f, y, 1, 5, OZ_R_WARN);
    return ozi_frame_printf(f, y, x, changed ? OZ_R_WARN : OZ_R_DIM, " %+6lld", d);
}

static void row(struct ozi_frame *f, const struct ozi_model *m, const struct ozi_layout *l,
                size_t i, int y, const struct ozi_glyphs *g, const struct ozi_draw_extra *e)
{
    const struct omnizip_window_info *r = &m->rec[i];
    int sel = i == m->sel;
    int x = ozi_frame_printf(f, y, 0, OZ_R_NORMAL, "%c%4u %*lld/%-*lld ", sel ? '>' : ' ', r->index,
                             l->audio_w, (long long)r->audio_kept, l->audio_w,
                             (long long)r->audio_in);
    ozi_frame_put(f, y, x, OZ_R_NORMAL, "[");
    if (r->guided)
        bar(f, y, x + 1, l->sa_w, r->s_a, g, OZ_R_AUDIO);
    x = ozi_frame_put(f, y, x + 1 + l->sa_w, OZ_R_NORMAL, "]");
    if (l->values)
        x = r->guided ? ozi_frame_printf(f, y, x, OZ_R_NORMAL, " %4.2f", r->s_a)
                      : ozi_frame_put(f, y, x, OZ_R_DIM, "    -");
    x = ozi_frame_put(f, y, x, OZ_R_NORMAL, " [");
    rate_bar(f, y, x, l->rate_w, m, r->rate, g);
    x = ozi_frame_put(f, y, x + l->rate_w, OZ_R_NORMAL, "]");
    if (l->values)
        x = ozi_frame_printf(f, y, x, OZ_R_NORMAL, " %4.2f", r->rate);
    if (l->video_col)
        x = ozi_frame_printf(f, y, x, OZ_R_NORMAL, " %*lld/%-*lld", l->video_w,
                             (long long)r->video_kept, l->video_w, (long long)r->video_in);
    if (l->tune_cols)
        x = tune_cols(f, r, y, x, e, i);
    if (sel)
        ozi_frame_role(f, y, 0, 5, OZ_R_SEL);
    (void)x;
}

/* One run of cells standing for n tokens, scaled by per tokens a cell. */
static int cells(struct ozi_frame *f, int y, int x, int64_t n, int64_t per, const char *glyph,
                 enum ozi_role role)
{
    for (int64_t c = (n + per - 1) / per; c > 0 && x < f->w; c--)
        x = ozi_frame_put(f, y, x, role, glyph);
    return x;
}

/* The glyph of a group of audio codes: the strongest decision shown. */
static int audio_cell(const uint8_t *s, size_t n)
{
    static const int rank[4] = {0, 2, 3, 1}; /* pruned < merged < kept < anchor */
    int best = OMNIZIP_AUDIO_PRUNED;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 4 && rank[s[i]] > rank[best])
            best = s[i];
    return best;
}

/* Tune mode: the window's tokens where they are, audio in order, video
 * frame by frame (raster order, frames apart); per tokens a cell. */
static void positions(struct ozi_frame *f, int y, const struct ozi_draw_extra *e,
                      const struct ozi_glyphs *g, size_t per)
{
    int x = ozi_frame_put(f, y, 0, OZ_R_HEAD, "audio ");
    for (size_t i = 0; i < e->n_detail_audio && x < f->w; i += per) {
        size_t n = e->n_detail_audio - i < per ? e->n_detail_audio - i : per;
        int c = audio_cell(e->detail_audio + i, n);
        x = ozi_frame_put(f, y, x, c == OMNIZIP_AUDIO_PRUNED ? OZ_R_DIM : OZ_R_AUDIO,
                          c == OMNIZIP_AUDIO_KEPT     ? g->kept
                          : c == OMNIZIP_AUDIO_ANCHOR ? g->anchor
                          : c == OMNIZIP_AUDIO_MERGED ? g->merged
                                                      : g->pruned);
    }
    x = ozi_frame_put(f, y + 1, 0, OZ_R_HEAD, "video ");
    size_t tpf = e->tpf > 0 ? (size_t)e->tpf : e->n_detail_video + 1;
    for (size_t i = 0; i < e->n_detail_video && x < f->w; i += per) {
        if (i > 0 && i % tpf < per)
            x = ozi_frame_put(f, y + 1, x, OZ_R_NORMAL, " ");
        size_t n = e->n_detail_video - i < per ? e->n_detail_video - i : per, any = 0;
        for (size_t k = 0; k < n; k++)
            any |= e->detail_video[i + k];
        x = ozi_frame_put(f, y + 1, x, any ? OZ_R_VIDEO : OZ_R_DIM, any ? g->kept : g->pruned);
    }
}

static void detail(struct ozi_frame *f, const struct ozi_model *m, const struct ozi_layout *l,
                   const struct ozi_glyphs *g, const struct ozi_draw_extra *e)
{
    int y = l->detail_y;
    for (int x = 0; x < f->w; x++)
        ozi_frame_put(f, y, x, OZ_R_HEAD, "-");
    if (m->n_shown == 0)
        return;
    const struct omnizip_window_info *r = &m->rec[m->sel];
    int64_t dominant = r->audio_kept - r->audio_anchors;
    int64_t pruned = r->audio_in - r->audio_kept - r->audio_merged;
    if (pruned < 0)
        pruned = 0;
    ozi_frame_printf(f, y, 2, OZ_R_HEAD, " window %u (%s) ", r->index,
                     r->guided ? "guided" : "unguided");
    char text[3][160];
    snprintf(text[0], sizeof text[0],
             "audio %lld in: %lld kept (%lld anchors), %lld merged, "
             "%lld pruned",
             (long long)r->audio_in, (long long)r->audio_kept, (long long)r->audio_anchors,
             (long long)r->audio_merged, (long long)pruned);
    snprintf(text[1], sizeof text[1], "   video %lld in: %lld kept, rate %.3f (base %.3f)",
             (long long)r->video_in, (long long)r->video_kept, r->rate, r->base_rate);
    snprintf(text[2], sizeof text[2], "   plugin's own time %.1f us, work %.3g FLOP", r->micros,
             r->flops);
    int tx = 0;
    for (int k = 0; k < 3; k++)
        tx = field(f, y + 1, tx, OZ_R_NORMAL, text[k]);
    int positional = e && (e->detail_audio || e->detail_video);
    int64_t frames = positional && e->tpf > 0 ? (int64_t)e->n_detail_video / e->tpf : 0;
    int64_t room = f->w - 8 - frames, most = r->audio_in > r->video_in ? r->audio_in : r->video_in;
    int64_t per = most > room && room > 0 ? (most + room - 1) / room : 1;
    if (positional) {
        positions(f, y + 2, e, g, (size_t)per);
    } else {
        /* A replay or live record holds counts only: grouped, not placed. */
        int x = ozi_frame_put(f, y + 2, 0, OZ_R_HEAD, "audio ");
        x = cells(f, y + 2, x + 2, dominant, per, g->kept, OZ_R_AUDIO);
        x = cells(f, y + 2, x, r->audio_anchors, per, g->anchor, OZ_R_AUDIO);
        x = cells(f, y + 2, x, r->audio_merged, per, g->merged, OZ_R_NORMAL);
        cells(f, y + 2, x, pruned, per, g->pruned, OZ_R_DIM);
        x = ozi_frame_put(f, y + 3, 0, OZ_R_HEAD, "video ");
        x = cells(f, y + 3, x + 2, r->video_kept, per, g->kept, OZ_R_VIDEO);
        cells(f, y + 3, x, r->video_in - r->video_kept, per, g->pruned, OZ_R_DIM);
    }
    char legend[3][96];
    snprintf(legend[0], sizeof legend[0], "%s kept %s anchor %s merged %s pruned", g->kept,
             g->anchor, g->merged, g->pruned);
    snprintf(legend[1], sizeof legend[1], ", 1 cell = %lld token%s", (long long)per,
             per == 1 ? "" : "s");
    snprintf(legend[2], sizeof legend[2], ", %s",
             positional ? "in place (video: frames, raster order)" : "grouped by kind");
    int x = 0;
    for (int k = 0; k < 3; k++)
        x = field(f, y + 4, x, OZ_R_DIM, legend[k]);
}

static void help(struct ozi_frame *f, const struct ozi_model *m, const struct ozi_layout *l)
{
    int top = l->config_y + 1, bottom = l->status_y;
    for (int y = top; y < bottom; y++)
        for (int x = 0; x < f->w; x++)
            ozi_frame_cell(f, y, x, OZ_R_NORMAL, ' ');
    ozi_frame_put(f, top, 2, OZ_R_HEAD, "Help: keys (any key closes this)");
    const char *keys, *text;
    size_t i = 0;
    int col = 0, y = top + 1, colw = f->w >= 100 ? f->w / 2 : f->w;
    while (ozi_key_help(m->mode, i++, &keys, &text)) {
        if (y >= bottom) {
            if (colw == f->w)
                break;
            col += colw;
            y = top + 1;
            if (col >= f->w)
                break;
        }
        ozi_frame_printf(f, y, col + 2, OZ_R_KEY, "%-10s", keys);
        ozi_frame_put(f, y++, col + 13, OZ_R_NORMAL, text);
    }
}

static void key_bar(struct ozi_frame *f, const struct ozi_model *m, int y)
{
    const char *label, *text;
    char rest[64];
    size_t n = 0;
    while (ozi_key_bar(m->mode, n, &label, &text))
        n++;
    /* The last entry (Quit) always shows; others that do not fit before it
     * are left out whole. */
    int last = 0;
    if (n && ozi_key_bar(m->mode, n - 1, &label, &text))
        last = width(label) + 1 + width(text);
    int x = 0;
    for (size_t i = 0; i < n && ozi_key_bar(m->mode, i, &label, &text); i++) {
        snprintf(rest, sizeof rest, " %s  ", text);
        if (i + 1 < n && x + width(label) + width(rest) + last > f->w)
            continue;
        x = ozi_frame_put(f, y, x, OZ_R_KEY, label);
        x = ozi_frame_put(f, y, x, OZ_R_NORMAL, rest);
    }
}

static void status(struct ozi_frame *f, const struct ozi_model *m, int y,
                   const struct ozi_draw_extra *e)
{
    if (e && e->prompt) {
        ozi_frame_printf(f, y, 0, OZ_R_HEAD, "%s: %s_",
                         e->prompt_label ? e->prompt_label : "jump to window", e->prompt);
        return;
    }
    const char *msg = ozi_model_last_message(m);
    if (msg[0]) {
        int x = ozi_frame_put(f, y, 0, OZ_R_WARN, msg);
        if (m->n_messages > 1)
            ozi_frame_printf(f, y, x, OZ_R_DIM, " (+%zu more)", m->n_messages - 1);
    } else if (m->n_shown == 0) {
        ozi_frame_put(f, y, 0, OZ_R_DIM, "no windows yet");
    }
}

/* One cumulative fraction on a bar with its target marked. */
static int budget_bar(struct ozi_frame *f, int y, int x, int w, const char *what, double v,
                      double target, enum ozi_role role, const struct ozi_glyphs *g)
{
    x = ozi_frame_printf(f, y, x, OZ_R_NORMAL, "%s %5.1f%% [", what, 100.0 * v);
    bar(f, y, x, w, v, g, role);
    ozi_frame_put(f, y, x + ozi_bar_mark(target, w), OZ_R_WARN, "|");
    return ozi_frame_printf(f, y, x + w, OZ_R_NORMAL, "] target %.1f%%  ", 100.0 * target);
}

/* Streaming: the budget controller at work, kept so far against target. */
static void budget(struct ozi_frame *f, const struct ozi_model *m, int y,
                   const struct ozi_glyphs *g)
{
    struct ozi_totals t;
    ozi_model_totals(m, &t);
    double audio = t.audio_in ? (double)t.audio_kept / (double)t.audio_in : 0.0;
    double video = t.video_in ? (double)t.video_kept / (double)t.video_in : 0.0;
    int x = ozi_frame_put(f, y, 0, OZ_R_HEAD, "budget ");
    if (f->w < 68 + 2 * 8) { /* no room for the bars (68: the text around them): figures only */
        ozi_frame_printf(f, y, x, OZ_R_NORMAL, "audio %.1f/%.1f%%  video %.1f/%.1f%%",
                         100.0 * audio, 100.0 * m->audio_target, 100.0 * video,
                         100.0 * m->video_target);
        return;
    }
    int w = (f->w - 68) / 2;
    x = budget_bar(f, y, x, w, "audio", audio, m->audio_target, OZ_R_AUDIO, g);
    budget_bar(f, y, x, w, "video", video, m->video_target, OZ_R_VIDEO, g);
}

static void too_small(struct ozi_frame *f)
{
    char need[32];
    snprintf(need, sizeof(need), "(need %dx%d)", OZ_MIN_WIDTH, OZ_MIN_HEIGHT);
    if (f->w >= 19 + (int)strlen(need)) {
        ozi_frame_printf(f, 0, 0, OZ_R_WARN, "terminal too small %s", need);
    } else {
        ozi_frame_put(f, 0, 0, OZ_R_WARN, "terminal too small");
        ozi_frame_put(f, 1, 0, OZ_R_WARN, need);
    }
}

void ozi_draw(struct ozi_frame *f, struct ozi_model *m, const struct ozi_layout *l,
              const struct ozi_glyphs *g, const struct ozi_draw_extra *extra)
{
    ozi_frame_clear(f);
    if (!l->ok) {
        too_small(f);
        return;
    }
    ozi_view_fit(m, l->table_rows);
    title(f, m);
    totals(f, m, l->totals_y, extra);
    config(f, m, l->config_y, extra);
    if (l->budget_y >= 0)
        budget(f, m, l->budget_y, g);
    if (l->history_y >= 0)
        history(f, m, l->history_y, g);
    head(f, l, l->head_y);
    int r = 0;
    for (; r < l->table_rows && m->top + (size_t)r < m->n_shown; r++)
        row(f, m, l, m->top + (size_t)r, l->table_y + r, g, extra);
    if (r < l->table_rows && m->mode == OZ_MODE_REPLAY && m->n_rec > 0 && m->n_shown >= m->n_rec)
        field(f, l->table_y + r, 0, OZ_R_DIM, "  -- end of replay (R restarts) --");
    if (l->detail_y >= 0)
        detail(f, m, l, g, extra);
    if (m->help)
        help(f, m, l);
    status(f, m, l->status_y, extra);
    key_bar(f, m, l->bar_y);
}
