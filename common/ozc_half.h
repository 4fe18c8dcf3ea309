/*
 * ozc_half.h - header-only, shared by every component: the element size of
 * each omnizip_dtype, and IEEE binary16 / bfloat16 conversions.
 *
 * Written out bit by bit rather than with _Float16 so the result does not
 * depend on the compiler or the CPU's conversion instructions; narrowing
 * rounds to nearest, ties to even, as PyTorch's .half() and .bfloat16() do,
 * and a NaN stays a quiet NaN with its payload's top bits.
 */
#ifndef OZC_HALF_H
#define OZC_HALF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <omnizip/omnizip.h>

/* Bytes per element, 0 for a dtype omnizip does not know. */
static inline size_t ozc_dtype_size(omnizip_dtype t)
{
    switch (t) {
    case OMNIZIP_DTYPE_F32: return 4;
    case OMNIZIP_DTYPE_F16: return 2;
    case OMNIZIP_DTYPE_BF16: return 2;
    default: return 0;
    }
}

static inline uint32_t ozc_bits_of(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return x;
}

static inline float ozc_float_of(uint32_t x)
{
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

static inline float ozc_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f)
        return ozc_float_of(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        if (man == 0)
            return ozc_float_of(sign);
        /* Subnormal: shift the mantissa up until its leading one is implicit. */
        exp = 113;
        while (!(man & 0x400u)) {
            man <<= 1;
            exp--;
        }
        man &= 0x3ffu;
        return ozc_float_of(sign | (exp << 23) | (man << 13));
    }
    return ozc_float_of(sign | ((exp + 112) << 23) | (man << 13));
}

static inline float ozc_bf16_to_f32(uint16_t h)
{
    return ozc_float_of((uint32_t)h << 16);
}

static inline uint16_t ozc_f32_to_f16(float f)
{
    uint32_t x = ozc_bits_of(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xff)
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10)
            return sign;
        uint32_t full = man | 0x800000u;
        int shift = 14 - e;
        uint32_t m = full >> shift;
        uint32_t rem = full & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (m & 1u)))
            m++;
        /* A carry into bit 10 is the smallest normal: the encoding is right. */
        return (uint16_t)(sign | m);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
        h++; /* may carry into the exponent, up to Inf: that is the right result */
    return (uint16_t)(sign | h);
}

static inline uint16_t ozc_f32_to_bf16(float f)
{
    uint32_t x = ozc_bits_of(f);
    if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu))
        return (uint16_t)((x >> 16) | 0x40u); /* keep NaN a (quiet) NaN */
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

#endif
