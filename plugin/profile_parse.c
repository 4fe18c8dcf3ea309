/*
 * profile_parse.c - one profile file into a list of key: value entries with
 * their positions, through libyaml's event API. Only the shape is checked
 * here (a flat mapping of known, unique keys with scalar values); profile.c
 * follows extends and applies the values.
 */
#include "config.h"
#include "ozc_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_BYTES (1 << 20)

static const char *const meta_keys[] = {"extends", "description", NULL};

struct reader {
    yaml_parser_t parser;
    yaml_event_t ev;
    int have;
    const unsigned char *buf;
    size_t len;
    const char *file;
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static omnizip_status fail(struct reader *r,
                                                                 omnizip_status st, const char *fmt,
                                                                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    ozc_verr(r->err, r->err_size, fmt, ap);
    va_end(ap);
    return st;
}

__attribute__((format(printf, 5, 6))) static omnizip_status fail_at(struct reader *r, int line,
                                                                    int col, omnizip_status st,
                                                                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ozc_verr_at(r->err, r->err_size, r->file, line, col, fmt, ap);
    va_end(ap);
    return st;
}

/* 1-based line and column (in characters) of byte offset off. */
static void position(const unsigned char *buf, size_t len, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            ++*line;
            *col = 1;
        } else if ((buf[i] & 0xC0) != 0x80) {
            ++*col;
        }
    }
}

/* The byte at 0-based (line, column) of a libyaml mark, or -1. */
static int byte_at(const unsigned char *buf, size_t len, size_t line, size_t column)
{
    size_t i = 0;
    for (; line > 0 && i < len; i++)
        if (buf[i] == '\n')
            line--;
    for (; i < len; i++)
        if ((buf[i] & 0xC0) != 0x80 && column-- == 0)
            return buf[i];
    return -1;
}

static omnizip_status syntax_error(struct reader *r)
{
    yaml_parser_t *p = &r->parser;
    int line, col;

    if (p->error == YAML_MEMORY_ERROR)
        return fail(r, OMNIZIP_E_NOMEM, "%s: out of memory while parsing", r->file);
    if (p->error == YAML_READER_ERROR) {
        int found = p->problem_value >= 0        ? p->problem_value
                    : p->problem_offset < r->len ? r->buf[p->problem_offset]
                                                 : -1;
        position(r->buf, r->len, p->problem_offset, &line, &col);
        if (found >= 0)
            return fail_at(r, line, col, OMNIZIP_E_PROFILE,
                           "expected UTF-8 text: %s (found 0x%02X)", p->problem, (unsigned)found);
        return fail_at(r, line, col, OMNIZIP_E_PROFILE, "expected UTF-8 text: %s", p->problem);
    }
    line = (int)p->problem_mark.line + 1;
    col = (int)p->problem_mark.column + 1;
    if (byte_at(r->buf, r->len, p->problem_mark.line, p->problem_mark.column) == '\t')
        return fail_at(r, line, col, OMNIZIP_E_PROFILE,
                       "expected spaces, found a tab character (YAML indents with spaces)");
    /* libyaml's wording for a key indented under a value: say what to fix. */
    if (p->problem && strstr(p->problem, "mapping values are not allowed"))
        return fail_at(r, line, col, OMNIZIP_E_PROFILE,
                       "%s (expected every key at the start of its line: profiles are flat)",
                       p->problem);
    if (p->context)
        return fail_at(r, line, col, OMNIZIP_E_PROFILE, "%s (%s at line %d, column %d)",
                       p->problem ? p->problem : "syntax error", p->context,
                       (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return fail_at(r, line, col, OMNIZIP_E_PROFILE, "%s", p->problem ? p->problem : "syntax error");
}

static omnizip_status next(struct reader *r)
{
    if (r->have)
        yaml_event_delete(&r->ev);
    r->have = 0;
    if (!yaml_parser_parse(&r->parser, &r->ev))
        return syntax_error(r);
    r->have = 1;
    return OMNIZIP_OK;
}

static const char *what(yaml_event_type_t t)
{
    switch (t) {
    case YAML_SCALAR_EVENT: return "a scalar";
    case YAML_SEQUENCE_START_EVENT: return "a sequence";
    case YAML_MAPPING_START_EVENT: return "a mapping";
    case YAML_ALIAS_EVENT: return "an alias (anchors and aliases are not supported)";
    case YAML_MAPPING_END_EVENT: return "the end of the mapping";
    case YAML_DOCUMENT_START_EVENT: return "a second document";
    default: return "something else";
    }
}

static omnizip_status unexpected(struct reader *r, const char *expected)
{
    return fail_at(r, (int)r->ev.start_mark.line + 1, (int)r->ev.start_mark.column + 1,
                   OMNIZIP_E_PROFILE, "expected %s, found %s", expected, what(r->ev.type));
}

/* libyaml unescapes "\0" into the text: refuse what C strings would cut. */
static int has_nul(const yaml_event_t *ev)
{
    return memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL;
}

/* One key: value pair; the key event is current. */
static omnizip_status read_entry(struct reader *r, struct oz_profile_doc *d)
{
    const char *key = (const char *)r->ev.data.scalar.value;
    int line = (int)r->ev.start_mark.line + 1, col = (int)r->ev.start_mark.column + 1;
    struct oz_profile_entry *e;
    char msg[512];
    omnizip_status st;

    if (has_nul(&r->ev))
        return fail_at(r, line, col, OMNIZIP_E_PROFILE,
                       "expected a key name, found a NUL character in '%s'", key);
    if (oz_config_key_index(key) < 0 && strcmp(key, "extends") && strcmp(key, "description")) {
        oz_config_unknown_key(key, meta_keys, msg, sizeof msg);
        return fail_at(r, line, col, OMNIZIP_E_PROFILE, "%s", msg);
    }
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->e[i].key, key) == 0)
            return fail_at(r, line, col, OMNIZIP_E_PROFILE,
                           "duplicate key '%s' (first at %s:%d:%d)", key, r->file, d->e[i].kline,
                           d->e[i].kcol);
    if (d->n == OZ_PROFILE_MAX_ENTRIES)
        return fail_at(r, line, col, OMNIZIP_E_PROFILE, "too many keys");
    e = &d->e[d->n];
    e->kline = line;
    e->kcol = col;
    if (!(e->key = strdup(key)))
        return fail(r, OMNIZIP_E_NOMEM, "%s: out of memory", r->file);
    d->n++;
    if ((st = next(r)) != OMNIZIP_OK)
        return st;
    if (r->ev.type != YAML_SCALAR_EVENT) {
        snprintf(msg, sizeof msg, "a scalar value for '%s'", e->key);
        return unexpected(r, msg);
    }
    e->vline = (int)r->ev.start_mark.line + 1;
    e->vcol = (int)r->ev.start_mark.column + 1;
    if (has_nul(&r->ev))
        return fail_at(r, e->vline, e->vcol, OMNIZIP_E_PROFILE,
                       "%s: expected text, found a NUL character", e->key);
    if (!(e->value = strdup((const char *)r->ev.data.scalar.value)))
        return fail(r, OMNIZIP_E_NOMEM, "%s: out of memory", r->file);
    return OMNIZIP_OK;
}

