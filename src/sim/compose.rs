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
    TUTORIAL_YAML
}

/// The tutorial's docker-compose.yml as the tutorial gives it: three
/// bitnami/redis:6.0 services and three bitnami/redis-sentinel:6.0 ones.
const TUTORIAL_YAML: &str = "version: '2'

networks:
  app-tier:
    driver: bridge

services:
  redis_master:
    image: 'bitnami/redis:6.0'
    environment:
      - REDIS_REPLICATION_MODE=master
      - ALLOW_EMPTY_PASSWORD=yes
    networks:
      - app-tier
    volumes:
      - redis_data:/bitnami/redis/data
  redis_slave1:
    image: 'bitnami/redis:6.0'
    environment:
      - REDIS_REPLICATION_MODE=slave
      - REDIS_MASTER_HOST=redis_master
      - ALLOW_EMPTY_PASSWORD=yes
    depends_on:
      - redis_master
    networks:
      - app-tier
  redis_slave2:
    image: 'bitnami/redis:6.0'
    environment:
      - REDIS_REPLICATION_MODE=slave
      - REDIS_MASTER_HOST=redis_master
      - ALLOW_EMPTY_PASSWORD=yes
    depends_on:
      - redis_master
    networks:
      - app-tier
  redis-sentinel1:
    image: 'bitnami/redis-sentinel:6.0'
    environment:
      - REDIS_MASTER_HOST=redis_master
    depends_on:
      - redis_master
      - redis_slave1
      - redis_slave2
    ports:
      - '26379:26379'
    networks:
      - app-tier
  redis-sentinel2:
    image: 'bitnami/redis-sentinel:6.0'
    environment:
      - REDIS_MASTER_HOST=redis_master
    depends_on:
      - redis_master
      - redis_slave1
      - redis_slave2
    ports:
      - '26380:26379'
    networks:
      - app-tier
  redis-sentinel3:
    image: 'bitnami/redis-sentinel:6.0'
    environment:
      - REDIS_MASTER_HOST=redis_master
    depends_on:
      - redis_master
      - redis_slave1
      - redis_slave2
    ports:
      - '26381:26379'
    networks:
      - app-tier

volumes:
  redis_data:
    driver: local
";

/// Parse and plan a Compose file for the simulator.
pub fn plan(yaml: &str) -> Result<Plan, String> {
    compose::load(yaml, PROJECT, &address).map_err(|e| e.to_string())
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
    let config = match s.kind {
        NodeKind::Server => s.config.clone(),
        NodeKind::Sentinel => monitor_by_address(&s.config, plan),
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

/// A sentinel without `resolve-hostnames yes` takes only addresses, so the
/// names in its `sentinel monitor` lines are resolved when it starts, as the
/// image's entrypoint does before it writes sentinel.conf; with the option
/// the names stay and the sentinel resolves them itself.
fn monitor_by_address(config: &str, plan: &Plan) -> String {
    let resolves = config.lines().any(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        w.len() == 3
            && w[0].eq_ignore_ascii_case("sentinel")
            && w[1].eq_ignore_ascii_case("resolve-hostnames")
            && w[2].eq_ignore_ascii_case("yes")
    });
    if resolves {
        return config.to_string();
    }
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
        let named = format!("sentinel resolve-hostnames yes\n{conf}");
        assert_eq!(monitor_by_address(&named, &plan), named);
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
