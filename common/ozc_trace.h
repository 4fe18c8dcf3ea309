/*
 * ozc_trace.h - header-only: the schema of the JSON-lines trace, the one
 * table omnizip-run writes it from (tools/omnizip-run/cli_trace.c) and
 * omnizip-inspect reads it with (inspector/trace.c).
 *
 * A trace is one JSON object per line, each with a "type": one "header"
 * (version, tool, source, model, the config fields below, similarity_scope,
 * windows), one "window" per window (the fields below, in this order), and a
 * closing "summary". A reader skips keys it does not know and lines of other
 * types, so fields are only ever appended.
 */
#ifndef OZC_TRACE_H
#define OZC_TRACE_H

#include <math.h>
#include <stddef.h>

#include <omnizip/omnizip.h>

#define OZC_TRACE_VERSION 1
#define OZC_TRACE_HEADER "header"
#define OZC_TRACE_WINDOW "window"
#define OZC_TRACE_SUMMARY "summary"

enum ozc_trace_kind {
    OZC_TRACE_COUNT, /* int64_t >= 0 */
    OZC_TRACE_INDEX, /* uint32_t */
    OZC_TRACE_INT,   /* int32_t >= 0 */
    OZC_TRACE_REAL,  /* double in [lo, hi] */
    OZC_TRACE_BOOL,  /* int32_t 0/1, written as true/false */
};

struct ozc_trace_field {
    const char *key;
    enum ozc_trace_kind kind;
    size_t off;    /* in the record's struct */
    int required;  /* a reader refuses a record without it */
    double lo, hi; /* a real's range; an int's values stay below hi */
};

/* Left as written: clang-format 14 breaks a brace initialiser that opens with #arg. */
// clang-format off
#define OZC_W(key, kind, req, lo, hi) \
    {#key, kind, offsetof(struct omnizip_window_info, key), req, lo, hi}
// clang-format on
/* One "window" line: the fields of struct omnizip_window_info. A missing
 * "guided" reads as audio_in > 0 && video_in > 0. */
static const struct ozc_trace_field ozc_trace_window[] = {
    OZC_W(index, OZC_TRACE_INDEX, 1, 0, 0),        OZC_W(audio_in, OZC_TRACE_COUNT, 1, 0, 0),
    OZC_W(audio_kept, OZC_TRACE_COUNT, 1, 0, 0),   OZC_W(audio_anchors, OZC_TRACE_COUNT, 0, 0, 0),
    OZC_W(audio_merged, OZC_TRACE_COUNT, 0, 0, 0), OZC_W(s_a, OZC_TRACE_REAL, 1, 0, 1),
    OZC_W(base_rate, OZC_TRACE_REAL, 0, 0, 1),     OZC_W(rate, OZC_TRACE_REAL, 1, 0, 1),
    OZC_W(guided, OZC_TRACE_BOOL, 0, 0, 0),        OZC_W(video_in, OZC_TRACE_COUNT, 1, 0, 0),
    OZC_W(video_kept, OZC_TRACE_COUNT, 1, 0, 0),   OZC_W(micros, OZC_TRACE_REAL, 0, 0, HUGE_VAL),
    OZC_W(flops, OZC_TRACE_REAL, 0, 0, HUGE_VAL),
};
#undef OZC_W

/* Left as written: clang-format 14 breaks a brace initialiser that opens with #arg. */
// clang-format off
#define OZC_C(key, kind, hi) {#key, kind, offsetof(struct omnizip_config, key), 0, 0, hi}
// clang-format on
/* The config fields of the "header" line, from struct omnizip_config. */
static const struct ozc_trace_field ozc_trace_config[] = {
    OZC_C(rho_audio, OZC_TRACE_REAL, 1), OZC_C(rho_video, OZC_TRACE_REAL, 1),
    OZC_C(g, OZC_TRACE_INT, 1e6),        OZC_C(contextual_ratio, OZC_TRACE_REAL, 1),
    OZC_C(rho_min, OZC_TRACE_REAL, 1),   OZC_C(rho_max, OZC_TRACE_REAL, 1),
    OZC_C(dpc_k, OZC_TRACE_INT, 1e6),
};
#undef OZC_C

#define OZC_TRACE_N(table) (sizeof(table) / sizeof((table)[0]))

#endif
