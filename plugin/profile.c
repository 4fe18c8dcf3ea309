/*
 * profile.c - YAML profiles: a flat mapping of config keys plus `extends:`
 * and `description:` (each file read by profile_parse.c). Parents load first,
 * then the child's keys override; everything happens on a copy of the
 * caller's config, written back only when the whole chain loaded and passed
 * config_check. Every error is "FILE:LINE:COL: problem" (1-based).
 */
#include "config.h"
#include "ozc_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 32

struct source {
    const char *file; /* one of load.display, NULL for the built-in default */
    int line, col;
};

struct load {
    const char *search_path;
    struct omnizip_config cfg;
    struct source src[OZ_CONFIG_MAX_KEYS];
    unsigned rank[OZ_CONFIG_MAX_KEYS]; /* order of assignment: the latest is blamed */
    unsigned seq;
    char *display[MAX_DEPTH]; /* the extends chain, top file first */
    char *real[MAX_DEPTH];
    size_t depth;
    char *err;
    size_t err_size;
    /* The top file's own extends and description, for on_key. */
    char *top_text[2];
    int top_line[2];
};

static const char *const top_keys[2] = {"extends", "description"};

__attribute__((format(printf, 3, 4))) static omnizip_status fail(struct load *L, omnizip_status st,
                                                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ozc_verr(L->err, L->err_size, fmt, ap);
    va_end(ap);
    return st;
}

__attribute__((format(printf, 6, 7))) static omnizip_status fail_at(struct load *L,
                                                                    const char *file, int line,
                                                                    int col, omnizip_status st,
                                                                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ozc_verr_at(L->err, L->err_size, file, line, col, fmt, ap);
    va_end(ap);
    return st;
}

static int ends_with(const char *s, const char *tail)
{
    size_t ls = strlen(s), lt = strlen(tail);
    return ls >= lt && strcmp(s + ls - lt, tail) == 0;
}

/* dir + "/" + name, with "" meaning the current directory. */
static char *join(const char *dir, size_t dir_len, const char *name, const char *suffix)
{
    char *s;
    const char *sep = dir_len && dir[dir_len - 1] == '/' ? "" : "/";
    if (dir_len == 0)
        return asprintf(&s, "%s%s", name, suffix) < 0 ? NULL : s;
    return asprintf(&s, "%.*s%s%s%s", (int)dir_len, dir, sep, name, suffix) < 0 ? NULL : s;
}

