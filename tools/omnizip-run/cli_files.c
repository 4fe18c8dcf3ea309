/* cli_files.c - what keeps omnizip-run from destroying a file: IN, OUT and
 * the trace must be three different files (the same inode through any path,
 * hard link or symbolic link counts as the same) unless --force, and a
 * SIGINT or SIGTERM leaves neither a temp file nor a telemetry segment
 * behind: the final writes run with both signals held, and the handler
 * removes this process's segments before dying of the signal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omnizip/telemetry.h>

#include "cli.h"

/* "omnizip-<pid>-": the names of this process's segments, set before the
 * handler can run (it may not call snprintf). */
static char own_prefix[40];
static size_t own_prefix_len;

static void remove_own_segments(void)
{
    int dir = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return;
    char buf[4096] __attribute__((aligned(8)));
    ssize_t n;
    while ((n = getdents64(dir, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
            size_t i = 0;
            while (i < own_prefix_len && d->d_name[i] == own_prefix[i])
                i++;
            if (i == own_prefix_len)
                unlinkat(dir, d->d_name, 0);
            off += d->d_reclen;
        }
    }
    close(dir);
}

static void on_signal(int sig)
{
    remove_own_segments();
    signal(sig, SIG_DFL);
    raise(sig);
}

void ozr_cli_signals_install(void)
{
    const char *p = &OMNIZIP_TELEMETRY_PREFIX[1]; /* no leading slash in /dev/shm */
    int n = snprintf(own_prefix, sizeof own_prefix, "%s%ld-", p, (long)getpid());
    own_prefix_len = n > 0 && (size_t)n < sizeof own_prefix ? (size_t)n : 0;
    if (!own_prefix_len)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void ozr_cli_signals_hold(int hold)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* Where path would be created: its directory resolved, then its name. */
static int canonical(const char *path, char *out, size_t size)
{
    char a[PATH_MAX], b[PATH_MAX], dir[PATH_MAX];
    snprintf(a, sizeof a, "%s", path);
    snprintf(b, sizeof b, "%s", path);
    if (!realpath(dirname(a), dir))
        return -1;
    return snprintf(out, size, "%s/%s", dir, basename(b)) < (int)size ? 0 : -1;
}

/* 1 when writing a and b would hit the same regular file (existing, or
 * both yet to be created at the same place). Devices and FIFOs are written
 * in place and lose nothing when shared. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && S_ISREG(sa.st_mode);
    if (ea || eb)
        return 0;
    char ca[PATH_MAX + 256], cb[PATH_MAX + 256];
    if (canonical(a, ca, sizeof ca) != 0 || canonical(b, cb, sizeof cb) != 0)
        return strcmp(a, b) == 0;
    return strcmp(ca, cb) == 0;
}

int ozr_cli_check_paths(const struct ozr_cli *cli)
{
    static const char *const role[] = {"the input", "the output (-o)", "the trace (--trace)"};
    const char *path[] = {cli->input, cli->output, cli->trace};
    for (int i = 0; i < 3; i++) {
        for (int j = i + 1; j < 3; j++) {
            if (!path[i] || !path[j] || !same_file(path[i], path[j]))
                continue;
            if (cli->force)
                continue;
            ozr_cli_error("%s %s and %s %s are the same file: refused, nothing written (--force "
                          "replaces it, through a complete temp file)",
                          role[j], path[j], role[i], path[i]);
            return OZ_EXIT_USAGE;
        }
    }
    return OZ_EXIT_OK;
}
