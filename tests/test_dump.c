/*
 * test_dump.c - omnizip_dump_load/meta/write/free: the golden files, every
 * accepted input variant (dtypes, ranks, partial frames, audio-only), every
 * refusal with its message, and the output file read back tensor by tensor.
 * Synthetic dumps are written with the shim's own safetensors writer, which
 * test_safetensors.c checks against python.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omnizip/shim.h>

#include "safetensors.h"

#define A 7   /* audio token id of the synthetic dumps */
#define V 8   /* video token id */
#define NL 16 /* their length */
#define ND 4  /* their hidden size */

#include "tmpdir.h"

static int count_entries(void)
{
    DIR *dir = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(dir);
    return n;
}

/* Two guided windows and an unguided trailing video run: 8 video tokens, 5
 * audio tokens. */
static const int64_t base_ids[NL] = {100, V, V, V, V, A, A, A, 101, V, V, A, A, 102, V, V};

/* A synthetic dump; zeroed fields mean "the valid default". */
struct spec {
    enum ozs_st_dtype edt; /* embeds dtype (default F32) */
    int erank3, ids_rank2, ids_i32, grid_rank1;
    int64_t rows;       /* embedding rows, default NL */
    int64_t n_scores;   /* default 5 */
    int64_t bad_embed;  /* flat index + 1 of a NaN/Inf embedding value */
    int bad_score;      /* index + 1 of a NaN score */
    const int64_t *ids; /* default base_ids */
    int64_t grid[3];    /* default {2, 4, 4} */
    int positions;      /* 0 none, 2 [3,L], 3 [3,1,L] */
    int positions_i32;
    int64_t pos_len; /* default NL */
    int mask;        /* 0 none, 1 I64, 2 BOOL */
    int mask_rank2;
    int64_t mask_len;                        /* default NL */
    const char *audio_id, *video_id, *merge; /* NULL: "7", "8", absent */
    const char *omit;                        /* a tensor to leave out */
};

static void write_dump(const char *path, struct spec s)
{
    static float f32[NL * ND];
    static uint16_t f16[NL * ND];
    static int32_t ids32[NL];
    static float scores[8];
    static int64_t pos64[3 * NL];
    static int32_t pos32[3 * NL];
    static int64_t mask64[NL];
    static uint8_t mask8[NL];
    const int64_t *ids = s.ids ? s.ids : base_ids;
    int64_t rows = s.rows ? s.rows : NL;
    int64_t ns = s.n_scores ? s.n_scores : 5;
    int64_t plen = s.pos_len ? s.pos_len : NL, mlen = s.mask_len ? s.mask_len : NL;
    int64_t grid[3] = {2, 4, 4};
    if (s.grid[0] || s.grid[1] || s.grid[2])
        memcpy(grid, s.grid, sizeof grid);
    enum ozs_st_dtype edt = s.edt ? s.edt : OZ_ST_F32;
    for (int i = 0; i < NL * ND; i++) {
        f32[i] = (float)(i / ND) + (float)(i % ND) / 8.0f;
        f16[i] = edt == OZ_ST_F16 ? ozc_f32_to_f16(f32[i]) : ozc_f32_to_bf16(f32[i]);
    }
    if (s.bad_embed) {
        f32[s.bad_embed - 1] = INFINITY;
        f16[s.bad_embed - 1] = edt == OZ_ST_F16 ? 0x7e00 : 0x7fc0; /* NaN */
    }
    for (int i = 0; i < 8; i++)
        scores[i] = 0.1f * (float)(i + 1);
    if (s.bad_score)
        scores[s.bad_score - 1] = NAN;
    for (int i = 0; i < NL; i++) {
        ids32[i] = (int32_t)ids[i];
        mask64[i] = i != 3;
        mask8[i] = i != 3;
        for (int r = 0; r < 3; r++) {
            pos64[r * NL + i] = 10 * r + i;
            pos32[r * NL + i] = 10 * r + i;
        }
    }
    ozs_st_writer *w = ozs_st_writer_new();
    int64_t e3[3] = {1, rows, ND}, i2[2] = {1, NL}, g2[2] = {1, 3}, g1 = 3;
    int64_t p3[3] = {3, 1, plen}, p2[2] = {3, plen}, m2[2] = {1, mlen};
    const char *omit = s.omit ? s.omit : "";
    if (strcmp(omit, "inputs_embeds"))
        ozs_st_writer_add(w, "inputs_embeds", edt, s.erank3 ? 3 : 2, s.erank3 ? e3 : e3 + 1,
                          ozs_st_dtype_size(edt) == 4 ? (const void *)f32 : (const void *)f16);
    if (strcmp(omit, "input_ids"))
        ozs_st_writer_add(w, "input_ids", s.ids_i32 ? OZ_ST_I32 : OZ_ST_I64, s.ids_rank2 ? 2 : 1,
                          s.ids_rank2 ? i2 : i2 + 1,
                          s.ids_i32 ? (const void *)ids32 : (const void *)ids);
    if (strcmp(omit, "audio_scores"))
        ozs_st_writer_add(w, "audio_scores", OZ_ST_F32, 1, &ns, scores);
    if (strcmp(omit, "video_grid_thw"))
        ozs_st_writer_add(w, "video_grid_thw", OZ_ST_I64, s.grid_rank1 ? 1 : 2,
                          s.grid_rank1 ? &g1 : g2, grid);
    if (s.positions)
        ozs_st_writer_add(w, "position_ids", s.positions_i32 ? OZ_ST_I32 : OZ_ST_I64, s.positions,
                          s.positions == 3 ? p3 : p2,
                          s.positions_i32 ? (const void *)pos32 : (const void *)pos64);
    if (s.mask)
        ozs_st_writer_add(w, "attention_mask", s.mask == 2 ? OZ_ST_BOOL : OZ_ST_I64,
                          s.mask_rank2 ? 2 : 1, s.mask_rank2 ? m2 : m2 + 1,
                          s.mask == 2 ? (const void *)mask8 : (const void *)mask64);
    ozs_st_writer_meta(w, "audio_token_id", s.audio_id ? s.audio_id : "7");
    ozs_st_writer_meta(w, "video_token_id", s.video_id ? s.video_id : "8");
    if (s.merge)
        ozs_st_writer_meta(w, "spatial_merge_size", s.merge);
    char err[256];
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_writer_free(w);
}

