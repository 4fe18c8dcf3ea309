/*
 * ozc_clock.h - header-only, shared by every component: the one clock
 * omnizip measures with (CLOCK_MONOTONIC: never jumps with the wall clock).
 */
#ifndef OZC_CLOCK_H
#define OZC_CLOCK_H

#include <time.h>

/* Microseconds since an arbitrary fixed point. */
static inline double ozc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Milliseconds since the same point. */
static inline double ozc_now_ms(void)
{
    return ozc_now_us() / 1e3;
}

#endif
