/*
 * inspect.h - omnizip-inspect: the entry its tiny main() calls, and the
 * options shared by the inspector's files.
 */
#ifndef OZ_INSPECT_H
#define OZ_INSPECT_H

#include <stddef.h>

#include "ozc_exit.h"

/* Runs omnizip-inspect with argv; returns the process exit code (OZ_EXIT_*). */
int omnizip_inspect_main(int argc, char **argv);

struct ozi_options {
    const char *replay;  /* --replay FILE */
    int attach;          /* --attach [PID] */
    long attach_pid;     /* 0: newest live session */
    int list;            /* --list */
    int clean;           /* --clean [PID]: remove this user's stale segments */
    long clean_pid;      /* 0: of every process */
    const char *tune;    /* --tune DUMP */
    const char *profile; /* --profile FILE (tune) */
    const char *task;    /* --task NAME (tune): a profile on the search path */
    const char *out;     /* --out FILE (tune): where w writes */
    const char *compare; /* --compare FILE|NAME (tune): the other side */
    const char *svg;     /* --svg OUT */
    const char *model;   /* --model PRESET */
    const char *plugin;  /* --plugin PATH */
    int dump;            /* --dump */
    int width, height;   /* --width/--height for --dump */
    long frames;         /* -n N / --once; 0: unbounded */
    int mono;            /* --no-color */
    double speed;        /* --speed R (replay records per second) */
};

/* Parses argv into o; returns 0, or -1 with the problem in err. */
int ozi_options_parse(struct ozi_options *o, int argc, char **argv, char *err, size_t err_size);

/* The usage text. */
const char *ozi_usage(void);

#endif
