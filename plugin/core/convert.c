/* Row access in any supported dtype, and the two unit normalisations. */
#include "core/core.h"

#include <math.h>
#include <string.h>

void oz_row_f32(const struct omnizip_matrix *m, int64_t r, float *out)
{
    size_t es = ozc_dtype_size(m->dtype);
    const unsigned char *row = (const unsigned char *)m->data + (size_t)(r * m->row_stride) * es;
    if (m->dtype == OMNIZIP_DTYPE_F32) {
        memcpy(out, row, (size_t)m->cols * 4);
        return;
    }
    const uint16_t *h = (const uint16_t *)row;
    if (m->dtype == OMNIZIP_DTYPE_F16)
        for (int64_t c = 0; c < m->cols; c++)
            out[c] = ozc_f16_to_f32(h[c]);
    else
        for (int64_t c = 0; c < m->cols; c++)
            out[c] = ozc_bf16_to_f32(h[c]);
}

typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

/* Sixteen independent double lanes in GCC vector types: vectorised without
 * reassociation (the build forbids -ffast-math), summed in a fixed order, so
 * every target clone gives the same bits. */
OZ_CLONES
double oz_dot(const float *a, const float *b, int64_t n)
{
    v4d s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v4f x[4], y[4];
        memcpy(x, a + i, sizeof x);
        memcpy(y, b + i, sizeof y);
        s0 += __builtin_convertvector(x[0], v4d) * __builtin_convertvector(y[0], v4d);
        s1 += __builtin_convertvector(x[1], v4d) * __builtin_convertvector(y[1], v4d);
        s2 += __builtin_convertvector(x[2], v4d) * __builtin_convertvector(y[2], v4d);
        s3 += __builtin_convertvector(x[3], v4d) * __builtin_convertvector(y[3], v4d);
    }
    v4d t = (s0 + s1) + (s2 + s3);
    double sum = (t[0] + t[1]) + (t[2] + t[3]);
    for (; i < n; i++)
        sum += (double)a[i] * (double)b[i];
    return sum;
}

void oz_unit_eps(const float *x, int64_t d, float *out)
{
    float inv = (float)(1.0 / (sqrt(oz_dot(x, x, d)) + 1e-6));
    for (int64_t c = 0; c < d; c++)
        out[c] = x[c] * inv;
}
