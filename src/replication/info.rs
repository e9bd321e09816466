//! The `# Replication` section of INFO, field for field as Redis 7.0.

use super::{LinkState, ReplicaState};
use crate::server::config::Key;
use crate::server::ServerState;
use std::fmt::Write;

/// The section's lines (without the `# Replication` header), `\r\n` separated.
pub fn section(st: &ServerState) -> String {
    let r = &st.repl;
    let now = st.now;
    let mut s = String::new();
    let mut line = |k: &str, v: String| {
        let _ = write!(s, "{k}:{v}\r\n");
    };
    match &r.link {
        None => line("role", "master".into()),
        Some(l) => {
            line("role", "slave".into());
            line("master_host", l.addr.host.clone());
            line("master_port", l.addr.port.to_string());
            let up = l.state == LinkState::Connected;
            line("master_link_status", if up { "up" } else { "down" }.into());
            let io = if up {
                (now.saturating_sub(l.last_io) / 1000) as i64
            } else {
                -1
            };
            line("master_last_io_seconds_ago", io.to_string());
            let syncing = matches!(l.state, LinkState::Transfer(_));
            line("master_sync_in_progress", (syncing as u8).to_string());
            // Read but not yet applied (a client pause holds our master's
            // commands): the stream bytes still in hand.
            let read = r.offset + st.master_raw.len() as u64;
            line("slave_read_repl_offset", read.to_string());
            line("slave_repl_offset", r.offset.to_string());
            if syncing {
                line("master_sync_total_bytes", "-1".into());
                line("master_sync_read_bytes", l.buf.len().to_string());
                line("master_sync_left_bytes", "-1".into());
                line("master_sync_perc", "0.00".into());
                line(
                    "master_sync_last_io_seconds_ago",
                    (now.saturating_sub(l.last_io) / 1000).to_string(),
                );
            }
            if !up {
                line(
                    "master_link_down_since_seconds",
                    if l.was_connected {
                        (now.saturating_sub(l.down_since) / 1000).to_string()
                    } else {
                        "-1".into()
                    },
                );
            }
            line(
                "slave_priority",
                st.config.get(Key::REPLICA_PRIORITY).to_string(),
            );
            line(
                "slave_read_only",
                (st.config.get_bool(Key::REPLICA_READ_ONLY) as u8).to_string(),
            );
            line(
                "replica_announced",
                (st.config.get_bool(Key::REPLICA_ANNOUNCED) as u8).to_string(),
            );
        }
    }
    line("connected_slaves", r.replicas.len().to_string());
    if r.link.is_none() {
        let min = st.config.get_i64(Key::MIN_REPLICAS_TO_WRITE);
        if min > 0 {
            let lag = st.config.get_i64(Key::MIN_REPLICAS_MAX_LAG).max(0) as u64;
            line(
                "min_slaves_good_slaves",
                r.good_replicas(now, lag).to_string(),
            );
        }
    }
    for (i, info) in r.replicas.values().enumerate() {
        let lag = now.saturating_sub(info.ack_time) / 1000;
        let state = if info.state == ReplicaState::Online {
            "online"
        } else {
            info.state.name()
        };
        line(
            &format!("slave{i}"),
            format!(
                "ip={},port={},state={},offset={},lag={}",
                info.ip, info.listening_port, state, info.ack_offset, lag
            ),
        );
    }
    line("master_failover_state", r.failover.state.name().into());
    line("master_replid", r.replid.clone());
    line("master_replid2", r.replid2.clone());
    line("master_repl_offset", r.offset.to_string());
    line("second_repl_offset", r.second_offset.to_string());
    let (active, size, first, hist) = match &r.backlog {
        Some(b) => (1, b.size(), b.first_offset, b.histlen()),
        None => (
            0,
            st.config.get_i64(Key::REPL_BACKLOG_SIZE).max(0) as usize,
            0,
            0,
        ),
    };
    line("repl_backlog_active", active.to_string());
    line("repl_backlog_size", size.to_string());
    line("repl_backlog_first_byte_offset", first.to_string());
    line("repl_backlog_histlen", hist.to_string());
    s
}
