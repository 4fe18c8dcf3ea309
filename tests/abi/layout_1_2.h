/*
 * layout_1_2.h - what ABI 1.2 appended, frozen like layout_1_0.h: the
 * omnizip.streaming/1 extension.
 */
/* Left as written: one line per struct: the offsets read as a table. */
// clang-format off
#ifndef OZ_LAYOUT_1_2_H
#define OZ_LAYOUT_1_2_H

#include <stddef.h>

#include <omnizip/omnizip.h>

#define OFF(s, m, o) \
    _Static_assert(offsetof(struct omnizip_##s, m) == (o), "omnizip_" #s "." #m " moved")
#define SIZE(s, n) _Static_assert(sizeof(struct omnizip_##s) >= (n), "omnizip_" #s " shrank")

SIZE(stream_in, 104); OFF(stream_in, struct_size, 0); OFF(stream_in, audio, 8);
OFF(stream_in, video, 48); OFF(stream_in, audio_scores, 88); OFF(stream_in, stream, 96);
SIZE(stream_totals, 56); OFF(stream_totals, struct_size, 0); OFF(stream_totals, n_windows, 4);
OFF(stream_totals, audio_in, 8); OFF(stream_totals, audio_kept, 16);
OFF(stream_totals, video_in, 24); OFF(stream_totals, video_kept, 32);
OFF(stream_totals, audio_target, 40); OFF(stream_totals, video_target, 48);
SIZE(streaming_ext, 32); OFF(streaming_ext, struct_size, 0); OFF(streaming_ext, begin, 8);
OFF(streaming_ext, push, 16); OFF(streaming_ext, totals, 24);

#undef OFF
#undef SIZE
#endif
