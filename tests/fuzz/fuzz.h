/*
 * fuzz.h - what the fuzz targets share: reading typed values out of the
 * fuzzer's bytes, and a private scratch directory for the files a target
 * hands to a parser. Each target defines LLVMFuzzerTestOneInput; libFuzzer
 * (make fuzz) or driver.c (the corpus replay in make test) calls it.
 */
#ifndef OZ_FUZZ_H
#define OZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzzer's bytes, consumed from the front; zeros once they run out. */
struct fz {
    const uint8_t *p;
    size_t n;
};

static inline uint64_t fz_bits(struct fz *f, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v = v << 8 | (f->n ? *f->p : 0);
        if (f->n) {
            f->p++;
            f->n--;
        }
    }
    return v;
}

/* A value in [lo, hi] (hi >= lo, hi - lo < 2^63). */
static inline int64_t fz_range(struct fz *f, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    int bytes = span <= 0x100 ? 1 : span <= 0x10000 ? 2 : span <= 0x100000000ull ? 4 : 8;
    return lo + (int64_t)(span ? fz_bits(f, bytes) % span : fz_bits(f, bytes));
}

/* Mostly a value in [lo, hi]; one time in eight an edge a careless size
 * check gets wrong: negative, zero, just past a documented limit, huge, near
 * INT64_MAX. (No edge is a legitimate huge size: a valid clip that needs
 * gigabytes is no finding, only a slow run.) */
static inline int64_t fz_size(struct fz *f, int64_t lo, int64_t hi)
{
    static const int64_t edges[] = {0,
                                    -1,
                                    1,
                                    INT64_MAX,
                                    INT64_MAX - 3,
                                    INT64_MIN,
                                    1ll << 31,
                                    1ll << 32,
                                    1ll << 40,
                                    1ll << 62,
                                    8193,
                                    65537,
                                    (1ll << 26) + 1,
                                    (1ll << 31) - 1};
    if (fz_range(f, 0, 7) == 0)
        return edges[fz_range(f, 0, sizeof(edges) / sizeof(edges[0]) - 1)];
    return fz_range(f, lo, hi);
}

/* The scratch directory of this process, made on first use and emptied at
 * exit (files only). */
static char fz_dir_path[64];

static inline void fz_dir_cleanup(void)
{
    static const char *const names[] = {"a.bin",  "b.bin",  "c.bin",  "out.bin",
                                        "a.yaml", "b.yaml", "c.yaml", "out.svg"};
    char p[128];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof p, "%s/%s", fz_dir_path, names[i]);
        unlink(p);
    }
    rmdir(fz_dir_path);
}

/* dir/name into out (128 bytes). */
static inline const char *fz_path(char *out, const char *name)
{
    if (!fz_dir_path[0]) {
        snprintf(fz_dir_path, sizeof fz_dir_path, "/tmp/oz_fuzz_%d_XXXXXX", (int)getpid());
        if (!mkdtemp(fz_dir_path))
            abort();
        atexit(fz_dir_cleanup);
    }
    snprintf(out, 128, "%s/%s", fz_dir_path, name);
    return out;
}

/* Writes n bytes as the file at path; aborts when it cannot (not a finding). */
static inline void fz_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0)
        abort();
}

#endif
