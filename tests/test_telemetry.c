/*
 * The telemetry ring: the plugin's writer (oz_telemetry_*) against the
 * inspector's reader (oz_ring_*), in threads and processes, with corrupted
 * and stale segments. Every segment a test makes is unlinked by the test.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <omnizip/telemetry.h>

#include "live.h"
#include "model.h"
#include "ring.h"
#include "telemetry.h"

static struct omnizip_config config(void)
{
    struct omnizip_config c;
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    c.rho_audio = 0.3;
    c.rho_video = 0.6;
    c.rho_min = 0.35;
    c.rho_max = 0.75;
    c.g = 3;
    return c;
}

/* Record k: every field derived from k, so a torn copy cannot pass check(). */
static struct omnizip_window_info record(uint64_t k)
{
    struct omnizip_window_info w;
    memset(&w, 0, sizeof(w));
    w.struct_size = sizeof(w);
    w.index = (uint32_t)k;
    w.audio_in = (int64_t)k;
    w.audio_kept = (int64_t)k * 3;
    w.audio_anchors = (int64_t)k * 5;
    w.audio_merged = (int64_t)k * 7;
    w.video_in = (int64_t)k + 11;
    w.video_kept = (int64_t)k + 13;
    w.s_a = (double)k * 0.5;
    w.base_rate = (double)k * 0.25;
    w.rate = (double)k * 0.125;
    w.guided = (int32_t)(k & 1);
    w.micros = (double)k + 0.5;
    w.flops = -(double)k;
    return w;
}

static int consistent(const struct omnizip_window_info *w)
{
    struct omnizip_window_info want = record((uint64_t)w->audio_in);
    return memcmp(&want, w, sizeof(want)) == 0;
}

static struct oz_telemetry *open_ring(void)
{
    struct omnizip_config c = config();
    struct oz_telemetry *t = NULL;
    char err[256] = "";
    cr_assert_eq(oz_telemetry_open(&t, &c, err, sizeof(err)), OMNIZIP_OK, "%s", err);
    return t;
}

Test(telemetry, publish_and_read_back)
{
    struct oz_telemetry *t = open_ring();
    char name[80];
    snprintf(name, sizeof(name), "%s", oz_telemetry_name(t));
    char want[80];
    snprintf(want, sizeof(want), "/omnizip-%d-", (int)getpid());
    cr_expect_eq(strncmp(name, want, strlen(want)), 0, "name %s", name);
    oz_telemetry_plan(t, 3);
    for (uint64_t k = 0; k < 3; k++) {
        struct omnizip_window_info w = record(k);
        oz_telemetry_publish(t, &w);
    }
    struct ozi_ring *r;
    char err[256];
    cr_assert_eq(ozi_ring_attach(&r, name, err, sizeof(err)), 0, "%s", err);
    const struct omnizip_telemetry_header *h = ozi_ring_header(r);
    cr_expect_eq(h->writer_pid, getpid());
    cr_expect_eq(h->rho_video, 0.6);
    cr_expect_eq(h->g, 3);
    cr_expect_eq(ozi_ring_n_windows(r), 3u);
    struct ozi_ring_record got[8];
    uint64_t lost = 0;
    cr_assert_eq(ozi_ring_read(r, got, 8, &lost), 3u);
    cr_expect_eq(lost, 0u);
    for (uint64_t k = 0; k < 3; k++) {
        struct omnizip_window_info w = record(k);
        cr_expect_eq(memcmp(&got[k].info, &w, sizeof(w)), 0, "record %llu", (unsigned long long)k);
        cr_expect_eq(got[k].clip, 1u);
    }
    cr_expect_eq(ozi_ring_read(r, got, 8, &lost), 0u);
    cr_expect_not(ozi_ring_closed(r));
    oz_telemetry_close(t);
    cr_expect(ozi_ring_closed(r), "the reader sees the writer close");
    ozi_ring_detach(r);
    int fd = shm_open(name, O_RDONLY, 0);
    cr_expect(fd < 0 && errno == ENOENT, "close unlinks %s", name);
}

