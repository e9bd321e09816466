//! The same wasm tests in headless Chromium: `make test-wasm-chrome`.
#![cfg(target_arch = "wasm32")]

mod wasm_common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn cluster_replica_syncs_and_replicates_a_write() {
    wasm_common::cluster_replica_syncs_and_replicates_a_write();
}

#[wasm_bindgen_test]
fn trace_hash_matches_native() {
    wasm_common::trace_hash_matches_native();
}

#[wasm_bindgen_test]
fn scenario_export_import_replays_the_same_trace() {
    wasm_common::scenario_export_import_replays_the_same_trace();
}

#[wasm_bindgen_test]
fn errors_are_clear_exceptions() {
    wasm_common::errors_are_clear_exceptions();
}

#[wasm_bindgen_test]
fn two_node_objects_replicate_by_moving_bytes() {
    wasm_common::two_node_objects_replicate_by_moving_bytes();
}

#[wasm_bindgen_test]
fn cluster_tutorial_failover() {
    wasm_common::cluster_tutorial_failover();
}

#[wasm_bindgen_test]
async fn message_channel_nodes_elect_a_new_master() {
    wasm_common::message_channel_nodes_elect_a_new_master().await;
}

#[wasm_bindgen_test]
fn node_host_helpers() {
    wasm_common::node_host_helpers();
}

#[wasm_bindgen_test]
fn cluster_messages_and_sentinel_view() {
    wasm_common::cluster_messages_and_sentinel_view();
}

#[wasm_bindgen_test]
fn cluster_lesson_runs_and_replays() {
    wasm_common::cluster_lesson_runs_and_replays();
}
