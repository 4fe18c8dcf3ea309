/*
 * tune.c - recompute a dump through the plugin (via the shim, seq.compact =
 * 0: the dump stays read-only) each time a parameter changes, against a
 * "before" side (the loaded profile, or --compare's) computed once. Every
 * value is the plugin's own text (config_get), so the screen, the written
 * profile and a later plan read the same doubles. tune_write.c writes it.
 */
#include "tune_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect.h"

const struct ozi_tune_param ozi_tune_table[OZ_TUNE_PARAMS] = {
    {"rho_audio", OZ_TUNE_RATIO, 0.05, 0, 0.95, 0},
    {"rho_video", OZ_TUNE_RATIO, 0.05, 0, 0.95, 0},
    {"g", OZ_TUNE_INT, 1, 0, 64, 0},
    {"contextual_ratio", OZ_TUNE_RATIO, 0.01, 0, 0.5, 0},
    {"rho_min", OZ_TUNE_RATIO, 0.05, 0, 0.95, 0},
    {"rho_max", OZ_TUNE_RATIO, 0.05, 0, 0.95, 0},
    {"normalize", OZ_TUNE_CHOICE, 0, 0, 0, offsetof(struct omnizip_config, normalize)},
    {"similarity_scope", OZ_TUNE_CHOICE, 0, 0, 0,
     offsetof(struct omnizip_config, similarity_scope)},
    {"strategy", OZ_TUNE_CHOICE, 0, 0, 0, offsetof(struct omnizip_config, strategy)},
    {"seed", OZ_TUNE_INT, 1, 0, 4294967295.0, 0},
};

/* The plugin's text for key in c ("?" if it cannot say). */
static void text_of(const struct ozi_tune *t, const struct omnizip_config *c, const char *key,
                    char *buf, size_t size)
{
    if (t->p->config_get(c, key, buf, size) != OMNIZIP_OK)
        snprintf(buf, size, "?");
}

static void sync_text(struct ozi_tune *t)
{
    for (size_t i = 0; i < OZ_TUNE_PARAMS; i++) {
        text_of(t, &t->now.cfg, ozi_tune_table[i].key, t->text[i], sizeof t->text[i]);
        text_of(t, &t->base.cfg, ozi_tune_table[i].key, t->base_text[i], sizeof t->base_text[i]);
    }
}

static void to_model(struct ozi_tune *t, struct ozi_model *m)
{
    ozi_model_clear(m);
    for (uint32_t i = 0; i < t->now.n; i++)
        ozi_model_add(m, &t->now.win[i]);
    m->n_shown = m->n_rec;
    m->n_planned = t->now.n;
    m->have_config = 1;
    m->rho_audio = t->now.cfg.rho_audio;
    m->rho_video = t->now.cfg.rho_video;
    m->rho_min = t->now.cfg.rho_min;
    m->rho_max = t->now.cfg.rho_max;
    m->contextual_ratio = t->now.cfg.contextual_ratio;
    m->g = t->now.cfg.g;
    m->dpc_k = t->now.cfg.dpc_k;
    sync_text(t);
}

/* Window i's audio (k = 0) and video (k = 1) runs: maximal runs of
 * consecutive positions of the token id, in sequence order. */
static int find_runs(struct ozi_tune *t)
{
    const struct omnizip_sequence *q = &t->dump.seq;
    for (int k = 0; k < 2; k++) {
        int64_t id = k ? q->video_token_id : q->audio_token_id;
        size_t n = (size_t)(q->length > 0 ? q->length : 1);
        t->run_start[k] = malloc(n * sizeof(int64_t));
        t->run_len[k] = malloc(n * sizeof(int64_t));
        if (!t->run_start[k] || !t->run_len[k])
            return -1;
        for (int64_t j = 0; j < q->length; j++) {
            if (q->input_ids[j] != id)
                continue;
            if (j == 0 || q->input_ids[j - 1] != id) {
                t->run_start[k][t->n_runs[k]] = j;
                t->run_len[k][t->n_runs[k]++] = 0;
            }
            t->run_len[k][t->n_runs[k] - 1]++;
        }
    }
    return 0;
}

