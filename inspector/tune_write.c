/*
 * tune_write.c - the profile `w` writes: the loaded profile's description
 * and extends, every key its chain set, every tuned key, each value in the
 * plugin's own text (the shortest decimal that reads back to the same
 * double), so planning with the file gives the counts the screen showed.
 * Written atomically beside its destination.
 */
#include "tune_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ozi_tune_out(const struct ozi_tune *t)
{
    return t->out;
}

void ozi_tune_default_path(const struct ozi_tune *t, char *buf, size_t size)
{
    const char *base = t->profile && strrchr(t->profile, '/') ? strrchr(t->profile, '/') + 1
                                                              : t->profile;
    size_t n = base ? strlen(base) : 0;
    if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
        snprintf(buf, size, "%.*s-tuned.yaml", (int)(n - 5), base);
    else
        snprintf(buf, size, "omnizip-tuned.yaml");
}

/* A YAML double-quoted scalar: backslash, quote and control characters escaped. */
static void quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* extends as the loaded file wrote it: a name stays a name; a relative path
 * is made absolute, since the new file may live elsewhere. */
static void write_extends(FILE *f, const struct ozi_tune *t)
{
    const char *v = t->extends;
    size_t n = strlen(v);
    int path = strchr(v, '/') || (n > 5 && strcmp(v + n - 5, ".yaml") == 0) ||
               (n > 4 && strcmp(v + n - 4, ".yml") == 0);
    char dir[PATH_MAX], *real = NULL;
    if (path && v[0] != '/' && t->profile) {
        const char *slash = strrchr(t->profile, '/');
        snprintf(dir, sizeof dir, "%.*s/%s", slash ? (int)(slash - t->profile) : 1,
                 slash ? t->profile : ".", v);
        real = realpath(dir, NULL);
    }
    fputs("extends: ", f);
    quoted(f, real ? real : v);
    fputc('\n', f);
    free(real);
}

static int tuned(const char *key)
{
    for (size_t i = 0; i < OZ_TUNE_PARAMS; i++)
        if (strcmp(ozi_tune_table[i].key, key) == 0)
            return 1;
    return 0;
}

static void totals(const struct ozi_tune_side *s, int64_t v[4])
{
    memset(v, 0, 4 * sizeof(*v));
    for (uint32_t i = 0; i < s->n; i++) {
        v[0] += s->win[i].audio_kept;
        v[1] += s->win[i].audio_in;
        v[2] += s->win[i].video_kept;
        v[3] += s->win[i].video_in;
    }
}

static void contents(FILE *f, const struct ozi_tune *t)
{
    int64_t v[4];
    totals(&t->now, v);
    fprintf(f, "# written by omnizip-inspect --tune %s%s%s\n", t->dump.path ? t->dump.path : "",
            t->profile ? " from " : "", t->profile ? t->profile : "");
    fprintf(f, "# on that dump it keeps audio %lld/%lld and video %lld/%lld tokens\n",
            (long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3]);
    fputs("description: ", f);
    quoted(f, t->description ? t->description : "tuned with omnizip-inspect");
    fputc('\n', f);
    if (t->extends)
        write_extends(f, t);
    for (uint32_t i = 0; i < OZ_TUNE_MAX_KEYS && t->p->config_key(i); i++) {
        const char *key = t->p->config_key(i);
        char now[OZ_TUNE_TEXT], was[OZ_TUNE_TEXT];
        if (t->p->config_get(&t->now.cfg, key, now, sizeof now) != OMNIZIP_OK ||
            t->p->config_get(&t->loaded, key, was, sizeof was) != OMNIZIP_OK)
            continue;
        if (t->from_file[i] || tuned(key) || strcmp(now, was) != 0)
            fprintf(f, "%s: %s\n", key, now);
    }
}

int ozi_tune_write(struct ozi_tune *t, const char *path, struct ozi_model *m)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        ozi_model_message(m, "cannot write %s: path too long", path);
        return -1;
    }
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        ozi_model_message(m, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    contents(f, t);
    int bad = fflush(f) != 0 || fsync(fd) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        ozi_model_message(m, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    char *real = realpath(path, NULL);
    ozi_model_message(m, "profile written to %s", real ? real : path);
    free(real);
    t->written = t->now.cfg;
    return 0;
}