static void load_ok(const char *path, struct omnizip_dump *d)
{
    char err[512] = "";
    cr_assert_eq(omnizip_dump_load(path, d, err, sizeof err), OMNIZIP_OK, "%s", err);
}

static void assert_refused(const char *path, omnizip_status want, const char *needle)
{
    char err[512] = "";
    struct omnizip_dump d;
    memset(&d, 0xab, sizeof d);
    omnizip_status st = omnizip_dump_load(path, &d, err, sizeof err);
    cr_assert_eq(st, want, "status %d want %d: %s", st, want, err);
    cr_assert_eq(strncmp(err, path, strlen(path)), 0, "message does not start with path: %s", err);
    cr_assert_not_null(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
    cr_assert_eq(d.impl, (void *)(uintptr_t)0xababababababababu, "output touched on failure");
}

Test(dump, golden_basic)
{
    struct omnizip_dump d;
    load_ok("tests/data/basic.safetensors", &d);
    const struct omnizip_sequence *s = &d.seq;
    cr_assert_eq(s->length, 508);
    cr_assert_eq(s->hidden, 48);
    cr_assert_eq(s->row_stride, 48);
    cr_assert_eq(s->dtype, OMNIZIP_DTYPE_F32);
    cr_assert_eq(s->n_audio_scores, 300);
    cr_assert(s->grid_t == 12 && s->grid_h == 2 && s->grid_w == 32);
    cr_assert_eq(s->merge_size, 2);
    cr_assert_eq(s->audio_token_id, 151646);
    cr_assert_eq(s->video_token_id, 151656);
    cr_assert_eq(s->compact, 0);
    cr_assert(d.has_position_ids && !d.has_attention_mask);
    cr_assert(!d.embeds_rank3 && !d.ids_rank2 && !d.positions_rank3);
    cr_assert_eq(s->position_stride, 508);
    cr_assert_null(s->attention_mask);
    int64_t na = 0, nv = 0;
    for (int64_t i = 0; i < s->length; i++) {
        na += s->input_ids[i] == s->audio_token_id;
        nv += s->input_ids[i] == s->video_token_id;
    }
    cr_assert(na == 300 && nv == 192);
    cr_assert_str_eq(omnizip_dump_meta(&d, "rho_audio"), "0.3");
    cr_assert_null(omnizip_dump_meta(&d, "absent"));
    cr_assert_str_eq(d.path, "tests/data/basic.safetensors");
    omnizip_dump_free(&d);
    cr_assert_null(d.impl);
    omnizip_dump_free(&d);
    omnizip_dump_free(NULL);
}

Test(dump, every_golden_file_loads)
{
    static const char *names[] = {"audio_only",     "balanced50",
                                  "basic",          "paper35_g15",
                                  "paper45",        "three_frames",
                                  "two_windows_g0", "unguided_tail_ragged",
                                  "video_only"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[128];
        snprintf(path, sizeof path, "tests/data/%s.safetensors", names[i]);
        struct omnizip_dump d;
        load_ok(path, &d);
        int64_t na = 0;
        for (int64_t k = 0; k < d.seq.length; k++)
            na += d.seq.input_ids[k] == d.seq.audio_token_id;
        cr_assert_eq(na, d.seq.n_audio_scores, "%s", path);
        cr_assert(d.has_position_ids && d.seq.position_stride == d.seq.length);
        omnizip_dump_free(&d);
    }
    struct omnizip_dump d;
    load_ok("tests/data/audio_only.safetensors", &d);
    cr_assert_eq(d.seq.grid_t, 0); /* T = 0 without video tokens is valid */
    omnizip_dump_free(&d);
    load_ok("tests/data/video_only.safetensors", &d);
    cr_assert_eq(d.seq.n_audio_scores, 0);
    omnizip_dump_free(&d);
}

Test(dump, accepts_every_variant, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char p[128];
    snprintf(p, sizeof p, "%s/v.safetensors", tmpdir);
    write_dump(p, (struct spec){.edt = OZ_ST_F16,
                                .erank3 = 1,
                                .ids_rank2 = 1,
                                .ids_i32 = 1,
                                .positions = 3,
                                .positions_i32 = 1,
                                .mask = 2,
                                .mask_rank2 = 1,
                                .grid_rank1 = 1,
                                .merge = "2"});
    struct omnizip_dump d;
    load_ok(p, &d);
    cr_assert_eq(d.seq.dtype, OMNIZIP_DTYPE_F16);
    cr_assert(d.embeds_rank3 && d.ids_rank2 && d.positions_rank3);
    cr_assert(d.has_position_ids && d.has_attention_mask);
    cr_assert(d.seq.length == NL && d.seq.hidden == ND);
    const uint16_t *e = d.seq.embeds;
    cr_assert_eq(e[5 * ND + 2], 0x4540); /* 5.25 in binary16 */
    for (int i = 0; i < NL; i++) {
        cr_assert_eq(d.seq.input_ids[i], base_ids[i]);
        cr_assert_eq(d.seq.attention_mask[i], i != 3);
        cr_assert_eq(d.seq.position_ids[2 * d.seq.position_stride + i], 20 + i);
    }
    cr_assert(d.seq.grid_t == 2 && d.seq.grid_h == 4 && d.seq.grid_w == 4);
    cr_assert_eq(d.seq.n_audio_scores, 5);
    cr_assert_float_eq(d.seq.audio_scores[4], 0.5f, 1e-7);
    omnizip_dump_free(&d);

    write_dump(p, (struct spec){.edt = OZ_ST_BF16, .mask = 1, .positions = 2});
    load_ok(p, &d);
    cr_assert_eq(d.seq.dtype, OMNIZIP_DTYPE_BF16);
    cr_assert_eq(d.seq.merge_size, 2); /* the default when absent */
    omnizip_dump_free(&d);

    /* A partial trailing frame: 8 video tokens, T * tpf = 4. */
    write_dump(p, (struct spec){.grid = {1, 4, 4}});
    load_ok(p, &d);
    omnizip_dump_free(&d);

    /* No audio_scores: loads (a plan under normalize: exact needs none);
     * compress refuses it later, in the adapter. */
    write_dump(p, (struct spec){.omit = "audio_scores"});
    load_ok(p, &d);
    cr_assert(d.seq.audio_scores == NULL && d.seq.n_audio_scores == 0);
    omnizip_dump_free(&d);

    /* Audio only with T = 0. */
    static const int64_t audio_only[NL] = {1, A, A, 2, 3, A, A, A, 4, 5, 6, 7 + 90, 9, 10, 11, 12};
    write_dump(p, (struct spec){.ids = audio_only, .grid = {0, 2, 2}});
    load_ok(p, &d);
    cr_assert_eq(d.seq.grid_t, 0);
    omnizip_dump_free(&d);
}

Test(dump, refuses_each_problem, .init = make_tmpdir, .fini = remove_tmpdir)
{
    static const int64_t videoish[NL] = {100, V, V, V, V, A, A, A, 101, V, V, A, A, 102, V, V};
    struct {
        struct spec s;
        const char *needle;
    } cases[] = {
        {{.omit = "inputs_embeds"}, "missing tensor 'inputs_embeds'"},
        {{.omit = "input_ids"}, "missing tensor 'input_ids'"},
        {{.omit = "video_grid_thw"}, "missing tensor 'video_grid_thw'"},
        {{.edt = OZ_ST_I32}, "inputs_embeds has dtype I32, expected F32/F16/BF16"},
        {{.rows = 15}, "input_ids holds 16 tokens but inputs_embeds has 15 rows"},
        {{.n_scores = 6}, "audio_scores has 6 values but input_ids holds 5 audio tokens"},
        {{.bad_embed = 4 * ND + 3}, "inputs_embeds row 4 column 2 is NaN or Inf"},
        {{.edt = OZ_ST_F16, .bad_embed = 1}, "row 0 column 0 is NaN or Inf"},
        {{.edt = OZ_ST_BF16, .bad_embed = NL * ND}, "row 15 column 3 is NaN or Inf"},
        {{.bad_score = 2}, "audio_scores[1] is NaN or Inf"},
        {{.grid = {2, 1, 4}}, "0 tokens per frame"},
        {{.grid = {2, 4, 4}, .merge = "8"}, "0 tokens per frame"},
        {{.grid = {0, 4, 4}, .ids = videoish}, "T=0 but input_ids holds 8 video tokens"},
        {{.grid = {-1, 4, 4}}, "negative"},
        /* Sizes from the file, checked before anything is multiplied or allocated. */
        {{.grid = {1, 1 << 20, 1 << 20}}, "too large"},
        {{.grid = {(int64_t)1 << 40, 4, 4}}, "too large"},
        {{.grid = {4, 4, 4}}, "holds only 8 video tokens"},
        {{.positions = 2, .pos_len = 15}, "position_ids has shape [3, 15]"},
        {{.mask = 1, .mask_len = 15}, "attention_mask has shape [15]"},
        {{.audio_id = "7x"}, "metadata 'audio_token_id' is \"7x\", not an integer"},
        {{.video_id = ""}, "metadata 'video_token_id'"},
        {{.merge = "two"}, "metadata 'spatial_merge_size'"},
        {{.merge = "0"}, "spatial_merge_size is 0"},
        {{.audio_id = "8"}, "both 8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/bad%zu.safetensors", tmpdir, i);
        write_dump(p, cases[i].s);
        assert_refused(p, OMNIZIP_E_INVALID, cases[i].needle);
    }
    /* Metadata missing entirely: a plain safetensors file. */
    assert_refused("tests/corpus/safetensors/ok_tiny.safetensors", OMNIZIP_E_INVALID,
                   "missing tensor 'inputs_embeds'");
    assert_refused("tests/corpus/safetensors/bad_overlap.safetensors", OMNIZIP_E_INVALID,
                   "overlap");
    char p[128];
    snprintf(p, sizeof p, "%s/absent.safetensors", tmpdir);
    assert_refused(p, OMNIZIP_E_IO, "cannot open");
    assert_refused(tmpdir, OMNIZIP_E_IO, "not a regular file");
}

static const struct ozs_st_tensor *need(ozs_st_file *f, const char *name, enum ozs_st_dtype dt,
                                        int rank, const int64_t *shape)
{
    const struct ozs_st_tensor *t = ozs_st_find(f, name);
    cr_assert_not_null(t, "output lacks %s", name);
    cr_assert_eq(t->dtype, dt, "%s dtype %s", name, ozs_st_dtype_name(t->dtype));
    cr_assert_eq(t->rank, rank, "%s rank %d", name, t->rank);
    for (int i = 0; i < rank; i++)
        cr_assert_eq(t->shape[i], shape[i], "%s shape[%d] = %lld", name, i, (long long)t->shape[i]);
    return t;
}

/* keep: drop positions 2, 6 and 15; anchors at 5 and 11 (audio tokens). */
static void make_report(struct omnizip_run_report *r, struct omnizip_window_info *w, int64_t *ap,
                        float *rows)
{
    memset(r, 0, sizeof *r);
    memset(w, 0, 3 * sizeof *w);
    for (int i = 0; i < 3; i++) {
        w[i].index = (uint32_t)i;
        w[i].s_a = 0.6 + 0.1 * i;
        w[i].rate = 0.25 * (i + 1);
    }
    ap[0] = 5;
    ap[1] = 11;
    const float vals[2 * ND] = {1.5f,   -2.25f, 1.0f + 0x1p-11f, 1.0f + 0x1p-8f,
                                100.0f, 0.0f,   -0.0f,           3.0f};
    memcpy(rows, vals, sizeof vals);
    r->windows = w;
    r->capacity = 3;
    r->n_windows = 3;
    r->n_anchors = 2;
    r->anchor_positions = ap;
    r->anchor_rows = rows;
}

static void make_keep(uint8_t *keep)
{
    for (int i = 0; i < NL; i++)
        keep[i] = i != 2 && i != 6 && i != 15 ? (uint8_t)(i % 2 ? 1 : 7) : 0;
}

Test(dump, write_f16_rank3_i32, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char in[128], out[128], err[512] = "";
    snprintf(in, sizeof in, "%s/in.safetensors", tmpdir);
    snprintf(out, sizeof out, "%s/out.safetensors", tmpdir);
    write_dump(in, (struct spec){.edt = OZ_ST_F16,
                                 .erank3 = 1,
                                 .ids_rank2 = 1,
                                 .ids_i32 = 1,
                                 .positions = 3,
                                 .positions_i32 = 1,
                                 .mask = 2,
                                 .mask_rank2 = 1,
                                 .merge = "2"});
    struct omnizip_dump d;
    load_ok(in, &d);
    struct omnizip_run_report r;
    struct omnizip_window_info w[3];
    int64_t ap[2];
    float rows[2 * ND];
    uint8_t keep[NL];
    make_report(&r, w, ap, rows);
    make_keep(keep);
    cr_assert_eq(omnizip_dump_write(&d, keep, &r, out, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(count_entries(), 2, "temp file left behind");

    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open(out, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    const int64_t K = 13;
    int64_t sl[1] = {NL}, se[3] = {1, K, ND}, si[2] = {1, K}, sp[3] = {3, 1, K}, sg[1] = {2},
            sv[1] = {3};
    const uint8_t *km = need(f, "keep_mask", OZ_ST_BOOL, 1, sl)->data;
    for (int i = 0; i < NL; i++)
        cr_assert_eq(km[i], i != 2 && i != 6 && i != 15);
    const uint16_t *e = need(f, "inputs_embeds", OZ_ST_F16, 3, se)->data;
    cr_assert_eq(e[0 * ND + 1], 0x3000); /* row 0, 0.125 */
    cr_assert_eq(e[2 * ND + 0], 0x4200); /* out row 2 is in row 3: 3.0 */
    /* Row 5 is the first anchor, out row 4: 1.5, -2.25, a tie rounded to even (1.0), 1+2^-8. */
    cr_assert_eq(e[4 * ND + 0], 0x3e00);
    cr_assert_eq(e[4 * ND + 1], 0xc080);
    cr_assert_eq(e[4 * ND + 2], 0x3c00);
    cr_assert_eq(e[4 * ND + 3], 0x3c04);
    /* Row 11 is the second anchor, out row 9 (2 and 6 dropped). */
    cr_assert_eq(e[9 * ND + 0], 0x5640);
    cr_assert_eq(e[9 * ND + 2], 0x8000);
    cr_assert_eq(e[10 * ND + 0], 0x4a00); /* row 12: 12.0 */
    const int32_t *ids = need(f, "input_ids", OZ_ST_I32, 2, si)->data;
    cr_assert(ids[0] == 100 && ids[1] == V && ids[2] == V && ids[12] == V && ids[6] == 101 &&
              ids[7] == V);
    const int32_t *pos = need(f, "position_ids", OZ_ST_I32, 3, sp)->data;
    cr_assert(pos[0] == 0 && pos[2] == 3 && pos[K + 2] == 13 && pos[2 * K + 12] == 34);
    const uint8_t *m = need(f, "attention_mask", OZ_ST_BOOL, 2, si)->data;
    cr_assert(m[0] == 1 && m[2] == 0 && m[3] == 1);
    const float *ret = need(f, "window_audio_retention", OZ_ST_F32, 1, sg)->data;
    cr_assert(ret[0] == (float)0.6 && ret[1] == (float)0.7);
    const double *rate = need(f, "window_video_rate", OZ_ST_F64, 1, sv)->data;
    cr_assert(rate[0] == 0.25 && rate[1] == 0.5 && rate[2] == 0.75);
    cr_assert_str_eq(ozs_st_meta(f, "audio_token_id"), "7");
    cr_assert_str_eq(ozs_st_meta(f, "video_token_id"), "8");
    cr_assert_str_eq(ozs_st_meta(f, "spatial_merge_size"), "2");
    cr_assert_null(ozs_st_find(f, "audio_scores"));
    ozs_st_close(f);
    omnizip_dump_free(&d);
}

Test(dump, write_bf16_rank2_without_optional, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char in[128], out[128], err[512] = "";
    snprintf(in, sizeof in, "%s/in.safetensors", tmpdir);
    snprintf(out, sizeof out, "%s/out.safetensors", tmpdir);
    write_dump(in, (struct spec){.edt = OZ_ST_BF16});
    struct omnizip_dump d;
    load_ok(in, &d);
    struct omnizip_run_report r;
    struct omnizip_window_info w[3];
    int64_t ap[2];
    float rows[2 * ND];
    uint8_t keep[NL];
    make_report(&r, w, ap, rows);
    make_keep(keep);
    cr_assert_eq(omnizip_dump_write(&d, keep, &r, out, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open(out, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    int64_t se[2] = {13, ND}, si[1] = {13};
    const uint16_t *e = need(f, "inputs_embeds", OZ_ST_BF16, 2, se)->data;
    cr_assert_eq(e[4 * ND + 0], 0x3fc0); /* 1.5 */
    cr_assert_eq(e[4 * ND + 3], 0x3f80); /* 1 + 2^-8 ties to even: 1.0 */
    cr_assert_eq(e[9 * ND + 0], 0x42c8); /* 100 */
    cr_assert_eq(e[3 * ND + 1], 0x4084); /* row 4, 4.125, copied unchanged */
    need(f, "input_ids", OZ_ST_I64, 1, si);
    cr_assert_null(ozs_st_find(f, "position_ids"));
    cr_assert_null(ozs_st_find(f, "attention_mask"));
    cr_assert_str_eq(ozs_st_meta(f, "spatial_merge_size"), "2");
    ozs_st_close(f);
    omnizip_dump_free(&d);
}

/* basic.safetensors through a pass-through report: every window count comes
 * from the sequence (6 guided windows, 6 video runs as its expected_* hold). */
Test(dump, write_golden_pass_through, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char out[128], err[512] = "";
    snprintf(out, sizeof out, "%s/out.safetensors", tmpdir);
    struct omnizip_dump d;
    load_ok("tests/data/basic.safetensors", &d);
    ozs_st_file *g = NULL;
    cr_assert_eq(ozs_st_open("tests/data/basic.safetensors", &g, err, sizeof err), OMNIZIP_OK);
    const uint8_t *keep = ozs_st_find(g, "expected_keep")->data;
    int64_t K = 0;
    for (int i = 0; i < 508; i++)
        K += keep[i];
    struct omnizip_run_report r;
    memset(&r, 0, sizeof r);
    cr_assert_eq(omnizip_dump_write(&d, keep, &r, out, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open(out, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    int64_t se[2] = {K, 48}, sp[2] = {3, K}, s6[1] = {6};
    const float *e = need(f, "inputs_embeds", OZ_ST_F32, 2, se)->data;
    const float *src = d.seq.embeds;
    int64_t k = 0;
    for (int i = 0; i < 508; i++)
        if (keep[i])
            cr_assert_eq(memcmp(e + 48 * k++, src + 48 * i, 48 * sizeof(float)), 0, "row %d", i);
    need(f, "position_ids", OZ_ST_I64, 2, sp);
    const float *ret = need(f, "window_audio_retention", OZ_ST_F32, 1, s6)->data;
    const double *rate = need(f, "window_video_rate", OZ_ST_F64, 1, s6)->data;
    for (int i = 0; i < 6; i++)
        cr_assert(ret[i] == 1.0f && rate[i] == 0.0);
    ozs_st_close(f);
    ozs_st_close(g);
    omnizip_dump_free(&d);
}

Test(dump, write_refusals_leave_no_file, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char in[128], out[128], err[512] = "";
    snprintf(in, sizeof in, "%s/in.safetensors", tmpdir);
    snprintf(out, sizeof out, "%s/out.safetensors", tmpdir);
    write_dump(in, (struct spec){0});
    struct omnizip_dump d;
    load_ok(in, &d);
    struct omnizip_run_report r;
    struct omnizip_window_info w[3];
    int64_t ap[2];
    float rows[2 * ND];
    uint8_t keep[NL];
    make_keep(keep);

    make_report(&r, w, ap, rows);
    r.n_windows = 2;
    cr_assert_eq(omnizip_dump_write(&d, keep, &r, out, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_not_null(strstr(err, "3 video runs and 2 audio runs"), "%s", err);

    make_report(&r, w, ap, rows);
    ap[1] = 6; /* a pruned position */
    cr_assert_eq(omnizip_dump_write(&d, keep, &r, out, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_not_null(strstr(err, "anchor 1 at position 6"), "%s", err);

    make_report(&r, w, ap, rows);
    r.anchor_rows = NULL;
    cr_assert_eq(omnizip_dump_write(&d, keep, &r, out, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_eq(omnizip_dump_write(&d, NULL, &r, out, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_eq(count_entries(), 1, "a refused write left a file");

    make_report(&r, w, ap, rows);
    char nodir[160];
    snprintf(nodir, sizeof nodir, "%s/missing/out.safetensors", tmpdir);
    cr_assert_eq(omnizip_dump_write(&d, keep, &r, nodir, err, sizeof err), OMNIZIP_E_IO);
    cr_assert_eq(strncmp(err, nodir, strlen(nodir)), 0, "%s", err);
    cr_assert_eq(count_entries(), 1);
    omnizip_dump_free(&d);
}

/* Deterministic header mutations of a golden dump: loading must never crash,
 * and every refusal names the file. */
Test(dump, header_mutations_never_crash, .init = make_tmpdir, .fini = remove_tmpdir)
{
    FILE *fp = fopen("tests/data/two_windows_g0.safetensors", "rb");
    cr_assert_not_null(fp);
    static unsigned char orig[32768], buf[32768];
    size_t n = fread(orig, 1, sizeof orig, fp);
    fclose(fp);
    cr_assert_lt(n, sizeof orig);
    size_t hdr = 8 + 896;
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/m.safetensors", tmpdir);
    uint64_t rng = 88172645463325252u;
    int accepted = 0;
    for (int iter = 0; iter < 300; iter++) {
        memcpy(buf, orig, n);
        for (int k = 0; k < 2; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            buf[8 + rng % (hdr - 8)] = "0123456789-[]{},:\"e. "[(rng >> 32) % 21];
        }
        fp = fopen(path, "wb");
        fwrite(buf, 1, n, fp);
        fclose(fp);
        struct omnizip_dump d;
        omnizip_status st = omnizip_dump_load(path, &d, err, sizeof err);
        if (st == OMNIZIP_OK) {
            accepted++;
            omnizip_dump_free(&d);
        } else {
            cr_assert_eq(strncmp(err, path, strlen(path)), 0, "%s", err);
        }
    }
    cr_assert_lt(accepted, 300);
}
