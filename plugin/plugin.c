/* The ABI boundary: the entry symbol, the table, struct_size negotiation and
 * argument checks. Everything past the checks lives in engine/. */
#include "config.h"
#include "engine/engine.h"
#include "ozc_status.h"

#include <omnizip/cost.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sizes of the first released (1.0) layouts: smaller structs are refused. */
#define SIZE_1_0(type, last) (offsetof(struct type, last) + sizeof(((struct type *)0)->last))
#define HOST_1_0 SIZE_1_0(omnizip_host, parallel_for)
#define LAYOUT_1_0 SIZE_1_0(omnizip_layout, audio_run_start)
#define PLAN_1_0 SIZE_1_0(omnizip_plan, video_kept)
#define INFO_1_0 SIZE_1_0(omnizip_window_info, flops)
#define WIN_IN_1_0 SIZE_1_0(omnizip_window_in, stream)
#define WIN_OUT_1_0 SIZE_1_0(omnizip_window_out, info)
#define SUMMARY_1_0 SIZE_1_0(omnizip_summary, micros_windows)
#define IMPORTANCE_1_0 SIZE_1_0(omnizip_importance_in, stream)
#define STREAM_IN_1_2 SIZE_1_0(omnizip_stream_in, stream)
#define STREAM_TOTALS_1_2 SIZE_1_0(omnizip_stream_totals, video_target)
/* plan, window_plan, bind and window on a streaming context. */
#define STREAMING_ONLY                                             \
    "this context is in mode streaming: push windows through the " \
    "omnizip.streaming/1 extension"

static omnizip_status bad(omnizip_ctx *ctx, omnizip_status st, const char *msg)
{
    if (ctx)
        ozc_err(ctx->err, sizeof ctx->err, "%s", msg);
    return st;
}

/* Copies a host struct of `have` bytes into a zeroed local of `want` bytes:
 * a newer host's longer tail is ignored, an older one's missing tail stays 0,
 * which is every field's default in these structs (the config, whose
 * defaults are not zeros, starts from oz_config_default instead). */
static void copy_in(void *dst, size_t want, const void *src, size_t have)
{
    memset(dst, 0, want);
    memcpy(dst, src, have < want ? have : want);
}

static omnizip_status create(const struct omnizip_config *config, const struct omnizip_host *host,
                             omnizip_ctx **out, char *err, size_t err_size)
{
    if (!config || !out) {
        ozc_err(err, err_size, "create: config and out must not be NULL");
        return OMNIZIP_E_INVALID;
    }
    if (oz_config_read_size(config) == 0) {
        ozc_err(err, err_size, "create: config struct_size %u is smaller than the 1.0 layout",
                config->struct_size);
        return OMNIZIP_E_INVALID;
    }
    if (host && host->struct_size < HOST_1_0) {
        ozc_err(err, err_size, "create: host struct_size %u is smaller than the 1.0 layout",
                host->struct_size);
        return OMNIZIP_E_INVALID;
    }
    if (host && host->reserved0) {
        ozc_err(err, err_size, "create: host reserved0 must be zero");
        return OMNIZIP_E_INVALID;
    }
    struct omnizip_config cfg;
    cfg.struct_size = sizeof cfg;
    oz_config_default(&cfg);
    memcpy(&cfg, config, oz_config_read_size(config));
    cfg.struct_size = sizeof cfg;
    omnizip_status st = oz_config_check(&cfg, err, err_size);
    if (st != OMNIZIP_OK)
        return st;
    omnizip_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        ozc_err(err, err_size, "create: out of memory");
        return OMNIZIP_E_NOMEM;
    }
    ctx->cfg = cfg;
    if (host)
        copy_in(&ctx->host, sizeof ctx->host, host, host->struct_size);
    if ((st = oz_engine_init(ctx, err, err_size)) != OMNIZIP_OK) {
        oz_engine_release(ctx);
        free(ctx);
        return st;
    }
    if (cfg.telemetry == OMNIZIP_TELEMETRY_SHM) {
        st = oz_telemetry_open(&ctx->tel, &cfg, err, err_size);
        if (st != OMNIZIP_OK) {
            oz_engine_release(ctx);
            free(ctx);
            return st;
        }
    }
    if (ctx->host.log) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "omnizip %s: %u parallel tasks on %s, %s similarity scope, %s "
                 "backend",
                 OMNIZIP_VERSION_STR, ctx->exec.tasks,
                 ctx->host.parallel_for ? "the host's pool" : "its own threads",
                 cfg.similarity_scope == OMNIZIP_SCOPE_GLOBAL ? "global" : "window",
                 ctx->be.ops->name);
        ctx->host.log(ctx->host.user, OMNIZIP_LOG_INFO, msg);
    }
    *out = ctx;
    return OMNIZIP_OK;
}

