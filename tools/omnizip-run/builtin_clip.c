/* builtin_clip.c - the structured synthetic clip omnizip-run compresses when
 * given no input: 2 minutes of 2-second windows where speech alternates with
 * silence and static scenes with changing ones, so S_a and the video rates
 * visibly vary. Deterministic (fixed-seed xorshift) on every platform. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    WINDOWS = 60,
    HIDDEN = 256,
    GRID_T = 120,
    GRID_H = 12,
    GRID_W = 12,
    MERGE = 2,
    SIDE = GRID_H / MERGE, /* 6 x 6 merged patches per frame */
    TPF = SIDE * SIDE,     /* 36 tokens per frame */
    FRAMES_PER_WINDOW = GRID_T / WINDOWS,
    VIDEO_PER_WINDOW = FRAMES_PER_WINDOW * TPF,
    AUDIO_PER_WINDOW = 50,
    POS_PER_WINDOW = 50, /* 25 positions a second, as Qwen2.5-Omni's audio */
    PROTOTYPES = 4,      /* objects a frame is made of */
};

#define AUDIO_TOKEN 151646
#define VIDEO_TOKEN 151656

/* "<|im_start|>system\nYou are Qwen...<|im_end|>\n<|im_start|>user\n" and
 * "<|im_end|>\n<|im_start|>assistant\n", shortened. */
static const int64_t prompt_ids[] = {151644, 8948,   198, 2610,   525, 1207, 16948,
                                     13,     151645, 198, 151644, 872, 198,  151652};
static const int64_t tail_ids[] = {151653, 151645, 198, 151644, 77091, 198};
#define N_PROMPT ((int64_t)(sizeof prompt_ids / sizeof prompt_ids[0]))
#define N_TAIL ((int64_t)(sizeof tail_ids / sizeof tail_ids[0]))

struct rng {
    uint64_t s;
};

