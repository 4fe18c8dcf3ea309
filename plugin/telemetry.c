/*
 * telemetry.c - the single writer of the shm telemetry ring. The protocol
 * (per-slot seqlock, head published last) is described once, in
 * include/omnizip/telemetry.h; this file only follows it.
 */
#include "telemetry.h"

#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <omnizip/telemetry.h>

#define RECORD_WORDS (sizeof(struct omnizip_window_info) / sizeof(uint64_t))
_Static_assert(sizeof(struct omnizip_window_info) % sizeof(uint64_t) == 0,
               "records are copied as 64-bit words");
_Static_assert(offsetof(struct omnizip_telemetry_slot, record) == 16, "slot layout 1.0");
/* Fresh random names tried before giving up: a clash means someone created
 * names of ours (a clash by chance is 2^-64). */
#define NAME_TRIES 8

struct oz_telemetry {
    char name[64];
    unsigned char *base;
    size_t size;
    struct omnizip_telemetry_header *hdr;
    uint64_t next; /* records written so far (the writer's own copy of head) */
    uint64_t clip;
};

static size_t header_bytes(void)
{
    return (sizeof(struct omnizip_telemetry_header) + 63) & ~(size_t)63;
}

static size_t slot_bytes(void)
{
    return sizeof(struct omnizip_telemetry_slot);
}

/* 64 random bits, so nobody can create the name before we do (a squatter
 * would make create fail, or feed the inspector a segment of its own). */
static int random_part(uint64_t *out)
{
    ssize_t got = getrandom(out, sizeof(*out), GRND_NONBLOCK);
    if (got == (ssize_t)sizeof(*out))
        return 0;
    errno = got < 0 ? errno : EIO;
    return -1;
}

static int create_object(char *name, size_t name_size, uint64_t *session)
{
    for (unsigned n = 0; n < NAME_TRIES; n++) {
        uint64_t r;
        if (random_part(&r) != 0)
            return -1;
        snprintf(name, name_size, OMNIZIP_TELEMETRY_PREFIX "%ld-%016llx", (long)getpid(),
                 (unsigned long long)r);
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            *session = r;
            return fd;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

static void fill_header(struct omnizip_telemetry_header *h, const struct omnizip_config *cfg,
                        uint64_t session)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    h->version = OMNIZIP_TELEMETRY_VERSION;
    h->header_size = (uint32_t)header_bytes();
    h->record_size = (uint32_t)sizeof(struct omnizip_window_info);
    h->slot_size = (uint32_t)slot_bytes();
    h->capacity = OMNIZIP_TELEMETRY_CAPACITY;
    h->writer_pid = (int32_t)getpid();
    h->session = session;
    h->started_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    if (cfg) {
        h->rho_audio = cfg->rho_audio;
        h->rho_video = cfg->rho_video;
        h->rho_min = cfg->rho_min;
        h->rho_max = cfg->rho_max;
        h->contextual_ratio = cfg->contextual_ratio;
        h->g = cfg->g;
        h->dpc_k = cfg->dpc_k;
        h->mode = cfg->mode;
        if (cfg->mode == OMNIZIP_MODE_STREAMING)
            h->audio_target = (float)oz_stream_audio_target(cfg);
    }
    /* The magic goes last: a reader that lists the segment while it is being
     * filled sees "not ready", never half a header. */
    uint64_t magic;
    memcpy(&magic, OMNIZIP_TELEMETRY_MAGIC, sizeof(magic));
    __atomic_store_n((uint64_t *)(void *)h->magic, magic, __ATOMIC_RELEASE);
}

omnizip_status oz_telemetry_open(struct oz_telemetry **out, const struct omnizip_config *cfg,
                                 char *err, size_t err_size)
{
    if (!out) {
        snprintf(err, err_size, "telemetry: NULL out pointer");
        return OMNIZIP_E_INVALID;
    }
    struct oz_telemetry *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, err_size, "telemetry: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    uint64_t session = 0;
    int fd = create_object(t->name, sizeof(t->name), &session);
    if (fd < 0) {
        snprintf(err, err_size, "telemetry: shm_open %s: %s", t->name, strerror(errno));
        free(t);
        return OMNIZIP_E_IO;
    }
    t->size = header_bytes() + (size_t)OMNIZIP_TELEMETRY_CAPACITY * slot_bytes();
    if (ftruncate(fd, (off_t)t->size) != 0) {
        snprintf(err, err_size, "telemetry: sizing %s: %s", t->name, strerror(errno));
        close(fd);
        shm_unlink(t->name);
        free(t);
        return OMNIZIP_E_IO;
    }
    void *map = mmap(NULL, t->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(err, err_size, "telemetry: mapping %s: %s", t->name, strerror(errno));
        shm_unlink(t->name);
        free(t);
        return OMNIZIP_E_IO;
    }
    t->base = map;
    t->hdr = map;
    fill_header(t->hdr, cfg, session);
    *out = t;
    return OMNIZIP_OK;
}

void oz_telemetry_plan(struct oz_telemetry *t, uint32_t n_windows)
{
    if (!t)
        return;
    t->clip++;
    __atomic_store_n(&t->hdr->n_windows, n_windows, __ATOMIC_RELAXED);
    __atomic_store_n(&t->hdr->clip, t->clip, __ATOMIC_RELEASE);
}

void oz_telemetry_publish(struct oz_telemetry *t, const struct omnizip_window_info *rec)
{
    if (!t || !rec)
        return;
    uint64_t words[RECORD_WORDS];
    memcpy(words, rec, sizeof(words));
    uint64_t k = t->next;
    unsigned char *slot = t->base + header_bytes() +
                          (size_t)(k & (OMNIZIP_TELEMETRY_CAPACITY - 1)) * slot_bytes();
    uint64_t *seq = (uint64_t *)slot;
    uint64_t *dst = (uint64_t *)(slot + offsetof(struct omnizip_telemetry_slot, record));
    __atomic_store_n(seq, 2 * k + 1, __ATOMIC_RELAXED);
    /* The odd seq must be visible before any record word changes. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n((uint64_t *)(slot + 8), t->clip, __ATOMIC_RELAXED);
    for (size_t i = 0; i < RECORD_WORDS; i++)
        __atomic_store_n(&dst[i], words[i], __ATOMIC_RELAXED);
    __atomic_store_n(seq, 2 * k + 2, __ATOMIC_RELEASE);
    t->next = k + 1;
    __atomic_store_n(&t->hdr->head, t->next, __ATOMIC_RELEASE);
}

const char *oz_telemetry_name(const struct oz_telemetry *t)
{
    return t ? t->name : "";
}

void oz_telemetry_close(struct oz_telemetry *t)
{
    if (!t)
        return;
    __atomic_store_n(&t->hdr->closed, 1u, __ATOMIC_RELEASE);
    munmap(t->base, t->size);
    shm_unlink(t->name);
    free(t);
}
