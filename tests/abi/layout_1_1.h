/*
 * layout_1_1.h - what ABI 1.1 appended, frozen like layout_1_0.h: the
 * windowed audio-importance fields and the omnizip.clips/1 extension.
 */
/* Left as written: one line per struct: the offsets read as a table. */
// clang-format off
#ifndef OZ_LAYOUT_1_1_H
#define OZ_LAYOUT_1_1_H

#include <stddef.h>

#include <omnizip/omnizip.h>

#define OFF(s, m, o) \
    _Static_assert(offsetof(struct omnizip_##s, m) == (o), "omnizip_" #s "." #m " moved")
#define SIZE(s, n) _Static_assert(sizeof(struct omnizip_##s) >= (n), "omnizip_" #s " shrank")

SIZE(importance_in, 120); OFF(importance_in, cu_seqlens, 104);
OFF(importance_in, n_cu_seqlens, 112); OFF(importance_in, reserved1, 116);
/* Arrays of omnizip_clip cross the boundary: its size never changes. */
_Static_assert(sizeof(struct omnizip_clip) == 48, "omnizip_clip is passed in arrays: frozen");
OFF(clip, video, 0); OFF(clip, first_run, 4); OFF(clip, n_video_runs, 8);
OFF(clip, n_audio_runs, 12); OFF(clip, tokens_per_frame, 16); OFF(clip, grid_t, 24);
OFF(clip, n_video, 32); OFF(clip, n_audio, 40);
SIZE(clips_in, 56); OFF(clips_in, struct_size, 0); OFF(clips_in, n_videos, 4);
OFF(clips_in, input_ids, 8); OFF(clips_in, length, 16); OFF(clips_in, audio_token_id, 24);
OFF(clips_in, video_token_id, 32); OFF(clips_in, merge_size, 40); OFF(clips_in, grid_thw, 48);
SIZE(clips_out, 48); OFF(clips_out, struct_size, 0); OFF(clips_out, n_clips, 4);
OFF(clips_out, n_runs, 8); OFF(clips_out, clip_capacity, 12); OFF(clips_out, clips, 16);
OFF(clips_out, run_start, 24); OFF(clips_out, run_len, 32); OFF(clips_out, run_capacity, 40);
OFF(clips_out, reserved0, 44);
SIZE(clips_ext, 16); OFF(clips_ext, struct_size, 0); OFF(clips_ext, split, 8);

#undef OFF
#undef SIZE
#endif
