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

use super::Server;
use crate::node::BusyInput;
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

/// Scripts run only where Lua is (not in wasm).
#[cfg(not(target_arch = "wasm32"))]
impl Server {
    /// One round of processEventsWhileBlocked: read what the other
    /// connections sent, run or refuse their commands, send the replies.
    pub(crate) fn serve_while_busy(&mut self) {
        use crate::node::Output;
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
    fn busy_defers(&self, conn: crate::node::ConnId) -> bool {
        self.migrate_owns(conn)
            || self.repl_owns(conn)
            || self
                .clients
                .get(&conn)
                .is_none_or(|c| c.kind == super::ClientKind::Master)
    }

    fn busy_data(&mut self, conn: crate::node::ConnId, bytes: Vec<u8>) {
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
}

impl Server {
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use crate::commands::testkit::Kit;
    use crate::node::{BusyInput, ConnId, CpuTimes, Event, HostProbe};
    use crate::resp::Frame;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    /// What was sent during the script: (connection, bytes).
    type Sent = Rc<RefCell<Vec<(u64, String)>>>;

    /// A host whose connections deliver the given rounds of input, one per
    /// look, and that records what was sent during the script.
    struct Rounds {
        rounds: RefCell<VecDeque<Vec<BusyInput>>>,
        sent: Sent,
    }

    impl HostProbe for Rounds {
        fn monotonic_us(&self) -> u64 {
            0
        }
        fn rss(&self) -> Option<u64> {
            None
        }
        fn total_system_memory(&self) -> Option<u64> {
            None
        }
        fn cpu(&self) -> Option<CpuTimes> {
            None
        }
        fn serves_while_busy(&self) -> bool {
            true
        }
        fn busy_poll(&self) -> Option<Vec<BusyInput>> {
            Some(self.rounds.borrow_mut().pop_front().unwrap_or_default())
        }
        fn busy_send(&self, conn: ConnId, bytes: &[u8]) -> bool {
            let text = String::from_utf8_lossy(bytes).into_owned();
            self.sent.borrow_mut().push((conn.0, text));
            true
        }
    }

    fn data(conn: u64, args: &[&str]) -> BusyInput {
        BusyInput::Data {
            conn: ConnId(conn),
            bytes: Frame::command(args.iter().copied()),
        }
    }

    /// A kit with clients 1 and 2 whose host delivers `rounds` while a
    /// script is busy (past a 1 ms threshold: one hook period, no clock).
    fn kit(rounds: Vec<Vec<BusyInput>>) -> (Kit, Sent) {
        let mut k = Kit::new();
        k.connect(1);
        k.connect(2);
        k.cmd(1, "CONFIG SET busy-reply-threshold 1");
        let sent = Rc::new(RefCell::new(Vec::new()));
        k.srv.st.host.probe = Some(Box::new(Rounds {
            rounds: RefCell::new(rounds.into()),
            sent: sent.clone(),
        }));
        (k, sent)
    }

    const BUSY: &str =
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";

    #[test]
    fn other_clients_get_busy_until_script_kill() {
        let (mut k, sent) = kit(vec![
            vec![data(2, &["PING"])],
            vec![data(2, &["FUNCTION", "KILL"]), data(2, &["SCRIPT", "KILL"])],
        ]);
        let reply = k.argv(1, &["EVAL", "while true do end", "0"]);
        assert!(reply.contains("Script killed by user with SCRIPT KILL..."));
        let sent = sent.borrow();
        assert_eq!(sent[0], (2, BUSY.to_string()));
        // FUNCTION KILL does not stop an EVAL: its answer is the -BUSY of
        // a script; the SCRIPT KILL after it does.
        assert_eq!(sent[1], (2, format!("{BUSY}+OK\r\n")));
        assert_eq!(k.cmd(2, "PING"), "+PONG\r\n");
        assert!(k.srv.st.busy.is_none());
    }

    #[test]
    fn a_script_that_wrote_is_unkillable_but_shutdown_nosave_ends_it() {
        let (mut k, sent) = kit(vec![
            vec![data(2, &["SCRIPT", "KILL"]), data(2, &["SHUTDOWN"])],
            vec![data(2, &["SHUTDOWN", "NOSAVE"])],
        ]);
        k.argv(
            1,
            &["EVAL", "redis.call('set','k','v') while true do end", "0"],
        );
        let first = sent.borrow()[0].1.clone();
        assert!(first.starts_with("-UNKILLABLE Sorry the script already executed write commands"));
        assert!(first.ends_with(BUSY), "{first}");
        assert!(k.events.iter().any(|e| matches!(e, Event::Shutdown { .. })));
    }

    #[test]
    fn the_callers_own_input_waits_for_the_script() {
        let (mut k, sent) = kit(vec![
            vec![data(1, &["PING"])],
            vec![data(2, &["SCRIPT", "KILL"])],
        ]);
        let reply = k.argv(1, &["EVAL", "while true do end", "0"]);
        // The EVAL's error, then the PING that came in meanwhile.
        assert!(reply.ends_with("+PONG\r\n"), "{reply}");
        assert!(reply.starts_with("-ERR Script killed by user"), "{reply}");
        assert_eq!(sent.borrow().len(), 1);
    }
}
