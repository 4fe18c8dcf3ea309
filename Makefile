# omnizip: `make` builds build/libomnizip.so, build/libomnizip_shim.so, build/omnizip-run
# and build/omnizip-inspect; `make test` runs every suite (installing missing packages
# first, through setup.sh); `make test SANITIZE=1` does so under ASan+UBSan;
# `make install PREFIX=... DESTDIR=...` installs a relocatable tree (docs/DESIGN.md).
VERSION := $(shell cat VERSION)
# `make test` needs nothing installed by hand: before the rest of this file is
# read (it asks the compiler for its multiarch), setup.sh installs whatever
# Debian packages are missing; when none is, that costs one dpkg query.
ifneq ($(filter test deps,$(MAKECMDGOALS)),)
ifneq ($(shell sh setup.sh --deps >&2 && echo ok),ok)
$(error setup.sh --deps failed (see above))
endif
endif
ABI_MAJOR := 1
# The shim library's soname major: its own, bumped when a shim struct changes.
SHIM_MAJOR := 1
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
BINDIR ?= $(PREFIX)/bin
INCDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share/omnizip
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/omnizip
DESTDIR ?=

CC ?= cc
B := build
# CFLAGS, CPPFLAGS and LDFLAGS belong to whoever builds (`make CFLAGS=-O3`,
# a distribution's hardening flags); what the build cannot work without lives
# in OZ_CFLAGS, placed after CFLAGS so that it wins. -ffp-contract=off and
# -fno-fast-math are part of the algorithm: kept counts depend on double
# arithmetic done in the order written (docs/ALGORITHM.md, "Arithmetic that
# decides counts").
CFLAGS ?= -O2 -g
OZ_WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter
OZ_CFLAGS := -std=c11 -D_GNU_SOURCE -ffp-contract=off -fno-fast-math -fPIC -Iinclude -Icommon $(OZ_WARN) \
             -DOMNIZIP_VERSION_STR='"$(VERSION)"'
OZ_CC = $(CC) $(CPPFLAGS) $(CFLAGS) $(OZ_CFLAGS)
LDFLAGS ?=
OZ_LDFLAGS :=
# `make tsan`: the concurrency paths (the thread pool, two contexts on two
# threads) under ThreadSanitizer, in a plain driver (criterion's arena and
# TSan do not mix).
ifeq ($(TSAN),1)
B := build/tsan
OZ_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
OZ_LDFLAGS += -fsanitize=thread
endif
# `make fuzz`: the libFuzzer targets of tests/fuzz/ (fuzz.mk), everything built
# by clang with ASan+UBSan and coverage. clang 14 mislinks GCC-style
# target_clones (the ifunc resolvers), so this build has no clones
# (OZ_NO_CLONES) and compiles everything for AVX2 where the machine has it:
# the vector paths are the ones fuzzed.
ifeq ($(FUZZ),1)
B := build/fuzz
CC := clang
CUDA := 0
OZ_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
             -fno-omit-frame-pointer -DOZ_NO_CLONES \
             $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo -mavx2)
OZ_LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SANITIZE),1)
B := build/san
OZ_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OZ_LDFLAGS += -fsanitize=address,undefined
endif

# Stamps: a change of compiler flags rebuilds every object, a change of the
# install directories rebuilds what embeds them (the shim's path search, the
# .pc and the CMake files). Each stamp is rewritten only when its text changes.
relpath = $(shell realpath -m --relative-to='$(1)' '$(2)')
OZ_PATH_FLAGS := -DOMNIZIP_LIBDIR='"$(LIBDIR)"' -DOMNIZIP_DATADIR='"$(DATADIR)"' \
    -DOMNIZIP_BIN_TO_LIB='"$(call relpath,$(BINDIR),$(LIBDIR))"' \
    -DOMNIZIP_BIN_TO_DATA='"$(call relpath,$(BINDIR),$(DATADIR))"' \
    -DOMNIZIP_LIB_TO_DATA='"$(call relpath,$(LIBDIR),$(DATADIR))"'
OZ_CFLAGS_STAMP = $(CC) $(CPPFLAGS) $(CFLAGS) $(OZ_CFLAGS) $(LDFLAGS) $(OZ_LDFLAGS)
OZ_PATHS_STAMP = $(PREFIX) $(LIBDIR) $(BINDIR) $(INCDIR) $(DATADIR) $(MANDIR) $(DOCDIR)
ifneq ($(file <$(B)/cflags.stamp),$(OZ_CFLAGS_STAMP))
$(shell mkdir -p $(B))
$(file >$(B)/cflags.stamp,$(OZ_CFLAGS_STAMP))
endif
ifneq ($(file <$(B)/paths.stamp),$(OZ_PATHS_STAMP))
$(shell mkdir -p $(B))
$(file >$(B)/paths.stamp,$(OZ_PATHS_STAMP))
endif