void ozi_tune_detail(const struct ozi_tune *t, uint32_t w, const uint8_t **audio, size_t *n_audio,
                     const uint8_t **video, size_t *n_video, int64_t *tpf)
{
    const struct omnizip_sequence *q = &t->dump.seq;
    int64_t s = q->merge_size > 0 ? q->merge_size : 2;
    *tpf = (q->grid_h / s) * (q->grid_w / s);
    *audio = w < t->n_runs[0] ? t->audio_state + t->run_start[0][w] : NULL;
    *n_audio = w < t->n_runs[0] ? (size_t)t->run_len[0][w] : 0;
    *video = w < t->n_runs[1] ? t->keep + t->run_start[1][w] : NULL;
    *n_video = w < t->n_runs[1] ? (size_t)t->run_len[1][w] : 0;
}

/* Runs the dump through the plugin with s->cfg; 0 or -1 with err. The
 * current side also keeps its per-position decisions. */
static int compute(struct ozi_tune *t, struct ozi_tune_side *s, char *err, size_t err_size)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        struct omnizip_sequence seq = t->dump.seq;
        seq.compact = 0;
        seq.keep_mask = s == &t->now ? t->keep : NULL;
        seq.audio_state = s == &t->now ? t->audio_state : NULL;
        struct omnizip_run_report rep;
        memset(&rep, 0, sizeof(rep));
        rep.windows = s->win;
        rep.capacity = s->cap;
        omnizip_status st = omnizip_shim_compress(t->shim, &s->cfg, &seq, NULL, NULL, &rep, err,
                                                  err_size);
        omnizip_run_report_release(&rep);
        if (st != OMNIZIP_OK)
            return -1;
        if (rep.n_windows <= s->cap) {
            s->n = rep.n_windows;
            return 0;
        }
        void *w = realloc(s->win, rep.n_windows * sizeof(*s->win));
        if (!w) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        s->win = w;
        s->cap = rep.n_windows;
    }
    snprintf(err, err_size, "window count changed between runs");
    return -1;
}

/* Remembers what the loaded chain set, so a written profile keeps it. */
static void on_key(void *user, const char *key, const char *value, const char *file, int32_t line)
{
    struct ozi_tune *t = user;
    (void)line;
    if (!file)
        return;
    if (strcmp(key, "extends") == 0 && !t->extends)
        t->extends = strdup(value);
    else if (strcmp(key, "description") == 0 && !t->description)
        t->description = strdup(value);
    for (uint32_t i = 0; i < OZ_TUNE_MAX_KEYS && t->p->config_key(i); i++)
        if (strcmp(t->p->config_key(i), key) == 0)
            t->from_file[i] = 1;
}

/* A profile file as given, or a task name on the search path. */
static int resolve(struct ozi_tune *t, const char *what, const char *arg, int name_only,
                   char **path, char *err, size_t err_size)
{
    if (!name_only && access(arg, R_OK) == 0)
        return (*path = strdup(arg)) ? OZ_EXIT_OK : OZ_EXIT_FAIL;
    omnizip_status st = omnizip_profile_find(arg, t->search, path);
    if (st == OMNIZIP_OK)
        return OZ_EXIT_OK;
    if (st == OMNIZIP_E_NOMEM) {
        snprintf(err, err_size, "out of memory");
        return OZ_EXIT_FAIL;
    }
    char near[256];
    int n = snprintf(err, err_size, "%s %s: %s%s.yaml in %s", what, arg,
                     name_only ? "no " : "no such file and no ", arg, t->search);
    if (n >= 0 && (size_t)n < err_size &&
        omnizip_profile_nearest(arg, t->search, near, sizeof near) == OMNIZIP_OK)
        snprintf(err + n, err_size - (size_t)n, " (did you mean %s?)", near);
    return OZ_EXIT_PROFILE;
}

static int load(struct ozi_tune *t, const char *path, struct omnizip_config *c, int remember,
                char *err, size_t err_size)
{
    c->struct_size = sizeof(*c);
    t->p->config_default(c);
    if (!path)
        return OZ_EXIT_OK;
    omnizip_status st = t->p->profile_load(path, t->search, c, remember ? on_key : NULL, t, err,
                                           err_size);
    if (st == OMNIZIP_OK)
        st = t->p->config_check(c, err, err_size);
    return st == OMNIZIP_OK ? OZ_EXIT_OK : OZ_EXIT_PROFILE;
}

/* The short name of a profile path: its file name without .yaml. */
static void stem(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
        n -= 5;
    snprintf(buf, size, "%.*s", (int)n, base);
}

