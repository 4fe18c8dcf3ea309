/*
 * omnizip.h - the plugin ABI of omnizip, the only header a host needs.
 *
 * omnizip compresses the audio and video tokens of an omnimodal LLM input
 * (Qwen2.5-Omni and alike) before prefill, guided by audio: OmniZip. A host
 * dlopens libomnizip.so, calls omnizip_plugin_entry(OMNIZIP_ABI_VERSION) and
 * drives the returned table:
 *
 *   config_default / config_set / profile_load -> struct omnizip_config
 *   create(config, host services)              -> omnizip_ctx *
 *   plan(ctx, layout, audio scores)            -> exact kept counts per window
 *   bind(ctx, clip audio rows, clip video rows)   (global similarity scope)
 *   window(ctx, i, inputs, outputs)            once per window, i = 0..n-1
 *   finish(ctx, summary); destroy(ctx)
 *
 * Conventions used at every declaration below:
 * - Thread tags. [any-thread]: may be called from any thread at any time.
 *   [one-thread-per-ctx]: a context is driven by one thread at a time; distinct
 *   contexts may be driven from distinct threads concurrently.
 * - Errors. Every fallible call returns an omnizip_status; OMNIZIP_OK is 0. On
 *   failure nothing the caller passed in is modified, and last_error(ctx) (or
 *   the caller's err buffer for calls made without a context) says why.
 * - Ownership. The host owns every buffer it passes; pointers are borrowed for
 *   the duration of the call only unless a declaration says otherwise. Strings
 *   the plugin returns live until the context is destroyed (or forever for
 *   the table's own strings). No allocation crosses the boundary.
 * - Growth. Every struct the host and plugin exchange starts with struct_size;
 *   writers zero the whole struct before filling it and set struct_size to the
 *   size they know; readers accept larger sizes and treat a shorter tail as
 *   defaults. Fields and table members are only ever appended. "[1.0]" tags
 *   the ABI major.minor that introduced a declaration.
 */
#ifndef OMNIZIP_OMNIZIP_H
#define OMNIZIP_OMNIZIP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI major this header describes. [1.0] */
#define OMNIZIP_ABI_VERSION 1u

/* The name of the one exported symbol, for dlsym. [1.0] */
#define OMNIZIP_ENTRY_SYMBOL "omnizip_plugin_entry"

/* ---- status codes (values pinned forever) --------------------------- [1.0] */
typedef int32_t omnizip_status;
#define OMNIZIP_OK 0
#define OMNIZIP_E_INVALID 1     /* a NULL, a size or a value out of range */
#define OMNIZIP_E_UNSUPPORTED 2 /* a dtype, memory kind, mode or version not served */
#define OMNIZIP_E_NOMEM 3       /* an allocation failed */
#define OMNIZIP_E_STATE 4       /* call out of order (window before plan/bind...) */
#define OMNIZIP_E_BACKEND 5     /* the compute backend failed (CUDA fault, BLAS) */
#define OMNIZIP_E_PROFILE 6     /* a profile or config key/value is wrong */
#define OMNIZIP_E_IO 7          /* a file could not be read or written */

/* ---- plain value types ---------------------------------------------- [1.0] */
typedef int32_t omnizip_dtype;
#define OMNIZIP_DTYPE_F32 0
#define OMNIZIP_DTYPE_F16 1
#define OMNIZIP_DTYPE_BF16 2

typedef int32_t omnizip_memory;
#define OMNIZIP_MEMORY_HOST 0
#define OMNIZIP_MEMORY_CUDA 1

