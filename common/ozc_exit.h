/*
 * ozc_exit.h - header-only, shared by the programs (omnizip-run,
 * omnizip-inspect): their exit codes. Fixed: scripts and external checks rely
 * on them (man/omnizip-run.1).
 */
#ifndef OZC_EXIT_H
#define OZC_EXIT_H

enum {
    OZ_EXIT_OK = 0,
    OZ_EXIT_FAIL = 1,    /* anything else */
    OZ_EXIT_USAGE = 2,   /* bad command line */
    OZ_EXIT_INPUT = 3,   /* bad input file */
    OZ_EXIT_PROFILE = 4, /* bad profile or config value */
    OZ_EXIT_PLUGIN = 5,  /* the plugin will not load or negotiate */
};

#endif
