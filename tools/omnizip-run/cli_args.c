/* cli_args.c - omnizip-run's command line: subcommands, options, usage. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ozc_suggest.h"

void ozr_cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("omnizip-run: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void ozr_cli_usage(FILE *f)
{
    fputs(
        "usage: omnizip-run [compress] [IN.safetensors -o OUT.safetensors] [options]\n"
        "       omnizip-run plan [IN.safetensors] [--profile FILE|--task NAME] [--set k=v]... "
        "[--json]\n"
        "       omnizip-run compare IN A B [--set k=v]... [--json]   (A, B: files or task names)\n"
        "       omnizip-run profile check FILE...\n"
        "       omnizip-run profile show FILE|--task NAME\n"
        "       omnizip-run profile list [--json]\n"
        "\n"
        "Compresses the audio and video tokens of an omnimodal LLM input (OmniZip).\n"
        "Without IN, compress and plan run the built-in synthetic clip (60 windows).\n"
        "\n"
        "options:\n"
        "  -o, --output FILE    write the compressed sequence (required with IN)\n"
        "  --profile FILE       apply a YAML profile over the built-in defaults\n"
        "  --task NAME          the profile NAME.yaml from $OMNIZIP_PROFILE_PATH, the\n"
        "                       profiles installed with this program, then ./profiles\n"
        "  --set KEY=VALUE      set one profile key (after the profile; repeatable)\n"
        "  --trace FILE.jsonl   write one JSON line per window (omnizip-inspect --replay)\n"
        "  --force              let IN, OUT and the trace be the same file (replaced\n"
        "                       only by a complete new file); refused otherwise\n"
        "  --json               print one JSON object instead of the table\n"
        "  --model PRESET       FLOPs model, a preset of the plugin's omnizip.cost/1\n"
        "                       (default " OMNIZIP_COST_DEFAULT_MODEL ")\n"
        "  --plugin PATH        the plugin to load (default: $OMNIZIP_PLUGIN, then the\n"
        "                       one next to this program or in its ../lib)\n"
        "  --live [--pace MS]   built-in clip only: publish telemetry for omnizip-inspect,\n"
        "                       windows MS ms apart (default 150)\n"
        "  -h, --help           this text\n"
        "  --version            the version\n"
        "\n"
        "exit codes: 0 ok, 1 failure, 2 usage, 3 bad input file, 4 bad profile or --set,\n"
        "            5 plugin cannot be used\n",
        f);
}

/* Options that take a value, with where the value goes. */
struct valued {
    const char *name;
    const char *alias;
    size_t field; /* offsetof in struct ozr_cli; SIZE_MAX: --set; SIZE_MAX-1: --pace */
};

#define SET_FIELD ((size_t)-1)
#define PACE_FIELD ((size_t)-2)

static const struct valued valued_opts[] = {
    {"--output", "-o", offsetof(struct ozr_cli, output)},
    {"--profile", NULL, offsetof(struct ozr_cli, profile)},
    {"--task", NULL, offsetof(struct ozr_cli, task)},
    {"--trace", NULL, offsetof(struct ozr_cli, trace)},
    {"--model", NULL, offsetof(struct ozr_cli, model)},
    {"--plugin", NULL, offsetof(struct ozr_cli, plugin)},
    {"--set", NULL, SET_FIELD},
    {"--pace", NULL, PACE_FIELD},
};

static int usage_error(const char *fmt, const char *arg)
{
    fputs("omnizip-run: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(omnizip-run --help for usage)\n", stderr);
    return OZ_EXIT_USAGE;
}

static const char *const commands[] = {"compress", "plan", "compare", "profile"};
static const char *const actions[] = {"check", "show", "list"};
static const char *const flags[] = {"--json",   "--live",    "--force", "--help",  "--version",
                                    "--output", "--profile", "--task",  "--trace", "--model",
                                    "--plugin", "--set",     "--pace"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* "unknown WHAT 'WORD' (did you mean X?)" or with the expected list. */
static int unknown(const char *what, const char *word, const char *const *words, size_t n,
                   const char *expected)
{
    const char *near = ozc_suggest(word, words, n);
    fprintf(stderr, "omnizip-run: unknown %s '%s' (%s%s%s)\n(omnizip-run --help for usage)\n", what,
            word, near ? "did you mean " : "expected ", near ? near : expected, near ? "?" : "");
    return OZ_EXIT_USAGE;
}

/* Matches "--name", "-o" or "--name=value"; *inline_value gets the text after '='. */
static const struct valued *match_valued(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < sizeof valued_opts / sizeof valued_opts[0]; i++) {
        const struct valued *v = &valued_opts[i];
        size_t n = strlen(v->name);
        if (strcmp(arg, v->name) == 0 || (v->alias && strcmp(arg, v->alias) == 0))
            return v;
        if (strncmp(arg, v->name, n) == 0 && arg[n] == '=') {
            *inline_value = arg + n + 1;
            return v;
        }
    }
    return NULL;
}

