/*
 * svg.c - two aligned panels over the window index: S_a (audio retention)
 * above, the video pruning rate below with the [rho_min, rho_max] band.
 * Series differ by marker shape and dash pattern, the band by a hatch, so
 * the plot reads the same in grey print.
 */
#include "svg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define W 840
#define PANEL_H 220
#define LEFT 70
#define RIGHT 20
#define TOP 40
#define GAP 60

static double xpos(size_t i, size_t n)
{
    double span = W - LEFT - RIGHT;
    return LEFT + (n > 1 ? span * (double)i / (double)(n - 1) : span / 2);
}

static double ypos(double v, int top)
{
    return top + PANEL_H * (1 - (v < 0 ? 0 : v > 1 ? 1 : v));
}

static void axes(FILE *f, int top, const char *label, size_t n)
{
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#000'/>\n", LEFT,
            top, W - LEFT - RIGHT, PANEL_H);
    for (int t = 0; t <= 4; t++) {
        double v = t / 4.0, y = ypos(v, top);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ccc'/>\n", LEFT, y,
                W - RIGHT, y);
        fprintf(f, "<text x='%d' y='%.1f' text-anchor='end' font-size='11'>%.2f</text>\n", LEFT - 6,
                y + 4, v);
    }
    fprintf(f,
            "<text x='16' y='%d' font-size='13' transform='rotate(-90 16 %d)' "
            "text-anchor='middle'>%s</text>\n",
            top + PANEL_H / 2, top + PANEL_H / 2, label);
    size_t step = n > 20 ? (n + 19) / 20 : 1;
    for (size_t i = 0; i < n; i += step)
        fprintf(f, "<text x='%.1f' y='%d' font-size='10' text-anchor='middle'>%zu</text>\n",
                xpos(i, n), top + PANEL_H + 14, i);
}

static void band(FILE *f, const struct ozi_model *m, int top)
{
    double y1 = ypos(m->rho_max, top), y0 = ypos(m->rho_min, top);
    fprintf(f, "<rect x='%d' y='%.1f' width='%d' height='%.1f' fill='url(#hatch)'/>\n", LEFT, y1,
            W - LEFT - RIGHT, y0 - y1);
    fprintf(f,
            "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#000' "
            "stroke-dasharray='2 3'/>\n",
            LEFT, y0, W - RIGHT, y0);
    fprintf(f,
            "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#000' "
            "stroke-dasharray='2 3'/>\n",
            LEFT, y1, W - RIGHT, y1);
    fprintf(f, "<text x='%d' y='%.1f' font-size='10' text-anchor='end'>rho_min %.2f</text>\n",
            W - RIGHT - 4, y0 + 12, m->rho_min);
    fprintf(f, "<text x='%d' y='%.1f' font-size='10' text-anchor='end'>rho_max %.2f</text>\n",
            W - RIGHT - 4, y1 - 4, m->rho_max);
}

static void series(FILE *f, const struct ozi_model *m, int top, int audio)
{
    size_t n = m->n_shown;
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5'%s points='",
            audio ? "#1f4e9c" : "#c75b00", audio ? "" : " stroke-dasharray='6 3'");
    for (size_t i = 0; i < n; i++)
        if (!audio || m->rec[i].guided)
            fprintf(f, "%.1f,%.1f ", xpos(i, n), ypos(audio ? m->rec[i].s_a : m->rec[i].rate, top));
    fprintf(f, "'/>\n");
    for (size_t i = 0; i < n; i++) {
        double x = xpos(i, n);
        if (audio && m->rec[i].guided)
            fprintf(f, "<circle cx='%.1f' cy='%.1f' r='3' fill='#1f4e9c'/>\n", x,
                    ypos(m->rec[i].s_a, top));
        else if (!audio)
            fprintf(f,
                    "<rect x='%.1f' y='%.1f' width='6' height='6' fill='#fff' "
                    "stroke='#c75b00'/>\n",
                    x - 3, ypos(m->rec[i].rate, top) - 3);
    }
}

static int emit(FILE *f, const struct ozi_model *m)
{
    int top2 = TOP + PANEL_H + GAP, h = top2 + PANEL_H + 50;
    fprintf(f,
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "viewBox='0 0 %d %d' font-family='sans-serif'>\n",
            W, h, W, h);
    fprintf(f, "<title>omnizip per-window audio retention and video rate</title>\n"
               "<defs><pattern id='hatch' width='6' height='6' patternUnits='userSpaceOnUse' "
               "patternTransform='rotate(45)'><line x1='0' y1='0' x2='0' y2='6' stroke='#999' "
               "stroke-width='1.5'/></pattern></defs>\n"
               "<rect width='100%%' height='100%%' fill='#fff'/>\n");
    struct ozi_totals t;
    ozi_model_totals(m, &t);
    fprintf(f,
            "<text x='%d' y='24' font-size='14'>%s: %zu windows, media kept %.1f%% "
            "(circles: S_a, squares: video pruning rate, hatched: [rho_min, rho_max])</text>\n",
            LEFT, "omnizip", m->n_shown, t.kept_pct);
    axes(f, TOP, "S_a (audio kept)", m->n_shown);
    series(f, m, TOP, 1);
    axes(f, top2, "video pruning rate", m->n_shown);
    if (m->have_config)
        band(f, m, top2);
    series(f, m, top2, 0);
    fprintf(f, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>window index</text>\n",
            (W + LEFT) / 2, h - 10);
    fprintf(f, "</svg>\n");
    return ferror(f) ? -1 : 0;
}

int ozi_svg_write(const struct ozi_model *m, const char *path, char *err, size_t err_size)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    snprintf(tmp, len + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        /* mkstemp makes 0600; the plot is an ordinary file. */
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return -1;
    }
    int bad = emit(f, m) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int saved = errno;
    bad |= fclose(f) != 0;
    if (!bad && rename(tmp, path) != 0) {
        saved = errno;
        bad = 1;
    }
    if (bad) {
        snprintf(err, err_size, "%s: %s", path, strerror(saved ? saved : EIO));
        unlink(tmp);
    }
    free(tmp);
    return bad ? -1 : 0;
}