static omnizip_status read_events(struct reader *r, struct oz_profile_doc *d)
{
    omnizip_status st;
    if ((st = next(r)) || (st = next(r)))
        return st;
    if (r->ev.type == YAML_STREAM_END_EVENT)
        return fail(r, OMNIZIP_E_PROFILE, "%s: empty profile", r->file);
    if ((st = next(r)))
        return st;
    if (r->ev.type == YAML_SCALAR_EVENT && r->ev.data.scalar.length == 0 &&
        r->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        return fail(r, OMNIZIP_E_PROFILE, "%s: empty profile", r->file);
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return unexpected(r, "a mapping of key: value");
    for (;;) {
        if ((st = next(r)))
            return st;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (r->ev.type != YAML_SCALAR_EVENT)
            return unexpected(r, "a key name");
        if ((st = read_entry(r, d)))
            return st;
    }
    if ((st = next(r)) || (st = next(r)))
        return st;
    if (r->ev.type != YAML_STREAM_END_EVENT)
        return unexpected(r, "the end of the profile");
    return OMNIZIP_OK;
}

static omnizip_status read_all(struct reader *r, const char *path, unsigned char **out, size_t *len)
{
    /* Only a regular file: a FIFO or a device would block or never end (the
     * open does not block, the check comes before any read). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0)
        return fail(r, OMNIZIP_E_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail(r, OMNIZIP_E_IO, "%s: not a regular file", path);
    }
    FILE *f = fcntl(fd, F_SETFL, 0) == 0 ? fdopen(fd, "rb") : NULL;
    unsigned char *buf = NULL;
    size_t n;
    int e;
    if (!f) {
        e = errno;
        close(fd);
        return fail(r, OMNIZIP_E_IO, "%s: cannot open: %s", path, strerror(e));
    }
    if (!(buf = malloc(MAX_BYTES + 1))) {
        fclose(f);
        return fail(r, OMNIZIP_E_NOMEM, "%s: out of memory", path);
    }
    n = fread(buf, 1, MAX_BYTES + 1, f);
    e = ferror(f) ? errno : 0;
    fclose(f);
    if (e) {
        free(buf);
        return fail(r, OMNIZIP_E_IO, "%s: cannot read: %s", path, strerror(e));
    }
    if (n > MAX_BYTES) {
        free(buf);
        return fail(r, OMNIZIP_E_PROFILE, "%s: larger than %d bytes: not a profile", path,
                    MAX_BYTES);
    }
    *out = buf;
    *len = n;
    return OMNIZIP_OK;
}

omnizip_status oz_profile_read(const char *path, struct oz_profile_doc *d, char *err,
                               size_t err_size)
{
    struct reader r = {.file = path, .err = err, .err_size = err_size};
    unsigned char *buf = NULL;
    omnizip_status st;

    d->n = 0;
    if ((st = read_all(&r, path, &buf, &r.len)))
        return st;
    r.buf = buf;
    if (!yaml_parser_initialize(&r.parser)) {
        free(buf);
        return fail(&r, OMNIZIP_E_NOMEM, "%s: out of memory", path);
    }
    yaml_parser_set_input_string(&r.parser, buf, r.len);
    st = read_events(&r, d);
    if (r.have)
        yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.parser);
    free(buf);
    if (st)
        oz_profile_doc_free(d);
    return st;
}

void oz_profile_doc_free(struct oz_profile_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->e[i].key);
        free(d->e[i].value);
    }
    d->n = 0;
}
