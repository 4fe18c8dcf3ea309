/*
 * ring_file.c - the checks a segment's file passes before anything maps it.
 * A FIFO named like a segment would hang a blocking open, a link could point
 * anywhere, and another user's segment could say anything: each is refused
 * with the reason.
 */
#include "ring_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omnizip/telemetry.h>

/* The biggest segment a valid header can describe. */
#define MAX_BYTES                             \
    ((uint64_t)OMNIZIP_TELEMETRY_HEADER_MAX + \
     (uint64_t)OMNIZIP_TELEMETRY_CAPACITY_MAX * (16u + OMNIZIP_TELEMETRY_RECORD_MAX))

static int check_file(int fd, uint64_t *size, char *why, size_t n)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(why, n, "fstat: %s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, n, "not a regular file");
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(why, n, "owned by uid %u, not this user", (unsigned)st.st_uid);
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(why, n, "mode %04o (want no group or other access)", (unsigned)st.st_mode & 07777);
        return -1;
    }
    if (st.st_size <= 0) {
        snprintf(why, n, "empty segment");
        return -1;
    }
    if ((uint64_t)st.st_size > MAX_BYTES) {
        snprintf(why, n, "segment larger than any valid layout");
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

static int check_magic(int fd, char *why, size_t n)
{
    char magic[OMNIZIP_TELEMETRY_MAGIC_LEN];
    static const char zero[OMNIZIP_TELEMETRY_MAGIC_LEN];
    ssize_t got = pread(fd, magic, sizeof(magic), 0);
    if (got != (ssize_t)sizeof(magic)) {
        snprintf(why, n, "truncated segment (no magic)");
        return -1;
    }
    if (memcmp(magic, zero, sizeof(zero)) == 0) {
        snprintf(why, n, "segment not initialised yet");
        return -1;
    }
    if (memcmp(magic, OMNIZIP_TELEMETRY_MAGIC, sizeof(magic)) != 0) {
        snprintf(why, n, "bad magic (not an omnizip telemetry segment)");
        return -1;
    }
    return 0;
}

int ozi_ring_file_open(const char *shm_name, uint64_t *size, char *why, size_t why_size)
{
    char path[128];
    snprintf(path, sizeof(path), "%s%s", OZ_SHM_DIR, shm_name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_size, "%s", errno == ELOOP ? "a symbolic link" : strerror(errno));
        return -1;
    }
    if (check_file(fd, size, why, why_size) != 0 || check_magic(fd, why, why_size) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int ozi_ring_pid_alive(int32_t pid)
{
    if (pid <= 0)
        return 0;
    return kill(pid, 0) == 0 || errno != ESRCH;
}
