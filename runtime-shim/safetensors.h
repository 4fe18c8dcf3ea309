/*
 * safetensors.h - the shim's internal safetensors reader and writer, plus the
 * half-precision conversions the dump layer needs.
 *
 * Format: an 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 * "__metadata__": {str: str}}), then the data block; offsets are relative to
 * the data block. Every error message starts with the file path.
 */
#ifndef OZ_SAFETENSORS_H
#define OZ_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include <omnizip/omnizip.h>

#include "ozc_half.h"

enum ozs_st_dtype {
    OZ_ST_BOOL,
    OZ_ST_U8,
    OZ_ST_I8,
    OZ_ST_F8_E4M3,
    OZ_ST_F8_E5M2,
    OZ_ST_I16,
    OZ_ST_U16,
    OZ_ST_F16,
    OZ_ST_BF16,
    OZ_ST_I32,
    OZ_ST_U32,
    OZ_ST_F32,
    OZ_ST_I64,
    OZ_ST_U64,
    OZ_ST_F64,
};

#define OZ_ST_MAX_RANK 8

/* Bytes per element, 0 for a value outside the enum. */
size_t ozs_st_dtype_size(enum ozs_st_dtype dtype);
/* The header spelling ("F32"), "?" for a value outside the enum. */
const char *ozs_st_dtype_name(enum ozs_st_dtype dtype);
/* Parses a header spelling; returns 0 on success, -1 for an unknown one. */
int ozs_st_dtype_parse(const char *name, enum ozs_st_dtype *out);

/* One tensor of an open file. data is aligned for the dtype: the mapping
 * itself where the file offset allows, else an owned aligned copy. All
 * pointers live until ozs_st_close(). */
struct ozs_st_tensor {
    const char *name;
    enum ozs_st_dtype dtype;
    int rank;
    int64_t shape[OZ_ST_MAX_RANK];
    int64_t count; /* product of shape (1 for rank 0) */
    size_t nbytes; /* count * dtype size */
    const void *data;
};

typedef struct ozs_st_file ozs_st_file;

/* Maps path read-only and validates the whole header: length, JSON object,
 * dtypes, shapes (non-negative, overflow-checked product), offsets (inside
 * the data block, matching the shape, not overlapping), metadata strings.
 * Returns OMNIZIP_E_IO when the file cannot be read, OMNIZIP_E_INVALID when
 * it is not valid safetensors, OMNIZIP_E_NOMEM; err gets "PATH: problem".
 * *out is set only on success. */
omnizip_status ozs_st_open(const char *path, ozs_st_file **out, char *err, size_t err_size);

/* Unmaps and frees everything. NULL is a no-op. */
void ozs_st_close(ozs_st_file *file);

size_t ozs_st_count(const ozs_st_file *file);
/* Tensor i in header order, NULL when i is out of range. */
const struct ozs_st_tensor *ozs_st_at(const ozs_st_file *file, size_t i);
/* The tensor called name, NULL when absent. */
const struct ozs_st_tensor *ozs_st_find(const ozs_st_file *file, const char *name);
/* A __metadata__ value, NULL when absent. */
const char *ozs_st_meta(const ozs_st_file *file, const char *key);
const char *ozs_st_path(const ozs_st_file *file);

/* Writes "PATH: " and the formatted problem into err (truncating safely) and
 * returns st: the one shape of every error message of the shim's files. */
omnizip_status ozs_path_fail(char *err, size_t err_size, omnizip_status st, const char *path,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- writer ---- */
typedef struct ozs_st_writer ozs_st_writer;

/* NULL when out of memory. */
ozs_st_writer *ozs_st_writer_new(void);

/* Adds a tensor. name and shape are copied; data is borrowed until save and
 * holds count * dtype size bytes (may be NULL only when that is 0). Problems
 * (duplicate name, bad rank or dim, missing data) are remembered and
 * reported by save; the return says whether this call was accepted. */
omnizip_status ozs_st_writer_add(ozs_st_writer *w, const char *name, enum ozs_st_dtype dtype,
                                 int rank, const int64_t *shape, const void *data);

/* Adds a tensor whose data lies in shape[0] pieces of row_bytes each, at
 * rows[i] (all borrowed until save): written by writev, with no copy. */
omnizip_status ozs_st_writer_add_rows(ozs_st_writer *w, const char *name, enum ozs_st_dtype dtype,
                                      int rank, const int64_t *shape, const void *const *rows,
                                      size_t row_bytes);

/* Adds a __metadata__ entry (both strings copied). */
omnizip_status ozs_st_writer_meta(ozs_st_writer *w, const char *key, const char *value);

/* Writes everything to path through outfile.h (a regular target replaced by a
 * complete temp file beside it, fsync, rename; a FIFO or character device
 * written in place): the header padded with spaces so the data block starts
 * 8-byte aligned, tensors laid out by element size (largest first, then
 * name) so each is aligned. On any failure the temp file is removed and path
 * is left as it was. Returns OMNIZIP_E_IO, OMNIZIP_E_INVALID or
 * OMNIZIP_E_NOMEM with "PATH: problem" in err. */
omnizip_status ozs_st_writer_save(ozs_st_writer *w, const char *path, char *err, size_t err_size);

/* NULL is a no-op. */
void ozs_st_writer_free(ozs_st_writer *w);

#endif
