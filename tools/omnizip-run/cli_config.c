/* cli_config.c - omnizip-run's config: built-in defaults < profile (--profile
 * or --task) < every --set in order, then the plugin's cross-key check. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "--task X: no X.yaml in PATH (did you mean Y?)". */
static void no_task(const char *task, const char *search_path)
{
    char near[256];
    if (omnizip_profile_nearest(task, search_path, near, sizeof near) == OMNIZIP_OK)
        ozr_cli_error("--task %s: no %s.yaml in %s (did you mean %s?)", task, task, search_path,
                      near);
    else
        ozr_cli_error("--task %s: no %s.yaml in %s (omnizip-run profile list names them)", task,
                      task, search_path);
}

int ozr_cli_profile_path(const struct ozr_cli *cli, const char *search_path, char **path)
{
    *path = NULL;
    if (cli->profile) {
        *path = strdup(cli->profile);
        if (!*path) {
            ozr_cli_error("out of memory");
            return OZ_EXIT_FAIL;
        }
        return OZ_EXIT_OK;
    }
    if (!cli->task)
        return OZ_EXIT_OK;
    if (!*cli->task || strchr(cli->task, '/')) {
        ozr_cli_error("--task '%s': expected a profile name such as paper-45 "
                      "(use --profile for a file)",
                      cli->task);
        return OZ_EXIT_PROFILE;
    }
    omnizip_status st = omnizip_profile_find(cli->task, search_path, path);
    if (st == OMNIZIP_E_NOMEM) {
        ozr_cli_error("out of memory");
        return OZ_EXIT_FAIL;
    }
    if (st != OMNIZIP_OK) {
        no_task(cli->task, search_path);
        return OZ_EXIT_PROFILE;
    }
    return OZ_EXIT_OK;
}

/* Prints a plugin message, prefixed by what it concerns unless it names it already. */
static void report(const char *what, const char *err)
{
    if (strstr(err, what))
        ozr_cli_error("%s", err);
    else
        ozr_cli_error("%s: %s", what, err);
}

static int apply_set(const struct omnizip_plugin *p, struct omnizip_config *cfg, const char *set)
{
    char key[128], err[512] = "";
    const char *eq = strchr(set, '=');
    size_t len = (size_t)(eq - set);
    if (len >= sizeof key) {
        ozr_cli_error("--set %.40s...: key too long", set);
        return OZ_EXIT_PROFILE;
    }
    memcpy(key, set, len);
    key[len] = '\0';
    if (p->config_set(cfg, key, eq + 1, err, sizeof err) != OMNIZIP_OK) {
        ozr_cli_error("--set %s: %s", set, *err ? err : "rejected");
        return OZ_EXIT_PROFILE;
    }
    return OZ_EXIT_OK;
}

int ozr_cli_config(const struct omnizip_plugin *p, const struct ozr_cli *cli,
                   struct omnizip_config *cfg)
{
    char err[512] = "";
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    p->config_default(cfg);

    char *search = omnizip_profile_search_path();
    char *path = NULL;
    if (!search) {
        ozr_cli_error("out of memory");
        return OZ_EXIT_FAIL;
    }
    int rc = ozr_cli_profile_path(cli, search, &path);
    if (rc == OZ_EXIT_OK && path &&
        p->profile_load(path, search, cfg, NULL, NULL, err, sizeof err) != OMNIZIP_OK) {
        report(path, *err ? err : "cannot load profile");
        rc = OZ_EXIT_PROFILE;
    }
    free(path);
    free(search);
    for (int i = 0; rc == OZ_EXIT_OK && i < cli->n_sets; i++)
        rc = apply_set(p, cfg, cli->sets[i]);
    if (rc == OZ_EXIT_OK && cli->live && p->config_set(cfg, "telemetry", "shm", err, sizeof err)) {
        ozr_cli_error("--live: cannot turn telemetry on: %s", err);
        rc = OZ_EXIT_PROFILE;
    }
    if (rc == OZ_EXIT_OK && p->config_check(cfg, err, sizeof err) != OMNIZIP_OK) {
        ozr_cli_error("config: %s", *err ? err : "rejected");
        rc = OZ_EXIT_PROFILE;
    }
    /* A valid config the plugin cannot serve is found out now, not as a bad
     * input file: mode streaming is a config problem (4), a CUDA backend that
     * will not load or finds no device a plugin problem (5). */
    omnizip_ctx *ctx = NULL;
    omnizip_status st = rc == OZ_EXIT_OK ? p->create(cfg, NULL, &ctx, err, sizeof err) : OMNIZIP_OK;
    if (st != OMNIZIP_OK) {
        ozr_cli_error("config: %s", *err ? err : "the plugin cannot serve it");
        rc = st == OMNIZIP_E_BACKEND ||
                     (st == OMNIZIP_E_UNSUPPORTED && cfg->backend == OMNIZIP_BACKEND_CUDA)
                 ? OZ_EXIT_PLUGIN
                 : OZ_EXIT_PROFILE;
    }
    p->destroy(ctx);
    return rc;
}

void ozr_cli_config_text(const struct omnizip_plugin *p, const struct omnizip_config *c,
                         const char *key, char *buf, size_t size)
{
    /* A 1.0 table ends before config_get. */
    int has = p->struct_size >= offsetof(struct omnizip_plugin, config_get) + sizeof p->config_get;
    if (!has || p->config_get(c, key, buf, size) != OMNIZIP_OK)
        snprintf(buf, size, "unknown");
}

const char *ozr_cli_enum_name(const char *key, int32_t value)
{
    static const char *const normalize[] = {"reference", "exact"};
    static const char *const scope[] = {"global", "window"};
    static const char *const mode[] = {"reference", "streaming"};
    static const char *const backend[] = {"auto", "cpu", "cuda"};
    static const char *const telemetry[] = {"off", "shm"};
    const char *const *names = NULL;
    int32_t n = 0;
    if (strcmp(key, "normalize") == 0)
        names = normalize, n = 2;
    else if (strcmp(key, "similarity_scope") == 0)
        names = scope, n = 2;
    else if (strcmp(key, "mode") == 0)
        names = mode, n = 2;
    else if (strcmp(key, "backend") == 0)
        names = backend, n = 3;
    else if (strcmp(key, "telemetry") == 0)
        names = telemetry, n = 2;
    return names && value >= 0 && value < n ? names[value] : "unknown";
}
