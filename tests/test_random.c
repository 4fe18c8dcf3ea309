/* test_random.c - random conformance: tests/ref/check_random.py draws seeded
 * cases, computes their answers with the independent numpy reference and
 * compares them with $OMNIZIP_BUILD/omnizip-run (masks and counts exact, rates
 * bit-exact, merged embeddings within 1e-5). Needs python3 with numpy: skipped
 * without them. OMNIZIP_RANDOM_SEED and OMNIZIP_RANDOM_N override the seed and
 * the case count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include "numpy_python.h"

#define SCRIPT "tests/ref/check_random.py"
#define DEFAULT_SEED "20251124"
#define DEFAULT_N "200"

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* Only digits reach the shell command line. */
static int digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Runs check_random.py with `extra` arguments and n cases by default. */
static void conformance(const char *extra, const char *default_n)
{
    const char *py = find_python();
    if (!py)
        cr_skip_test("python3 with numpy not found: random conformance not run");
    cr_assert(access(SCRIPT, R_OK) == 0, "%s not found (run from the repository root)", SCRIPT);
    const char *seed = env_or("OMNIZIP_RANDOM_SEED", DEFAULT_SEED);
    const char *n = env_or("OMNIZIP_RANDOM_N", default_n);
    cr_assert(digits(seed) && digits(n), "OMNIZIP_RANDOM_SEED/OMNIZIP_RANDOM_N must be numbers");

    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s --n %s --seed %s %s 2>&1", py, SCRIPT, n, seed, extra);
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL, "cannot run %s", cmd);
    /* Keep the summary and the first failures for the report. */
    char line[4096], first[4][4096], last[4096] = "";
    int shown = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "note:", 5) == 0)
            cr_log_warn("%s", line);
        else if (shown < 4 && strstr(line, "passed, ") == NULL)
            snprintf(first[shown++], sizeof first[0], "%s", line);
        snprintf(last, sizeof last, "%s", line);
    }
    int rc = pclose(p);
    for (int i = 0; i < shown; i++)
        cr_log_error("%s", first[i]);
    cr_assert(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "%s: exit %d, last line: %s", cmd,
              WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, last);
    cr_assert(strstr(last, " passed, 0 failed") != NULL, "unexpected summary: %s", last);
}

Test(random, reference_conformance, .timeout = 300)
{
    conformance("", DEFAULT_N);
}

/* normalize: exact on the same kind of cases: the engine against the
 * reference (masks, rates, plan counts), the mode's contract (the budget to
 * the token when reachable, the same total for other scores, rates in their
 * clamps) and the totals of a plan without audio scores. */
Test(random, exact_normalisation, .timeout = 300)
{
    conformance("--normalize exact", "60");
}

/* mode: streaming on the same kind of cases against tests/ref/stream_ref.py,
 * written from docs/STREAMING.md: each window decided from itself and the
 * windows before it; masks, merged anchors (window scope), S_a and rates. */
Test(random, streaming_conformance, .timeout = 300)
{
    conformance("--mode streaming", "100");
}
