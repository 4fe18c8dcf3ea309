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

struct ozs_dump_impl {
    ozs_st_file *st;
    char *path;
    /* The input tensors as read, so the output keeps their dtype and rank. */
    const struct ozs_st_tensor *embeds, *ids, *scores, *grid, *positions, *mask;
    int mask_rank2; /* attention_mask was [1, L] */
    int64_t *ids64, *positions64, *mask64;
    int64_t *grids64;             /* video_grid_thw of several videos (or none) as int64 */
    struct omnizip_extra *extras; /* per_token.* / per_video_token.* / per_audio_token.* */
    const struct ozs_st_tensor **extra_tensors;
};

struct omnizip_sequence;

/* dump_extras.c: video_grid_thw with other than one row (checked like the
 * one-grid case, split into clips later by the plugin's rule), and the
 * extra per-token tensors (their first dimension checked). */
omnizip_status ozs_dump_grids(struct ozs_dump_impl *d, struct omnizip_sequence *s, int64_t n_video,
                              char *err, size_t es);
omnizip_status ozs_dump_extras(struct ozs_dump_impl *d, struct omnizip_sequence *s, int64_t n_video,
                               int64_t n_audio, char *err, size_t es);
/* Adds every extra compacted by keep (L flags) to w; bufs[i] receives the
 * buffer of extra i (caller frees). Returns OMNIZIP_E_NOMEM or OK. */
omnizip_status ozs_dump_add_extras(ozs_st_writer *w, const struct ozs_dump_impl *d,
                                   const struct omnizip_sequence *s, const uint8_t *keep,
                                   void **bufs);

#endif
