/*
 * test_cuda.c - the CUDA backend: build/libomnizip_cuda.so exports only its
 * entry, the CPU plugin never needs libcudart, the loader refuses missing or
 * wrong libraries and a machine without a device with a clear message, and,
 * where a device exists, the device stages agree with docs/ALGORITHM.md computed
 * here in double (masks may differ only on near-ties). Without a device the
 * parity tests skip with "no CUDA device".
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_loader.h"

static char *build_path(const char *rel)
{
    const char *b = getenv("OMNIZIP_BUILD");
    char *p = NULL;
    cr_assert(asprintf(&p, "%s/%s", b && *b ? b : "build", rel) > 0);
    return p;
}

static char *cuda_so(void)
{
    char *p = build_path(OZ_CUDA_LIBRARY);
    FILE *f = fopen(p, "rb");
    if (!f) {
        free(p);
        cr_skip_test("%s not built (no nvcc): the CUDA backend is optional", OZ_CUDA_LIBRARY);
    }
    fclose(f);
    return p;
}

/* Output of a shell command, whole. */
static char *run(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    cr_assert(f, "popen %s", cmd);
    size_t cap = 1 << 16, n = 0;
    char *out = calloc(cap, 1);
    size_t got;
    while ((got = fread(out + n, 1, cap - 1 - n, f)) > 0)
        n += got;
    pclose(f);
    return out;
}

Test(cuda_build, exports_only_the_entry)
{
    char *so = cuda_so(), *cmd = NULL;
    cr_assert(asprintf(&cmd, "nm -D --defined-only %s", so) > 0);
    char *out = run(cmd);
    int lines = 0;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
        lines++;
        cr_expect(strstr(l, " " OZ_CUDA_ENTRY_SYMBOL), "unexpected export: %s", l);
    }
    cr_expect_eq(lines, 1, "%d exported symbols, want only " OZ_CUDA_ENTRY_SYMBOL, lines);
    free(out), free(cmd), free(so);
}

Test(cuda_build, cpu_plugin_never_links_cudart)
{
    char *so = build_path("libomnizip.so"), *cmd = NULL;
    cr_assert(asprintf(&cmd, "ldd %s 2>&1", so) > 0);
    char *out = run(cmd);
    cr_assert(strstr(out, "libc.so"), "ldd %s did not run: %s", so, out);
    cr_expect_null(strstr(out, "libcudart"), "libomnizip.so depends on libcudart:\n%s", out);
    cr_expect_null(strstr(out, "libcublas"), "libomnizip.so depends on cuBLAS:\n%s", out);
    free(out), free(cmd), free(so);
}

Test(cuda_loader, missing_library_names_the_path)
{
    struct oz_cuda *cu = NULL;
    char err[512] = "";
    omnizip_status st = oz_cuda_open_path("/nonexistent/libomnizip_cuda.so", &cu, err, sizeof err);
    cr_expect_eq(st, OMNIZIP_E_UNSUPPORTED);
    cr_expect_null(cu);
    cr_expect(strstr(err, "/nonexistent/libomnizip_cuda.so"), "message: %s", err);
}

Test(cuda_loader, library_without_the_entry_is_refused)
{
    char *so = build_path("libomnizip.so");
    struct oz_cuda *cu = NULL;
    char err[512] = "";
    cr_expect_eq(oz_cuda_open_path(so, &cu, err, sizeof err), OMNIZIP_E_UNSUPPORTED);
    cr_expect_null(cu);
    cr_expect(strstr(err, "has no " OZ_CUDA_ENTRY_SYMBOL), "message: %s", err);
    free(so);
}

Test(cuda_loader, looks_next_to_the_object_holding_the_loader)
{
    /* Linked statically here, so "next to it" is build/tests/, which holds
     * no backend: the refusal must name that place. */
    struct oz_cuda *cu = NULL;
    char err[512] = "";
    cr_expect_eq(oz_cuda_open(&cu, err, sizeof err), OMNIZIP_E_UNSUPPORTED);
    cr_expect(strstr(err, "tests/" OZ_CUDA_LIBRARY), "message: %s", err);
}

