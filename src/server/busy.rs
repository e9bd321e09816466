//! A script past `busy-reply-threshold` (7.0's timed-out script mode,
//! scriptInterrupt + processEventsWhileBlocked): while it runs, the other
//! connections are still read and answered. Their commands get `-BUSY`
//! unless flagged `allow-busy` (SCRIPT KILL, FUNCTION KILL / STATS,
//! SHUTDOWN NOSAVE, the transaction and connection commands); nothing that
//! would act on the script's half-done state runs meanwhile: no blocked
//! client is served, no eviction, nothing goes to replicas.
//!
//! The script runs inside the caller's command, so the core cannot return to
//! its host to get more input: the script's timeout hook asks the host
//! synchronously ([`crate::node::HostProbe::busy_poll`]) for what arrived
//! and hands the replies straight back (`busy_send`). A host that cannot do
//! that (the simulator, wasm) keeps its runs deterministic: see
//! `scripting::run`'s fallback.

use super::{ClientKind, Server};
use crate::node::{BusyInput, ConnId, Output};
use bytes::Bytes;

/// The running script once it timed out (7.0's `curr_run_ctx` with
/// SCRIPT_TIMEDOUT set).
#[derive(Debug, Clone)]
pub struct BusyScript {
    /// EVAL / EVALSHA rather than FCALL: which KILL applies, which -BUSY.
    pub eval: bool,
    /// The function's name (FUNCTION STATS).
    pub name: String,
    /// The caller's command (FUNCTION STATS).
    pub command: Vec<Bytes>,
    /// When the script started, on the host's monotonic clock (µs).
    pub started_us: u64,
    /// The script already wrote: SCRIPT KILL is refused.
    pub wrote: bool,
    /// The caller is our master: the script must run to its end.
    pub caller_is_master: bool,
    /// SCRIPT KILL / FUNCTION KILL asked the script to stop.
    pub killed: bool,
}

/// The -BUSY refusal of a command while a script runs.
pub fn busy_error(eval: bool) -> &'static str {
    if eval {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    }
}

impl BusyScript {
    /// scriptKill: the reply to SCRIPT KILL (`eval`) or FUNCTION KILL.
    pub fn kill(&mut self, eval: bool) -> Result<(), String> {
        if self.caller_is_master {
            return Err("UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.".into());
        }
        if self.wrote {
            return Err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.".into());
        }
        if eval != self.eval {
            return Err(busy_error(self.eval).into());
        }
        self.killed = true;
        Ok(())
    }
}

impl Server {
    /// One round of processEventsWhileBlocked: read what the other
    /// connections sent, run or refuse their commands, send the replies.
    pub(crate) fn serve_while_busy(&mut self) {
        let Some(inputs) = self.st.host.probe.as_ref().and_then(|p| p.busy_poll()) else {
            return;
        };
        for input in inputs {
            match input {
                BusyInput::Accepted { conn, peer, local } => self.accept(conn, peer, local),
                BusyInput::Data { conn, bytes } => self.busy_data(conn, bytes),
                BusyInput::Closed { conn } => {
                    if self.busy_defers(conn) {
                        self.st.busy_deferred.push(BusyInput::Closed { conn });
                    } else {
                        self.free_client(conn);
                    }
                }
            }
        }
        self.flush_replies();
        // The replies go out now; the rest (logs, closes) after the script.
        let probe = self.st.host.probe.as_ref();
        let mut kept = std::collections::VecDeque::with_capacity(self.st.out.len());
        for out in self.st.out.drain(..) {
            match out {
                Output::Send { conn, bytes }
                    if probe.is_some_and(|p| p.busy_send(conn, &bytes)) => {}
                other => kept.push_back(other),
            }
        }
        self.st.out = kept;
    }

    /// Input that waits for the script's end: the caller's own (protected,
    /// as 7.0's protectClient), our master's (its stream is applied in order
    /// afterwards) and any connection that is not a plain client.
    fn busy_defers(&self, conn: ConnId) -> bool {
        self.migrate_owns(conn)
            || self.repl_owns(conn)
            || self
                .clients
                .get(&conn)
                .is_none_or(|c| c.kind == ClientKind::Master)
    }

    fn busy_data(&mut self, conn: ConnId, bytes: Vec<u8>) {
        let deferred_before = self
            .st
            .busy_deferred
            .iter()
            .any(|d| matches!(d, BusyInput::Data { conn: c, .. } | BusyInput::Closed { conn: c } if *c == conn));
        if deferred_before || self.busy_defers(conn) {
            self.st.busy_deferred.push(BusyInput::Data { conn, bytes });
            return;
        }
        self.data(conn, &bytes);
    }

    /// After the script: the input held back while it ran, in arrival order.
    pub(crate) fn replay_busy_deferred(&mut self) {
        while self.st.busy.is_none() && !self.st.busy_deferred.is_empty() {
            for input in std::mem::take(&mut self.st.busy_deferred) {
                match input {
                    BusyInput::Data { conn, bytes } => {
                        if self.migrate_owns(conn) {
                            self.migrate_data(conn, &bytes);
                        } else if self.repl_owns(conn) {
                            self.repl_link_data(conn, &bytes);
                        } else {
                            self.data(conn, &bytes);
                        }
                    }
                    BusyInput::Closed { conn } => self.free_client(conn),
                    BusyInput::Accepted { conn, peer, local } => self.accept(conn, peer, local),
                }
            }
        }
    }
}
