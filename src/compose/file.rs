//! The Compose file itself: YAML → [`ComposeFile`].
//!
//! Accepts the Compose spec's alternative shapes and normalises them:
//! `environment` as a list (`KEY=value`) or a map, `ports` short
//! (`"26379:26379"`) or long syntax, `volumes` short (`name:/path[:ro]`) or
//! long, `depends_on` as a list or a map of conditions, `command` as a string
//! or a list. Fields that change nothing here (`version`, `restart`,
//! `networks` drivers, ...) are accepted; a field we cannot honour is an error
//! naming it. Values are interpolated as Compose does (`$$`, `${VAR:-default}`);
//! a variable without a default is an error, there being no shell to read.

use super::text::{interpolate, split_words};
use super::yaml::{self, Node, Value};
use super::ComposeError;

/// One `services:` entry, normalised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub image: String,
    /// In file order; later entries win, env_file entries come first.
    pub environment: Vec<(String, String)>,
    /// `env_file` paths, relative to the Compose file (read by the host).
    pub env_file: Vec<String>,
    /// `(host_ip, host_port, container_port)`; host_ip empty when unset,
    /// host_port 0 when unset (`"6379"` alone: Docker picks a free port).
    pub ports: Vec<(String, u16, u16)>,
    /// `(source, target, read_only)`; a source without `/` or `.` is a named volume.
    pub volumes: Vec<(String, String, bool)>,
    pub depends_on: Vec<String>,
    /// `command:` split into words (a string is split as the shell would, without expansions).
    pub command: Option<Vec<String>>,
    pub networks: Vec<String>,
    /// `networks: {name: {aliases: [...]}}`: more names for the service.
    pub aliases: Vec<String>,
    pub container_name: Option<String>,
    pub hostname: Option<String>,
}

/// A whole Compose file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComposeFile {
    /// The top-level `name:`, if any (the project name otherwise comes from the directory).
    pub name: Option<String>,
    /// In file order.
    pub services: Vec<Service>,
    /// Top-level named volumes.
    pub volumes: Vec<String>,
    pub networks: Vec<String>,
}

/// Parse a Compose file's text.
pub fn parse(text: &str) -> Result<ComposeFile, ComposeError> {
    let root =
        yaml::parse(text)?.ok_or_else(|| ComposeError("the Compose file is empty".into()))?;
    let Some(top) = root.as_map() else {
        return Err(ComposeError(format!(
            "{}: the top level must be a map (services:, volumes:, ...), not {}",
            root.at(),
            root.kind()
        )));
    };
    let mut file = ComposeFile::default();
    let mut services = None;
    for (key, node) in top {
        match key.as_str() {
            "name" => file.name = Some(string("name", node)?),
            // Obsolete in the Compose spec; Compose ignores it too.
            "version" => {}
            "services" => services = Some(node),
            "volumes" => file.volumes = top_level_names("volumes", node, TOP_VOLUME_FIELDS)?,
            "networks" => file.networks = top_level_names("networks", node, TOP_NETWORK_FIELDS)?,
            k if k.starts_with("x-") => {}
            other => {
                return Err(ComposeError(format!(
                    "unsupported top-level field {other:?} ({})",
                    node.at()
                )))
            }
        }
    }
    let Some(services) = services else {
        return Err(ComposeError("the Compose file has no services".into()));
    };
    let entries = match &services.value {
        Value::Map(entries) if !entries.is_empty() => entries,
        Value::Map(_) | Value::Null => {
            return Err(ComposeError("the Compose file has no services".into()))
        }
        _ => return Err(wrong("services", services, "a map of services")),
    };
    for (name, node) in entries {
        file.services.push(service(name, node)?);
    }
    Ok(file)
}

const TOP_VOLUME_FIELDS: &[&str] = &["driver", "driver_opts", "labels", "name"];
// Every service shares one network here, so a network's settings change nothing.
const TOP_NETWORK_FIELDS: &[&str] = &[
    "driver",
    "driver_opts",
    "labels",
    "name",
    "attachable",
    "internal",
    "enable_ipv6",
    "ipam",
    "external",
];

