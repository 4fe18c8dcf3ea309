#!/bin/sh
# make lint: the house rules a grep can check (docs/DESIGN.md, "House rules").
# 1. Library code never prints, exits or aborts: the plugin and the shim
#    library return statuses (tools/, the example hosts and the inspector
#    are programs and may print).
# 2. plugin/core is pure: no I/O, no globals' headers, no CUDA, no YAML.
# 3. The shim, the tools and the inspector reach the engine only through include/.
# 4. The repository stands alone: nothing in it points at a path outside it,
#    and every Markdown file a source file cites exists (in docs/ when unqualified).
# 5. Direction inside the plugin: core/ includes no backend, engine or boundary
#    header; the backends (cpu/, the CUDA loader, cuda/) include no engine
#    header and not each other; common/ includes only the public headers.
# 6. The shim, the tools and the inspector include only the public headers,
#    their own folder's headers and common/; bench/ only the public headers,
#    common/ and its own self-contained headers (bench_cuda.c times the CUDA
#    backend's own table); the
#    example hosts only the public headers and their own summary.h.
# 7. One owner per piece of knowledge: the model presets live only in
#    plugin/core/cost.c, the trace fields only in common/ozc_trace.h (its
#    writer and reader name none), and no function or variable is defined in
#    two of the archives.
# 8. Criterion suite names are unique across test files.
status=0
lib=$(find plugin runtime-shim -name '*.c' ! -path 'runtime-shim/examples/*' ! -path 'plugin/cuda/*')
if grep -nE '\b(printf|fprintf|puts|perror|exit|abort)\s*\(' $lib | grep -v 'snprintf\|vsnprintf'; then
    echo "lint: library code above prints, exits or aborts"; status=1
fi
if grep -nE '#include <(stdio|yaml|cuda|dlfcn|fcntl|unistd)' plugin/core/*.c plugin/core/*.h; then
    echo "lint: plugin/core must stay free of I/O, YAML and CUDA"; status=1
fi
if grep -nE "#include \"(\.\./)*(plugin/|core/|cpu/)" runtime-shim/*.c runtime-shim/*.h \
   tools/*/*.c tools/*/*.h inspector/*.c inspector/*.h; then
    echo "lint: the shim, the tools and the inspector include only include/omnizip/ headers"; status=1
fi
if grep -rnIE '\.\./shared|shared[/](docs|golden)|/work/(shared|briefs)' --exclude-dir=build \
   --exclude-dir=.git --exclude=lint.sh .; then
    echo "lint: the lines above point outside the repository (docs/ holds the contract)"; status=1
fi
for ref in $(grep -rhoE '[A-Za-z0-9_/.-]*[A-Za-z0-9_]\.md\b' --include='*.[ch]' --include='*.cc' \
             --include='*.cu' --include='*.py' --include='*.sh' --include='*.mk' --include='*.yaml' \
             plugin runtime-shim tools inspector include tests bench python profiles Makefile \
             2>/dev/null | sort -u); do
    case "$ref" in share/doc/*) continue ;; esac
    if [ ! -f "$ref" ] && [ ! -f "docs/$ref" ]; then
        echo "lint: $ref is cited but is not in the repository"; status=1
    fi
done
# 5
if grep -nE '#include "(backend|config|telemetry|cuda_loader)\.h"|#include "(engine|cpu|cuda)/' \
   plugin/core/*.c plugin/core/*.h; then
    echo "lint: plugin/core includes no backend, engine or boundary header"; status=1
fi
if grep -nE '#include "(config|telemetry|cuda_loader)\.h"|#include "engine/' \
   plugin/cpu/* plugin/cuda/*.c plugin/cuda/*.h plugin/cuda/*.cu plugin/backend.h; then
    echo "lint: the backends include no engine header"; status=1
fi
if grep -nE '#include "(cuda/|cuda_loader\.h)' plugin/cpu/* ||
   grep -nE '#include "cpu/' plugin/cuda_loader.* plugin/cuda/*; then
    echo "lint: one backend never includes another's header"; status=1
fi
if grep -nE '#include "' common/*.h; then
    echo "lint: common/ includes only system and public headers"; status=1
fi
# 6
for f in runtime-shim/*.c runtime-shim/*.h tools/*/*.c tools/*/*.h inspector/*.c inspector/*.h \
         bench/*.c runtime-shim/examples/*.c runtime-shim/examples/*.cc; do
    dir=$(dirname "$f")
    for h in $(sed -nE 's/^#include "([^"]+)".*/\1/p' "$f"); do
        case "$f:$h" in
        bench/bench_cuda.c:*) continue ;;
        runtime-shim/examples/*:summary.h) continue ;;
        runtime-shim/examples/*:*) ;;
        bench/*:ozc_*.h) continue ;;
        bench/*:*) [ -f "bench/$h" ] && ! grep -qE '#include "' "bench/$h" && continue ;;
        *:ozc_*.h) [ -f "common/$h" ] && continue ;;
        *) [ -f "$dir/$h" ] && continue ;;
        esac
        echo "$f: #include \"$h\""; status=1
        echo "lint: $dir reaches the plugin only through include/omnizip/ (and common/)"
    done
done
# 7
presets=$(grep -rlE '"qwen2\.5-omni-3b"|18944|11008' --include='*.[ch]' --include='*.cc' \
          --include='*.py' plugin runtime-shim tools inspector include common bench python/omnizip \
          2>/dev/null)
if [ "$presets" != "plugin/core/cost.c" ]; then
    echo "lint: model presets outside plugin/core/cost.c: $presets"; status=1
fi
if grep -nE '"(audio_anchors|audio_merged|base_rate|s_a|rho_audio|dpc_k)"' \
   tools/omnizip-run/cli_trace.c inspector/trace.c; then
    echo "lint: trace fields are named only in common/ozc_trace.h's table"; status=1
fi
B=${OMNIZIP_BUILD:-build}
if [ -f "$B/libomnizip_plugin.a" ] && [ -f "$B/libomnizip_shim.a" ]; then
    twice=$(for a in "$B"/libomnizip_plugin.a "$B"/libomnizip_shim.a "$B"/libomnizip_inspect.a \
                     "$B"/libomnizip_run.a; do
                [ -f "$a" ] && nm -g --defined-only "$a" 2>/dev/null |
                    awk '$2 ~ /^[TDBR]$/ {print $3}' | sort -u
            done | sort | uniq -d)
    if [ -n "$twice" ]; then
        echo "lint: defined in two archives (one owner, one name): $twice"; status=1
    fi
    # A name says where it lives: each archive's globals carry its prefix.
    for ap in plugin:oz_ shim:ozs_ inspect:ozi_ run:ozr_; do
        a="$B/libomnizip_${ap%%:*}.a"; want=${ap#*:}
        [ -f "$a" ] || continue
        odd=$(nm -g --defined-only "$a" 2>/dev/null | awk '$2 ~ /^[TDBR]$/ {print $3}' |
              grep -vE "^(${want}|omnizip_)" | sort -u | tr '\n' ' ')
        if [ -n "$odd" ]; then
            echo "lint: $a defines names without its prefix $want: $odd"; status=1
        fi
    done
fi
# 8
suites=$(for f in tests/test_*.c; do
             sed -nE 's/^(Test|TestSuite|ParameterizedTest)\( *([A-Za-z0-9_]+).*/\2/p' "$f" | sort -u
         done | sort | uniq -d)
if [ -n "$suites" ]; then
    echo "lint: criterion suites named in two test files: $suites"; status=1
fi
[ $status -eq 0 ] && echo "lint: ok"
exit $status