static void destroy(omnizip_ctx *ctx)
{
    if (!ctx)
        return;
    oz_engine_release(ctx);
    oz_stream_free(ctx);
    oz_telemetry_close(ctx->tel);
    free(ctx);
}

static const char *last_error(const omnizip_ctx *ctx)
{
    return ctx ? ctx->err : "";
}

static omnizip_status plan(omnizip_ctx *ctx, const struct omnizip_layout *layout,
                           const float *scores, int64_t n_scores, struct omnizip_plan *out)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    if (!layout || !out)
        return bad(ctx, OMNIZIP_E_INVALID, "plan: layout and out must not be NULL");
    if (layout->struct_size < LAYOUT_1_0 || out->struct_size < PLAN_1_0)
        return bad(ctx, OMNIZIP_E_INVALID, "plan: struct_size of layout or out is below 1.0");
    if (ctx->cfg.mode == OMNIZIP_MODE_STREAMING)
        return bad(ctx, OMNIZIP_E_STATE, STREAMING_ONLY);
    struct omnizip_layout lay;
    copy_in(&lay, sizeof lay, layout, layout->struct_size);
    if (lay.reserved0)
        return bad(ctx, OMNIZIP_E_INVALID, "plan: layout reserved0 must be zero");
    return oz_engine_plan(ctx, &lay, scores, n_scores, out);
}

static omnizip_status window_plan(omnizip_ctx *ctx, uint32_t i, struct omnizip_window_info *out)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    if (!out || out->struct_size < INFO_1_0)
        return bad(ctx, OMNIZIP_E_INVALID,
                   "window_plan: out is NULL or its struct_size is "
                   "below 1.0");
    if (ctx->cfg.mode == OMNIZIP_MODE_STREAMING)
        return bad(ctx, OMNIZIP_E_STATE, STREAMING_ONLY);
    if (!ctx->planned)
        return bad(ctx, OMNIZIP_E_STATE, "window_plan before plan");
    if (ctx->plan.totals_only)
        return bad(ctx, OMNIZIP_E_STATE, OZ_TOTALS_ONLY);
    if (i >= ctx->plan.n_windows) {
        ozc_err(ctx->err, sizeof ctx->err,
                "window_plan: window %u out of range (the plan "
                "has %u)",
                i, ctx->plan.n_windows);
        return OMNIZIP_E_INVALID;
    }
    struct omnizip_window_info info;
    oz_engine_window_info(ctx, i, &info);
    uint32_t n = out->struct_size < sizeof info ? out->struct_size : sizeof info;
    info.struct_size = n;
    memcpy(out, &info, n);
    return OMNIZIP_OK;
}

static omnizip_status bind(omnizip_ctx *ctx, const struct omnizip_matrix *audio,
                           const struct omnizip_matrix *video, void *stream)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    ctx->stream = stream;
    if (!audio || !video)
        return bad(ctx, OMNIZIP_E_INVALID, "bind: audio and video must not be NULL");
    if (ctx->cfg.mode == OMNIZIP_MODE_STREAMING)
        return bad(ctx, OMNIZIP_E_STATE, STREAMING_ONLY);
    return oz_engine_bind(ctx, audio, video);
}

static omnizip_status window(omnizip_ctx *ctx, uint32_t i, const struct omnizip_window_in *in,
                             struct omnizip_window_out *out)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    if (!in || !out)
        return bad(ctx, OMNIZIP_E_INVALID, "window: in and out must not be NULL");
    if (in->struct_size < WIN_IN_1_0 || out->struct_size < WIN_OUT_1_0)
        return bad(ctx, OMNIZIP_E_INVALID, "window: struct_size of in or out is below 1.0");
    if (out->info && out->info->struct_size < INFO_1_0)
        return bad(ctx, OMNIZIP_E_INVALID, "window: info struct_size is below 1.0");
    if (ctx->cfg.mode == OMNIZIP_MODE_STREAMING)
        return bad(ctx, OMNIZIP_E_STATE, STREAMING_ONLY);
    struct omnizip_window_in win;
    struct omnizip_window_out wout;
    copy_in(&win, sizeof win, in, in->struct_size);
    copy_in(&wout, sizeof wout, out, out->struct_size);
    if (win.reserved0 || wout.reserved0)
        return bad(ctx, OMNIZIP_E_INVALID, "window: reserved0 of in and out must be zero");
    struct omnizip_window_info info;
    ctx->stream = win.stream;
    omnizip_status st = oz_engine_window(ctx, i, &win, &wout, &info);
    if (st == OMNIZIP_OK && out->info) {
        uint32_t n = out->info->struct_size < sizeof info ? out->info->struct_size : sizeof info;
        info.struct_size = n;
        memcpy(out->info, &info, n);
    }
    return st;
}

