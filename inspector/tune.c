/*
 * tune.c - recompute a dump through the plugin (via the shim, seq.compact =
 * 0: the dump stays read-only) each time a parameter changes, and write the
 * chosen values as a profile.
 */
#include "tune.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect.h"

#define OUT_PROFILE "omnizip-tuned.yaml"

struct param {
    const char *key;
    double step, lo, hi;
    int integer;
};

static const struct param params[] = {
    {"rho_audio", 0.05, 0, 0.95, 0},
    {"rho_video", 0.05, 0, 0.95, 0},
    {"g", 1, 0, 64, 1},
    {"contextual_ratio", 0.01, 0, 0.5, 0},
    {"rho_min", 0.05, 0, 0.95, 0},
    {"rho_max", 0.05, 0, 0.95, 0},
};
#define N_PARAMS (sizeof(params) / sizeof(params[0]))

struct oz_tune {
    const struct omnizip_plugin *p;
    omnizip_shim *shim;
    struct omnizip_dump dump;
    struct omnizip_config loaded, cfg;
    const char *names[N_PARAMS];
    double values[N_PARAMS];
    size_t sel;
    struct omnizip_window_info *windows;
    uint32_t cap;
};

static double *field(struct omnizip_config *c, size_t i)
{
    double *f[] = {&c->rho_audio, &c->rho_video, NULL, &c->contextual_ratio, &c->rho_min,
                   &c->rho_max};
    return f[i];
}

static void sync_values(struct oz_tune *t)
{
    for (size_t i = 0; i < N_PARAMS; i++)
        t->values[i] = params[i].integer ? t->cfg.g : *field(&t->cfg, i);
}

static void to_model(struct oz_tune *t, struct oz_model *m, uint32_t n)
{
    oz_model_clear(m);
    for (uint32_t i = 0; i < n; i++)
        oz_model_add(m, &t->windows[i]);
    m->n_shown = m->n_rec;
    m->n_planned = n;
    m->have_config = 1;
    m->rho_audio = t->cfg.rho_audio;
    m->rho_video = t->cfg.rho_video;
    m->rho_min = t->cfg.rho_min;
    m->rho_max = t->cfg.rho_max;
    m->contextual_ratio = t->cfg.contextual_ratio;
    m->g = t->cfg.g;
    m->dpc_k = t->cfg.dpc_k;
    sync_values(t);
}

/* Runs the dump through the plugin with t->cfg; 0 or -1 with err. */
static int compute(struct oz_tune *t, struct oz_model *m, char *err, size_t err_size)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        struct omnizip_sequence seq = t->dump.seq;
        seq.compact = 0;
        seq.keep_mask = NULL;
        struct omnizip_run_report rep;
        memset(&rep, 0, sizeof(rep));
        rep.windows = t->windows;
        rep.capacity = t->cap;
        omnizip_status st = omnizip_shim_compress(t->shim, &t->cfg, &seq, NULL, NULL, &rep, err,
                                                  err_size);
        omnizip_run_report_release(&rep);
        if (st != OMNIZIP_OK)
            return -1;
        if (rep.n_windows <= t->cap) {
            to_model(t, m, rep.n_windows);
            return 0;
        }
        void *w = realloc(t->windows, rep.n_windows * sizeof(*t->windows));
        if (!w) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        t->windows = w;
        t->cap = rep.n_windows;
    }
    snprintf(err, err_size, "window count changed between runs");
    return -1;
}

int oz_tune_open(struct oz_tune **out, struct oz_engine *e, const char *dump,
                 const char *profile, struct oz_model *m, char *err, size_t err_size)
{
    if (!e->plugin) {
        snprintf(err, err_size, "tune needs the plugin: %s", e->why);
        return OZ_EXIT_PLUGIN;
    }
    struct oz_tune *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, err_size, "out of memory");
        return OZ_EXIT_FAIL;
    }
    t->p = e->plugin;
    t->shim = e->shim;
    for (size_t i = 0; i < N_PARAMS; i++)
        t->names[i] = params[i].key;
    t->cfg.struct_size = sizeof(t->cfg);
    t->p->config_default(&t->cfg);
    if (profile) {
        omnizip_status st = t->p->profile_load(profile, NULL, &t->cfg, NULL, NULL, err, err_size);
        if (st != OMNIZIP_OK) {
            free(t);
            return OZ_EXIT_PROFILE;
        }
    }
    t->loaded = t->cfg;
    if (omnizip_dump_load(dump, &t->dump, err, err_size) != OMNIZIP_OK) {
        free(t);
        return OZ_EXIT_INPUT;
    }
    snprintf(m->source, sizeof(m->source), "%s", dump);
    if (compute(t, m, err, err_size) != 0) {
        oz_tune_close(t);
        return OZ_EXIT_FAIL;
    }
    *out = t;
    return OZ_EXIT_OK;
}

