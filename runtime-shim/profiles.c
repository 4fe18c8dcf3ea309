/*
 * profiles.c - finding profiles by name: the one resolver omnizip-run and
 * omnizip-inspect share (--task NAME, `profile list`). A name is NAME.yaml
 * in the first directory of the search path holding it; the plugin's
 * profile_load resolves `extends:` names along the same path.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omnizip/shim.h>

#include "ozc_suggest.h"

/* Calls fn on each directory of a colon-separated path; stops when fn
 * returns nonzero and returns that. */
static int each_dir(const char *path, int (*fn)(void *user, const char *dir, size_t len),
                    void *user)
{
    for (const char *dir = path; dir;) {
        const char *colon = strchr(dir, ':');
        size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
        int r = len ? fn(user, dir, len) : 0;
        if (r)
            return r;
        dir = colon ? colon + 1 : NULL;
    }
    return 0;
}

struct find {
    const char *name;
    char *found;
};

static int find_in(void *user, const char *dir, size_t len)
{
    struct find *f = user;
    size_t n = len + strlen(f->name) + 7;
    char *file = malloc(n);
    if (!file)
        return -1;
    snprintf(file, n, "%.*s/%s.yaml", (int)len, dir, f->name);
    if (access(file, R_OK) == 0) {
        f->found = file;
        return 1;
    }
    free(file);
    return 0;
}

omnizip_status omnizip_profile_find(const char *name, const char *search_path, char **path)
{
    char *own = NULL;
    if (!name || !path)
        return OMNIZIP_E_INVALID;
    if (!*name || strchr(name, '/'))
        return OMNIZIP_E_PROFILE;
    if (!search_path && !(search_path = own = omnizip_profile_search_path()))
        return OMNIZIP_E_NOMEM;
    struct find f = {name, NULL};
    int r = each_dir(search_path, find_in, &f);
    free(own);
    if (r < 0)
        return OMNIZIP_E_NOMEM;
    if (!f.found)
        return OMNIZIP_E_PROFILE;
    *path = f.found;
    return OMNIZIP_OK;
}

struct list {
    omnizip_profile_fn fn;
    void *user;
    char **seen;
    size_t n_seen, cap;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int seen(const struct list *l, const char *name)
{
    for (size_t i = 0; i < l->n_seen; i++)
        if (strcmp(l->seen[i], name) == 0)
            return 1;
    return 0;
}

/* The directory's *.yaml names, sorted, each reported unless an earlier
 * directory had it (that one is what --task NAME loads). */
static int list_in(void *user, const char *dir, size_t len)
{
    struct list *l = user;
    char path[4096];
    snprintf(path, sizeof path, "%.*s", (int)len, dir);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    for (struct dirent *e; r == 0 && (e = readdir(d));) {
        size_t k = strlen(e->d_name);
        if (k <= 5 || strcmp(e->d_name + k - 5, ".yaml") != 0 || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof *names);
            if (!grown) {
                r = -1;
                break;
            }
            names = grown;
        }
        if (!(names[n] = strndup(e->d_name, k - 5)))
            r = -1;
        else
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char file[4096 + 256];
        if (r == 0 && !seen(l, names[i])) {
            snprintf(file, sizeof file, "%s/%s.yaml", path, names[i]);
            l->fn(l->user, names[i], file);
            if (l->n_seen == l->cap) {
                char **grown = realloc(l->seen,
                                       (l->cap = l->cap ? 2 * l->cap : 16) * sizeof *l->seen);
                if (!grown)
                    r = -1;
                else
                    l->seen = grown;
            }
            if (r == 0) {
                l->seen[l->n_seen++] = names[i];
                continue;
            }
        }
        free(names[i]);
    }
    free(names);
    return r;
}

omnizip_status omnizip_profile_list(const char *search_path, omnizip_profile_fn fn, void *user)
{
    char *own = NULL;
    if (!fn)
        return OMNIZIP_E_INVALID;
    if (!search_path && !(search_path = own = omnizip_profile_search_path()))
        return OMNIZIP_E_NOMEM;
    struct list l = {fn, user, NULL, 0, 0};
    int r = each_dir(search_path, list_in, &l);
    for (size_t i = 0; i < l.n_seen; i++)
        free(l.seen[i]);
    free(l.seen);
    free(own);
    return r < 0 ? OMNIZIP_E_NOMEM : OMNIZIP_OK;
}

struct names {
    char *name[256];
    size_t n;
};

static void collect(void *user, const char *name, const char *path)
{
    struct names *l = user;
    (void)path;
    if (l->n < sizeof l->name / sizeof l->name[0] && (l->name[l->n] = strdup(name)))
        l->n++;
}

omnizip_status omnizip_profile_nearest(const char *name, const char *search_path, char *buf,
                                       size_t size)
{
    if (!name || !buf || size == 0)
        return OMNIZIP_E_INVALID;
    struct names *l = calloc(1, sizeof *l);
    if (!l)
        return OMNIZIP_E_NOMEM;
    omnizip_status st = omnizip_profile_list(search_path, collect, l);
    const char *near = st == OMNIZIP_OK ? ozc_suggest(name, (const char *const *)l->name, l->n)
                                        : NULL;
    if (st == OMNIZIP_OK && (!near || strlen(near) >= size))
        st = OMNIZIP_E_PROFILE;
    if (st == OMNIZIP_OK)
        memcpy(buf, near, strlen(near) + 1);
    while (l->n)
        free(l->name[--l->n]);
    free(l);
    return st;
}