Test(telemetry, two_rings_get_distinct_names)
{
    struct oz_telemetry *a = open_ring(), *b = open_ring();
    cr_expect_str_neq(oz_telemetry_name(a), oz_telemetry_name(b));
    oz_telemetry_close(a);
    oz_telemetry_close(b);
    oz_telemetry_close(NULL);
}

Test(telemetry, loss_counted_exactly_when_lapped)
{
    struct oz_telemetry *t = open_ring();
    const uint64_t n = 3 * OMNIZIP_TELEMETRY_CAPACITY + 123;
    for (uint64_t k = 0; k < n; k++) {
        struct omnizip_window_info w = record(k);
        oz_telemetry_publish(t, &w);
    }
    struct ozi_ring *r;
    char err[256];
    cr_assert_eq(ozi_ring_attach(&r, oz_telemetry_name(t), err, sizeof(err)), 0, "%s", err);
    static struct ozi_ring_record got[OMNIZIP_TELEMETRY_CAPACITY + 8];
    uint64_t lost = 0;
    size_t m = ozi_ring_read(r, got, OMNIZIP_TELEMETRY_CAPACITY + 8, &lost);
    cr_expect_eq(m, OMNIZIP_TELEMETRY_CAPACITY);
    cr_expect_eq(lost, n - OMNIZIP_TELEMETRY_CAPACITY);
    cr_expect_eq(got[0].info.audio_in, (int64_t)(n - OMNIZIP_TELEMETRY_CAPACITY));
    cr_expect_eq(got[m - 1].info.audio_in, (int64_t)(n - 1));
    ozi_ring_detach(r);
    oz_telemetry_close(t);
}

struct race {
    struct oz_telemetry *t;
    uint64_t n;
    volatile int done;
};

