/*
 * shim.h - the host side of omnizip: a library (libomnizip_shim.so.1, or the
 * static libomnizip_shim.a) a runtime links instead of writing the glue
 * itself. `pkg-config --cflags --libs omnizip` or CMake's omnizip::shim
 * target give the flags.
 *
 * - Loader: finds libomnizip.so, dlopens it, negotiates the ABI and checks the
 *   table; on any failure it records why, logs it at WARN and the shim passes
 *   sequences through unchanged (report->passthrough = 1), so a runtime never
 *   breaks because the plugin is missing, and never misses that it is.
 * - Sequence adapter: token ids -> windows -> plan/bind/window/finish ->
 *   in-place compaction of embeddings, ids, position ids and attention mask.
 * - Dumps: omnizip's safetensors input/output files (docs/FORMATS.md).
 *
 * Thread tags, status codes and ownership rules are those of omnizip.h, plus
 * one of the shim's own:
 *   [one-thread-per-shim]: a shim, and every context and report it makes, is
 *   used by one thread at a time; distinct shims may be used from distinct
 *   threads concurrently. A shim's read-only queries (plugin, reason, path)
 *   are [any-thread] once omnizip_shim_open has returned.
 * The shim's structs have no struct_size: they are frozen for soname 1, and a
 * change to any of them is a new soname (docs/ABI.md, "The shim library").
 */
#ifndef OMNIZIP_SHIM_H
#define OMNIZIP_SHIM_H

#include <omnizip/omnizip.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- loader ------------------------------------------------------------- */
typedef struct omnizip_shim omnizip_shim;

/* Opens the plugin at path, or when path is NULL the first that exists of:
 * $OMNIZIP_PLUGIN; libomnizip.so.1 next to the shared shim library; for a
 * program, libomnizip.so next to its executable, then libomnizip.so.1 in the
 * lib directory beside its bin directory; libomnizip.so.1 through the dynamic
 * loader's search; the build's LIBDIR. All but the last are relative to the
 * running code, so a moved install still finds its own plugin.
 * dlopen(RTLD_NOW|RTLD_LOCAL), entry(1), then the table's abi_version,
 * struct_size and every mandatory member are checked. Any failure leaves the
 * shim in pass-through mode with the reason in omnizip_shim_reason(), sent to
 * host->log at OMNIZIP_LOG_WARN. Returns OMNIZIP_OK and a shim in both cases
 * (omnizip_shim_plugin() tells which); OMNIZIP_E_NOMEM only when the shim
 * itself cannot be allocated. host may be NULL; it is copied. [any-thread] */
omnizip_status omnizip_shim_open(const char *path, const struct omnizip_host *host,
                                 omnizip_shim **out);

/* The negotiated table, or NULL in pass-through mode (shim NULL: NULL).
 * Valid until close. [any-thread] */
const struct omnizip_plugin *omnizip_shim_plugin(const omnizip_shim *shim);

/* Why the shim passes through ("" when a plugin is loaded), naming the path
 * tried and, for a refused version, both ABI versions. Never NULL; valid
 * until close. [any-thread] */
const char *omnizip_shim_reason(const omnizip_shim *shim);

/* The path of the loaded (or last tried) plugin, "" when none was tried.
 * Valid until close. [any-thread] */
const char *omnizip_shim_path(const omnizip_shim *shim);

/* The directories searched for a task's profile (NAME.yaml), colon-separated,
 * best first: $OMNIZIP_PROFILE_PATH, the profiles installed beside the shared
 * shim library, those beside the executable's bin directory, the build's
 * DATADIR/profiles, ./profiles. Malloc'd (the caller frees it); NULL when
 * out of memory. [any-thread] */
char *omnizip_profile_search_path(void);

/* The profile called name (NAME.yaml in the first directory of search_path
 * holding it; NULL search_path: omnizip_profile_search_path()). On success
 * *path is malloc'd (the caller frees it). OMNIZIP_E_PROFILE when no
 * directory has it or name is empty or holds a '/', OMNIZIP_E_NOMEM, or
 * OMNIZIP_E_INVALID for a NULL. *path is untouched on failure.
 * [any-thread] */
omnizip_status omnizip_profile_find(const char *name, const char *search_path, char **path);

/* Called once per profile found, on the caller's thread: its name and file
 * (borrowed for the call). */
typedef void (*omnizip_profile_fn)(void *user, const char *name, const char *path);

/* Every profile --task can name, in search order and by name within a
 * directory; a name shadowed by an earlier directory is not reported (the
 * earlier file is what omnizip_profile_find returns). search_path as for
 * omnizip_profile_find. Returns OMNIZIP_OK, OMNIZIP_E_NOMEM or
 * OMNIZIP_E_INVALID (fn NULL). [any-thread] */
omnizip_status omnizip_profile_list(const char *search_path, omnizip_profile_fn fn, void *user);

