# sentinel-lab: build, test, demo, bench.
#
#   make test    install what is missing, then build, test, wasm build, fmt, clippy
#   make demo    install what is missing, build, run the tutorial topology on localhost + the web UI
#   make bench   redis-benchmark against redis-server 7.0.15 and ours, one table
#   make conformance  Redis 7.0.15's own test suites, ours beside real
#   make deps    only the install step (idempotent; fast when everything is there)

SHELL := /bin/bash
CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_PORT ?= 6379

# Debian packages: the oracle (redis-server 7.0.15), redis-sentinel, and
# redis-cli / redis-benchmark (redis-tools).
# tcl runs Redis's own test suites (make conformance).
APT_PACKAGES := redis-server redis-sentinel redis-tools tcl
# Commands whose presence means the packages are installed.
APT_PROBES := redis-server redis-sentinel redis-cli redis-benchmark tclsh


.PHONY: conformance test-conformance all deps deps-apt deps-py deps-rust build test test-only wasm fmt clippy demo bench clean

all: build

deps: deps-apt deps-rust deps-py install-wasm-tools

deps-apt:
	@missing=""; for c in $(APT_PROBES); do command -v $$c >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing $(APT_PACKAGES)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    $(SUDO) apt-get update -qq && \
	    $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

# redis-py, for tests/sentinel_clients.rs and bench/failover.sh (Sentinel
# client); limits, a rate limiter built on Lua scripts, for the scripting
# clients' failover test.
deps-py:
	@python3 -c 'import redis, limits' 2>/dev/null || pip install --quiet redis limits

deps-rust:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
	@if command -v rustup >/dev/null; then \
	    rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown; \
	    $(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt; \
	    $(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy; \
	fi

build:
	$(CARGO) build

wasm:
	$(CARGO) build --lib --target wasm32-unknown-unknown

fmt:
	$(CARGO) fmt --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

test-only:
	$(CARGO) build
	$(CARGO) test --no-fail-fast
	$(CARGO) build --lib --target wasm32-unknown-unknown
	@$(MAKE) --no-print-directory test-wasm-node test-wasm-chrome test-page test-conformance
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

test: deps
	@$(MAKE) --no-print-directory test-only

demo: deps
	$(CARGO) build --release
	@for p in 6379 6380 6381 26379 26380 26381; do \
	    if (exec 3<>/dev/tcp/127.0.0.1/$$p) 2>/dev/null; then \
	        echo "port $$p is taken (a system redis-server?): stop it first" >&2; exit 1; \
	    fi; \
	done
	@$(MAKE) --no-print-directory pkg
	./target/release/sentinel-lab demo

bench: deps
	bench/redis-benchmark.sh
	bench/full-sync.sh
	bench/aof.sh
	bench/memory.sh
	bench/failover.sh
	$(CARGO) bench --bench sim_speed
	@$(MAKE) --no-print-directory pkg
	node bench/sim_speed.mjs

# Redis 7.0.15's own suites (runtest, runtest-sentinel, from Debian's source
# package, cached in target/conformance) with our binary in Redis's seat, every
# unit but cluster / modules / TLS, beside Debian's binaries through the same
# harness; the table goes to tests/conformance/RESULTS.md.
conformance: deps
	$(CARGO) build --release
	tests/conformance/run.py --with-real --write tests/conformance/RESULTS.md

# The part `make test` runs: the units listed in run.py's CI_SET, each held to
# the passes recorded in tests/conformance/ci-baseline.txt. The debug build
# `make test` already has, to spare CI a release build.
test-conformance:
	$(CARGO) build
	tests/conformance/run.py --set ci --binary target/debug/sentinel-lab \
	  --expect tests/conformance/ci-baseline.txt

clean:
	$(CARGO) clean

# wasm build, wasm tests (Node.js, headless Chromium), the page test, and
# their tools (wasm-bindgen-cli, chromium, chromium-driver, node, npm packages).
include mk/wasm.mk