static omnizip_status finish(omnizip_ctx *ctx, struct omnizip_summary *out)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    if (!out || out->struct_size < SUMMARY_1_0)
        return bad(ctx, OMNIZIP_E_INVALID, "finish: out is NULL or its struct_size is below 1.0");
    struct omnizip_summary s;
    memset(&s, 0, sizeof s);
    struct omnizip_stream_totals t;
    if (ctx->cfg.mode == OMNIZIP_MODE_STREAMING) {
        /* The stream's totals; the next push needs a new begin. */
        omnizip_status st = oz_stream_totals(ctx, &t);
        if (st != OMNIZIP_OK)
            return st;
        s.n_windows = t.n_windows;
        s.audio_in = t.audio_in, s.audio_kept = t.audio_kept;
        s.video_in = t.video_in, s.video_kept = t.video_kept;
        oz_stream_end(ctx);
    } else if (!ctx->planned) {
        return bad(ctx, OMNIZIP_E_STATE, "finish before plan");
    } else {
        s.n_windows = ctx->plan.n_windows;
        s.audio_in = ctx->plan.n_audio;
        s.audio_kept = ctx->plan.audio_kept;
        s.video_in = ctx->plan.n_video;
        s.video_kept = ctx->plan.video_kept;
    }
    s.micros_plan = ctx->us_plan;
    s.micros_bind = ctx->us_bind;
    s.micros_windows = ctx->us_windows;
    uint32_t n = out->struct_size < sizeof s ? out->struct_size : sizeof s;
    s.struct_size = n;
    memcpy(out, &s, n);
    return OMNIZIP_OK;
}

static omnizip_status importance(omnizip_ctx *ctx, const struct omnizip_importance_in *in,
                                 float *scores, int64_t n_scores)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    if (!in || !scores || in->struct_size < IMPORTANCE_1_0)
        return bad(ctx, OMNIZIP_E_INVALID,
                   "audio_importance: in and scores must not be NULL "
                   "and in's struct_size must be at least 1.0");
    struct omnizip_importance_in imp;
    copy_in(&imp, sizeof imp, in, in->struct_size);
    if (imp.reserved0 || imp.reserved1)
        return bad(ctx, OMNIZIP_E_INVALID, "audio_importance: reserved fields must be zero");
    return oz_engine_importance(ctx, &imp, scores, n_scores);
}

static omnizip_status prefill_flops(const char *model, int64_t n, int64_t r, double *flops)
{
    return oz_cost_flops(oz_cost_find(model), n, r, flops);
}

static const struct omnizip_cost_ext cost_v1 = {
    .struct_size = sizeof(struct omnizip_cost_ext),
    .preset = oz_cost_preset,
    .find = oz_cost_find,
    .flops = oz_cost_flops,
    .kv_bytes = oz_cost_kv_bytes,
};

static omnizip_status clips_split(const struct omnizip_clips_in *in, struct omnizip_clips_out *out,
                                  char *err, size_t err_size)
{
    if (!in || !out || in->struct_size < sizeof *in || out->struct_size < sizeof *out) {
        ozc_err(err, err_size,
                "clips: in and out must be set, with struct_size of the 1.1 "
                "layouts");
        return OMNIZIP_E_INVALID;
    }
    return oz_clips_split(in, out, err, err_size);
}

static const struct omnizip_clips_ext clips_v1 = {
    .struct_size = sizeof(struct omnizip_clips_ext),
    .split = clips_split,
};

static omnizip_status stream_begin(omnizip_ctx *ctx, int64_t tokens_per_frame)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    return oz_stream_start(ctx, tokens_per_frame);
}