/// Fields accepted with no effect here: no container runtime to restart,
/// health-check, label or log through a driver.
const NO_EFFECT_FIELDS: &[&str] = &[
    "restart",
    "healthcheck",
    "labels",
    "logging",
    "expose",
    "tty",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
];

fn service(name: &str, node: &Node) -> Result<Service, ComposeError> {
    let ctx = format!("service {name:?}");
    if !valid_name(name) {
        return Err(ComposeError(format!(
            "{ctx}: a service name uses letters, digits, '.', '_' and '-' and starts with a letter or digit"
        )));
    }
    let Some(fields) = node.as_map() else {
        return Err(wrong(&ctx, node, "a map of fields"));
    };
    let mut s = Service {
        name: name.to_string(),
        ..Service::default()
    };
    let mut image = None;
    for (field, v) in fields {
        let ctx = format!("{ctx}: {field}");
        match field.as_str() {
            "image" => image = Some(string(&ctx, v)?),
            "environment" => s.environment = environment(&ctx, v)?,
            "env_file" => s.env_file = env_file(&ctx, v)?,
            "ports" => {
                for item in list(&ctx, v)? {
                    s.ports.push(port(&ctx, item)?);
                }
            }
            "volumes" => {
                for item in list(&ctx, v)? {
                    s.volumes.push(volume(&ctx, item)?);
                }
            }
            "depends_on" => s.depends_on = depends_on(&ctx, v)?,
            "command" => {
                s.command = match &v.value {
                    Value::Null => None,
                    Value::Scalar { .. } => {
                        let text = string(&ctx, v)?;
                        Some(split_words(&text).map_err(|e| at(&ctx, v, &e))?)
                    }
                    Value::Seq(items) => Some(
                        items
                            .iter()
                            .map(|i| string(&ctx, i))
                            .collect::<Result<_, _>>()?,
                    ),
                    Value::Map(_) => return Err(wrong(&ctx, v, "a string or a list")),
                }
            }
            "networks" => networks(&ctx, v, &mut s)?,
            "container_name" => s.container_name = Some(string(&ctx, v)?),
            "hostname" => s.hostname = Some(string(&ctx, v)?),
            f if NO_EFFECT_FIELDS.contains(&f) || f.starts_with("x-") => {}
            other => {
                return Err(ComposeError(format!(
                    "service {name:?}: unsupported field {other:?} ({})",
                    v.at()
                )))
            }
        }
    }
    s.image = image.ok_or_else(|| {
        ComposeError(format!(
            "service {name:?}: no image (building images is not supported; name one with image:)"
        ))
    })?;
    if s.image.is_empty() {
        return Err(ComposeError(format!("service {name:?}: image is empty")));
    }
    Ok(s)
}

/// Compose's rule for service and volume names.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn at(ctx: &str, node: &Node, msg: &str) -> ComposeError {
    ComposeError(format!("{ctx}: {msg} ({})", node.at()))
}

fn wrong(ctx: &str, node: &Node, expected: &str) -> ComposeError {
    at(
        ctx,
        node,
        &format!("expected {expected}, found {}", node.kind()),
    )
}

/// A scalar's text, interpolated.
fn string(ctx: &str, node: &Node) -> Result<String, ComposeError> {
    match &node.value {
        Value::Scalar { text, .. } => interpolate(text).map_err(|e| at(ctx, node, &e)),
        _ => Err(wrong(ctx, node, "a single value")),
    }
}

/// A list's items (nothing at all is an empty list).
fn list<'a>(ctx: &str, node: &'a Node) -> Result<&'a [Node], ComposeError> {
    match &node.value {
        Value::Seq(items) => Ok(items),
        Value::Null => Ok(&[]),
        _ => Err(wrong(ctx, node, "a list")),
    }
}

