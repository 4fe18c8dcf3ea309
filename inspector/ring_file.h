/*
 * ring_file.h - opening a telemetry segment's file without trusting it, for
 * the ring reader and the lister.
 */
#ifndef OZ_INSPECT_RING_FILE_H
#define OZ_INSPECT_RING_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Where POSIX shared-memory objects live on Linux. */
#define OZ_SHM_DIR "/dev/shm"

/* Opens OZ_SHM_DIR + shm_name ("/omnizip-...") read-only without following a
 * link or blocking on a FIFO, and checks that it is a regular file owned by
 * this user with no group or other permission bits, of a size a valid layout
 * can have, starting with the telemetry magic. Returns the descriptor with
 * the size in *size, or -1 with the problem in why. */
int ozi_ring_file_open(const char *shm_name, uint64_t *size, char *why, size_t why_size);

/* 1 while process pid exists (also when it belongs to another user). */
int ozi_ring_pid_alive(int32_t pid);

#endif
