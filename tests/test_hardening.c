/* test_hardening.c - the real omnizip-run and omnizip-inspect binaries
 * against everything that used to destroy a file or hang: IN, OUT and the
 * trace being one file through any name, links planted at the trace path,
 * devices and FIFOs as outputs or inputs, modes and umasks, a full disk,
 * SIGINT/SIGTERM mid-run, no terminal. Each test works in its own scratch
 * directory; children run with a deadline so a hang is a failure. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "safetensors.h"
#include "slurp.h"
#include "tmpdir.h"

#define GOLDEN "tests/data/basic.safetensors"

TestSuite(hardening, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 120);

static const char *build_dir(void)
{
    const char *b = getenv("OMNIZIP_BUILD");
    return b && *b ? b : "build";
}

/* A path in the scratch directory; valid for the next 15 calls. */
static char *tpath(const char *name)
{
    static char paths[16][512];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

struct child {
    mode_t umask;     /* 0: leave as is */
    long fsize_limit; /* bytes; 0: none */
    const char *out;  /* stdout file, NULL: tmpdir/stdout.txt */
};

static pid_t spawn(const struct child *c, const char *prog, const char *const *args)
{
    const char *argv[40];
    char path[512];
    snprintf(path, sizeof path, "%s/%s", build_dir(), prog);
    int n = 0;
    argv[n++] = path;
    while (*args && n < 39)
        argv[n++] = *args++;
    argv[n] = NULL;
    char out[512], err[512];
    if (c && c->out)
        snprintf(out, sizeof out, "%s", c->out);
    else
        snprintf(out, sizeof out, "%s/stdout.txt", tmpdir);
    snprintf(err, sizeof err, "%s/stderr.txt", tmpdir);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int z = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || z < 0)
            _exit(126);
        dup2(z, 0);
        dup2(o, 1);
        dup2(e, 2);
        if (c && c->umask)
            umask(c->umask);
        if (c && c->fsize_limit) {
            struct rlimit rl = {(rlim_t)c->fsize_limit, (rlim_t)c->fsize_limit};
            signal(SIGXFSZ, SIG_IGN); /* EFBIG from write(), as a full disk gives ENOSPC */
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        execv(path, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits at most seconds; kills a child that takes longer (a hang). Returns
 * the wait status, or -1 on a hang. */
static int finish(pid_t pid, int seconds)
{
    for (int i = 0; i < seconds * 100; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static int run_in(const struct child *c, const char *prog, const char *const *args)
{
    int status = finish(spawn(c, prog, args), 60);
    cr_assert_neq(status, -1, "%s hung", prog);
    cr_assert(WIFEXITED(status), "%s died (status %d)", prog, status);
    return WEXITSTATUS(status);
}

#define RUN(...) run_in(NULL, "omnizip-run", (const char *const[]){__VA_ARGS__, NULL})
#define INSPECT(...) run_in(NULL, "omnizip-inspect", (const char *const[]){__VA_ARGS__, NULL})

static void copy(const char *from, const char *to)
{
    size_t n;
    char *data = slurp(from, &n);
    FILE *f = fopen(to, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    free(data);
}

static void expect_same_bytes(const char *path, const char *golden)
{
    size_t a, b;
    char *x = slurp(path, &a), *y = slurp(golden, &b);
    cr_expect(a == b && memcmp(x, y, a) == 0, "%s changed", path);
    free(x);
    free(y);
}

static void expect_stderr(const char *words)
{
    char *e = slurp(tpath("stderr.txt"), NULL);
    cr_expect(strstr(e, words) != NULL, "stderr lacks '%s': %s", words, e);
    free(e);
}

/* Files in the scratch directory whose name contains ".tmp.". */
static int temp_files(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

static int valid_output(const char *path)
{
    ozs_st_file *f = NULL;
    char err[512];
    if (ozs_st_open(path, &f, err, sizeof err) != OMNIZIP_OK)
        return 0;
    int ok = ozs_st_find(f, "keep_mask") != NULL;
    ozs_st_close(f);
    return ok;
}

Test(hardening, output_equal_to_input_refused)
{
    char *in = tpath("in.safetensors");
    copy(GOLDEN, in);
    cr_expect_eq(RUN("compress", in, "-o", in), 2);
    expect_stderr("same file");
    expect_same_bytes(in, GOLDEN);
    /* Through a hard link, a symbolic link and another spelling. */
    char *hard = tpath("hard.safetensors"), *soft = tpath("soft.safetensors");
    cr_assert_eq(link(in, hard), 0);
    cr_assert_eq(symlink(in, soft), 0);
    char dotted[600];
    snprintf(dotted, sizeof dotted, "%s/./in.safetensors", tmpdir);
    cr_expect_eq(RUN("compress", in, "-o", hard), 2);
    cr_expect_eq(RUN("compress", in, "-o", soft), 2);
    cr_expect_eq(RUN("compress", soft, "-o", dotted), 2);
    expect_same_bytes(in, GOLDEN);
    cr_expect_eq(temp_files(), 0);
}

Test(hardening, trace_equal_to_input_or_output_refused)
{
    char *in = tpath("in.safetensors"), *out = tpath("out.safetensors");
    copy(GOLDEN, in);
    cr_expect_eq(RUN("compress", in, "-o", out, "--trace", in), 2);
    expect_same_bytes(in, GOLDEN);
    cr_expect_eq(RUN("compress", in, "-o", out, "--trace", out), 2, "trace = OUT, neither exists");
    cr_expect_neq(access(out, F_OK), 0, "nothing written");
    cr_expect_eq(temp_files(), 0);
}

Test(hardening, force_replaces_the_input_through_a_complete_file)
{
    char *in = tpath("in.safetensors");
    copy(GOLDEN, in);
    cr_expect_eq(RUN("compress", in, "-o", in, "--force"), 0);
    cr_expect(valid_output(in), "IN is now a complete output file");
    cr_expect_eq(temp_files(), 0);
}

Test(hardening, devices_and_fifos_written_in_place_never_replaced)
{
    char *in = tpath("in.safetensors"), *fifo = tpath("out.fifo");
    copy(GOLDEN, in);
    struct stat before, after;
    cr_assert_eq(stat("/dev/null", &before), 0);
    cr_expect_eq(RUN("compress", in, "-o", "/dev/null", "--trace", "/dev/null"), 0);
    cr_assert_eq(stat("/dev/null", &after), 0);
    cr_expect(S_ISCHR(after.st_mode) && after.st_rdev == before.st_rdev, "/dev/null replaced");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    pid_t reader = fork();
    if (reader == 0) {
        int fd = open(fifo, O_RDONLY);
        char buf[4096];
        size_t total = 0;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            total += (size_t)n;
        _exit(total > 8 ? 0 : 1);
    }
    cr_expect_eq(RUN("compress", in, "-o", fifo), 0);
    int status;
    cr_expect_eq(finish(reader, 30), 0, "the FIFO's reader got the file (status %d)", status = 0);
    cr_assert_eq(lstat(fifo, &after), 0);
    cr_expect(S_ISFIFO(after.st_mode), "the FIFO is still a FIFO");
    cr_expect_eq(RUN("compress", in, "-o", tmpdir), 1, "a directory is refused");
    cr_expect_eq(temp_files(), 0);
}

Test(hardening, output_mode_follows_umask_and_keeps_an_existing_mode)
{
    char *in = tpath("in.safetensors"), *out = tpath("out.safetensors");
    copy(GOLDEN, in);
    struct child c = {.umask = 027};
    cr_expect_eq(run_in(&c, "omnizip-run", (const char *const[]){"compress", in, "-o", out, NULL}),
                 0);
    struct stat st;
    cr_assert_eq(stat(out, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
    cr_assert_eq(chmod(out, 0600), 0);
    cr_expect_eq(RUN("compress", in, "-o", out), 0);
    cr_assert_eq(stat(out, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600, "an existing 0600 file widened to %o", st.st_mode & 0777);
}

Test(hardening, planted_trace_symlink_never_followed)
{
    char *in = tpath("in.safetensors"), *out = tpath("out.safetensors");
    char *victim = tpath("victim.txt"), *trace = tpath("trace.jsonl");
    copy(GOLDEN, in);
    FILE *f = fopen(victim, "w");
    fputs("precious\n", f);
    fclose(f);
    cr_assert_eq(symlink(victim, trace), 0);
    cr_expect_eq(RUN("compress", in, "-o", out, "--trace", trace), 0);
    char *v = slurp(victim, NULL);
    cr_expect_str_eq(v, "precious\n");
    free(v);
    struct stat st;
    cr_assert_eq(lstat(trace, &st), 0);
    cr_expect(S_ISREG(st.st_mode), "the trace replaced the link");
}

Test(hardening, full_disk_leaves_no_partial_trace_or_output)
{
    char *in = tpath("in.safetensors"), *out = tpath("out.safetensors");
    char *trace = tpath("trace.jsonl");
    copy(GOLDEN, in);
    /* Files may not grow past 1000 bytes: the trace (a few KB) cannot be written. */
    struct child c = {.fsize_limit = 1000};
    int rc = run_in(&c, "omnizip-run",
                    (const char *const[]){"compress", in, "-o", out, "--trace", trace, NULL});
    cr_expect_eq(rc, 1);
    expect_stderr(trace);
    cr_expect_neq(access(trace, F_OK), 0, "no partial trace");
    cr_expect_neq(access(out, F_OK), 0, "no output after a failed trace");
    cr_expect_eq(temp_files(), 0);
}

Test(hardening, fifo_inputs_refused_without_hanging)
{
    char *fifo = tpath("in.fifo"), *out = tpath("out.safetensors");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_expect_eq(RUN("compress", fifo, "-o", out), 3);
    expect_stderr("not a regular file");
    cr_expect_eq(RUN("--profile", fifo), 4);
    expect_stderr("not a regular file");
    cr_expect_eq(RUN("profile", "check", fifo), 4);
    cr_expect_eq(INSPECT("--replay", fifo, "--dump"), 3);
    expect_stderr("not a regular file");
}

Test(hardening, signals_mid_write_leave_no_temp_file)
{
    char *in = tpath("in.safetensors"), *out = tpath("out.safetensors");
    char *trace = tpath("trace.jsonl");
    copy("tests/data/paper45.safetensors", in);
    for (int i = 0; i < 24; i++) {
        pid_t pid = spawn(NULL, "omnizip-run",
                          (const char *const[]){"compress", in, "-o", out, "--trace", trace,
                                                "--force", NULL});
        struct timespec ts = {0, (long)(i % 12) * 4000000L};
        nanosleep(&ts, NULL);
        kill(pid, i % 2 ? SIGTERM : SIGINT);
        int status = finish(pid, 60);
        cr_assert_neq(status, -1);
        cr_expect_eq(temp_files(), 0, "a temp file left after signal %d at %ld ms", i % 2 ? 15 : 2,
                     (long)(i % 12) * 4);
        if (access(out, F_OK) == 0)
            cr_expect(valid_output(out), "OUT is complete or absent");
    }
    expect_same_bytes(in, "tests/data/paper45.safetensors");
}

/* The --live run's segments in /dev/shm; their names in names (may be NULL). */
static int segments_of(pid_t pid, char *names, size_t size)
{
    char prefix[40];
    snprintf(prefix, sizeof prefix, "omnizip-%d-", (int)pid);
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    int n = 0;
    if (names && size)
        names[0] = '\0';
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        n++;
        if (names)
            snprintf(names + strlen(names), size - strlen(names), " %s", e->d_name);
    }
    if (d)
        closedir(d);
    return n;
}

/* A --live run of the built-in clip, once its windows are running (*seen:
 * its banner is printed and its segment exists; the config probe's context
 * before it has a short-lived segment of its own). */
static pid_t live_run(int *seen)
{
    pid_t pid = spawn(NULL, "omnizip-run", (const char *const[]){"--live", "--pace", "200", NULL});
    char out[512];
    snprintf(out, sizeof out, "%s/stdout.txt", tmpdir);
    *seen = 0;
    for (int i = 0; i < 3000 && !*seen; i++) {
        FILE *f = fopen(out, "r");
        char line[512] = "";
        int banner = f && fgets(line, sizeof line, f) && strstr(line, "inspect with");
        if (f)
            fclose(f);
        *seen = banner && segments_of(pid, NULL, 0) > 0;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return pid;
}

static void live_killed_by(int sig)
{
    int seen;
    pid_t pid = live_run(&seen);
    kill(pid, sig);
    int status = finish(pid, 30);
    cr_expect(seen, "the live run made a segment");
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == sig, "died of signal %d (status %d)", sig,
              status);
    char left[512];
    cr_expect_eq(segments_of(pid, left, sizeof left), 0, "segment left after signal %d:%s", sig,
                 left);
}

Test(hardening, live_run_removes_its_segment_on_sigint)
{
    live_killed_by(SIGINT);
}
Test(hardening, live_run_removes_its_segment_on_sigterm)
{
    live_killed_by(SIGTERM);
}

Test(hardening, inspector_without_terminal_exits_at_once)
{
    cr_expect_eq(INSPECT("--replay", "tests/traces/ten.jsonl"), 2);
    expect_stderr("not a terminal");
    cr_expect_eq(INSPECT("--replay", "tests/traces/ten.jsonl", "--dump"), 0);
}

Test(hardening, inspector_refuses_a_file_with_no_record)
{
    cr_expect_eq(INSPECT("--replay", "README.md", "--dump"), 3);
    expect_stderr("no valid trace record");
    char *empty = tpath("empty.jsonl");
    fclose(fopen(empty, "w"));
    cr_expect_eq(INSPECT("--replay", empty, "--dump"), 3);
}

Test(hardening, inspector_cleans_only_stale_segments)
{
    /* A child of ours leaves a segment behind, as a killed writer would. */
    int seen;
    pid_t pid = live_run(&seen);
    cr_assert(seen);
    char pid_text[24];
    snprintf(pid_text, sizeof pid_text, "%d", (int)pid);
    cr_expect_eq(INSPECT("--clean", pid_text), 0);
    char *first = slurp(tpath("stdout.txt"), NULL);
    int st;
    cr_expect_eq(segments_of(pid, NULL, 0), 1, "a live writer's segment is not stale: %s (%d)",
                 first, waitpid(pid, &st, WNOHANG) == pid ? st : -1);
    free(first);
    kill(pid, SIGKILL); /* no handler runs: the segment stays, stale */
    finish(pid, 30);
    cr_expect_eq(segments_of(pid, NULL, 0), 1);
    cr_expect_eq(INSPECT("--clean", pid_text), 0);
    char *o = slurp(tpath("stdout.txt"), NULL);
    cr_expect(strstr(o, "removed stale segment") != NULL, "%s", o);
    free(o);
    cr_expect_eq(segments_of(pid, NULL, 0), 0);
}

/* A tiny dump whose shapes or grid claim terabytes. */
static void write_claiming(const char *path, int64_t d, const int64_t grid[3])
{
    ozs_st_writer *w = ozs_st_writer_new();
    cr_assert_not_null(w);
    int64_t e[2] = {0, d}, z = 0, g[2] = {1, 3};
    ozs_st_writer_add(w, "inputs_embeds", OZ_ST_F32, 2, e, NULL);
    ozs_st_writer_add(w, "input_ids", OZ_ST_I64, 1, &z, NULL);
    ozs_st_writer_add(w, "audio_scores", OZ_ST_F32, 1, &z, NULL);
    ozs_st_writer_add(w, "video_grid_thw", OZ_ST_I64, 2, g, grid);
    ozs_st_writer_meta(w, "audio_token_id", "7");
    ozs_st_writer_meta(w, "video_token_id", "8");
    char err[512];
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_writer_free(w);
}

Test(hardening, dumps_claiming_terabytes_refused_with_exit_3)
{
    char *in = tpath("in.safetensors"), *out = tpath("out.safetensors");
    static const int64_t small[3] = {0, 2, 2}, huge[3] = {1, (int64_t)1 << 31, (int64_t)1 << 31};
    write_claiming(in, (int64_t)1 << 40, small);
    cr_expect_eq(RUN("compress", in, "-o", out), 3);
    expect_stderr("columns");
    write_claiming(in, 16, huge);
    cr_expect_eq(RUN("compress", in, "-o", out), 3);
    expect_stderr("too large");
    cr_expect_neq(access(out, F_OK), 0);
    cr_expect_eq(temp_files(), 0);
}