/* "Did you mean": the listed profile name closest to name (a typo away)
 * into buf. OMNIZIP_E_PROFILE when none is close (or buf is too small; buf
 * is then untouched), OMNIZIP_E_NOMEM, OMNIZIP_E_INVALID for a NULL.
 * [any-thread] */
omnizip_status omnizip_profile_nearest(const char *name, const char *search_path, char *buf,
                                       size_t size);

/* dlcloses the plugin. Contexts created from it must be destroyed first.
 * NULL is a no-op. [one-thread-per-shim] */
void omnizip_shim_close(omnizip_shim *shim);

/* ---- sequence adapter --------------------------------------------------- */
/* Per-token tensors that travel with the sequence: kind says which tokens
 * have a row (every token, the video tokens or the audio tokens, each in
 * sequence order). DeepStack features are OMNIZIP_EXTRA_VIDEO (one row per
 * video token), visual_pos_masks OMNIZIP_EXTRA_TOKEN. */
#define OMNIZIP_EXTRA_TOKEN 0
#define OMNIZIP_EXTRA_VIDEO 1
#define OMNIZIP_EXTRA_AUDIO 2
struct omnizip_extra {
    const char *name; /* the host's name for it (dumps: per_video_token.NAME) */
    int32_t kind;     /* OMNIZIP_EXTRA_* */
    int32_t reserved0;
    void *data; /* rows x row_bytes, host memory */
    int64_t row_bytes;
    int64_t rows; /* L, the video or the audio token count; with compact = 1
                       * the kept rows on return */
};

/* One LLM input sequence. Arrays are host-owned; with compact = 1 they are
 * compacted in place (kept rows moved to the front, original order). */
struct omnizip_sequence {
    int64_t length; /* L; on return the new length when compact = 1 */
    int64_t hidden; /* D */
    void *embeds;   /* L x D rows, host memory */
    omnizip_dtype dtype;
    int64_t row_stride;      /* elements between rows (>= hidden) */
    int64_t *input_ids;      /* L */
    int64_t *position_ids;   /* 3 x L (M-RoPE) or NULL */
    int64_t position_stride; /* elements between the 3 rows (>= L) */
    int64_t *attention_mask; /* L or NULL */
    int64_t audio_token_id;
    int64_t video_token_id;
    int64_t grid_t, grid_h, grid_w; /* video_grid_thw */
    int64_t merge_size;             /* spatial merge size s (2 for Qwen) */
    const float *audio_scores;      /* one per audio token, sequence order */
    int64_t n_audio_scores;
    int32_t compact;       /* 1: compact in place; 0: only decide */
    uint8_t *keep_mask;    /* NULL or L bytes (original length): 1 kept */
    int64_t next_position; /* out: max position id + 1 (L when none given) */
    /* Several videos: n_videos rows of T, H, W (grid_t/h/w are then not read),
     * split into clips by the plugin's omnizip.clips/1 rule (omnizip.h, struct
     * omnizip_clip): each video with the audio in its span is its own clip,
     * audio outside every span one audio-only clip. NULL: the one grid above,
     * and the whole sequence is one clip. */
    const int64_t *video_grids;
    uint32_t n_videos;
    uint32_t n_extras;
    struct omnizip_extra *extras; /* n_extras, compacted with compact = 1 */
    /* NULL, or L bytes (original length): compress writes each audio
     * token's OMNIZIP_AUDIO_* code (kept, anchor, merged, pruned) at its
     * position and leaves the other bytes alone. Appended. */
    uint8_t *audio_state;
};

/* Called after each window with its record (borrowed for the call), on the
 * thread that called compress (the trace and pacing hook). */
typedef void (*omnizip_window_fn)(void *user, const struct omnizip_window_info *info);

/* Everything a compress run reports. windows is a caller array of capacity
 * entries (may be NULL/0); n_windows gets the true count either way. With
 * seq->compact = 0 the merged anchors are not written into seq->embeds but
 * returned here: anchor_positions (sequence positions, ascending) and
 * anchor_rows (n_anchors x hidden, f32), owned by the report until
 * omnizip_run_report_release(). */
struct omnizip_run_report {
    struct omnizip_plan plan;
    struct omnizip_summary summary;
    struct omnizip_window_info *windows;
    uint32_t capacity;
    uint32_t n_windows;
    double ms_plan, ms_bind, ms_windows; /* wall time of each stage */
    int64_t n_anchors;
    int64_t *anchor_positions;
    float *anchor_rows;
    int32_t passthrough; /* 1: no plugin loaded, every token kept (and logged) */
};

/* Frees the anchor arrays of a report (not the caller's windows array) and
 * clears their pointers; a released or zeroed report may be released again.
 * [one-thread-per-shim] */
void omnizip_run_report_release(struct omnizip_run_report *report);

