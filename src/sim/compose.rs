//! A Compose project as a simulated topology: one host per service, named
//! after the service, at the address the plan gives it, answering to the
//! service's names while it runs (Docker's embedded DNS), with the image's
//! banner lines first in its log and the machine's published ports
//! forwarded to it. The web UI and the tests build the same hosts from the
//! same file, as [`Action`]s, so a session replays like any other scenario.

use super::scenario::{apply, Action, NewHost, Outcome};
use super::{HostId, Sim};
use crate::compose::{self, NodeKind, Plan, ServicePlan};

/// The project's network in the simulator: the i-th service (file order)
/// gets 10.0.0.(i+2), as a Compose network hands out addresses after its gateway.
pub fn address(i: usize) -> String {
    format!("10.0.0.{}", i + 2)
}

/// The machine the services run on, as the simulated network sees it (its
/// LAN address): published ports are forwarded from here, and an address a
/// client outside the project can reach is one of this machine's ports.
pub const MACHINE_IP: &str = "192.168.1.10";

/// The project name the simulator and the page give a file without `name:`.
pub const PROJECT: &str = "sentinel-lab";

/// The tutorial's own Compose file, built in (the page's "tutorial's file").
pub fn tutorial_yaml() -> &'static str {
    compose::tutorial_yaml()
}

/// Parse and plan a Compose file for the simulator.
pub fn plan(yaml: &str) -> Result<Plan, String> {
    let plan = compose::load(yaml, PROJECT, &address).map_err(|e| e.to_string())?;
    // The simulator (and the browser) has no machine folder to read a
    // bind-mounted config file from.
    if let Some(s) = plan.services.iter().find(|s| s.config_file.is_some()) {
        let path = s
            .config_file
            .as_ref()
            .map(|f| f.path.as_str())
            .unwrap_or_default();
        return Err(format!(
            "service {:?} reads its config from the bind-mounted file {path}, which the simulator cannot read; \
             give its options in `command:` instead, or run the file with `sentinel-lab compose`",
            s.service
        ));
    }
    Ok(plan)
}

/// A Compose file's services as the actions that add them, in start order.
pub fn load(yaml: &str) -> Result<Vec<Action>, String> {
    Ok(actions(&plan(yaml)?))
}

/// The actions that add a plan's services, each after its `depends_on`.
pub fn actions(plan: &Plan) -> Vec<Action> {
    plan.start_order()
        .into_iter()
        .map(|s| Action::Add(new_host(plan, s)))
        .collect()
}

/// Add a plan's services to `sim`; the hosts in start order.
pub fn build(sim: &mut Sim, plan: &Plan) -> Result<Vec<HostId>, String> {
    let mut ids = Vec::new();
    for a in actions(plan) {
        match apply(sim, &a)? {
            Outcome::Host(h) => ids.push(h),
            other => return Err(format!("adding a service gave {other:?}")),
        }
    }
    Ok(ids)
}

fn new_host(plan: &Plan, s: &ServicePlan) -> NewHost {
    let kind = match s.kind {
        NodeKind::Server => "server",
        NodeKind::Sentinel => "sentinel",
    };
    let config = if s.resolve_at_start {
        monitor_by_address(&s.config, plan)
    } else {
        s.config.clone()
    };
    let mut h = NewHost::new(kind, &s.service, &s.ip, s.port, config);
    h.names = s.names.clone();
    h.banner = s.banner.clone();
    h.refusal = s.refusal.clone();
    h.published = s
        .published
        .iter()
        .filter(|p| p.container_port == s.port)
        .map(|p| (MACHINE_IP.to_string(), p.host_port))
        .collect();
    h
}

/// Redis 6.0's sentinel (bitnami's 6.0 images) turned the names in its
/// `sentinel monitor` lines into addresses while loading its config; the
/// plan says so with `resolve_at_start`, and the names are resolved when the
/// host is added. Newer sentinels keep names and `resolve-hostnames` decides.
fn monitor_by_address(config: &str, plan: &Plan) -> String {
    let mut out = String::new();
    for line in config.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let named = w.len() == 6
            && w[0].eq_ignore_ascii_case("sentinel")
            && w[1].eq_ignore_ascii_case("monitor")
            && w[3].parse::<std::net::IpAddr>().is_err();
        match plan.by_name(w.get(3).copied().unwrap_or_default()) {
            Some(target) if named => {
                let mut w = w.clone();
                w[3] = &target.ip;
                out.push_str(&w.join(" "));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, i: usize, kind: NodeKind, config: &str) -> ServicePlan {
        ServicePlan {
            service: name.into(),
            container_name: format!("{PROJECT}-{name}-1"),
            names: vec![name.into(), format!("{PROJECT}-{name}-1")],
            ip: address(i),
            kind,
            image: String::new(),
            port: if kind == NodeKind::Server {
                6379
            } else {
                26379
            },
            config: config.into(),
            data_dir: String::new(),
            published: Vec::new(),
            mounts: Vec::new(),
            depends_on: Vec::new(),
            banner: Vec::new(),
            refusal: None,
            ..Default::default()
        }
    }

    #[test]
    fn monitor_lines_get_the_address_unless_the_sentinel_resolves_names() {
        let plan = Plan {
            project: PROJECT.into(),
            services: vec![service("redis_master", 0, NodeKind::Server, "")],
            volumes: Vec::new(),
        };
        let conf = "port 26379\nsentinel monitor mymaster redis_master 6379 2\n";
        assert_eq!(
            monitor_by_address(conf, &plan),
            "port 26379\nsentinel monitor mymaster 10.0.0.2 6379 2\n"
        );
    }

    #[test]
    fn services_start_after_what_they_depend_on() {
        let mut replica = service("redis_slave1", 1, NodeKind::Server, "");
        replica.depends_on = vec!["redis_master".into()];
        let plan = Plan {
            project: PROJECT.into(),
            services: vec![replica, service("redis_master", 0, NodeKind::Server, "")],
            volumes: Vec::new(),
        };
        let names: Vec<String> = actions(&plan)
            .into_iter()
            .map(|a| match a {
                Action::Add(h) => h.name,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["redis_master", "redis_slave1"]);
    }
}