static void *writer(void *arg)
{
    struct race *rc = arg;
    for (uint64_t k = 0; k < rc->n; k++) {
        struct omnizip_window_info w = record(k);
        oz_telemetry_publish(rc->t, &w);
    }
    __atomic_store_n(&rc->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

Test(telemetry, fast_writer_slow_reader_never_tears)
{
    struct race rc = {open_ring(), 400000, 0};
    struct ozi_ring *r;
    char err[256];
    cr_assert_eq(ozi_ring_attach(&r, oz_telemetry_name(rc.t), err, sizeof(err)), 0, "%s", err);
    pthread_t th;
    pthread_create(&th, NULL, writer, &rc);
    uint64_t lost = 0, delivered = 0, next = 0, gaps = 0;
    int torn = 0, disorder = 0;
    struct ozi_ring_record got[16];
    for (;;) {
        int finished = __atomic_load_n(&rc.done, __ATOMIC_ACQUIRE);
        size_t m = ozi_ring_read(r, got, 16, &lost);
        for (size_t i = 0; i < m; i++) {
            uint64_t k = (uint64_t)got[i].info.audio_in;
            torn += !consistent(&got[i].info);
            disorder += k < next;
            gaps += k - next;
            next = k + 1;
        }
        delivered += m;
        if (finished && m == 0)
            break;
        struct timespec nap = {0, 200000};
        nanosleep(&nap, NULL);
    }
    pthread_join(th, NULL);
    cr_expect_eq(torn, 0, "%d torn records", torn);
    cr_expect_eq(disorder, 0);
    cr_expect_eq(delivered + lost, rc.n, "delivered %llu + lost %llu",
                 (unsigned long long)delivered, (unsigned long long)lost);
    cr_expect_eq(gaps, lost, "every skipped record is counted, once");
    cr_expect_gt(lost, 0u, "the slow reader fell behind");
    cr_expect_eq(next, rc.n, "the newest record is read");
    ozi_ring_detach(r);
    oz_telemetry_close(rc.t);
}

/* A segment made by hand from a valid header with one thing changed. */
static void make_segment(const char *name, void (*spoil)(struct omnizip_telemetry_header *),
                         size_t size)
{
    size_t full = 128 + (size_t)OMNIZIP_TELEMETRY_CAPACITY * sizeof(struct omnizip_telemetry_slot);
    unsigned char *img = calloc(1, full);
    struct omnizip_telemetry_header *h = (void *)img;
    memcpy(h->magic, OMNIZIP_TELEMETRY_MAGIC, 8);
    h->version = OMNIZIP_TELEMETRY_VERSION;
    h->header_size = 128;
    h->record_size = sizeof(struct omnizip_window_info);
    h->slot_size = sizeof(struct omnizip_telemetry_slot);
    h->capacity = OMNIZIP_TELEMETRY_CAPACITY;
    h->writer_pid = getpid();
    if (spoil)
        spoil(h);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    cr_assert(fd >= 0, "shm_open %s: %s", name, strerror(errno));
    size_t n = size ? size : full;
    cr_assert_eq(write(fd, img, n < full ? n : full), (ssize_t)(n < full ? n : full));
    close(fd);
    free(img);
}

static void bad_magic(struct omnizip_telemetry_header *h)
{
    memcpy(h->magic, "OMNIZIPX", 8);
}
static void bad_version(struct omnizip_telemetry_header *h)
{
    h->version = 99;
}
static void huge_capacity(struct omnizip_telemetry_header *h)
{
    h->capacity = 1u << 31;
}
static void odd_capacity(struct omnizip_telemetry_header *h)
{
    h->capacity = 1000;
}
static void small_record(struct omnizip_telemetry_header *h)
{
    h->record_size = 40;
}
static void bad_slot(struct omnizip_telemetry_header *h)
{
    h->slot_size = 7;
}

static void expect_refused(void (*spoil)(struct omnizip_telemetry_header *), size_t size,
                           const char *words)
{
    char name[80], err[256] = "";
    snprintf(name, sizeof(name), "/omnizip-%d-9%d", (int)getpid(), rand() % 1000);
    make_segment(name, spoil, size);
    struct ozi_ring *r = NULL;
    int rc = ozi_ring_attach(&r, name, err, sizeof(err));
    struct ozi_session_info *s;
    size_t n = ozi_ring_list(&s);
    int listed_bad = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            listed_bad = s[i].state == OZ_SESSION_BAD;
    free(s);
    shm_unlink(name);
    cr_expect_eq(rc, -1, "%s accepted", words);
    cr_expect(strstr(err, words) != NULL, "message '%s' lacks '%s'", err, words);
    cr_expect(strstr(err, name) != NULL, "message '%s' names the segment", err);
    cr_expect(listed_bad, "--list shows %s as bad", name);
    if (rc == 0)
        ozi_ring_detach(r);
}

Test(telemetry, corrupt_segments_refused)
{
    expect_refused(bad_magic, 0, "bad magic");
    expect_refused(bad_version, 0, "version 99");
    expect_refused(huge_capacity, 0, "bad capacity");
    expect_refused(odd_capacity, 0, "bad capacity");
    expect_refused(small_record, 0, "bad record size");
    expect_refused(bad_slot, 0, "bad slot size");
    expect_refused(NULL, 60, "truncated");
    expect_refused(NULL, 128 + 100, "truncated");
}

Test(telemetry, check_rejects_short_buffers)
{
    unsigned char buf[16] = "OMNIZIPT";
    char err[128];
    cr_expect_eq(ozi_ring_check(buf, sizeof(buf), err, sizeof(err)), -1);
    cr_expect(strstr(err, "truncated") != NULL, "%s", err);
}

/* A child makes a ring and dies without closing it. */
static pid_t stale_child(char *name, size_t size)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        struct omnizip_config c = config();
        struct oz_telemetry *t = NULL;
        char err[128];
        if (oz_telemetry_open(&t, &c, err, sizeof(err)) != OMNIZIP_OK)
            _exit(1);
        ssize_t w = write(fds[1], oz_telemetry_name(t), strlen(oz_telemetry_name(t)) + 1);
        _exit(w > 0 ? 0 : 1);
    }
    ssize_t got = read(fds[0], name, size - 1);
    int status;
    waitpid(child, &status, 0);
    close(fds[0]);
    close(fds[1]);
    cr_assert_gt(got, 0, "child made no segment");
    name[got] = '\0';
    return child;
}

