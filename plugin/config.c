/*
 * config.c - every configuration key in one table: name, field, default,
 * range, parser and formatter. config_default, config_set and config_check
 * all walk this table, so a key added here is known everywhere at once.
 */
#include "config.h"

#include "ozc_err.h"
#include "ozc_suggest.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct choice {
    const char *text;
    int32_t value;
};

struct key;
typedef int (*parse_fn)(const struct key *k, struct omnizip_config *c, const char *v);
typedef void (*format_fn)(const struct key *k, const struct omnizip_config *c, char *buf,
                          size_t size);

struct key {
    const char *name;
    const char *dflt; /* the reference default, in the text config_set takes */
    size_t off;       /* the field; the scope key also writes scope_radius */
    size_t size;
    long lo, hi;                  /* integer range */
    const char *expect;           /* "expected ..." part of a bad-value message */
    const struct choice *choices; /* enum spellings, canonical one first per value */
    parse_fn parse;
    format_fn format;
};

enum { BAD_SYNTAX = 1, BAD_RANGE = 2 };

#define FIELD(f) offsetof(struct omnizip_config, f), sizeof(((struct omnizip_config *)0)->f)

/* strtod alone accepts "nan", "inf", hex and leading blanks: allow decimal only. */
static int number_chars(const char *v)
{
    if (!*v)
        return 0;
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr(".eE+-", *p))
            return 0;
    return 1;
}

static int parse_double(const char *v, double *out)
{
    char *end;
    if (!number_chars(v))
        return 0;
    *out = strtod(v, &end);
    return *end == '\0' && end != v;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    if (!number_chars(v) || strpbrk(v, ".eE"))
        return 0;
    errno = 0;
    *out = strtol(v, &end, 10);
    return *end == '\0' && end != v && errno != ERANGE;
}

static int parse_ratio(const struct key *k, struct omnizip_config *c, const char *v)
{
    double d;
    if (!parse_double(v, &d))
        return BAD_SYNTAX;
    if (!(d >= 0.0 && d < 1.0))
        return BAD_RANGE;
    memcpy((char *)c + k->off, &d, sizeof d);
    return 0;
}

static int parse_int(const struct key *k, struct omnizip_config *c, const char *v)
{
    long l;
    int32_t i;
    if (!parse_long(v, &l))
        return BAD_SYNTAX;
    if (l < k->lo || l > k->hi)
        return BAD_RANGE;
    i = (int32_t)l;
    memcpy((char *)c + k->off, &i, sizeof i);
    return 0;
}

/* A seed: any unsigned 64-bit decimal. */
static int parse_seed(const struct key *k, struct omnizip_config *c, const char *v)
{
    char *end;
    unsigned long long u;
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p))
            return BAD_SYNTAX;
    errno = 0;
    u = strtoull(v, &end, 10);
    if (!*v || *end || errno == ERANGE)
        return BAD_SYNTAX;
    uint64_t seed = u;
    memcpy((char *)c + k->off, &seed, sizeof seed);
    return 0;
}

static int parse_choice(const struct key *k, struct omnizip_config *c, const char *v)
{
    for (const struct choice *ch = k->choices; ch->text; ch++)
        if (strcmp(ch->text, v) == 0) {
            memcpy((char *)c + k->off, &ch->value, sizeof ch->value);
            return 0;
        }
    return BAD_SYNTAX;
}

static int parse_scope(const struct key *k, struct omnizip_config *c, const char *v)
{
    long radius = 0;
    if (strcmp(v, "global") == 0) {
        c->similarity_scope = OMNIZIP_SCOPE_GLOBAL;
        c->scope_radius = 0;
        return 0;
    }
    if (strncmp(v, "window", 6) != 0)
        return BAD_SYNTAX;
    if (v[6] == ':') {
        if (!parse_long(v + 7, &radius) || v[7] == '+' || v[7] == '-')
            return BAD_SYNTAX;
        if (radius < k->lo || radius > k->hi)
            return BAD_RANGE;
    } else if (v[6]) {
        return BAD_SYNTAX;
    }
    c->similarity_scope = OMNIZIP_SCOPE_WINDOW;
    c->scope_radius = (int32_t)radius;
    return 0;
}

static double get_double(const struct omnizip_config *c, size_t off)
{
    double d;
    memcpy(&d, (const char *)c + off, sizeof d);
    return d;
}

static int32_t get_int(const struct omnizip_config *c, size_t off)
{
    int32_t i;
    memcpy(&i, (const char *)c + off, sizeof i);
    return i;
}

