/*
 * fuzz_dump.c - the dump surface: the bytes as a safetensors file through
 * the reader, a writer round trip of every tensor (read back, compared), and
 * the dump loader with a pass-through write of its output file.
 */
#include "fuzz.h"

#include <omnizip/shim.h>

#include "safetensors.h"

static void round_trip(const char *in, const char *out)
{
    char err[512];
    ozs_st_file *f = NULL, *g = NULL;
    if (ozs_st_open(in, &f, err, sizeof err) != OMNIZIP_OK)
        return;
    ozs_st_writer *w = ozs_st_writer_new();
    for (size_t i = 0; w && i < ozs_st_count(f); i++) {
        const struct ozs_st_tensor *t = ozs_st_at(f, i);
        ozs_st_writer_add(w, t->name, t->dtype, t->rank, t->shape, t->data);
    }
    if (w && ozs_st_writer_save(w, out, err, sizeof err) == OMNIZIP_OK) {
        /* What was written must read back as the same tensors. */
        if (ozs_st_open(out, &g, err, sizeof err) != OMNIZIP_OK ||
            ozs_st_count(g) != ozs_st_count(f))
            abort();
        for (size_t i = 0; i < ozs_st_count(f); i++) {
            const struct ozs_st_tensor *a = ozs_st_at(f, i), *b = ozs_st_find(g, a->name);
            if (!b || b->dtype != a->dtype || b->rank != a->rank || b->nbytes != a->nbytes ||
                memcmp(a->shape, b->shape, sizeof a->shape) != 0 ||
                (a->nbytes && memcmp(a->data, b->data, a->nbytes) != 0))
                abort();
        }
        ozs_st_close(g);
    }
    ozs_st_writer_free(w);
    ozs_st_close(f);
}

static void dump_pass_through(const char *in, const char *out)
{
    char err[512];
    struct omnizip_dump d;
    if (omnizip_dump_load(in, &d, err, sizeof err) != OMNIZIP_OK)
        return;
    int64_t L = d.seq.length;
    uint8_t *keep = malloc(L > 0 ? (size_t)L : 1);
    if (!keep)
        abort();
    for (int64_t i = 0; i < L; i++)
        keep[i] = (uint8_t)(i % 3 != 1);
    struct omnizip_run_report report;
    memset(&report, 0, sizeof report);
    omnizip_dump_write(&d, keep, &report, out, err, sizeof err);
    free(keep);
    omnizip_dump_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[128], out[128];
    fz_write(fz_path(in, "a.bin"), data, size);
    fz_path(out, "out.bin");
    round_trip(in, out);
    dump_pass_through(in, out);
    return 0;
}