Test(telemetry, stale_segment_detected)
{
    char name[80] = "";
    pid_t child = stale_child(name, sizeof(name));
    struct ozi_session_info *s;
    size_t n = ozi_ring_list(&s);
    const struct ozi_session_info *mine = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            mine = &s[i];
    char line[256] = "";
    int state = mine ? (int)mine->state : -1;
    if (mine)
        ozi_session_describe(mine, line, sizeof(line));
    free(s);
    shm_unlink(name);
    cr_assert_neq(state, -1, "%s not listed", name);
    cr_expect_eq(state, OZ_SESSION_STALE);
    char want[128];
    snprintf(want, sizeof(want), "stale segment %s (pid %d gone)", name, (int)child);
    cr_expect_str_eq(line, want);
}

Test(telemetry, own_session_listed_live)
{
    struct oz_telemetry *t = open_ring();
    struct ozi_session_info *s;
    size_t n = ozi_ring_list(&s);
    int live = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, oz_telemetry_name(t)) == 0)
            live = s[i].state == OZ_SESSION_LIVE && s[i].pid == getpid();
    free(s);
    oz_telemetry_close(t);
    cr_expect(live, "own segment listed as live");
}

/* The hostile /dev/shm: things named like segments that are not ours to
 * trust. Each returns quickly (a blocking open of a FIFO would hang). */
static const struct ozi_session_info *find(struct ozi_session_info *s, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            return &s[i];
    return NULL;
}

static void expect_listed_bad(const char *name, const char *words)
{
    struct ozi_session_info *s;
    size_t n = ozi_ring_list(&s);
    const struct ozi_session_info *e = find(s, n, name);
    cr_expect_not_null(e, "%s not listed", name);
    if (e) {
        cr_expect_eq(e->state, OZ_SESSION_BAD, "%s listed as state %d", name, (int)e->state);
        cr_expect(strstr(e->problem, words) != NULL, "problem '%s' lacks '%s'", e->problem, words);
    }
    free(s);
    struct ozi_ring *r = NULL;
    char err[256] = "";
    cr_expect_eq(ozi_ring_attach(&r, name, err, sizeof(err)), -1, "%s attached", name);
    cr_expect(strstr(err, words) != NULL, "attach error '%s' lacks '%s'", err, words);
    if (r)
        ozi_ring_detach(r);
}

static void shm_path(char *path, size_t size, const char *name)
{
    snprintf(path, size, "/dev/shm%s", name);
}

Test(telemetry, fifo_named_like_a_segment_refused_without_hanging, .timeout = 20)
{
    char name[80], path[100];
    snprintf(name, sizeof(name), "/omnizip-%d-f1f0", (int)getpid());
    shm_path(path, sizeof(path), name);
    cr_assert_eq(mkfifo(path, 0600), 0, "%s", strerror(errno));
    expect_listed_bad(name, "not a regular file");
    unlink(path);
}

Test(telemetry, symlink_named_like_a_segment_refused)
{
    struct oz_telemetry *t = open_ring();
    char name[80], path[100], target[100];
    snprintf(name, sizeof(name), "/omnizip-%d-5", (int)getpid());
    shm_path(path, sizeof(path), name);
    shm_path(target, sizeof(target), oz_telemetry_name(t));
    cr_assert_eq(symlink(target, path), 0, "%s", strerror(errno));
    expect_listed_bad(name, "symbolic link");
    unlink(path);
    oz_telemetry_close(t);
}

static void open_mode(struct omnizip_telemetry_header *h)
{
    (void)h;
}

