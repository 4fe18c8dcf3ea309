/*
 * test_cuda_stream.c - the stream contract of include/omnizip/omnizip.h
 * ("CUDA memory and streams"), through the real plugin and the real CUDA
 * runtime: rows copied to the device asynchronously on a host stream are
 * read in stream order without the host synchronising, every host output is
 * valid the moment a call returns, the host may overwrite its rows right
 * after a call, and the results equal the CPU backend's on the same clip.
 * libcudart is opened at run time (the test binaries do not link it); without
 * it or without a device the device tests skip. The refusal of device-memory
 * anchors needs no device and always runs.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "abi/clip.h"
#include "plugin_table.h"

static const struct omnizip_plugin *P;

static void load_plugin(void)
{
    P = test_plugin_table();
}

TestSuite(cuda_stream, .init = load_plugin);

/* The few runtime calls the test needs, by their C ABI (cudaError_t is an
 * int enum, cudaStream_t a pointer). */
struct cudart {
    int (*device_count)(int *);
    int (*stream_create)(void **);
    int (*stream_destroy)(void *);
    int (*malloc_)(void **, size_t);
    int (*free_)(void *);
    int (*memcpy_async)(void *, const void *, size_t, int, void *);
    int (*memset_async)(void *, int, size_t, void *);
};
enum { H2D = 1 };

static void *sym_or_skip(void *dl, const char *name)
{
    void *s = dlsym(dl, name);
    if (!s)
        cr_skip_test("libcudart has no %s", name);
    return s;
}

