# wasm build, wasm tests and the page test. Included by the main Makefile
# (`include mk/wasm.mk`); also usable alone: `make -f mk/wasm.mk pkg`.

WASM_TARGET      := wasm32-unknown-unknown
WASM_BINDGEN_VER := 0.2.130
WASM_OUT         := target/$(WASM_TARGET)/wasm/sentinel_lab.wasm
WASM_RUSTFLAGS   := -C llvm-args=-inline-threshold=25
CHROMIUM         ?= /usr/bin/chromium
# The wasm-bindgen test runner: slow machines need longer than its defaults.
WASM_TEST_ENV := WASM_BINDGEN_TEST_TIMEOUT=600 WASM_BINDGEN_TEST_DRIVER_TIMEOUT=120

.PHONY: pkg test-wasm-node test-wasm-chrome test-wasm test-page install-wasm-tools wasm-ref-hashes

# pkg/: sentinel_lab.js + sentinel_lab_bg.wasm for the page (`--target web`,
# plain ES module). Built with the small `wasm` profile, then wasm-opt -O1 with
# binaryen from npm (package.json) or a system one >= 116: Debian 12's binaryen
# 108 breaks wasm-bindgen 0.2.130's externref table, so it is not used.
# -O1, not -Os / -Oz: measured, the heavier levels make the file smaller but
# its gzip larger (-O1 759 KB, -Os 795 KB gzipped; -Oz more than -Os). -Os
# runs the simulator faster under Node.js (bench/sim_speed.mjs: 1.25 s vs
# 1.41 s CPU per virtual hour); -O1 stays under the 1.5 s goal.
# Then a smoke run of pkg/ under Node.js.
#
# WASM_RUSTFLAGS: LLVM inlines a call (without #[inline]) below cost 25
# instead of opt-level s's 50, measured 11 KB smaller gzipped with the
# simulator as fast (bench/sim_speed.mjs, interleaved runs, 1.57 s CPU both);
# lowering the threshold for #[inline] functions too (-inlinehint-threshold=120)
# saved 28 KB more but ran the simulator ~10% slower, so it is not used.
pkg:
	RUSTFLAGS="$(WASM_RUSTFLAGS)" cargo build --lib --target $(WASM_TARGET) --profile wasm
	wasm-bindgen --target web --out-dir pkg $(WASM_OUT)
	@opt=""; \
	  if [ -x node_modules/.bin/wasm-opt ]; then opt=node_modules/.bin/wasm-opt; \
	  elif command -v wasm-opt >/dev/null 2>&1 && \
	       [ "$$(wasm-opt --version | sed -n 's/^wasm-opt version \([0-9]*\).*/\1/p')" -ge 116 ]; then opt=wasm-opt; fi; \
	  if [ -n "$$opt" ]; then \
	    echo "$$opt -O1"; $$opt -O1 -o pkg/sentinel_lab_bg.wasm.opt pkg/sentinel_lab_bg.wasm && \
	    mv pkg/sentinel_lab_bg.wasm.opt pkg/sentinel_lab_bg.wasm; \
	  else echo "no recent wasm-opt (binaryen >= 116; npm install brings 132): skipping -O1"; fi
	node tests/page/smoke.mjs pkg
	@echo "pkg/sentinel_lab_bg.wasm: $$(wc -c < pkg/sentinel_lab_bg.wasm) bytes, $$(gzip -9c pkg/sentinel_lab_bg.wasm | wc -c) gzipped"

# The native trace hashes of the reference scenario (sim::scenario), which the
# wasm tests must reproduce: computed now, passed to the wasm build at compile time.
target/wasm-ref-hashes.txt: $(wildcard src/*.rs src/*/*.rs)
	@mkdir -p target
	cargo test --lib sim::scenario::tests::print_reference_hashes -- --nocapture --exact \
	  | sed -n 's/^SENTINEL_LAB_REF_HASHES=//p' > $@.tmp
	@test -s $@.tmp || { echo "no reference hashes printed"; rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@
	@echo "native reference hashes: $$(cat $@)"

wasm-ref-hashes: target/wasm-ref-hashes.txt

# wasm-bindgen-test under Node.js (the runner's default for tests without
# `run_in_browser`); the runner is set in .cargo/config.toml.
test-wasm-node: target/wasm-ref-hashes.txt
	SENTINEL_LAB_REF_HASHES=$$(cat target/wasm-ref-hashes.txt) $(WASM_TEST_ENV) \
	  cargo test --target $(WASM_TARGET) --no-default-features --test wasm

# The same tests in headless Chromium through chromedriver; webdriver.json adds
# Chromium's flags (the runner itself adds headless, no-sandbox, disable-dev-shm-usage).
test-wasm-chrome: target/wasm-ref-hashes.txt
	SENTINEL_LAB_REF_HASHES=$$(cat target/wasm-ref-hashes.txt) $(WASM_TEST_ENV) \
	  CHROMEDRIVER=$$(command -v chromedriver) \
	  WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(CURDIR)/webdriver.json \
	  cargo test --target $(WASM_TARGET) --no-default-features --test wasm_browser

test-wasm: test-wasm-node test-wasm-chrome

# The web UI end to end: a static server on the crate root, headless Chromium
# driven by playwright-core (screenshots in target/page/); then live mode
# (www/live/: one Web Worker and wasm instance per node, MessageChannel links).
node_modules/playwright-core/package.json: package.json
	npm install --no-audit --no-fund
	@touch $@

test-page: node_modules/playwright-core/package.json pkg
	CHROMIUM=$(CHROMIUM) node tests/page/page.test.mjs
	CHROMIUM=$(CHROMIUM) node tests/page/live.test.mjs

# Idempotent: only installs what is missing.
install-wasm-tools:
	rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VER)" ]; then \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VER); fi
	@missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	  command -v node >/dev/null || missing="$$missing nodejs"; \
	  command -v npm >/dev/null || missing="$$missing npm"; \
	  fc-list 2>/dev/null | grep -qi nanum || missing="$$missing fonts-nanum"; \
	  if [ -n "$$missing" ]; then export DEBIAN_FRONTEND=noninteractive; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi
	@[ -x node_modules/.bin/wasm-opt ] && [ -f node_modules/playwright-core/package.json ] || npm install --no-audit --no-fund
