# strata: one build for five SQLite loadable extensions.
#
#   make              dist/<name>.so for each extension, dist/strata.so, dist/libstrata.a
#   make test         install missing Debian packages, build, run every suite
#   make test-asan    the same suites against an ASan + UBSan build
#   make demo         build and run the tour in demo/
#   make bench        side-by-side benchmarks against the peers (long)
#   make lint         clang-format check, cppcheck and check-layering (no file cycles)
#   make format       rewrite sources with clang-format
#
# Conventions (docs/developing.md explains them):
#   ext/<name>/*.c          every .c file is part of extension <name>; no list to maintain
#   extension.c, *_sql.c    SQL binding files (use sqlite3ext.h); everything else is engine code
#                           that must build and unit-test without SQLite
#   *_avx2.c, *_avx512.c    compiled with the ISA flags below; callers dispatch at run time
#   ext/<name>/build.mk     optional: <name>_LIBS and <name>_CFLAGS
#   tests/<dir>/unit_*.c    C unit test programs, linked with that extension's engine archive
#   tests/static/host_*.c   programs linked with dist/libstrata.a and the system SQLite

MODE ?= release
EXTENSIONS := lsm jsonschema timezone embed vec

ifeq ($(MODE),asan)
BUILD := build/asan
DIST := build/asan/dist
MODE_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer
MODE_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(MODE),release)
BUILD := build/release
DIST := dist
# Release builds compile assert() out (a failed invariant must not abort the host process);
# the ASan build keeps them, and make test-asan runs every suite against it.
MODE_CFLAGS := -O2 -g -DNDEBUG
MODE_LDFLAGS :=
else
$(error MODE must be release or asan)
endif

CC ?= cc
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
ifeq ($(CI),true)
WARN += -Werror
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARN) -Iext -Iinclude \
               $(MODE_CFLAGS) $(EXTRA_CFLAGS)
