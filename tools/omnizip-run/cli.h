/*
 * cli.h - omnizip-run, the reference host: argument parsing, config
 * building, the compress/plan/profile commands, their reports and the
 * built-in synthetic clip. Everything goes through include/omnizip/shim.h.
 * Unlike the rest of runtime-shim/, these files print: they are the program.
 */
#ifndef OZ_CLI_H
#define OZ_CLI_H

#include <stdio.h>

#include <omnizip/cost.h>
#include <omnizip/shim.h>

#include "ozc_clock.h"
#include "ozc_exit.h"

/* Runs omnizip-run and returns its exit code (man/omnizip-run.1). */
int omnizip_run_main(int argc, char **argv);

enum ozr_cmd {
    OZ_CMD_COMPRESS,
    OZ_CMD_PLAN,
    OZ_CMD_PROFILE_CHECK,
    OZ_CMD_PROFILE_SHOW,
    OZ_CMD_PROFILE_LIST,
    OZ_CMD_COMPARE,
    OZ_CMD_HELP,
    OZ_CMD_VERSION,
};

#define OZ_DEFAULT_PACE_MS 150L

/* The parsed command line; strings point into argv. */
struct ozr_cli {
    enum ozr_cmd cmd;
    const char *input; /* NULL: the built-in clip */
    const char *output;
    const char *profile;
    const char *task;
    const char **sets; /* "key=value", in command-line order */
    int n_sets;
    const char **files; /* profile check: points into operands */
    int n_files;
    const char **operands; /* owned */
    const char *side[2];   /* compare: profile files or task names A and B */
    const char *trace;
    const char *model;
    const char *plugin;
    int json;
    int live;
    int force; /* --force: IN, OUT and the trace may be the same file */
    long pace_ms;
};

/* "omnizip-run: " + message + newline on stderr. */
void ozr_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_args.c. Fills *cli; on a usage error prints why and returns
 * OZ_EXIT_USAGE, else OZ_EXIT_OK. ozr_cli_free releases what parse allocated. */
int ozr_cli_parse(int argc, char **argv, struct ozr_cli *cli);
void ozr_cli_free(struct ozr_cli *cli);
void ozr_cli_usage(FILE *f);

/* cli_config.c. The profile file cli names (--profile, or --task found on
 * search_path, from omnizip_profile_search_path()) into
 * *path (malloc'd, NULL when neither is given); OZ_EXIT_PROFILE when a task is
 * not found. */
int ozr_cli_profile_path(const struct ozr_cli *cli, const char *search_path, char **path);
/* defaults < profile < --set, then config_check; returns an exit code. */
int ozr_cli_config(const struct omnizip_plugin *p, const struct ozr_cli *cli,
                   struct omnizip_config *cfg);
/* Key's value in c as the plugin writes it ("unknown" when it cannot say). */
void ozr_cli_config_text(const struct omnizip_plugin *p, const struct omnizip_config *c,
                         const char *key, char *buf, size_t size);
/* The text of an enum-valued key ("global"...). */
const char *ozr_cli_enum_name(const char *key, int32_t value);

/* cli_profile.c: `profile check` and `profile show`. */
int ozr_cli_profile(const struct omnizip_plugin *p, const struct ozr_cli *cli);

/* builtin_clip.c: the deterministic 60-window synthetic clip. */
struct ozr_clip {
    struct omnizip_sequence seq; /* compact = 0, keep_mask NULL */
    float *embeds;
    int64_t *ids;
    int64_t *positions;
    float *scores;
};
int ozr_clip_build(struct ozr_clip *clip);
void ozr_clip_free(struct ozr_clip *clip);