static uint64_t next_u64(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static double uniform(struct rng *r)
{
    return (double)(next_u64(r) >> 11) * 0x1.0p-53;
}

/* Roughly standard normal: the sum of four uniforms, rescaled. */
static float gauss(struct rng *r)
{
    double s = uniform(r) + uniform(r) + uniform(r) + uniform(r) - 2.0;
    return (float)(s * 1.7320508075688772);
}

static void random_row(struct rng *r, float *row, float scale)
{
    for (int d = 0; d < HIDDEN; d++)
        row[d] = scale * gauss(r);
}

/* A fresh scene: each patch is one of a few objects plus texture noise, so
 * patches within a frame are partly redundant (what DPC-KNN exploits). */
static void new_frame(struct rng *r, float *frame)
{
    float proto[PROTOTYPES][HIDDEN];
    for (int k = 0; k < PROTOTYPES; k++)
        random_row(r, proto[k], 1.0f);
    for (int t = 0; t < TPF; t++) {
        int k = (int)(next_u64(r) % PROTOTYPES);
        for (int d = 0; d < HIDDEN; d++)
            frame[(size_t)t * HIDDEN + d] = proto[k][d] + 0.35f * gauss(r);
    }
}

/* A static scene: the previous frame with a little sensor noise. */
static void drift_frame(struct rng *r, const float *prev, float *frame)
{
    for (size_t i = 0; i < (size_t)TPF * HIDDEN; i++)
        frame[i] = prev[i] + 0.02f * gauss(r);
}

/* Segments of 1..max windows alternating between two states. */
static void segments(struct rng *r, int *state, int max)
{
    int on = 1;
    for (int i = 0; i < WINDOWS;) {
        int len = 1 + (int)(next_u64(r) % (uint64_t)max);
        for (int k = 0; k < len && i < WINDOWS; k++)
            state[i++] = on;
        on = !on;
    }
}

/* Speech windows are partly voiced (pauses between words), so their S_a
 * spreads out instead of all sitting at 1; silence is quiet and flat. */
static void fill_audio(struct rng *r, int speech, const float *silence, float *rows, float *scores)
{
    double loudness = 0.4 + 0.6 * uniform(r);
    double voiced_share = speech ? 0.35 + 0.65 * uniform(r) : 0.0;
    for (int j = 0; j < AUDIO_PER_WINDOW; j++) {
        float *row = rows + (size_t)j * HIDDEN;
        int voiced = uniform(r) < voiced_share;
        if (voiced) {
            random_row(r, row, 1.0f);
        } else {
            for (int d = 0; d < HIDDEN; d++)
                row[d] = silence[d] + 0.01f * gauss(r);
        }
        scores[j] = (float)(voiced ? loudness * (0.5 + 0.5 * uniform(r)) : 0.03 * uniform(r));
    }
}

static void text_token(struct ozr_clip *c, int64_t at, int64_t id, int64_t pos)
{
    int64_t L = c->seq.length;
    c->ids[at] = id;
    for (int k = 0; k < 3; k++)
        c->positions[k * L + at] = pos;
    random_row(&(struct rng){(uint64_t)id * 2654435761u + 1}, c->embeds + at * HIDDEN, 0.5f);
}

static void layout_tokens(struct ozr_clip *c, struct rng *r, const int *speech, const int *changing)
{
    int64_t L = c->seq.length, at = 0, pos = 0, a = 0;
    float silence[HIDDEN];
    random_row(r, silence, 0.3f);
    for (int64_t k = 0; k < N_PROMPT; k++)
        text_token(c, at++, prompt_ids[k], pos++);
    int64_t start = pos;
    for (int i = 0; i < WINDOWS; i++) {
        int64_t tpos = start + (int64_t)i * POS_PER_WINDOW;
        for (int f = 0; f < FRAMES_PER_WINDOW; f++) {
            float *rows = c->embeds + at * HIDDEN;
            if (i == 0 && f == 0)
                new_frame(r, rows);
            else if (changing[i])
                new_frame(r, rows);
            else
                drift_frame(r, rows - (size_t)TPF * HIDDEN, rows);
            for (int t = 0; t < TPF; t++, at++) {
                c->ids[at] = VIDEO_TOKEN;
                c->positions[at] = tpos + (int64_t)f * (POS_PER_WINDOW / FRAMES_PER_WINDOW);
                c->positions[L + at] = start + t / SIDE;
                c->positions[2 * L + at] = start + t % SIDE;
            }
        }
        fill_audio(r, speech[i], silence, c->embeds + at * HIDDEN, c->scores + a);
        for (int j = 0; j < AUDIO_PER_WINDOW; j++, at++, a++) {
            c->ids[at] = AUDIO_TOKEN;
            for (int k = 0; k < 3; k++)
                c->positions[k * L + at] = tpos + j;
        }
    }
    pos = start + (int64_t)WINDOWS * POS_PER_WINDOW;
    for (int64_t k = 0; k < N_TAIL; k++)
        text_token(c, at++, tail_ids[k], pos++);
    c->seq.next_position = pos;
}

int ozr_clip_build(struct ozr_clip *c)
{
    memset(c, 0, sizeof *c);
    int64_t L = N_PROMPT + (int64_t)WINDOWS * (VIDEO_PER_WINDOW + AUDIO_PER_WINDOW) + N_TAIL;
    c->embeds = malloc((size_t)L * HIDDEN * sizeof *c->embeds);
    c->ids = malloc((size_t)L * sizeof *c->ids);
    c->positions = malloc((size_t)L * 3 * sizeof *c->positions);
    c->scores = malloc((size_t)WINDOWS * AUDIO_PER_WINDOW * sizeof *c->scores);
    if (!c->embeds || !c->ids || !c->positions || !c->scores) {
        ozr_clip_free(c);
        return -1;
    }
    struct omnizip_sequence *s = &c->seq;
    s->length = L;
    s->hidden = HIDDEN;
    s->embeds = c->embeds;
    s->dtype = OMNIZIP_DTYPE_F32;
    s->row_stride = HIDDEN;
    s->input_ids = c->ids;
    s->position_ids = c->positions;
    s->position_stride = L;
    s->audio_token_id = AUDIO_TOKEN;
    s->video_token_id = VIDEO_TOKEN;
    s->grid_t = GRID_T;
    s->grid_h = GRID_H;
    s->grid_w = GRID_W;
    s->merge_size = MERGE;
    s->audio_scores = c->scores;
    s->n_audio_scores = (int64_t)WINDOWS * AUDIO_PER_WINDOW;

    struct rng r = {0x9e3779b97f4a7c15ull};
    int speech[WINDOWS], changing[WINDOWS];
    segments(&r, speech, 4);
    segments(&r, changing, 5);
    layout_tokens(c, &r, speech, changing);
    return 0;
}

void ozr_clip_free(struct ozr_clip *c)
{
    free(c->embeds);
    free(c->ids);
    free(c->positions);
    free(c->scores);
    memset(c, 0, sizeof *c);
}