/* CUDA memory and streams. Every call that takes a `void *stream` (bind,
 * window, audio_importance, the streaming push) reads OMNIZIP_MEMORY_CUDA
 * rows on that cudaStream_t (NULL: the legacy default stream):
 * - Inputs: the rows must be ready in stream order. Work the host enqueued
 *   earlier on the same stream is ordered before the plugin's; work on any
 *   other stream the host must order itself (an event waited on `stream`).
 * - Return: the call synchronises `stream` before it returns OMNIZIP_OK, so
 *   every output it writes (masks, anchors, records, scores: always host
 *   memory) is valid on return, and so is everything the host enqueued on
 *   `stream` before the call. The host needs no synchronisation of its own
 *   to read the outputs.
 * - Lifetime: no device pointer of the host's is kept after a call returns;
 *   the rows may be freed or overwritten in stream order right after it.
 * - Failure: a CUDA fault returns OMNIZIP_E_BACKEND with the runtime's text
 *   in last_error; host outputs are then unspecified (as on any failure of
 *   window), never partly written device buffers of the host's.
 * - plan, window_plan, finish and every configuration call take no stream
 *   and touch no device memory.
 * The anchors output must be OMNIZIP_MEMORY_HOST (OMNIZIP_E_INVALID
 * otherwise) whatever the inputs' memory kind. [1.0] */

/* A row-major matrix view. data is const for inputs and written for outputs;
 * row_stride is in elements (>= cols). Embedded by value in other structs, so
 * this layout is frozen: it never grows. [1.0] */
struct omnizip_matrix {
    void *data;
    int64_t rows;
    int64_t cols;
    int64_t row_stride;
    omnizip_dtype dtype;
    omnizip_memory memory;
};

/* ---- configuration -------------------------------------------------- [1.0] */
typedef int32_t omnizip_normalize;
#define OMNIZIP_NORMALIZE_REFERENCE 0 /* the published rule, docs/ALGORITHM.md stage 2 */
/* Meet the video budget to the token: whole-frame kept video equals
 * round((1 - rho_video) * n_video_grid) (half-even) whenever the rate clamps
 * allow it, each window's rate in [rho_min, rho_max] (unguided windows: the
 * interval widened to include rho_video), following the audio guidance;
 * frames of one window keep counts that differ by one at most. The clip's
 * total kept count then depends on the layout and the config only. */
#define OMNIZIP_NORMALIZE_EXACT 1

typedef int32_t omnizip_scope;
#define OMNIZIP_SCOPE_GLOBAL 0 /* sigma and assignment over the whole clip */
#define OMNIZIP_SCOPE_WINDOW 1 /* only windows i-scope_radius..i+scope_radius */

typedef int32_t omnizip_mode;
#define OMNIZIP_MODE_REFERENCE 0
#define OMNIZIP_MODE_STREAMING \
    1 /* windows one at a time: the omnizip.streaming/1 extension [1.2] */

typedef int32_t omnizip_backend;
#define OMNIZIP_BACKEND_AUTO 0 /* CPU unless inputs live in CUDA memory */
#define OMNIZIP_BACKEND_CPU 1
#define OMNIZIP_BACKEND_CUDA 2

typedef int32_t omnizip_telemetry;
#define OMNIZIP_TELEMETRY_OFF 0
#define OMNIZIP_TELEMETRY_SHM 1 /* publish window records in a shm ring */

/* Which tokens are kept. Every baseline keeps exactly as many audio and as
 * many video tokens over the clip as OMNIZIP_STRATEGY_OMNIZIP with the same
 * config (equal budgets, for A/B runs); none merges audio (no anchors).
 * docs/strategies.md describes each with its paper. [1.1] */
typedef int32_t omnizip_strategy;
#define OMNIZIP_STRATEGY_OMNIZIP 0 /* audio-guided OmniZip (the default) */
#define OMNIZIP_STRATEGY_RANDOM 1  /* seeded uniform draws per modality */
#define OMNIZIP_STRATEGY_UNIFORM 2 /* evenly spaced per window */
#define OMNIZIP_STRATEGY_DYCOKE 3  /* DyCoke temporal merging on video and audio */

/* Every tuning knob; the profile keys of the same names (profiles/README.md).
 * Ratios are doubles on purpose: a float 0.6 changes kept counts. [1.0] */
