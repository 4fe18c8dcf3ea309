/*
 * ring_reader.c - attach to, check and read telemetry rings. Every value in a
 * segment comes from another process: the file is checked before it is
 * mapped, sizes and counts before use, a slot is trusted only when its
 * seqlock agrees, and every access to the mapping runs under a SIGBUS guard
 * so that a segment truncated under us ends the session instead of the
 * process.
 */
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring_file.h"

#define RECORD_WORDS (sizeof(struct omnizip_window_info) / sizeof(uint64_t))
#define SLOT_PREFIX 16u /* seq + clip before the record */

struct ozi_ring {
    char name[80];
    int fd;
    const unsigned char *base;
    size_t size;
    struct omnizip_telemetry_header hdr; /* copied and checked at attach */
    uint64_t pos;                        /* next record to read */
    int broken;                          /* the segment shrank: read nothing more */
};

int ozi_ring_check(const void *base, size_t size, char *err, size_t err_size)
{
    struct omnizip_telemetry_header h;
    if (size < sizeof(h)) {
        snprintf(err, err_size, "truncated segment (%zu bytes, header needs %zu)", size, sizeof(h));
        return -1;
    }
    memcpy(&h, base, sizeof(h));
    static const char zero[OMNIZIP_TELEMETRY_MAGIC_LEN];
    if (memcmp(h.magic, zero, sizeof(zero)) == 0) {
        snprintf(err, err_size, "segment not initialised yet");
        return -1;
    }
    if (memcmp(h.magic, OMNIZIP_TELEMETRY_MAGIC, OMNIZIP_TELEMETRY_MAGIC_LEN) != 0) {
        snprintf(err, err_size, "bad magic (not an omnizip telemetry segment)");
        return -1;
    }
    if (h.version != OMNIZIP_TELEMETRY_VERSION) {
        snprintf(err, err_size, "telemetry version %u (this reader knows %u)", h.version,
                 OMNIZIP_TELEMETRY_VERSION);
        return -1;
    }
    if (h.header_size < sizeof(h) || h.header_size > OMNIZIP_TELEMETRY_HEADER_MAX ||
        h.header_size % 8) {
        snprintf(err, err_size, "bad header size %u", h.header_size);
        return -1;
    }
    if (h.record_size < sizeof(struct omnizip_window_info) ||
        h.record_size > OMNIZIP_TELEMETRY_RECORD_MAX || h.record_size % 8) {
        snprintf(err, err_size, "bad record size %u (want %zu..%u, a multiple of 8)", h.record_size,
                 sizeof(struct omnizip_window_info), OMNIZIP_TELEMETRY_RECORD_MAX);
        return -1;
    }
    if (h.slot_size != SLOT_PREFIX + h.record_size) {
        snprintf(err, err_size, "bad slot size %u (want %u)", h.slot_size,
                 SLOT_PREFIX + h.record_size);
        return -1;
    }
    uint32_t cap = h.capacity;
    if (cap == 0 || (cap & (cap - 1)) || cap > OMNIZIP_TELEMETRY_CAPACITY_MAX) {
        snprintf(err, err_size, "bad capacity %u (want a power of two <= %u)", cap,
                 OMNIZIP_TELEMETRY_CAPACITY_MAX);
        return -1;
    }
    uint64_t need = (uint64_t)h.header_size + (uint64_t)cap * h.slot_size;
    if (need > size) {
        snprintf(err, err_size, "truncated segment (%zu bytes, layout needs %llu)", size,
                 (unsigned long long)need);
        return -1;
    }
    return 0;
}

/* The SIGBUS guard: a thread that touches a mapping points bus_jump at its
 * jump buffer for the duration; a SIGBUS anywhere else takes the default
 * action, as if no handler were installed. */
static __thread sigjmp_buf *bus_jump;

static void on_sigbus(int sig)
{
    if (bus_jump)
        siglongjmp(*bus_jump, 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_guard(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}

/* Runs fn(r, arg) with the mapping guarded; -1 (and r->broken) when the
 * segment was truncated under it. */
static int guarded(struct ozi_ring *r, void (*fn)(struct ozi_ring *, void *), void *arg)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_guard);
    if (r->broken)
        return -1;
    struct stat st;
    if (fstat(r->fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size < r->size) {
        r->broken = 1;
        return -1;
    }
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1)) {
        bus_jump = NULL;
        r->broken = 1;
        return -1;
    }
    bus_jump = &jb;
    fn(r, arg);
    bus_jump = NULL;
    return 0;
}

static void copy_header(struct ozi_ring *r, void *arg)
{
    memcpy(arg, r->base, sizeof(r->hdr));
}

static int map_segment(struct ozi_ring *r, char *why, size_t n)
{
    void *map = mmap(NULL, r->size, PROT_READ, MAP_SHARED, r->fd, 0);
    if (map == MAP_FAILED) {
        snprintf(why, n, "mmap: %s", strerror(errno));
        return -1;
    }
    r->base = map;
    /* Checked again as mapped: the file could have changed since the check
     * made before mapping. The copy is all we read of the header's constants. */
    struct omnizip_telemetry_header h;
    if (guarded(r, copy_header, &h) != 0) {
        snprintf(why, n, "truncated while attaching");
        return -1;
    }
    if (ozi_ring_check(&h, r->size, why, n) != 0)
        return -1;
    r->hdr = h;
    return 0;
}

