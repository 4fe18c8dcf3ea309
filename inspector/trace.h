/*
 * trace.h - reading the JSON-lines traces that omnizip-run --trace writes
 * (format: one header object, one object per window, a summary) into the
 * model. Unknown keys and types are ignored; a bad line becomes a model
 * message ("line 17: bad record: ...") and the rest is still read.
 */
#ifndef OZ_INSPECT_TRACE_H
#define OZ_INSPECT_TRACE_H

#include <stddef.h>

#include "model.h"

/* Applies one line (len bytes, no newline needed) to m. Returns 0 when the
 * line was used or ignored as unknown, -1 when it is bad (why says how). */
int ozi_trace_line(struct ozi_model *m, const char *line, size_t len, char *why, size_t why_size);

/* Reads the whole file at path into m (records are not yet shown: the
 * caller reveals them by setting m->n_shown). Returns 0, or -1 with
 * "PATH: problem" in err when the file cannot be read at all. */
int ozi_trace_load(struct ozi_model *m, const char *path, char *err, size_t err_size);

#endif
