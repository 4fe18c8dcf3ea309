/*
 * test_safetensors.c - the shim's safetensors reader and writer and the
 * half-precision conversions: golden files, unaligned tensors, round trips,
 * every refusal, atomic writes, and the committed fuzz corpus replayed (plus
 * deterministic mutations of its valid files).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safetensors.h"

#define CORPUS "tests/corpus/safetensors"

#include "tmpdir.h"

static int count_entries(const char *dirpath)
{
    DIR *dir = opendir(dirpath);
    cr_assert_not_null(dir, "opendir %s", dirpath);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(dir);
    return n;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "fopen %s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* A file of 8-byte length + header text (padded to 8) + data. */
static void write_st(const char *path, const char *header, const void *data, size_t n)
{
    size_t h = strlen(header), padded = (8 + h + 7) / 8 * 8 - 8;
    unsigned char *buf = calloc(1, 8 + padded + n + 1);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, header, h);
    memset(buf + 8 + h, ' ', padded - h);
    if (n)
        memcpy(buf + 8 + padded, data, n);
    write_bytes(path, buf, 8 + padded + n);
    free(buf);
}

static void assert_refused(const char *path, omnizip_status want, const char *needle)
{
    char err[512] = "";
    ozs_st_file *f = NULL;
    omnizip_status st = ozs_st_open(path, &f, err, sizeof err);
    cr_assert_eq(st, want, "%s: status %d, want %d (%s)", path, st, want, err);
    cr_assert_null(f);
    cr_assert_eq(strncmp(err, path, strlen(path)), 0, "message does not start with path: %s", err);
    cr_assert_not_null(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
}

Test(safetensors, golden_basic_facts)
{
    char err[256];
    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open("tests/data/basic.safetensors", &f, err, sizeof err), OMNIZIP_OK, "%s",
                 err);
    cr_assert_eq(ozs_st_count(f), 9);
    const struct ozs_st_tensor *e = ozs_st_find(f, "inputs_embeds");
    cr_assert_not_null(e);
    cr_assert_eq(e->dtype, OZ_ST_F32);
    cr_assert_eq(e->rank, 2);
    cr_assert_eq(e->shape[0], 508);
    cr_assert_eq(e->shape[1], 48);
    cr_assert_eq(e->nbytes, 508u * 48u * 4u);
    cr_assert_eq(ozs_st_find(f, "audio_scores")->count, 300);
    cr_assert_eq(ozs_st_find(f, "expected_keep")->dtype, OZ_ST_BOOL);
    cr_assert_eq(ozs_st_find(f, "expected_video_rates")->dtype, OZ_ST_F64);
    const struct ozs_st_tensor *g = ozs_st_find(f, "video_grid_thw");
    cr_assert_eq(g->dtype, OZ_ST_I64);
    const int64_t *thw = g->data;
    cr_assert(thw[0] == 12 && thw[1] == 2 && thw[2] == 32);
    cr_assert_str_eq(ozs_st_meta(f, "rho_audio"), "0.3");
    cr_assert_str_eq(ozs_st_meta(f, "audio_token_id"), "151646");
    cr_assert_null(ozs_st_meta(f, "no_such_key"));
    cr_assert_null(ozs_st_find(f, "no_such_tensor"));
    cr_assert_null(ozs_st_at(f, 9));
    cr_assert_str_eq(ozs_st_path(f), "tests/data/basic.safetensors");
    ozs_st_close(f);
}

