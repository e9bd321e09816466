//! The fork children of a background save or AOF rewrite, as the outside
//! sees them. Redis forks a child for BGSAVE / BGREWRITEAOF; here the work
//! is a copy-on-write snapshot inside the node, so a host that can asks
//! for a stand-in process per job ([`Event::Fork`]) and reports its pid and
//! its death ([`Input::Child`]). Tools that look for the child (`ps`,
//! `kill -9`) find it, and killing it fails the job as killing Redis's
//! child does ("terminated by signal 9", the temp file removed, the status
//! set to err). The job ending ends its stand-in ([`Event::EndFork`]).
//!
//! Also here: `rdb-key-save-delay`, which Redis's child sleeps after each
//! key. The jobs are paced by the node's clock instead ([`KeyPace`]).
//!
//! [`Event::Fork`]: crate::node::Event::Fork
//! [`Event::EndFork`]: crate::node::Event::EndFork
//! [`Input::Child`]: crate::node::Input::Child

use super::config::Key;
use super::persistence::SaveTarget;
use super::{Server, ServerState};
use crate::node::{Event, LogLevel, Millis, ScriptStatus};

/// What a child does: its process title in 7.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildKind {
    Rdb,
    RdbToReplicas,
    AofRewrite,
}

impl ChildKind {
    pub fn title(self) -> &'static str {
        match self {
            ChildKind::Rdb => "redis-rdb-bgsave",
            ChildKind::RdbToReplicas => "redis-rdb-to-slaves",
            ChildKind::AofRewrite => "redis-aof-rewrite",
        }
    }
}

/// The children asked of the host.
#[derive(Debug, Default)]
pub struct Forks {
    /// The host runs a stand-in process per job (see [`Server::host_forks`]).
    pub host_forks: bool,
    next_id: u64,
    /// `total_forks`.
    pub total: u64,
    /// Children asked for and not ended: (id, the "started by pid" line
    /// waiting for the pid; `None` once logged).
    live: Vec<(u64, Option<String>)>,
    /// The running job's copy-on-write cost.
    pub cow: CowStats,
    /// `rdb_last_cow_size`, `aof_last_cow_size`: the last job's at its end.
    pub rdb_last_cow: u64,
    pub aof_last_cow: u64,
}

/// The copy-on-write cost of a job, as 7.0's child reports its private
/// dirty memory: here the bytes of the old values the snapshot keeps
/// because their keys changed before it wrote them (sampled by the cron).
#[derive(Debug, Default, Clone)]
pub struct CowStats {
    pub current: u64,
    pub peak: u64,
    sum: u64,
    samples: u64,
    /// When last sampled (0: never).
    pub updated: Millis,
}

impl CowStats {
    pub fn sample(&mut self, bytes: u64, now: Millis) {
        self.current = bytes;
        self.peak = self.peak.max(bytes);
        self.sum += bytes;
        self.samples += 1;
        self.updated = now;
    }

    /// The child's last line ("Fork CoW for RDB: ...").
    pub fn log_line(&self, what: &str) -> String {
        let avg = self.sum / self.samples.max(1);
        format!(
            "Fork CoW for {what}: current {} MB, peak {} MB, average {} MB",
            self.current >> 20,
            self.peak >> 20,
            avg >> 20
        )
    }
}

/// `rdb-key-save-delay` (microseconds after each key) of a running job, as
/// it was when the job began (the child's copy of the config), or
/// `key-load-delay` of a load. Key `i` (from 0) is written `i` delays after
/// the start.
#[derive(Clone, Copy, Debug)]
pub struct KeyPace {
    /// `delay_us` microseconds per `per` keys.
    delay_us: u64,
    per: u64,
    started: Millis,
}

