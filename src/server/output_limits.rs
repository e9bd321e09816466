//! A client's output buffer as 7.0 measures it, and
//! `client-output-buffer-limit` (checkClientOutputBufferLimits,
//! closeClientOnOutputBufferLimitReached).
//!
//! The replies a client has not read are the core's reply buffer of this
//! round plus what the host still holds for the socket
//! (`HostProbe::unsent_output`). 7.0 keeps the first of them in the client's
//! reply buffer (`obl`) and the rest in a list of ~20 KiB blocks (`oll`,
//! `omem`); the limits and CLIENT LIST look at the list only.
//!
//! A client over its limit is flagged (CLIENT_CLOSE_ASAP): nothing more of
//! its input runs, nothing more is written to it, and it is closed at the end
//! of the round, its pending replies dropped with it. The cron checks idle
//! clients too, so a soft limit also fires when the traffic stops.

use super::client::{Client, ClientKind};
use super::config::ObufClass;
use super::{Key, LogLevel, ServerState};
use crate::replication::master::over_output_limit;
use crate::replication::ReplicaState;

/// A reply list block's room: PROTO_REPLY_CHUNK_BYTES and its header are
/// one 20 KiB jemalloc size class, all of it usable (`tail->size`).
const BLOCK: u64 = 20 * 1024 - 16;
/// sizeof(listNode) + sizeof(clientReplyBlock): each block's own cost.
const BLOCK_OVERHEAD: u64 = 40;

/// A client's unsent replies as 7.0 holds them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OutputUse {
    /// `obl`: bytes in the reply buffer.
    pub obl: usize,
    /// `oll`: blocks in the reply list.
    pub oll: usize,
    /// `omem`: the list's memory (getClientOutputBufferMemoryUsage).
    pub omem: u64,
}

impl OutputUse {
    /// `pending` bytes with a reply buffer of `usable` bytes: the buffer
    /// fills first, the rest takes whole blocks. A replica has no reply
    /// buffer of its own: its stream is all in the shared blocks.
    pub fn of(pending: u64, usable: usize, replica: bool) -> OutputUse {
        let usable = if replica { 0 } else { usable as u64 };
        let obl = pending.min(usable);
        let rest = pending - obl;
        let oll = rest.div_ceil(BLOCK);
        // A replica's blocks are the shared replication buffer's, counted
        // whole as well (sizeof(listNode) + sizeof(replBufBlock) alike).
        let omem = oll * (BLOCK + BLOCK_OVERHEAD);
        OutputUse {
            obl: obl as usize,
            oll: oll as usize,
            omem,
        }
    }
}

impl ServerState {
    /// Reply bytes the host still holds for `conn`.
    pub fn unsent(&self, conn: crate::node::ConnId) -> u64 {
        self.host
            .probe
            .as_deref()
            .map_or(0, |p| p.unsent_output(conn))
    }

    /// What `c` has not read yet, 7.0's way. `running`: `c` is the caller
    /// of the command being run, whose reply is not counted yet.
    pub fn output_use(&self, c: &Client, running: bool) -> OutputUse {
        let mut pending = self.unsent(c.conn);
        if !running {
            pending += (c.reply.len() + c.pushes.len()) as u64;
        }
        OutputUse::of(pending, c.reply_size.usable, c.kind == ClientKind::Replica)
    }

    /// The limit that applies to `c`, if any (getClientType): replicas only
    /// once online (before, their buffer is the snapshot's stream, checked
    /// as it is fed). Our master is never written replies (7.0 would treat
    /// it as a normal client with an always empty list).
    fn obuf_class(&self, c: &Client) -> Option<ObufClass> {
        match c.kind {
            ClientKind::Master => None,
            ClientKind::Replica => self
                .repl
                .replicas
                .get(&c.conn)
                .is_some_and(|r| r.state == ReplicaState::Online)
                .then_some(ObufClass::Replica),
            _ if c.in_pubsub() => Some(ObufClass::PubSub),
            _ => Some(ObufClass::Normal),
        }
    }

    /// closeClientOnOutputBufferLimitReached: is `c` over its hard limit,
    /// or over its soft limit for longer than its seconds? If so it is
    /// flagged to close and the reason logged: `scheduled` as the reply
    /// paths say it (closed at the end of the round), else as the cron
    /// says it (the caller closes it at once).
    pub fn obuf_limit_reached(&mut self, c: &mut Client, scheduled: bool) -> bool {
        if c.close_asap {
            return false;
        }
        let Some(class) = self.obuf_class(c) else {
            return false;
        };
        let (mut hard, soft, secs) = self.config.obuf_limit(class);
        if hard == 0 && soft == 0 {
            return false;
        }
        let used = self.output_use(c, false).omem;
        // An empty list is never over (reply_bytes == 0), but a replica's
        // buffer is the shared one.
        if used == 0 && class != ObufClass::Replica {
            return false;
        }
        // A replica's hard limit is never below the backlog's size: a
        // partial sync would succeed only to be cut off.
        if class == ObufClass::Replica && hard > 0 {
            hard = hard.max(self.config.get_i64(Key::REPL_BACKLOG_SIZE).max(0) as u64);
        }
        if !over_output_limit(&mut c.obuf_soft_since, used, (hard, soft, secs), self.now) {
            return false;
        }
        let unsent = self.unsent(c.conn);
        let line = crate::commands::client::client_line(c, self.now, None, unsent);
        let how = if scheduled {
            "scheduled to be closed ASAP"
        } else {
            "closed"
        };
        self.log(
            LogLevel::Warning,
            format!(
                "Client {} {how} for overcoming of output buffer limits.",
                line.trim_end()
            ),
        );
        c.close_asap = true;
        true
    }

