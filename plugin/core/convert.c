/* Row access in any supported dtype, and the two unit normalisations. */
#include "core/core.h"

#include <math.h>
#include <string.h>

size_t oz_dtype_size(omnizip_dtype t)
{
    switch (t) {
    case OMNIZIP_DTYPE_F32: return 4;
    case OMNIZIP_DTYPE_F16: return 2;
    case OMNIZIP_DTYPE_BF16: return 2;
    default: return 0;
    }
}

float oz_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400u));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float oz_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t oz_f32_to_bf16(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((bits >> 16) | 0x40u); /* quiet NaN */
    bits += 0x7fffu + ((bits >> 16) & 1u);        /* round to nearest even */
    return (uint16_t)(bits >> 16);
}

uint16_t oz_f32_to_f16(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u)
        return sign | 0x7e00u;
    if (abs >= 0x477ff000u) /* rounds to >= 65520: infinity */
        return sign | 0x7c00u;
    if (abs < 0x38800000u) { /* below the smallest normal: subnormal or zero */
        if (abs < 0x33000000u)
            return sign;
        uint32_t man = (abs & 0x7fffffu) | 0x800000u;
        int shift = 126 - (int)(abs >> 23);
        uint32_t half = 1u << (shift - 1);
        uint32_t rest = man & ((1u << shift) - 1);
        uint32_t out = man >> shift;
        if (rest > half || (rest == half && (out & 1u)))
            out++;
        return sign | (uint16_t)out;
    }
    uint32_t out = ((abs >> 13) - (112u << 10));
    uint32_t rest = abs & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (out & 1u)))
        out++;
    return sign | (uint16_t)out;
}

void oz_row_f32(const struct omnizip_matrix *m, int64_t r, float *out)
{
    size_t es = oz_dtype_size(m->dtype);
    const unsigned char *row = (const unsigned char *)m->data + (size_t)(r * m->row_stride) * es;
    if (m->dtype == OMNIZIP_DTYPE_F32) {
        memcpy(out, row, (size_t)m->cols * 4);
        return;
    }
    const uint16_t *h = (const uint16_t *)row;
    if (m->dtype == OMNIZIP_DTYPE_F16)
        for (int64_t c = 0; c < m->cols; c++)
            out[c] = oz_f16_to_f32(h[c]);
    else
        for (int64_t c = 0; c < m->cols; c++)
            out[c] = oz_bf16_to_f32(h[c]);
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
