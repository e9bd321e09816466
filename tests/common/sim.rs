//! The tutorial topology in the simulator and readings of it: the
//! sentinels' log lines, ROLE of a host, the master a sentinel names.

use super::conn::Role;
use sentinel_lab::resp::Frame;
use sentinel_lab::sim::scenario::{tutorial, SentinelSettings, Tutorial, EPOCH};
use sentinel_lab::sim::{HostId, Sim, TraceKind};

/// The tutorial's sentinel host names.
pub const SENTINELS: [&str; 3] = ["redis-sentinel1", "redis-sentinel2", "redis-sentinel3"];

/// The tutorial topology on a fresh simulation, run 20 s: every sentinel
/// knows the replicas and the other sentinels.
pub fn settled_tutorial(seed: u64, settings: &SentinelSettings) -> (Sim, Tutorial) {
    let mut sim = Sim::new(seed, EPOCH);
    let t = tutorial(&mut sim, settings);
    sim.run_for(20_000);
    (sim, t)
}

/// Log lines (without the level mark) of one host since `since`, in order.
pub fn log_lines(sim: &Sim, host: &str, since: u64) -> Vec<String> {
    sim.trace
        .entries
        .iter()
        .filter(|e| e.host == host && e.kind == TraceKind::Log && e.time >= since)
        .map(|e| e.text.get(2..).unwrap_or("").to_string())
        .collect()
}

/// True if a sentinel logged a line starting with `needle` since `since`.
pub fn logged_since(sim: &Sim, needle: &str, since: u64) -> bool {
    SENTINELS.iter().any(|h| {
        log_lines(sim, h, since)
            .iter()
            .any(|l| l.starts_with(needle))
    })
}

/// Every sentinel's log, for failure messages.
pub fn all_sentinel_logs(sim: &Sim) -> String {
    SENTINELS
        .iter()
        .map(|h| format!("--- {h}\n{}", log_lines(sim, h, 0).join("\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// ROLE of a host; a reply that is not a ROLE array reads as its debug text.
pub fn role(sim: &mut Sim, host: HostId) -> Role {
    let reply = sim.command(host, &["ROLE"], 2000);
    reply
        .as_ref()
        .and_then(Role::parse)
        .unwrap_or_else(|| Role {
            role: format!("{reply:?}"),
            master: None,
            link: None,
        })
}

/// The master a sentinel names, as "ip:port".
pub fn master_addr(sim: &mut Sim, sentinel: HostId) -> Option<String> {
    match sim.command(
        sentinel,
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
        2000,
    )? {
        Frame::Array(a) if a.len() == 2 => Some(format!("{}:{}", a[0].as_str()?, a[1].as_str()?)),
        _ => None,
    }
}