Test(cuda_loader, entry_negotiates_the_version)
{
    char *so = cuda_so();
    void *dl = dlopen(so, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    cr_assert(dl, "dlopen %s: %s", so, dlerror());
    oz_cuda_entry_fn entry;
    *(void **)&entry = dlsym(dl, OZ_CUDA_ENTRY_SYMBOL);
    cr_assert(entry);
    const struct oz_cuda_backend *be = entry(OZ_CUDA_BACKEND_VERSION);
    cr_assert(be);
    cr_expect_geq(be->struct_size, sizeof *be);
    cr_expect_eq(be->version, OZ_CUDA_BACKEND_VERSION);
    cr_expect_null(entry(OZ_CUDA_BACKEND_VERSION + 1));
    cr_expect_null(entry(0));
    dlclose(dl);
    free(so);
}

/* Opens the real backend; without a device the refusal must be clean. */
static struct oz_cuda *open_or_skip(void)
{
    char *so = cuda_so();
    struct oz_cuda *cu = NULL;
    char err[512] = "";
    omnizip_status st = oz_cuda_open_path(so, &cu, err, sizeof err);
    free(so);
    if (st != OMNIZIP_OK) {
        cr_assert_eq(st, OMNIZIP_E_BACKEND, "status %d: %s", st, err);
        cr_assert(strstr(err, "no CUDA device"), "message: %s", err);
        cr_assert_null(cu);
        cr_skip_test("no CUDA device: %s", err);
    }
    return cu;
}

Test(cuda_loader, no_device_is_a_clear_error_not_a_crash)
{
    struct oz_cuda *cu = open_or_skip();
    cr_expect_not_null(oz_cuda_table(cu));
    oz_cuda_close(cu);
}

/* ---- parity against docs/ALGORITHM.md in double ----------------------- */

static uint64_t rng = 88172645463325252ull;
static double frand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static void fill(float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)frand();
}

static double dot_unit(const float *a, const float *b, int64_t d, double eps)
{
    double na = 0, nb = 0, ab = 0;
    for (int64_t c = 0; c < d; c++)
        na += (double)a[c] * a[c], nb += (double)b[c] * b[c], ab += (double)a[c] * b[c];
    na = sqrt(na), nb = sqrt(nb);
    if (eps > 0)
        return ab / ((na + eps) * (nb + eps));
    return ab / (fmax(na, 1e-12) * fmax(nb, 1e-12));
}

static struct omnizip_matrix host_f32(float *x, int64_t rows, int64_t cols, int64_t stride)
{
    return (struct omnizip_matrix){x, rows, cols, stride, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_HOST};
}