Test(safetensors, every_golden_file_opens_aligned)
{
    static const char *names[] = {"audio_only",     "balanced50",
                                  "basic",          "paper35_g15",
                                  "paper45",        "three_frames",
                                  "two_windows_g0", "unguided_tail_ragged",
                                  "video_only"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[128], err[256];
        snprintf(path, sizeof path, "tests/data/%s.safetensors", names[i]);
        ozs_st_file *f = NULL;
        cr_assert_eq(ozs_st_open(path, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
        cr_assert_eq(ozs_st_count(f), 9, "%s", path);
        for (size_t k = 0; k < ozs_st_count(f); k++) {
            const struct ozs_st_tensor *t = ozs_st_at(f, k);
            cr_assert_eq((uintptr_t)t->data % ozs_st_dtype_size(t->dtype), 0, "%s %s unaligned",
                         path, t->name);
        }
        ozs_st_close(f);
    }
}

/* three_frames' expected_embeds starts at data offset 126299 (header 928
 * bytes): a 4-byte float at an odd file offset. */
Test(safetensors, unaligned_tensor_reads_the_file_bytes)
{
    const char *path = "tests/data/three_frames.safetensors";
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp);
    unsigned char len[8];
    cr_assert_eq(fread(len, 1, 8, fp), 8u);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | len[i];
    cr_assert_eq(hlen, 928u);
    long off = (long)(8 + hlen + 126299 + 4 * (48 * 10 + 7));
    cr_assert_eq(off % 4, 3);
    float want;
    cr_assert_eq(fseek(fp, off, SEEK_SET), 0);
    cr_assert_eq(fread(&want, 4, 1, fp), 1u);
    fclose(fp);

    char err[256];
    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open(path, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    const struct ozs_st_tensor *t = ozs_st_find(f, "expected_embeds");
    cr_assert_eq(t->shape[0], 555);
    cr_assert_eq((uintptr_t)t->data % 4, 0);
    const float *v = t->data;
    cr_assert_eq(memcmp(&v[48 * 10 + 7], &want, 4), 0);
    /* Value decoded independently with python3's struct at the same offset. */
    cr_assert_float_eq(v[0], 1.1012624502182007f, 0.0f);
    const double *rates = ozs_st_find(f, "expected_video_rates")->data;
    cr_assert_eq((uintptr_t)rates % 8, 0);
    cr_assert(rates[0] > 0.0 && rates[0] < 1.0);
    ozs_st_close(f);
}

Test(safetensors, round_trip_every_dtype, .init = make_tmpdir, .fini = remove_tmpdir)
{
    static const enum ozs_st_dtype all[] = {OZ_ST_BOOL,    OZ_ST_U8,  OZ_ST_I8,  OZ_ST_F8_E4M3,
                                            OZ_ST_F8_E5M2, OZ_ST_I16, OZ_ST_U16, OZ_ST_F16,
                                            OZ_ST_BF16,    OZ_ST_I32, OZ_ST_U32, OZ_ST_F32,
                                            OZ_ST_I64,     OZ_ST_U64, OZ_ST_F64};
    enum { N = sizeof all / sizeof *all };
    unsigned char data[N][3 * 5 * 8];
    ozs_st_writer *w = ozs_st_writer_new();
    cr_assert_not_null(w);
    for (int i = 0; i < N; i++) {
        for (size_t b = 0; b < sizeof data[i]; b++)
            data[i][b] = all[i] == OZ_ST_BOOL ? (unsigned char)(b & 1)
                                              : (unsigned char)(b * 7 + (size_t)i);
        char name[32];
        snprintf(name, sizeof name, "t_%s", ozs_st_dtype_name(all[i]));
        int64_t shape[2] = {3, 5};
        cr_assert_eq(ozs_st_writer_add(w, name, all[i], 2, shape, data[i]), OMNIZIP_OK);
    }
    double scalar = -3.25;
    cr_assert_eq(ozs_st_writer_add(w, "scalar", OZ_ST_F64, 0, NULL, &scalar), OMNIZIP_OK);
    int64_t zero[2] = {0, 4};
    cr_assert_eq(ozs_st_writer_add(w, "empty", OZ_ST_F32, 2, zero, NULL), OMNIZIP_OK);
    cr_assert_eq(ozs_st_writer_meta(w, "note", "h\xc3\xa9llo \"q\""), OMNIZIP_OK);
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/all.safetensors", tmpdir);
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_writer_free(w);
    cr_assert_eq(count_entries(tmpdir), 1, "temp file left behind");

    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open(path, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    cr_assert_eq(ozs_st_count(f), N + 2);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "t_%s", ozs_st_dtype_name(all[i]));
        const struct ozs_st_tensor *t = ozs_st_find(f, name);
        cr_assert_not_null(t, "%s", name);
        cr_assert_eq(t->dtype, all[i]);
        cr_assert(t->rank == 2 && t->shape[0] == 3 && t->shape[1] == 5);
        cr_assert_eq(t->nbytes, 15 * ozs_st_dtype_size(all[i]));
        cr_assert_eq(memcmp(t->data, data[i], t->nbytes), 0, "%s", name);
    }
    const struct ozs_st_tensor *s = ozs_st_find(f, "scalar");
    cr_assert(s->rank == 0 && s->count == 1 && *(const double *)s->data == -3.25);
    cr_assert_eq(ozs_st_find(f, "empty")->count, 0);
    cr_assert_str_eq(ozs_st_meta(f, "note"), "h\xc3\xa9llo \"q\"");
    ozs_st_close(f);

    /* The reference layout: data block 8-aligned, offsets contiguous, the
     * file exactly as long as header plus data. */
    FILE *fp = fopen(path, "rb");
    unsigned char len[8];
    cr_assert_eq(fread(len, 1, 8, fp), 8u);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | len[i];
    cr_assert_eq((8 + hlen) % 8, 0);
    size_t total = 8;
    for (int i = 0; i < N; i++)
        total += 15 * ozs_st_dtype_size(all[i]);
    cr_assert_eq((uint64_t)size, 8 + hlen + total);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0644);
}