/* The shortest %g that reads back as the same double, so 0.3 shows as 0.3. */
static void format_ratio(const struct key *k, const struct omnizip_config *c, char *buf,
                         size_t size)
{
    double d = get_double(c, k->off);
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    snprintf(buf, size, "%s", tmp);
}

static void format_int(const struct key *k, const struct omnizip_config *c, char *buf, size_t size)
{
    snprintf(buf, size, "%d", (int)get_int(c, k->off));
}

static void format_seed(const struct key *k, const struct omnizip_config *c, char *buf, size_t size)
{
    uint64_t seed;
    memcpy(&seed, (const char *)c + k->off, sizeof seed);
    snprintf(buf, size, "%llu", (unsigned long long)seed);
}

static void format_choice(const struct key *k, const struct omnizip_config *c, char *buf,
                          size_t size)
{
    int32_t v = get_int(c, k->off);
    for (const struct choice *ch = k->choices; ch->text; ch++)
        if (ch->value == v) {
            snprintf(buf, size, "%s", ch->text);
            return;
        }
    snprintf(buf, size, "%d", (int)v);
}

static void format_scope(const struct key *k, const struct omnizip_config *c, char *buf,
                         size_t size)
{
    (void)k;
    if (c->similarity_scope == OMNIZIP_SCOPE_GLOBAL)
        snprintf(buf, size, "global");
    else if (c->scope_radius == 0)
        snprintf(buf, size, "window");
    else
        snprintf(buf, size, "window:%d", (int)c->scope_radius);
}

static const struct choice normalize_choices[] = {{"reference", OMNIZIP_NORMALIZE_REFERENCE},
                                                  {"exact", OMNIZIP_NORMALIZE_EXACT},
                                                  {NULL, 0}};
static const struct choice mode_choices[] = {{"reference", OMNIZIP_MODE_REFERENCE},
                                             {"streaming", OMNIZIP_MODE_STREAMING},
                                             {NULL, 0}};
static const struct choice backend_choices[] = {{"auto", OMNIZIP_BACKEND_AUTO},
                                                {"cpu", OMNIZIP_BACKEND_CPU},
                                                {"cuda", OMNIZIP_BACKEND_CUDA},
                                                {NULL, 0}};
static const struct choice telemetry_choices[] = {{"off", OMNIZIP_TELEMETRY_OFF},
                                                  {"shm", OMNIZIP_TELEMETRY_SHM},
                                                  {"false", OMNIZIP_TELEMETRY_OFF},
                                                  {"true", OMNIZIP_TELEMETRY_SHM},
                                                  {"on", OMNIZIP_TELEMETRY_SHM},
                                                  {NULL, 0}};
static const struct choice strategy_choices[] = {{"omnizip", OMNIZIP_STRATEGY_OMNIZIP},
                                                 {"random", OMNIZIP_STRATEGY_RANDOM},
                                                 {"uniform", OMNIZIP_STRATEGY_UNIFORM},
                                                 {"dycoke", OMNIZIP_STRATEGY_DYCOKE},
                                                 {NULL, 0}};

/* Left as written: clang-format 14 breaks a brace initialiser that opens with #arg. */
// clang-format off
#define RATIO(n, d) {#n, d, FIELD(n), 0, 0, "a number in [0, 1)", NULL, parse_ratio, format_ratio}
#define INT(n, d, lo, hi, ex) {#n, d, FIELD(n), lo, hi, ex, NULL, parse_int, format_int}
#define CHOICE(n, d, ch, ex) {#n, d, FIELD(n), 0, 0, ex, ch, parse_choice, format_choice}
// clang-format on

