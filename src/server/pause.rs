//! Client pause (CLIENT PAUSE, and FAILOVER while it waits for its replica):
//! 7.0's pauseClients. Each purpose holds a kind and an end; the most
//! restrictive kind in force, until the furthest end of that kind, decides.
//! While any pause is in force, commands it covers wait (the client is
//! postponed and its command runs again from scratch when the pause is
//! lifted), and keys neither expire nor get evicted.

use crate::node::{ConnId, Millis};

/// What a pause holds back, least restrictive first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum PauseKind {
    #[default]
    Off,
    /// Writes and commands that may replicate (PUBLISH, PFCOUNT, EVAL...).
    Write,
    /// Every command of a client that is not a replica.
    All,
}

/// Who asked for a pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PausePurpose {
    ClientCommand = 0,
    Failover = 1,
    /// A shutdown waiting for lagging replicas (PAUSE_DURING_SHUTDOWN).
    Shutdown = 2,
}

#[derive(Clone, Debug, Default)]
pub struct ClientPause {
    by_purpose: [Option<(PauseKind, Millis)>; 3],
    kind: PauseKind,
    end: Millis,
    /// Postponed clients, in the order they were postponed.
    pub postponed: Vec<ConnId>,
    /// The pause became less restrictive: postponed clients must run again.
    pub lifted: bool,
}

impl ClientPause {
    /// The kind in force (as of the last `update`).
    pub fn kind(&self) -> PauseKind {
        self.kind
    }

    pub fn is_paused(&self) -> bool {
        self.kind != PauseKind::Off
    }

    /// Whether a command waits: everything under ALL, a write or a command
    /// that may replicate under WRITE.
    pub fn holds(&self, may_replicate: bool) -> bool {
        match self.kind {
            PauseKind::Off => false,
            PauseKind::Write => may_replicate,
            PauseKind::All => true,
        }
    }

    /// pauseClients: a purpose's pause extends to the later end and the
    /// more restrictive kind.
    pub fn pause(&mut self, purpose: PausePurpose, end: Millis, kind: PauseKind, now: Millis) {
        let slot = &mut self.by_purpose[purpose as usize];
        *slot = Some(match *slot {
            None => (kind, end),
            Some((k, e)) => (k.max(kind), e.max(end)),
        });
        self.update(now);
    }

    /// unpauseClients.
    pub fn unpause(&mut self, purpose: PausePurpose, now: Millis) {
        if self.by_purpose[purpose as usize].take().is_some() {
            self.update(now);
        }
    }

    /// updateClientPauseTypeAndEndTime: drop pauses that ended (an end in
    /// the past), recompute the kind and end in force.
    pub fn update(&mut self, now: Millis) {
        let old = self.kind;
        for p in self.by_purpose.iter_mut() {
            if p.is_some_and(|(_, end)| end < now) {
                *p = None;
            }
        }
        let kind = self.by_purpose.iter().flatten().map(|p| p.0).max();
        self.kind = kind.unwrap_or_default();
        self.end = self
            .by_purpose
            .iter()
            .flatten()
            .filter(|p| p.0 == self.kind)
            .map(|p| p.1)
            .max()
            .unwrap_or(0);
        if self.kind < old {
            self.lifted = true;
        }
    }

    /// checkClientPauseTimeoutAndReturnIfPaused.
    pub fn check_timeout(&mut self, now: Millis) -> bool {
        if self.is_paused() && self.end < now {
            self.update(now);
        }
        self.is_paused()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_restrictive_pause_and_its_furthest_end() {
        let mut p = ClientPause::default();
        p.pause(PausePurpose::ClientCommand, 1000, PauseKind::Write, 0);
        assert!(p.holds(true) && !p.holds(false));
        p.pause(PausePurpose::Failover, 500, PauseKind::All, 0);
        assert!(p.holds(false));
        assert!(!p.lifted);
        // The ALL pause ends first: back to WRITE, postponed clients rerun.
        assert!(p.check_timeout(600));
        assert_eq!(p.kind(), PauseKind::Write);
        assert!(p.lifted);
        p.lifted = false;
        // A later CLIENT PAUSE extends the same purpose's pause.
        p.pause(PausePurpose::ClientCommand, 2000, PauseKind::Write, 600);
        assert!(p.check_timeout(1500));
        p.unpause(PausePurpose::ClientCommand, 1500);
        assert!(!p.is_paused() && p.lifted);
    }
}