struct omnizip_config {
    uint32_t struct_size;
    uint32_t reserved0;      /* zero */
    double rho_audio;        /* audio pruning ratio, [0,1), default 0.5 */
    double rho_video;        /* video pruning ratio, [0,1), default 0.5 */
    double contextual_ratio; /* anchors per audio token, [0,1), default 0.05 */
    double rho_min;          /* lowest per-window video rate, default 0.35 */
    double rho_max;          /* highest per-window video rate, default 0.75 */
    int32_t g;               /* tokens merged per anchor, >= 0, default 3 */
    int32_t dpc_k;           /* DPC-KNN neighbours, >= 1, default 5 */
    omnizip_normalize normalize;
    omnizip_scope similarity_scope;
    int32_t scope_radius; /* windows each side in OMNIZIP_SCOPE_WINDOW, >= 0 */
    omnizip_mode mode;
    omnizip_backend backend;
    int32_t threads; /* worker threads without a host pool; 0 = one per core, max 64 */
    omnizip_telemetry telemetry;
    uint32_t reserved1; /* zero */
    /* [1.1] An older host's shorter struct means strategy omnizip. */
    omnizip_strategy strategy;
    uint32_t reserved2; /* zero */
    uint64_t seed;      /* the random strategy's seed, default 0 */
};

/* Called by profile_load once per key of the resolved config, in table
 * order, with the file that set it (NULL: the built-in default); then
 * [1.1] for "extends" and "description" when the named file itself sets
 * them (the text as written), so a tool can write the profile back whole.
 * The strings live for the call only. [1.0] */
typedef void (*omnizip_key_fn)(void *user, const char *key, const char *value, const char *file,
                               int32_t line);

/* ---- host services (every member may be NULL) ----------------------- [1.0] */
typedef int32_t omnizip_log_level;
#define OMNIZIP_LOG_ERROR 0
#define OMNIZIP_LOG_WARN 1
#define OMNIZIP_LOG_INFO 2
#define OMNIZIP_LOG_DEBUG 3

/* Runs task(task_ctx, i) for i in [0, n) and returns when all are done.
 * Called from the thread that drives the context. */
typedef void (*omnizip_task_fn)(void *task_ctx, uint32_t i);

struct omnizip_host {
    uint32_t struct_size;
    uint32_t reserved0;
    void *user; /* passed back as the first argument of every callback */
    void (*log)(void *user, omnizip_log_level level, const char *msg);
    void (*parallel_for)(void *user, uint32_t n, omnizip_task_fn task, void *task_ctx);
};

/* ---- the clip's layout (docs/ALGORITHM.md, stage 0) ---------------- [1.0] */
/* Limits far above any real clip (a 2x2-merged frame of 3584 x 3584 pixels
 * has 4096 tokens; an hour of video at 2 frames per second and 768 tokens a
 * frame has 5.5 million), checked before anything is allocated or
 * multiplied: plan refuses a layout past them, bind and window a matrix past
 * them, with OMNIZIP_E_INVALID. [1.1] */
#define OMNIZIP_MAX_TOKENS_PER_FRAME 8192 /* tokens_per_frame */
#define OMNIZIP_MAX_TOKENS (1ll << 26)    /* audio or video tokens of a clip; grid_t * tpf */
#define OMNIZIP_MAX_ROWS (1ll << 32)      /* a run's start + length, in sequence rows */
#define OMNIZIP_MAX_HIDDEN 65536          /* cols (D) of an embedding matrix */
#define OMNIZIP_MAX_CELLS (1ll << 30)     /* anchor (or pool) tokens of a clip times D */

