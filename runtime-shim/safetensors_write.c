/*
 * safetensors_write.c - the safetensors writer: collect borrowed tensors and
 * metadata, then write header and data in one pass through outfile.h (a temp
 * file beside the target, fsync and rename), so readers only ever see a
 * complete file.
 *
 * Layout follows the reference library: header padded with spaces so the
 * data block starts 8-byte aligned, tensors ordered by element size (largest
 * first) and packed with no holes, which keeps every tensor aligned and
 * satisfies readers that insist on contiguous offsets.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "outfile.h"
#include "safetensors.h"
#include "ozc_err.h"

struct entry {
    char *name;
    enum ozs_st_dtype dtype;
    int rank;
    int64_t shape[OZ_ST_MAX_RANK];
    size_t nbytes;
    const void *data;
    const void *const *rows; /* or the data in pieces of row_bytes each */
    size_t row_bytes;
};

struct ozs_st_writer {
    struct entry *entries;
    size_t n, cap;
    json_t *meta;
    char problem[256]; /* the first rejected add, reported by save */
};

static omnizip_status refuse(ozs_st_writer *w, omnizip_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static omnizip_status refuse(ozs_st_writer *w, omnizip_status st, const char *fmt, ...)
{
    if (w->problem[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        ozc_verr(w->problem, sizeof w->problem, fmt, ap);
        va_end(ap);
    }
    return st;
}

ozs_st_writer *ozs_st_writer_new(void)
{
    ozs_st_writer *w = calloc(1, sizeof *w);
    if (w && !(w->meta = json_object())) {
        free(w);
        return NULL;
    }
    return w;
}

void ozs_st_writer_free(ozs_st_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->entries[i].name);
    free(w->entries);
    json_decref(w->meta);
    free(w);
}

omnizip_status ozs_st_writer_add(ozs_st_writer *w, const char *name, enum ozs_st_dtype dtype,
                                 int rank, const int64_t *shape, const void *data)
{
    if (!w)
        return OMNIZIP_E_INVALID;
    if (!name || !*name || strcmp(name, "__metadata__") == 0)
        return refuse(w, OMNIZIP_E_INVALID, "invalid tensor name '%s'", name ? name : "(null)");
    if (ozs_st_dtype_size(dtype) == 0)
        return refuse(w, OMNIZIP_E_INVALID, "tensor '%s': unknown dtype %d", name, (int)dtype);
    if (rank < 0 || rank > OZ_ST_MAX_RANK || (rank > 0 && !shape))
        return refuse(w, OMNIZIP_E_INVALID, "tensor '%s': bad rank %d", name, rank);
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->entries[i].name, name) == 0)
            return refuse(w, OMNIZIP_E_INVALID, "tensor '%s' added twice", name);
    size_t nbytes = ozs_st_dtype_size(dtype);
    for (int d = 0; d < rank; d++) {
        if (shape[d] < 0)
            return refuse(w, OMNIZIP_E_INVALID, "tensor '%s': negative shape[%d]", name, d);
        if (__builtin_mul_overflow(nbytes, (size_t)shape[d], &nbytes))
            return refuse(w, OMNIZIP_E_INVALID, "tensor '%s': shape is too large", name);
    }
    if (!data && nbytes > 0)
        return refuse(w, OMNIZIP_E_INVALID, "tensor '%s': no data for %zu bytes", name, nbytes);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        struct entry *e = realloc(w->entries, cap * sizeof *e);
        if (!e)
            return refuse(w, OMNIZIP_E_NOMEM, "out of memory adding tensor '%s'", name);
        w->entries = e;
        w->cap = cap;
    }
    struct entry *e = &w->entries[w->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = strdup(name)))
        return refuse(w, OMNIZIP_E_NOMEM, "out of memory adding tensor '%s'", name);
    e->dtype = dtype;
    e->rank = rank;
    if (rank > 0)
        memcpy(e->shape, shape, (size_t)rank * sizeof *shape);
    e->nbytes = nbytes;
    e->data = data;
    w->n++;
    return OMNIZIP_OK;
}

omnizip_status ozs_st_writer_add_rows(ozs_st_writer *w, const char *name, enum ozs_st_dtype dtype,
                                      int rank, const int64_t *shape, const void *const *rows,
                                      size_t row_bytes)
{
    omnizip_status st = ozs_st_writer_add(w, name, dtype, rank, shape, rows);
    if (st != OMNIZIP_OK)
        return st;
    struct entry *e = &w->entries[w->n - 1];
    if (e->nbytes && (row_bytes == 0 || e->nbytes % row_bytes != 0)) {
        w->n--;
        free(e->name);
        return refuse(w, OMNIZIP_E_INVALID, "tensor '%s': %zu bytes are not whole rows of %zu",
                      name, e->nbytes, row_bytes);
    }
    e->data = NULL;
    e->rows = rows;
    e->row_bytes = row_bytes;
    return OMNIZIP_OK;
}

omnizip_status ozs_st_writer_meta(ozs_st_writer *w, const char *key, const char *value)
{
    if (!w)
        return OMNIZIP_E_INVALID;
    if (!key || !value)
        return refuse(w, OMNIZIP_E_INVALID, "metadata key or value missing");
    json_t *s = json_string(value);
    if (!s || json_object_set_new(w->meta, key, s) != 0)
        return refuse(w, OMNIZIP_E_INVALID, "metadata '%s' is not valid UTF-8", key);
    return OMNIZIP_OK;
}