static int open_profiles(struct ozi_tune *t, const struct ozi_tune_args *a, char *err,
                         size_t err_size)
{
    int rc = OZ_EXIT_OK;
    if (a->profile || a->task)
        rc = resolve(t, a->profile ? "--profile" : "--task", a->profile ? a->profile : a->task,
                     a->task != NULL, &t->profile, err, err_size);
    if (rc == OZ_EXIT_OK)
        rc = load(t, t->profile, &t->loaded, 1, err, err_size);
    if (rc != OZ_EXIT_OK)
        return rc;
    t->now.cfg = t->written = t->loaded;
    t->base.cfg = t->loaded;
    if (t->profile)
        stem(t->profile, t->base_label, sizeof t->base_label);
    else
        snprintf(t->base_label, sizeof t->base_label, "defaults");
    if (a->compare) {
        char *path = NULL;
        rc = resolve(t, "--compare", a->compare, 0, &path, err, err_size);
        if (rc == OZ_EXIT_OK)
            rc = load(t, path, &t->base.cfg, 0, err, err_size);
        if (path)
            stem(path, t->base_label, sizeof t->base_label);
        free(path);
    }
    return rc;
}

int ozi_tune_open(struct ozi_tune **out, struct ozi_link *e, const struct ozi_tune_args *a,
                  struct ozi_model *m, char *err, size_t err_size)
{
    if (!e->plugin) {
        snprintf(err, err_size, "tune needs the plugin: %s", e->why);
        return OZ_EXIT_PLUGIN;
    }
    if (e->plugin->struct_size <
        offsetof(struct omnizip_plugin, config_get) + sizeof(e->plugin->config_get)) {
        snprintf(err, err_size, "tune needs a plugin of ABI 1.1 or later (config_get)");
        return OZ_EXIT_PLUGIN;
    }
    struct ozi_tune *t = calloc(1, sizeof(*t));
    if (!t || !(t->search = omnizip_profile_search_path())) {
        free(t);
        snprintf(err, err_size, "out of memory");
        return OZ_EXIT_FAIL;
    }
    t->p = e->plugin;
    t->shim = e->shim;
    t->out = a->out;
    for (size_t i = 0; i < OZ_TUNE_PARAMS; i++) {
        t->names[i] = ozi_tune_table[i].key;
        t->values[i] = t->text[i];
        t->base_values[i] = t->base_text[i];
    }
    int rc = open_profiles(t, a, err, err_size);
    if (rc == OZ_EXIT_OK && omnizip_dump_load(a->dump, &t->dump, err, err_size) != OMNIZIP_OK)
        rc = OZ_EXIT_INPUT;
    if (rc == OZ_EXIT_OK) {
        size_t n = (size_t)(t->dump.seq.length > 0 ? t->dump.seq.length : 1);
        t->keep = calloc(n, 1);
        t->audio_state = calloc(n, 1);
        if (!t->keep || !t->audio_state || find_runs(t) != 0) {
            snprintf(err, err_size, "out of memory");
            rc = OZ_EXIT_FAIL;
        }
    }
    if (rc == OZ_EXIT_OK &&
        (compute(t, &t->base, err, err_size) != 0 || compute(t, &t->now, err, err_size) != 0))
        rc = OZ_EXIT_FAIL;
    if (rc != OZ_EXIT_OK) {
        ozi_tune_close(t);
        return rc;
    }
    snprintf(m->source, sizeof(m->source), "%s", a->dump);
    to_model(t, m);
    *out = t;
    return OZ_EXIT_OK;
}

size_t ozi_tune_params(const struct ozi_tune *t, const char *const **names,
                       const char *const **values, size_t *sel)
{
    *names = t->names;
    *values = t->values;
    *sel = t->sel;
    return OZ_TUNE_PARAMS;
}

const char *const *ozi_tune_base_values(const struct ozi_tune *t)
{
    return t->base_values;
}

const struct omnizip_window_info *ozi_tune_base(const struct ozi_tune *t, size_t *n,
                                                const char **label)
{
    *n = t->base.n;
    *label = t->base_label;
    return t->base.win;
}

int ozi_tune_dirty(const struct ozi_tune *t)
{
    char a[OZ_TUNE_TEXT], b[OZ_TUNE_TEXT];
    for (uint32_t i = 0; t->p->config_key(i); i++) {
        text_of(t, &t->now.cfg, t->p->config_key(i), a, sizeof a);
        text_of(t, &t->written, t->p->config_key(i), b, sizeof b);
        if (strcmp(a, b) != 0)
            return 1;
    }
    return 0;
}

/* Sets the selected parameter from its text through the plugin's own
 * validation; a refusal keeps the old config and says why. */