/* The runs of consecutive video and audio positions in sequence order; video
 * run i pairs with audio run i. tokens_per_frame = (grid_h/s)*(grid_w/s), and
 * grid_t * tokens_per_frame is the video budget base (n_video_grid). A run
 * length may be 0. The arrays are borrowed for the plan call (copied).
 *
 * Where the rows live (bind): with video_run_start and audio_run_start NULL,
 * bind's audio matrix holds the audio runs concatenated and its video matrix
 * the video runs concatenated (hosts that keep encoder outputs apart). With
 * both set, bind's audio and video matrices are the same whole-sequence
 * embedding matrix (L rows) and run i starts at row *_run_start[i]: no
 * gather is needed (hosts that hold the interleaved LLM input). Non-empty
 * runs must then come in sequence order and never overlap (video runs
 * among themselves, audio runs among themselves, and each other).
 * reserved0 must be zero. */
struct omnizip_layout {
    uint32_t struct_size;
    uint32_t n_video_runs;
    uint32_t n_audio_runs;
    uint32_t reserved0;
    const int64_t *video_run_len;
    const int64_t *audio_run_len;
    int64_t tokens_per_frame;
    int64_t grid_t;
    const int64_t *video_run_start; /* NULL or n_video_runs sequence rows */
    const int64_t *audio_run_start; /* NULL or n_audio_runs sequence rows */
};

/* Whole-clip counts fixed by plan. [1.0] */
struct omnizip_plan {
    uint32_t struct_size;
    uint32_t n_windows; /* max(n_video_runs, n_audio_runs) */
    uint32_t n_guided;  /* min(n_video_runs, n_audio_runs) */
    uint32_t reserved0;
    int64_t audio_in, audio_kept, audio_anchors;
    int64_t video_in, video_kept;
};

/* One window's numbers: returned by window_plan (counts and rates) and by
 * window (everything); also the telemetry record. [1.0] */
struct omnizip_window_info {
    uint32_t struct_size;
    uint32_t index;
    int64_t audio_in; /* tokens in audio run i (0 past the audio runs) */
    /* audio_kept and video_kept: -1 from window_plan before bind with
     * strategy dycoke, which decides per-window counts from the rows at bind
     * (the plan's totals are exact for every strategy). [1.1] */
    int64_t audio_kept;    /* dominant + anchors */
    int64_t audio_anchors; /* kept anchors (merge targets) */
    int64_t audio_merged;  /* pool tokens merged into some anchor */
    int64_t video_in;      /* tokens in video run i (0 past the video runs) */
    int64_t video_kept;
    double s_a;       /* kept/in of audio run i as float32, 0 for unguided */
    double base_rate; /* clamp(rho_max + (rho_min - rho_max) * s_a) */
    double rate;      /* the video pruning rate applied */
    int32_t guided;   /* 1 when video run i has an audio run */
    uint32_t reserved0;
    double micros; /* time spent in window(): 0 from window_plan */
    double flops;  /* arithmetic done for this window (estimate) */
};

/* Per-token audio decision codes written by window(). [1.0] */
#define OMNIZIP_AUDIO_PRUNED 0 /* dropped */
#define OMNIZIP_AUDIO_KEPT 1   /* dominant token, kept as is */
#define OMNIZIP_AUDIO_ANCHOR 2 /* kept, embedding replaced by the merged row */
#define OMNIZIP_AUDIO_MERGED 3 /* dropped, merged into an anchor */

/* Inputs of one window: its own rows. video.rows must equal the window's
 * video run length, audio.rows its audio run length (a 0-row matrix with a
 * NULL data pointer for an empty run). In the global scope audio rows are
 * not read (bind supplied the clip). stream: the host's cudaStream_t for
 * CUDA memory, else NULL. [1.0] */
struct omnizip_window_in {
    uint32_t struct_size;
    uint32_t reserved0;
    struct omnizip_matrix audio;
    struct omnizip_matrix video;
    void *stream;
};

/* Outputs of one window, all host-owned. audio_state gets one
 * OMNIZIP_AUDIO_* code per audio token of the run; video_keep one 0/1 byte per
 * video token of the run; anchors receives the merged embedding of each
 * OMNIZIP_AUDIO_ANCHOR token, in run order, in its own dtype (rows >=
 * window_plan's audio_anchors, cols = D). info may be NULL. Capacities
 * smaller than the plan's counts are refused with OMNIZIP_E_INVALID. [1.0] */
