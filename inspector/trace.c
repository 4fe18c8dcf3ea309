/*
 * trace.c - JSON-lines trace reader (jansson). Each line is checked on its
 * own so one truncated or garbled line costs only that line.
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

/* Longer lines cannot be records; refusing them bounds the memory a garbage
 * file can make us use. */
#define MAX_LINE (1 << 20)

static int get_count(json_t *o, const char *key, int required, int64_t *out, char *why,
                     size_t n)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = 0;
        if (required)
            snprintf(why, n, "missing \"%s\"", key);
        return required ? -1 : 0;
    }
    double d = json_is_integer(v) ? (double)json_integer_value(v) : json_number_value(v);
    if (!json_is_number(v) || !(d >= 0) || d > 9.0e15 || d != floor(d)) {
        snprintf(why, n, "\"%s\" is not a count", key);
        return -1;
    }
    *out = json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)d;
    return 0;
}

static int get_real(json_t *o, const char *key, int required, double lo, double hi, double *out,
                    char *why, size_t n)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = 0;
        if (required)
            snprintf(why, n, "missing \"%s\"", key);
        return required ? -1 : 0;
    }
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d < lo || d > hi) {
        snprintf(why, n, "\"%s\" out of range [%g, %g]", key, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int window_line(struct oz_model *m, json_t *o, char *why, size_t n)
{
    struct omnizip_window_info w;
    memset(&w, 0, sizeof(w));
    w.struct_size = sizeof(w);
    int64_t index;
    if (get_count(o, "index", 1, &index, why, n) || index > UINT32_MAX ||
        get_count(o, "audio_in", 1, &w.audio_in, why, n) ||
        get_count(o, "audio_kept", 1, &w.audio_kept, why, n) ||
        get_count(o, "audio_anchors", 0, &w.audio_anchors, why, n) ||
        get_count(o, "audio_merged", 0, &w.audio_merged, why, n) ||
        get_count(o, "video_in", 1, &w.video_in, why, n) ||
        get_count(o, "video_kept", 1, &w.video_kept, why, n) ||
        get_real(o, "s_a", 1, 0, 1, &w.s_a, why, n) ||
        get_real(o, "base_rate", 0, 0, 1, &w.base_rate, why, n) ||
        get_real(o, "rate", 1, 0, 1, &w.rate, why, n) ||
        get_real(o, "micros", 0, 0, HUGE_VAL, &w.micros, why, n) ||
        get_real(o, "flops", 0, 0, HUGE_VAL, &w.flops, why, n)) {
        if (index > UINT32_MAX)
            snprintf(why, n, "\"index\" too large");
        return -1;
    }
    w.index = (uint32_t)index;
    json_t *g = json_object_get(o, "guided");
    w.guided = g ? json_is_true(g) : w.audio_in > 0 && w.video_in > 0;
    if (oz_record_check(&w, why, n) != 0)
        return -1;
    if (oz_model_add(m, &w) != 0) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    return 0;
}

static void header_line(struct oz_model *m, json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "source"));
    if (s)
        snprintf(m->origin, sizeof(m->origin), "%s", s);
    s = json_string_value(json_object_get(o, "model"));
    /* Kept even when no loaded plugin knows it: the title still names it. */
    if (s && *s)
        snprintf(m->preset, sizeof(m->preset), "%s", s);
    char why[8];
    int64_t v;
    m->have_config = 1;
    get_real(o, "rho_audio", 0, 0, 1, &m->rho_audio, why, sizeof(why));
    get_real(o, "rho_video", 0, 0, 1, &m->rho_video, why, sizeof(why));
    get_real(o, "rho_min", 0, 0, 1, &m->rho_min, why, sizeof(why));
    get_real(o, "rho_max", 0, 0, 1, &m->rho_max, why, sizeof(why));
    get_real(o, "contextual_ratio", 0, 0, 1, &m->contextual_ratio, why, sizeof(why));
    if (get_count(o, "g", 0, &v, why, sizeof(why)) == 0 && v < 1000000)
        m->g = (int)v;
    if (get_count(o, "dpc_k", 0, &v, why, sizeof(why)) == 0 && v < 1000000)
        m->dpc_k = (int)v;
    if (get_count(o, "windows", 0, &v, why, sizeof(why)) == 0 && v <= UINT32_MAX)
        m->n_planned = (uint32_t)v;
}

int oz_trace_line(struct oz_model *m, const char *line, size_t len, char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        snprintf(why, why_size, "%s", jerr.text);
        return -1;
    }
    int rc = 0;
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!json_is_object(o) || !type) {
        snprintf(why, why_size, "not an object with a \"type\"");
        rc = -1;
    } else if (strcmp(type, "window") == 0) {
        rc = window_line(m, o, why, why_size);
    } else if (strcmp(type, "header") == 0) {
        header_line(m, o);
    } else if (strcmp(type, "summary") == 0) {
        m->ended = 1;
    }
    json_decref(o);
    return rc;
}

/* Opens path for reading only if it is a regular file: a FIFO or a device
 * would block or never end. */
static FILE *open_regular(const char *path, char *err, size_t err_size)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    FILE *f = NULL;
    if (fd < 0 || fstat(fd, &st) != 0)
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(err, err_size, "%s: not a regular file", path);
    else if (fcntl(fd, F_SETFL, 0) != 0 || !(f = fdopen(fd, "rb")))
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
    if (!f && fd >= 0)
        close(fd);
    return f;
}

/* Reads one line into buf (at most MAX_LINE bytes kept, the newline
 * dropped); a longer line is consumed to its end without being stored.
 * Returns 0 at end of file, else 1 with *len and *too_long set. */
static int read_line(FILE *f, char *buf, size_t *len, int *too_long)
{
    size_t n = 0;
    int c, any = 0;
    *too_long = 0;
    while ((c = getc_unlocked(f)) != EOF) {
        any = 1;
        if (c == '\n')
            break;
        if (n < MAX_LINE)
            buf[n++] = (char)c;
        else
            *too_long = 1;
    }
    *len = n;
    return any;
}

int oz_trace_load(struct oz_model *m, const char *path, char *err, size_t err_size)
{
    FILE *f = open_regular(path, err, err_size);
    if (!f)
        return -1;
    char *line = malloc(MAX_LINE);
    if (!line) {
        snprintf(err, err_size, "%s: out of memory", path);
        fclose(f);
        return -1;
    }
    snprintf(m->source, sizeof(m->source), "%s", path);
    size_t lineno = 0, len;
    int too_long;
    while (read_line(f, line, &len, &too_long)) {
        lineno++;
        while (len > 0 && line[len - 1] == '\r')
            len--;
        if (len == 0 && !too_long)
            continue;
        char why[160];
        if (too_long)
            snprintf(why, sizeof(why), "line longer than %d bytes", MAX_LINE);
        if (too_long || oz_trace_line(m, line, len, why, sizeof(why)) != 0)
            oz_model_message(m, "line %zu: bad record: %s", lineno, why);
        else
            m->lines_used++;
    }
    free(line);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, err_size, "%s: read error", path);
        return -1;
    }
    return 0;
}