fn boolean(ctx: &str, node: &Node) -> Result<bool, ComposeError> {
    match string(ctx, node)?.as_str() {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        other => Err(at(
            ctx,
            node,
            &format!("expected true or false, found {other:?}"),
        )),
    }
}

/// Check a long-syntax map's keys against what we accept.
fn fields<'a>(
    ctx: &str,
    node: &'a Node,
    allowed: &[&str],
) -> Result<&'a [(String, Node)], ComposeError> {
    let Some(entries) = node.as_map() else {
        return Err(wrong(ctx, node, "a map"));
    };
    for (k, v) in entries {
        if !allowed.contains(&k.as_str()) && !k.starts_with("x-") {
            return Err(at(ctx, v, &format!("unsupported field {k:?}")));
        }
    }
    Ok(entries)
}

fn get<'a>(entries: &'a [(String, Node)], key: &str) -> Option<&'a Node> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The names declared under a top-level `volumes:` or `networks:`.
fn top_level_names(what: &str, node: &Node, allowed: &[&str]) -> Result<Vec<String>, ComposeError> {
    let entries = match &node.value {
        Value::Null => return Ok(Vec::new()),
        Value::Map(entries) => entries,
        _ => return Err(wrong(what, node, "a map")),
    };
    let mut names = Vec::new();
    for (name, v) in entries {
        let ctx = format!("{what} {name:?}");
        if !valid_name(name) {
            return Err(at(&ctx, v, "invalid name"));
        }
        if !matches!(v.value, Value::Null) {
            let f = fields(&ctx, v, allowed)?;
            if what == "volumes" {
                // Compose would use a volume made outside the project; there is none here.
                if let Some(e) = get(f, "external") {
                    if boolean(&ctx, e)? {
                        return Err(at(&ctx, e, "external volumes are not supported"));
                    }
                }
            }
        }
        names.push(name.clone());
    }
    Ok(names)
}

fn environment(ctx: &str, node: &Node) -> Result<Vec<(String, String)>, ComposeError> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |key: String, value: String, node: &Node| {
        if key.is_empty() {
            return Err(at(ctx, node, "a variable needs a name"));
        }
        env.retain(|(k, _)| *k != key);
        env.push((key, value));
        Ok(())
    };
    match &node.value {
        Value::Null => {}
        Value::Map(entries) => {
            for (k, v) in entries {
                match &v.value {
                    // `KEY:` with no value: Compose takes it from the shell; there is none.
                    Value::Null => {}
                    Value::Scalar { .. } => set(k.clone(), string(ctx, v)?, v)?,
                    _ => return Err(wrong(&format!("{ctx}: {k}"), v, "a single value")),
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                let entry = string(ctx, item)?;
                // `KEY` alone: from the shell in Compose; left unset here.
                if let Some((k, v)) = entry.split_once('=') {
                    set(k.to_string(), v.to_string(), item)?;
                }
            }
        }
        Value::Scalar { .. } => return Err(wrong(ctx, node, "a list or a map")),
    }
    Ok(env)
}

fn env_file(ctx: &str, node: &Node) -> Result<Vec<String>, ComposeError> {
    match &node.value {
        Value::Null => Ok(Vec::new()),
        Value::Scalar { .. } => Ok(vec![string(ctx, node)?]),
        Value::Seq(items) => items
            .iter()
            .map(|item| match &item.value {
                Value::Map(_) => {
                    let f = fields(ctx, item, &["path", "required", "format"])?;
                    let path =
                        get(f, "path").ok_or_else(|| at(ctx, item, "an entry needs a path"))?;
                    string(ctx, path)
                }
                _ => string(ctx, item),
            })
            .collect(),
        Value::Map(_) => Err(wrong(ctx, node, "a path or a list of paths")),
    }
}

fn port_number(ctx: &str, node: &Node, text: &str) -> Result<u16, ComposeError> {
    if text.contains('-') && !text.starts_with('-') {
        return Err(at(
            ctx,
            node,
            &format!("port ranges ({text:?}) are not supported"),
        ));
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(at(
            ctx,
            node,
            &format!("invalid port {text:?} (1 to 65535)"),
        )),
    }
}