/* Finds the windows, creates a context with config (NULL: defaults), drives
 * plan, bind, window for every window in order, finish, and applies the
 * decisions to seq (merged anchors written into seq->embeds, which must then
 * be writable). on_window may be NULL. In pass-through mode everything is
 * kept, OMNIZIP_OK returned with report->n_windows = 0 and
 * report->passthrough = 1, and host->log hears why at OMNIZIP_LOG_WARN. err names what is
 * wrong; seq is untouched on failure. [one-thread-per-shim] */
omnizip_status omnizip_shim_compress(omnizip_shim *shim, const struct omnizip_config *config,
                                     struct omnizip_sequence *seq, omnizip_window_fn on_window,
                                     void *user, struct omnizip_run_report *report, char *err,
                                     size_t err_size);

/* Like compress but reads no embeddings: plan only (exact counts). With no
 * audio scores (seq->audio_scores NULL, n_audio_scores 0) under normalize:
 * exact it gives the totals alone (report->plan; report->n_windows = 0): the
 * placeholder size of a clip before its audio encoder runs. Returns as
 * compress does; seq is never modified. [one-thread-per-shim] */
omnizip_status omnizip_shim_plan(omnizip_shim *shim, const struct omnizip_config *config,
                                 const struct omnizip_sequence *seq,
                                 struct omnizip_run_report *report, char *err, size_t err_size);

/* ---- dumps (safetensors) ----------------------------------------------- */
/* An input dump (docs/FORMATS.md, "Input dump"). Loading validates
 * everything (shapes, counts, dtypes, NaN/Inf, grid) and converts ids,
 * positions and mask to int64; embeddings stay mapped where aligned. */
struct omnizip_dump {
    struct omnizip_sequence seq; /* compact = 0; embeds read-only */
    int32_t has_position_ids, has_attention_mask;
    int32_t embeds_rank3;    /* inputs_embeds was [1,L,D] */
    int32_t ids_rank2;       /* input_ids was [1,L] */
    int32_t positions_rank3; /* position_ids was [3,1,L] */
    const char *path;
    void *impl; /* owned by the dump */
};

/* Loads path into *out, owned by it until omnizip_dump_free. Returns
 * OMNIZIP_OK, OMNIZIP_E_IO (unreadable), OMNIZIP_E_INVALID (not a valid
 * dump) or OMNIZIP_E_NOMEM, with "PATH: problem" in err; on failure *out
 * holds nothing to free. [any-thread] */
omnizip_status omnizip_dump_load(const char *path, struct omnizip_dump *out, char *err,
                                 size_t err_size);

/* A metadata value of the file, NULL when absent. Valid until
 * omnizip_dump_free. [any-thread] */
const char *omnizip_dump_meta(const struct omnizip_dump *dump, const char *key);

/* Writes the output file (docs/FORMATS.md, "Output file"): keep_mask, compacted inputs_embeds (input
 * dtype and rank; the kept rows of the dump, anchors replaced by the
 * report's anchor_rows converted to the input dtype), input_ids,
 * position_ids/attention_mask when the input had them, window_audio_retention
 * (F32, guided windows) and window_video_rate (F64, video runs), from report.
 * Written as omnizip_write_file writes (atomic for a regular file, in place
 * for a FIFO or character device). */
/* Returns OMNIZIP_OK, or OMNIZIP_E_IO / OMNIZIP_E_NOMEM / OMNIZIP_E_INVALID
 * with "PATH: problem" in err and nothing written. [any-thread] */
omnizip_status omnizip_dump_write(const struct omnizip_dump *dump, const uint8_t *keep_mask,
                                  const struct omnizip_run_report *report, const char *out_path,
                                  char *err, size_t err_size);

/* Releases what omnizip_dump_load gave; NULL is a no-op. [any-thread] */
void omnizip_dump_free(struct omnizip_dump *dump);

/* ---- status text ---------------------------------------------------------- */
/* A static English text for a status code, the same the plugin's status_str
 * member gives, with no plugin loaded. Never NULL. [any-thread] */
const char *omnizip_status_str(omnizip_status status);

/* ---- files --------------------------------------------------------------- */
/* Writes size bytes of data as the file at path so that nothing is ever
 * lost, the way omnizip_dump_write writes: a regular (or absent) file is
 * replaced only by a complete temp file beside it (mode 0666 & ~umask, or
 * the existing file's mode), fsynced and renamed over it; a symbolic link at
 * path is replaced, its target never written; a FIFO or character device is
 * written in place, never replaced; any other kind of file is refused. On
 * failure (OMNIZIP_E_IO, OMNIZIP_E_NOMEM, OMNIZIP_E_INVALID) the file is as
 * it was, no temp file remains and err says "PATH: problem". [any-thread] */
omnizip_status omnizip_write_file(const char *path, const void *data, size_t size, char *err,
                                  size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