static int regular(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Tries DIR/NAME.yaml: 1 found (*found set), 0 not there (dir appended to
 * searched), -1 out of memory. */
static int try_dir(const char *dir, size_t dlen, const char *name, char **found, char *searched,
                   size_t size)
{
    size_t used = strlen(searched);
    char *cand = join(dir, dlen, name, ".yaml");
    if (!cand)
        return -1;
    if (regular(cand)) {
        *found = cand;
        return 1;
    }
    free(cand);
    if (used + 1 < size)
        snprintf(searched + used, size - used, "%s%.*s", used ? ", " : "", dlen ? (int)dlen : 1,
                 dlen ? dir : ".");
    return 0;
}

/* A name is looked up in search_path, then beside the including file, so
 * shipped profiles find each other wherever they are installed. */
static omnizip_status find_named(struct load *L, const char *file, const struct oz_profile_entry *e,
                                 size_t dir_len, char **found)
{
    char searched[1024] = "";
    const char *p = L->search_path;
    int r = 0;
    while (p && *p && r == 0) {
        size_t n = strcspn(p, ":");
        if (n)
            r = try_dir(p, n, e->value, found, searched, sizeof searched);
        p += n;
        if (*p == ':')
            p++;
    }
    if (r == 0)
        r = try_dir(file, dir_len, e->value, found, searched, sizeof searched);
    if (r < 0)
        return fail(L, OMNIZIP_E_NOMEM, "%s: out of memory", file);
    if (r > 0)
        return OMNIZIP_OK;
    return fail_at(L, file, e->vline, e->vcol, OMNIZIP_E_PROFILE,
                   "extends: cannot find profile '%s' (searched: %s)", e->value, searched);
}

static omnizip_status resolve(struct load *L, const char *file, const struct oz_profile_entry *e,
                              char **display)
{
    const char *slash = strrchr(file, '/');
    size_t dir_len = slash ? (size_t)(slash - file) + (slash == file) : 0;
    const char *v = e->value;

    if (!*v)
        return fail_at(L, file, e->vline, e->vcol, OMNIZIP_E_PROFILE,
                       "extends: expected a profile name or a path, found nothing");
    if (!strchr(v, '/') && !ends_with(v, ".yaml") && !ends_with(v, ".yml"))
        return find_named(L, file, e, dir_len, display);
    *display = v[0] == '/' ? strdup(v) : join(file, dir_len, v, "");
    if (!*display)
        return fail(L, OMNIZIP_E_NOMEM, "%s: out of memory", file);
    errno = 0;
    if (!regular(*display)) {
        int err = errno;
        omnizip_status st = fail_at(L, file, e->vline, e->vcol, OMNIZIP_E_PROFILE,
                                    "extends: cannot open '%s': %s", *display,
                                    err ? strerror(err) : "not a regular file");
        free(*display);
        *display = NULL;
        return st;
    }
    return OMNIZIP_OK;
}

static omnizip_status load_file(struct load *L, char *display, char *real);

static omnizip_status load_parent(struct load *L, const char *file,
                                  const struct oz_profile_entry *e)
{
    char *display = NULL, *real;
    char chain[1024] = "";
    size_t used = 0;
    omnizip_status st = resolve(L, file, e, &display);
    if (st)
        return st;
    if (!(real = realpath(display, NULL))) {
        st = fail_at(L, file, e->vline, e->vcol, OMNIZIP_E_PROFILE, "extends: cannot open '%s': %s",
                     display, strerror(errno));
        free(display);
        return st;
    }
    for (size_t i = 0; i < L->depth; i++) {
        if (strcmp(L->real[i], real) != 0)
            continue;
        for (size_t j = 0; j < L->depth && used < sizeof chain; j++)
            used += (size_t)snprintf(chain + used, sizeof chain - used, "%s -> ", L->display[j]);
        st = fail_at(L, file, e->vline, e->vcol, OMNIZIP_E_PROFILE, "extends cycle: %s%s", chain,
                     display);
        free(display);
        free(real);
        return st;
    }
    if (L->depth == MAX_DEPTH) {
        free(display);
        free(real);
        return fail_at(L, file, e->vline, e->vcol, OMNIZIP_E_PROFILE,
                       "extends: chain deeper than %d profiles", MAX_DEPTH);
    }
    return load_file(L, display, real);
}

static omnizip_status apply(struct load *L, const char *file, const struct oz_profile_doc *d)
{
    char msg[512];
    for (size_t i = 0; i < d->n; i++) {
        const struct oz_profile_entry *e = &d->e[i];
        int k = oz_config_key_index(e->key);
        omnizip_status st;
        if (k < 0)
            continue;
        st = oz_config_set(&L->cfg, e->key, e->value, msg, sizeof msg);
        if (st)
            return fail_at(L, file, e->vline, e->vcol, st, "%s", msg);
        L->src[k] = (struct source){file, e->kline, e->kcol};
        L->rank[k] = ++L->seq;
    }
    return OMNIZIP_OK;
}

/* Takes ownership of display and real (freed with the load). */
static omnizip_status load_file(struct load *L, char *display, char *real)
{
    struct oz_profile_doc *d;
    omnizip_status st;

    L->display[L->depth] = display;
    L->real[L->depth] = real;
    L->depth++;
    if (!(d = calloc(1, sizeof *d)))
        return fail(L, OMNIZIP_E_NOMEM, "%s: out of memory", display);
    st = oz_profile_read(display, d, L->err, L->err_size);
    for (size_t i = 0; !st && L->depth == 1 && i < d->n; i++)
        for (int k = 0; k < 2; k++)
            if (strcmp(d->e[i].key, top_keys[k]) == 0) {
                L->top_text[k] = strdup(d->e[i].value);
                L->top_line[k] = d->e[i].kline;
                if (!L->top_text[k])
                    st = fail(L, OMNIZIP_E_NOMEM, "%s: out of memory", display);
            }
    for (size_t i = 0; !st && i < d->n; i++)
        if (strcmp(d->e[i].key, "extends") == 0)
            st = load_parent(L, display, &d->e[i]);
    if (!st)
        st = apply(L, display, d);
    oz_profile_doc_free(d);
    free(d);
    return st;
}

static omnizip_status finish(struct load *L, const char *path)
{
    char msg[512];
    size_t bad = 0;
    omnizip_status st = oz_config_check_blame(&L->cfg, L->rank, &bad, msg, sizeof msg);
    if (!st)
        return OMNIZIP_OK;
    if (bad < OZ_CONFIG_MAX_KEYS && L->src[bad].file)
        return fail_at(L, L->src[bad].file, L->src[bad].line, L->src[bad].col, st, "%s", msg);
    return fail(L, st, "%s: %s", path, msg);
}

omnizip_status oz_profile_load(const char *path, const char *search_path, struct omnizip_config *c,
                               omnizip_key_fn on_key, void *user, char *err, size_t err_size)
{
    struct load *L;
    size_t have = oz_config_read_size(c);
    char *display, *real;
    omnizip_status st;

    if (!path || !c || have == 0 || oz_config_key_count() > OZ_CONFIG_MAX_KEYS) {
        if (err && err_size)
            snprintf(err, err_size, "profile_load: %s",
                     !path ? "NULL path"
                     : !c  ? "NULL config"
                           : "config struct_size below the 1.0 layout");
        return OMNIZIP_E_INVALID;
    }
    if (!(L = calloc(1, sizeof *L)) || !(display = strdup(path))) {
        free(L);
        if (err && err_size)
            snprintf(err, err_size, "%s: out of memory", path);
        return OMNIZIP_E_NOMEM;
    }
    L->search_path = search_path;
    L->err = err;
    L->err_size = err_size;
    /* An older caller's missing tail reads as the defaults. */
    L->cfg.struct_size = sizeof L->cfg;
    oz_config_default(&L->cfg);
    memcpy(&L->cfg, c, have);
    if (!(real = realpath(path, NULL))) {
        st = fail(L, OMNIZIP_E_IO, "%s: cannot open: %s", path, strerror(errno));
        free(display);
    } else {
        st = load_file(L, display, real);
    }
    if (!st)
        st = finish(L, path);
    if (!st) {
        memcpy(c, &L->cfg, have);
        for (size_t i = 0; on_key && i < oz_config_key_count(); i++) {
            char text[64];
            oz_config_key_format(&L->cfg, i, text, sizeof text);
            on_key(user, oz_config_key_name(i), text, L->src[i].file, L->src[i].line);
        }
        for (int k = 0; on_key && k < 2; k++)
            if (L->top_text[k])
                on_key(user, top_keys[k], L->top_text[k], L->display[0], L->top_line[k]);
    }
    free(L->top_text[0]);
    free(L->top_text[1]);
    for (size_t i = 0; i < L->depth; i++) {
        free(L->display[i]);
        free(L->real[i]);
    }
    free(L);
    return st;
}