fn port(ctx: &str, node: &Node) -> Result<(String, u16, u16), ComposeError> {
    if let Value::Map(_) = node.value {
        let f = fields(
            ctx,
            node,
            &[
                "target",
                "published",
                "host_ip",
                "protocol",
                "mode",
                "name",
                "app_protocol",
            ],
        )?;
        if let Some(p) = get(f, "protocol") {
            protocol(ctx, p, &string(ctx, p)?)?;
        }
        let target =
            get(f, "target").ok_or_else(|| at(ctx, node, "a long-syntax port needs a target"))?;
        let target = port_number(ctx, target, &string(ctx, target)?)?;
        let published = match get(f, "published") {
            None => 0,
            Some(p) => match string(ctx, p)?.as_str() {
                "" => 0,
                text => port_number(ctx, p, text)?,
            },
        };
        let host_ip = match get(f, "host_ip") {
            Some(ip) => string(ctx, ip)?,
            None => String::new(),
        };
        return Ok((host_ip, published, target));
    }
    let text = string(ctx, node)?;
    let (spec, proto) = match text.rsplit_once('/') {
        Some((spec, proto)) => (spec, Some(proto)),
        None => (text.as_str(), None),
    };
    if let Some(proto) = proto {
        protocol(ctx, node, proto)?;
    }
    // `[host_ip:][host_port:]container_port`, an IPv6 host_ip in brackets.
    let (host_ip, rest) = match spec.strip_prefix('[') {
        Some(v6) => {
            let Some((ip, rest)) = v6.split_once("]:") else {
                return Err(at(ctx, node, &format!("invalid port mapping {text:?}")));
            };
            (ip.to_string(), rest)
        }
        None => match spec.matches(':').count() {
            2 => {
                let (ip, rest) = spec.split_once(':').expect("two colons");
                (ip.to_string(), rest)
            }
            0 | 1 => (String::new(), spec),
            _ => return Err(at(ctx, node, &format!("invalid port mapping {text:?}"))),
        },
    };
    let (host, container) = match rest.split_once(':') {
        Some((h, c)) => (h, c),
        None if host_ip.is_empty() => ("", rest),
        None => return Err(at(ctx, node, &format!("invalid port mapping {text:?}"))),
    };
    let container = port_number(ctx, node, container)?;
    let host = if host.is_empty() {
        0
    } else {
        port_number(ctx, node, host)?
    };
    Ok((host_ip, host, container))
}

fn protocol(ctx: &str, node: &Node, proto: &str) -> Result<(), ComposeError> {
    if proto.eq_ignore_ascii_case("tcp") {
        Ok(())
    } else {
        Err(at(
            ctx,
            node,
            &format!("protocol {proto:?} is not supported (Redis speaks tcp)"),
        ))
    }
}

/// A volume source that is a path on the machine rather than a volume name (Compose's rule).
pub fn is_path(source: &str) -> bool {
    source.starts_with('.') || source.starts_with('/') || source.starts_with('~')
}

