/* The baseline strategies: their selection rules on cases worked out by hand
 * (plugin/core/baseline.c), the config keys, the equal budgets on a plan,
 * and the numpy reference (tests/ref/baselines.py) against the real
 * omnizip-run on the golden inputs and random cases. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "core/core.h"
#include "numpy_python.h"

static struct omnizip_config defaults(void)
{
    struct omnizip_config c = {.struct_size = sizeof c};
    oz_config_default(&c);
    return c;
}

/* Budget 7 over runs of 5, 3, 2 (total 10): 7*5/10 = 3.5, 7*3/10 = 2.1,
 * 7*2/10 = 1.4 -> floors 3, 2, 1 (6); the one left goes to the largest
 * remainder, run 0 (0.5) -> 4, 2, 1. */
Test(baseline, apportion_by_largest_remainder)
{
    int64_t len[3] = {5, 3, 2}, share[3], order[3];
    oz_apportion(len, 3, 10, 7, share, order);
    cr_assert(share[0] == 4 && share[1] == 2 && share[2] == 1, "%lld %lld %lld",
              (long long)share[0], (long long)share[1], (long long)share[2]);
    /* Equal remainders (budget 2 over 3 equal runs: 2/3 each): lower runs first. */
    int64_t eq[3] = {4, 4, 4};
    oz_apportion(eq, 3, 12, 2, share, order);
    cr_assert(share[0] == 1 && share[1] == 1 && share[2] == 0);
}

/* 3 of 10: floor((2k + 1) * 10 / 6) = 1, 5, 8. 10 of 10 keeps all; 0 none. */
Test(baseline, even_spacing)
{
    uint8_t keep[10];
    oz_even_keep(10, 3, keep);
    const uint8_t want[10] = {0, 1, 0, 0, 0, 1, 0, 0, 1, 0};
    cr_assert_arr_eq(keep, want, 10);
    oz_even_keep(10, 10, keep);
    for (int j = 0; j < 10; j++)
        cr_assert_eq(keep[j], 1);
    oz_even_keep(10, 0, keep);
    for (int j = 0; j < 10; j++)
        cr_assert_eq(keep[j], 0);
}

/* Budget 3 of 6 keys: the three largest are dropped, the tie at 0.9 (indices
 * 1 and 4) to the lower index first: drop 5 (3.0), 1, 4 -> keep 0, 2, 3. */
Test(baseline, drops_the_largest_keys)
{
    const double key[6] = {0.2, 0.9, -3.0, 0.5, 0.9, 3.0};
    int64_t order[6];
    uint8_t keep[6];
    oz_keep_below(key, 6, 3, order, keep);
    const uint8_t want[6] = {1, 0, 1, 1, 0, 0};
    cr_assert_arr_eq(keep, want, 6);
}

/* Same seed, same mask; another seed, another mask; always the budget. The
 * first draw by hand: splitmix64 from state 0 gives 0xe220a8397b1dcdaf
 * (Vigna's published first output), and 0xe220a8397b1dcdaf mod 10 = 5. */
Test(baseline, random_is_seeded)
{
    uint8_t a[10], b[10], c[10];
    int64_t idx[10];
    oz_random_keep(0, 0, 10, 1, idx, a);
    for (int j = 0; j < 10; j++)
        cr_assert_eq(a[j], j == 5, "index %d", j);
    oz_random_keep(42, 7, 10, 4, idx, a);
    oz_random_keep(42, 7, 10, 4, idx, b);
    oz_random_keep(43, 7, 10, 4, idx, c);
    cr_assert_arr_eq(a, b, 10);
    int kept = 0, same = 1;
    for (int j = 0; j < 10; j++) {
        kept += a[j];
        same &= a[j] == c[j];
    }
    cr_assert_eq(kept, 4);
    cr_assert_not(same, "seeds 42 and 43 drew the same mask");
}

