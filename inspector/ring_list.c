/*
 * ring_list.c - the omnizip segments in /dev/shm: list them (however many
 * there are: a flood of junk entries must not hide a real session), say what
 * each is, and remove this user's stale ones.
 */
#include "ring.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring_file.h"

#define PREFIX "omnizip-"

/* "omnizip-PID-HEX": the writer's pid and the random part of the name. */
static int parse_name(const char *entry, int32_t *pid, uint64_t *session)
{
    long p;
    unsigned long long s;
    int used = 0, hex_at = 0;
    if (sscanf(entry, PREFIX "%ld-%n%llx%n", &p, &hex_at, &s, &used) != 2 || entry[used] != '\0' ||
        used - hex_at > 16 || p <= 0 || p > INT32_MAX)
        return -1;
    for (int i = hex_at; i < used; i++)
        if (!strchr("0123456789abcdef", entry[i]))
            return -1;
    *pid = (int32_t)p;
    *session = s;
    return 0;
}

static void describe_ring(struct ozi_ring *r, struct ozi_session_info *s)
{
    const struct omnizip_telemetry_header *h = ozi_ring_header(r);
    s->started_ns = h->started_ns;
    s->n_windows = ozi_ring_n_windows(r);
    s->head = h->head; /* as of the attach just made */
    if (h->writer_pid != s->pid) {
        s->state = OZ_SESSION_BAD;
        snprintf(s->problem, sizeof(s->problem), "header names pid %d", (int)h->writer_pid);
    } else if (!ozi_ring_writer_alive(r)) {
        s->state = OZ_SESSION_STALE; /* closed or not, nobody will unlink it */
    } else {
        s->state = ozi_ring_closed(r) ? OZ_SESSION_ENDED : OZ_SESSION_LIVE;
    }
}

/* A regular file of this user (not a link, FIFO or someone else's). */
static int own_file(const char *entry)
{
    char path[300];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", OZ_SHM_DIR, entry);
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid();
}

static void inspect_entry(const char *entry, struct ozi_session_info *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "/%.*s", (int)sizeof(s->name) - 2, entry);
    if (parse_name(entry, &s->pid, &s->session) != 0) {
        s->state = OZ_SESSION_BAD;
        snprintf(s->problem, sizeof(s->problem), "name is not omnizip-PID-HEX");
        return;
    }
    struct ozi_ring *r;
    char err[200];
    if (ozi_ring_attach(&r, entry, err, sizeof(err)) == 0) {
        describe_ring(r, s);
        ozi_ring_detach(r);
        return;
    }
    const char *why = strstr(err, ": ");
    why = why ? why + 2 : err;
    /* Only this user's files can be stale (and cleaned); anything else that
     * fails the checks is refused whatever its pid. */
    s->state = own_file(entry) && !ozi_ring_pid_alive(s->pid) ? OZ_SESSION_STALE : OZ_SESSION_BAD;
    snprintf(s->problem, sizeof(s->problem), "%.*s", (int)sizeof(s->problem) - 1, why);
}

static int rank(const struct ozi_session_info *s)
{
    return s->state == OZ_SESSION_LIVE ? 0 : s->state == OZ_SESSION_BAD ? 2 : 1;
}

static int live_then_newest(const void *a, const void *b)
{
    const struct ozi_session_info *x = a, *y = b;
    if (rank(x) != rank(y))
        return rank(x) - rank(y);
    if (x->started_ns != y->started_ns)
        return x->started_ns < y->started_ns ? 1 : -1;
    return strcmp(x->name, y->name);
}

size_t ozi_ring_list(struct ozi_session_info **out)
{
    *out = NULL;
    DIR *d = opendir(OZ_SHM_DIR);
    if (!d)
        return 0;
    struct ozi_session_info *all = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0)
            continue;
        if (n == cap) {
            size_t more = cap ? 2 * cap : 64;
            void *p = more < cap ? NULL : realloc(all, more * sizeof(*all));
            if (!p)
                break;
            all = p;
            cap = more;
        }
        inspect_entry(e->d_name, &all[n++]);
    }
    closedir(d);
    if (n)
        qsort(all, n, sizeof(*all), live_then_newest);
    else
        free(all), all = NULL;
    *out = all;
    return n;
}

void ozi_session_describe(const struct ozi_session_info *s, char *buf, size_t size)
{
    switch (s->state) {
    case OZ_SESSION_LIVE:
        snprintf(buf, size, "%s  pid %d  live  %llu records  %u windows", s->name, (int)s->pid,
                 (unsigned long long)s->head, s->n_windows);
        break;
    case OZ_SESSION_ENDED:
        snprintf(buf, size, "%s  pid %d  ended  %llu records", s->name, (int)s->pid,
                 (unsigned long long)s->head);
        break;
    case OZ_SESSION_STALE:
        snprintf(buf, size, "stale segment %s (pid %d gone)", s->name, (int)s->pid);
        break;
    case OZ_SESSION_BAD: snprintf(buf, size, "bad segment %s: %s", s->name, s->problem); break;
    }
}

size_t ozi_ring_clean(FILE *report, int32_t pid)
{
    struct ozi_session_info *s;
    size_t n = ozi_ring_list(&s), removed = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].state != OZ_SESSION_STALE || (pid && s[i].pid != pid))
            continue;
        if (shm_unlink(s[i].name) == 0) {
            removed++;
            if (report)
                fprintf(report, "removed stale segment %s (pid %d gone)\n", s[i].name,
                        (int)s[i].pid);
        } else if (report) {
            fprintf(report, "could not remove %s: %s\n", s[i].name, strerror(errno));
        }
    }
    free(s);
    return removed;
}