int ozi_tune_set(struct ozi_tune *t, const char *text, struct ozi_model *m)
{
    const struct ozi_tune_param *p = &ozi_tune_table[t->sel];
    char err[512];
    struct omnizip_config next = t->now.cfg, prev = t->now.cfg;
    if (t->p->config_set(&next, p->key, text, err, sizeof(err)) != OMNIZIP_OK ||
        t->p->config_check(&next, err, sizeof(err)) != OMNIZIP_OK) {
        ozi_model_message(m, "%s", err);
        return 1;
    }
    t->now.cfg = next;
    if (compute(t, &t->now, err, sizeof(err)) != 0) {
        t->now.cfg = prev;
        compute(t, &t->now, err, sizeof(err));
        ozi_model_message(m, "recompute failed: %s", err);
    }
    to_model(t, m);
    return 1;
}

/* How many choices key p has, asked of the plugin so its table stays the one
 * list: codes 0, 1, ... are named by config_get until a code it prints as a
 * number or names like the one before (the plugin's own end of the list). */
static int32_t choice_count(const struct ozi_tune *t, const struct ozi_tune_param *p)
{
    struct omnizip_config c = t->now.cfg;
    char name[OZ_TUNE_TEXT], prev[OZ_TUNE_TEXT] = "";
    int32_t n = 0;
    for (; n < 64; n++) {
        memcpy((char *)&c + p->code, &n, sizeof n);
        if (t->p->config_get(&c, p->key, name, sizeof name) != OMNIZIP_OK ||
            strspn(name, "-0123456789") == strlen(name) || strcmp(name, prev) == 0)
            break;
        snprintf(prev, sizeof prev, "%s", name);
    }
    return n;
}

/* One step up or down: ratios land on the step's grid (0.333 + 0.05 ->
 * 0.35), choices cycle. */
static int change(struct ozi_tune *t, int dir, struct ozi_model *m)
{
    const struct ozi_tune_param *p = &ozi_tune_table[t->sel];
    const char *cur = t->text[t->sel];
    char text[OZ_TUNE_TEXT];
    if (p->kind == OZ_TUNE_CHOICE) {
        int32_t n = choice_count(t, p);
        if (n == 0)
            return 0;
        struct omnizip_config c = t->now.cfg;
        int32_t code;
        memcpy(&code, (char *)&c + p->code, sizeof code);
        code = ((code + dir) % n + n) % n;
        memcpy((char *)&c + p->code, &code, sizeof code);
        text_of(t, &c, p->key, text, sizeof text);
        return ozi_tune_set(t, text, m);
    }
    double v = strtod(cur, NULL), grid = floor(v / p->step + 1e-9);
    if (dir > 0)
        v = (grid + 1) * p->step;
    else
        v = (fabs(grid * p->step - v) > 1e-9 ? grid : grid - 1) * p->step;
    v = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
    if (p->kind == OZ_TUNE_INT)
        snprintf(text, sizeof text, "%.0f", v);
    else
        snprintf(text, sizeof text, "%.10g", v);
    return ozi_tune_set(t, text, m);
}

const char *ozi_tune_selected(const struct ozi_tune *t)
{
    return ozi_tune_table[t->sel].key;
}

int ozi_tune_action(struct ozi_tune *t, enum ozi_action a, struct ozi_model *m)
{
    char err[512];
    switch (a) {
    case OZ_ACT_PARAM_NEXT: t->sel = (t->sel + 1) % OZ_TUNE_PARAMS; return 1;
    case OZ_ACT_PARAM_PREV: t->sel = (t->sel + OZ_TUNE_PARAMS - 1) % OZ_TUNE_PARAMS; return 1;
    case OZ_ACT_PARAM_UP: return change(t, 1, m);
    case OZ_ACT_PARAM_DOWN: return change(t, -1, m);
    case OZ_ACT_PARAM_RESET:
        t->now.cfg = t->loaded;
        if (compute(t, &t->now, err, sizeof(err)) != 0)
            ozi_model_message(m, "recompute failed: %s", err);
        to_model(t, m);
        return 1;
    default: return 0;
    }
}

void ozi_tune_close(struct ozi_tune *t)
{
    if (!t)
        return;
    omnizip_dump_free(&t->dump);
    free(t->now.win);
    free(t->base.win);
    free(t->search);
    free(t->profile);
    free(t->extends);
    free(t->description);
    free(t->keep);
    free(t->audio_state);
    for (int k = 0; k < 2; k++) {
        free(t->run_start[k]);
        free(t->run_len[k]);
    }
    free(t);
}
