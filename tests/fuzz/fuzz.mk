# Fuzzing (included by the Makefile). One libFuzzer target per input surface,
# tests/fuzz/fuzz_<target>.c; its committed corpus (seeds, and every input
# that ever crashed it, kept) in tests/fuzz/corpus/<target>/.
#
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="dump abi"]
#       builds the targets with clang (FUZZ=1: ASan+UBSan+coverage, in
#       build/fuzz) and runs each for N seconds (default 60) one after the
#       other; the growing corpus lives in build/fuzz/corpus/<target>, a crash
#       lands in tests/fuzz/corpus/<target>/ and fails the run.
#   make test
#       replays every committed corpus through driver.c with the normal
#       compiler (no clang, no libFuzzer): tests/test_fuzz_corpus.c.
FUZZ_ALL := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= 60
FUZZ_ARCHIVES = $(B)/libomnizip_inspect.a $(B)/libomnizip_shim.a $(B)/libomnizip_plugin.a
FUZZ_LINK = $(LDFLAGS) $(OZ_LDFLAGS) $(INSPECT_LIBS) $(SHIM_LIBS) $(PLUGIN_LIBS)
FUZZ_INC := -Iplugin -Iruntime-shim -Iinspector -Itests/fuzz
FUZZ_REPLAY := $(patsubst %,$(B)/fuzz-replay/fuzz_%,$(FUZZ_ALL))

# The replay programs: each target with the plain driver.
$(B)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/driver.c tests/fuzz/fuzz.h $(FUZZ_ARCHIVES)
	@mkdir -p $(dir $@)
	$(OZ_CC) $(FUZZ_INC) -o $@ $< tests/fuzz/driver.c $(FUZZ_ARCHIVES) $(FUZZ_LINK)

# The libFuzzer programs (built only with FUZZ=1).
$(B)/fuzz-bin/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_ARCHIVES)
	@mkdir -p $(dir $@)
	$(OZ_CC) -fsanitize=fuzzer $(FUZZ_INC) -o $@ $< $(FUZZ_ARCHIVES) $(FUZZ_LINK)

fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang and libFuzzer (setup.sh)"; exit 1; }
	$(MAKE) FUZZ=1 $(patsubst %,build/fuzz/fuzz-bin/fuzz_%,$(FUZZ_TARGETS))
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)