/* Another reader agrees: python3's json + struct, checking contiguity the way
 * the reference library does. */
Test(safetensors, python_reads_what_we_write, .init = make_tmpdir, .fini = remove_tmpdir)
{
    if (system("python3 -c 1 >/dev/null 2>&1") != 0)
        cr_skip_test("python3 not available");
    char path[128], err[256], cmd[1024];
    snprintf(path, sizeof path, "%s/py.safetensors", tmpdir);
    ozs_st_writer *w = ozs_st_writer_new();
    uint8_t b[3] = {1, 0, 1};
    int32_t i32[4] = {-1, 2, -3, 4};
    double f64[2] = {0.125, -8.5};
    int64_t n3 = 3, s22[2] = {2, 2}, n2 = 2;
    ozs_st_writer_add(w, "b", OZ_ST_BOOL, 1, &n3, b);
    ozs_st_writer_add(w, "i", OZ_ST_I32, 2, s22, i32);
    ozs_st_writer_add(w, "d", OZ_ST_F64, 1, &n2, f64);
    ozs_st_writer_meta(w, "m", "x");
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_writer_free(w);
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,struct,sys\n"
             "b=open(sys.argv[1],\"rb\").read(); n=struct.unpack(\"<Q\",b[:8])[0]\n"
             "h=json.loads(b[8:8+n]); m=h.pop(\"__metadata__\"); assert m=={\"m\":\"x\"}\n"
             "spans=sorted(v[\"data_offsets\"] for v in h.values()); e=0\n"
             "for s,t in spans: assert s==e; e=t\n"
             "assert 8+n+e==len(b)\n"
             "o=h[\"d\"][\"data_offsets\"][0]+8+n; i=h[\"i\"][\"data_offsets\"][0]+8+n\n"
             "assert struct.unpack(\"<2d\",b[o:o+16])==(0.125,-8.5)\n"
             "assert struct.unpack(\"<4i\",b[i:i+16])==(-1,2,-3,4)\n"
             "assert h[\"i\"][\"shape\"]==[2,2] and h[\"b\"][\"dtype\"]==\"BOOL\"' %s",
             path);
    cr_assert_eq(system(cmd), 0, "python3 disagrees with the written file");
}

