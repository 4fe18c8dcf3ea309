/*
 * options.c - omnizip-inspect's command line.
 */
#include "inspect.h"
#include "ozc_suggest.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omnizip/cost.h>

static const char usage[] =
    "usage: omnizip-inspect --replay FILE.jsonl [view options]\n"
    "       omnizip-inspect --attach [PID] [view options]\n"
    "       omnizip-inspect --list\n"
    "       omnizip-inspect --clean [PID]   remove this user's stale segments (of PID)\n"
    "       omnizip-inspect --tune DUMP.safetensors [--profile FILE | --task NAME]\n"
    "                       [--compare FILE|NAME] [--out FILE] [view options]\n"
    "view options:\n"
    "  --dump              print one text frame and exit (no terminal)\n"
    "  --width W --height H  size of the --dump frame (default 120x40)\n"
    "  -n N, --once        stop after N frames (--once: 1)\n"
    "  --svg OUT.svg       write the S_a / video-rate plot and exit\n"
    "  --no-color          monochrome (also NO_COLOR=1)\n"
    "  --model PRESET      a model preset of the plugin (default " OMNIZIP_COST_DEFAULT_MODEL ")\n"
    "  --speed R           replay R windows per second (default 10)\n"
    "  --plugin PATH       libomnizip.so to use for FLOPs and tuning\n";

const char *ozi_usage(void)
{
    return usage;
}

static int number(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int real(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static const struct string_opt {
    const char *name;
    size_t offset;
} string_opts[] = {
    {"--replay", offsetof(struct ozi_options, replay)},
    {"--tune", offsetof(struct ozi_options, tune)},
    {"--profile", offsetof(struct ozi_options, profile)},
    {"--task", offsetof(struct ozi_options, task)},
    {"--out", offsetof(struct ozi_options, out)},
    {"--compare", offsetof(struct ozi_options, compare)},
    {"--svg", offsetof(struct ozi_options, svg)},
    {"--model", offsetof(struct ozi_options, model)},
    {"--plugin", offsetof(struct ozi_options, plugin)},
};

static const struct string_opt *string_option(const char *arg)
{
    for (size_t i = 0; i < sizeof(string_opts) / sizeof(string_opts[0]); i++)
        if (strcmp(arg, string_opts[i].name) == 0)
            return &string_opts[i];
    return NULL;
}

/* The argument of option argv[*i], or NULL with err filled. */
static const char *value(int argc, char **argv, int *i, char *err, size_t err_size)
{
    if (*i + 1 >= argc) {
        snprintf(err, err_size, "%s needs an argument", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int ozi_options_parse(struct ozi_options *o, int argc, char **argv, char *err, size_t err_size)
{
    memset(o, 0, sizeof(*o));
    o->width = 120;
    o->height = 40;
    o->speed = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        long n;
        if (strcmp(a, "--attach") == 0 || strcmp(a, "--clean") == 0) {
            int attach = a[2] == 'a';
            *(attach ? &o->attach : &o->clean) = 1;
            if (i + 1 < argc && argv[i + 1][0] != '-' &&
                number(argv[++i], 1, 0x7fffffffL, attach ? &o->attach_pid : &o->clean_pid) != 0) {
                snprintf(err, err_size, "%s: bad PID '%s'", a, argv[i]);
                return -1;
            }
            continue;
        }
        if (strcmp(a, "--list") == 0) {
            o->list = 1;

        } else if (strcmp(a, "--dump") == 0) {
            o->dump = 1;
        } else if (strcmp(a, "--once") == 0) {
            o->frames = 1;
        } else if (strcmp(a, "--no-color") == 0) {
            o->mono = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            snprintf(err, err_size, "help");
            return -1;
        } else if (string_option(a)) {
            if (!(v = value(argc, argv, &i, err, err_size)))
                return -1;
            *(const char **)(void *)((char *)o + string_option(a)->offset) = v;
        } else if (strcmp(a, "--width") == 0 || strcmp(a, "--height") == 0 ||
                   strcmp(a, "-n") == 0) {
            if (!(v = value(argc, argv, &i, err, err_size)))
                return -1;
            if (number(v, 1, 10000, &n) != 0) {
                snprintf(err, err_size, "%s: bad number '%s' (1..10000)", a, v);
                return -1;
            }
            if (a[1] == 'n')
                o->frames = n;
            else if (a[2] == 'w')
                o->width = (int)n;
            else
                o->height = (int)n;
        } else if (strcmp(a, "--speed") == 0) {
            if (!(v = value(argc, argv, &i, err, err_size)))
                return -1;
            if (real(v, 0.1, 1000, &o->speed) != 0) {
                snprintf(err, err_size, "--speed: bad rate '%s' (0.1..1000)", v);
                return -1;
            }
        } else {
            static const char *const known[] = {"--replay",  "--attach",  "--list",     "--clean",
                                                "--tune",    "--profile", "--task",     "--out",
                                                "--compare", "--dump",    "--width",    "--height",
                                                "--once",    "--svg",     "--no-color", "--model",
                                                "--speed",   "--plugin",  "--help"};
            const char *near = ozc_suggest(a, known, sizeof(known) / sizeof(known[0]));
            if (near)
                snprintf(err, err_size, "unknown argument '%s' (did you mean %s?)", a, near);
            else
                snprintf(err, err_size, "unknown argument '%s'", a);
            return -1;
        }
    }
    int modes = (o->replay != NULL) + o->attach + o->list + o->clean + (o->tune != NULL);
    if (modes != 1) {
        snprintf(err, err_size, "give %s of --replay, --attach, --list, --clean, --tune",
                 modes ? "only one" : "one");
        return -1;
    }
    if ((o->profile || o->task || o->out || o->compare) && !o->tune) {
        snprintf(err, err_size, "%s goes with --tune",
                 o->profile ? "--profile"
                 : o->task  ? "--task"
                 : o->out   ? "--out"
                            : "--compare");
        return -1;
    }
    if (o->profile && o->task) {
        snprintf(err, err_size, "give --profile FILE or --task NAME, not both");
        return -1;
    }
    return 0;
}
