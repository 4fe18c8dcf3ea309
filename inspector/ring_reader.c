/*
 * ring_reader.c - attach to, check, list and read telemetry rings. Every
 * value in a segment comes from another process: sizes and counts are
 * checked before use, and a slot is trusted only when its seqlock agrees.
 */
#include "ring.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm"
#define RECORD_WORDS (sizeof(struct omnizip_window_info) / sizeof(uint64_t))
#define SLOT_PREFIX 16u /* seq + clip before the record */
/* The biggest segment a valid header can describe. */
#define MAX_BYTES ((uint64_t)OMNIZIP_TELEMETRY_HEADER_MAX + \
                   (uint64_t)OMNIZIP_TELEMETRY_CAPACITY_MAX * \
                   (SLOT_PREFIX + OMNIZIP_TELEMETRY_RECORD_MAX))

struct oz_ring {
    char name[80];
    const unsigned char *base;
    size_t size;
    const struct omnizip_telemetry_header *hdr;
    uint32_t header_size, slot_size, capacity;
    uint64_t pos; /* next record to read */
};

static uint64_t load_magic(const void *base)
{
    return __atomic_load_n((const uint64_t *)base, __ATOMIC_ACQUIRE);
}

int oz_ring_check(const void *base, size_t size, char *err, size_t err_size)
{
    const struct omnizip_telemetry_header *h = base;
    if (size < sizeof(*h)) {
        snprintf(err, err_size, "truncated segment (%zu bytes, header needs %zu)", size,
                 sizeof(*h));
        return -1;
    }
    uint64_t magic = load_magic(base), want;
    memcpy(&want, OMNIZIP_TELEMETRY_MAGIC, sizeof(want));
    if (magic == 0) {
        snprintf(err, err_size, "segment not initialised yet");
        return -1;
    }
    if (magic != want) {
        snprintf(err, err_size, "bad magic (not an omnizip telemetry segment)");
        return -1;
    }
    if (h->version != OMNIZIP_TELEMETRY_VERSION) {
        snprintf(err, err_size, "telemetry version %u (this reader knows %u)", h->version,
                 OMNIZIP_TELEMETRY_VERSION);
        return -1;
    }
    if (h->header_size < sizeof(*h) || h->header_size > OMNIZIP_TELEMETRY_HEADER_MAX ||
        h->header_size % 8) {
        snprintf(err, err_size, "bad header size %u", h->header_size);
        return -1;
    }
    if (h->record_size < sizeof(struct omnizip_window_info) ||
        h->record_size > OMNIZIP_TELEMETRY_RECORD_MAX || h->record_size % 8) {
        snprintf(err, err_size, "bad record size %u (want %zu..%u, a multiple of 8)",
                 h->record_size, sizeof(struct omnizip_window_info),
                 OMNIZIP_TELEMETRY_RECORD_MAX);
        return -1;
    }
    if (h->slot_size != SLOT_PREFIX + h->record_size) {
        snprintf(err, err_size, "bad slot size %u (want %u)", h->slot_size,
                 SLOT_PREFIX + h->record_size);
        return -1;
    }
    uint32_t cap = h->capacity;
    if (cap == 0 || (cap & (cap - 1)) || cap > OMNIZIP_TELEMETRY_CAPACITY_MAX) {
        snprintf(err, err_size, "bad capacity %u (want a power of two <= %u)", cap,
                 OMNIZIP_TELEMETRY_CAPACITY_MAX);
        return -1;
    }
    uint64_t need = (uint64_t)h->header_size + (uint64_t)cap * h->slot_size;
    if (need > size) {
        snprintf(err, err_size, "truncated segment (%zu bytes, layout needs %llu)", size,
                 (unsigned long long)need);
        return -1;
    }
    return 0;
}

static const char *bare(const char *name)
{
    return name[0] == '/' ? name + 1 : name;
}