static omnizip_status stream_push(omnizip_ctx *ctx, const struct omnizip_stream_in *in,
                                  struct omnizip_window_out *out)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    if (!in || !out)
        return bad(ctx, OMNIZIP_E_INVALID, "push: in and out must not be NULL");
    if (in->struct_size < STREAM_IN_1_2 || out->struct_size < WIN_OUT_1_0)
        return bad(ctx, OMNIZIP_E_INVALID,
                   "push: struct_size of in or out is below its first "
                   "layout");
    if (out->info && out->info->struct_size < INFO_1_0)
        return bad(ctx, OMNIZIP_E_INVALID, "push: info struct_size is below 1.0");
    struct omnizip_stream_in sin;
    struct omnizip_window_out wout;
    copy_in(&sin, sizeof sin, in, in->struct_size);
    copy_in(&wout, sizeof wout, out, out->struct_size);
    struct omnizip_window_info info;
    ctx->stream = sin.stream;
    omnizip_status st = oz_stream_push(ctx, &sin, &wout, &info);
    if (st == OMNIZIP_OK && out->info) {
        uint32_t n = out->info->struct_size < sizeof info ? out->info->struct_size : sizeof info;
        info.struct_size = n;
        memcpy(out->info, &info, n);
    }
    return st;
}

static omnizip_status stream_totals(omnizip_ctx *ctx, struct omnizip_stream_totals *out)
{
    if (!ctx)
        return OMNIZIP_E_INVALID;
    ctx->err[0] = 0;
    if (!out || out->struct_size < STREAM_TOTALS_1_2)
        return bad(ctx, OMNIZIP_E_INVALID,
                   "totals: out is NULL or its struct_size is below "
                   "1.2");
    struct omnizip_stream_totals t;
    omnizip_status st = oz_stream_totals(ctx, &t);
    if (st == OMNIZIP_OK) {
        uint32_t n = out->struct_size < sizeof t ? out->struct_size : sizeof t;
        t.struct_size = n;
        memcpy(out, &t, n);
    }
    return st;
}

static const struct omnizip_streaming_ext streaming_v1 = {
    .struct_size = sizeof(struct omnizip_streaming_ext),
    .begin = stream_begin,
    .push = stream_push,
    .totals = stream_totals,
};

static const void *get_extension(const char *id)
{
    if (id && strcmp(id, OMNIZIP_EXT_CLIPS) == 0)
        return &clips_v1;
    if (id && strcmp(id, OMNIZIP_EXT_STREAMING) == 0)
        return &streaming_v1;
    if (id && strcmp(id, OMNIZIP_EXT_COST) == 0)
        return &cost_v1;
    return NULL;
}

static const char *config_key(uint32_t i)
{
    return oz_config_key_name(i);
}

static omnizip_status config_get(const struct omnizip_config *config, const char *key, char *buf,
                                 size_t size)
{
    char text[64];
    int i = oz_config_key_index(key);
    if (!config || !key || !buf || oz_config_read_size(config) == 0)
        return OMNIZIP_E_INVALID;
    if (i < 0)
        return OMNIZIP_E_PROFILE;
    struct omnizip_config full;
    full.struct_size = sizeof full;
    oz_config_default(&full);
    memcpy(&full, config, oz_config_read_size(config));
    oz_config_key_format(&full, (size_t)i, text, sizeof text);
    if (strlen(text) >= size)
        return OMNIZIP_E_INVALID;
    memcpy(buf, text, strlen(text) + 1);
    return OMNIZIP_OK;
}

static const struct omnizip_plugin table_v1 = {
    .struct_size = sizeof(struct omnizip_plugin),
    .abi_version = OMNIZIP_ABI_VERSION,
    .name = "omnizip",
    .version = OMNIZIP_VERSION_STR,
    .status_str = ozc_status_text,
    .config_default = oz_config_default,
    .config_set = oz_config_set,
    .config_check = oz_config_check,
    .profile_load = oz_profile_load,
    .create = create,
    .destroy = destroy,
    .last_error = last_error,
    .plan = plan,
    .window_plan = window_plan,
    .bind = bind,
    .window = window,
    .finish = finish,
    .audio_importance = importance,
    .prefill_flops = prefill_flops,
    .get_extension = get_extension,
    .config_key = config_key,
    .config_get = config_get,
};

OMNIZIP_EXPORT const struct omnizip_plugin *omnizip_plugin_entry(uint32_t abi_version)
{
    return abi_version == OMNIZIP_ABI_VERSION ? &table_v1 : NULL;
}
