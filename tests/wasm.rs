//! The wasm tests (tests/wasm_common) under Node.js, wasm-bindgen-test's
//! default: `make test-wasm-node`.
#![cfg(target_arch = "wasm32")]

mod wasm_common;