struct omnizip_window_out {
    uint32_t struct_size;
    uint32_t reserved0;
    uint8_t *audio_state;
    int64_t audio_capacity;
    uint8_t *video_keep;
    int64_t video_capacity;
    struct omnizip_matrix anchors;
    struct omnizip_window_info *info;
};

/* Totals at finish. [1.0] */
struct omnizip_summary {
    uint32_t struct_size;
    uint32_t n_windows;
    int64_t audio_in, audio_kept, video_in, video_kept;
    double micros_plan, micros_bind, micros_windows;
};

/* Inputs of the audio-importance helper: the last audio-encoder
 * self-attention layer's queries and keys, n_heads blocks of T rows each
 * (head h is rows h*T .. h*T+T-1), head_dim columns. pool: the encoder's
 * output pooling (2 for Qwen2.5-Omni, 1 for none). [1.0]
 *
 * Two score definitions. Without cu_seqlens (Qwen2.5-Omni): softmax over all
 * T keys, mean over heads and queries. With cu_seqlens (Qwen3-Omni, whose
 * audio encoder attends within windows): cu_seqlens holds n_cu_seqlens
 * ascending offsets 0 = c_0 <= c_1 <= ... = T, and the tokens of window w,
 * [c_w, c_w+1), attend only to each other: softmax over the window's keys,
 * mean over heads, SUM over the window's queries. No block larger than a
 * query chunk times one window is formed. [1.1] */
struct omnizip_importance_in {
    uint32_t struct_size;
    uint32_t n_heads;
    uint32_t pool;
    uint32_t reserved0;
    struct omnizip_matrix q;
    struct omnizip_matrix k;
    void *stream;
    const int64_t *cu_seqlens; /* [1.1] NULL: one window of all T (the 1.0 definition) */
    uint32_t n_cu_seqlens;     /* [1.1] windows + 1 */
    uint32_t reserved1;        /* [1.1] zero */
};

typedef struct omnizip_ctx omnizip_ctx;

/* ---- the table ------------------------------------------------------ [1.0] */
struct omnizip_plugin {
    uint32_t struct_size; /* sizeof the table the plugin serves */
    uint32_t abi_version; /* the major served, equal to the one asked for */
    const char *name;     /* "omnizip", static */
    const char *version;  /* the plugin's release, e.g. "0.1.0", static */

    /* A static English text for a status code. [any-thread] */
    const char *(*status_str)(omnizip_status status);

    /* Fills *config with the reference defaults (docs/ALGORITHM.md) up to
     * config->struct_size, which the caller sets first. [any-thread] */
    void (*config_default)(struct omnizip_config *config);

    /* Sets one key from its text form ("rho_audio", "0.3"), validating type
     * and range; err names the key, the allowed range and, for an unknown
     * key, the closest valid one. Returns OMNIZIP_E_PROFILE on a bad key or
     * value. [any-thread] */
    omnizip_status (*config_set)(struct omnizip_config *config, const char *key, const char *value,
                                 char *err, size_t err_size);

    /* Checks the keys together (rho_min <= rho_max...). [any-thread] */
    omnizip_status (*config_check)(const struct omnizip_config *config, char *err, size_t err_size);

    /* Applies the YAML profile at path on top of *config (which the caller
     * fills first, usually with config_default), following `extends:`; a
     * parent named without a slash is looked up as NAME.yaml in the
     * colon-separated search_path (may be NULL). err gets FILE:LINE:COL:
     * problem. on_key (may be NULL) sees every resolved key and its source.
     * *config is untouched on failure. Returns OMNIZIP_E_PROFILE or
     * OMNIZIP_E_IO on failure. [any-thread] */
    omnizip_status (*profile_load)(const char *path, const char *search_path,
                                   struct omnizip_config *config, omnizip_key_fn on_key, void *user,
                                   char *err, size_t err_size);