Test(telemetry, readable_by_others_refused)
{
    char name[80], path[100];
    snprintf(name, sizeof(name), "/omnizip-%d-644", (int)getpid());
    make_segment(name, open_mode, 0);
    shm_path(path, sizeof(path), name);
    cr_assert_eq(chmod(path, 0644), 0);
    expect_listed_bad(name, "mode 0644");
    shm_unlink(name);
}

Test(telemetry, another_users_segment_never_live_or_attached)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to give a segment to another user");
    char name[80], path[100];
    /* A valid header naming a live pid (ours), owned by nobody. */
    snprintf(name, sizeof(name), "/omnizip-%d-0be7", (int)getpid());
    make_segment(name, NULL, 0);
    shm_path(path, sizeof(path), name);
    cr_assert_eq(chown(path, 65534, 65534), 0, "%s", strerror(errno));
    expect_listed_bad(name, "owned by uid 65534");
    cr_expect_eq(ozi_ring_clean(NULL, getpid()), 0u, "another user's segment is never cleaned");
    cr_expect_eq(access(path, F_OK), 0);
    shm_unlink(name);
}

Test(telemetry, names_carry_64_random_bits)
{
    struct oz_telemetry *t = open_ring();
    const char *name = oz_telemetry_name(t);
    char want[40];
    int used = snprintf(want, sizeof(want), "/omnizip-%d-", (int)getpid());
    cr_expect_eq(strncmp(name, want, (size_t)used), 0, "%s", name);
    cr_expect_eq(strlen(name + used), 16u, "%s", name);
    cr_expect_eq(strspn(name + used, "0123456789abcdef"), 16u, "%s", name);
    oz_telemetry_close(t);
}

Test(telemetry, truncated_while_attached_ends_the_session, .timeout = 20)
{
    struct oz_telemetry *t = open_ring();
    struct omnizip_window_info w = record(0);
    oz_telemetry_publish(t, &w);
    struct ozi_ring *r;
    char err[256];
    cr_assert_eq(ozi_ring_attach(&r, oz_telemetry_name(t), err, sizeof(err)), 0, "%s", err);
    int fd = shm_open(oz_telemetry_name(t), O_RDWR, 0);
    cr_assert(fd >= 0);
    cr_assert_eq(ftruncate(fd, 64), 0);
    struct ozi_ring_record got[4];
    uint64_t lost = 0;
    cr_expect_eq(ozi_ring_read(r, got, 4, &lost), 0u, "nothing read from a truncated ring");
    cr_expect(ozi_ring_broken(r));
    cr_expect(ozi_ring_closed(r), "a truncated ring reads as closed");
    close(fd);
    ozi_ring_detach(r);
    oz_telemetry_close(t);
}

struct flipper {
    const char *name;
    size_t full;
    volatile int stop;
};

