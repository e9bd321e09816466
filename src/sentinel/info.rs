//! A sentinel's INFO: the server's `server`, `clients`, `stats` and `cpu`
//! sections, and the `sentinel` section. The sentinel node installs
//! [`sections`] as its `ServerState::info_sections`, so the server's INFO
//! command renders them.

use super::SRI_O_DOWN;
use super::SRI_S_DOWN;
use crate::server::info::{
    clients, cpu, identity, server_section, stats_section, InfoCtx, Section, Sections,
};
use std::fmt::Write;

/// The sections of a sentinel's INFO, in 7.0's order, all part of `INFO`
/// and `INFO all`.
pub fn sections() -> Sections {
    let s = |name, title, render| Section::new(name, title, true, render);
    Sections {
        list: vec![
            s("server", "Server", server),
            s("clients", "Clients", clients),
            s("stats", "Stats", stats),
            s("cpu", "CPU", cpu),
            s("sentinel", "Sentinel", sentinel),
        ],
    }
}

fn server(ctx: &InfoCtx, out: &mut String) {
    let config_file = ctx
        .srv
        .sentinel
        .as_ref()
        .and_then(|s| s.config_path.as_deref())
        .unwrap_or("");
    server_section(
        ctx.srv,
        ctx.now,
        &identity(ctx.srv, "sentinel", config_file),
        out,
    );
}

/// A sentinel reports the whole `stats` section, as 7.0's does.
fn stats(ctx: &InfoCtx, out: &mut String) {
    stats_section(ctx.srv, out);
}

fn sentinel(ctx: &InfoCtx, out: &mut String) {
    let Some(ss) = &ctx.srv.sentinel else {
        return;
    };
    let tilt_since = if ss.tilt {
        (ctx.now.saturating_sub(ss.tilt_start_time) / 1000) as i64
    } else {
        -1
    };
    let _ = write!(
        out,
        "sentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}\r\nsentinel_running_scripts:{}\r\nsentinel_scripts_queue_length:{}\r\nsentinel_simulate_failure_flags:{}\r\n",
        ss.masters.len(),
        ss.tilt as i32,
        tilt_since,
        ss.scripts.running,
        ss.scripts.jobs.len(),
        ss.simfailure_flags
    );
    for (i, m) in ss.masters.values().enumerate() {
        let status = if m.flags & SRI_O_DOWN != 0 {
            "odown"
        } else if m.flags & SRI_S_DOWN != 0 {
            "sdown"
        } else {
            "ok"
        };
        let _ = write!(
            out,
            "master{}:name={},status={},address={}:{},slaves={},sentinels={}\r\n",
            i,
            m.name,
            status,
            ss.announce(&m.addr),
            m.addr.port,
            m.slaves.len(),
            m.sentinels.len() + 1
        );
    }
}
