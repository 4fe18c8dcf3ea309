/*
 * ozc_err.h - header-only, shared by every component: writing an error
 * message into a caller's buffer (pointer + size, either may be NULL/0),
 * always terminated, truncated safely. Formatting only: nothing prints.
 */
#ifndef OZC_ERR_H
#define OZC_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline void ozc_verr(char *err, size_t size, const char *fmt, va_list ap)
{
    if (err && size)
        vsnprintf(err, size, fmt, ap);
}

static inline void ozc_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void ozc_err(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ozc_verr(err, size, fmt, ap);
    va_end(ap);
}

/* "FILE:LINE:COL: message" with 1-based marks: the one form of every error
 * that points into a file. */
static inline void ozc_verr_at(char *err, size_t size, const char *file, int line, int col,
                               const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ozc_err(err, size, "%s:%d:%d: %s", file, line, col, msg);
}

#endif
