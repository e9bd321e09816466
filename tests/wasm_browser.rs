//! The same wasm tests (tests/wasm_common) in headless Chromium:
//! `make test-wasm-chrome`.
#![cfg(target_arch = "wasm32")]

mod wasm_common;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