static int take_value(struct ozr_cli *cli, const struct valued *v, const char *value)
{
    if (v->field == SET_FIELD) {
        const char *eq = strchr(value, '=');
        if (!eq || eq == value)
            return usage_error("--set expects KEY=VALUE, got '%s'", value);
        cli->sets[cli->n_sets++] = value;
        return OZ_EXIT_OK;
    }
    if (v->field == PACE_FIELD) {
        char *end;
        errno = 0;
        long ms = strtol(value, &end, 10);
        if (errno || end == value || *end || ms < 0 || ms > 600000)
            return usage_error("--pace expects milliseconds in [0, 600000], got '%s'", value);
        cli->pace_ms = ms;
        return OZ_EXIT_OK;
    }
    if (*value == '\0')
        return usage_error("%s expects a value", v->name);
    *(const char **)((char *)cli + v->field) = value;
    return OZ_EXIT_OK;
}

/* Options without a value; returns 0 when arg is none of them. */
static int flag(struct ozr_cli *cli, const char *arg)
{
    if (strcmp(arg, "--json") == 0)
        cli->json = 1;
    else if (strcmp(arg, "--live") == 0)
        cli->live = 1;
    else if (strcmp(arg, "--force") == 0)
        cli->force = 1;
    else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
        cli->cmd = OZ_CMD_HELP;
    else if (strcmp(arg, "--version") == 0)
        cli->cmd = OZ_CMD_VERSION;
    else
        return 0;
    return 1;
}

/* The options and operands after the subcommand. */
static int parse_rest(int argc, char **argv, int i, struct ozr_cli *cli, const char **operands,
                      int *n_operands)
{
    int only_operands = 0;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (only_operands || arg[0] != '-' || arg[1] == '\0') {
            operands[(*n_operands)++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_operands = 1;
            continue;
        }
        if (flag(cli, arg))
            continue;
        const char *value;
        const struct valued *v = match_valued(arg, &value);
        if (!v) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
            return unknown("option", name, flags, COUNT(flags), "see --help");
        }
        if (!value) {
            if (i + 1 >= argc)
                return usage_error("%s expects a value", arg);
            value = argv[++i];
        }
        int rc = take_value(cli, v, value);
        if (rc)
            return rc;
    }
    return OZ_EXIT_OK;
}

static int check_compress(struct ozr_cli *cli, const char **ops, int n_ops)
{
    if (n_ops > 1)
        return usage_error("compress takes one input file, got another: '%s'", ops[1]);
    cli->input = n_ops ? ops[0] : NULL;
    if (cli->profile && cli->task)
        return usage_error("%s", "--profile and --task exclude each other");
    if (cli->input && !cli->output)
        return usage_error("compress %s: missing -o OUT.safetensors", cli->input);
    if (!cli->input && cli->output)
        return usage_error("-o %s needs an input file (the built-in clip writes nothing)",
                           cli->output);
    if (cli->live && cli->input)
        return usage_error("--live runs the built-in clip only, not '%s'", cli->input);
    if (cli->live && cli->json)
        return usage_error("%s", "--live and --json exclude each other");
    return OZ_EXIT_OK;
}

static int check_plan(struct ozr_cli *cli, const char **ops, int n_ops)
{
    if (n_ops > 1)
        return usage_error("plan takes one input file, got another: '%s'", ops[1]);
    cli->input = n_ops ? ops[0] : NULL;
    if (cli->profile && cli->task)
        return usage_error("%s", "--profile and --task exclude each other");
    if (cli->output)
        return usage_error("plan writes no file: drop -o %s", cli->output);
    if (cli->trace)
        return usage_error("plan writes no trace: drop --trace %s", cli->trace);
    if (cli->live)
        return usage_error("%s", "--live runs the built-in clip only");
    return OZ_EXIT_OK;
}