Test(cuda_parity, cross_sigma_and_assignment)
{
    struct oz_cuda *cu = open_or_skip();
    enum { NA = 300, NV = 700, D = 96, S = 100 };
    float *audio = malloc(sizeof(float) * NA * S), *video = malloc(sizeof(float) * NV * D);
    fill(audio, NA * S), fill(video, NV * D);
    int64_t pool[200], anchors[20], n_pool = 0, n_anchor = 0;
    for (int64_t r = 0; r < NA; r++)
        if (r % 15 == 7 && n_anchor < 20)
            anchors[n_anchor++] = r;
        else if (r % 3 != 0 && n_pool < 200)
            pool[n_pool++] = r;
    struct omnizip_matrix am = host_f32(audio, NA, D, S), vm = host_f32(video, NV, D, D);
    struct oz_span spans[2] = {{10, 250}, {400, 300}};
    float sigma[200];
    int64_t assign[200];
    double flops = 0;
    char err[512] = "";
    cr_assert_eq(oz_cuda_cross(cu, NULL, &am, pool, n_pool, anchors, n_anchor, &vm, spans, 2, sigma,
                               assign, &flops, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    int near = 0;
    for (int64_t q = 0; q < n_pool; q++) {
        const float *a = audio + pool[q] * S;
        double best = -2, second = -2, sg = -2;
        int64_t arg = -1;
        for (int64_t c = 0; c < n_anchor; c++) {
            double v = dot_unit(a, audio + anchors[c] * S, D, 1e-6);
            if (v > best)
                second = best, best = v, arg = c;
            else if (v > second)
                second = v;
        }
        for (int s = 0; s < 2; s++)
            for (int64_t r = spans[s].row; r < spans[s].row + spans[s].len; r++)
                sg = fmax(sg, dot_unit(a, video + r * D, D, 1e-6));
        cr_expect(fabs(sigma[q] - sg) < 1e-5, "sigma[%lld] %g, want %g", (long long)q, sigma[q],
                  sg);
        if (assign[q] != arg) {
            near++;
            cr_expect(best - second < 1e-5, "assign[%lld] %lld, want %lld", (long long)q,
                      (long long)assign[q], (long long)arg);
        }
    }
    cr_expect_leq(near, 1);
    cr_expect_gt(flops, 0);
    free(audio), free(video);
    oz_cuda_close(cu);
}

/* docs/ALGORITHM.md stage 3 for one frame in double: keep[tpf]. */
static void ref_frame(const float *v, const float *prev, int64_t tpf, int64_t d, int k,
                      int64_t num_keep, double *score, uint8_t *keep)
{
    if (!prev) {
        int64_t kk = k < tpf - 1 ? k : tpf - 1;
        double *rho = calloc((size_t)tpf, sizeof *rho), *dist = malloc(sizeof(double) * tpf * tpf);
        for (int64_t i = 0; i < tpf; i++)
            for (int64_t j = 0; j < tpf; j++)
                dist[i * tpf + j] = i == j ? INFINITY : 1 - dot_unit(v + i * d, v + j * d, d, 0);
        for (int64_t i = 0; i < tpf; i++) {
            double sum = 0, last = -INFINITY;
            for (int64_t t = 0; t < kk; t++) {
                double m = INFINITY;
                for (int64_t j = 0; j < tpf; j++)
                    if (dist[i * tpf + j] > last && dist[i * tpf + j] < m)
                        m = dist[i * tpf + j];
                sum += m, last = m;
            }
            rho[i] = exp(-sum / kk);
        }
        for (int64_t i = 0; i < tpf; i++) {
            double dmin = INFINITY, dmax = 0;
            for (int64_t j = 0; j < tpf; j++)
                if (j != i) {
                    dmax = fmax(dmax, dist[i * tpf + j]);
                    if (rho[j] > rho[i])
                        dmin = fmin(dmin, dist[i * tpf + j]);
                }
            score[i] = (isinf(dmin) ? dmax : dmin) * rho[i];
        }
        free(rho), free(dist);
    } else {
        for (int64_t j = 0; j < tpf; j++)
            score[j] = -dot_unit(v + j * d, prev + j * d, d, 0);
    }
    for (int64_t i = 0; i < tpf; i++) {
        int64_t rank = 0;
        for (int64_t j = 0; j < tpf; j++)
            rank += score[j] > score[i] || (score[j] == score[i] && j < i);
        keep[i] = rank < num_keep;
    }
}

/* Counts exact per frame; a token may differ only where its score is within
 * 1e-5 of the cut, and then on at most 0.2% of the tokens (2 at least). */
static void check_istc(struct oz_cuda *cu, const float *video, int64_t row, int64_t n, int64_t tpf,
                       int64_t frames, int64_t num_keep, int64_t d, const struct omnizip_matrix *m)
{
    uint8_t *keep = malloc((size_t)n), want[512];
    double score[512];
    char err[512] = "";
    double flops = 0;
    cr_assert_eq(oz_cuda_istc(cu, NULL, m, row, n, tpf, frames, num_keep, 0, 5, keep, &flops, err,
                              sizeof err),
                 OMNIZIP_OK, "%s", err);
    int64_t differ = 0;
    for (int64_t f = 0; f < frames; f++) {
        const float *v = video + (row + f * tpf) * d;
        ref_frame(v, f & 1 ? v - tpf * d : NULL, tpf, d, 5, num_keep, score, want);
        int64_t kept = 0;
        for (int64_t i = 0; i < tpf; i++) {
            kept += keep[f * tpf + i];
            differ += keep[f * tpf + i] != want[i];
        }
        cr_expect_eq(kept, num_keep, "frame %lld keeps %lld, want %lld", (long long)f,
                     (long long)kept, (long long)num_keep);
    }
    for (int64_t i = frames * tpf; i < n; i++)
        cr_expect_eq(keep[i], 0, "token %lld past the last whole frame kept", (long long)i);
    int64_t allowed = (int64_t)(0.002 * (double)n) > 2 ? (int64_t)(0.002 * (double)n) : 2;
    cr_expect_leq(differ, allowed, "%lld of %lld tokens differ from the reference",
                  (long long)differ, (long long)n);
    free(keep);
}

Test(cuda_parity, istc_host_rows)
{
    struct oz_cuda *cu = open_or_skip();
    enum { TPF = 144, FR = 5, D = 64, N = TPF * FR + 30 };
    float *video = malloc(sizeof(float) * (N + 10) * D);
    fill(video, (N + 10) * D);
    struct omnizip_matrix m = host_f32(video, N + 10, D, D);
    check_istc(cu, video, 10, N, TPF, FR, 72, D, &m);
    check_istc(cu, video, 10, N, TPF, FR, 30, D, &m);
    free(video);
    oz_cuda_close(cu);
}

Test(cuda_parity, istc_device_rows_with_stride)
{
    struct oz_cuda *cu = open_or_skip();
    const struct oz_cuda_backend *be = oz_cuda_table(cu);
    enum { TPF = 100, FR = 4, D = 48, STRIDE = 64, N = TPF * FR };
    float *host = calloc((size_t)N * STRIDE, sizeof(float)), *dense = malloc(sizeof(float) * N * D);
    fill(dense, N * D);
    for (int64_t r = 0; r < N; r++)
        memcpy(host + r * STRIDE, dense + r * D, D * sizeof(float));
    void *dev = be->alloc(oz_cuda_dev(cu), sizeof(float) * N * STRIDE);
    cr_assert(dev);
    char err[512] = "";
    cr_assert_eq(be->copy(oz_cuda_dev(cu), dev, host, sizeof(float) * N * STRIDE, 0, err,
                          sizeof err),
                 OMNIZIP_OK, "%s", err);
    struct omnizip_matrix m = {dev, N, D, STRIDE, OMNIZIP_DTYPE_F32, OMNIZIP_MEMORY_CUDA};
    check_istc(cu, dense, 0, N, TPF, FR, 40, D, &m);
    be->free(oz_cuda_dev(cu), dev);
    free(host), free(dense);
    oz_cuda_close(cu);
}

Test(cuda_parity, merge_bf16_within_1e3)
{
    struct oz_cuda *cu = open_or_skip();
    enum { NA = 40, D = 128 };
    float src[NA * D];
    uint16_t bf[NA * D];
    fill(src, NA * D);
    for (int i = 0; i < NA * D; i++)
        bf[i] = ozc_f32_to_bf16(src[i]), src[i] = ozc_bf16_to_f32(bf[i]);
    int64_t anchor_rows[3] = {0, 10, 20}, pool_rows[12], pool_idx[12], assign[12];
    float sigma[12];
    uint8_t state[NA] = {0};
    for (int q = 0; q < 12; q++) {
        pool_rows[q] = pool_idx[q] = 25 + q;
        assign[q] = q % 3 == 2 ? 0 : q % 3; /* anchor 2 gets none */
        sigma[q] = (float)frand();
    }
    struct oz_plan p;
    memset(&p, 0, sizeof p);
    p.audio_state = state;
    p.pool = pool_idx;
    p.n_pool = 12;
    struct omnizip_matrix am = {bf, NA, D, D, OMNIZIP_DTYPE_BF16, OMNIZIP_MEMORY_HOST};
    float out[3 * D];
    char err[512] = "";
    cr_assert_eq(oz_cuda_merge_anchors(cu, NULL, &p, 3, &am, anchor_rows, pool_rows, 0, 3, 0, 12,
                                       sigma, assign, out, D, err, sizeof err),
                 OMNIZIP_OK, "%s", err);
    for (int c = 0; c < 3; c++) {
        int64_t m[12], n = 0;
        for (int q = 0; q < 12; q++)
            if (assign[q] == c)
                m[n++] = q;
        for (int64_t i = 1; i < n; i++) /* by sigma, descending; ties keep pool order */
            for (int64_t j = i; j > 0 && sigma[m[j]] > sigma[m[j - 1]]; j--) {
                int64_t t = m[j];
                m[j] = m[j - 1];
                m[j - 1] = t;
            }
        int64_t take = n < 3 ? n : 3;
        double z = 0, mx = take ? sigma[m[0]] : 0, ws = 0;
        for (int64_t t = 0; t < take; t++)
            z += exp(sigma[m[t]] - mx);
        for (int64_t t = 0; t < take; t++)
            ws += exp(sigma[m[t]] - mx) / z;
        for (int64_t t = 0; t < take; t++)
            cr_expect_eq(state[pool_idx[m[t]]], OMNIZIP_AUDIO_MERGED);
        for (int x = 0; x < D; x++) {
            double acc = src[anchor_rows[c] * D + x];
            for (int64_t t = 0; t < take; t++)
                acc += exp(sigma[m[t]] - mx) / z * src[pool_rows[m[t]] * D + x];
            double want = acc / (1 + ws);
            cr_expect(fabs(out[c * D + x] - want) <= 1e-3 * fmax(1, fabs(want)),
                      "anchor %d col %d: %g want %g", c, x, out[c * D + x], want);
        }
    }
    oz_cuda_close(cu);
}

Test(cuda_parity, audio_importance)
{
    struct oz_cuda *cu = open_or_skip();
    enum { H = 2, T = 301, HD = 32 };
    float *q = malloc(sizeof(float) * H * T * HD), *k = malloc(sizeof(float) * H * T * HD);
    fill(q, H * T * HD), fill(k, H * T * HD);
    struct omnizip_importance_in in =
        {sizeof in, H, 2, 0, host_f32(q, H * T, HD, HD), host_f32(k, H * T, HD, HD), NULL};
    float got[T / 2];
    char err[512] = "";
    cr_assert_eq(oz_cuda_importance(cu, &in, got, T / 2, err, sizeof err), OMNIZIP_OK, "%s", err);
    double *acc = calloc(T, sizeof *acc), *row = malloc(sizeof(double) * T);
    for (int h = 0; h < H; h++)
        for (int i = 0; i < T; i++) {
            double mx = -INFINITY, z = 0;
            for (int j = 0; j < T; j++) {
                double s = 0;
                for (int c = 0; c < HD; c++)
                    s += (double)q[(h * T + i) * HD + c] * k[(h * T + j) * HD + c];
                row[j] = s / sqrt(HD);
                mx = fmax(mx, row[j]);
            }
            for (int j = 0; j < T; j++)
                z += exp(row[j] - mx);
            for (int j = 0; j < T; j++)
                acc[j] += exp(row[j] - mx) / z;
        }
    for (int j = 0; j < T / 2; j++) {
        double want = (acc[2 * j] + acc[2 * j + 1]) / (2.0 * H * T);
        cr_expect(fabs(got[j] - want) <= 1e-4 * want, "score %d: %g want %g", j, got[j], want);
    }
    char small[64];
    cr_expect_eq(oz_cuda_importance(cu, &in, got, T / 2 - 1, small, sizeof small),
                 OMNIZIP_E_INVALID);
    free(acc), free(row), free(q), free(k);
    oz_cuda_close(cu);
}