    /* Creates a context. config and host are copied (host may be NULL; its
     * callbacks must stay valid until destroy). On failure *out is untouched
     * and err says why. [any-thread] */
    omnizip_status (*create)(const struct omnizip_config *config, const struct omnizip_host *host,
                             omnizip_ctx **out, char *err, size_t err_size);

    /* Frees the context, joins its threads, removes its telemetry segment.
     * NULL is a no-op. [one-thread-per-ctx] */
    void (*destroy)(omnizip_ctx *ctx);

    /* The detail of the last failure on ctx, "" if none; valid until the next
     * call on ctx. [one-thread-per-ctx] */
    const char *(*last_error)(const omnizip_ctx *ctx);

    /* Decides every count from the layout and the audio scores alone (no
     * embedding is read): the audio keep mask, the per-window rates and each
     * window's kept counts. n_scores must equal the total audio run length.
     * May be called again to start a new clip.
     * Placeholder sizing [1.0]: under OMNIZIP_NORMALIZE_EXACT, scores may be
     * NULL with n_scores 0 (before the audio encoder has run): out then gets
     * the clip's totals, which are the same for any scores, and window_plan,
     * bind and window answer OMNIZIP_E_STATE until a plan with scores. Other
     * normalizations refuse NULL scores with OMNIZIP_E_INVALID.
     * [one-thread-per-ctx] */
    omnizip_status (*plan)(omnizip_ctx *ctx, const struct omnizip_layout *layout,
                           const float *scores, int64_t n_scores, struct omnizip_plan *out);

    /* Window i's planned counts and rates (micros = 0). [one-thread-per-ctx] */
    omnizip_status (*window_plan)(omnizip_ctx *ctx, uint32_t i, struct omnizip_window_info *out);

    /* Hands the whole clip's audio and video rows once after plan (laid out
     * as struct omnizip_layout says: runs concatenated, or the whole
     * sequence twice): the global scope merges across windows. The merged
     * anchors, the video row norms and (CPU backend) every frame's stage-3
     * decision are computed here, in parallel; the rows are not retained
     * after the call. Required before window() except in the window scope
     * with scope_radius 0, where it does nothing and window() works from
     * its own rows alone. [one-thread-per-ctx] */
    omnizip_status (*bind)(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                           const struct omnizip_matrix *video, void *stream);

    /* Compresses window i: fills out's masks, merged anchors and info.
     * Windows may come in any order; each may be asked again. Allocates
     * nothing once the working memory is sized (at bind, or at the first
     * window in the window scope with radius 0). With telemetry on, the
     * record is also published to the shm ring. [one-thread-per-ctx] */
    omnizip_status (*window)(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                             struct omnizip_window_out *out);

    /* Totals of the planned clip; the context may then plan again.
     * [one-thread-per-ctx] */
    omnizip_status (*finish)(omnizip_ctx *ctx, struct omnizip_summary *out);

    /* Mean attention each audio key receives over heads and queries, pooled
     * by in->pool (odd tail dropped), into scores[0 .. T/pool). Works in
     * query chunks: no T x T matrix is held. [one-thread-per-ctx] */
    omnizip_status (*audio_importance)(omnizip_ctx *ctx, const struct omnizip_importance_in *in,
                                       float *scores, int64_t n_scores);

    /* Prefill FLOPs by the paper's Eq. 9 for n tokens and r decoded tokens
     * with a model preset by name: the presets and the formula are those of
     * the omnizip.cost/1 extension (omnizip/cost.h). Returns
     * OMNIZIP_E_INVALID for an unknown preset. [any-thread] */
    omnizip_status (*prefill_flops)(const char *model, int64_t n, int64_t r, double *flops);

    /* A named extension ("omnizip.streaming/1"), NULL when not served.
     * [any-thread] */
    const void *(*get_extension)(const char *id);

