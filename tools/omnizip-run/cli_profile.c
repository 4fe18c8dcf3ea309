/* cli_profile.c - `omnizip-run profile check FILE...`, `profile show` and
 * `profile list`. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* check: "FILE: ok" or the loader's "FILE:LINE:COL: problem", on stdout,
 * one line each, so the whole report reads in order. */
static int check_one(const struct omnizip_plugin *p, const char *file, const char *search)
{
    struct omnizip_config cfg;
    char err[1024] = "";
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    p->config_default(&cfg);
    omnizip_status st = p->profile_load(file, search, &cfg, NULL, NULL, err, sizeof err);
    if (st == OMNIZIP_OK)
        st = p->config_check(&cfg, err, sizeof err);
    if (st == OMNIZIP_OK) {
        printf("%s: ok\n", file);
        return 0;
    }
    if (!*err)
        snprintf(err, sizeof err, "%s", p->status_str(st));
    /* one line per problem even if the message spans lines */
    for (char *line = err, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, file, strlen(file)) == 0)
            printf("%s\n", line);
        else
            printf("%s: %s\n", file, line);
    }
    return 1;
}

static int check(const struct omnizip_plugin *p, const struct ozr_cli *cli, const char *search)
{
    int bad = 0;
    for (int i = 0; i < cli->n_files; i++)
        bad += check_one(p, cli->files[i], search);
    fflush(stdout);
    return bad ? OZ_EXIT_PROFILE : OZ_EXIT_OK;
}

struct row {
    char key[64];
    char value[512];
    char source[512];
};

struct rows {
    struct row r[64];
    int n;
};

static void on_key(void *user, const char *key, const char *value, const char *file, int32_t line)
{
    struct rows *rows = user;
    if (rows->n >= (int)(sizeof rows->r / sizeof rows->r[0]))
        return;
    struct row *r = &rows->r[rows->n++];
    snprintf(r->key, sizeof r->key, "%s", key);
    snprintf(r->value, sizeof r->value, "%s", value);
    if (!file)
        snprintf(r->source, sizeof r->source, "default");
    else if (line > 0)
        snprintf(r->source, sizeof r->source, "%s:%d", file, (int)line);
    else
        snprintf(r->source, sizeof r->source, "%s", file);
}

/* --set overrides the row it names (validated by the plugin first). */
static int apply_sets(const struct omnizip_plugin *p, const struct ozr_cli *cli,
                      struct omnizip_config *cfg, struct rows *rows)
{
    for (int i = 0; i < cli->n_sets; i++) {
        const char *set = cli->sets[i], *eq = strchr(set, '=');
        char key[64], err[512] = "";
        snprintf(key, sizeof key, "%.*s", (int)(eq - set), set);
        if (p->config_set(cfg, key, eq + 1, err, sizeof err) != OMNIZIP_OK) {
            ozr_cli_error("--set %s: %s", set, *err ? err : "rejected");
            return OZ_EXIT_PROFILE;
        }
        for (int k = 0; k < rows->n; k++) {
            if (strcmp(rows->r[k].key, key) == 0) {
                snprintf(rows->r[k].value, sizeof rows->r[k].value, "%s", eq + 1);
                snprintf(rows->r[k].source, sizeof rows->r[k].source, "--set");
            }
        }
    }
    char err[512] = "";
    if (p->config_check(cfg, err, sizeof err) != OMNIZIP_OK) {
        ozr_cli_error("config: %s", err);
        return OZ_EXIT_PROFILE;
    }
    return OZ_EXIT_OK;
}

static int show(const struct omnizip_plugin *p, const struct ozr_cli *cli, const char *search)
{
    char *path = NULL;
    int rc = ozr_cli_profile_path(cli, search, &path);
    if (rc)
        return rc;
    if (!path) {
        ozr_cli_error("profile show: expected FILE or --task NAME");
        return OZ_EXIT_USAGE;
    }
    struct omnizip_config cfg;
    struct rows *rows = calloc(1, sizeof *rows);
    char err[1024] = "";
    if (!rows) {
        free(path);
        ozr_cli_error("out of memory");
        return OZ_EXIT_FAIL;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    p->config_default(&cfg);
    if (p->profile_load(path, search, &cfg, on_key, rows, err, sizeof err) != OMNIZIP_OK) {
        ozr_cli_error("%s", *err ? err : path);
        rc = OZ_EXIT_PROFILE;
    }
    if (rc == OZ_EXIT_OK)
        rc = apply_sets(p, cli, &cfg, rows);
    if (rc == OZ_EXIT_OK) {
        printf("# %s\n", path);
        for (int k = 0; k < rows->n; k++)
            printf("%-18s %-12s %s\n", rows->r[k].key, rows->r[k].value, rows->r[k].source);
        fflush(stdout);
    }
    free(rows);
    free(path);
    return rc;
}

/* One listed profile: its description comes from the plugin's own loader. */
struct listed {
    const struct omnizip_plugin *p;
    const char *search;
    json_t *arr;
    int json;
};

static void on_description(void *user, const char *key, const char *value, const char *file,
                           int32_t line)
{
    (void)file, (void)line;
    if (strcmp(key, "description") == 0)
        snprintf(user, 512, "%s", value);
}

static void list_one(void *user, const char *name, const char *path)
{
    struct listed *l = user;
    struct omnizip_config cfg;
    char desc[512] = "", err[512] = "";
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    l->p->config_default(&cfg);
    if (l->p->profile_load(path, l->search, &cfg, on_description, desc, err, sizeof err) !=
        OMNIZIP_OK)
        snprintf(desc, sizeof desc, "(does not load: %s)", err);
    if (l->json)
        json_array_append_new(l->arr, json_pack("{s:s, s:s, s:s}", "name", name, "description",
                                                desc, "path", path));
    else
        printf("%-16s %-60.60s%s %s\n", name, desc, strlen(desc) > 60 ? "..." : "   ", path);
}

static int list(const struct omnizip_plugin *p, const struct ozr_cli *cli, const char *search)
{
    struct listed l = {p, search, cli->json ? json_array() : NULL, cli->json};
    if (cli->json && !l.arr) {
        ozr_cli_error("out of memory");
        return OZ_EXIT_FAIL;
    }
    if (!cli->json)
        printf("%-16s %-63s %s\n", "name", "description", "where");
    if (omnizip_profile_list(search, list_one, &l) != OMNIZIP_OK) {
        json_decref(l.arr);
        ozr_cli_error("out of memory");
        return OZ_EXIT_FAIL;
    }
    if (cli->json) {
        json_dumpf(l.arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(l.arr);
    }
    fflush(stdout);
    return OZ_EXIT_OK;
}

int ozr_cli_profile(const struct omnizip_plugin *p, const struct ozr_cli *cli)
{
    char *search = omnizip_profile_search_path();
    if (!search) {
        ozr_cli_error("out of memory");
        return OZ_EXIT_FAIL;
    }
    int rc = cli->cmd == OZ_CMD_PROFILE_CHECK  ? check(p, cli, search)
             : cli->cmd == OZ_CMD_PROFILE_LIST ? list(p, cli, search)
                                               : show(p, cli, search);
    free(search);
    return rc;
}
