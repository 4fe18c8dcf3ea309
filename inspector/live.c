/*
 * live.c - attach to a running session's ring and follow it. Paused views
 * keep reading (and counting drops) but stop revealing rows.
 */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 256

size_t ozi_live_list(FILE *out)
{
    struct ozi_session_info *s;
    size_t n = ozi_ring_list(&s);
    for (size_t i = 0; i < n; i++) {
        char line[300];
        ozi_session_describe(&s[i], line, sizeof(line));
        fprintf(out, "%s\n", line);
    }
    if (n == 0)
        fprintf(out, "no omnizip sessions\n");
    free(s);
    return n;
}

static void header_config(struct ozi_live *l, struct ozi_model *m)
{
    const struct omnizip_telemetry_header *h = ozi_ring_header(l->ring);
    m->have_config = 1;
    m->rho_audio = h->rho_audio;
    m->rho_video = h->rho_video;
    m->rho_min = h->rho_min;
    m->rho_max = h->rho_max;
    m->contextual_ratio = h->contextual_ratio;
    m->g = h->g;
    m->dpc_k = h->dpc_k;
    m->streaming = h->mode == OMNIZIP_MODE_STREAMING;
    m->audio_target = h->audio_target;
    m->video_target = 1.0 - h->rho_video;
    l->pid = h->writer_pid;
    snprintf(m->source, sizeof(m->source), "%s", ozi_ring_name(l->ring));
    snprintf(m->origin, sizeof(m->origin), "pid %d", (int)l->pid);
}

int ozi_live_open(struct ozi_live *l, long pid, struct ozi_model *m, char *err, size_t err_size)
{
    memset(l, 0, sizeof(*l));
    struct ozi_session_info *s;
    size_t n = ozi_ring_list(&s);
    const struct ozi_session_info *pick = NULL;
    for (size_t i = 0; i < n && !pick; i++)
        if (s[i].state == OZ_SESSION_LIVE && (pid == 0 || s[i].pid == pid))
            pick = &s[i];
    /* A named process's ended or stale session still shows what it wrote. */
    for (size_t i = 0; i < n && !pick && pid; i++)
        if (s[i].pid == pid && s[i].state != OZ_SESSION_BAD)
            pick = &s[i];
    int rc = -1;
    if (!pick && pid)
        snprintf(err, err_size, "no omnizip session of pid %ld (see --list)", pid);
    else if (!pick)
        snprintf(err, err_size, "no live omnizip session (see --list)");
    else
        rc = ozi_ring_attach(&l->ring, pick->name, err, err_size);
    free(s);
    if (rc == 0)
        header_config(l, m);
    return rc;
}

static void check_end(struct ozi_live *l, struct ozi_model *m)
{
    if (l->ended)
        return;
    if (ozi_ring_broken(l->ring)) {
        ozi_model_message(m, "session %d: segment %s truncated, stopped reading", (int)l->pid,
                          ozi_ring_name(l->ring));
    } else if (ozi_ring_closed(l->ring)) {
        ozi_model_message(m, "session %d ended", (int)l->pid);
    } else if (!ozi_ring_writer_alive(l->ring)) {
        ozi_model_message(m, "session %d ended: stale segment %s (pid %d gone)", (int)l->pid,
                          ozi_ring_name(l->ring), (int)l->pid);
    } else {
        return;
    }
    l->ended = 1;
    m->ended = 1;
}

int ozi_live_poll(struct ozi_live *l, struct ozi_model *m)
{
    struct ozi_ring_record buf[BATCH];
    uint64_t dropped = m->dropped;
    size_t before = m->n_shown, got, total = 0;
    int changed = 0;
    /* One ring's worth at most per poll so a flood cannot starve the keys. */
    while (total < OMNIZIP_TELEMETRY_CAPACITY &&
           (got = ozi_ring_read(l->ring, buf, BATCH, &m->dropped)) > 0) {
        total += got;
        for (size_t i = 0; i < got; i++) {
            if (buf[i].clip != l->clip) {
                ozi_model_clear(m);
                l->clip = buf[i].clip;
                changed = 1;
            }
            char why[120];
            if (ozi_record_check(&buf[i].info, why, sizeof(why)) != 0) {
                ozi_model_message(m, "record %llu refused: %s",
                                  (unsigned long long)buf[i].info.index, why);
                changed = 1;
                continue;
            }
            if (ozi_model_add(m, &buf[i].info) != 0) {
                ozi_model_message(m, "out of memory: records dropped");
                break;
            }
        }
    }
    m->n_planned = ozi_ring_n_windows(l->ring);
    if (!m->paused)
        m->n_shown = m->n_rec;
    int was_ended = l->ended;
    check_end(l, m);
    return changed || m->n_shown != before || m->dropped != dropped || was_ended != l->ended;
}

void ozi_live_close(struct ozi_live *l)
{
    ozi_ring_detach(l->ring);
    l->ring = NULL;
}
