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
//! - [`yaml`]: the YAML tree with positions, bounded against hostile input.
//! - [`text`]: `command:` strings split into words, `$` interpolation, env files.

pub mod file;
pub mod images;
pub mod plan;
pub mod text;
pub mod yaml;

pub use file::{ComposeFile, Service};
pub use images::ConfigFile;
pub use plan::{plan, Mount, MountSource, NodeKind, Plan, Published, ServicePlan};

/// The tutorial's Compose file (`examples/docker-compose.yml`), built in so
/// the simulator and the browser can start from it.
pub fn tutorial_yaml() -> &'static str {
    include_str!("../../examples/docker-compose.yml")
}

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
/// A file with `env_file:` needs [`load_with_files`].
pub fn load(
    yaml: &str,
    project: &str,
    address: &dyn Fn(usize) -> String,
) -> Result<Plan, ComposeError> {
    load_with_files(yaml, project, address, &|path| {
        Err(format!("{path}: this host reads no files"))
    })
}

/// [`load`], reading `env_file:` files through `read` (a path relative to
/// the Compose file's folder → its text). Their variables come before the
/// service's `environment:`, which wins, as in Compose.
pub fn load_with_files(
    yaml: &str,
    project: &str,
    address: &dyn Fn(usize) -> String,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Plan, ComposeError> {
    let mut file = file::parse(yaml)?;
    for service in &mut file.services {
        let mut env = Vec::new();
        for path in &service.env_file {
            let fail = |e: String| {
                ComposeError(format!(
                    "service {:?}: env_file {path:?}: {e}",
                    service.name
                ))
            };
            let text = read(path).map_err(fail)?;
            env.extend(text::parse_env_file(&text).map_err(fail)?);
        }
        env.append(&mut service.environment);
        service.environment = env;
    }
    plan::plan(&file, project, address)
}

#[cfg(test)]
mod tests;