size_t oz_tune_params(const struct oz_tune *t, const char *const **names, const double **values,
                      size_t *sel)
{
    *names = t->names;
    *values = t->values;
    *sel = t->sel;
    return N_PARAMS;
}

/* Sets the selected parameter from its text through the plugin's own
 * validation; a refusal keeps the old config and says why. */
int oz_tune_set(struct oz_tune *t, const char *text, struct oz_model *m)
{
    const struct param *p = &params[t->sel];
    char err[512];
    struct omnizip_config next = t->cfg, prev = t->cfg;
    if (t->p->config_set(&next, p->key, text, err, sizeof(err)) != OMNIZIP_OK ||
        t->p->config_check(&next, err, sizeof(err)) != OMNIZIP_OK) {
        oz_model_message(m, "%s", err);
        return 1;
    }
    t->cfg = next;
    if (compute(t, m, err, sizeof(err)) != 0) {
        t->cfg = prev;
        oz_model_message(m, "recompute failed: %s", err);
    }
    return 1;
}

/* One step up or down, kept inside the parameter's useful range. */
static int change(struct oz_tune *t, int dir, struct oz_model *m)
{
    const struct param *p = &params[t->sel];
    double v = t->values[t->sel] + dir * p->step;
    v = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
    char text[64];
    if (p->integer)
        snprintf(text, sizeof(text), "%d", (int)(v + 0.5));
    else
        snprintf(text, sizeof(text), "%.2f", v);
    return oz_tune_set(t, text, m);
}

const char *oz_tune_selected(const struct oz_tune *t)
{
    return params[t->sel].key;
}

static int write_profile(struct oz_tune *t, struct oz_model *m)
{
    char tmp[] = OUT_PROFILE ".XXXXXX";
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        oz_model_message(m, "cannot write %s: %s", OUT_PROFILE, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return 1;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    fprintf(f, "# written by omnizip-inspect --tune %s\n", t->dump.path ? t->dump.path : "");
    fprintf(f, "description: tuned with omnizip-inspect\n");
    for (size_t i = 0; i < N_PARAMS; i++) {
        if (params[i].integer)
            fprintf(f, "%s: %d\n", params[i].key, (int)t->values[i]);
        else
            fprintf(f, "%s: %.2f\n", params[i].key, t->values[i]);
    }
    fprintf(f, "dpc_k: %d\n", t->cfg.dpc_k);
    int bad = fflush(f) != 0 || fsync(fd) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, OUT_PROFILE) != 0) {
        oz_model_message(m, "cannot write %s: %s", OUT_PROFILE, strerror(errno));
        unlink(tmp);
        return 1;
    }
    char cwd[512];
    oz_model_message(m, "profile written to %s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".",
                     OUT_PROFILE);
    return 1;
}

int oz_tune_action(struct oz_tune *t, enum oz_action a, struct oz_model *m)
{
    char err[512];
    switch (a) {
    case OZ_ACT_PARAM_NEXT: t->sel = (t->sel + 1) % N_PARAMS; return 1;
    case OZ_ACT_PARAM_PREV: t->sel = (t->sel + N_PARAMS - 1) % N_PARAMS; return 1;
    case OZ_ACT_PARAM_UP: return change(t, 1, m);
    case OZ_ACT_PARAM_DOWN: return change(t, -1, m);
    case OZ_ACT_PARAM_RESET:
        t->cfg = t->loaded;
        if (compute(t, m, err, sizeof(err)) != 0)
            oz_model_message(m, "recompute failed: %s", err);
        return 1;
    case OZ_ACT_PARAM_WRITE: return write_profile(t, m);
    default: return 0;
    }
}

void oz_tune_close(struct oz_tune *t)
{
    if (!t)
        return;
    omnizip_dump_free(&t->dump);
    free(t->windows);
    free(t);
}