static const char *bare(const char *name)
{
    return name[0] == '/' ? name + 1 : name;
}

int ozi_ring_attach(struct ozi_ring **out, const char *name, char *err, size_t err_size)
{
    char shm_name[80], why[200];
    if (strlen(bare(name)) + 2 > sizeof(shm_name) || strchr(bare(name), '/') || !*bare(name)) {
        snprintf(err, err_size, "%s: not a segment name", name);
        return -1;
    }
    snprintf(shm_name, sizeof(shm_name), "/%s", bare(name));
    struct ozi_ring *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, err_size, "%s: out of memory", shm_name);
        return -1;
    }
    snprintf(r->name, sizeof(r->name), "%s", shm_name);
    uint64_t size = 0;
    r->fd = ozi_ring_file_open(shm_name, &size, why, sizeof(why));
    if (r->fd >= 0) {
        r->size = (size_t)size;
        if (map_segment(r, why, sizeof(why)) == 0) {
            *out = r;
            return 0;
        }
    }
    snprintf(err, err_size, "%s: %s", shm_name, why);
    ozi_ring_detach(r);
    return -1;
}

void ozi_ring_detach(struct ozi_ring *r)
{
    if (!r)
        return;
    if (r->base)
        munmap((void *)r->base, r->size);
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}

const struct omnizip_telemetry_header *ozi_ring_header(const struct ozi_ring *r)
{
    return &r->hdr;
}

const char *ozi_ring_name(const struct ozi_ring *r)
{
    return r->name;
}

int ozi_ring_broken(const struct ozi_ring *r)
{
    return r->broken;
}

/* The header's changing fields, loaded as the protocol says. */
struct live_fields {
    uint64_t head, clip;
    uint32_t closed, n_windows;
};

static void load_live(struct ozi_ring *r, void *arg)
{
    const struct omnizip_telemetry_header *h = (const void *)r->base;
    struct live_fields *f = arg;
    f->closed = __atomic_load_n(&h->closed, __ATOMIC_ACQUIRE);
    f->n_windows = __atomic_load_n(&h->n_windows, __ATOMIC_RELAXED);
    f->clip = __atomic_load_n(&h->clip, __ATOMIC_ACQUIRE);
    f->head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
}

static int live(struct ozi_ring *r, struct live_fields *f)
{
    memset(f, 0, sizeof(*f));
    return guarded(r, load_live, f);
}

int ozi_ring_closed(struct ozi_ring *r)
{
    struct live_fields f;
    return live(r, &f) != 0 || f.closed != 0;
}

uint32_t ozi_ring_n_windows(struct ozi_ring *r)
{
    struct live_fields f;
    live(r, &f);
    return f.n_windows;
}

uint64_t ozi_ring_clip(struct ozi_ring *r)
{
    struct live_fields f;
    live(r, &f);
    return f.clip;
}

int ozi_ring_writer_alive(const struct ozi_ring *r)
{
    return ozi_ring_pid_alive(r->hdr.writer_pid);
}

struct slot_read {
    uint64_t pos;
    struct ozi_ring_record *rec;
    int got; /* 1: copied; 0: not published yet; -1: overwritten (lost) */
};

static void read_slot(struct ozi_ring *r, void *arg)
{
    struct slot_read *s = arg;
    const unsigned char *slot = r->base + r->hdr.header_size +
                                (size_t)(s->pos & (r->hdr.capacity - 1)) * r->hdr.slot_size;
    const uint64_t *seq = (const uint64_t *)(const void *)slot;
    const uint64_t *words = (const uint64_t *)(const void *)(slot + SLOT_PREFIX);
    uint64_t want = 2 * s->pos + 2;
    uint64_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
    s->got = s1 < want ? 0 : -1; /* smaller: an older lap's record, or half written */
    if (s1 != want)
        return;
    uint64_t copy[RECORD_WORDS];
    uint64_t clip = __atomic_load_n((const uint64_t *)(const void *)(slot + 8), __ATOMIC_RELAXED);
    for (size_t i = 0; i < RECORD_WORDS; i++)
        copy[i] = __atomic_load_n(&words[i], __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(seq, __ATOMIC_RELAXED) != s1)
        return;
    s->rec->clip = clip;
    memcpy(&s->rec->info, copy, sizeof(copy));
    s->got = 1;
}

static void add_lost(uint64_t *lost, uint64_t n)
{
    *lost = *lost > UINT64_MAX - n ? UINT64_MAX : *lost + n;
}

size_t ozi_ring_read(struct ozi_ring *r, struct ozi_ring_record *out, size_t max, uint64_t *lost)
{
    size_t n = 0;
    struct live_fields f;
    if (live(r, &f) != 0)
        return 0;
    uint64_t head = f.head, cap = r->hdr.capacity;
    if (head < r->pos) /* not our writer's sequence any more: start over */
        r->pos = head;
    while (n < max && r->pos < head) {
        if (head - r->pos > cap) {
            add_lost(lost, head - r->pos - cap);
            r->pos = head - cap;
        }
        struct slot_read s = {r->pos, &out[n], 0};
        if (guarded(r, read_slot, &s) != 0 || s.got == 0)
            break;
        r->pos++;
        if (s.got > 0) {
            n++;
            continue;
        }
        add_lost(lost, 1);
        if (live(r, &f) != 0)
            break;
        head = f.head;
    }
    return n;
}
