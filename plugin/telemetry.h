/*
 * telemetry.h - the writer side of the shm telemetry ring
 * (include/omnizip/telemetry.h describes the layout). Called by plugin.c.
 *
 * One writer per ring: a context owns its ring and drives it from the thread
 * that drives the context. publish never blocks, waits or allocates.
 */
#ifndef OZ_PLUGIN_TELEMETRY_H
#define OZ_PLUGIN_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

#include <omnizip/omnizip.h>

struct oz_telemetry;

/* Creates "/omnizip-<pid>-<r>" (r: 16 random hex digits; mode 0600,
 * O_EXCL), sized for
 * OMNIZIP_TELEMETRY_CAPACITY records, and snapshots cfg. On failure *out is
 * untouched, nothing is left behind and err says why (OMNIZIP_E_IO or
 * OMNIZIP_E_NOMEM). */
omnizip_status oz_telemetry_open(struct oz_telemetry **out, const struct omnizip_config *cfg,
                                 char *err, size_t err_size);

/* A new clip starts with n_windows windows. NULL t is a no-op. */
void oz_telemetry_plan(struct oz_telemetry *t, uint32_t n_windows);

/* Appends one record to the ring, overwriting the oldest when full. NULL t is
 * a no-op. */
void oz_telemetry_publish(struct oz_telemetry *t, const struct omnizip_window_info *rec);

/* The shm_open name ("/omnizip-123-89abcdef01234567"), valid until close. */
const char *oz_telemetry_name(const struct oz_telemetry *t);

/* Marks the ring closed, unmaps and unlinks it and frees t. NULL is a no-op. */
void oz_telemetry_close(struct oz_telemetry *t);

#endif
