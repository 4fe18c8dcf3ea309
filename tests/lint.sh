#!/bin/sh
# make lint: the house rules a grep can check (docs/DESIGN.md, "House rules").
# 1. Library code never prints, exits or aborts: the plugin and the shim
#    library return statuses (tools/, the example hosts and the inspector
#    are programs and may print).
# 2. plugin/core is pure: no I/O, no globals' headers, no CUDA, no YAML.
# 3. The shim, the tools and the inspector reach the engine only through include/.
# 4. The repository stands alone: nothing in it points at a path outside it,
#    and every Markdown file a source file cites exists (in docs/ when unqualified).
status=0
lib=$(find plugin runtime-shim -name '*.c' ! -path 'runtime-shim/examples/*' ! -path 'plugin/cuda/*')
if grep -nE '\b(printf|fprintf|puts|perror|exit|abort)\s*\(' $lib | grep -v 'snprintf\|vsnprintf'; then
    echo "lint: library code above prints, exits or aborts"; status=1
fi
if grep -nE '#include <(stdio|yaml|cuda|dlfcn|fcntl|unistd)' plugin/core/*.c plugin/core/*.h \
   | grep -v 'plugin/core/plan.c:.*stdio'; then
    echo "lint: plugin/core must stay free of I/O, YAML and CUDA"; status=1
fi
if grep -nE "#include \"(\.\./)*(plugin/|core/|cpu/)" runtime-shim/*.c runtime-shim/*.h \
   tools/*/*.c tools/*/*.h inspector/*.c inspector/*.h; then
    echo "lint: the shim, the tools and the inspector include only include/omnizip/ headers"; status=1
fi
if grep -rnIE '\.\./shared|shared/(docs|golden)|/work/(shared|briefs)' --exclude-dir=build \
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
[ $status -eq 0 ] && echo "lint: ok"
exit $status
