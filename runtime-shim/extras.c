/*
 * extras.c - per-token tensors that travel with a sequence (struct
 * omnizip_extra): checked before anything is decided, and compacted with the
 * keep mask restricted to their kind's tokens. The adapter compacts them in
 * place; the dump writer gathers them into its output.
 */
#include <string.h>

#include "adapter.h"

#define FAIL(status, ...) ozs_adapter_fail(err, err_size, status, __VA_ARGS__)

static const char *kind_name(int32_t kind)
{
    return kind == OMNIZIP_EXTRA_TOKEN ? "token" : kind == OMNIZIP_EXTRA_VIDEO ? "video" : "audio";
}

int64_t ozs_extra_rows_expected(int32_t kind, int64_t length, int64_t n_video, int64_t n_audio)
{
    switch (kind) {
    case OMNIZIP_EXTRA_TOKEN: return length;
    case OMNIZIP_EXTRA_VIDEO: return n_video;
    case OMNIZIP_EXTRA_AUDIO: return n_audio;
    default: return -1;
    }
}

omnizip_status ozs_extras_check(const struct omnizip_sequence *seq, int64_t n_video,
                                int64_t n_audio, char *err, size_t err_size)
{
    if (seq->n_extras > 0 && !seq->extras)
        return FAIL(OMNIZIP_E_INVALID, "sequence: %u extras but extras is NULL", seq->n_extras);
    for (uint32_t i = 0; i < seq->n_extras; i++) {
        const struct omnizip_extra *x = &seq->extras[i];
        const char *name = x->name ? x->name : "(unnamed)";
        int64_t want = ozs_extra_rows_expected(x->kind, seq->length, n_video, n_audio);
        if (want < 0)
            return FAIL(OMNIZIP_E_INVALID,
                        "extra %s: kind %d is not OMNIZIP_EXTRA_TOKEN, "
                        "_VIDEO or _AUDIO",
                        name, (int)x->kind);
        if (x->rows != want)
            return FAIL(OMNIZIP_E_INVALID,
                        "extra %s: %lld rows, the sequence has %lld %s "
                        "tokens",
                        name, (long long)x->rows, (long long)want, kind_name(x->kind));
        if (x->row_bytes < 0 || (x->rows > 0 && x->row_bytes > 0 && !x->data))
            return FAIL(OMNIZIP_E_INVALID, "extra %s: no data or a negative row size", name);
    }
    return OMNIZIP_OK;
}

int64_t ozs_extra_gather(const int64_t *ids, int64_t length, int64_t token_id, int32_t kind,
                         const uint8_t *keep, const void *src, size_t row_bytes, void *dst)
{
    int64_t r = 0, k = 0;
    for (int64_t j = 0; j < length; j++) {
        if (kind != OMNIZIP_EXTRA_TOKEN && ids[j] != token_id)
            continue;
        if (keep[j]) {
            if (dst != src || k != r)
                memmove((char *)dst + (size_t)k * row_bytes,
                        (const char *)src + (size_t)r * row_bytes, row_bytes);
            k++;
        }
        r++;
    }
    return k;
}

void ozs_extras_compact(struct omnizip_sequence *seq, const uint8_t *keep)
{
    for (uint32_t i = 0; i < seq->n_extras; i++) {
        struct omnizip_extra *x = &seq->extras[i];
        int64_t id = x->kind == OMNIZIP_EXTRA_VIDEO ? seq->video_token_id : seq->audio_token_id;
        x->rows = ozs_extra_gather(seq->input_ids, seq->length, id, x->kind, keep, x->data,
                                   (size_t)x->row_bytes, x->data);
    }
}