    /// Whether the running command should stop adding to its reply
    /// because its client is (now) over its output buffer limit: the
    /// checks of KEYS and the random-count commands.
    pub fn reply_over_limit(&mut self, c: &mut Client) -> bool {
        c.close_asap || self.obuf_limit_reached(c, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testkit::Kit;
    use crate::node::Event;

    fn logs(k: &Kit) -> Vec<String> {
        k.events
            .iter()
            .filter_map(|e| match e {
                Event::Log { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    /// The core's side (no host holding bytes): a pipeline whose replies
    /// pass the normal hard limit gets none of them, and what follows the
    /// reply that passed it does not run.
    #[test]
    fn a_pipeline_over_the_hard_limit_gets_nothing_and_stops() {
        let mut k = Kit::new();
        let set = [
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 100000 0 0",
        ];
        assert_eq!(k.argv(1, &set), "+OK\r\n");
        let item = "v".repeat(1000);
        for _ in 0..150 {
            k.argv(1, &["RPUSH", "l", &item]);
        }
        k.take(2);
        let got = k.raw(2, b"SET a 1\r\nLRANGE l 0 -1\r\nSET b 2\r\n");
        assert!(got.is_empty(), "{} bytes of replies", got.len());
        assert_eq!(k.closed, vec![2]);
        assert_eq!(k.cmd(1, "MGET a b"), "*2\r\n$1\r\n1\r\n$-1\r\n");
        let log = logs(&k);
        let line = log.last().expect("logged");
        assert!(line.starts_with("Client id=2 "), "{line}");
        assert!(line.contains(" cmd=lrange "), "{line}");
        assert!(
            line.ends_with(" scheduled to be closed ASAP for overcoming of output buffer limits.")
        );
    }

    /// The soft limit counts its seconds from the first time it was seen
    /// reached, on whole seconds: a subscriber over it again a second
    /// later than allowed goes (and is not given that message).
    #[test]
    fn the_soft_limit_counts_from_its_first_sighting() {
        let mut k = Kit::new();
        let set = [
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 0 50000 1",
        ];
        assert_eq!(k.argv(1, &set), "+OK\r\n");
        k.cmd(2, "SUBSCRIBE ch");
        k.take(2);
        let msg = "m".repeat(60_000);
        k.argv(1, &["PUBLISH", "ch", &msg]);
        // First seen over it: delivered, the clock started.
        assert!(k.closed.is_empty());
        assert!(k.take(2).len() > 60_000);
        let since = k.srv.clients[&crate::node::ConnId(2)].obuf_soft_since;
        assert_eq!(since, Some(k.now));
        // Within its second, again: still there.
        k.advance(1500);
        k.argv(1, &["PUBLISH", "ch", &msg]);
        assert!(k.closed.is_empty());
        k.take(2);
        // Past it: closed before this message goes out.
        k.advance(1000);
        k.argv(1, &["PUBLISH", "ch", &msg]);
        assert_eq!(k.closed, vec![2]);
        assert_eq!(k.take(2), "");
        let log = logs(&k);
        assert!(
            log.iter().any(|l| l.contains(" flags=P ")
                && l.ends_with(
                    " scheduled to be closed ASAP for overcoming of output buffer limits."
                )),
            "{log:?}"
        );
    }

    #[test]
    fn the_reply_buffer_fills_before_the_list_takes_blocks() {
        assert_eq!(OutputUse::of(0, 16384, false), OutputUse::default());
        let u = OutputUse::of(16384, 16384, false);
        assert_eq!((u.obl, u.oll, u.omem), (16384, 0, 0));
        let u = OutputUse::of(16385, 16384, false);
        assert_eq!((u.obl, u.oll, u.omem), (16384, 1, BLOCK + BLOCK_OVERHEAD));
        let u = OutputUse::of(100_000, 1024, false);
        assert_eq!(u.oll, 5);
        // A replica's stream is all in blocks.
        let u = OutputUse::of(30_000, 16384, true);
        assert_eq!((u.obl, u.oll, u.omem), (0, 2, 41008));
    }
}
