# crmkit — the two commands a new user needs:
#   make demo   install missing Debian packages, build, run the main job on the shipped data
#   make test   the same set-up, then every test (C++, C API, Python, examples)
# Others: make build | make bench | make sanitize | make tsan | make fuzz | make install PREFIX=/usr/local | make clean

BUILD     ?= build
ASAN_BUILD ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX    ?= /usr/local
PYTHON    ?= /usr/bin/python3

.PHONY: all setup configure build demo test bench sanitize tsan fuzz install clean

all: build

setup:
	@bash scripts/setup-debian.sh

configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCRMKIT_PYTHON=$(PYTHON) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@$(BUILD)/tools/crmkit demo

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# AddressSanitizer + UndefinedBehaviorSanitizer build of the whole test suite; any report fails.
sanitize: setup
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCRMKIT_SANITIZE=ON -DCRMKIT_PYTHON=$(PYTHON) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE nosan

# ThreadSanitizer build of the concurrency tests (several threads on one engine / clock set) and
# of the readers that parse big files on every core.
TSAN_BUILD ?= build-tsan
tsan: setup
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRMKIT_TSAN=ON -DCRMKIT_BUILD_EXAMPLES=OFF >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target test_concurrency test_transaction_readers test_rfm
	@TSAN_OPTIONS=halt_on_error=1 ctest --test-dir $(TSAN_BUILD) --output-on-failure -R "concurrency|transaction_readers|test_rfm"

# libFuzzer harnesses (clang, ASan + UBSan), each run FUZZ_SECONDS on its seed corpus.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz:
	@CRMKIT_FUZZ=1 bash scripts/setup-debian.sh
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRMKIT_FUZZ=ON \
	  -DCRMKIT_BUILD_TESTS=OFF -DCRMKIT_BUILD_TOOLS=OFF -DCRMKIT_BUILD_EXAMPLES=OFF -DCRMKIT_BUILD_BENCHMARKS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target crmkit_fuzzers
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: configure
	@cmake --build $(BUILD) -j $(JOBS) --target crmkit_benchmarks crmkit_cli
	@bash benchmarks/run.sh $(BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