/* Defaults: docs/ALGORITHM.md's reference defaults. */
static const struct key keys[] = {
    RATIO(rho_audio, "0.5"),
    RATIO(rho_video, "0.5"),
    INT(g, "3", 0, INT32_MAX, "an integer >= 0"),
    RATIO(contextual_ratio, "0.05"),
    RATIO(rho_min, "0.35"),
    RATIO(rho_max, "0.75"),
    INT(dpc_k, "5", 1, INT32_MAX, "an integer >= 1"),
    CHOICE(normalize, "reference", normalize_choices, "reference or exact"),
    {"similarity_scope", "global", offsetof(struct omnizip_config, similarity_scope),
     offsetof(struct omnizip_config, scope_radius) + sizeof(int32_t) -
         offsetof(struct omnizip_config, similarity_scope),
     0, INT32_MAX, "global, window or window:K with an integer K >= 0", NULL, parse_scope,
     format_scope},
    CHOICE(mode, "reference", mode_choices, "reference or streaming"),
    CHOICE(backend, "auto", backend_choices, "auto, cpu or cuda"),
    INT(threads, "0", 0, 64, "an integer in [0, 64] (0 = one per core)"),
    CHOICE(telemetry, "off", telemetry_choices, "off or shm (or false/true/on)"),
    CHOICE(strategy, "omnizip", strategy_choices, "omnizip, random, uniform or dycoke"),
    {"seed", "0", FIELD(seed), 0, 0, "an unsigned 64-bit integer", NULL, parse_seed, format_seed},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

size_t oz_config_read_size(const struct omnizip_config *c)
{
    if (!c || c->struct_size < OZ_CONFIG_SIZE_1_0)
        return 0;
    return c->struct_size < sizeof *c ? c->struct_size : sizeof *c;
}

size_t oz_config_key_count(void)
{
    return N_KEYS;
}

const char *oz_config_key_name(size_t i)
{
    return i < N_KEYS ? keys[i].name : NULL;
}

int oz_config_key_index(const char *name)
{
    for (size_t i = 0; name && i < N_KEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

void oz_config_key_format(const struct omnizip_config *c, size_t i, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    if (i >= N_KEYS || !c) {
        buf[0] = '\0';
        return;
    }
    keys[i].format(&keys[i], c, buf, size);
}

void oz_config_default(struct omnizip_config *c)
{
    uint32_t size;
    size_t fill;
    if (!c)
        return;
    size = c->struct_size;
    fill = size < sizeof *c ? size : sizeof *c;
    if (fill < sizeof size)
        return;
    memset(c, 0, fill);
    c->struct_size = size;
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].off + keys[i].size <= fill)
            keys[i].parse(&keys[i], c, keys[i].dflt);
}

static void append(char *err, size_t size, const char *sep, const char *word)
{
    size_t used = strlen(err);
    if (used + 1 < size)
        snprintf(err + used, size - used, "%s%s", sep, word);
}

static void consider(const char *key, const char *name, const char **best, size_t *best_d)
{
    size_t dist = ozc_distance(key, name);
    if (dist < *best_d) {
        *best = name;
        *best_d = dist;
    }
}

void oz_config_unknown_key(const char *key, const char *const *extra, char *err, size_t err_size)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen(key);
    for (size_t i = 0; i < N_KEYS; i++)
        consider(key, keys[i].name, &best, &best_d);
    for (size_t i = 0; extra && extra[i]; i++)
        consider(key, extra[i], &best, &best_d);
    /* A suggestion that shares less than half the word is noise. */
    if (best && best_d <= (len > 4 ? len / 2 : 2)) {
        ozc_err(err, err_size, "unknown key '%s' (did you mean %s?)", key, best);
        return;
    }
    ozc_err(err, err_size, "unknown key '%s' (valid keys:", key);
    for (size_t i = 0; i < N_KEYS && err; i++)
        append(err, err_size, i ? ", " : " ", keys[i].name);
    for (size_t i = 0; extra && extra[i] && err; i++)
        append(err, err_size, ", ", extra[i]);
    append(err, err_size, ")", "");
}

omnizip_status oz_config_set(struct omnizip_config *c, const char *key, const char *value,
                             char *err, size_t err_size)
{
    struct omnizip_config tmp;
    const struct key *k;
    size_t have = oz_config_read_size(c);
    int i, bad;

    if (!c || !key || !value) {
        ozc_err(err, err_size, "config_set: NULL %s", !c ? "config" : !key ? "key" : "value");
        return OMNIZIP_E_INVALID;
    }
    if (have == 0) {
        ozc_err(err, err_size, "config_set: struct_size %u is below the 1.0 layout (%zu bytes)",
                (unsigned)c->struct_size, (size_t)OZ_CONFIG_SIZE_1_0);
        return OMNIZIP_E_INVALID;
    }
    i = oz_config_key_index(key);
    if (i < 0) {
        oz_config_unknown_key(key, NULL, err, err_size);
        return OMNIZIP_E_PROFILE;
    }
    k = &keys[i];
    if (k->off + k->size > have) {
        ozc_err(err, err_size, "%s: the caller's config (struct_size %u) predates this key",
                k->name, (unsigned)c->struct_size);
        return OMNIZIP_E_PROFILE;
    }
    /* An older caller's missing tail reads as the defaults. */
    tmp.struct_size = sizeof tmp;
    oz_config_default(&tmp);
    memcpy(&tmp, c, have);
    bad = k->parse(k, &tmp, value);
    if (bad == BAD_RANGE && k->parse == parse_ratio) {
        ozc_err(err, err_size, "%s: %s is out of range [0, 1)", k->name, value);
        return OMNIZIP_E_PROFILE;
    }
    if (bad) {
        ozc_err(err, err_size, "%s: expected %s, got '%s'", k->name, k->expect, value);
        return OMNIZIP_E_PROFILE;
    }
    memcpy((char *)c + k->off, (char *)&tmp + k->off, k->size);
    return OMNIZIP_OK;
}