impl KeyPace {
    /// None when there is no delay. A negative delay `-n` is debugDelay's
    /// statistical 1 µs once in `n` keys: here exactly one in `n`.
    pub fn new(delay_us: i64, now: Millis) -> Option<KeyPace> {
        let (delay_us, per) = match delay_us {
            0 => return None,
            d if d > 0 => (d as u64, 1),
            d => (1, d.unsigned_abs()),
        };
        Some(KeyPace {
            delay_us,
            per,
            started: now,
        })
    }

    /// How many more keys may be written at `now`, `written` being done.
    pub fn budget(&self, now: Millis, written: u64) -> u64 {
        let elapsed_us = now.saturating_sub(self.started).saturating_mul(1000);
        let due = elapsed_us.saturating_mul(self.per) / self.delay_us + 1;
        due.saturating_sub(written)
    }

    /// When the next key is due, `written` being done.
    pub fn next_due(&self, written: u64) -> Millis {
        let us = written.saturating_mul(self.delay_us) / self.per;
        self.started.saturating_add(us.div_ceil(1000))
    }
}

impl ServerState {
    /// The pace of a child that sleeps `rdb-key-save-delay` after each key:
    /// the sleep as long as it really lasts on this host.
    pub fn save_key_pace(&self) -> Option<KeyPace> {
        let delay = self.config.get_i64(Key::RDB_KEY_SAVE_DELAY);
        let delay = match (delay, self.host.probe.as_deref()) {
            (d, Some(probe)) if d > 0 => probe.measured_sleep_us(d as u64) as i64,
            (d, _) => d,
        };
        KeyPace::new(delay, self.now)
    }

    /// Fork a child for a job: `total_forks` counts it; the host, if it
    /// runs stand-ins, is asked for one. `started` is the line to log with
    /// the pid ("Background saving started by pid"): at once with
    /// `stand_in` as the pid, or when the host reports the real one.
    /// Returns the child's id and the pid known now.
    pub fn fork_child(&mut self, kind: ChildKind, started: &str, stand_in: u64) -> (u64, u64) {
        self.forks.total += 1;
        self.forks.next_id += 1;
        self.forks.cow = CowStats::default();
        for db in &mut self.dbs {
            db.forget_cow_bytes();
        }
        let id = self.forks.next_id;
        if !self.forks.host_forks {
            self.log(LogLevel::Notice, format!("{started} {stand_in}"));
            return (id, stand_in);
        }
        self.forks.live.push((id, Some(started.to_string())));
        let oom_score = self.oom_score(super::oom_score::BGCHILD);
        self.emit(Event::Fork {
            id,
            title: kind.title().to_string(),
            oom_score,
        });
        (id, 0)
    }

    /// `updateDictResizePolicy`: while a child runs, tables resize only
    /// when their chains get long (its pages would be copied on write).
    pub fn dict_resize(&self) -> crate::keyspace::Resize {
        match self.running_children().iter().any(Option::is_some) {
            true => crate::keyspace::Resize::Avoid,
            false => crate::keyspace::Resize::Enable,
        }
    }

    /// The ids of the jobs that run now.
    fn running_children(&self) -> [Option<u64>; 2] {
        [
            self.bgsave_job.as_ref().map(|b| b.child),
            self.aof.rewrite.as_ref().map(|r| r.child),
        ]
    }

    /// End the stand-ins of jobs that ended (finished, failed or stopped):
    /// called after every round.
    pub fn reap_children(&mut self) {
        if self.forks.live.is_empty() {
            return;
        }
        let running = self.running_children();
        let mut ended = Vec::new();
        self.forks.live.retain(|(id, _)| {
            let keep = running.contains(&Some(*id));
            if !keep {
                ended.push(*id);
            }
            keep
        });
        for id in ended {
            self.emit(Event::EndFork { id });
        }
    }
}

impl Server {
    /// Tell the node its host runs a stand-in process for each background
    /// job and reports it with [`crate::node::Input::Child`].
    pub fn host_forks(&mut self) {
        self.st.forks.host_forks = true;
    }

