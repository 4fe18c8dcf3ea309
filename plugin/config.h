/*
 * config.h - the configuration keys (one table in config.c) and YAML
 * profiles (profile.c), behind the table members config_default,
 * config_set, config_check and profile_load.
 */
#ifndef OZ_CONFIG_H
#define OZ_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "omnizip/omnizip.h"

/* The 1.0 layout: a caller's struct_size below this is refused. */
#define OZ_CONFIG_SIZE_1_0 (offsetof(struct omnizip_config, reserved1) + sizeof(uint32_t))

/* Fills the fields that fit in c->struct_size with the reference defaults
 * and zeroes the reserved ones; struct_size itself is kept. */
void oz_config_default(struct omnizip_config *c);

/* Sets one key from its text form; OMNIZIP_E_PROFILE on a bad key or value,
 * OMNIZIP_E_INVALID on a NULL or a struct_size below the 1.0 layout. On
 * failure *c is untouched and err says why. */
omnizip_status oz_config_set(struct omnizip_config *c, const char *key, const char *value,
                             char *err, size_t err_size);

/* Checks every field's range and rho_min <= rho_max. */
omnizip_status oz_config_check(const struct omnizip_config *c, char *err, size_t err_size);

/* Loads the profile at path (and its extends chain) on top of *c; see
 * omnizip.h. search_path is colon-separated and may be NULL. */
omnizip_status oz_profile_load(const char *path, const char *search_path, struct omnizip_config *c,
                               omnizip_key_fn on_key, void *user, char *err, size_t err_size);

/* The number of bytes of *c the plugin may read: 0 when struct_size is below
 * the 1.0 layout, else min(struct_size, sizeof(struct omnizip_config)). */
size_t oz_config_read_size(const struct omnizip_config *c);

/* ---- the key table, for profile.c ---------------------------------- */

/* The number of keys, and key i's name (table order). */
size_t oz_config_key_count(void);
const char *oz_config_key_name(size_t i);

/* The index of key name, or -1 when no key has that name. */
int oz_config_key_index(const char *name);

/* Key i's value in *c, in canonical text (doubles in the shortest form that
 * reads back to the same double). */
void oz_config_key_format(const struct omnizip_config *c, size_t i, char *buf, size_t size);

/* Writes "unknown key 'KEY' (did you mean NAME?)" into err; extra (may be
 * NULL, NULL-terminated) adds candidate names beyond the table's keys. */
void oz_config_unknown_key(const char *key, const char *const *extra, char *err, size_t err_size);

/* As oz_config_check; on a failure *bad (may be NULL) gets the index of the
 * key to blame. For rho_min > rho_max that is whichever of the two has the
 * higher rank[i] (rank: one entry per key, e.g. the order keys were set in;
 * may be NULL, then rho_min). */
omnizip_status oz_config_check_blame(const struct omnizip_config *c, const unsigned *rank,
                                     size_t *bad, char *err, size_t err_size);

/* ---- profile files, read by profile_parse.c for profile.c ---------- */

/* Upper bound on table keys. Unknown and duplicate keys are refused, so a
 * file holds at most every key plus extends and description. */
#define OZ_CONFIG_MAX_KEYS 64
#define OZ_PROFILE_MAX_ENTRIES (OZ_CONFIG_MAX_KEYS + 2)

/* One key: value of a profile, 1-based positions of the key and the value. */
struct oz_profile_entry {
    char *key, *value;
    int kline, kcol, vline, vcol;
};

struct oz_profile_doc {
    struct oz_profile_entry e[OZ_PROFILE_MAX_ENTRIES];
    size_t n;
};

/* Reads the file at path into *d: a flat mapping of known, unique keys with
 * scalar values (values are not checked here). On failure d holds nothing
 * and err gets "PATH:LINE:COL: problem"; OMNIZIP_E_IO when the file cannot
 * be read. Free a loaded doc's strings with oz_profile_doc_free. */
omnizip_status oz_profile_read(const char *path, struct oz_profile_doc *d, char *err,
                               size_t err_size);
void oz_profile_doc_free(struct oz_profile_doc *d);

#endif
