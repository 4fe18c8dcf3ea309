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

#include "ozc_trace.h"

/* Longer lines cannot be records; refusing them bounds the memory a garbage
 * file can make us use. */
#define MAX_LINE (1 << 20)

static int get_count(json_t *o, const char *key, int required, int64_t *out, char *why, size_t n)
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

/* Reads the fields of table f into the struct at base. A bad value fails
 * (-1, why says which), a missing optional one reads as 0 (a missing
 * "guided" as -1, for the caller to infer). */
static int get_fields(json_t *o, const struct ozc_trace_field *f, size_t n, void *base, char *why,
                      size_t wn)
{
    for (size_t k = 0; k < n; k++) {
        char *p = (char *)base + f[k].off;
        int64_t v;
        switch (f[k].kind) {
        case OZC_TRACE_COUNT:
            if (get_count(o, f[k].key, f[k].required, (int64_t *)p, why, wn))
                return -1;
            break;
        case OZC_TRACE_INDEX:
        case OZC_TRACE_INT:
            if (get_count(o, f[k].key, f[k].required, &v, why, wn))
                return -1;
            if (f[k].kind == OZC_TRACE_INDEX ? v > UINT32_MAX : v >= f[k].hi) {
                snprintf(why, wn, "\"%s\" too large", f[k].key);
                return -1;
            }
            if (f[k].kind == OZC_TRACE_INDEX)
                *(uint32_t *)p = (uint32_t)v;
            else
                *(int32_t *)p = (int32_t)v;
            break;
        case OZC_TRACE_REAL:
            if (get_real(o, f[k].key, f[k].required, f[k].lo, f[k].hi, (double *)p, why, wn))
                return -1;
            break;
        case OZC_TRACE_BOOL: {
            json_t *b = json_object_get(o, f[k].key);
            *(int32_t *)p = b ? json_is_true(b) : -1;
            break;
        }
        }
    }
    return 0;
}

static int window_line(struct ozi_model *m, json_t *o, char *why, size_t n)
{
    struct omnizip_window_info w;
    memset(&w, 0, sizeof(w));
    w.struct_size = sizeof(w);
    if (get_fields(o, ozc_trace_window, OZC_TRACE_N(ozc_trace_window), &w, why, n))
        return -1;
    if (w.guided < 0)
        w.guided = w.audio_in > 0 && w.video_in > 0;
    if (ozi_record_check(&w, why, n) != 0)
        return -1;
    if (ozi_model_add(m, &w) != 0) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    return 0;
}

static void header_line(struct ozi_model *m, json_t *o)
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
    /* Each config field on its own: a bad one reads as 0, the rest stand. */
    struct omnizip_config c;
    memset(&c, 0, sizeof(c));
    for (size_t k = 0; k < OZC_TRACE_N(ozc_trace_config); k++)
        get_fields(o, &ozc_trace_config[k], 1, &c, why, sizeof(why));
    m->rho_audio = c.rho_audio;
    m->rho_video = c.rho_video;
    m->rho_min = c.rho_min;
    m->rho_max = c.rho_max;
    m->contextual_ratio = c.contextual_ratio;
    m->g = c.g;
    m->dpc_k = c.dpc_k;
    if (get_count(o, "windows", 0, &v, why, sizeof(why)) == 0 && v <= UINT32_MAX)
        m->n_planned = (uint32_t)v;
    s = json_string_value(json_object_get(o, "strategy"));
    if (s)
        snprintf(m->strategy, sizeof(m->strategy), "%s", s);
}

int ozi_trace_line(struct ozi_model *m, const char *line, size_t len, char *why, size_t why_size)
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
    } else if (strcmp(type, OZC_TRACE_WINDOW) == 0) {
        rc = window_line(m, o, why, why_size);
    } else if (strcmp(type, OZC_TRACE_HEADER) == 0) {
        header_line(m, o);
    } else if (strcmp(type, OZC_TRACE_SUMMARY) == 0) {
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

int ozi_trace_load(struct ozi_model *m, const char *path, char *err, size_t err_size)
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
        if (too_long || ozi_trace_line(m, line, len, why, sizeof(why)) != 0)
            ozi_model_message(m, "line %zu: bad record: %s", lineno, why);
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
