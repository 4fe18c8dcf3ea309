/*
 * safetensors.c - the safetensors reader: map read-only, validate the whole
 * header before handing out a single tensor, use aligned data in place.
 *
 * The header is parsed with jansson. Shapes and offsets come from untrusted
 * files, so every product and sum is overflow-checked; a tensor whose file
 * offset is not aligned for its dtype (safetensors promises no alignment) is
 * copied into malloc'd memory so callers can always index it as typed data.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safetensors.h"
#include "ozc_err.h"

/* The reference implementation refuses larger headers too. */
#define MAX_HEADER ((uint64_t)100 * 1000 * 1000)

struct ozs_st_file {
    char *path;
    unsigned char *map;
    size_t map_size;
    json_t *root;
    json_t *meta;
    struct ozs_st_tensor *tensors;
    void **copies; /* per tensor: the owned aligned copy, or NULL when in place */
    size_t n;
};

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
    [OZ_ST_BOOL] = {"BOOL", 1},       [OZ_ST_U8] = {"U8", 1},           [OZ_ST_I8] = {"I8", 1},
    [OZ_ST_F8_E4M3] = {"F8_E4M3", 1}, [OZ_ST_F8_E5M2] = {"F8_E5M2", 1}, [OZ_ST_I16] = {"I16", 2},
    [OZ_ST_U16] = {"U16", 2},         [OZ_ST_F16] = {"F16", 2},         [OZ_ST_BF16] = {"BF16", 2},
    [OZ_ST_I32] = {"I32", 4},         [OZ_ST_U32] = {"U32", 4},         [OZ_ST_F32] = {"F32", 4},
    [OZ_ST_I64] = {"I64", 8},         [OZ_ST_U64] = {"U64", 8},         [OZ_ST_F64] = {"F64", 8},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

size_t ozs_st_dtype_size(enum ozs_st_dtype dtype)
{
    return (unsigned)dtype < N_DTYPES ? dtypes[dtype].size : 0;
}

const char *ozs_st_dtype_name(enum ozs_st_dtype dtype)
{
    return (unsigned)dtype < N_DTYPES ? dtypes[dtype].name : "?";
}

int ozs_st_dtype_parse(const char *name, enum ozs_st_dtype *out)
{
    for (size_t i = 0; i < N_DTYPES; i++) {
        if (strcmp(dtypes[i].name, name) == 0) {
            *out = (enum ozs_st_dtype)i;
            return 0;
        }
    }
    return -1;
}

omnizip_status ozs_path_fail(char *err, size_t err_size, omnizip_status st, const char *path,
                             const char *fmt, ...)
{
    if (!err || err_size == 0)
        return st;
    int n = snprintf(err, err_size, "%s: ", path ? path : "(null)");
    if (n >= 0 && (size_t)n < err_size) {
        va_list ap;
        va_start(ap, fmt);
        ozc_verr(err + n, err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return st;
}

void ozs_st_close(ozs_st_file *file)
{
    if (!file)
        return;
    for (size_t i = 0; file->copies && i < file->n; i++)
        free(file->copies[i]);
    free(file->copies);
    free(file->tensors);
    json_decref(file->root);
    if (file->map)
        munmap(file->map, file->map_size);
    free(file->path);
    free(file);
}

static int read_u64(json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* Parses one tensor entry; begin/end are returned for the overlap check. */
static omnizip_status parse_tensor(ozs_st_file *f, const char *name, json_t *desc,
                                   struct ozs_st_tensor *t, uint64_t *begin, uint64_t *end,
                                   char *err, size_t es)
{
    const char *p = f->path;
    if (!json_is_object(desc))
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p, "tensor '%s': entry is not an object",
                             name);
    json_t *dt = json_object_get(desc, "dtype");
    json_t *shape = json_object_get(desc, "shape");
    json_t *offs = json_object_get(desc, "data_offsets");
    if (!json_is_string(dt))
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p,
                             "tensor '%s': missing or non-string dtype", name);
    if (ozs_st_dtype_parse(json_string_value(dt), &t->dtype) != 0)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p, "tensor '%s': unknown dtype '%s'", name,
                             json_string_value(dt));
    if (!json_is_array(shape))
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p,
                             "tensor '%s': missing or non-array shape", name);
    if (json_array_size(shape) > OZ_ST_MAX_RANK)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p, "tensor '%s': rank %zu exceeds %d",
                             name, json_array_size(shape), OZ_ST_MAX_RANK);
    t->name = name;
    t->rank = (int)json_array_size(shape);
    uint64_t count = 1;
    for (int d = 0; d < t->rank; d++) {
        uint64_t dim;
        if (read_u64(json_array_get(shape, (size_t)d), &dim) != 0)
            return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p,
                                 "tensor '%s': shape[%d] is not a non-negative integer", name, d);
        t->shape[d] = (int64_t)dim;
        if (__builtin_mul_overflow(count, dim, &count) || count > INT64_MAX)
            return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p, "tensor '%s': shape is too large",
                                 name);
    }
    uint64_t nbytes;
    if (__builtin_mul_overflow(count, (uint64_t)ozs_st_dtype_size(t->dtype), &nbytes) ||
        nbytes > SIZE_MAX)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p, "tensor '%s': shape is too large",
                             name);
    t->count = (int64_t)count;
    t->nbytes = (size_t)nbytes;
    if (!json_is_array(offs) || json_array_size(offs) != 2 ||
        read_u64(json_array_get(offs, 0), begin) != 0 ||
        read_u64(json_array_get(offs, 1), end) != 0)
        return ozs_path_fail(
            err, es, OMNIZIP_E_INVALID, p,
            "tensor '%s': data_offsets must be [begin, end], non-negative integers", name);
    if (*end < *begin)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p,
                             "tensor '%s': data_offsets [%llu, %llu] end before begin", name,
                             (unsigned long long)*begin, (unsigned long long)*end);
    if (*end - *begin != nbytes)
        return ozs_path_fail(
            err, es, OMNIZIP_E_INVALID, p,
            "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes but %s shape needs "
            "%llu",
            name, (unsigned long long)*begin, (unsigned long long)*end,
            (unsigned long long)(*end - *begin), ozs_st_dtype_name(t->dtype),
            (unsigned long long)nbytes);
    return OMNIZIP_OK;
}

