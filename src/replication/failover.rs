//! Coordinated failover (FAILOVER [TO host port [FORCE]] [TIMEOUT ms] |
//! ABORT), as 7.0's replication.c does it:
//!
//! 1. the master pauses writes (`PausePurpose::Failover`) and waits for the
//!    target replica (or any replica) to acknowledge its whole stream
//!    (`waiting-for-sync`; TIMEOUT aborts, or with FORCE fails over anyway);
//! 2. it becomes a replica of the target (`failover-in-progress`) and sends
//!    `PSYNC <replid> <offset> FAILOVER`;
//! 3. the target, seeing its own replication id, turns master and answers
//!    +CONTINUE; the old master lifts its pause (`no-failover`). Any other
//!    answer aborts: the old master turns back into a master.

use super::{LinkState, ReplicaState};
use crate::commands::{arg_i64, def, eq_ignore_case, err, flags::*, CmdResult, CommandDef, Ctx};
use crate::node::{Addr, LogLevel, Millis};
use crate::server::pause::{PauseKind, PausePurpose};
use crate::server::Server;
use bytes::Bytes;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailoverState {
    #[default]
    None,
    WaitForSync,
    InProgress,
}

impl FailoverState {
    /// INFO's `master_failover_state`.
    pub fn name(self) -> &'static str {
        match self {
            FailoverState::None => "no-failover",
            FailoverState::WaitForSync => "waiting-for-sync",
            FailoverState::InProgress => "failover-in-progress",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Failover {
    pub state: FailoverState,
    /// The replica to fail over to, once known.
    pub target: Option<Addr>,
    /// When waiting for the replica ends (0: never).
    pub end: Millis,
    pub force: bool,
}

impl Failover {
    fn target_name(&self) -> String {
        match &self.target {
            Some(a) => format!("{}:{}", a.host, a.port),
            None => "any replica".into(),
        }
    }
}

fn failover(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 && eq_ignore_case(&args[1], "abort") {
        if ctx.srv.repl.failover.state == FailoverState::None {
            return Err("ERR No failover in progress.".into());
        }
        ctx.srv
            .repl_actions
            .push(super::commands::ReplAction::AbortFailover);
        ctx.out().ok();
        return Ok(());
    }
    let (mut timeout, mut force, mut target) = (0i64, false, None::<(String, i64)>);
    let mut j = 1;
    while j < args.len() {
        let a = &args[j];
        if eq_ignore_case(a, "timeout") && j + 1 < args.len() && timeout == 0 {
            timeout = arg_i64(&args[j + 1])?;
            if timeout <= 0 {
                return Err("ERR FAILOVER timeout must be greater than 0".into());
            }
            j += 2;
        } else if eq_ignore_case(a, "to") && j + 2 < args.len() && target.is_none() {
            let port = arg_i64(&args[j + 2])?;
            target = Some((String::from_utf8_lossy(&args[j + 1]).into_owned(), port));
            j += 3;
        } else if eq_ignore_case(a, "force") && !force {
            force = true;
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    let r = &ctx.srv.repl;
    if r.failover.state != FailoverState::None {
        return Err("ERR FAILOVER already in progress.".into());
    }
    if r.is_replica() {
        return Err("ERR FAILOVER is not valid when server is a replica.".into());
    }
    if r.replicas.is_empty() {
        return Err("ERR FAILOVER requires connected replicas.".into());
    }
    if force && (timeout == 0 || target.is_none()) {
        return Err(
            "ERR FAILOVER with force option requires both a timeout and target HOST and IP.".into(),
        );
    }
    let mut fo = Failover {
        force,
        ..Failover::default()
    };
    match target {
        Some((host, port)) => {
            let Some(replica) = r
                .replicas
                .values()
                .find(|i| i.ip.eq_ignore_ascii_case(&host) && i64::from(i.listening_port) == port)
            else {
                return Err("ERR FAILOVER target HOST and PORT is not a replica.".into());
            };
            if replica.state != ReplicaState::Online {
                return Err("ERR FAILOVER target replica is not online.".into());
            }
            ctx.srv.log(
                LogLevel::Notice,
                format!("FAILOVER requested to {host}:{port}."),
            );
            fo.target = Some(Addr::new(host, port as u16));
        }
        None => ctx
            .srv
            .log(LogLevel::Notice, "FAILOVER requested to any replica."),
    }
    let now = ctx.now;
    if timeout > 0 {
        fo.end = now.saturating_add(timeout as u64);
    }
    fo.state = FailoverState::WaitForSync;
    ctx.srv.repl.failover = fo;
    ctx.srv
        .pause
        .pause(PausePurpose::Failover, Millis::MAX, PauseKind::Write, now);
    ctx.srv.set_expiry_paused();
    ctx.out().ok();
    Ok(())
}

impl Server {
    /// updateFailoverStatus, after every input: time out, or start
    /// the failover once the target (or any replica) has acknowledged our
    /// whole stream.
    pub(crate) fn failover_cron(&mut self) {
        let fo = &self.st.repl.failover;
        if fo.state != FailoverState::WaitForSync {
            return;
        }
        let now = self.st.now;
        if fo.end != 0 && fo.end <= now {
            if fo.force {
                let name = fo.target_name();
                self.st.log(
                    LogLevel::Notice,
                    format!("FAILOVER to {name} time out exceeded, failing over."),
                );
                self.failover_start();
            } else {
                self.failover_abort("Replica never caught up before timeout");
            }
            return;
        }
        let r = &self.st.repl;
        let caught_up = |i: &super::ReplicaInfo| i.ack_offset == r.offset;
        let found = match &r.failover.target {
            Some(t) => r.replicas.values().any(|i| {
                i.ip.eq_ignore_ascii_case(&t.host) && i.listening_port == t.port && caught_up(i)
            }),
            None => {
                let any = r
                    .replicas
                    .values()
                    .find(|i| caught_up(i))
                    .map(|i| Addr::new(i.ip.clone(), i.listening_port));
                let found = any.is_some();
                if any.is_some() {
                    self.st.repl.failover.target = any;
                }
                found
            }
        };
        if found {
            let name = self.st.repl.failover.target_name();
            self.st.log(
                LogLevel::Notice,
                format!("Failover target {name} is synced, failing over."),
            );
            self.failover_start();
        }
    }

    /// FAILOVER_IN_PROGRESS: become a replica of the target; our PSYNC will
    /// carry FAILOVER.
    fn failover_start(&mut self) {
        self.st.repl.failover.state = FailoverState::InProgress;
        if let Some(target) = self.st.repl.failover.target.clone() {
            self.repl_become_replica(target, true);
        }
    }

    /// clearFailoverState: done (or given up); writes may flow again.
    pub(crate) fn failover_clear(&mut self) {
        self.st.repl.failover = Failover::default();
        let now = self.st.now;
        self.st.pause.unpause(PausePurpose::Failover, now);
    }

    /// abortFailover: log why; a failover already under way turns us back
    /// into a master.
    pub(crate) fn failover_abort(&mut self, why: &str) {
        let fo = &self.st.repl.failover;
        if fo.state == FailoverState::None {
            return;
        }
        let msg = match &fo.target {
            Some(t) => format!("FAILOVER to {}:{} aborted: {why}", t.host, t.port),
            None => format!("FAILOVER to any replica aborted: {why}"),
        };
        let in_progress = fo.state == FailoverState::InProgress;
        self.st.log(LogLevel::Notice, msg);
        if in_progress {
            self.repl_become_master(None);
        }
        self.failover_clear();
    }

    /// Our PSYNC to the failover target was answered: +CONTINUE or
    /// +FULLRESYNC complete the failover, anything else aborts it.
    /// Returns false if the failover was aborted.
    pub(crate) fn failover_psync_answered(&mut self, accepted: bool) -> bool {
        if self.st.repl.failover.state != FailoverState::InProgress {
            return true;
        }
        if accepted {
            self.failover_clear();
            true
        } else {
            self.failover_abort("Failover target rejected psync request");
            false
        }
    }

    /// Whether our next PSYNC asks the target to take over.
    pub(crate) fn failover_in_progress(&self) -> bool {
        self.st.repl.failover.state == FailoverState::InProgress
            && self
                .st
                .repl
                .link
                .as_ref()
                .is_some_and(|l| l.state != LinkState::Connected)
    }
}

pub static COMMANDS: &[CommandDef] = &[def(
    "failover",
    -1,
    ADMIN | NOSCRIPT | STALE,
    (0, 0, 0),
    "server",
    "6.2.0",
    "Start a coordinated failover between this server and one of its replicas.",
    failover,
)];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{err, Kit};
    use crate::node::Addr;
    use crate::resp::Frame;
    use crate::sim::{factory, HostId, NodeSpec, Sim};

    #[test]
    fn refusals_on_a_lone_master() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "FAILOVER ABORT"),
            err("ERR No failover in progress.")
        );
        assert_eq!(
            k.cmd(1, "FAILOVER"),
            err("ERR FAILOVER requires connected replicas.")
        );
        assert_eq!(k.cmd(1, "FAILOVER FOO"), err("ERR syntax error"));
        assert_eq!(
            k.cmd(1, "FAILOVER TIMEOUT 1 TIMEOUT 2"),
            err("ERR syntax error")
        );
        assert_eq!(
            k.cmd(1, "FAILOVER TIMEOUT 0"),
            err("ERR FAILOVER timeout must be greater than 0")
        );
        assert_eq!(
            k.cmd(1, "FAILOVER TO h x"),
            err("ERR value is not an integer or out of range")
        );
        assert!(k
            .cmd(1, "INFO replication")
            .contains("master_failover_state:no-failover\r\n"));
    }

