//! sentinel-lab: a Redis-compatible server, replication and Sentinel written as
//! a sans-IO core (no sockets, clocks, threads or ambient randomness), hosted
//! natively on tokio, in WebAssembly, and in a deterministic simulator.

/// The Redis version this crate is compatible with, as a literal (for
/// `concat!`); everything else uses [`REDIS_VERSION`].
#[macro_export]
macro_rules! redis_version {
    () => {
        "7.0.15"
    };
}

/// The Redis version this crate is compatible with: what INFO, HELLO, `-v`,
/// the logs, RDB files and config-file errors report.
pub const REDIS_VERSION: &str = redis_version!();

pub mod acl;
pub mod calendar;
pub mod coldsort;
pub mod commands;
pub mod compose;
pub mod keyspace;
pub mod node;
pub mod rdb;
pub mod replication;
pub mod resp;
pub mod rng;
pub mod scripting;
pub mod sentinel;
pub mod server;
pub mod sim;
pub mod vecmap;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