Test(safetensors, refuses_each_bad_kind, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char p[128];
    float four[4] = {1, 2, 3, 4};
    struct {
        const char *header;
        const char *needle;
    } cases[] = {
        {"[1,2]", "not a JSON object"},
        {"{oops", "not valid JSON"},
        {"{\"x\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}", "unknown dtype 'F99'"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", "needs 12"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,20]}}", "past the 16-byte"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         "overlap"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "shape[0]"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4611686018427387904],"
         "\"data_offsets\":[0,16]}}",
         "too large"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[-4,12]}}", "data_offsets"},
        {"{\"__metadata__\":{\"k\":[1]}}", "'k' is not a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(p, sizeof p, "%s/bad%zu.safetensors", tmpdir, i);
        write_st(p, cases[i].header, four, sizeof four);
        assert_refused(p, OMNIZIP_E_INVALID, cases[i].needle);
    }
    snprintf(p, sizeof p, "%s/short.safetensors", tmpdir);
    write_bytes(p, "abc", 3);
    assert_refused(p, OMNIZIP_E_INVALID, "shorter than the 8-byte");
    snprintf(p, sizeof p, "%s/longhdr.safetensors", tmpdir);
    unsigned char big[12] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
    write_bytes(p, big, sizeof big);
    assert_refused(p, OMNIZIP_E_INVALID, "larger than the 4 bytes");
    snprintf(p, sizeof p, "%s/missing.safetensors", tmpdir);
    assert_refused(p, OMNIZIP_E_IO, "cannot open");
    assert_refused(tmpdir, OMNIZIP_E_IO, "not a regular file");
}

static void assert_no_output(const char *path)
{
    cr_assert_neq(access(path, F_OK), 0, "%s exists after a failed save", path);
}

Test(safetensors, writer_leaves_nothing_on_failure, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char path[256], err[256] = "";
    float v[2] = {1, 2};
    int64_t n = 2;

    /* Missing data pointer. */
    ozs_st_writer *w = ozs_st_writer_new();
    cr_assert_neq(ozs_st_writer_add(w, "x", OZ_ST_F32, 1, &n, NULL), OMNIZIP_OK);
    snprintf(path, sizeof path, "%s/nodata.safetensors", tmpdir);
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_eq(strncmp(err, path, strlen(path)), 0, "%s", err);
    cr_assert_not_null(strstr(err, "no data"), "%s", err);
    ozs_st_writer_free(w);
    assert_no_output(path);

    /* Duplicate name. */
    w = ozs_st_writer_new();
    ozs_st_writer_add(w, "x", OZ_ST_F32, 1, &n, v);
    cr_assert_neq(ozs_st_writer_add(w, "x", OZ_ST_F32, 1, &n, v), OMNIZIP_OK);
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_E_INVALID);
    cr_assert_not_null(strstr(err, "added twice"), "%s", err);
    assert_no_output(path);

    /* Directory that does not exist. */
    snprintf(path, sizeof path, "%s/no/such/dir/out.safetensors", tmpdir);
    ozs_st_writer_free(w);
    w = ozs_st_writer_new();
    ozs_st_writer_add(w, "x", OZ_ST_F32, 1, &n, v);
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_E_IO);
    cr_assert_eq(strncmp(err, path, strlen(path)), 0, "%s", err);

    /* The target is a directory: the temp file is written, the rename fails,
     * and the temp file must be gone. */
    snprintf(path, sizeof path, "%s/target", tmpdir);
    cr_assert_eq(mkdir(path, 0700), 0);
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_E_IO);
    cr_assert_eq(count_entries(tmpdir), 1, "temp file left behind");

    /* An existing file is replaced only by a complete one. */
    snprintf(path, sizeof path, "%s/keep.safetensors", tmpdir);
    write_bytes(path, "old", 3);
    cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_file *f = NULL;
    cr_assert_eq(ozs_st_open(path, &f, err, sizeof err), OMNIZIP_OK, "%s", err);
    ozs_st_close(f);

    /* Read-only directory (root bypasses permissions, so only as a user). */
    if (geteuid() != 0) {
        char ro[160];
        snprintf(ro, sizeof ro, "%s/ro", tmpdir);
        cr_assert_eq(mkdir(ro, 0500), 0);
        snprintf(path, sizeof path, "%s/out.safetensors", ro);
        cr_assert_eq(ozs_st_writer_save(w, path, err, sizeof err), OMNIZIP_E_IO);
        cr_assert_eq(count_entries(ro), 0);
    }
    ozs_st_writer_free(w);
}

