/* adapter.h - shared between the sequence adapter's two halves: adapter.c
 * (validation, windows, plan) and adapter_apply.c (bind, windows, compaction). */
#ifndef OZ_ADAPTER_H
#define OZ_ADAPTER_H

#include <omnizip/shim.h>

#include "ozc_clock.h"
#include "ozc_err.h"
#include "ozc_half.h"

/* Where the audio and video tokens of a sequence are, split into the runs of
 * docs/ALGORITHM.md, stage 0. Run i of either list belongs to window i. */
struct ozs_seqmap {
    int64_t *audio_pos, *video_pos; /* sequence positions, ascending */
    int64_t n_audio, n_video;
    int64_t *audio_run, *video_run;     /* run lengths */
    int64_t *audio_start, *video_start; /* each run's first sequence row */
    uint32_t n_audio_runs, n_video_runs;
    uint32_t n_windows; /* max of the two run counts */
    int64_t tpf;
    int64_t grid_t;
    const float *scores; /* the map's audio scores in its order, or NULL */
};

void ozs_seqmap_free(struct ozs_seqmap *map);

/* The video grid T x H x W (merge size s) against the n_video video tokens
 * of a sequence, every product overflow-checked: tokens per frame
 * (H/s)*(W/s) within OMNIZIP_MAX_TOKENS_PER_FRAME, T * tpf within
 * OMNIZIP_MAX_TOKENS, and with video tokens present a grid of whole frames
 * that they fill: T >= 1, tpf >= 1, T * tpf <= n_video (tokens past the
 * grid, a partial trailing frame, are valid).
 * Sets *tpf; returns 0, or -1 with the problem (no path) in why. */
int ozs_grid_check(int64_t t, int64_t h, int64_t w, int64_t s, int64_t n_video, int64_t *tpf,
                   char *why, size_t why_size);

/* A sequence's clips (omnizip.clips/1), one seqmap each; scores[c] owns the
 * scores of clip c where they had to be gathered. adapter_clips.c. */
struct ozs_clipset {
    uint32_t n;
    struct ozs_seqmap *maps;
    float **scores;
};

/* Everything the plugin decided for one sequence, in clip order. */
struct ozs_decisions {
    uint8_t *audio_state; /* n_audio OMNIZIP_AUDIO_* codes */
    uint8_t *video_keep;  /* n_video 0/1 */
    float *anchors;       /* n_anchors x hidden, f32 */
    int64_t n_anchors;
};

/* Frees d's arrays and zeroes it. */
void ozs_decisions_free(struct ozs_decisions *d);

/* Splits seq (whose whole-sequence map is all) into clips; one grid and a
 * plugin without the extension give the one clip of the whole sequence. */
omnizip_status ozs_clipset_build(const struct omnizip_plugin *p, const struct omnizip_sequence *seq,
                                 const struct ozs_seqmap *all, struct ozs_clipset *cs, char *err,
                                 size_t err_size);
void ozs_clipset_free(struct ozs_clipset *cs);

/* A caller's window callback with the index offset of the clip being run,
 * so records are numbered across clips (ozs_renumbered is the trampoline). */
struct ozs_renumber {
    omnizip_window_fn fn;
    void *user;
    uint32_t offset;
};
void ozs_renumbered(void *user, const struct omnizip_window_info *info);
/* Adds one clip's plan, summary, window count and timings into to. */
void ozs_report_add(struct omnizip_run_report *to, const struct omnizip_run_report *from);

/* dc[c] (clip c's decisions, clip order) -> out in all's order (anchors by
 * position). dc is left as it was. */
omnizip_status ozs_decisions_merge(const struct ozs_seqmap *all, const struct ozs_clipset *cs,
                                   const struct ozs_decisions *dc, int64_t hidden,
                                   struct ozs_decisions *out, char *err, size_t err_size);

/* extras.c. The rows an extra of kind must have (-1: unknown kind). */
int64_t ozs_extra_rows_expected(int32_t kind, int64_t length, int64_t n_video, int64_t n_audio);
/* Every extra of seq names a known kind and has the rows its kind says. */
omnizip_status ozs_extras_check(const struct omnizip_sequence *seq, int64_t n_video,
                                int64_t n_audio, char *err, size_t err_size);
/* The kept rows (keep: L sequence flags) of one extra whose rows follow the
 * tokens of its kind (token_id: the video or audio id) gathered into dst,
 * which may be src; returns how many. */
int64_t ozs_extra_gather(const int64_t *ids, int64_t length, int64_t token_id, int32_t kind,
                         const uint8_t *keep, const void *src, size_t row_bytes, void *dst);
/* Compacts every extra of seq in place (before its ids are compacted). */
void ozs_extras_compact(struct omnizip_sequence *seq, const uint8_t *keep);

/* err <- "fmt..."; tolerates a NULL or empty buffer. Returns status. */
omnizip_status ozs_adapter_fail(char *err, size_t err_size, omnizip_status status, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));

/* rows x D rows of the sequence starting at row0 (NULL data when empty). */
struct omnizip_matrix ozs_adapter_rows(const struct omnizip_sequence *seq, int64_t row0,
                                       int64_t rows);

/* Mode streaming (adapter_stream.c): pushes every window in sequence order
 * through omnizip.streaming/1 on a created context (calling on_window after
 * each), then finish; fills infos, *d, rep's plan (the stream's totals),
 * summary and window timing. Reads seq, never writes it. */
omnizip_status ozs_adapter_stream(const struct omnizip_plugin *p, omnizip_ctx *ctx,
                                  const struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                                  struct omnizip_window_info *infos, omnizip_window_fn on_window,
                                  void *user, struct omnizip_run_report *rep,
                                  struct ozs_decisions *d, char *err, size_t err_size);

/* Runs bind, window for every window (calling on_window after each) and
 * finish on a planned context; fills infos, *d (caller frees its arrays)
 * and rep's bind/window timings and summary. Reads seq, never writes it. */
omnizip_status ozs_adapter_drive(const struct omnizip_plugin *p, omnizip_ctx *ctx,
                                 const struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                                 struct omnizip_window_info *infos, omnizip_window_fn on_window,
                                 void *user, struct omnizip_run_report *rep,
                                 struct ozs_decisions *d, char *err, size_t err_size);

/* Applies the decisions to seq: keep_mask, anchors (written into embeds and
 * compacted with compact = 1, else moved into rep), next_position. Fails
 * only on allocation, before touching seq. Takes d's arrays either way. */
omnizip_status ozs_adapter_apply(struct omnizip_sequence *seq, const struct ozs_seqmap *map,
                                 struct ozs_decisions *d, struct omnizip_run_report *rep, char *err,
                                 size_t err_size);

#endif