    /* The name of config key i in table order (the order profile_load's
     * on_key sees), NULL past the last key. Check struct_size before
     * calling: a 1.0 table ends before this member. [any-thread] [1.1] */
    const char *(*config_key)(uint32_t i);

    /* Writes key's value in *config into buf as the text config_set takes
     * back to the very same value (a double as the shortest such decimal:
     * 0.333 stays "0.333"). Returns OMNIZIP_E_PROFILE for an unknown key,
     * OMNIZIP_E_INVALID for a NULL or a buf too small (buf is then
     * untouched); 64 bytes always suffice. [any-thread] [1.1] */
    omnizip_status (*config_get)(const struct omnizip_config *config, const char *key, char *buf,
                                 size_t size);
};

/* ---- extension "omnizip.clips/1": token ids -> clips -------------- [1.1] */
/* Finds the clips of one LLM input sequence and each clip's layout (the runs
 * of ALGORITHM section 0), so every host splits sequences by one rule.
 *
 * The rule. Video tokens belong to the grids in order: video v takes the next
 * T_v * tpf_v video tokens (tpf_v = (H_v/s) * (W_v/s)), the last video also
 * any tokens past the sum (a partial trailing frame). With one video (or
 * none), the whole sequence is one clip: every audio token belongs to it, as
 * in the published method. With several, video v's span runs from its first
 * video token to its last, extended over the audio tokens that directly
 * follow it (the audio run paired with its last video run); video v and the
 * audio tokens inside its span form clip v, and all audio tokens outside
 * every span form one audio-only clip (grid T = 0), placed last. A video
 * that holds no token forms no clip.
 *
 * Runs are maximal runs of consecutive positions of one clip's tokens of
 * one kind. Clip c's video runs are run_start/run_len[first_run ..
 * first_run + n_video_runs) and its audio runs follow right after them, so
 * a host hands plan a layout without copying: video_run_len = run_len +
 * first_run, audio_run_len = run_len + first_run + n_video_runs (starts
 * likewise; they are sequence rows). This layout is frozen: arrays of it
 * cross the boundary. */
struct omnizip_clip {
    int32_t video; /* index of the clip's grid, -1 for the audio-only clip */
    uint32_t first_run;
    uint32_t n_video_runs;
    uint32_t n_audio_runs;
    int64_t tokens_per_frame;
    int64_t grid_t;
    int64_t n_video; /* video tokens of the clip */
    int64_t n_audio; /* audio tokens of the clip */
};

struct omnizip_clips_in {
    uint32_t struct_size;
    uint32_t n_videos;        /* rows of grid_thw (0: no video) */
    const int64_t *input_ids; /* length token ids */
    int64_t length;
    int64_t audio_token_id;
    int64_t video_token_id;
    int64_t merge_size;      /* spatial merge size s, >= 1 */
    const int64_t *grid_thw; /* n_videos x 3: T, H, W */
};

/* Capacities n_videos + 1 clips and length runs always suffice. */
struct omnizip_clips_out {
    uint32_t struct_size;
    uint32_t n_clips; /* written */
    uint32_t n_runs;  /* written */
    uint32_t clip_capacity;
    struct omnizip_clip *clips;
    int64_t *run_start;
    int64_t *run_len;
    uint32_t run_capacity;
    uint32_t reserved0;
};

struct omnizip_clips_ext {
    uint32_t struct_size;
    uint32_t reserved0;
    /* Splits in->input_ids into clips as above. Returns OMNIZIP_E_INVALID for
     * a bad grid, too few video tokens for the grids, or capacities that are
     * too small, with the reason in err; out's arrays are written only on
     * success. [any-thread] */
    omnizip_status (*split)(const struct omnizip_clips_in *in, struct omnizip_clips_out *out,
                            char *err, size_t err_size);
};
#define OMNIZIP_EXT_CLIPS "omnizip.clips/1"

