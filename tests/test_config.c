/* The configuration key table: defaults, every key's good and bad values
 * with their exact messages, struct_size handling, closest-key hints. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static struct omnizip_config fresh(void)
{
    struct omnizip_config c;
    memset(&c, 0xAB, sizeof c);
    c.struct_size = sizeof c;
    oz_config_default(&c);
    return c;
}

/* Sets key=value on a default config and returns the status; err gets the message. */
static omnizip_status set(struct omnizip_config *c, const char *key, const char *value, char *err)
{
    err[0] = '\0';
    return oz_config_set(c, key, value, err, 256);
}

static void expect_error(const char *key, const char *value, const char *want)
{
    struct omnizip_config c = fresh(), before = fresh();
    char err[256];
    cr_assert_eq(set(&c, key, value, err), OMNIZIP_E_PROFILE, "%s=%s accepted", key, value);
    cr_assert_str_eq(err, want);
    cr_assert_eq(memcmp(&c, &before, sizeof c), 0, "%s=%s changed the config", key, value);
}

Test(config, defaults_are_the_reference_defaults)
{
    struct omnizip_config c = fresh();
    char err[256];
    cr_assert_eq(c.struct_size, sizeof c);
    cr_assert_eq(c.reserved0, 0);
    cr_assert_eq(c.reserved1, 0);
    cr_assert_eq(c.rho_audio, 0.5);
    cr_assert_eq(c.rho_video, 0.5);
    cr_assert_eq(c.g, 3);
    cr_assert_eq(c.contextual_ratio, 0.05);
    cr_assert_eq(c.rho_min, 0.35);
    cr_assert_eq(c.rho_max, 0.75);
    cr_assert_eq(c.dpc_k, 5);
    cr_assert_eq(c.normalize, OMNIZIP_NORMALIZE_REFERENCE);
    cr_assert_eq(c.similarity_scope, OMNIZIP_SCOPE_GLOBAL);
    cr_assert_eq(c.scope_radius, 0);
    cr_assert_eq(c.mode, OMNIZIP_MODE_REFERENCE);
    cr_assert_eq(c.backend, OMNIZIP_BACKEND_AUTO);
    cr_assert_eq(c.threads, 0);
    cr_assert_eq(c.telemetry, OMNIZIP_TELEMETRY_OFF);
    cr_assert_eq(oz_config_check(&c, err, sizeof err), OMNIZIP_OK, "%s", err);
}

/* Doubles must be exactly what strtod reads: counts depend on them. */
Test(config, ratios_parse_exactly_as_strtod)
{
    const char *texts[] = {"0.6",  "0.3",
                           "0.55", ".5",
                           "0",    "0.999999999999999",
                           "6e-1", "0.1234567890123456789"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct omnizip_config c = fresh();
        char err[256];
        cr_assert_eq(set(&c, "rho_video", texts[i], err), OMNIZIP_OK, "%s: %s", texts[i], err);
        cr_assert_eq(c.rho_video, strtod(texts[i], NULL), "%s", texts[i]);
    }
}