int oz_ring_attach(struct oz_ring **out, const char *name, char *err, size_t err_size)
{
    char shm_name[80];
    if (strlen(bare(name)) + 2 > sizeof(shm_name)) {
        snprintf(err, err_size, "%s: name too long", name);
        return -1;
    }
    snprintf(shm_name, sizeof(shm_name), "/%s", bare(name));
    int fd = shm_open(shm_name, O_RDONLY, 0);
    if (fd < 0) {
        snprintf(err, err_size, "%s: %s", shm_name, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || (uint64_t)st.st_size > MAX_BYTES) {
        snprintf(err, err_size, "%s: %s", shm_name,
                 st.st_size <= 0 ? "empty segment" : "segment larger than any valid layout");
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(err, err_size, "%s: mmap: %s", shm_name, strerror(errno));
        return -1;
    }
    char why[200];
    if (oz_ring_check(map, size, why, sizeof(why)) != 0) {
        snprintf(err, err_size, "%s: %s", shm_name, why);
        munmap(map, size);
        return -1;
    }
    struct oz_ring *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, err_size, "%s: out of memory", shm_name);
        munmap(map, size);
        return -1;
    }
    snprintf(r->name, sizeof(r->name), "%s", shm_name);
    r->base = map;
    r->size = size;
    r->hdr = map;
    /* Copied once: the reader never re-reads a size the writer could change. */
    r->header_size = r->hdr->header_size;
    r->slot_size = r->hdr->slot_size;
    r->capacity = r->hdr->capacity;
    *out = r;
    return 0;
}

void oz_ring_detach(struct oz_ring *r)
{
    if (!r)
        return;
    munmap((void *)r->base, r->size);
    free(r);
}

const struct omnizip_telemetry_header *oz_ring_header(const struct oz_ring *r)
{
    return r->hdr;
}

const char *oz_ring_name(const struct oz_ring *r)
{
    return r->name;
}

int oz_ring_closed(const struct oz_ring *r)
{
    return __atomic_load_n(&r->hdr->closed, __ATOMIC_ACQUIRE) != 0;
}

uint32_t oz_ring_n_windows(const struct oz_ring *r)
{
    return __atomic_load_n(&r->hdr->n_windows, __ATOMIC_RELAXED);
}

uint64_t oz_ring_clip(const struct oz_ring *r)
{
    return __atomic_load_n(&r->hdr->clip, __ATOMIC_ACQUIRE);
}

static int pid_alive(int32_t pid)
{
    if (pid <= 0)
        return 0;
    return kill(pid, 0) == 0 || errno != ESRCH;
}

int oz_ring_writer_alive(const struct oz_ring *r)
{
    return pid_alive(r->hdr->writer_pid);
}

/* 1: record pos copied; 0: not published yet; -1: overwritten (lost). */
static int read_slot(const struct oz_ring *r, uint64_t pos, struct oz_ring_record *rec)
{
    const unsigned char *slot =
        r->base + r->header_size + (size_t)(pos & (r->capacity - 1)) * r->slot_size;
    const uint64_t *seq = (const uint64_t *)(const void *)slot;
    const uint64_t *words = (const uint64_t *)(const void *)(slot + SLOT_PREFIX);
    uint64_t want = 2 * pos + 2;
    uint64_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
    if (s1 < want) /* an older lap's record, or record pos half written */
        return 0;
    if (s1 != want)
        return -1;
    uint64_t copy[RECORD_WORDS];
    rec->clip = __atomic_load_n((const uint64_t *)(const void *)(slot + 8), __ATOMIC_RELAXED);
    for (size_t i = 0; i < RECORD_WORDS; i++)
        copy[i] = __atomic_load_n(&words[i], __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(seq, __ATOMIC_RELAXED) != s1)
        return -1;
    memcpy(&rec->info, copy, sizeof(copy));
    return 1;
}

