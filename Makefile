# cordon — a kernel in userspace for untrusted Linux programs.
# `make` builds build/cordon; `make test` builds everything (plain and
# ASan+UBSan) and runs the unit and integration suites against both.
# Missing Debian packages are installed first (tools/deps.sh).

CC      ?= cc
PKGS    := libseccomp libxxhash json-c libssl libcrypto liburing
# Headers only: util/lazylib.c binds these when a feature needs them, so a
# session's start does not pay for loading them (see util/lazylib.h).
LAZY_PKGS := libarchive libcurl libmicrohttpd
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers \
           -I. $(shell pkg-config --cflags $(PKGS) $(LAZY_PKGS) 2>/dev/null)
# libhttp-parser (net/http.c) ships no pkg-config file.
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -lpthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS    := $(wildcard util/*.c platform/*.c sentry/*.c fs/*.c net/*.c serve/*.c)
OBJS    := $(SRCS:%.c=build/obj/%.o)
AOBJS   := $(SRCS:%.c=build/asan/%.o)
LIBOBJS := $(filter-out build/obj/sentry/main.o,$(OBJS))
UNIT    := $(wildcard tests/unit/*.c)
PROGS   := $(patsubst tests/progs/%.c,build/progs/%,$(wildcard tests/progs/*.c))

.PHONY: all deps asan test unit integration cpython-suite bench bench-quick bench-net bench-deps demo clean
all: deps build/cordon

deps:
	@tools/deps.sh

build/cordon: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/asan/cordon: $(AOBJS)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

asan: deps build/asan/cordon

# Programs that run inside the sandbox during tests and benchmarks.
build/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

build/unit-tests: $(UNIT) $(LIBOBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs criterion libarchive)

build/integration-tests: tests/integration/*.c tests/integration/*.h
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) $(shell pkg-config --libs criterion)

# The integration suite runs once per platform and build: same tests, same results.
test: deps build/cordon build/asan/cordon build/unit-tests build/integration-tests $(PROGS)
	@tools/deps.sh podman containerd || echo "podman or containerd could not be installed: their tests will skip"
	build/unit-tests --jobs 2
	for platform in seccomp ptrace; do for cordon in build/cordon build/asan/cordon; do \
		echo "== $$cordon --platform $$platform"; \
		CORDON=$$cordon CORDON_PLATFORM=$$platform build/integration-tests --jobs 2 || exit 1; \
	done; done

# CPython's file tests natively and under cordon, case by case (~3 min, so
# not part of `make test`; CI runs both). Fails on a difference README.md
# does not list.
cpython-suite: deps build/cordon
	tests/cpython-suite.py

# The raw seccomp floors that bench/run.sh puts next to cordon's numbers.
build/bench/unotify_floor: bench/unotify_floor.c bench/measure.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

build/progs/syscall_cost: bench/measure.h

# gnuplot draws bench/results/latest.png; only the bench targets need it.
bench-deps: deps
	@tools/deps.sh gnuplot-nox

BENCH_BUILD := bench-deps build/cordon build/bench/unotify_floor build/progs/syscall_cost

# Not tests: no pass/fail. bench/results/latest.{md,json,png}; ~6 min / ~1.5 min.
bench: $(BENCH_BUILD)
	bench/run.sh full

bench-quick: $(BENCH_BUILD)
	bench/run.sh quick

# Only the network rows (connect latency, proxy throughput); ~30 s.
bench-net: bench-deps build/cordon
	bench/run.sh net

# tools/ is not in the guest's filesystem, so the script arrives on stdin.
demo: all
	build/cordon run -- /usr/bin/python3 - < tools/demo.py

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(AOBJS:.o=.d)
