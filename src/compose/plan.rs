//! [`ComposeFile`] → [`Plan`]: each service's address, names, node kind,
//! config, ports and volumes.

use super::{ComposeError, ComposeFile};

/// What a service runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Server,
    Sentinel,
}

/// A published port: `host_ip:host_port` on the machine → `container_port` on the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// `127.0.0.1` when the file does not say.
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountSource {
    /// A named volume (lives under the project's state folder).
    Volume(String),
    /// A bind mount: a path on the machine, relative to the Compose file's folder.
    Bind(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub source: MountSource,
    /// The path inside the container.
    pub target: String,
    pub read_only: bool,
}

/// One service, ready to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePlan {
    /// The service's key in the file (`redis_master`).
    pub service: String,
    /// `container_name`, or Compose v2's `<project>-<service>-1`.
    pub container_name: String,
    /// Every name that resolves to this service inside the network while it
    /// runs: service name, container name, hostname.
    pub names: Vec<String>,
    /// Its address in the project's network.
    pub ip: String,
    pub kind: NodeKind,
    pub image: String,
    /// The port it listens on inside its "container" (6379, 26379, or the image's port variable).
    pub port: u16,
    /// The config file its image's entrypoint writes (redis.conf or sentinel.conf text).
    /// Host names stay names here; a host resolves them when the node starts.
    pub config: String,
    /// Where the image keeps its data inside the container (`/bitnami/redis/data`, `/data`):
    /// the node's `dir` is the mount covering it, if any.
    pub data_dir: String,
    pub published: Vec<Published>,
    pub mounts: Vec<Mount>,
    /// Services to start first.
    pub depends_on: Vec<String>,
    /// Lines the image's entrypoint prints before the server's own log, as the image prints them.
    pub banner: Vec<String>,
    /// The image refuses to start (bitnami without a password and without
    /// ALLOW_EMPTY_PASSWORD): the lines it prints before exiting 1.
    pub refusal: Option<Vec<String>>,
}

/// A whole project, ready to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub project: String,
    /// In file order.
    pub services: Vec<ServicePlan>,
    /// Named volumes.
    pub volumes: Vec<String>,
}

impl Plan {
    pub fn service(&self, name: &str) -> Option<&ServicePlan> {
        self.services.iter().find(|s| s.service == name)
    }

    /// The service a name (service, container name or hostname) resolves to.
    pub fn by_name(&self, name: &str) -> Option<&ServicePlan> {
        self.services
            .iter()
            .find(|s| s.names.iter().any(|n| n == name))
    }

    /// Services in an order that starts each after its `depends_on`.
    pub fn start_order(&self) -> Vec<&ServicePlan> {
        let mut done: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        while out.len() < self.services.len() {
            let before = out.len();
            for s in &self.services {
                if !done.contains(&s.service.as_str())
                    && s.depends_on.iter().all(|d| done.contains(&d.as_str()))
                {
                    done.push(&s.service);
                    out.push(s);
                }
            }
            if out.len() == before {
                // A cycle or an unknown dependency (plan() rejects both): file order for the rest.
                for s in &self.services {
                    if !done.contains(&s.service.as_str()) {
                        done.push(&s.service);
                        out.push(s);
                    }
                }
            }
        }
        out
    }
}

/// Plan a parsed Compose file. `address(i)` gives the i-th service its address.
pub fn plan(
    file: &ComposeFile,
    project: &str,
    address: &dyn Fn(usize) -> String,
) -> Result<Plan, ComposeError> {
    let _ = (file, address);
    Err(ComposeError(format!(
        "project {project}: compose files are not planned yet"
    )))
}