fn volume(ctx: &str, node: &Node) -> Result<(String, String, bool), ComposeError> {
    let (source, target, read_only, bind) = if let Value::Map(_) = node.value {
        let f = fields(
            ctx,
            node,
            &[
                "type",
                "source",
                "target",
                "read_only",
                "bind",
                "volume",
                "consistency",
            ],
        )?;
        let kind = match get(f, "type") {
            Some(t) => string(ctx, t)?,
            None => {
                return Err(at(
                    ctx,
                    node,
                    "a long-syntax volume needs a type (volume or bind)",
                ))
            }
        };
        if kind != "volume" && kind != "bind" {
            return Err(at(
                ctx,
                node,
                &format!("volume type {kind:?} is not supported (volume or bind)"),
            ));
        }
        let source = match get(f, "source") {
            Some(s) => string(ctx, s)?,
            None => String::new(),
        };
        let target = match get(f, "target") {
            Some(t) => string(ctx, t)?,
            None => return Err(at(ctx, node, "a volume needs a target")),
        };
        let read_only = match get(f, "read_only") {
            Some(r) => boolean(ctx, r)?,
            None => false,
        };
        (source, target, read_only, kind == "bind")
    } else {
        let text = string(ctx, node)?;
        let parts: Vec<&str> = text.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [target] => ("", *target, ""),
            [source, target] => (*source, *target, ""),
            [source, target, mode] => (*source, *target, *mode),
            _ => return Err(at(ctx, node, &format!("invalid volume {text:?}"))),
        };
        let mut read_only = false;
        for option in mode.split(',').filter(|o| !o.is_empty()) {
            match option {
                "ro" => read_only = true,
                // SELinux labels, macOS consistency and nocopy change nothing here.
                "rw" | "z" | "Z" | "cached" | "delegated" | "consistent" | "nocopy" => {}
                other => return Err(at(ctx, node, &format!("unknown volume option {other:?}"))),
            }
        }
        (
            source.to_string(),
            target.to_string(),
            read_only,
            is_path(source),
        )
    };
    if source.is_empty() {
        return Err(at(
            ctx,
            node,
            &format!("anonymous volumes ({target:?} without a source) are not supported; name the volume"),
        ));
    }
    if !target.starts_with('/') {
        return Err(at(
            ctx,
            node,
            &format!("the target {target:?} must be an absolute path"),
        ));
    }
    if bind && !is_path(&source) {
        // Keep the "path means bind" rule the planner relies on.
        return Ok((format!("./{source}"), target, read_only));
    }
    if !bind && (is_path(&source) || !valid_name(&source)) {
        return Err(at(ctx, node, &format!("invalid volume name {source:?}")));
    }
    Ok((source, target, read_only))
}

fn depends_on(ctx: &str, node: &Node) -> Result<Vec<String>, ComposeError> {
    match &node.value {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items.iter().map(|i| string(ctx, i)).collect(),
        Value::Map(entries) => {
            let mut names = Vec::new();
            for (name, v) in entries {
                if let Value::Map(_) = v.value {
                    let f = fields(ctx, v, &["condition", "restart", "required"])?;
                    if let Some(c) = get(f, "condition") {
                        let condition = string(ctx, c)?;
                        if !matches!(
                            condition.as_str(),
                            "service_started"
                                | "service_healthy"
                                | "service_completed_successfully"
                        ) {
                            return Err(at(ctx, c, &format!("unknown condition {condition:?}")));
                        }
                    }
                } else if !matches!(v.value, Value::Null) {
                    return Err(wrong(ctx, v, "a map (condition:)"));
                }
                names.push(name.clone());
            }
            Ok(names)
        }
        Value::Scalar { .. } => Err(wrong(ctx, node, "a list or a map")),
    }
}

fn networks(ctx: &str, node: &Node, s: &mut Service) -> Result<(), ComposeError> {
    match &node.value {
        Value::Null => {}
        Value::Seq(items) => {
            for item in items {
                s.networks.push(string(ctx, item)?);
            }
        }
        Value::Map(entries) => {
            for (name, v) in entries {
                if let Value::Map(_) = v.value {
                    // Addresses are the host's to give: a fixed ipv4_address cannot be honoured.
                    let f = fields(ctx, v, &["aliases", "priority"])?;
                    if let Some(aliases) = get(f, "aliases") {
                        for a in list(ctx, aliases)? {
                            s.aliases.push(string(ctx, a)?);
                        }
                    }
                } else if !matches!(v.value, Value::Null) {
                    return Err(wrong(ctx, v, "a map (aliases:)"));
                }
                s.networks.push(name.clone());
            }
        }
        Value::Scalar { .. } => return Err(wrong(ctx, node, "a list or a map")),
    }
    Ok(())
}
