/*
 * summary.h - the lines both example hosts print once a sequence is
 * compacted: the new length, the next decode position and rope delta, and a
 * hash of every compacted array (the float bits of the embeddings included),
 * so a test holds the two hosts and omnizip-run's output file to one another
 * exactly. Not part of the template: a runtime has no use for it.
 */
#ifndef OMNIZIP_EXAMPLE_SUMMARY_H
#define OMNIZIP_EXAMPLE_SUMMARY_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* FNV-1a over n bytes, continuing from h. */
static inline uint64_t ozs_example_hash(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

#define OZ_EXAMPLE_HASH0 14695981039346656037ull

/* positions: 3 rows of `length` ids each, position_stride apart (NULL: none);
 * mask: `length` entries (NULL: none). */
static inline void ozs_example_summary(FILE *f, int64_t length, int64_t hidden, const float *embeds,
                                       const int64_t *ids, const int64_t *positions,
                                       int64_t position_stride, const int64_t *mask,
                                       int64_t next_position)
{
    uint64_t h = OZ_EXAMPLE_HASH0;
    for (int64_t j = 0; j < length; j++)
        h = ozs_example_hash(h, embeds + j * hidden, (size_t)hidden * sizeof(float));
    fprintf(f, "length %lld\n", (long long)length);
    fprintf(f, "next_position %lld rope_delta %lld\n", (long long)next_position,
            (long long)(next_position - length));
    fprintf(f, "embeds %016llx\n", (unsigned long long)h);
    h = ozs_example_hash(OZ_EXAMPLE_HASH0, ids, (size_t)length * sizeof(int64_t));
    fprintf(f, "input_ids %016llx\n", (unsigned long long)h);
    if (positions) {
        h = OZ_EXAMPLE_HASH0;
        for (int r = 0; r < 3; r++)
            h = ozs_example_hash(h, positions + r * position_stride,
                                 (size_t)length * sizeof(int64_t));
        fprintf(f, "position_ids %016llx\n", (unsigned long long)h);
    }
    if (mask) {
        h = ozs_example_hash(OZ_EXAMPLE_HASH0, mask, (size_t)length * sizeof(int64_t));
        fprintf(f, "attention_mask %016llx\n", (unsigned long long)h);
    }
}

#endif
