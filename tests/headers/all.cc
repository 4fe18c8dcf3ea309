// all.cc - every public header from C++ (test_abi.c passes each with
// -include): extern "C" linkage, no C-only constructs, usable types.
#include <omnizip/omnizip.h>
#include <omnizip/shim.h>

#include <cstring>

namespace
{
const omnizip_plugin *resolve(omnizip_plugin_entry_fn entry)
{
    return entry ? entry(OMNIZIP_ABI_VERSION) : nullptr;
}
} // namespace

int main()
{
    omnizip_config cfg;
    std::memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    omnizip_window_out out = {};
    out.struct_size = sizeof out;
    omnizip_sequence seq = {};
    seq.dtype = OMNIZIP_DTYPE_F16;
    omnizip_status (*open_fn)(const char *, const omnizip_host *,
                              omnizip_shim **) = omnizip_shim_open;
    return resolve(nullptr) == nullptr && open_fn && seq.length == 0 ? 0 : 1;
}
