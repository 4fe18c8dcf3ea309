/*
 * ring.h - reading omnizip's shm telemetry rings (layout and protocol in
 * include/omnizip/telemetry.h): list the segments, check them, attach to
 * one, and pull new records, counting the ones a slow reader lost.
 *
 * Nothing in /dev/shm is trusted: a segment is opened without following
 * links and without blocking, and used only when it is a regular file of
 * this user with no group or other access whose size and header check out.
 * A segment that shrinks while attached (truncated by anyone) marks the ring
 * broken instead of killing the reader with SIGBUS: readers install a SIGBUS
 * handler for their own accesses to the mapping and pass every other SIGBUS
 * on to the default action.
 */
#ifndef OZ_INSPECT_RING_H
#define OZ_INSPECT_RING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <omnizip/telemetry.h>

/* A record as read from the ring, with the clip (plan) it belongs to. The
 * record is as the writer left it: callers validate it before use. */
struct ozi_ring_record {
    uint64_t clip;
    struct omnizip_window_info info;
};

enum ozi_session_state {
    OZ_SESSION_LIVE,  /* writer running */
    OZ_SESSION_ENDED, /* writer closed the ring */
    OZ_SESSION_STALE, /* this user's segment whose writer process is gone */
    OZ_SESSION_BAD    /* refused: see problem */
};

struct ozi_session_info {
    char name[80]; /* shm name, "/omnizip-123-89abcdef01234567" */
    enum ozi_session_state state;
    int32_t pid;
    uint64_t session;
    uint64_t started_ns;
    uint64_t head;
    uint32_t n_windows;
    char problem[160]; /* why a BAD segment was refused */
};

/* Checks a segment header against the 1.0 layout. base holds the segment's
 * first min(size, sizeof(struct omnizip_telemetry_header)) bytes (untrusted);
 * size is the whole segment's size. Returns 0 if usable, else -1 with the
 * problem in err. Pure: no I/O. */
int ozi_ring_check(const void *base, size_t size, char *err, size_t err_size);

struct ozi_ring;

/* Opens the segment named name (shm name, with or without the leading
 * slash; no other slash) with O_NOFOLLOW|O_NONBLOCK, checks the file (regular,
 * this user's, no group/other bits, size) and its header, then maps it
 * read-only. Returns 0, or -1 with "NAME: problem" in err. */
int ozi_ring_attach(struct ozi_ring **out, const char *name, char *err, size_t err_size);

void ozi_ring_detach(struct ozi_ring *r);

/* The header as copied and checked at attach (its changing fields are a
 * snapshot; use the accessors for their current values). */
const struct omnizip_telemetry_header *ozi_ring_header(const struct ozi_ring *r);
const char *ozi_ring_name(const struct ozi_ring *r);
/* 1 once the writer closed the ring, or the segment was truncated. */
int ozi_ring_closed(struct ozi_ring *r);
/* 1 once the segment shrank below its layout: nothing more is read. */
int ozi_ring_broken(const struct ozi_ring *r);
uint32_t ozi_ring_n_windows(struct ozi_ring *r);
uint64_t ozi_ring_clip(struct ozi_ring *r);
/* 1 while the writer process exists. */
int ozi_ring_writer_alive(const struct ozi_ring *r);

/* Copies up to max records published since the last call into out and
 * returns how many. Records the writer overwrote before they could be read
 * are added to *lost (saturating); every record is either returned or
 * counted once. */
size_t ozi_ring_read(struct ozi_ring *r, struct ozi_ring_record *out, size_t max, uint64_t *lost);

/* Lists every omnizip segment (/dev/shm/omnizip-*) into a new array in *out
 * (free() it), live ones first, then newest first; returns how many (0 with
 * *out NULL when there are none or memory ran out). */
size_t ozi_ring_list(struct ozi_session_info **out);

/* One line describing s ("stale segment /omnizip-123-... (pid 123 gone)"). */
void ozi_session_describe(const struct ozi_session_info *s, char *buf, size_t size);

/* Removes this user's stale segments (writer process gone), never another
 * user's, a live writer's or anything that is not a regular file; only
 * those of process pid unless pid is 0. Writes one line per removal (and per
 * failure) into report (may be NULL). Returns the number removed. */
size_t ozi_ring_clean(FILE *report, int32_t pid);

#endif