Test(config, every_key_takes_good_values)
{
    struct omnizip_config c = fresh();
    char err[256];
    cr_assert_eq(set(&c, "rho_audio", "0.3", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "contextual_ratio", "0.1", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "rho_min", "0.2", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "rho_max", "0", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "g", "15", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "g", "0", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "dpc_k", "1", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "normalize", "exact", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "mode", "streaming", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "backend", "cuda", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "threads", "64", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(set(&c, "telemetry", "on", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.rho_audio, 0.3);
    cr_assert_eq(c.contextual_ratio, 0.1);
    cr_assert_eq(c.rho_min, 0.2);
    cr_assert_eq(c.rho_max, 0.0);
    cr_assert_eq(c.g, 0);
    cr_assert_eq(c.dpc_k, 1);
    cr_assert_eq(c.normalize, OMNIZIP_NORMALIZE_EXACT);
    cr_assert_eq(c.mode, OMNIZIP_MODE_STREAMING);
    cr_assert_eq(c.backend, OMNIZIP_BACKEND_CUDA);
    cr_assert_eq(c.threads, 64);
    cr_assert_eq(c.telemetry, OMNIZIP_TELEMETRY_SHM);
    cr_assert_eq(set(&c, "telemetry", "false", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.telemetry, OMNIZIP_TELEMETRY_OFF);
    cr_assert_eq(set(&c, "telemetry", "true", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.telemetry, OMNIZIP_TELEMETRY_SHM);
}

Test(config, similarity_scope_sets_scope_and_radius)
{
    struct omnizip_config c = fresh();
    char err[256];
    cr_assert_eq(set(&c, "similarity_scope", "window:4", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.similarity_scope, OMNIZIP_SCOPE_WINDOW);
    cr_assert_eq(c.scope_radius, 4);
    cr_assert_eq(set(&c, "similarity_scope", "window", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.scope_radius, 0);
    cr_assert_eq(set(&c, "similarity_scope", "window:0", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.similarity_scope, OMNIZIP_SCOPE_WINDOW);
    cr_assert_eq(set(&c, "similarity_scope", "global", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(c.similarity_scope, OMNIZIP_SCOPE_GLOBAL);
    cr_assert_eq(c.scope_radius, 0);
}

Test(config, bad_numbers_are_refused_with_exact_messages)
{
    expect_error("rho_audio", "1.5", "rho_audio: 1.5 is out of range [0, 1)");
    expect_error("rho_audio", "1", "rho_audio: 1 is out of range [0, 1)");
    expect_error("rho_video", "-0.1", "rho_video: -0.1 is out of range [0, 1)");
    expect_error("rho_max", "1e999", "rho_max: 1e999 is out of range [0, 1)");
    expect_error("rho_audio", "0.3x", "rho_audio: expected a number in [0, 1), got '0.3x'");
    expect_error("rho_audio", "", "rho_audio: expected a number in [0, 1), got ''");
    expect_error("rho_audio", "nan", "rho_audio: expected a number in [0, 1), got 'nan'");
    expect_error("rho_audio", "inf", "rho_audio: expected a number in [0, 1), got 'inf'");
    expect_error("rho_audio", "0x0.8", "rho_audio: expected a number in [0, 1), got '0x0.8'");
    expect_error("rho_audio", " 0.3", "rho_audio: expected a number in [0, 1), got ' 0.3'");
    expect_error("contextual_ratio", "0.3 ",
                 "contextual_ratio: expected a number in [0, 1), got '0.3 '");
    expect_error("g", "x", "g: expected an integer >= 0, got 'x'");
    expect_error("g", "-1", "g: expected an integer >= 0, got '-1'");
    expect_error("g", "3.0", "g: expected an integer >= 0, got '3.0'");
    expect_error("g", "99999999999", "g: expected an integer >= 0, got '99999999999'");
    expect_error("dpc_k", "0", "dpc_k: expected an integer >= 1, got '0'");
    expect_error("threads", "65",
                 "threads: expected an integer in [0, 64] (0 = one per core), got '65'");
}

Test(config, bad_words_are_refused_with_exact_messages)
{
    expect_error("normalize", "fast", "normalize: expected reference or exact, got 'fast'");
    expect_error("mode", "Reference", "mode: expected reference or streaming, got 'Reference'");
    expect_error("backend", "gpu", "backend: expected auto, cpu or cuda, got 'gpu'");
    expect_error("telemetry", "yes",
                 "telemetry: expected off or shm (or false/true/on), got 'yes'");
    expect_error("similarity_scope", "window:-1",
                 "similarity_scope: expected global, window or window:K with an integer K >= 0, "
                 "got 'window:-1'");
    expect_error("similarity_scope", "window:",
                 "similarity_scope: expected global, window or window:K with an integer K >= 0, "
                 "got 'window:'");
    expect_error("similarity_scope", "windows",
                 "similarity_scope: expected global, window or window:K with an integer K >= 0, "
                 "got 'windows'");
}

Test(config, unknown_keys_name_the_closest)
{
    expect_error("rhoaudio", "0.3", "unknown key 'rhoaudio' (did you mean rho_audio?)");
    expect_error("rho_vidoe", "0.3", "unknown key 'rho_vidoe' (did you mean rho_video?)");
    expect_error("G", "3", "unknown key 'G' (did you mean g?)");
    expect_error("thread", "3", "unknown key 'thread' (did you mean threads?)");
    expect_error("scope", "global",
                 "unknown key 'scope' (valid keys: rho_audio, rho_video, g, contextual_ratio, "
                 "rho_min, rho_max, dpc_k, normalize, similarity_scope, mode, backend, threads, "
                 "telemetry, strategy, seed)");
    /* Profile-only words are not config_set keys, and a far match is no hint. */
    expect_error("extends", "x",
                 "unknown key 'extends' (valid keys: rho_audio, rho_video, g, contextual_ratio, "
                 "rho_min, rho_max, dpc_k, normalize, similarity_scope, mode, backend, threads, "
                 "telemetry, strategy, seed)");
}

Test(config, check_catches_min_above_max_and_direct_writes)
{
    struct omnizip_config c = fresh();
    char err[256];
    cr_assert_eq(set(&c, "rho_min", "0.8", err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(oz_config_check(&c, err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert_str_eq(err, "rho_min (0.8) must not exceed rho_max (0.75)");
    c = fresh();
    c.g = -2;
    cr_assert_eq(oz_config_check(&c, err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert_str_eq(err, "g: expected an integer >= 0, got '-2'");
    c = fresh();
    c.rho_video = NAN;
    cr_assert_eq(oz_config_check(&c, err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert_str_eq(err, "rho_video: nan is out of range [0, 1)");
    c = fresh();
    c.backend = 7;
    cr_assert_eq(oz_config_check(&c, err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert_str_eq(err, "backend: expected auto, cpu or cuda, got '7'");
    c = fresh();
    c.similarity_scope = 5;
    cr_assert_eq(oz_config_check(&c, err, sizeof err), OMNIZIP_E_PROFILE);
}

Test(config, default_fills_only_what_struct_size_covers)
{
    unsigned char buf[sizeof(struct omnizip_config) + 32];
    struct omnizip_config *c = (struct omnizip_config *)(void *)buf;
    size_t part = offsetof(struct omnizip_config, g);

    memset(buf, 0xAB, sizeof buf);
    c->struct_size = (uint32_t)part;
    oz_config_default(c);
    cr_assert_eq(c->struct_size, part);
    cr_assert_eq(c->rho_max, 0.75);
    for (size_t i = part; i < sizeof buf; i++)
        cr_assert_eq(buf[i], 0xAB, "byte %zu past struct_size written", i);

    /* A newer host's larger struct: the known part filled, its tail untouched. */
    memset(buf, 0xAB, sizeof buf);
    c->struct_size = sizeof buf;
    oz_config_default(c);
    cr_assert_eq(c->telemetry, OMNIZIP_TELEMETRY_OFF);
    cr_assert_eq(c->reserved1, 0);
    for (size_t i = sizeof *c; i < sizeof buf; i++)
        cr_assert_eq(buf[i], 0xAB, "unknown tail byte %zu written", i);
    cr_assert_eq(oz_config_read_size(c), sizeof *c);
}

Test(config, struct_size_below_the_first_layout_is_refused)
{
    unsigned char buf[sizeof(struct omnizip_config) + 32];
    struct omnizip_config *c = (struct omnizip_config *)(void *)buf;
    char err[256];

    cr_assert_eq(OZ_CONFIG_SIZE_1_0, offsetof(struct omnizip_config, strategy));
    memset(buf, 0, sizeof buf);
    c->struct_size = (uint32_t)(OZ_CONFIG_SIZE_1_0 - 4);
    cr_assert_eq(oz_config_read_size(c), 0);
    cr_assert_eq(oz_config_set(c, "g", "4", err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert(strstr(err, "struct_size") != NULL, "%s", err);
    cr_assert_eq(c->g, 0);
    cr_assert_eq(oz_config_check(c, err, sizeof err), OMNIZIP_E_INVALID);

    memset(buf, 0xCD, sizeof buf);
    c->struct_size = sizeof buf;
    oz_config_default(c);
    cr_assert_eq(oz_config_set(c, "g", "4", err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(c->g, 4);
    cr_assert_eq(buf[sizeof *c], 0xCD);
    cr_assert_eq(oz_config_check(c, err, sizeof err), OMNIZIP_OK, "%s", err);
}

Test(config, null_arguments_and_tiny_buffers_are_safe)
{
    struct omnizip_config c = fresh();
    char err[8];
    oz_config_default(NULL);
    cr_assert_eq(oz_config_set(NULL, "g", "1", err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_eq(oz_config_set(&c, NULL, "1", err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_eq(oz_config_set(&c, "g", NULL, NULL, 0), OMNIZIP_E_INVALID);
    cr_assert_eq(oz_config_set(&c, "rho_audio", "7", err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert_str_eq(err, "rho_aud");
    cr_assert_eq(oz_config_set(&c, "rho_audio", "7", err, 1), OMNIZIP_E_PROFILE);
    cr_assert_str_eq(err, "");
    cr_assert_eq(oz_config_check(NULL, NULL, 0), OMNIZIP_E_INVALID);
}

Test(config, format_reads_back_to_the_same_value)
{
    struct omnizip_config c = fresh(), back = fresh();
    char text[64], err[256];
    cr_assert_eq(set(&c, "rho_video", "0.6", err), OMNIZIP_OK);
    cr_assert_eq(set(&c, "similarity_scope", "window:3", err), OMNIZIP_OK);
    cr_assert_eq(set(&c, "telemetry", "on", err), OMNIZIP_OK);
    for (size_t i = 0; i < oz_config_key_count(); i++) {
        oz_config_key_format(&c, i, text, sizeof text);
        cr_assert_eq(set(&back, oz_config_key_name(i), text, err), OMNIZIP_OK, "%s", err);
    }
    cr_assert_eq(memcmp(&c, &back, sizeof c), 0);
    oz_config_key_format(&c, (size_t)oz_config_key_index("rho_video"), text, sizeof text);
    cr_assert_str_eq(text, "0.6");
    oz_config_key_format(&c, (size_t)oz_config_key_index("similarity_scope"), text, sizeof text);
    cr_assert_str_eq(text, "window:3");
    oz_config_key_format(&c, (size_t)oz_config_key_index("telemetry"), text, sizeof text);
    cr_assert_str_eq(text, "shm");
}