static int check_compare(struct ozr_cli *cli, const char **ops, int n_ops)
{
    if (n_ops != 3)
        return usage_error("%s", "compare: expected IN A B (A and B: profile files or task "
                                 "names)");
    cli->input = ops[0];
    cli->side[0] = ops[1];
    cli->side[1] = ops[2];
    if (cli->profile || cli->task)
        return usage_error("%s", "compare: the profiles are A and B, not --profile/--task");
    if (cli->output || cli->trace || cli->live)
        return usage_error("%s", "compare plans both sides: no -o, --trace or --live");
    return OZ_EXIT_OK;
}

static int check_profile(struct ozr_cli *cli, const char **ops, int n_ops)
{
    if (n_ops == 0)
        return usage_error("%s", "profile: expected 'check FILE...', 'show FILE|--task NAME' "
                                 "or 'list'");
    if (strcmp(ops[0], "list") == 0) {
        cli->cmd = OZ_CMD_PROFILE_LIST;
        if (n_ops > 1)
            return usage_error("profile list takes no operand, got '%s'", ops[1]);
        return OZ_EXIT_OK;
    }
    if (strcmp(ops[0], "check") == 0) {
        cli->cmd = OZ_CMD_PROFILE_CHECK;
        if (n_ops < 2)
            return usage_error("%s", "profile check: expected at least one FILE");
        cli->files = ops + 1;
        cli->n_files = n_ops - 1;
        return OZ_EXIT_OK;
    }
    if (strcmp(ops[0], "show") == 0) {
        cli->cmd = OZ_CMD_PROFILE_SHOW;
        if (n_ops > 2)
            return usage_error("profile show takes one FILE, got another: '%s'", ops[2]);
        if (n_ops == 2)
            cli->profile = ops[1];
        if (cli->profile && cli->task)
            return usage_error("%s", "profile show: give a FILE or --task NAME, not both");
        return OZ_EXIT_OK;
    }
    return unknown("profile action", ops[0], actions, COUNT(actions), "check, show or list");
}

int ozr_cli_parse(int argc, char **argv, struct ozr_cli *cli)
{
    memset(cli, 0, sizeof *cli);
    cli->model = OMNIZIP_COST_DEFAULT_MODEL;
    cli->pace_ms = OZ_DEFAULT_PACE_MS;
    size_t n = argc > 0 ? (size_t)argc : 1;
    cli->sets = calloc(n, sizeof *cli->sets);
    const char **ops = calloc(n, sizeof *ops);
    cli->operands = ops;
    if (!cli->sets || !ops) {
        ozr_cli_error("out of memory");
        return OZ_EXIT_FAIL;
    }
    int i = 1;
    cli->cmd = OZ_CMD_COMPRESS;
    const char *sub = argc > 1 ? argv[1] : NULL;
    int is_profile = 0;
    if (sub && strcmp(sub, "compress") == 0) {
        i = 2;
    } else if (sub && strcmp(sub, "plan") == 0) {
        cli->cmd = OZ_CMD_PLAN;
        i = 2;
    } else if (sub && strcmp(sub, "compare") == 0) {
        cli->cmd = OZ_CMD_COMPARE;
        i = 2;
    } else if (sub && strcmp(sub, "profile") == 0) {
        is_profile = 1;
        i = 2;
    } else if (sub && sub[0] != '-' && !strchr(sub, '.') && !strchr(sub, '/')) {
        return unknown("command", sub, commands, COUNT(commands),
                       "compress, plan, compare or "
                       "profile");
    } else if (sub && sub[0] != '-') {
        return usage_error("unknown command '%s' (give compress IN -o OUT for a file)", sub);
    }
    int n_ops = 0;
    enum ozr_cmd base = cli->cmd;
    int rc = parse_rest(argc, argv, i, cli, ops, &n_ops);
    if (rc == OZ_EXIT_OK && cli->cmd != OZ_CMD_HELP && cli->cmd != OZ_CMD_VERSION) {
        cli->cmd = base;
        if (is_profile)
            rc = check_profile(cli, ops, n_ops);
        else if (base == OZ_CMD_PLAN)
            rc = check_plan(cli, ops, n_ops);
        else if (base == OZ_CMD_COMPARE)
            rc = check_compare(cli, ops, n_ops);
        else
            rc = check_compress(cli, ops, n_ops);
    }
    return rc;
}

void ozr_cli_free(struct ozr_cli *cli)
{
    free(cli->sets);
    free(cli->operands);
    cli->sets = NULL;
    cli->operands = NULL;
    cli->files = NULL;
}
