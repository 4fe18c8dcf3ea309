/*
 * ozc_suggest.h - header-only: "did you mean", the distance between a
 * mistyped word and the valid ones (config keys in the plugin; commands,
 * options and profile names in omnizip-run and omnizip-inspect).
 */
#ifndef OZC_SUGGEST_H
#define OZC_SUGGEST_H

#include <ctype.h>
#include <stdint.h>
#include <string.h>

/* Optimal string alignment distance (an adjacent swap costs 1), case-blind;
 * SIZE_MAX when either word has 64 bytes or more. */
static inline size_t ozc_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[64][64];
    if (la >= 64 || lb >= 64)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

/* The closest of n words to word, NULL when none is within a third of the
 * word's length (at least 2 edits): farther is no hint. */
static inline const char *ozc_suggest(const char *word, const char *const *words, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen(word);
    for (size_t i = 0; i < n; i++) {
        size_t d = ozc_distance(word, words[i]);
        if (d < best_d) {
            best = words[i];
            best_d = d;
        }
    }
    return best && best_d <= (len / 3 > 2 ? len / 3 : 2) ? best : NULL;
}

#endif
