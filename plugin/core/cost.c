/* The paper's Eq. 9 prefill+decode FLOPs model with model presets. */
#include "core/core.h"

#include <string.h>

struct model {
    const char *name;
    double layers, hidden, ffn;
};

static const struct model models[] = {
    {"qwen2.5-omni-7b", 28, 3584, 18944},
    {"qwen2.5-omni-3b", 36, 2048, 11008},
    {"qwen3-omni-30b-a3b", 48, 2048, 6144},
};

int oz_prefill_flops(const char *model, int64_t n_tokens, int64_t r_tokens, double *flops)
{
    if (!model || !flops)
        return 0;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        const struct model *m = &models[i];
        if (strcmp(model, m->name) != 0)
            continue;
        double t = m->layers, d = m->hidden, f = m->ffn, n = (double)n_tokens,
               r = (double)r_tokens;
        double prefill = t * (4 * n * d * d + 2 * n * n * d + 2 * n * d * f);
        double decode = t * r * ((4 * d * d + 2 * d * f) + 2 * (d * n + d * (r + 1) / 2));
        *flops = prefill + decode;
        return 1;
    }
    return 0;
}
