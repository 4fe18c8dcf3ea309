/*
 * dump_impl.h - what a loaded omnizip_dump keeps behind its impl pointer,
 * shared by dump.c (load) and dump_write.c (write).
 */
#ifndef OZ_DUMP_IMPL_H
#define OZ_DUMP_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <omnizip/omnizip.h>

#include "safetensors.h"

struct oz_dump_impl {
    oz_st_file *st;
    char *path;
    /* The input tensors as read, so the output keeps their dtype and rank. */
    const struct oz_st_tensor *embeds, *ids, *scores, *grid, *positions, *mask;
    int mask_rank2; /* attention_mask was [1, L] */
    int64_t *ids64, *positions64, *mask64;
};

#endif
