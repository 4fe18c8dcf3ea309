/*
 * fuzz_trace.c - the inspector's trace reader: the bytes as a trace file
 * through ozi_trace_load (bounded lines, JSON, record checks), then what the
 * screen does with the records: totals, layout, a drawn frame with the
 * detail pane, the SVG plot.
 */
#include "fuzz.h"

#include "draw.h"
#include "frame.h"
#include "model.h"
#include "svg.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[128], svg[128], err[512];
    fz_write(fz_path(in, "a.bin"), data, size);
    struct ozi_model m;
    ozi_model_init(&m, OZ_MODE_REPLAY);
    if (ozi_trace_load(&m, in, err, sizeof err) == 0) {
        m.n_shown = m.n_rec;
        for (size_t i = 0; i < m.n_rec; i++)
            if (ozi_record_check(&m.rec[i], err, sizeof err) != 0)
                abort(); /* the reader let a bad record through */
        struct ozi_totals t;
        ozi_model_totals(&m, &t);
        if (t.audio_in < 0 || t.video_in < 0)
            abort();
        m.detail = 1;
        m.sel = m.n_rec ? (size_t)(size % m.n_rec) : 0;
        struct ozi_frame frame;
        memset(&frame, 0, sizeof frame);
        struct ozi_layout layout;
        int w = 40 + (int)(size % 100), h = 10 + (int)(size % 40);
        ozi_frame_resize(&frame, w, h);
        ozi_layout_compute(&layout, &m, w, h);
        struct ozi_draw_extra extra;
        memset(&extra, 0, sizeof extra);
        ozi_draw(&frame, &m, &layout, &ozi_glyphs_utf8, &extra);
        ozi_frame_free(&frame);
        ozi_svg_write(&m, fz_path(svg, "out.svg"), err, sizeof err);
    }
    ozi_model_free(&m);
    return 0;
}