/* One compress or plan run: what the reports print. */
struct ozr_run {
    const struct ozr_cli *cli;
    const struct omnizip_plugin *plugin;
    const struct omnizip_config *cfg;
    const char *source; /* input path or "builtin" */
    int planned_only;   /* plan: no embeddings read */
    int64_t length;     /* L */
    int64_t kept;       /* kept rows of the whole sequence */
    struct omnizip_run_report report;
    double ms_load, ms_write, ms_total;
    double flops_before, flops_after;
    double kv_before, kv_after; /* KV-cache bytes of the media tokens (16-bit K and V) */
    int have_kv;
    int64_t context_bytes; /* compress: peak heap beyond what was in use before it */
};

/* cli_files.c. Exit 2 (with the reason printed) when two of IN, OUT and
 * the trace are the same file and --force is not given. */
int ozr_cli_check_paths(const struct ozr_cli *cli);
/* SIGINT/SIGTERM remove this process's telemetry segments, then kill it as
 * the signal would have. */
void ozr_cli_signals_install(void);
/* hold = 1: defer SIGINT/SIGTERM (around the final writes); 0: deliver. */
void ozr_cli_signals_hold(int hold);

/* cli_run.c: the compress and plan commands. */
int ozr_cli_run(omnizip_shim *shim, const struct ozr_cli *cli, const struct omnizip_config *cfg);

/* The input of a run: cli->input's dump, or the built-in clip. */
struct ozr_input {
    struct omnizip_dump dump;
    struct ozr_clip clip;
    int is_dump;
    struct omnizip_sequence *seq;
};
int ozr_cli_load(const struct ozr_cli *cli, struct ozr_input *in);
void ozr_cli_unload(struct ozr_input *in);
/* One `plan` of a loaded input with cfg into *run (ozr_run_free releases
 * it); returns an exit code, the problem printed. */
int ozr_cli_plan(omnizip_shim *shim, const struct ozr_cli *cli, const struct omnizip_config *cfg,
                 struct ozr_input *in, struct ozr_run *run);
void ozr_run_free(struct ozr_run *run);

/* cli_compare.c: `compare IN A B`. */
int ozr_cli_compare(omnizip_shim *shim, const struct ozr_cli *cli);

/* cli_report.c: human table and --json. */
void ozr_report_table_head(FILE *f);
/* planned: from plan (merged is not computed). */
void ozr_report_row(FILE *f, const struct omnizip_window_info *w, int planned);
void ozr_report_totals(FILE *f, const struct ozr_run *run);
int ozr_report_json(FILE *f, const struct ozr_run *run);
/* The object ozr_report_json prints (a jansson json_t *, NULL when out of
 * memory); the caller owns it. */
void *ozr_report_json_object(const struct ozr_run *run);
/* The config as a JSON object of every key (jansson json_t *). */
void *ozr_report_config_json(const struct omnizip_plugin *p, const struct omnizip_config *cfg);

/* cli_trace.c: the JSON-lines trace (docs/FORMATS.md "Trace"), the progress
 * bar and the --live pacing, all fed by the on_window callback. */
struct ozr_watch {
    char *trace; /* the lines so far, written out whole at close */
    size_t trace_len, trace_cap;
    const char *trace_path;
    int trace_failed;
    int live; /* print rows as they come, pace them */
    long pace_ms;
    int progress; /* stderr is a tty and not --json */
    uint32_t n_windows;
    uint32_t seen;
    double t0;
    size_t heap_peak; /* the most heap in use seen after a window */
};
/* Bytes of heap in use (malloc'd and mmapped), for the memory report. */
size_t ozr_heap_in_use(void);
int ozr_trace_open(struct ozr_watch *w, const char *path, const struct ozr_run *run,
                   uint32_t n_windows);
void ozr_trace_summary(struct ozr_watch *w, const struct ozr_run *run);
/* Writes the trace (when write is set: the run succeeded) and frees it. */
int ozr_trace_close(struct ozr_watch *w, int write);
void ozr_watch_window(void *user, const struct omnizip_window_info *info);
void ozr_watch_done(struct ozr_watch *w);

#endif
