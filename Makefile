# esimo: two commands for a fresh Debian bookworm machine.
#   make run   installs what is missing, builds, and starts the live demo (server + simulated fleet, `esimo demo`)
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

# The live demo (`esimo demo`): the server on a fresh embedded store plus a simulated 5,000-device fleet in 22 countries
# on accelerated time with a carrier outage part-way through. Prints the URLs and an admin API key; runs until Ctrl-C
# (SIGINT: graceful stop, exit 0). `esimo serve` is the server alone.
run: build
	@$(BUILD_DIR)/src/app/esimo demo --listen $(LISTEN)

test: build
	@ctest --preset $(PRESET) -j $(JOBS) --timeout 300
	@$(MAKE) --no-print-directory fuzz-smoke

# Short libFuzzer runs (clang, ASan+UBSan) of every target in tests/fuzz: the DER and SGP.32 decoders (seeded with the
# golden vectors), policy documents, the REST JSON reader and operation bodies, the telemetry batch reader, the device
# import's CSV reader, the ES9+ JSON binding and twin scenario files. Only the fuzz targets and the libraries under
# them are built.
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
