/*
 * layout_1_0.h - the frozen layout of every struct of omnizip.h as ABI 1.0
 * released it (LP64: Linux x86-64 and aarch64). Included by test_abi.c so an
 * accidental reorder, retype or removal fails the build; appending a member
 * leaves these true. Only the sizes of structs embedded by value elsewhere
 * (omnizip_matrix) may never change; the others may grow at the end.
 */
/* Left as written: one line per struct: the offsets read as a table. */
// clang-format off
#ifndef OZ_LAYOUT_1_0_H
#define OZ_LAYOUT_1_0_H

#include <stddef.h>

#include <omnizip/omnizip.h>

#define OFF(s, m, o) \
    _Static_assert(offsetof(struct omnizip_##s, m) == (o), "omnizip_" #s "." #m " moved")
/* The size of the 1.0 layout; grown structs stay at least this large. */
#define SIZE(s, n) _Static_assert(sizeof(struct omnizip_##s) >= (n), "omnizip_" #s " shrank")

_Static_assert(sizeof(struct omnizip_matrix) == 40, "omnizip_matrix is embedded by value: frozen");
OFF(matrix, data, 0); OFF(matrix, rows, 8); OFF(matrix, cols, 16); OFF(matrix, row_stride, 24);
OFF(matrix, dtype, 32); OFF(matrix, memory, 36);
SIZE(config, 88); OFF(config, struct_size, 0); OFF(config, reserved0, 4);
OFF(config, rho_audio, 8); OFF(config, rho_video, 16); OFF(config, contextual_ratio, 24);
OFF(config, rho_min, 32); OFF(config, rho_max, 40); OFF(config, g, 48); OFF(config, dpc_k, 52);
OFF(config, normalize, 56); OFF(config, similarity_scope, 60); OFF(config, scope_radius, 64);
OFF(config, mode, 68); OFF(config, backend, 72); OFF(config, threads, 76);
OFF(config, telemetry, 80); OFF(config, reserved1, 84);
SIZE(host, 32); OFF(host, struct_size, 0); OFF(host, reserved0, 4); OFF(host, user, 8);
OFF(host, log, 16); OFF(host, parallel_for, 24);
SIZE(layout, 64); OFF(layout, struct_size, 0); OFF(layout, n_video_runs, 4);
OFF(layout, n_audio_runs, 8); OFF(layout, reserved0, 12); OFF(layout, video_run_len, 16);
OFF(layout, audio_run_len, 24); OFF(layout, tokens_per_frame, 32); OFF(layout, grid_t, 40);
OFF(layout, video_run_start, 48); OFF(layout, audio_run_start, 56);
SIZE(plan, 56); OFF(plan, struct_size, 0); OFF(plan, n_windows, 4); OFF(plan, n_guided, 8);
OFF(plan, reserved0, 12); OFF(plan, audio_in, 16); OFF(plan, audio_kept, 24);
OFF(plan, audio_anchors, 32); OFF(plan, video_in, 40); OFF(plan, video_kept, 48);
SIZE(window_info, 104); OFF(window_info, struct_size, 0); OFF(window_info, index, 4);
OFF(window_info, audio_in, 8); OFF(window_info, audio_kept, 16);
OFF(window_info, audio_anchors, 24); OFF(window_info, audio_merged, 32);
OFF(window_info, video_in, 40); OFF(window_info, video_kept, 48); OFF(window_info, s_a, 56);
OFF(window_info, base_rate, 64); OFF(window_info, rate, 72); OFF(window_info, guided, 80);
OFF(window_info, reserved0, 84); OFF(window_info, micros, 88); OFF(window_info, flops, 96);
SIZE(window_in, 96); OFF(window_in, struct_size, 0); OFF(window_in, reserved0, 4);
OFF(window_in, audio, 8); OFF(window_in, video, 48); OFF(window_in, stream, 88);
SIZE(window_out, 88); OFF(window_out, struct_size, 0); OFF(window_out, reserved0, 4);
OFF(window_out, audio_state, 8); OFF(window_out, audio_capacity, 16);
OFF(window_out, video_keep, 24); OFF(window_out, video_capacity, 32);
OFF(window_out, anchors, 40); OFF(window_out, info, 80);
SIZE(summary, 64); OFF(summary, struct_size, 0); OFF(summary, n_windows, 4);
OFF(summary, audio_in, 8); OFF(summary, audio_kept, 16); OFF(summary, video_in, 24);
OFF(summary, video_kept, 32); OFF(summary, micros_plan, 40); OFF(summary, micros_bind, 48);
OFF(summary, micros_windows, 56);
SIZE(importance_in, 104); OFF(importance_in, struct_size, 0); OFF(importance_in, n_heads, 4);
OFF(importance_in, pool, 8); OFF(importance_in, reserved0, 12); OFF(importance_in, q, 16);
OFF(importance_in, k, 56); OFF(importance_in, stream, 96);
SIZE(plugin, 152); OFF(plugin, struct_size, 0); OFF(plugin, abi_version, 4);
OFF(plugin, name, 8); OFF(plugin, version, 16); OFF(plugin, status_str, 24);
OFF(plugin, config_default, 32); OFF(plugin, config_set, 40); OFF(plugin, config_check, 48);
OFF(plugin, profile_load, 56); OFF(plugin, create, 64); OFF(plugin, destroy, 72);
OFF(plugin, last_error, 80); OFF(plugin, plan, 88); OFF(plugin, window_plan, 96);
OFF(plugin, bind, 104); OFF(plugin, window, 112); OFF(plugin, finish, 120);
OFF(plugin, audio_importance, 128); OFF(plugin, prefill_flops, 136);
OFF(plugin, get_extension, 144);

/* Values pinned forever. */
_Static_assert(OMNIZIP_ABI_VERSION == 1u && OMNIZIP_OK == 0 && OMNIZIP_E_INVALID == 1 &&
                   OMNIZIP_E_UNSUPPORTED == 2 && OMNIZIP_E_NOMEM == 3 && OMNIZIP_E_STATE == 4 &&
                   OMNIZIP_E_BACKEND == 5 && OMNIZIP_E_PROFILE == 6 && OMNIZIP_E_IO == 7,
               "status codes are pinned");
_Static_assert(OMNIZIP_DTYPE_F32 == 0 && OMNIZIP_DTYPE_F16 == 1 && OMNIZIP_DTYPE_BF16 == 2 &&
                   OMNIZIP_MEMORY_HOST == 0 && OMNIZIP_MEMORY_CUDA == 1 &&
                   OMNIZIP_AUDIO_PRUNED == 0 && OMNIZIP_AUDIO_KEPT == 1 &&
                   OMNIZIP_AUDIO_ANCHOR == 2 && OMNIZIP_AUDIO_MERGED == 3,
               "value codes are pinned");

#undef OFF
#undef SIZE
#endif