AVX2_FLAGS := -mavx2 -mfma -mf16c -mpopcnt
AVX512_FLAGS := $(AVX2_FLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni \
                -mavx512vpopcntdq

PYTHON := /usr/bin/python3

# ---- sources ---------------------------------------------------------------------------------

is_binding = $(filter %/extension.c %_sql.c,$(1))
COMMON_SRCS := $(wildcard ext/common/*.c)
COMMON_ENGINE_SRCS := $(filter-out $(call is_binding,$(COMMON_SRCS)),$(COMMON_SRCS))
COMMON_BINDING_SRCS := $(call is_binding,$(COMMON_SRCS))

$(foreach e,$(EXTENSIONS),$(eval $(e)_LIBS :=)$(eval $(e)_CFLAGS :=))
-include $(foreach e,$(EXTENSIONS),ext/$(e)/build.mk)

define EXTENSION_VARS
$(1)_SRCS := $$(wildcard ext/$(1)/*.c)
$(1)_BINDING_SRCS := $$(call is_binding,$$($(1)_SRCS))
$(1)_ENGINE_SRCS := $$(filter-out $$($(1)_BINDING_SRCS),$$($(1)_SRCS))
$(1)_ENGINE_OBJS := $$($(1)_ENGINE_SRCS:%.c=$(BUILD)/obj/%.o)
$(1)_SO_OBJS := $$($(1)_ENGINE_OBJS) $$($(1)_BINDING_SRCS:%.c=$(BUILD)/obj/%.o)
$(1)_STATIC_OBJS := $$($(1)_ENGINE_OBJS) $$($(1)_BINDING_SRCS:%.c=$(BUILD)/static/%.o)
$(BUILD)/obj/ext/$(1)/%.o: EXT_CFLAGS := $$($(1)_CFLAGS)
$(BUILD)/static/ext/$(1)/%.o: EXT_CFLAGS := $$($(1)_CFLAGS)
endef
$(foreach e,$(EXTENSIONS),$(eval $(call EXTENSION_VARS,$(e))))

COMMON_ENGINE_OBJS := $(COMMON_ENGINE_SRCS:%.c=$(BUILD)/obj/%.o)
COMMON_SO_OBJS := $(COMMON_ENGINE_OBJS) $(COMMON_BINDING_SRCS:%.c=$(BUILD)/obj/%.o)
COMMON_STATIC_OBJS := $(COMMON_ENGINE_OBJS) $(COMMON_BINDING_SRCS:%.c=$(BUILD)/static/%.o)
ALL_LIBS := $(sort $(foreach e,$(EXTENSIONS),$($(e)_LIBS))) -lm

SO_FILES := $(EXTENSIONS:%=$(DIST)/%.so) $(DIST)/strata.so
STATIC_LIB := $(DIST)/libstrata.a

# ---- build rules -----------------------------------------------------------------------------

.PHONY: all
all: $(SO_FILES) $(STATIC_LIB) $(DIST)/strata.h

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ENGINE_GUARD) $(BASE_CFLAGS) $(EXT_CFLAGS) $(ISA_FLAGS) -MMD -MP -c $< -o $@

# Engine objects see SQLite's headers as #error (ext/common/engine_guard): the engine/binding
# split is a guarantee, not a habit.
ENGINE_OBJS := $(COMMON_ENGINE_OBJS) $(foreach e,$(EXTENSIONS),$($(e)_ENGINE_OBJS))
$(ENGINE_OBJS): ENGINE_GUARD := -Iext/common/engine_guard

# The static library is linked into programs that link SQLite itself: SQLITE_CORE turns the
# sqlite3ext.h indirection off. Only binding files differ between the two builds.
$(BUILD)/static/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(EXT_CFLAGS) -DSQLITE_CORE -MMD -MP -c $< -o $@

$(BUILD)/obj/%_avx2.o: ISA_FLAGS := $(AVX2_FLAGS)
$(BUILD)/obj/%_avx512.o: ISA_FLAGS := $(AVX512_FLAGS)

# -Bsymbolic binds each .so's own symbols to itself even when SQLite dlopen()s with RTLD_GLOBAL
# and another strata .so is already loaded in the process.
# -z nodelete keeps a .so mapped after SQLite dlclose()s it (a failed init, a closed connection):
# a function or module of it may still be registered on another connection, or be called by a
# statement still open, and would jump into unmapped memory.
SO_LDFLAGS := -shared -Wl,-Bsymbolic -Wl,-z,nodelete -Wl,--no-undefined -Wl,--as-needed \
              $(MODE_LDFLAGS)

define EXTENSION_RULES
$(DIST)/$(1).so: $$(COMMON_SO_OBJS) $$($(1)_SO_OBJS)
	@mkdir -p $$(@D)
	$$(CC) $(SO_LDFLAGS) -o $$@ $$^ $$($(1)_LIBS) -lm

$(BUILD)/lib$(1)_engine.a: $$($(1)_ENGINE_OBJS) $(BUILD)/empty.o
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach e,$(EXTENSIONS),$(eval $(call EXTENSION_RULES,$(e))))

# An archive may be empty while an extension has no engine yet; ar wants a member.
$(BUILD)/empty.o:
	@mkdir -p $(@D)
	echo 'typedef int strata_empty_unit;' | $(CC) -x c -c - -o $@

$(BUILD)/libcommon.a: $(COMMON_ENGINE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

STRATA_SO_OBJS := $(COMMON_SO_OBJS) $(foreach e,$(EXTENSIONS),$($(e)_SO_OBJS)) \
                  $(BUILD)/obj/ext/strata.o
STRATA_STATIC_OBJS := $(COMMON_STATIC_OBJS) $(foreach e,$(EXTENSIONS),$($(e)_STATIC_OBJS)) \
                      $(BUILD)/static/ext/strata.o

$(DIST)/strata.so: $(STRATA_SO_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SO_LDFLAGS) -o $@ $^ $(ALL_LIBS)

# libstrata.a holds one object: every static object partially linked (ld -r), then every symbol
# but the six entry points made local, so a program that defines strbuf_init, jv_parse, ... of
# its own (git has a strbuf_init) neither clashes with ours nor has ours call its functions.
STATIC_ENTRY_POINTS := sqlite3_strata_init $(EXTENSIONS:%=sqlite3_%_init)
$(BUILD)/static/libstrata.o: $(STRATA_STATIC_OBJS)
	@mkdir -p $(@D)
	$(LD) -r -o $@.tmp $^
	objcopy $(STATIC_ENTRY_POINTS:%=--keep-global-symbol=%) $@.tmp $@ && rm -f $@.tmp

$(STATIC_LIB): $(BUILD)/static/libstrata.o
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(DIST)/strata.h: include/strata.h
	@mkdir -p $(@D)
	cp $< $@

# ---- tests -----------------------------------------------------------------------------------

UNIT_SRCS := $(wildcard tests/*/unit_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
HOST_SRCS := $(wildcard tests/static/host_*.c)
HOST_BINS := $(HOST_SRCS:%.c=$(BUILD)/%)

# tests/<dir>/unit_x.c links ext/<dir>'s engine archive (tests/common links only libcommon.a).
unit_ext = $(word 2,$(subst /, ,$(1)))
unit_archive = $(if $(filter common,$(call unit_ext,$(1))),,$(BUILD)/lib$(call unit_ext,$(1))_engine.a)
unit_libs = $(if $(filter common,$(call unit_ext,$(1))),,$($(call unit_ext,$(1))_LIBS))

.SECONDEXPANSION:
$(UNIT_BINS): $(BUILD)/%: %.c $$(call unit_archive,$$*) $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $($(call unit_ext,$*)_CFLAGS) -Itests -MMD -MP -o $@ $< \
		$(call unit_archive,$*) $(BUILD)/libcommon.a $(call unit_libs,$*) -lm $(MODE_LDFLAGS)

$(HOST_BINS): $(BUILD)/%: %.c $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Itests -o $@ $< $(STATIC_LIB) -lsqlite3 $(ALL_LIBS) $(MODE_LDFLAGS)

.PHONY: test-programs
test-programs: $(UNIT_BINS) $(HOST_BINS)

.PHONY: deps
deps:
	@scripts/install-deps

PYTEST := $(PYTHON) -m pytest -q -p no:cacheprovider tests

.PHONY: test
test: deps
	@scripts/check-python $(PYTHON)
	$(MAKE) all test-programs
	$(MAKE) wheel
	STRATA_DIST=$(DIST) STRATA_BUILD=$(BUILD) $(PYTEST) $(PYTEST_ARGS)

# Python hosts the extensions under test, so the ASan runtime must be preloaded. Python's own
# allocations are not ours to judge: leak checking is on for the C programs (tests/conftest.py).
ASAN_RUNTIME = $(shell $(CC) -print-file-name=libasan.so)
.PHONY: test-asan
test-asan: deps
	@scripts/check-python $(PYTHON)
	$(MAKE) MODE=asan all test-programs
	$(MAKE) fuzz-programs
	$(MAKE) wheel
	STRATA_DIST=build/asan/dist STRATA_BUILD=build/asan STRATA_ASAN=1 \
	LD_PRELOAD=$(ASAN_RUNTIME) \
	ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(PYTEST) $(PYTEST_ARGS)

# The long mode of the crash and kill tests: hundreds of random kills of a writer (ordinary and
# lsm tables must always agree), of the engine's crash loop, and a longer model run. About
# 6 minutes here; make test runs the same tests with a few dozen rounds.
.PHONY: test-long
test-long: deps
	@scripts/check-python $(PYTHON)
	$(MAKE) all test-programs
	LSM_ATOMIC_KILLS=300 LSM_CRASH_KILLS=300 LSM_MODEL_STEPS=400000 \
	STRATA_DIST=$(DIST) STRATA_BUILD=$(BUILD) $(PYTEST)/lsm $(PYTEST_ARGS) \
		tests/test_c_programs.py -k lsm

# ---- fuzzing (tests/fuzz) ---------------------------------------------------------------------
#
#   make fuzz                 every libFuzzer harness for FUZZ_SECONDS (default 60) each
#   make fuzz FUZZ=lsm_table  one harness (tests/fuzz/fuzz_lsm_table.c); FUZZ takes a list
#   make fuzz-programs        only build them (make test-asan does, then runs each briefly)
#
# Harnesses are tests/fuzz/fuzz_<ext>_<what>.c, linked with ext/<ext>'s engine archive. They need
# clang's libFuzzer, so they get their own build folder: a sub-make builds the engine archives
# there with clang, the asan mode's sanitizers and -fsanitize=fuzzer-no-link (the coverage
# libFuzzer steers by). Crashes and new inputs go to build/fuzz/findings/<harness>/, never into
# the seed corpora of tests/fuzz/corpus/.

FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ ?= $(FUZZ_NAMES)
FUZZ_BINS := $(FUZZ_SRCS:%.c=$(BUILD)/%)
fuzz_ext = $(firstword $(subst _, ,$(patsubst fuzz_%,%,$(notdir $(1)))))

$(FUZZ_BINS): $(BUILD)/%: %.c tests/fuzz/fuzz_util.h $(BUILD)/lib$$(call fuzz_ext,$$*)_engine.a \
              $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -fsanitize=fuzzer -Itests -MMD -MP -o $@ $< \
		$(BUILD)/lib$(call fuzz_ext,$*)_engine.a $(BUILD)/libcommon.a \
		$($(call fuzz_ext,$*)_LIBS) -lm $(MODE_LDFLAGS) -fsanitize=fuzzer

.PHONY: fuzz-binaries fuzz-programs fuzz
fuzz-binaries: $(FUZZ_BINS)

# Command-line BUILD and DIST override the asan mode's folders for the sub-make.
fuzz-programs:
	$(MAKE) MODE=asan BUILD=$(FUZZ_BUILD) DIST=$(FUZZ_BUILD)/dist CC=$(FUZZ_CC) \
		EXTRA_CFLAGS=-fsanitize=fuzzer-no-link fuzz-binaries

# Every harness runs even when one fails; new coverage goes to findings/<harness>/new, crashes
# to findings/<harness>/crash-*, the log to findings/<harness>/log.
fuzz: deps
	$(MAKE) fuzz-programs
	@failed=""; for h in $(FUZZ); do \
		mkdir -p $(FUZZ_BUILD)/findings/$$h/new; \
		echo "== fuzz_$$h: $(FUZZ_SECONDS) s"; \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(FUZZ_BUILD)/tests/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/findings/$$h/ $(FUZZ_ARGS) \
			$(FUZZ_BUILD)/findings/$$h/new tests/fuzz/corpus/$$h \
			2>$(FUZZ_BUILD)/findings/$$h/log || { tail -40 $(FUZZ_BUILD)/findings/$$h/log; \
			failed="$$failed $$h"; }; \
		grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec)' \
			$(FUZZ_BUILD)/findings/$$h/log; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi
# ---- Python wheels (python/, docs/python.md) -------------------------------------------------

# dist/wheels/sqlite_strata-<version>-py3-none-<platform>.whl (the release .so files inside) and
# dist/wheels/datasette_strata-<version>-py3-none-any.whl, offline, with Debian's
# python3-build, setuptools and wheel.
WHEELS := dist/wheels
.PHONY: wheel
wheel: deps
	$(MAKE) MODE=release all
	@mkdir -p build/python/datasette-strata $(WHEELS)
	rm -f $(WHEELS)/sqlite_strata-*.whl $(WHEELS)/datasette_strata-*.whl
	$(PYTHON) -m build --no-isolation --wheel --outdir $(WHEELS) . >build/python/sqlite-strata.log
	$(PYTHON) -m build --no-isolation --wheel --outdir $(WHEELS) python/datasette-strata \
		>build/python/datasette-strata.log
	@ls $(WHEELS)

# ---- demo, bench, lint -----------------------------------------------------------------------

.PHONY: demo
demo: deps
	$(MAKE) all
	$(MAKE) wheel
	@STRATA_DIST=$(DIST) scripts/demo

.PHONY: bench
bench: deps
	@scripts/install-deps --bench
	$(MAKE) all
	STRATA_DIST=$(DIST) STRATA_BUILD=$(BUILD) $(PYTHON) bench/run.py $(BENCH_ARGS)

C_FILES = $(shell git ls-files -co --exclude-standard -- 'ext/*.[ch]' 'include/*.h' \
            'tests/*.[ch]' 'bench/*.[ch]' 2>/dev/null)

# No two source files may call each other, even through others: each helper lives below its
# callers (scripts/check-layering reads what each object defines and uses).
LAYERING_OBJS := $(STRATA_SO_OBJS)
.PHONY: check-layering
check-layering: $(LAYERING_OBJS)
	@scripts/check-layering $(LAYERING_OBJS)

.PHONY: lint
lint: check-layering
	clang-format --dry-run --Werror $(C_FILES)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -D__GNUC__ -D__x86_64__ -Iext -Iinclude ext

.PHONY: format
format:
	clang-format -i $(C_FILES)

.PHONY: clean
clean:
	rm -rf build dist

-include $(shell find build -name '*.d' 2>/dev/null)