static omnizip_status parse_meta(ozs_st_file *f, json_t *meta, char *err, size_t es)
{
    if (!json_is_object(meta))
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, f->path, "__metadata__ is not an object");
    const char *key;
    json_t *v;
    json_object_foreach(meta, key, v)
    {
        if (!json_is_string(v))
            return ozs_path_fail(err, es, OMNIZIP_E_INVALID, f->path,
                                 "__metadata__ value of '%s' is not a string", key);
    }
    f->meta = meta;
    return OMNIZIP_OK;
}

struct span {
    uint64_t begin, end;
    size_t index;
};

static int by_begin(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static omnizip_status check_overlap(ozs_st_file *f, struct span *spans, char *err, size_t es)
{
    qsort(spans, f->n, sizeof *spans, by_begin);
    const struct span *last = NULL;
    for (size_t i = 0; i < f->n; i++) {
        if (spans[i].begin == spans[i].end)
            continue;
        if (last && spans[i].begin < last->end)
            return ozs_path_fail(err, es, OMNIZIP_E_INVALID, f->path,
                                 "tensors '%s' and '%s' overlap in the data block",
                                 f->tensors[last->index].name, f->tensors[spans[i].index].name);
        if (!last || spans[i].end > last->end)
            last = &spans[i];
    }
    return OMNIZIP_OK;
}

/* Points each tensor at its data, copying the ones the file leaves unaligned. */
static omnizip_status place_data(ozs_st_file *f, const struct span *spans,
                                 const unsigned char *data, char *err, size_t es)
{
    static const int64_t empty[1];
    for (size_t i = 0; i < f->n; i++) {
        struct ozs_st_tensor *t = &f->tensors[spans[i].index];
        const unsigned char *src = data + spans[i].begin;
        size_t align = ozs_st_dtype_size(t->dtype);
        if (t->nbytes == 0) {
            t->data = empty;
        } else if ((uintptr_t)src % align == 0) {
            t->data = src;
        } else {
            void *copy = aligned_alloc(8, (t->nbytes + 7) / 8 * 8);
            if (!copy)
                return ozs_path_fail(err, es, OMNIZIP_E_NOMEM, f->path,
                                     "out of memory copying tensor '%s' (%zu bytes)", t->name,
                                     t->nbytes);
            memcpy(copy, src, t->nbytes);
            f->copies[spans[i].index] = copy;
            t->data = copy;
        }
    }
    return OMNIZIP_OK;
}

static omnizip_status parse_header(ozs_st_file *f, char *err, size_t es)
{
    const char *p = f->path;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | f->map[i];
    uint64_t avail = f->map_size - 8;
    if (hlen > avail)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p,
                             "header length %llu is larger than the %llu bytes after it",
                             (unsigned long long)hlen, (unsigned long long)avail);
    if (hlen > MAX_HEADER)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p, "header length %llu exceeds %llu bytes",
                             (unsigned long long)hlen, (unsigned long long)MAX_HEADER);
    json_error_t jerr;
    f->root = json_loadb((const char *)f->map + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!f->root)
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p,
                             "header is not valid JSON (byte %d): %s", jerr.position, jerr.text);
    if (!json_is_object(f->root))
        return ozs_path_fail(err, es, OMNIZIP_E_INVALID, p, "header is not a JSON object");

    size_t cap = json_object_size(f->root);
    f->tensors = calloc(cap ? cap : 1, sizeof *f->tensors);
    f->copies = calloc(cap ? cap : 1, sizeof *f->copies);
    struct span *spans = calloc(cap ? cap : 1, sizeof *spans);
    omnizip_status st = OMNIZIP_OK;
    if (!f->tensors || !f->copies || !spans)
        st = ozs_path_fail(err, es, OMNIZIP_E_NOMEM, p, "out of memory reading the header");

    uint64_t data_len = avail - hlen;
    const char *key;
    json_t *v;
    json_object_foreach(f->root, key, v)
    {
        if (st != OMNIZIP_OK)
            break;
        if (strcmp(key, "__metadata__") == 0) {
            st = parse_meta(f, v, err, es);
            continue;
        }
        struct span *s = &spans[f->n];
        st = parse_tensor(f, key, v, &f->tensors[f->n], &s->begin, &s->end, err, es);
        if (st == OMNIZIP_OK && s->end > data_len)
            st =
                ozs_path_fail(err, es, OMNIZIP_E_INVALID, p,
                              "tensor '%s': data_offsets end %llu is past the %llu-byte data block",
                              key, (unsigned long long)s->end, (unsigned long long)data_len);
        s->index = f->n++;
    }
    if (st == OMNIZIP_OK)
        st = check_overlap(f, spans, err, es);
    if (st == OMNIZIP_OK)
        st = place_data(f, spans, f->map + 8 + hlen, err, es);
    free(spans);
    return st;
}

