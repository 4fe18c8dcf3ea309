/* cli_suggest.c - "did you mean": the closest of a list of words (commands,
 * options, profile names) to one the user mistyped. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Levenshtein distance, case-blind, in one row; words past 63 bytes get
 * SIZE_MAX. */
static size_t edits(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 64 || lb >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

const char *oz_cli_suggest(const char *word, const char *const *words, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen(word);
    for (size_t i = 0; i < n; i++) {
        size_t d = edits(word, words[i]);
        if (d < best_d) {
            best = words[i];
            best_d = d;
        }
    }
    /* Farther than a third of the word (at least 2) is no hint. */
    return best && best_d <= (len / 3 > 2 ? len / 3 : 2) ? best : NULL;
}