# The plugin runs its own (or the host's) threads and calls BLAS from several
# of them at once, so it links a single-threaded BLAS that is safe to call
# concurrently: BLIS (libblis4-serial). OpenBLAS's serial build is not (its
# buffer pool has no locks unless built with USE_LOCKING), and its threaded
# build would oversubscribe the cores under our threads. CBLAS prototypes come
# from libopenblas-dev's cblas.h; the symbols from BLIS. BLIS keeps
# process-wide memory pools, so the plugin is linked nodelete: dlclose leaves
# it (and BLIS) mapped and a later dlopen reuses it, instead of leaking them.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BLIS_SERIAL ?= /usr/lib/$(MULTIARCH)/blis-serial
ifneq ($(wildcard $(BLIS_SERIAL)/libblis.so.4),)
BLAS_LIBS := $(BLIS_SERIAL)/libblis.so.4 -Wl,-rpath,$(BLIS_SERIAL)
else
BLAS_LIBS := -lblis
endif
# glibc's vector math (libmvec) on x86-64, for the audio-importance softmax.
MVEC := $(if $(filter x86_64-%,$(MULTIARCH)),-lmvec,)
PLUGIN_LIBS := -lyaml $(BLAS_LIBS) $(MVEC) -lm -lpthread -lrt -ldl
SHIM_LIBS := -ljansson -ldl -lm -lpthread -lrt
INSPECT_LIBS := -lncursesw -ltinfo

