/*
 * test_fuzz_corpus.c - every committed fuzz input (tests/fuzz/corpus/<target>/:
 * seeds and each input that once crashed a target) replayed through its
 * target by the plain driver ($OMNIZIP_BUILD/fuzz-replay/fuzz_<target>),
 * built by the normal compiler: no clang or libFuzzer needed. A crash, an
 * abort of a target's own check, or (SANITIZE=1) any ASan/UBSan report
 * fails the target's test.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static void replay(const char *target)
{
    const char *b = getenv("OMNIZIP_BUILD");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/fuzz-replay/fuzz_%s tests/fuzz/corpus/%s > /dev/null",
             b && *b ? b : "build", target, target);
    int status = system(cmd);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "replaying tests/fuzz/corpus/%s failed (status %d): run %s", target, status, cmd);
}

Test(fuzz_corpus, abi, .timeout = 300)
{
    replay("abi");
}
Test(fuzz_corpus, dump, .timeout = 300)
{
    replay("dump");
}
Test(fuzz_corpus, profile, .timeout = 300)
{
    replay("profile");
}
Test(fuzz_corpus, ring, .timeout = 300)
{
    replay("ring");
}
Test(fuzz_corpus, trace, .timeout = 300)
{
    replay("trace");
}