static struct cudart cudart_or_skip(void)
{
    void *dl = dlopen("libcudart.so", RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        dl = dlopen("libcudart.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        cr_skip_test("no CUDA runtime (libcudart) on this machine");
    struct cudart rt;
    *(void **)&rt.device_count = sym_or_skip(dl, "cudaGetDeviceCount");
    *(void **)&rt.stream_create = sym_or_skip(dl, "cudaStreamCreate");
    *(void **)&rt.stream_destroy = sym_or_skip(dl, "cudaStreamDestroy");
    *(void **)&rt.malloc_ = sym_or_skip(dl, "cudaMalloc");
    *(void **)&rt.free_ = sym_or_skip(dl, "cudaFree");
    *(void **)&rt.memcpy_async = sym_or_skip(dl, "cudaMemcpyAsync");
    *(void **)&rt.memset_async = sym_or_skip(dl, "cudaMemsetAsync");
    int n = 0;
    if (rt.device_count(&n) != 0 || n < 1)
        cr_skip_test("no CUDA device");
    return rt;
}

static omnizip_ctx *cuda_ctx_or_skip(void)
{
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.backend = OMNIZIP_BACKEND_CUDA;
    omnizip_ctx *ctx = NULL;
    char err[512] = "";
    omnizip_status st = P->create(&cfg, NULL, &ctx, err, sizeof err);
    if (st != OMNIZIP_OK)
        cr_skip_test("cuda backend unusable: %s", err);
    return ctx;
}

static struct omnizip_matrix on_device(struct omnizip_matrix m, void *dev)
{
    m.data = dev;
    m.memory = OMNIZIP_MEMORY_CUDA;
    return m;
}

Test(cuda_stream, outputs_valid_on_return_without_host_sync)
{
    struct cudart rt = cudart_or_skip();
    struct clip_result cpu;
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.backend = OMNIZIP_BACKEND_CPU;
    char err[512] = "";
    cr_assert_eq(clip_run(P, &cfg, NULL, &cpu, err, sizeof err), OMNIZIP_OK, "%s", err);

    omnizip_ctx *ctx = cuda_ctx_or_skip();
    void *s = NULL, *da = NULL, *dv = NULL;
    const size_t abytes = sizeof(float) * CLIP_NA * CLIP_D,
                 vbytes = sizeof(float) * CLIP_NV * CLIP_D;
    cr_assert_eq(rt.stream_create(&s), 0);
    cr_assert_eq(rt.malloc_(&da, abytes), 0);
    cr_assert_eq(rt.malloc_(&dv, vbytes), 0);
    struct omnizip_matrix am = clip_audio(), vm = clip_video();
    /* Enqueued, not waited for: the plugin must read them in stream order. */
    cr_assert_eq(rt.memcpy_async(da, am.data, abytes, H2D, s), 0);
    cr_assert_eq(rt.memcpy_async(dv, vm.data, vbytes, H2D, s), 0);

    struct clip_result gpu;
    memset(&gpu, 0, sizeof gpu);
    gpu.plan.struct_size = sizeof gpu.plan;
    struct omnizip_layout lay = clip_layout();
    cr_assert_eq(P->plan(ctx, &lay, clip_scores(), CLIP_NA, &gpu.plan), OMNIZIP_OK, "%s",
                 P->last_error(ctx));
    struct omnizip_matrix dam = on_device(am, da), dvm = on_device(vm, dv);
    cr_assert_eq(P->bind(ctx, &dam, &dvm, s), OMNIZIP_OK, "%s", P->last_error(ctx));
    for (uint32_t i = 0; i < CLIP_WINDOWS; i++) {
        struct omnizip_window_in in = clip_window_in(i);
        in.audio = on_device(in.audio, (float *)da + (size_t)i * CLIP_ARUN * CLIP_D);
        in.video = on_device(in.video, (float *)dv + (size_t)i * CLIP_VRUN * CLIP_D);
        in.stream = s;
        struct omnizip_window_out out = clip_window_out(&gpu.w[i]);
        gpu.w[i].info.struct_size = sizeof gpu.w[i].info;
        cr_assert_eq(P->window(ctx, i, &in, &out), OMNIZIP_OK, "%s", P->last_error(ctx));
        /* Valid now, with no synchronisation by the host. */
        cr_assert_arr_eq(gpu.w[i].keep, cpu.w[i].keep, CLIP_VRUN, "window %u video", i);
        cr_assert_arr_eq(gpu.w[i].state, cpu.w[i].state, CLIP_ARUN, "window %u audio", i);
    }
    clip_assert_same(&cpu, &gpu);

    /* The plugin keeps no device pointer: the host may clobber its rows in
     * stream order right away, and a second pass from fresh rows agrees. */
    cr_assert_eq(rt.memset_async(dv, 0, vbytes, s), 0);
    cr_assert_eq(rt.memcpy_async(dv, vm.data, vbytes, H2D, s), 0);
    struct clip_outs again;
    struct omnizip_window_in in = clip_window_in(1);
    in.audio = on_device(in.audio, (float *)da + (size_t)CLIP_ARUN * CLIP_D);
    in.video = on_device(in.video, (float *)dv + (size_t)CLIP_VRUN * CLIP_D);
    in.stream = s;
    struct omnizip_window_out out = clip_window_out(&again);
    again.info.struct_size = sizeof again.info;
    cr_assert_eq(P->window(ctx, 1, &in, &out), OMNIZIP_OK, "%s", P->last_error(ctx));
    cr_assert_arr_eq(again.keep, cpu.w[1].keep, CLIP_VRUN);

    P->destroy(ctx);
    rt.free_(da), rt.free_(dv), rt.stream_destroy(s);
}

Test(cuda_stream, anchors_in_device_memory_are_refused)
{
    struct omnizip_config cfg = {.struct_size = sizeof cfg};
    P->config_default(&cfg);
    cfg.backend = OMNIZIP_BACKEND_CPU;
    omnizip_ctx *ctx = NULL;
    char err[512] = "";
    cr_assert_eq(P->create(&cfg, NULL, &ctx, err, sizeof err), OMNIZIP_OK, "%s", err);
    struct omnizip_layout lay = clip_layout();
    struct omnizip_plan plan = {.struct_size = sizeof plan};
    cr_assert_eq(P->plan(ctx, &lay, clip_scores(), CLIP_NA, &plan), OMNIZIP_OK);
    struct omnizip_matrix am = clip_audio(), vm = clip_video();
    cr_assert_eq(P->bind(ctx, &am, &vm, NULL), OMNIZIP_OK, "%s", P->last_error(ctx));
    struct omnizip_window_info w0 = {.struct_size = sizeof w0};
    cr_assert_eq(P->window_plan(ctx, 0, &w0), OMNIZIP_OK);
    cr_assert_gt(w0.audio_anchors, 0, "the clip's window 0 must have anchors to write");
    struct clip_outs o, before;
    memset(&o, 0xAB, sizeof o);
    before = o;
    struct omnizip_window_in in = clip_window_in(0);
    struct omnizip_window_out out = clip_window_out(&o);
    out.anchors.memory = OMNIZIP_MEMORY_CUDA;
    cr_assert_eq(P->window(ctx, 0, &in, &out), OMNIZIP_E_INVALID);
    cr_expect(strstr(P->last_error(ctx), "host"), "message: %s", P->last_error(ctx));
    cr_assert_arr_eq(&o, &before, sizeof o, "a refused window wrote its outputs");
    P->destroy(ctx);
}
