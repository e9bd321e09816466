//! Docker Compose files as a topology, without Docker.
//!
//! A Compose file (the Compose spec's fields that matter for Redis: services,
//! image, environment, env_file, ports, volumes, depends_on, command, networks,
//! container_name, hostname) becomes a [`Plan`]: for each service, what it
//! runs (our server or our sentinel), the config its image's entrypoint would
//! write, the names that resolve to it inside the project's network, its
//! published ports and its volumes. The plan is pure data, so every host
//! builds the same topology from the same file: the native runner
//! (`sentinel-lab compose`), the simulator and the browser.
//!
//! - [`file`]: YAML → [`ComposeFile`], the Compose spec's shapes (lists or
//!   maps, short or long syntax) normalised.
//! - [`images`]: what an image's entrypoint does with its environment
//!   (bitnami/redis, bitnami/redis-sentinel, the official redis image).
//! - [`plan`]: [`ComposeFile`] → [`Plan`], addresses and names.

pub mod file;
pub mod images;
pub mod plan;
pub mod text;
pub mod yaml;

pub use file::{ComposeFile, Service};
pub use plan::{plan, Mount, MountSource, NodeKind, Plan, Published, ServicePlan};

/// What is wrong with a Compose file, named so a person can fix it
/// (`service "redis_master": unsupported field "build"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeError(pub String);

impl std::fmt::Display for ComposeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ComposeError {}

/// Parse a Compose file and plan it: the one call most hosts need.
/// `address(i)` gives the i-th service (in file order) its network address
/// (natively 127.0.0.(i+2), in the simulator and browser 10.0.0.(i+2)).
pub fn load(
    yaml: &str,
    project: &str,
    address: &dyn Fn(usize) -> String,
) -> Result<Plan, ComposeError> {
    let file = file::parse(yaml)?;
    plan::plan(&file, project, address)
}
