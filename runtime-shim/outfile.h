/*
 * outfile.h - how the shim writes a file so that nothing is ever lost: a
 * regular (or absent) target is replaced only by a complete temp file beside
 * it (created exclusively with 0666 & ~umask, or with the existing file's
 * mode), fsynced and renamed over it; a FIFO or character device (/dev/null,
 * a terminal) is written in place and never replaced; anything else (a
 * directory, a block device, a socket) is refused.
 */
#ifndef OZ_SHIM_OUTFILE_H
#define OZ_SHIM_OUTFILE_H

#include <stddef.h>

#include <omnizip/omnizip.h>

struct ozs_outfile {
    int fd;     /* write here */
    char *tmp;  /* the temp file, NULL when writing in place */
    char *path; /* the target */
};

/* Opens the target for writing. On failure o is unusable, nothing was
 * created and err says "PATH: problem" (OMNIZIP_E_IO or OMNIZIP_E_NOMEM). */
omnizip_status ozs_outfile_open(struct ozs_outfile *o, const char *path, char *err, size_t es);

/* Makes what was written the target's content: fsync, close and rename (or
 * just close in place). On failure the temp file is removed and the target
 * is as it was. Either way o is released. */
omnizip_status ozs_outfile_commit(struct ozs_outfile *o, char *err, size_t es);

/* Gives up: closes, removes the temp file, leaves the target as it was. */
void ozs_outfile_abort(struct ozs_outfile *o);

/* Writes all of buf to fd (retrying short writes and EINTR); 0 or -1. */
int ozs_write_all(int fd, const void *buf, size_t n);

#endif
