//! Ready-made topologies, shared by tests, the wasm API and the web UI.

use super::{factory, HostId, NodeSpec, Sim};
use crate::node::{Addr, Millis};

/// 2026-01-01 00:00:00 UTC: where simulated clocks start.
pub const EPOCH: Millis = 1_767_225_600_000;

/// Sentinel timings of the tutorial topology.
#[derive(Clone, Debug)]
pub struct SentinelSettings {
    pub quorum: u32,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    pub parallel_syncs: u32,
}

impl Default for SentinelSettings {
    fn default() -> Self {
        SentinelSettings {
            quorum: 2,
            down_after_ms: 5000,
            failover_timeout_ms: 10000,
            parallel_syncs: 1,
        }
    }
}

/// The hosts of the tutorial topology, by role.
#[derive(Clone, Debug)]
pub struct Tutorial {
    pub master: HostId,
    pub replicas: Vec<HostId>,
    pub sentinels: Vec<HostId>,
}

pub fn server_conf(replicaof: Option<&str>) -> String {
    let mut c = String::from("port 6379\nprotected-mode no\nsave \"\"\n");
    if let Some(m) = replicaof {
        c.push_str(&format!("replicaof {m} 6379\n"));
    }
    c
}

pub fn sentinel_conf(master_ip: &str, s: &SentinelSettings) -> String {
    format!(
        "port 26379\nsentinel monitor mymaster {master_ip} 6379 {q}\nsentinel down-after-milliseconds mymaster {d}\nsentinel failover-timeout mymaster {f}\nsentinel parallel-syncs mymaster {p}\n",
        q = s.quorum,
        d = s.down_after_ms,
        f = s.failover_timeout_ms,
        p = s.parallel_syncs
    )
}

fn add(sim: &mut Sim, name: &str, kind: &str, ip: &str, port: u16, config: String) -> HostId {
    let spec = NodeSpec {
        name: name.into(),
        kind: kind.into(),
        config,
    };
    sim.add_host(spec, Addr::new(ip, port), factory::for_kind(kind))
}

/// The tutorial's topology: `redis_master`, `redis_slave1..2`, `redis-sentinel1..3`
/// on 172.24.0.x, quorum 2, master name `mymaster`.
pub fn tutorial(sim: &mut Sim, settings: &SentinelSettings) -> Tutorial {
    let master = add(
        sim,
        "redis_master",
        "server",
        "172.24.0.2",
        6379,
        server_conf(None),
    );
    let replicas = (1..=2)
        .map(|i| {
            let ip = format!("172.24.0.{}", 2 + i);
            add(
                sim,
                &format!("redis_slave{i}"),
                "server",
                &ip,
                6379,
                server_conf(Some("172.24.0.2")),
            )
        })
        .collect();
    let sentinels = (1..=3)
        .map(|i| {
            let ip = format!("172.24.0.{}", 4 + i);
            add(
                sim,
                &format!("redis-sentinel{i}"),
                "sentinel",
                &ip,
                26379,
                sentinel_conf("172.24.0.2", settings),
            )
        })
        .collect();
    Tutorial {
        master,
        replicas,
        sentinels,
    }
}