Test(baseline, config_keys)
{
    struct omnizip_config c = defaults();
    char err[256], text[64];
    cr_assert_eq(c.strategy, OMNIZIP_STRATEGY_OMNIZIP);
    cr_assert_eq(oz_config_set(&c, "strategy", "dycoke", err, sizeof err), OMNIZIP_OK);
    cr_assert_eq(c.strategy, OMNIZIP_STRATEGY_DYCOKE);
    cr_assert_eq(oz_config_set(&c, "seed", "18446744073709551615", err, sizeof err), OMNIZIP_OK);
    cr_assert_eq(c.seed, UINT64_MAX);
    oz_config_key_format(&c, (size_t)oz_config_key_index("seed"), text, sizeof text);
    cr_assert_str_eq(text, "18446744073709551615");
    cr_assert_eq(oz_config_set(&c, "seed", "-1", err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert_eq(oz_config_set(&c, "strategy", "fastv", err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert(strstr(err, "omnizip, random, uniform or dycoke"), "%s", err);
    /* A 1.0 host's struct ends before strategy: the key is refused, not
     * written past its end. */
    struct omnizip_config old = defaults();
    old.struct_size = OZ_CONFIG_SIZE_1_0;
    cr_assert_eq(oz_config_set(&old, "strategy", "random", err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert_eq(old.strategy, OMNIZIP_STRATEGY_OMNIZIP);
    cr_assert_eq(oz_config_check(&old, err, sizeof err), OMNIZIP_OK, "%s", err);
    /* Baselines are planned over the whole clip: no streaming form. */
    struct omnizip_config st = defaults();
    st.strategy = OMNIZIP_STRATEGY_RANDOM;
    st.mode = OMNIZIP_MODE_STREAMING;
    cr_assert_eq(oz_config_check(&st, err, sizeof err), OMNIZIP_E_PROFILE);
    cr_assert(strstr(err, "needs mode reference"), "%s", err);
}

/* Two windows of 10 audio and 8 video tokens (2 frames of 4). Every
 * baseline plan keeps OmniZip's totals, with no anchors; random and uniform
 * know their per-window counts at plan, dycoke only the totals. */
Test(baseline, equal_budgets_on_a_plan)
{
    const int64_t alen[2] = {10, 10}, vlen[2] = {8, 8};
    struct omnizip_layout lay = {.struct_size = sizeof lay,
                                 .n_video_runs = 2,
                                 .n_audio_runs = 2,
                                 .video_run_len = vlen,
                                 .audio_run_len = alen,
                                 .tokens_per_frame = 4,
                                 .grid_t = 4};
    float s[20];
    for (int j = 0; j < 20; j++)
        s[j] = (float)((j * 7) % 20);
    struct omnizip_config c = defaults();
    c.rho_audio = 0.3;
    struct oz_plan ref, p;
    char err[256];
    cr_assert_eq(oz_plan_build(&ref, &c, &lay, s, 20, err, sizeof err), OMNIZIP_OK, "%s", err);
    for (int32_t strat = 1; strat <= 3; strat++) {
        c.strategy = strat;
        cr_assert_eq(oz_plan_build(&p, &c, &lay, s, 20, err, sizeof err), OMNIZIP_OK, "%s", err);
        cr_assert_eq(p.audio_kept, ref.audio_kept);
        cr_assert_eq(p.video_kept, ref.video_kept);
        cr_assert_eq(p.n_anchors, 0);
        cr_assert_eq(p.counts_at_bind, strat == OMNIZIP_STRATEGY_DYCOKE);
        if (!p.counts_at_bind) {
            int64_t a = 0, v = 0;
            for (int j = 0; j < 20; j++)
                a += p.audio_state[j] == OMNIZIP_AUDIO_KEPT;
            for (int j = 0; j < 16; j++)
                v += p.video_keep[j];
            cr_assert(a == ref.audio_kept && v == ref.video_kept);
            cr_assert_eq(p.win[0].audio_kept + p.win[1].audio_kept, ref.audio_kept);
        }
        oz_plan_free(&p);
    }
    oz_plan_free(&ref);
}

Test(baseline, numpy_reference, .timeout = 300)
{
    const char *py = find_python();
    if (!py)
        cr_skip_test("python3 with numpy not found: baseline reference not run");
    char cmd[512], line[1024], last[1024] = "";
    snprintf(cmd, sizeof cmd,
             "%s tests/ref/baselines.py --random 40 --seed 7 tests/data/*.safetensors "
             "2>&1",
             py);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strstr(line, "passed, "))
            cr_log_info("%s", line);
        snprintf(last, sizeof last, "%s", line);
    }
    int rc = pclose(p);
    cr_assert(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "%s: %s", cmd, last);
    cr_assert(strstr(last, " passed, 0 failed"), "%s", last);
}
