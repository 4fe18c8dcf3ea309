/*
 * telemetry.h - the layout of omnizip's shared-memory telemetry ring, for
 * readers such as omnizip-inspect (the plugin is the only writer).
 *
 * A context created with telemetry = OMNIZIP_TELEMETRY_SHM creates a POSIX
 * shared-memory object named "/omnizip-<pid>-<r>" (r: 16 random hex digits,
 * so no other user can create the name first; created exclusively, mode
 * 0600) that lives until the context is destroyed. On Linux it shows as
 * /dev/shm/omnizip-<pid>-<r>. A reader trusts a segment only when it is a
 * regular file (not a link) owned by the reading user with no group or other
 * permission bits, and its size and header check out.
 *
 * The object is one struct omnizip_telemetry_header (header_size bytes)
 * followed by capacity slots of slot_size bytes each. Record k (0-based,
 * counted since the segment was created) lives in slot k & (capacity - 1).
 *
 * Concurrency, without C11 _Atomic types so the header stays C99 and C++:
 * every field the writer changes after creation (head, closed, clip,
 * n_windows, each slot's seq, clip and record words) is accessed with the GCC
 * __atomic builtins on naturally aligned 32/64-bit words. The single writer
 * never blocks or waits; per slot it runs a seqlock:
 *   slot.seq = 2k+1 (odd: being written), record words, slot.seq = 2k+2,
 *   head = k+1 (release).
 * A reader that wants record k loads slot.seq (acquire); the record is
 * complete only if it equals 2k+2 both before and after copying the words.
 * A smaller value means not yet written; a larger one means the writer has
 * lapped the reader: record k is lost and must be counted as such. A reader
 * at position p with head h has lost max(0, h - p - capacity) records.
 *
 * Readers must check magic, version, header_size, record_size, slot_size,
 * capacity and the object's size before touching a slot, and treat every
 * value read from the segment as untrusted.
 *
 * Versioning: fields are only appended; header_size and record_size say how
 * much the writer wrote. A reader accepts larger sizes from a newer writer
 * of the same version and refuses another version. [1.0]
 */
#ifndef OMNIZIP_TELEMETRY_H
#define OMNIZIP_TELEMETRY_H

#include <omnizip/omnizip.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The first 8 bytes of a segment, no terminating NUL. [1.0] */
#define OMNIZIP_TELEMETRY_MAGIC "OMNIZIPT"
#define OMNIZIP_TELEMETRY_MAGIC_LEN 8u
/* The layout version this header describes. [1.0] */
#define OMNIZIP_TELEMETRY_VERSION 1u
/* Name prefix of every segment (shm_open name; /dev/shm/omnizip-...). [1.0] */
#define OMNIZIP_TELEMETRY_PREFIX "/omnizip-"
/* Slots a writer allocates, and the most a reader accepts. Powers of two. [1.0] */
#define OMNIZIP_TELEMETRY_CAPACITY 1024u
#define OMNIZIP_TELEMETRY_CAPACITY_MAX (1u << 20)
/* The largest header_size and record_size a reader accepts. [1.0] */
#define OMNIZIP_TELEMETRY_HEADER_MAX 4096u
#define OMNIZIP_TELEMETRY_RECORD_MAX 4096u

/* The segment header. Fields marked (atomic) change while the writer runs.
 * [1.0] */
struct omnizip_telemetry_header {
    char magic[8];        /* OMNIZIP_TELEMETRY_MAGIC */
    uint32_t version;     /* OMNIZIP_TELEMETRY_VERSION */
    uint32_t header_size; /* bytes before slot 0 (>= sizeof this struct) */
    uint32_t record_size; /* bytes of the record in a slot (>= 104 in 1.0) */
    uint32_t slot_size;   /* bytes per slot: 16 + record_size, a multiple of 8 */
    uint32_t capacity;    /* slots, a power of two */
    int32_t writer_pid;   /* the process that writes the ring */
    uint64_t session;     /* r of the name "/omnizip-<pid>-<r>" */
    uint64_t started_ns;  /* CLOCK_REALTIME at creation, nanoseconds */
    uint64_t head;        /* (atomic) records published so far */
    uint32_t closed;      /* (atomic) 1 once the writer has closed the ring */
    uint32_t n_windows;   /* (atomic) windows of the current plan */
    uint64_t clip;        /* (atomic) plans started so far (0: none yet) */
    /* The context's config at creation. */
    double rho_audio;
    double rho_video;
    double rho_min;
    double rho_max;
    double contextual_ratio;
    int32_t g;
    int32_t dpc_k;
    /* [1.2] The context's mode (OMNIZIP_MODE_*). In mode streaming n_windows
     * stays 0, and audio_target is the cumulative kept audio fraction the
     * budget controller steers to (what the offline method keeps; the video
     * one is 1 - rho_video); 0 otherwise. The header stays 128 bytes. */
    int32_t mode;
    float audio_target;
};

/* One slot. seq and clip are (atomic); record is copied word by word with
 * relaxed atomic 64-bit accesses between the two seq stores. [1.0] */
struct omnizip_telemetry_slot {
    uint64_t seq;  /* 2k+1 while record k is written, 2k+2 once complete */
    uint64_t clip; /* the header's clip when record k was published */
    struct omnizip_window_info record;
};

#ifdef __cplusplus
}
#endif
#endif