/* A field set directly by a host is checked by formatting it and parsing the
 * text back through the same parser config_set uses. */
static int field_ok(const struct key *k, const struct omnizip_config *c)
{
    struct omnizip_config tmp = *c;
    char text[64];
    if (k->parse == parse_ratio)
        return get_double(c, k->off) >= 0.0 && get_double(c, k->off) < 1.0;
    if (k->parse == parse_scope && c->similarity_scope != OMNIZIP_SCOPE_GLOBAL &&
        c->similarity_scope != OMNIZIP_SCOPE_WINDOW)
        return 0;
    k->format(k, c, text, sizeof text);
    return k->parse(k, &tmp, text) == 0;
}

omnizip_status oz_config_check_blame(const struct omnizip_config *c, const unsigned *rank,
                                     size_t *bad, char *err, size_t err_size)
{
    struct omnizip_config full;
    size_t have = oz_config_read_size(c);
    char text[64];
    int lo, hi;

    if (!c || have == 0) {
        ozc_err(err, err_size, "config_check: %s",
                !c ? "NULL config" : "struct_size below the 1.0 layout");
        return OMNIZIP_E_INVALID;
    }
    /* An older caller's missing tail reads as the defaults. */
    full.struct_size = sizeof full;
    oz_config_default(&full);
    memcpy(&full, c, have);
    if (full.reserved0 || full.reserved1 || full.reserved2) {
        ozc_err(err, err_size, "config_check: reserved fields must be zero");
        return OMNIZIP_E_INVALID;
    }
    for (size_t i = 0; i < N_KEYS; i++)
        if (!field_ok(&keys[i], &full)) {
            keys[i].format(&keys[i], &full, text, sizeof text);
            if (keys[i].parse == parse_ratio)
                ozc_err(err, err_size, "%s: %s is out of range [0, 1)", keys[i].name, text);
            else
                ozc_err(err, err_size, "%s: expected %s, got '%s'", keys[i].name, keys[i].expect,
                        text);
            if (bad)
                *bad = i;
            return OMNIZIP_E_PROFILE;
        }
    if (full.rho_min > full.rho_max) {
        char lo_text[40], hi_text[40];
        lo = oz_config_key_index("rho_min");
        hi = oz_config_key_index("rho_max");
        keys[lo].format(&keys[lo], &full, lo_text, sizeof lo_text);
        keys[hi].format(&keys[hi], &full, hi_text, sizeof hi_text);
        ozc_err(err, err_size, "rho_min (%s) must not exceed rho_max (%s)", lo_text, hi_text);
        if (bad)
            *bad = (size_t)(rank && rank[hi] > rank[lo] ? hi : lo);
        return OMNIZIP_E_PROFILE;
    }
    /* A baseline's budget is OmniZip's over the whole clip: it has no causal
     * (streaming) form. */
    if (full.strategy != OMNIZIP_STRATEGY_OMNIZIP && full.mode == OMNIZIP_MODE_STREAMING) {
        int st = oz_config_key_index("strategy"), mo = oz_config_key_index("mode");
        char name[40];
        keys[st].format(&keys[st], &full, name, sizeof name);
        ozc_err(err, err_size,
                "strategy %s keeps OmniZip's whole-clip budget: it needs mode "
                "reference, not streaming",
                name);
        if (bad)
            *bad = (size_t)(rank && rank[mo] > rank[st] ? mo : st);
        return OMNIZIP_E_PROFILE;
    }
    return OMNIZIP_OK;
}

omnizip_status oz_config_check(const struct omnizip_config *c, char *err, size_t err_size)
{
    return oz_config_check_blame(c, NULL, NULL, err, err_size);
}