/* expect: 1 must open, 0 must be refused, -1 either (mutations). */
static void replay_one(const char *path, int expect)
{
    char err[512] = "";
    ozs_st_file *f = NULL;
    omnizip_status st = ozs_st_open(path, &f, err, sizeof err);
    if (st == OMNIZIP_OK) {
        cr_assert_neq(expect, 0, "%s accepted", path);
        for (size_t i = 0; i < ozs_st_count(f); i++) {
            const struct ozs_st_tensor *t = ozs_st_at(f, i);
            volatile unsigned char sink = 0;
            for (size_t b = 0; b < t->nbytes; b++)
                sink ^= ((const unsigned char *)t->data)[b];
            (void)sink;
        }
        ozs_st_close(f);
        return;
    }
    cr_assert_neq(expect, 1, "%s refused: %s", path, err);
    cr_assert_null(f);
    cr_assert_eq(strncmp(err, path, strlen(path)), 0, "%s: message '%s'", path, err);
    cr_assert_gt(strlen(err), strlen(path) + 2, "%s: empty message", path);
}

/* The committed corpus: ok_* must open and be readable end to end, bad_*
 * must be refused with a message; nothing may crash. */
Test(safetensors, corpus_replay)
{
    DIR *dir = opendir(CORPUS);
    cr_assert_not_null(dir, "no corpus at %s", CORPUS);
    int n_ok = 0, n_bad = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 12 || strcmp(e->d_name + len - 12, ".safetensors") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", CORPUS, e->d_name);
        int ok = strncmp(e->d_name, "ok_", 3) == 0;
        replay_one(path, ok);
        n_ok += ok;
        n_bad += !ok;
    }
    closedir(dir);
    cr_assert_geq(n_ok, 5);
    cr_assert_geq(n_bad, 20);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Deterministic mutations of the valid corpus files (byte flips, header
 * length edits, truncations): whatever the reader says, it must not crash
 * and a refusal must carry a message. */
Test(safetensors, corpus_mutations, .init = make_tmpdir, .fini = remove_tmpdir)
{
    static const char *seeds[] = {"ok_tiny", "ok_unaligned", "ok_mixed", "ok_scalar"};
    uint64_t rng = 0x9e3779b97f4a7c15u;
    char out[160];
    snprintf(out, sizeof out, "%s/m.safetensors", tmpdir);
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++) {
        char path[160];
        snprintf(path, sizeof path, CORPUS "/%s.safetensors", seeds[s]);
        FILE *fp = fopen(path, "rb");
        cr_assert_not_null(fp, "%s", path);
        unsigned char orig[512], buf[512];
        size_t n = fread(orig, 1, sizeof orig, fp);
        fclose(fp);
        for (int iter = 0; iter < 400; iter++) {
            memcpy(buf, orig, n);
            size_t m = n;
            int kind = (int)(rng_next(&rng) % 4);
            if (kind == 0) {
                for (int k = 0; k < 3; k++)
                    buf[rng_next(&rng) % n] = (unsigned char)rng_next(&rng);
            } else if (kind == 1) {
                buf[8 + rng_next(&rng) % (n - 8)] = "0123456789-[]{},:\" e."[rng_next(&rng) % 21];
            } else if (kind == 2) {
                buf[rng_next(&rng) % 8] = (unsigned char)rng_next(&rng);
            } else {
                m = rng_next(&rng) % n;
            }
            write_bytes(out, buf, m);
            replay_one(out, -1);
        }
    }
}