/* Largest element size first, then by name: the reference library's order. */
static int goes_after(const struct entry *x, const struct entry *y)
{
    size_t sx = ozs_st_dtype_size(x->dtype), sy = ozs_st_dtype_size(y->dtype);
    if (sx != sy)
        return sx < sy;
    return strcmp(x->name, y->name) > 0;
}

/* The header text, padded; *order gets the data order. NULL on no memory. */
static char *build_header(ozs_st_writer *w, size_t *order, size_t *len)
{
    /* Insertion sort: qsort has no context argument and files hold few tensors. */
    for (size_t i = 0; i < w->n; i++) {
        size_t j = i;
        while (j > 0 && goes_after(&w->entries[order[j - 1]], &w->entries[i])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    json_t *root = json_object();
    int bad = !root;
    if (!bad && json_object_size(w->meta) > 0)
        bad = json_object_set(root, "__metadata__", w->meta) != 0;
    uint64_t off = 0;
    for (size_t k = 0; k < w->n && !bad; k++) {
        const struct entry *e = &w->entries[order[k]];
        json_t *shape = json_array();
        for (int d = 0; shape && d < e->rank; d++)
            json_array_append_new(shape, json_integer(e->shape[d]));
        json_t *t = json_pack("{s:s, s:o, s:[I,I]}", "dtype", ozs_st_dtype_name(e->dtype), "shape",
                              shape, "data_offsets", (json_int_t)off,
                              (json_int_t)(off + e->nbytes));
        bad = !t || json_object_set_new(root, e->name, t) != 0;
        off += e->nbytes;
    }
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    size_t padded = (8 + n + 7) / 8 * 8 - 8;
    char *out = realloc(text, padded + 1);
    if (!out) {
        free(text);
        return NULL;
    }
    memset(out + n, ' ', padded - n);
    out[padded] = '\0';
    *len = padded;
    return out;
}

/* A tensor given as row pointers goes out by writev, IOV_MAX rows at a time:
 * no intermediate copy of the kept rows exists. */
static int write_rows(int fd, const void *const *rows, size_t row_bytes, size_t n)
{
    enum { BATCH = 1024 };
    struct iovec iov[BATCH];
    for (size_t r = 0; r < n;) {
        size_t k = n - r < BATCH ? n - r : BATCH;
        for (size_t j = 0; j < k; j++)
            iov[j] = (struct iovec){(void *)rows[r + j], row_bytes};
        size_t want = k * row_bytes;
        ssize_t got = writev(fd, iov, (int)k);
        if (got < 0 && errno == EINTR)
            continue;
        if (got == (ssize_t)want) {
            r += k;
            continue;
        }
        /* A short write: finish row by row from where it stopped. */
        if (got < 0)
            return -1;
        size_t done = (size_t)got / row_bytes, part = (size_t)got % row_bytes;
        if (ozs_write_all(fd, (const char *)rows[r + done] + part, row_bytes - part) != 0)
            return -1;
        r += done + 1;
    }
    return 0;
}

static int write_file(int fd, const ozs_st_writer *w, const size_t *order, const char *header,
                      size_t hlen)
{
    unsigned char lenbuf[8];
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    if (ozs_write_all(fd, lenbuf, 8) != 0 || ozs_write_all(fd, header, hlen) != 0)
        return -1;
    for (size_t k = 0; k < w->n; k++) {
        const struct entry *e = &w->entries[order[k]];
        if (e->nbytes && e->rows && write_rows(fd, e->rows, e->row_bytes, e->nbytes / e->row_bytes))
            return -1;
        if (e->nbytes && !e->rows && ozs_write_all(fd, e->data, e->nbytes) != 0)
            return -1;
    }
    return 0;
}

omnizip_status ozs_st_writer_save(ozs_st_writer *w, const char *path, char *err, size_t err_size)
{
    if (!w || !path)
        return ozs_path_fail(err, err_size, OMNIZIP_E_INVALID, path ? path : "(null)",
                             "no writer or path given");
    if (w->problem[0])
        return ozs_path_fail(err, err_size, OMNIZIP_E_INVALID, path, "%s", w->problem);
    size_t *order = malloc((w->n ? w->n : 1) * sizeof *order);
    size_t hlen = 0;
    char *header = order ? build_header(w, order, &hlen) : NULL;
    if (!header) {
        free(order);
        return ozs_path_fail(err, err_size, OMNIZIP_E_NOMEM, path,
                             "out of memory building the header");
    }
    struct ozs_outfile out;
    omnizip_status st = ozs_outfile_open(&out, path, err, err_size);
    if (st == OMNIZIP_OK && write_file(out.fd, w, order, header, hlen) != 0) {
        int saved = errno;
        ozs_outfile_abort(&out);
        st = ozs_path_fail(err, err_size, OMNIZIP_E_IO, path, "cannot write: %s", strerror(saved));
    } else if (st == OMNIZIP_OK) {
        st = ozs_outfile_commit(&out, err, err_size);
    }
    free(order);
    free(header);
    return st;
}