static void *flip_size(void *arg)
{
    struct flipper *f = arg;
    int fd = shm_open(f->name, O_RDWR, 0);
    unsigned char head[128];
    if (fd < 0 || pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
        return NULL;
    /* Growing back zero-fills: the header is written again so that the
     * reader can attach again. */
    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
        if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)f->full) != 0 ||
            pwrite(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
            break;
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* Truncation racing the reader's own size check: the SIGBUS guard, not the
 * check, has to save it. Passes when the process survives. */
Test(telemetry, truncation_races_never_kill_the_reader, .timeout = 60)
{
    struct oz_telemetry *t = open_ring();
    struct flipper f = {oz_telemetry_name(t),
                        128 + OMNIZIP_TELEMETRY_CAPACITY * sizeof(struct omnizip_telemetry_slot),
                        0};
    struct ozi_ring *r;
    char err[256];
    cr_assert_eq(ozi_ring_attach(&r, f.name, err, sizeof(err)), 0, "%s", err);
    pthread_t th;
    pthread_create(&th, NULL, flip_size, &f);
    int broken = 0;
    for (long i = 0; i < 5000000 && broken < 40 && r; i++) {
        struct ozi_ring_record got[8];
        uint64_t lost = 0;
        ozi_ring_read(r, got, 8, &lost);
        ozi_ring_closed(r);
        if (ozi_ring_broken(r)) {
            broken++;
            ozi_ring_detach(r);
            r = NULL;
            for (int tries = 0; tries < 1000000 && !r; tries++)
                if (ozi_ring_attach(&r, f.name, err, sizeof(err)) != 0)
                    r = NULL;
        }
    }
    __atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    cr_expect_not_null(r, "could not attach again: %s", err);
    ozi_ring_detach(r);
    oz_telemetry_close(t);
    cr_expect_gt(broken, 0, "the truncations were seen");
}

Test(telemetry, junk_entries_never_hide_a_live_session)
{
    char name[80], path[100];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "/omnizip-%d-junk%d", (int)getpid(), i);
        shm_path(path, sizeof(path), name);
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
        cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
        close(fd);
    }
    struct oz_telemetry *t = open_ring();
    struct ozi_session_info *s;
    size_t n = ozi_ring_list(&s);
    const struct ozi_session_info *e = find(s, n, oz_telemetry_name(t));
    int live = e && e->state == OZ_SESSION_LIVE;
    int first_bad = n;
    for (size_t i = 0; i < n; i++)
        if (s[i].state == OZ_SESSION_BAD && first_bad == (int)n)
            first_bad = (int)i;
    int live_before_junk = e && (int)(e - s) < first_bad;
    free(s);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "/omnizip-%d-junk%d", (int)getpid(), i);
        shm_unlink(name);
    }
    oz_telemetry_close(t);
    cr_expect_geq(n, 301u);
    cr_expect(live, "the real session is listed live among 300 junk entries");
    cr_expect(live_before_junk, "live sessions are listed before refused ones");
}

Test(telemetry, clean_removes_own_stale_segments_only)
{
    char stale[80], path[100];
    pid_t child = stale_child(stale, sizeof(stale));
    struct oz_telemetry *t = open_ring();
    cr_expect_eq(ozi_ring_clean(NULL, getpid()), 0u, "a live segment is not stale");
    cr_expect_eq(ozi_ring_clean(NULL, child), 1u);
    shm_path(path, sizeof(path), stale);
    cr_expect_neq(access(path, F_OK), 0, "%s removed", stale);
    shm_path(path, sizeof(path), oz_telemetry_name(t));
    cr_expect_eq(access(path, F_OK), 0, "the live segment stays");
    shm_unlink(stale);
    oz_telemetry_close(t);
}

Test(telemetry, hostile_records_refused_by_the_live_view)
{
    struct oz_telemetry *t = open_ring();
    oz_telemetry_plan(t, 2);
    struct omnizip_window_info w;
    memset(&w, 0, sizeof(w));
    w.struct_size = sizeof(w);
    w.audio_in = INT64_MAX; /* a total of two of these would overflow */
    w.audio_kept = INT64_MAX;
    w.s_a = 0.5;
    oz_telemetry_publish(t, &w);
    oz_telemetry_publish(t, &w);
    w.audio_in = w.audio_kept = 10;
    oz_telemetry_publish(t, &w);
    struct ozi_model m;
    ozi_model_init(&m, OZ_MODE_LIVE);
    struct ozi_live l;
    char err[256];
    cr_assert_eq(ozi_live_open(&l, getpid(), &m, err, sizeof(err)), 0, "%s", err);
    ozi_live_poll(&l, &m);
    cr_expect_eq(m.n_rec, 1u, "only the valid record is taken");
    cr_expect(strstr(m.messages[0], "refused") != NULL, "%s", m.messages[0]);
    struct ozi_totals tot;
    ozi_model_totals(&m, &tot);
    cr_expect_eq(tot.audio_in, 10);
    ozi_live_close(&l);
    ozi_model_free(&m);
    oz_telemetry_close(t);
}
