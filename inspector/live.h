/*
 * live.h - the live source: list sessions, pick one, and feed its ring's
 * records into the model.
 */
#ifndef OZ_INSPECT_LIVE_H
#define OZ_INSPECT_LIVE_H

#include <stdio.h>

#include "model.h"
#include "ring.h"

struct ozi_live {
    struct ozi_ring *ring;
    uint64_t clip;
    int32_t pid;
    int ended;
};

/* Prints every segment (live, ended, stale, refused) to out; returns the
 * number listed. */
size_t ozi_live_list(FILE *out);

/* Attaches to the newest live session of pid (0: of any process) and sets
 * up m's title and config. Returns 0, or -1 with err. */
int ozi_live_open(struct ozi_live *l, long pid, struct ozi_model *m, char *err, size_t err_size);

/* Reads what the ring has; returns 1 when m changed. */
int ozi_live_poll(struct ozi_live *l, struct ozi_model *m);

void ozi_live_close(struct ozi_live *l);

#endif
