/*
 * frame.c - the cell grid shared by drawing, painting and the text dump.
 */
#include "frame.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int ozi_frame_resize(struct ozi_frame *f, int w, int h)
{
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    size_t n = (size_t)w * (size_t)h;
    uint32_t *ch = realloc(f->ch, n * sizeof(*ch));
    if (!ch)
        return -1;
    f->ch = ch;
    unsigned char *role = realloc(f->role, n);
    if (!role)
        return -1;
    f->role = role;
    f->w = w;
    f->h = h;
    ozi_frame_clear(f);
    return 0;
}

void ozi_frame_free(struct ozi_frame *f)
{
    free(f->ch);
    free(f->role);
    f->ch = NULL;
    f->role = NULL;
    f->w = f->h = 0;
}

void ozi_frame_clear(struct ozi_frame *f)
{
    size_t n = (size_t)f->w * (size_t)f->h;
    for (size_t i = 0; i < n; i++)
        f->ch[i] = ' ';
    memset(f->role, OZ_R_NORMAL, n);
}

void ozi_frame_cell(struct ozi_frame *f, int y, int x, enum ozi_role role, uint32_t ch)
{
    if (y < 0 || y >= f->h || x < 0 || x >= f->w)
        return;
    size_t i = (size_t)y * (size_t)f->w + (size_t)x;
    f->ch[i] = ch;
    f->role[i] = (unsigned char)role;
}

void ozi_frame_role(struct ozi_frame *f, int y, int x0, int x1, enum ozi_role role)
{
    if (y < 0 || y >= f->h)
        return;
    for (int x = x0 < 0 ? 0 : x0; x < x1 && x < f->w; x++)
        f->role[(size_t)y * (size_t)f->w + (size_t)x] = (unsigned char)role;
}

/* Decodes one UTF-8 sequence; returns its length and the code point, or
 * length 1 and '?' for anything malformed. */
static int decode(const unsigned char *s, uint32_t *cp)
{
    int n = s[0] < 0x80             ? 1
            : (s[0] & 0xE0) == 0xC0 ? 2
            : (s[0] & 0xF0) == 0xE0 ? 3
            : (s[0] & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (n == 0) {
        *cp = '?';
        return 1;
    }
    uint32_t c = n == 1 ? s[0] : s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = '?';
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        c = '?';
    *cp = c < 0x20 || (c >= 0x7F && c < 0xA0) ? '?' : c;
    return n;
}

int ozi_frame_put(struct ozi_frame *f, int y, int x, enum ozi_role role, const char *utf8)
{
    const unsigned char *s = (const unsigned char *)utf8;
    while (*s) {
        uint32_t cp;
        s += decode(s, &cp);
        ozi_frame_cell(f, y, x++, role, cp);
    }
    return x;
}

int ozi_frame_printf(struct ozi_frame *f, int y, int x, enum ozi_role role, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return ozi_frame_put(f, y, x, role, buf);
}

int ozi_utf8_encode(uint32_t cp, char *buf)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int ozi_frame_write(const struct ozi_frame *f, FILE *out)
{
    for (int y = 0; y < f->h; y++) {
        const uint32_t *row = f->ch + (size_t)y * (size_t)f->w;
        int end = f->w;
        while (end > 0 && row[end - 1] == ' ')
            end--;
        for (int x = 0; x < end; x++) {
            char buf[5];
            fwrite(buf, 1, (size_t)ozi_utf8_encode(row[x], buf), out);
        }
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}