    /// The host's news of child `id`.
    pub(crate) fn child_status(&mut self, id: u64, status: ScriptStatus) {
        match status {
            ScriptStatus::Started { pid } => self.child_started(id, pid as u64),
            ScriptStatus::Exited { signal, .. } if signal != 0 => self.child_killed(id, signal),
            // A stand-in exits by itself only when told to (the job ended).
            ScriptStatus::Exited { .. } => {}
        }
    }

    fn child_started(&mut self, id: u64, pid: u64) {
        let st = &mut self.st;
        let Some(line) = st
            .forks
            .live
            .iter_mut()
            .find(|(i, _)| *i == id)
            .and_then(|(_, l)| l.take())
        else {
            return;
        };
        if let Some(bg) = st.bgsave_job.as_mut().filter(|b| b.child == id) {
            bg.pid = pid;
        }
        if let Some(rw) = st.aof.rewrite.as_mut().filter(|r| r.child == id) {
            rw.pid = pid;
        }
        st.log(LogLevel::Notice, format!("{line} {pid}"));
    }

    /// A child died by a signal while its job ran: the job fails as it
    /// does when Redis reaps a killed child.
    fn child_killed(&mut self, id: u64, signal: i32) {
        self.st.forks.live.retain(|(i, _)| *i != id);
        let bg_child = self
            .st
            .bgsave_job
            .as_ref()
            .filter(|b| b.finishing.is_none())
            .map(|b| b.child);
        if bg_child == Some(id) {
            if let Some(k) = self.st.kill_bgsave() {
                let target = k.0;
                self.st.bgsave_killed_by(k, signal);
                if target == SaveTarget::Disk {
                    // SIGUSR1 is how Redis stops a child without an error.
                    if signal != 10 {
                        self.st.persist.last_bgsave_ok = false;
                    }
                }
            }
            self.st.bgsave_for_waiting_replicas();
            return;
        }
        let rw_child = self
            .st
            .aof
            .rewrite
            .as_ref()
            .filter(|r| r.finishing.is_none())
            .map(|r| r.child);
        if rw_child == Some(id) {
            self.st.aof_rewrite_killed(signal);
        }
    }
}

impl ServerState {
    /// Bytes the running snapshots keep for keys changed since they began
    /// (what the last one kept, once it ended).
    pub fn cow_bytes_now(&self) -> u64 {
        self.dbs.iter().map(|db| db.snapshot_cow_bytes()).sum()
    }

    /// The cron's look at a running job's copy-on-write cost.
    pub fn sample_cow(&mut self) {
        if self.bgsave_job.is_some() || self.aof.rewrite.is_some() {
            let bytes = self.cow_bytes_now();
            self.forks.cow.sample(bytes, self.now);
        }
    }

    /// A job ended: its last sample, logged as its child would and kept
    /// for INFO (`rdb_last_cow_size` / `aof_last_cow_size`).
    pub fn end_cow(&mut self, kind: ChildKind) {
        let bytes = self.cow_bytes_now();
        self.forks.cow.sample(bytes, self.now);
        let (what, last) = match kind {
            ChildKind::AofRewrite => ("AOF rewrite", &mut self.forks.aof_last_cow),
            _ => ("RDB", &mut self.forks.rdb_last_cow),
        };
        *last = bytes;
        let line = self.forks.cow.log_line(what);
        self.log(LogLevel::Notice, line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_allows_one_key_per_delay() {
        let p = KeyPace::new(10_000, 1000).unwrap();
        assert_eq!(p.budget(1000, 0), 1, "the first key at once");
        assert_eq!(p.budget(1000, 1), 0);
        assert_eq!(p.next_due(1), 1010);
        assert_eq!(p.budget(1010, 1), 1);
        assert_eq!(p.budget(1100, 3), 8);
        assert!(KeyPace::new(0, 0).is_none());
        let p = KeyPace::new(-5, 0).unwrap();
        assert_eq!(p.budget(0, 0), 1);
        assert_eq!(p.budget(1, 0), 5001, "1 µs per 5 keys");
        assert_eq!(p.next_due(5000), 1);
    }
}