/* ---- extension "omnizip.streaming/1": windows as they come --------- [1.2] */
/* A context created with mode OMNIZIP_MODE_STREAMING compresses a stream of
 * windows: the host pushes window i (its audio rows and scores, its video
 * rows) and gets window i's decisions at once, before window i+1 exists.
 * Nothing depends on later windows or on the stream's length: the first k
 * windows' decisions are the same whatever follows. The context's memory
 * grows only when a window larger than every earlier one arrives, never
 * with the stream's length, and each push costs what its window costs.
 *
 * What is decided (the project's docs/STREAMING.md has the full rule): the
 * window's dominant audio tokens are its highest scores, as many as rank
 * above rho_audio among all scores seen so far, held within a band of 0.9
 * point of the budget; anchors follow contextual_ratio; merging happens
 * within the window (sigma against the window's own video); the video rate
 * follows the window's S_a shifted by the running mean, inside [rho_min,
 * rho_max] and the band around 1 - rho_video; stage 3 is unchanged. After
 * a few hundred audio tokens both cumulative kept fractions stay within 1
 * point of the offline method's. plan, window_plan, bind and window answer
 * OMNIZIP_E_STATE on a streaming context; finish gives the stream's totals
 * and ends it. */
struct omnizip_stream_in {
    uint32_t struct_size;
    uint32_t reserved0;
    struct omnizip_matrix audio; /* the window's audio rows (0 rows: none) */
    struct omnizip_matrix video; /* the window's video rows, whole frames first */
    const float *audio_scores;   /* audio.rows importance scores, finite */
    void *stream;                /* cudaStream_t for CUDA memory, else NULL */
};

/* The stream so far. */
struct omnizip_stream_totals {
    uint32_t struct_size;
    uint32_t n_windows; /* windows pushed since begin */
    int64_t audio_in, audio_kept, video_in, video_kept;
    double audio_target; /* the kept audio fraction the offline method gives */
    double video_target; /* 1 - rho_video */
};

struct omnizip_streaming_ext {
    uint32_t struct_size;
    uint32_t reserved0;
    /* Starts a stream whose frames hold tokens_per_frame video tokens (0 for
     * audio only); forgets any earlier stream. OMNIZIP_E_STATE on a context
     * not created in streaming mode. [one-thread-per-ctx] */
    omnizip_status (*begin)(omnizip_ctx *ctx, int64_t tokens_per_frame);
    /* Compresses the next window into out, as window() does: audio_state
     * (audio.rows codes), video_keep (video.rows bytes), the merged anchors
     * (an anchors matrix of audio.rows rows always suffices) and info (index
     * = the window's place in the stream). The hidden size stays that of
     * the first window. On failure the stream is as before the call.
     * [one-thread-per-ctx] */
    omnizip_status (*push)(omnizip_ctx *ctx, const struct omnizip_stream_in *in,
                           struct omnizip_window_out *out);
    /* The totals since begin. [one-thread-per-ctx] */
    omnizip_status (*totals)(omnizip_ctx *ctx, struct omnizip_stream_totals *out);
};
#define OMNIZIP_EXT_STREAMING "omnizip.streaming/1"

/* The one exported symbol. Returns the table for ABI major abi_version, or
 * NULL when that major is not served (never aborts). [any-thread]
 * The library is linked nodelete: its BLAS keeps process-wide memory pools,
 * so dlclose leaves it mapped and a later dlopen of the same file reuses it.
 * Nothing else outlives the last destroy (no thread, no handler). */
#if defined(_WIN32)
#define OMNIZIP_EXPORT __declspec(dllexport)
#else
#define OMNIZIP_EXPORT __attribute__((visibility("default")))
#endif
OMNIZIP_EXPORT const struct omnizip_plugin *omnizip_plugin_entry(uint32_t abi_version);

typedef const struct omnizip_plugin *(*omnizip_plugin_entry_fn)(uint32_t abi_version);

#ifdef __cplusplus
}
#endif
#endif
