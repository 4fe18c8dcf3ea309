// host.cc - a C++17 runtime's integration of omnizip through the shim
// library: one omnizip_shim_compress call does what host.c spells out (the
// windows, plan/bind/window/finish, merged anchors, compaction of embeds,
// ids, M-RoPE positions and attention mask in place, the next decode
// position). The runtime's buffers are std::vectors; the shim and the dump
// are held by unique_ptrs so every exit path releases them.
//
// Build: cmake with find_package(omnizip) and omnizip::shim (CMakeLists.txt
// here), or c++ -std=c++17 host.cc $(pkg-config --cflags --libs omnizip)
// Run:   ./host_cpp IN.safetensors [PROFILE.yaml]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <omnizip/shim.h>

#include "summary.h"

namespace
{

struct shim_closer {
    void operator()(omnizip_shim *s) const
    {
        omnizip_shim_close(s);
    }
};
struct dump_freer {
    void operator()(omnizip_dump *d) const
    {
        omnizip_dump_free(d);
        delete d;
    }
};
using shim_ptr = std::unique_ptr<omnizip_shim, shim_closer>;
using dump_ptr = std::unique_ptr<omnizip_dump, dump_freer>;

void log_cb(void *, omnizip_log_level level, const char *msg)
{
    if (level <= OMNIZIP_LOG_WARN)
        std::fprintf(stderr, "host_cpp: omnizip: %s\n", msg);
}

// The LLM input as a runtime holds it: its own, writable buffers.
struct request {
    std::vector<float> embeds;
    std::vector<int64_t> ids, positions, mask;
};

int fail(int code, const std::string &why)
{
    std::fprintf(stderr, "host_cpp: %s\n", why.c_str());
    return code;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return fail(2, "usage: host_cpp IN.safetensors [PROFILE.yaml]");
    char err[1024] = "";
    dump_ptr dump(new omnizip_dump{});
    if (omnizip_dump_load(argv[1], dump.get(), err, sizeof err) != OMNIZIP_OK)
        return fail(3, err);
    const omnizip_sequence &in = dump->seq;
    if (in.dtype != OMNIZIP_DTYPE_F32)
        return fail(3, std::string(argv[1]) + ": this example keeps F32 embeddings");

    omnizip_host services{};
    services.struct_size = sizeof services;
    services.log = log_cb;
    omnizip_shim *raw = nullptr;
    if (omnizip_shim_open(std::getenv("OMNIZIP_PLUGIN"), &services, &raw) != OMNIZIP_OK)
        return fail(1, "out of memory");
    shim_ptr shim(raw);
    const omnizip_plugin *p = omnizip_shim_plugin(shim.get());
    if (!p) // the shim would pass through (and has logged why); this host refuses
        return fail(5, std::string("no plugin: ") + omnizip_shim_reason(shim.get()));

    omnizip_config cfg{};
    cfg.struct_size = sizeof cfg;
    p->config_default(&cfg);
    if (argc == 3) {
        std::unique_ptr<char, decltype(&std::free)> search(omnizip_profile_search_path(),
                                                           &std::free);
        if (p->profile_load(argv[2], search.get(), &cfg, nullptr, nullptr, err, sizeof err))
            return fail(4, err);
    }

    const size_t L = static_cast<size_t>(in.length), D = static_cast<size_t>(in.hidden);
    request r;
    r.embeds.resize(L * D);
    for (size_t j = 0; j < L; j++)
        std::memcpy(&r.embeds[j * D], static_cast<const float *>(in.embeds) + j * in.row_stride,
                    D * sizeof(float));
    r.ids.assign(in.input_ids, in.input_ids + L);
    r.mask.assign(L, 1);
    if (in.attention_mask)
        r.mask.assign(in.attention_mask, in.attention_mask + L);
    r.positions.resize(3 * L);
    for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < L; j++)
            r.positions[k * L + j] = in.position_ids ? in.position_ids[k * in.position_stride + j]
                                                     : int64_t(j);

    omnizip_sequence seq = in; // ids, grid, scores and token ids as loaded
    seq.embeds = r.embeds.data();
    seq.row_stride = in.hidden;
    seq.input_ids = r.ids.data();
    seq.position_ids = r.positions.data();
    seq.position_stride = in.length;
    seq.attention_mask = r.mask.data();
    seq.compact = 1;
    seq.keep_mask = nullptr;
    omnizip_run_report report{};
    if (omnizip_shim_compress(shim.get(), &cfg, &seq, nullptr, nullptr, &report, err, sizeof err) !=
        OMNIZIP_OK)
        return fail(1, err);
    omnizip_run_report_release(&report);
    if (report.passthrough)
        return fail(5, "pass-through");
    std::printf("windows %u audio %lld->%lld video %lld->%lld\n", report.plan.n_windows,
                static_cast<long long>(report.summary.audio_in),
                static_cast<long long>(report.summary.audio_kept),
                static_cast<long long>(report.summary.video_in),
                static_cast<long long>(report.summary.video_kept));
    ozs_example_summary(stdout, seq.length, seq.hidden, r.embeds.data(), r.ids.data(),
                        dump->has_position_ids ? r.positions.data() : nullptr, in.length,
                        dump->has_attention_mask ? r.mask.data() : nullptr, seq.next_position);
    return 0;
}
