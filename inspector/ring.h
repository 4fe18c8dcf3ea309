/*
 * ring.h - reading omnizip's shm telemetry rings (layout and protocol in
 * include/omnizip/telemetry.h): list the segments, check them, attach to
 * one, and pull new records, counting the ones a slow reader lost.
 */
#ifndef OZ_INSPECT_RING_H
#define OZ_INSPECT_RING_H

#include <stddef.h>
#include <stdint.h>

#include <omnizip/telemetry.h>

/* A record as read from the ring, with the clip (plan) it belongs to. */
struct oz_ring_record {
    uint64_t clip;
    struct omnizip_window_info info;
};

enum oz_session_state {
    OZ_SESSION_LIVE,   /* writer running */
    OZ_SESSION_ENDED,  /* writer closed the ring */
    OZ_SESSION_STALE,  /* writer process gone without closing */
    OZ_SESSION_BAD     /* refused: see problem */
};

struct oz_session_info {
    char name[80]; /* shm name, "/omnizip-123-0" */
    enum oz_session_state state;
    int32_t pid;
    uint64_t session;
    uint64_t started_ns;
    uint64_t head;
    uint32_t n_windows;
    char problem[160]; /* why a BAD segment was refused */
};

/* Checks a segment image of size bytes (untrusted) against the 1.0 layout.
 * Returns 0 if usable, else -1 with the problem in err. Pure: no I/O. */
int oz_ring_check(const void *base, size_t size, char *err, size_t err_size);

struct oz_ring;

/* Opens and maps the segment named name (shm name, with or without the
 * leading slash) read-only and checks it. Returns 0, or -1 with
 * "NAME: problem" in err. */
int oz_ring_attach(struct oz_ring **out, const char *name, char *err, size_t err_size);

void oz_ring_detach(struct oz_ring *r);

/* The header as mapped (constant fields only are meaningful to read
 * directly; use the accessors for the changing ones). */
const struct omnizip_telemetry_header *oz_ring_header(const struct oz_ring *r);
const char *oz_ring_name(const struct oz_ring *r);
int oz_ring_closed(const struct oz_ring *r);
uint32_t oz_ring_n_windows(const struct oz_ring *r);
uint64_t oz_ring_clip(const struct oz_ring *r);
/* 1 while the writer process exists. */
int oz_ring_writer_alive(const struct oz_ring *r);

/* Copies up to max records published since the last call into out and
 * returns how many. Records the writer overwrote before they could be read
 * are added to *lost; every record is either returned or counted once. */
size_t oz_ring_read(struct oz_ring *r, struct oz_ring_record *out, size_t max, uint64_t *lost);

/* Lists the omnizip segments (/dev/shm/omnizip-*) into out[0..max), newest
 * first; returns how many were filled. */
size_t oz_ring_list(struct oz_session_info *out, size_t max);

/* One line describing s ("stale segment /omnizip-123-0 (pid 123 gone)"). */
void oz_session_describe(const struct oz_session_info *s, char *buf, size_t size);

#endif