# Files named main_*.c hold a program's main(); everything else is library code.
PLUGIN_SRC := $(wildcard plugin/*.c plugin/core/*.c plugin/cpu/*.c plugin/engine/*.c)
SHIM_SRC := $(wildcard runtime-shim/*.c)
RUN_SRC := $(filter-out %/main_run.c,$(wildcard tools/omnizip-run/*.c))
INSPECT_SRC := $(filter-out %/main_inspect.c,$(wildcard inspector/*.c))
TEST_SRC := $(wildcard tests/test_*.c)
FIXTURE_SRC := $(wildcard tests/fixtures/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
PLUGIN_OBJ := $(call obj,$(PLUGIN_SRC))
SHIM_OBJ := $(call obj,$(SHIM_SRC))
RUN_OBJ := $(call obj,$(RUN_SRC))
INSPECT_OBJ := $(call obj,$(INSPECT_SRC))
TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))
FIXTURE_SO := $(patsubst tests/fixtures/%.c,$(B)/fixtures/%.so,$(FIXTURE_SRC))

all: $(B)/libomnizip.so $(B)/libomnizip_shim.so $(B)/omnizip-run $(B)/omnizip-inspect
.PHONY: format format-check all deps test o3-build lint clean install uninstall bench abi-dump cuda tsan python install-python fuzz

$(B)/obj/plugin/%.o: OZ_CFLAGS += -fvisibility=hidden -Iplugin
$(call obj,runtime-shim/paths.c): OZ_CFLAGS += $(OZ_PATH_FLAGS)
$(call obj,runtime-shim/paths.c): $(B)/paths.stamp
$(B)/obj/%.o: %.c $(B)/cflags.stamp
	@mkdir -p $(dir $@)
	$(OZ_CC) -MMD -MP -c $< -o $@
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

$(B)/libomnizip.so: $(PLUGIN_OBJ) plugin/omnizip.map
	$(CC) -shared -o $@ $(PLUGIN_OBJ) -Wl,-soname,libomnizip.so.$(ABI_MAJOR) \
	  -Wl,--version-script=plugin/omnizip.map -Wl,-z,defs -Wl,-z,nodelete $(LDFLAGS) $(OZ_LDFLAGS) $(PLUGIN_LIBS)
$(B)/libomnizip_plugin.a: $(PLUGIN_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libomnizip_shim.a: $(SHIM_OBJ)
	@rm -f $@; ar rcs $@ $^
# The shim as a shared library: its own dependencies linked in, only the
# omnizip_* API exported (no CLI, no oz_ internals).
$(B)/libomnizip_shim.so: $(SHIM_OBJ) runtime-shim/shim.map
	$(CC) -shared -o $@ $(SHIM_OBJ) -Wl,-soname,libomnizip_shim.so.$(SHIM_MAJOR) \
	  -Wl,--version-script=runtime-shim/shim.map -Wl,-z,defs $(LDFLAGS) $(OZ_LDFLAGS) $(SHIM_LIBS)
$(B)/libomnizip_inspect.a: $(INSPECT_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libomnizip_run.a: $(RUN_OBJ)
	@rm -f $@; ar rcs $@ $^

$(B)/omnizip-run: $(call obj,tools/omnizip-run/main_run.c) $(B)/libomnizip_run.a $(B)/libomnizip_shim.a
	$(CC) -o $@ $^ -Wl,-rpath,'$$ORIGIN' $(LDFLAGS) $(OZ_LDFLAGS) $(SHIM_LIBS)
$(B)/omnizip-inspect: $(call obj,inspector/main_inspect.c) $(B)/libomnizip_inspect.a $(B)/libomnizip_shim.a
	$(CC) -o $@ $^ $(LDFLAGS) $(OZ_LDFLAGS) $(INSPECT_LIBS) $(SHIM_LIBS)

# Tests link the internals statically and reach the real .so by dlopen.
$(B)/tests/%: tests/%.c $(B)/cflags.stamp $(B)/libomnizip_plugin.a $(B)/libomnizip_shim.a $(B)/libomnizip_inspect.a
	@mkdir -p $(dir $@)
	$(OZ_CC) -Iplugin -Iruntime-shim -Iinspector -Itests -o $@ $< \
	  $(B)/libomnizip_inspect.a $(B)/libomnizip_shim.a $(B)/libomnizip_plugin.a \
	  $(LDFLAGS) $(OZ_LDFLAGS) -lcriterion $(INSPECT_LIBS) $(SHIM_LIBS) $(PLUGIN_LIBS)
$(B)/fixtures/%.so: tests/fixtures/%.c $(B)/cflags.stamp
	@mkdir -p $(dir $@)
	$(OZ_CC) -shared -o $@ $< $(LDFLAGS) $(OZ_LDFLAGS)

# CUDA: `make CUDA=1`, or automatically when nvcc is on PATH or in /usr/local/cuda/bin.
NVCC ?= $(shell command -v nvcc 2>/dev/null || (test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc))
ifeq ($(CUDA),)
CUDA := $(if $(NVCC),1,0)
endif
ifeq ($(CUDA),1)
include plugin/cuda/cuda.mk
endif

# The Python package's tests run with the first python3 that has numpy and
# pytest (Debian's python3-numpy, python3-pytest; python3-torch for the torch
# path). A sanitized plugin needs the ASan runtime preloaded into python.
PYTHON ?= $(shell for p in python3 /usr/bin/python3; do $$p -c 'import numpy, pytest' 2>/dev/null && { echo $$p; break; }; done)
ifeq ($(SANITIZE),1)
PY_ENV := LD_PRELOAD=$(shell $(CC) -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0
endif

include tests/fuzz/fuzz.mk

test: all $(TEST_BIN) $(FIXTURE_SO) $(FUZZ_REPLAY) $(B)/test-prefix/.installed o3-build
	@sh tests/lint.sh
	@$(MAKE) -s format-check FORMAT_OTHER_VERSION=skip
	@OMNIZIP_BUILD=$(B) OMNIZIP_PYTHON="$(PYTHON)" OMNIZIP_PY_ENV="$(PY_ENV)" \
	  sh tests/run.sh $(TEST_BIN)

# `make python`: a virtual environment in build/venv that sees Debian's numpy
# and torch (--system-site-packages) and this checkout's package and plugin;
# no network, no pip. Then: build/venv/bin/python -c 'import omnizip'.
PYVENV := $(B)/venv
python: $(B)/libomnizip.so
	@test -n "$(PYTHON)" || { echo "make python: needs python3 with numpy (apt-get install python3-numpy python3-venv)"; exit 1; }
	$(PYTHON) -m venv --without-pip --system-site-packages $(PYVENV)
	$(PYVENV)/bin/python -c 'import site, sys; open(site.getsitepackages()[0] + "/omnizip.pth", "w").write(sys.argv[1] + "\n")' $(CURDIR)/python
	$(PYVENV)/bin/python -c 'import omnizip; print("omnizip", omnizip.plugin_version(), "from", omnizip.plugin_path())'

# The package, installed where the prefix's python looks (PREFIX/lib/
# python3.X/dist-packages); it finds the plugin in PREFIX/lib from there.
PYSITE ?= $(LIBDIR)/$(shell $(or $(PYTHON),python3) -c 'import sys; print("python%d.%d" % sys.version_info[:2])' 2>/dev/null)/dist-packages
install-python:
	install -d $(DESTDIR)$(PYSITE)/omnizip
	install -m 0644 python/omnizip/*.py $(DESTDIR)$(PYSITE)/omnizip

# test_install's fixtures: an install staged under PREFIX and then moved, as
# a user who relocates one has it, and a build under -O3 -march=native
# (build/o3, never sanitized) whose kept tokens must equal this build's.
$(B)/test-prefix/.installed: all $(PKG_FILES) $(MAN_PAGES) $(DOCS) profiles/*.yaml include/omnizip/*.h \
  python/omnizip/*.py
	@rm -rf $(B)/test-stage $(B)/test-prefix
	@$(MAKE) --no-print-directory -s install DESTDIR=$(CURDIR)/$(B)/test-stage >/dev/null
	@mv $(B)/test-stage$(PREFIX) $(B)/test-prefix && rm -rf $(B)/test-stage && touch $@
o3-build:
	@$(MAKE) --no-print-directory -s B=build/o3 SANITIZE= TSAN= CFLAGS='-O3 -march=native' \
	  build/o3/libomnizip.so build/o3/omnizip-run

$(B)/omnizip-bench: bench/bench.c $(B)/libomnizip_shim.a
	$(OZ_CC) -o $@ $^ $(LDFLAGS) $(OZ_LDFLAGS) $(SHIM_LIBS) -lpthread

$(B)/omnizip-bench-stream: bench/bench_stream.c
	$(OZ_CC) -o $@ $^ $(LDFLAGS) $(OZ_LDFLAGS) -ldl -lm
$(B)/omnizip-bench-soak: bench/bench_soak.c
	$(OZ_CC) -o $@ $^ $(LDFLAGS) $(OZ_LDFLAGS) -ldl

# Benchmarks, not timed tests: writes bench/RESULTS.md (see bench/run.sh).
bench: all $(B)/omnizip-bench $(B)/omnizip-bench-stream $(B)/omnizip-bench-soak
	@OMNIZIP_BUILD=$(B) sh bench/run.sh

# Regenerates the committed ABI baseline: only after an intended ABI change.
abi-dump: $(B)/libomnizip.so
	abidw --no-corpus-path --no-comp-dir-path --headers-dir include/omnizip --drop-private-types $< > tests/abi/libomnizip.abi

tsan:
	$(MAKE) TSAN=1 build/tsan/tsan-concurrency
	TSAN_OPTIONS=halt_on_error=1 build/tsan/tsan-concurrency
$(B)/tsan-concurrency: tests/tsan/concurrency.c $(B)/libomnizip_plugin.a $(B)/libomnizip_shim.a
	$(OZ_CC) -Iplugin -Iruntime-shim -o $@ $^ $(LDFLAGS) $(OZ_LDFLAGS) $(SHIM_LIBS) $(PLUGIN_LIBS)

# The packages themselves: installed when this file is read (above).
deps:
	@:

lint:
	@sh tests/lint.sh

# The house style as .clang-format states it: lists every file clang-format
# would change and fails if there is one; `make test` runs it. Majors of
# clang-format lay code out differently, so the check holds for the major the
# tree is formatted with; `make test` skips it, saying so, under another one.
CLANG_FORMAT_MAJOR := 14
FORMAT_SRC = $(shell find plugin runtime-shim tools inspector include common tests bench \
               \( -name '*.[ch]' -o -name '*.cc' -o -name '*.cu' \) 2>/dev/null)
format-check:
	@v=$$(clang-format --version 2>/dev/null | sed -n 's/.*version \([0-9]*\).*/\1/p'); \
	if [ "$$v" != "$(CLANG_FORMAT_MAJOR)" ] && [ "$(FORMAT_OTHER_VERSION)" = skip ]; then \
	    echo "format: skipped (clang-format $${v:-absent}; the tree is laid out by $(CLANG_FORMAT_MAJOR))"; \
	elif [ "$$v" != "$(CLANG_FORMAT_MAJOR)" ]; then \
	    echo "format-check: needs clang-format $(CLANG_FORMAT_MAJOR), found $${v:-none}"; exit 1; \
	else clang-format --dry-run -Werror $(FORMAT_SRC) && echo "format: ok"; fi
format:
	clang-format -i $(FORMAT_SRC)

clean:
	rm -rf build

# Install. Nothing installed holds an absolute path of the prefix it was
# built for except as a last resort: binaries and the shim find the plugin and
# the profiles relative to themselves, the .pc and the CMake files relative to
# their own directory, so an installed tree can be moved as a whole.
PKG_SUBST := -e 's|@VERSION@|$(VERSION)|g' -e 's|@ABI_MAJOR@|$(ABI_MAJOR)|g' \
  -e 's|@SHIM_MAJOR@|$(SHIM_MAJOR)|g' \
  -e 's|@PC_TO_PREFIX@|$(call relpath,$(LIBDIR)/pkgconfig,$(PREFIX))|g' \
  -e 's|@CMAKE_TO_PREFIX@|$(call relpath,$(LIBDIR)/cmake/omnizip,$(PREFIX))|g' \
  -e 's|@PREFIX_TO_LIB@|$(call relpath,$(PREFIX),$(LIBDIR))|g' \
  -e 's|@PREFIX_TO_INC@|$(call relpath,$(PREFIX),$(INCDIR))|g' \
  -e 's|@PREFIX_TO_DATA@|$(call relpath,$(PREFIX),$(DATADIR))|g'
PKG_FILES := $(B)/packaging/omnizip.pc $(B)/packaging/omnizipConfig.cmake \
  $(B)/packaging/omnizipConfigVersion.cmake
$(B)/packaging/%: packaging/%.in $(B)/paths.stamp VERSION
	@mkdir -p $(dir $@)
	sed $(PKG_SUBST) $< > $@

MAN_PAGES := $(wildcard man/*.1)
DOCS := README.md $(wildcard docs/*.md)

install: all $(B)/libomnizip_shim.a $(PKG_FILES) install-python
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/omnizip $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(INCDIR)/omnizip $(DESTDIR)$(DATADIR)/profiles $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(DOCDIR)
	install -m 0755 $(B)/libomnizip.so $(DESTDIR)$(LIBDIR)/libomnizip.so.$(VERSION)
	ln -sf libomnizip.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libomnizip.so.$(ABI_MAJOR)
	ln -sf libomnizip.so.$(ABI_MAJOR) $(DESTDIR)$(LIBDIR)/libomnizip.so
	install -m 0755 $(B)/libomnizip_shim.so $(DESTDIR)$(LIBDIR)/libomnizip_shim.so.$(VERSION)
	ln -sf libomnizip_shim.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libomnizip_shim.so.$(SHIM_MAJOR)
	ln -sf libomnizip_shim.so.$(SHIM_MAJOR) $(DESTDIR)$(LIBDIR)/libomnizip_shim.so
	install -m 0644 $(B)/libomnizip_shim.a $(DESTDIR)$(LIBDIR)
	if [ -f $(B)/libomnizip_cuda.so ]; then install -m 0755 $(B)/libomnizip_cuda.so $(DESTDIR)$(LIBDIR); fi
	install -m 0644 $(B)/packaging/omnizip.pc $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0644 $(B)/packaging/omnizipConfig.cmake $(B)/packaging/omnizipConfigVersion.cmake \
	  $(DESTDIR)$(LIBDIR)/cmake/omnizip
	install -m 0755 $(B)/omnizip-run $(B)/omnizip-inspect $(DESTDIR)$(BINDIR)
	install -m 0644 include/omnizip/*.h $(DESTDIR)$(INCDIR)/omnizip
	install -m 0644 profiles/*.yaml $(DESTDIR)$(DATADIR)/profiles
	install -m 0644 profiles/README.md $(DESTDIR)$(DOCDIR)/profiles.md
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)
	$(if $(MAN_PAGES),install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1)
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libomnizip.so* $(DESTDIR)$(LIBDIR)/libomnizip_shim.so* \
	  $(DESTDIR)$(LIBDIR)/libomnizip_cuda.so $(DESTDIR)$(LIBDIR)/libomnizip_shim.a \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/omnizip.pc $(DESTDIR)$(BINDIR)/omnizip-run \
	  $(DESTDIR)$(BINDIR)/omnizip-inspect $(DESTDIR)$(MANDIR)/man1/omnizip-run.1 \
	  $(DESTDIR)$(MANDIR)/man1/omnizip-inspect.1
	rm -rf $(DESTDIR)$(INCDIR)/omnizip $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) \
	  $(DESTDIR)$(LIBDIR)/cmake/omnizip $(DESTDIR)$(PYSITE)/omnizip