omnizip_status ozs_st_open(const char *path, ozs_st_file **out, char *err, size_t err_size)
{
    if (!path || !out)
        return ozs_path_fail(err, err_size, OMNIZIP_E_INVALID, path, "no path or output given");
    ozs_st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return ozs_path_fail(err, err_size, OMNIZIP_E_NOMEM, path, "out of memory");
    }
    omnizip_status st = OMNIZIP_OK;
    /* O_NONBLOCK: a FIFO must be refused below, not hang the open. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0)
        st = ozs_path_fail(err, err_size, OMNIZIP_E_IO, path, "cannot open: %s", strerror(errno));
    else if (fstat(fd, &sb) != 0)
        st = ozs_path_fail(err, err_size, OMNIZIP_E_IO, path, "cannot stat: %s", strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = ozs_path_fail(err, err_size, OMNIZIP_E_IO, path, "not a regular file");
    else if (sb.st_size < 8)
        st = ozs_path_fail(err, err_size, OMNIZIP_E_INVALID, path,
                           "file is %lld bytes, shorter than the 8-byte header length",
                           (long long)sb.st_size);
    else if ((uint64_t)sb.st_size > SIZE_MAX)
        st = ozs_path_fail(err, err_size, OMNIZIP_E_IO, path, "file is too large to map");
    if (st == OMNIZIP_OK) {
        f->map_size = (size_t)sb.st_size;
        void *m = mmap(NULL, f->map_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m == MAP_FAILED)
            st = ozs_path_fail(err, err_size, OMNIZIP_E_IO, path, "cannot map: %s",
                               strerror(errno));
        else
            f->map = m;
    }
    if (fd >= 0)
        close(fd);
    if (st == OMNIZIP_OK)
        st = parse_header(f, err, err_size);
    if (st != OMNIZIP_OK) {
        ozs_st_close(f);
        return st;
    }
    *out = f;
    return OMNIZIP_OK;
}

size_t ozs_st_count(const ozs_st_file *file)
{
    return file ? file->n : 0;
}

const struct ozs_st_tensor *ozs_st_at(const ozs_st_file *file, size_t i)
{
    return file && i < file->n ? &file->tensors[i] : NULL;
}

const struct ozs_st_tensor *ozs_st_find(const ozs_st_file *file, const char *name)
{
    for (size_t i = 0; file && name && i < file->n; i++)
        if (strcmp(file->tensors[i].name, name) == 0)
            return &file->tensors[i];
    return NULL;
}

const char *ozs_st_meta(const ozs_st_file *file, const char *key)
{
    if (!file || !file->meta || !key)
        return NULL;
    return json_string_value(json_object_get(file->meta, key));
}

const char *ozs_st_path(const ozs_st_file *file)
{
    return file ? file->path : NULL;
}
