/*
 * fuzz_ring.c - a hostile telemetry segment: the bytes are the segment's
 * contents, checked as an image (ozi_ring_check) and then as a real shm
 * object of this process that the reader attaches to and drains, every
 * record going through the checks the live view applies before its model
 * takes it.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <sys/mman.h>

#include "model.h"
#include "ring.h"

static char shm_name[64];
static int shm_fd = -1;

static void remove_segment(void)
{
    shm_unlink(shm_name);
}

static int segment(const uint8_t *data, size_t size)
{
    if (shm_fd < 0) {
        snprintf(shm_name, sizeof shm_name, "/omnizip-%d-f022", (int)getpid());
        shm_fd = shm_open(shm_name, O_RDWR | O_CREAT, 0600);
        if (shm_fd < 0)
            abort();
        atexit(remove_segment);
    }
    return ftruncate(shm_fd, (off_t)size) == 0 &&
           (size == 0 || pwrite(shm_fd, data, size, 0) == (ssize_t)size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    /* The image check reads a private copy only. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    ozi_ring_check(copy, size, err, sizeof err);
    free(copy);
    if (!segment(data, size))
        abort();
    struct ozi_ring *r;
    if (ozi_ring_attach(&r, shm_name, err, sizeof err) != 0)
        return 0;
    struct ozi_model m;
    ozi_model_init(&m, OZ_MODE_LIVE);
    struct ozi_ring_record recs[64];
    uint64_t lost = 0;
    for (int round = 0; round < 64; round++) {
        size_t n = ozi_ring_read(r, recs, 64, &lost);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            if (ozi_record_check(&recs[i].info, err, sizeof err) == 0)
                ozi_model_add(&m, &recs[i].info);
    }
    m.n_shown = m.n_rec;
    struct ozi_totals t;
    ozi_model_totals(&m, &t);
    ozi_ring_closed(r);
    ozi_ring_n_windows(r);
    ozi_ring_clip(r);
    ozi_model_free(&m);
    ozi_ring_detach(r);
    return 0;
}
