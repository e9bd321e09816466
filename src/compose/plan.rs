//! [`ComposeFile`] → [`Plan`]: each service's address, names, node kind,
//! config, ports and volumes.

use super::file::is_path;
use super::images::{self, ConfigFile};
use super::{ComposeError, ComposeFile};

/// What a service runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NodeKind {
    #[default]
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// Host names stay names here; a host resolves them when the node starts
    /// (see `resolve_at_start`). `bind` is what the image writes (`0.0.0.0`:
    /// every address of the container); a host binds the service's `ip`.
    /// With `config_file`, this is what follows the file's text.
    pub config: String,
    /// A config file named on the command line (`redis-server /etc/redis.conf`,
    /// `redis-sentinel /etc/sentinel.conf`): the host reads it through `mounts`
    /// and builds the whole text with [`images::with_file`]; a sentinel
    /// rewrites that file. A `port` set only in that file is not in `port`.
    pub config_file: Option<ConfigFile>,
    /// The host names in `sentinel monitor` lines are turned into addresses
    /// when the node starts, as Redis 6.0's sentinel did while loading its
    /// config (bitnami/redis-sentinel 6.0 and older); otherwise names stay
    /// names and `sentinel resolve-hostnames` decides.
    pub resolve_at_start: bool,
    /// The image waits until this `(host, port)` accepts connections before
    /// the server starts (a bitnami replica waits for its master).
    pub wait_for: Option<(String, u16)>,
    /// Where the image keeps its data inside the container (`/bitnami/redis/data`, `/data`):
    /// the node's `dir` is the mount covering it, if any.
    pub data_dir: String,
    pub published: Vec<Published>,
    pub mounts: Vec<Mount>,
    /// Services to start first.
    pub depends_on: Vec<String>,
    /// Lines the image's entrypoint prints before the server's own log, as
    /// the image prints them, with [`images::TIME`] where the time goes
    /// ([`ServicePlan::banner_at`]).
    pub banner: Vec<String>,
    /// The image refuses to start (bitnami without a password and without
    /// ALLOW_EMPTY_PASSWORD): the lines its checks print after `banner`,
    /// before it exits 1.
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

impl ServicePlan {
    /// The machine path (relative to the Compose file) of the bind mount
    /// that provides `config_file`, if the command names one and a volume mounts it.
    pub fn config_file_source(&self) -> Option<&str> {
        let f = self.config_file.as_ref()?;
        self.mounts.iter().find_map(|m| match &m.source {
            MountSource::Bind(path) if m.target == f.path => Some(path.as_str()),
            _ => None,
        })
    }

    /// `banner` with the time filled in (milliseconds since midnight).
    pub fn banner_at(&self, millis_of_day: u64) -> Vec<String> {
        images::stamp(&self.banner, millis_of_day)
    }

