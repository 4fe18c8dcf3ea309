/* cli_main.c - omnizip-run's entry: parse, load the plugin (no silent
 * pass-through: a plugin that cannot be used is exit 5), dispatch. */
#include <string.h>

#include "cli.h"

#ifndef OMNIZIP_VERSION_STR
#define OMNIZIP_VERSION_STR "unknown"
#endif

/* Set once the plugin is loaded: the loader's own pass-through notice is
 * the reason open_plugin prints, so it is not logged twice. */
struct log_state {
    int loaded;
};

/* The plugin's warnings and errors, on stderr like ours. */
static void plugin_log(void *user, omnizip_log_level level, const char *msg)
{
    const struct log_state *state = user;
    if (state->loaded && level <= OMNIZIP_LOG_WARN)
        ozr_cli_error("plugin: %s", msg);
}

static int open_plugin(const struct ozr_cli *cli, struct log_state *state, omnizip_shim **shim)
{
    struct omnizip_host host;
    memset(&host, 0, sizeof host);
    host.struct_size = sizeof host;
    host.user = state;
    host.log = plugin_log;
    *shim = NULL;
    if (omnizip_shim_open(cli->plugin, &host, shim) != OMNIZIP_OK || !*shim) {
        ozr_cli_error("cannot load a plugin: out of memory");
        return OZ_EXIT_FAIL;
    }
    if (omnizip_shim_plugin(*shim)) {
        state->loaded = 1;
        return OZ_EXIT_OK;
    }
    const char *path = omnizip_shim_path(*shim);
    if (!path || !*path)
        path = cli->plugin ? cli->plugin : "(none found: set --plugin or OMNIZIP_PLUGIN)";
    const char *reason = omnizip_shim_reason(*shim);
    size_t n = strlen(path);
    if (strncmp(reason, path, n) == 0 && strncmp(reason + n, ": ", 2) == 0)
        reason += n + 2;
    ozr_cli_error("cannot use plugin %s: %s", path, reason);
    return OZ_EXIT_PLUGIN;
}

int omnizip_run_main(int argc, char **argv)
{
    struct ozr_cli cli;
    /* Before any context exists (ozr_cli_config creates one to probe the
     * config): a segment must never outlive a SIGINT. */
    ozr_cli_signals_install();
    int rc = ozr_cli_parse(argc, argv, &cli);
    if (rc == OZ_EXIT_OK && cli.cmd == OZ_CMD_HELP) {
        ozr_cli_usage(stdout);
    } else if (rc == OZ_EXIT_OK && cli.cmd == OZ_CMD_VERSION) {
        printf("omnizip-run %s\n", OMNIZIP_VERSION_STR);
    } else if (rc == OZ_EXIT_OK) {
        omnizip_shim *shim;
        struct log_state state = {0};
        rc = open_plugin(&cli, &state, &shim);
        const struct omnizip_plugin *p = rc ? NULL : omnizip_shim_plugin(shim);
        if (p && (cli.cmd == OZ_CMD_PROFILE_CHECK || cli.cmd == OZ_CMD_PROFILE_SHOW ||
                  cli.cmd == OZ_CMD_PROFILE_LIST)) {
            rc = ozr_cli_profile(p, &cli);
        } else if (p && cli.cmd == OZ_CMD_COMPARE) {
            rc = ozr_cli_compare(shim, &cli);
        } else if (p) {
            struct omnizip_config cfg;
            rc = ozr_cli_config(p, &cli, &cfg);
            if (rc == OZ_EXIT_OK)
                rc = ozr_cli_run(shim, &cli, &cfg);
        }
        omnizip_shim_close(shim);
    }
    ozr_cli_free(&cli);
    if (fflush(stdout) != 0 && rc == OZ_EXIT_OK) {
        ozr_cli_error("writing to stdout failed");
        rc = OZ_EXIT_FAIL;
    }
    return rc;
}
