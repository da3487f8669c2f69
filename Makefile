# esimo: two commands for a fresh Debian bookworm machine.
#   make run   installs what is missing, builds, and starts the server on the embedded store
#   make test  installs what is missing, builds (CI preset) and runs every test through ctest
.PHONY: all deps build run test bench clean asan fuzz-smoke

PRESET ?= ci
JOBS ?= $(shell nproc)
BUILD_DIR := build/$(PRESET)
DATA_DIR ?= var
LISTEN ?= 127.0.0.1:8080

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

# Serves until Ctrl-C (SIGINT: graceful drain, exit 0); prints the URLs and a fresh admin API key.
run: build
	@$(BUILD_DIR)/src/app/esimo serve --data-dir $(DATA_DIR) --listen $(LISTEN) --admin-key

test: build
	@ctest --preset $(PRESET) -j $(JOBS) --timeout 300
	@$(MAKE) --no-print-directory fuzz-smoke

# Short libFuzzer runs of the DER and SGP.32 decoders (clang, ASan+UBSan), seeded with the golden vectors. Only the
# fuzz targets and the three libraries under them are built.
fuzz-smoke: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@ctest --preset fuzz --timeout 300

bench: build
	@scripts/run-benchmarks $(BUILD_DIR)

asan: PRESET = asan
asan: build
	@ctest --preset asan -j $(JOBS) --timeout 600

clean:
	rm -rf build
