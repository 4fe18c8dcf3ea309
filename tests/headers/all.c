/* all.c - every public header together (test_abi.c passes each with
 * -include), using the declarations a C host touches, under -pedantic. */
#include <omnizip/omnizip.h>
#include <omnizip/shim.h>

static const struct omnizip_plugin *resolve(omnizip_plugin_entry_fn entry)
{
    return entry ? entry(OMNIZIP_ABI_VERSION) : 0;
}

int main(void)
{
    struct omnizip_config cfg = {sizeof(struct omnizip_config),
                                 0,
                                 0.5,
                                 0.5,
                                 0.05,
                                 0.35,
                                 0.75,
                                 3,
                                 5,
                                 OMNIZIP_NORMALIZE_REFERENCE,
                                 OMNIZIP_SCOPE_GLOBAL,
                                 0,
                                 OMNIZIP_MODE_REFERENCE,
                                 OMNIZIP_BACKEND_AUTO,
                                 0,
                                 OMNIZIP_TELEMETRY_OFF,
                                 0,
                                 OMNIZIP_STRATEGY_OMNIZIP,
                                 0,
                                 0};
    struct omnizip_sequence seq = {0};
    omnizip_shim *shim = 0;
    seq.dtype = OMNIZIP_DTYPE_BF16;
    (void)cfg;
    (void)shim;
    return resolve(0) == 0 && seq.length == 0 ? 0 : 1;
}