    fn server(sim: &mut Sim, name: &str, ip: &str, extra: &str) -> HostId {
        let spec = NodeSpec {
            name: name.into(),
            kind: "server".into(),
            config: format!("port 6379\nprotected-mode no\nrepl-diskless-sync-delay 0\n{extra}"),
        };
        sim.add_host(spec, Addr::new(ip, 6379), factory::server_node)
    }

    fn info_field(sim: &mut Sim, host: HostId, field: &str) -> String {
        let Some(Frame::Bulk(b)) = sim.command(host, &["INFO", "all"], 1000) else {
            panic!("no INFO reply");
        };
        let text = String::from_utf8_lossy(&b).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
            .unwrap_or_default()
    }

    #[test]
    fn the_master_hands_over_to_its_caught_up_replica() {
        let mut sim = Sim::new(5, 1_700_000_000_000);
        let m = server(&mut sim, "m", "10.0.0.1", "");
        let r = server(&mut sim, "r", "10.0.0.2", "replicaof 10.0.0.1 6379");
        sim.run_for(3_000);
        assert_eq!(
            sim.command(m, &["SET", "k", "v"], 1000),
            Some(Frame::Simple("OK".into()))
        );
        assert_eq!(
            sim.command(m, &["FAILOVER", "TO", "10.0.0.9", "6379"], 1000),
            Some(Frame::Error(
                "ERR FAILOVER target HOST and PORT is not a replica.".into()
            ))
        );
        assert_eq!(
            sim.command(m, &["FAILOVER", "TO", "10.0.0.2", "6379"], 1000),
            Some(Frame::Simple("OK".into()))
        );
        assert_eq!(
            sim.command(m, &["REPLICAOF", "NO", "ONE"], 1000),
            Some(Frame::Error(
                "ERR REPLICAOF not allowed while failing over.".into()
            ))
        );
        sim.run_for(3_000);
        assert_eq!(info_field(&mut sim, m, "role"), "slave");
        assert_eq!(
            info_field(&mut sim, m, "master_failover_state"),
            "no-failover"
        );
        assert_eq!(info_field(&mut sim, r, "role"), "master");
        assert!(sim.trace.contains(
            "m",
            "Failover target 10.0.0.2:6379 is synced, failing over."
        ));
        assert!(sim
            .trace
            .contains("r", "MASTER MODE enabled (failover request from"));
        // The old master caught up partially and serves the data read-only.
        assert_eq!(
            sim.command(m, &["GET", "k"], 1000),
            Some(Frame::Bulk("v".into()))
        );
        // The old master's PSYNC FAILOVER was a partial resync.
        assert_eq!(info_field(&mut sim, r, "sync_partial_ok"), "1");
        assert_eq!(info_field(&mut sim, r, "sync_full"), "0");
    }
}