    /// `refusal` with the time filled in.
    pub fn refusal_at(&self, millis_of_day: u64) -> Option<Vec<String>> {
        self.refusal
            .as_ref()
            .map(|lines| images::stamp(lines, millis_of_day))
    }
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

/// Services in one project: each gets an address in a /24 (x.x.x.2 upwards).
pub const MAX_SERVICES: usize = 250;

/// Plan a parsed Compose file. `address(i)` gives the i-th service its
/// address. The project is the file's `name:` when it has one.
pub fn plan(
    file: &ComposeFile,
    project: &str,
    address: &dyn Fn(usize) -> String,
) -> Result<Plan, ComposeError> {
    let project = file.name.as_deref().unwrap_or(project).to_string();
    if file.services.len() > MAX_SERVICES {
        return Err(ComposeError(format!(
            "{} services: at most {MAX_SERVICES} fit in one project's network",
            file.services.len()
        )));
    }
    let known = |name: &str| file.services.iter().any(|s| s.name == name);
    for s in &file.services {
        for d in &s.depends_on {
            if !known(d) {
                return Err(ComposeError(format!(
                    "service {:?} depends on undefined service {d:?}: invalid compose project",
                    s.name
                )));
            }
        }
        for n in &s.networks {
            if n != "default" && !file.networks.contains(n) {
                return Err(ComposeError(format!(
                    "service {:?} refers to undefined network {n}: invalid compose project",
                    s.name
                )));
            }
        }
    }
    if let Some(cycle) = dependency_cycle(file) {
        return Err(ComposeError(format!(
            "dependency cycle detected: {}",
            cycle.join(" -> ")
        )));
    }

    let mut services: Vec<ServicePlan> = Vec::new();
    for (i, s) in file.services.iter().enumerate() {
        let ip = address(i);
        let container_name = s
            .container_name
            .clone()
            .unwrap_or_else(|| format!("{project}-{}-1", s.name));
        if let Some(other) = services.iter().find(|o| o.container_name == container_name) {
            return Err(ComposeError(format!(
                "services {:?} and {:?} both have the container name {container_name:?}",
                other.service, s.name
            )));
        }
        let mut names = vec![s.name.clone()];
        names.extend(
            [Some(container_name.clone()), s.hostname.clone()]
                .into_iter()
                .flatten(),
        );
        names.extend(s.aliases.iter().cloned());
        let mut seen = Vec::new();
        names.retain(|n| {
            let fresh = !seen.contains(n);
            seen.push(n.clone());
            fresh
        });

        let mut published: Vec<Published> = Vec::new();
        for (host_ip, host_port, container_port) in &s.ports {
            let p = Published {
                host_ip: if host_ip.is_empty() {
                    "127.0.0.1".to_string()
                } else {
                    host_ip.clone()
                },
                host_port: *host_port,
                container_port: *container_port,
            };
            let taken = services
                .iter()
                .map(|o| (o.service.as_str(), &o.published))
                .chain([(s.name.as_str(), &published)])
                .find(|(_, ps)| {
                    p.host_port != 0
                        && ps
                            .iter()
                            .any(|q| q.host_port == p.host_port && q.host_ip == p.host_ip)
                });
            if let Some((other, _)) = taken {
                return Err(ComposeError(format!(
                    "service {:?}: {}:{} is already published by service {other:?}",
                    s.name, p.host_ip, p.host_port
                )));
            }
            published.push(p);
        }

        let mut mounts = Vec::new();
        for (source, target, read_only) in &s.volumes {
            let source = if is_path(source) {
                MountSource::Bind(source.clone())
            } else if file.volumes.contains(source) {
                MountSource::Volume(source.clone())
            } else {
                return Err(ComposeError(format!(
                    "service {:?} refers to undefined volume {source}: invalid compose project",
                    s.name
                )));
            };
            mounts.push(Mount {
                source,
                target: target.clone(),
                read_only: *read_only,
            });
        }

        let entry = images::entrypoint(&s.image, &s.environment, s.command.as_deref(), &ip)
            .map_err(|e| ComposeError(format!("service {:?}: {e}", s.name)))?;
        services.push(ServicePlan {
            service: s.name.clone(),
            container_name,
            names,
            ip,
            kind: entry.kind,
            image: s.image.clone(),
            port: entry.port,
            config: entry.config,
            config_file: entry.config_file,
            resolve_at_start: entry.resolve_at_start,
            wait_for: entry.wait_for,
            data_dir: entry.data_dir,
            published,
            mounts,
            depends_on: s.depends_on.clone(),
            banner: entry.banner,
            refusal: entry.refusal,
        });
    }
    // Names are one namespace in the project's network.
    for (i, a) in services.iter().enumerate() {
        for b in &services[i + 1..] {
            if let Some(n) = a.names.iter().find(|n| b.names.contains(n)) {
                return Err(ComposeError(format!(
                    "services {:?} and {:?} both answer to the name {n:?}",
                    a.service, b.service
                )));
            }
        }
    }
    Ok(Plan {
        project,
        services,
        volumes: file.volumes.clone(),
    })
}

/// A `depends_on` cycle, as the path that closes it (`a -> b -> a`).
fn dependency_cycle(file: &ComposeFile) -> Option<Vec<String>> {
    fn visit<'a>(
        file: &'a ComposeFile,
        name: &'a str,
        path: &mut Vec<&'a str>,
        done: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| *p == name) {
            let mut cycle: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
            cycle.push(name.to_string());
            return Some(cycle);
        }
        if done.contains(&name) {
            return None;
        }
        path.push(name);
        let service = file.services.iter().find(|s| s.name == name)?;
        for d in &service.depends_on {
            if let Some(c) = visit(file, d, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.push(name);
        None
    }
    let mut done = Vec::new();
    for s in &file.services {
        if let Some(c) = visit(file, &s.name, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}