size_t oz_ring_read(struct oz_ring *r, struct oz_ring_record *out, size_t max, uint64_t *lost)
{
    size_t n = 0;
    uint64_t head = __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
    if (head < r->pos) /* not our writer's sequence any more: start over */
        r->pos = head;
    while (n < max && r->pos < head) {
        if (head - r->pos > r->capacity) {
            *lost += head - r->pos - r->capacity;
            r->pos = head - r->capacity;
        }
        int got = read_slot(r, r->pos, &out[n]);
        if (got == 0)
            break;
        if (got < 0) {
            (*lost)++;
            r->pos++;
            head = __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
            continue;
        }
        n++;
        r->pos++;
    }
    return n;
}

static int parse_name(const char *entry, int32_t *pid, uint64_t *session)
{
    long p;
    unsigned long long s;
    int used = 0;
    if (sscanf(entry, "omnizip-%ld-%llu%n", &p, &s, &used) != 2 || entry[used] != '\0' ||
        p <= 0 || p > INT32_MAX)
        return -1;
    *pid = (int32_t)p;
    *session = s;
    return 0;
}

static void inspect_entry(const char *entry, struct oz_session_info *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "/%.*s", (int)sizeof(s->name) - 2, entry);
    if (parse_name(entry, &s->pid, &s->session) != 0) {
        s->state = OZ_SESSION_BAD;
        snprintf(s->problem, sizeof(s->problem), "name is not omnizip-PID-N");
        return;
    }
    struct oz_ring *r;
    char err[200];
    if (oz_ring_attach(&r, entry, err, sizeof(err)) != 0) {
        s->state = pid_alive(s->pid) ? OZ_SESSION_BAD : OZ_SESSION_STALE;
        const char *why = strchr(err, ' ');
        snprintf(s->problem, sizeof(s->problem), "%.*s", (int)sizeof(s->problem) - 1,
                 why ? why + 1 : err);
        return;
    }
    const struct omnizip_telemetry_header *h = oz_ring_header(r);
    s->started_ns = h->started_ns;
    s->head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
    s->n_windows = oz_ring_n_windows(r);
    if (h->writer_pid != s->pid) {
        s->state = OZ_SESSION_BAD;
        snprintf(s->problem, sizeof(s->problem), "header names pid %d", (int)h->writer_pid);
    } else if (oz_ring_closed(r)) {
        s->state = OZ_SESSION_ENDED;
    } else {
        s->state = oz_ring_writer_alive(r) ? OZ_SESSION_LIVE : OZ_SESSION_STALE;
    }
    oz_ring_detach(r);
}

static int newest_first(const void *a, const void *b)
{
    const struct oz_session_info *x = a, *y = b;
    if (x->started_ns != y->started_ns)
        return x->started_ns < y->started_ns ? 1 : -1;
    return strcmp(x->name, y->name);
}

size_t oz_ring_list(struct oz_session_info *out, size_t max)
{
    DIR *d = opendir(SHM_DIR);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "omnizip-", 8) != 0)
            continue;
        inspect_entry(e->d_name, &out[n++]);
    }
    closedir(d);
    qsort(out, n, sizeof(*out), newest_first);
    return n;
}

void oz_session_describe(const struct oz_session_info *s, char *buf, size_t size)
{
    switch (s->state) {
    case OZ_SESSION_LIVE:
        snprintf(buf, size, "%s  pid %d  live  %llu records  %u windows", s->name, (int)s->pid,
                 (unsigned long long)s->head, s->n_windows);
        break;
    case OZ_SESSION_ENDED:
        snprintf(buf, size, "%s  pid %d  ended  %llu records", s->name, (int)s->pid,
                 (unsigned long long)s->head);
        break;
    case OZ_SESSION_STALE:
        snprintf(buf, size, "stale segment %s (pid %d gone)", s->name, (int)s->pid);
        break;
    case OZ_SESSION_BAD:
        snprintf(buf, size, "bad segment %s: %s", s->name, s->problem);
        break;
    }
}
