/*
 * outfile.c - atomic replacement of regular files, in-place writing of
 * FIFOs and character devices (outfile.h). Renaming a temp file over
 * /dev/null would replace the device node (as root it succeeds), so the
 * target's type decides before anything is created.
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omnizip/shim.h>

#include "safetensors.h"

#define TEMP_TRIES 16

int ozs_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t got = write(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* A fresh temp file beside path: 0666 & ~umask unless keep_mode says
 * otherwise. Exclusive, never through a link. */
static int create_temp(const char *path, const struct stat *old, char **tmp)
{
    size_t plen = strlen(path);
    char *name = malloc(plen + sizeof(".tmp.0123456789abcdef"));
    if (!name) {
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < TEMP_TRIES; i++) {
        uint64_t r = 0;
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
            r ^= (uint64_t)getpid() * 0x9e3779b97f4a7c15ull + (uint64_t)i;
        memcpy(name, path, plen);
        for (int k = 0; k < 16; k++)
            name[plen + 5 + k] = "0123456789abcdef"[(r >> (4 * k)) & 15];
        memcpy(name + plen, ".tmp.", 5);
        name[plen + 21] = '\0';
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            break;
        /* An existing file keeps its mode (a 0600 output stays private). */
        if (old && fchmod(fd, old->st_mode & 07777) != 0) {
            int e = errno;
            close(fd);
            unlink(name);
            errno = e;
            break;
        }
        *tmp = name;
        return fd;
    }
    int e = errno;
    free(name);
    errno = e;
    return -1;
}

omnizip_status ozs_outfile_open(struct ozs_outfile *o, const char *path, char *err, size_t es)
{
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    struct stat st;
    int exists = lstat(path, &st) == 0;
    if (!exists && errno != ENOENT)
        return ozs_path_fail(err, es, OMNIZIP_E_IO, path, "cannot stat: %s", strerror(errno));
    if (exists && S_ISLNK(st.st_mode))
        exists = 0; /* the link itself is replaced, its target never written */
    if (exists && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
        return ozs_path_fail(err, es, OMNIZIP_E_IO, path,
                             "not a regular file, FIFO or character device: refused");
    if (!(o->path = strdup(path)))
        return ozs_path_fail(err, es, OMNIZIP_E_NOMEM, path, "out of memory");
    if (exists && !S_ISREG(st.st_mode)) {
        o->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (o->fd >= 0)
            return OMNIZIP_OK;
        int e = errno;
        free(o->path);
        return ozs_path_fail(err, es, OMNIZIP_E_IO, path, "cannot open: %s", strerror(e));
    }
    o->fd = create_temp(path, exists ? &st : NULL, &o->tmp);
    if (o->fd >= 0)
        return OMNIZIP_OK;
    int e = errno;
    free(o->path);
    return ozs_path_fail(err, es, OMNIZIP_E_IO, path, "cannot create a temp file beside it: %s",
                         strerror(e));
}

static void release(struct ozs_outfile *o)
{
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof(*o));
    o->fd = -1;
}

omnizip_status ozs_outfile_commit(struct ozs_outfile *o, char *err, size_t es)
{
    int bad = 0, e = 0;
    if (o->tmp && fsync(o->fd) != 0)
        bad = 1, e = errno;
    if (close(o->fd) != 0 && !bad)
        bad = 1, e = errno;
    if (!bad && o->tmp && rename(o->tmp, o->path) != 0)
        bad = 1, e = errno;
    if (bad && o->tmp)
        unlink(o->tmp);
    omnizip_status st = OMNIZIP_OK;
    if (bad)
        st = ozs_path_fail(err, es, OMNIZIP_E_IO, o->path, "cannot write: %s", strerror(e));
    release(o);
    return st;
}

void ozs_outfile_abort(struct ozs_outfile *o)
{
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmp)
        unlink(o->tmp);
    release(o);
}

omnizip_status omnizip_write_file(const char *path, const void *data, size_t size, char *err,
                                  size_t err_size)
{
    if (!path || (!data && size))
        return ozs_path_fail(err, err_size, OMNIZIP_E_INVALID, path ? path : "(null)",
                             "no path or data given");
    struct ozs_outfile o;
    omnizip_status st = ozs_outfile_open(&o, path, err, err_size);
    if (st != OMNIZIP_OK)
        return st;
    if (ozs_write_all(o.fd, data, size) != 0) {
        int e = errno;
        ozs_outfile_abort(&o);
        return ozs_path_fail(err, err_size, OMNIZIP_E_IO, path, "cannot write: %s", strerror(e));
    }
    return ozs_outfile_commit(&o, err, err_size);
}