/* An all-ones exponent: NaN or an infinity, in each 16-bit format. */
static int f16_special(uint16_t h)
{
    return (h & 0x7c00u) == 0x7c00u;
}
static int bf16_special(uint16_t h)
{
    return (h & 0x7f80u) == 0x7f80u;
}

Test(halfconv, f16_known_values)
{
    cr_assert_eq(ozc_f32_to_f16(1.0f), 0x3c00);
    cr_assert_eq(ozc_f32_to_f16(-2.0f), 0xc000);
    cr_assert_eq(ozc_f32_to_f16(65504.0f), 0x7bff);
    cr_assert_eq(ozc_f32_to_f16(65520.0f), 0x7c00); /* halfway past max rounds to Inf */
    cr_assert_eq(ozc_f32_to_f16(65519.0f), 0x7bff);
    cr_assert_eq(ozc_f32_to_f16(ldexpf(1, -24)), 0x0001);
    cr_assert_eq(ozc_f32_to_f16(ldexpf(1, -25)), 0x0000); /* tie to even: 0 */
    cr_assert_eq(ozc_f32_to_f16(ldexpf(3, -25)), 0x0002); /* tie 1.5 ulp -> 2 */
    cr_assert_eq(ozc_f32_to_f16(ldexpf(1, -14)), 0x0400);
    cr_assert_eq(ozc_f32_to_f16(1.0f + ldexpf(1, -11)), 0x3c00); /* tie -> even */
    cr_assert_eq(ozc_f32_to_f16(1.0f + ldexpf(3, -11)), 0x3c02); /* tie -> even */
    cr_assert_eq(ozc_f32_to_f16(1.0f + ldexpf(1, -11) + ldexpf(1, -20)), 0x3c01);
    cr_assert_eq(ozc_f32_to_f16(INFINITY), 0x7c00);
    cr_assert(f16_special(ozc_f32_to_f16(NAN)));
    cr_assert(isnan(ozc_f16_to_f32(ozc_f32_to_f16(NAN))));
    cr_assert_float_eq(ozc_f16_to_f32(0x3555), 0.333251953125f, 0.0f);
    cr_assert_float_eq(ozc_f16_to_f32(0x0001), ldexpf(1, -24), 0.0f);
    cr_assert(!f16_special(0x7bff) && f16_special(0xfc00));
}

Test(halfconv, bf16_known_values)
{
    cr_assert_eq(ozc_f32_to_bf16(1.0f), 0x3f80);
    cr_assert_eq(ozc_f32_to_bf16(1.0f + ldexpf(1, -8)), 0x3f80); /* tie -> even */
    cr_assert_eq(ozc_f32_to_bf16(1.0f + ldexpf(3, -8)), 0x3f82); /* tie -> even */
    cr_assert_eq(ozc_f32_to_bf16(1.0f + ldexpf(1, -8) + ldexpf(1, -20)), 0x3f81);
    cr_assert_eq(ozc_f32_to_bf16(-INFINITY), 0xff80);
    cr_assert_eq(ozc_f32_to_bf16(3.4028235e38f), 0x7f80); /* rounds up to Inf */
    cr_assert(bf16_special(ozc_f32_to_bf16(NAN)));
    cr_assert(isnan(ozc_bf16_to_f32(ozc_f32_to_bf16(NAN))));
    cr_assert_float_eq(ozc_bf16_to_f32(0xc040), -3.0f, 0.0f);
    cr_assert(!bf16_special(0x7f7f) && bf16_special(0x7f80));
}

/* Every finite 16-bit pattern survives widening and narrowing unchanged. */
Test(halfconv, all_patterns_round_trip)
{
    for (uint32_t h = 0; h < 65536; h++) {
        uint16_t x = (uint16_t)h;
        if (!f16_special(x))
            cr_assert_eq(ozc_f32_to_f16(ozc_f16_to_f32(x)), x, "f16 %04x", h);
        if (!bf16_special(x))
            cr_assert_eq(ozc_f32_to_bf16(ozc_bf16_to_f32(x)), x, "bf16 %04x", h);
    }
}
