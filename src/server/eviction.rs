//! `maxmemory` eviction as Redis 7.0's evict.c: the sampled approximate
//! LRU / LFU with its 16-entry pool, volatile-ttl, the random policies,
//! noeviction, the time bound of `maxmemory-eviction-tenacity` (a round
//! cut short goes on from the cron), and the metrics INFO reports.
//!
//! Victims are deleted like any key: DEL propagated to replicas, `evicted`
//! notified, WATCHes and blocked clients told.

use super::memory::{self, BufferMemory, UsedMemory};
use super::{notify, Key, MaxmemoryPolicy, Server};
use crate::keyspace::lru;
use crate::keyspace::{Db, InlineBytes};
use crate::node::Millis;
use bytes::Bytes;

/// Entries of the eviction pool (`EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// A candidate: its score (idle time, inverse frequency or inverse expiry:
/// higher is evicted first), name and database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub score: u64,
    /// The key (short ones inline: sampling copies no allocation).
    pub key: InlineBytes,
    pub db: usize,
}

/// The best candidates seen across rounds, in ascending score. Entries are
/// not removed when their key goes: a ghost is skipped when picked.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    entries: Vec<Candidate>,
}

impl Pool {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Offer a sampled key (`evictionPoolPopulate`'s insertion): kept if
    /// there is room or it scores above the worst entry, which then leaves.
    pub fn offer(&mut self, c: Candidate) {
        let k = self
            .entries
            .iter()
            .take_while(|e| e.score < c.score)
            .count();
        let full = self.entries.len() == POOL_SIZE;
        if k == 0 && full {
            return;
        }
        if full {
            self.entries.remove(0);
            self.entries.insert(k - 1, c);
        } else {
            self.entries.insert(k, c);
        }
    }

    /// Take the best entry out.
    pub fn pop_best(&mut self) -> Option<Candidate> {
        self.entries.pop()
    }
}

/// How a round of evictions ended (`EVICT_OK`, `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evict {
    /// Under the limit, or eviction does not apply.
    Ok,
    /// Over the limit, the round hit its time bound: the cron goes on.
    Running,
    /// Over the limit and nothing (more) can be evicted.
    Fail,
}

/// Eviction state kept across rounds.
#[derive(Clone, Debug, Default)]
pub struct Eviction {
    pool: Pool,
    /// The random policies visit the databases in turn (`next_db`).
    next_db: usize,
    /// A round was cut short by its time bound: the cron resumes it.
    pub running: bool,
    /// Since when memory has been over the limit (`stat_last_eviction_exceeded_time`).
    exceeded_since: Option<Millis>,
    /// Time spent over the limit before the current stretch, ms.
    total_exceeded_ms: u64,
}

impl Eviction {
    /// INFO `current_eviction_exceeded_time`, ms.
    pub fn current_exceeded_ms(&self, now: Millis) -> u64 {
        self.exceeded_since.map_or(0, |t| now.saturating_sub(t))
    }

    /// INFO `total_eviction_exceeded_time`, ms.
    pub fn total_exceeded_ms(&self, now: Millis) -> u64 {
        self.total_exceeded_ms + self.current_exceeded_ms(now)
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&mut self, now: Millis) {
        self.total_exceeded_ms = 0;
        if self.exceeded_since.is_some() {
            self.exceeded_since = Some(now);
        }
    }

    fn record(&mut self, result: Evict, now: Millis) {
        match result {
            Evict::Running | Evict::Fail => {
                self.exceeded_since.get_or_insert(now);
            }
            Evict::Ok => {
                if let Some(t) = self.exceeded_since.take() {
                    self.total_exceeded_ms += now.saturating_sub(t);
                }
            }
        }
    }
}

/// A round's time bound in µs from `maxmemory-eviction-tenacity`
/// (`evictionTimeLimitUs`): linear to 500 µs at 10, then +15% a step, none at 100.
pub fn time_limit_us(tenacity: i64) -> u64 {
    let t = tenacity.clamp(0, 100);
    if t <= 10 {
        50 * t as u64
    } else if t < 100 {
        (500.0 * 1.15f64.powi(t as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

/// The pool score of the key `key` of `db` under `policy`; `None` if it has
/// no object (or no expire, for volatile-ttl).
fn score(db: &Db, key: &[u8], policy: MaxmemoryPolicy, decay: u64, now: Millis) -> Option<u64> {
    if policy == MaxmemoryPolicy::VolatileTtl {
        return db.ttl_at(key).map(|at| u64::MAX - at);
    }
    let o = db.keys().get(key)?;
    Some(if policy.is_lfu() {
        255 - lru::lfu_decayed(o.lru(), decay, now) as u64
    } else {
        lru::idle_ms(o.lru(), now)
    })
}

/// How objects are stamped under the configured policy and LFU settings.
pub fn access_policy(c: &super::Config) -> lru::AccessPolicy {
    lru::AccessPolicy {
        lfu: c.maxmemory_policy().is_lfu(),
        log_factor: c.get_i64(Key::LFU_LOG_FACTOR).max(0) as u64,
        decay_time: c.get_i64(Key::LFU_DECAY_TIME).max(0) as u64,
    }
}

/// The commands whose lookups leave the access clock alone (7.0's
/// `LOOKUP_NOTOUCH`): they inspect a key without using it.
pub fn command_touches(name: &str) -> bool {
    !matches!(
        name,
        "object"
            | "type"
            | "ttl"
            | "pttl"
            | "expiretime"
            | "pexpiretime"
            | "exists"
            | "scan"
            | "memory"
            | "debug"
    )
}

impl Server {
    /// Set how the databases stamp accesses for the command about to run
    /// (or the cron): the policy's family, its LFU settings and `now`.
    pub(crate) fn prepare_access(&mut self, touch: bool) {
        let policy = access_policy(&self.st.config);
        // Redis does not touch while a child saves (copy-on-write).
        let touch = touch && self.st.bgsave_job.is_none();
        let now = self.st.now;
        // Commands in a burst mostly set what the last one did.
        let wanted = Some((policy, now, touch));
        if self.st.access_prepared == wanted {
            return;
        }
        self.st.access_prepared = wanted;
        for db in &mut self.st.dbs {
            db.access.policy = policy;
            db.access.now = now;
            db.access.touch = touch;
        }
    }

    /// What the connections and the replication buffers hold now (the
    /// client running a command is out of `clients` meanwhile: counted bare).
    pub(crate) fn buffer_memory(&self) -> BufferMemory {
        let mut b = memory::buffer_memory(self.clients.values().map(|c| &**c), &self.st);
        b.clients_normal += memory::CLIENT_MEMORY;
        b
    }

    /// `used_memory` now, in-place changes charged first.
    pub(crate) fn used_memory_now(&mut self) -> UsedMemory {
        for db in &mut self.st.dbs {
            db.settle_charges();
        }
        let used = memory::used_memory(&self.st.dbs, &self.buffer_memory());
        self.st.mem_peak.observe(used.used, self.st.now);
        used
    }

    /// Whether eviction applies now (`isPerformEvictions`): not on a
    /// replica told to ignore maxmemory, nor while clients are paused (the
    /// dataset must stay as it is).
    fn evictions_allowed(&self) -> bool {
        let ignoring =
            self.st.repl.is_replica() && self.st.config.get_bool(Key::REPLICA_IGNORE_MAXMEMORY);
        !ignoring && !self.st.pause.is_paused()
    }

    /// One round of evictions (`performEvictions`): free what is over
    /// `maxmemory` as the policy allows, within the tenacity's time bound.
    pub(crate) fn perform_evictions(&mut self) -> Evict {
        let max = self.st.config.maxmemory();
        if !self.evictions_allowed() {
            // Skipped as if it had not been asked: no metrics.
            return Evict::Ok;
        }
        if max == 0 {
            // No limit (any more): a stretch over it ends.
            let now = self.st.now;
            self.st.eviction.record(Evict::Ok, now);
            self.st.eviction.running = false;
            return Evict::Ok;
        }
        let result = self.evict_round(max);
        self.st.eviction.running = result == Evict::Running;
        let now = self.st.now;
        self.st.eviction.record(result, now);
        result
    }

    fn evict_round(&mut self, max: u64) -> Evict {
        let used = self.used_memory_now();
        if used.used <= max || used.for_eviction() <= max {
            return Evict::Ok;
        }
        let policy = self.st.config.maxmemory_policy();
        if policy == MaxmemoryPolicy::Noeviction {
            return Evict::Fail;
        }
        let to_free = used.for_eviction() - max;
        let limit = time_limit_us(self.st.config.get_i64(Key::MAXMEMORY_EVICTION_TENACITY));
        let started = self.st.monotonic_us();
        let mut freed = 0u64;
        let mut keys_freed = 0u64;
        while freed < to_free {
            let Some((dbi, key)) = self.pick_victim(policy) else {
                return Evict::Fail;
            };
            let before = memory::used_memory(&self.st.dbs[dbi..=dbi], &BufferMemory::default());
            self.evict_key(dbi, key);
            let after = memory::used_memory(&self.st.dbs[dbi..=dbi], &BufferMemory::default());
            freed += before.used.saturating_sub(after.used);
            keys_freed += 1;
            if keys_freed.is_multiple_of(16)
                && self.st.monotonic_us().saturating_sub(started) > limit
            {
                return Evict::Running;
            }
        }
        Evict::Ok
    }

    /// Delete an evicted key as 7.0 does: DEL to replicas, `evicted` event,
    /// WATCHes and blocked clients told.
    fn evict_key(&mut self, dbi: usize, key: Bytes) {
        let db = &mut self.st.dbs[dbi];
        db.delete(&key);
        db.note_touched(key.clone());
        self.st.stats.evicted_keys += 1;
        self.st.notify(notify::class::EVICTED, "evicted", &key, dbi);
        self.st.repl_feed.push(super::Propagated::all(
            dbi,
            vec![Bytes::from_static(b"DEL"), key],
        ));
    }

    /// The next key to evict under `policy`.
    fn pick_victim(&mut self, policy: MaxmemoryPolicy) -> Option<(usize, Bytes)> {
        let allkeys = !policy.is_volatile();
        if matches!(
            policy,
            MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom
        ) {
            let n = self.st.dbs.len();
            for _ in 0..n {
                self.st.eviction.next_db = (self.st.eviction.next_db + 1) % n;
                let db = &self.st.dbs[self.st.eviction.next_db];
                let r = self.st.rng.next_u64();
                let key = if allkeys {
                    db.keys().random_entry(r).map(|(k, _)| k.to_bytes())
                } else {
                    db.expires().random_entry(r).map(|(k, _)| k.to_bytes())
                };
                if let Some(k) = key {
                    return Some((self.st.eviction.next_db, k));
                }
            }
            return None;
        }
        let samples = self.st.config.get_i64(Key::MAXMEMORY_SAMPLES).max(1) as usize;
        let decay = self.st.config.get_i64(Key::LFU_DECAY_TIME).max(0) as u64;
        let now = self.st.now;
        loop {
            let mut total = 0;
            for dbi in 0..self.st.dbs.len() {
                let db = &self.st.dbs[dbi];
                let size = if allkeys {
                    db.len()
                } else {
                    db.expires().len()
                };
                if size == 0 {
                    continue;
                }
                total += size;
                for _ in 0..samples.min(size) {
                    let r = self.st.rng.next_u64();
                    let key = if allkeys {
                        db.keys().random_entry(r).map(|(k, _)| k.clone())
                    } else {
                        db.expires().random_entry(r).map(|(k, _)| k.clone())
                    };
                    let Some(key) = key else { continue };
                    if let Some(score) = score(db, &key, policy, decay, now) {
                        self.st.eviction.pool.offer(Candidate {
                            score,
                            key,
                            db: dbi,
                        });
                    }
                }
            }
            if total == 0 {
                return None;
            }
            while let Some(c) = self.st.eviction.pool.pop_best() {
                let db = &self.st.dbs[c.db];
                let exists = if allkeys {
                    db.keys().contains_key(&c.key[..])
                } else {
                    db.expires().contains_key(&c.key[..])
                };
                if exists {
                    return Some((c.db, c.key.to_bytes()));
                }
                // A ghost: the key went since it was sampled.
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(score: u64, key: &str) -> Candidate {
        Candidate {
            score,
            key: InlineBytes::from(key),
            db: 0,
        }
    }

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut p = Pool::default();
        for i in 0..40u64 {
            // Scores in a scrambled order.
            let s = (i * 17) % 40;
            p.offer(cand(s, &format!("k{s}")));
        }
        assert_eq!(p.len(), POOL_SIZE);
        let mut got = Vec::new();
        while let Some(c) = p.pop_best() {
            got.push(c.score);
        }
        let want: Vec<u64> = (24..40).rev().collect();
        assert_eq!(got, want);
    }

    #[test]
    fn pool_refuses_worse_than_worst_when_full() {
        let mut p = Pool::default();
        for s in 100..116 {
            p.offer(cand(s, "x"));
        }
        p.offer(cand(5, "low"));
        assert_eq!(p.len(), POOL_SIZE);
        assert!(p.entries.iter().all(|e| e.key != b"low"[..]));
        p.offer(cand(200, "high"));
        assert_eq!(p.pop_best().map(|c| c.score), Some(200));
        assert_eq!(p.entries[0].score, 101);
    }

    #[test]
    fn tenacity_time_limits() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert_eq!(time_limit_us(100), u64::MAX);
    }

    use crate::commands::testkit::Kit;

    /// A limit under the data: the least recently used keys go, as DELs
    /// to replicas with `evicted` events, and `evicted_keys` counts them.
    #[test]
    fn lru_evicts_the_idle_keys_and_propagates_dels() {
        let mut k = Kit::new();
        k.cmd(1, "CONFIG SET notify-keyspace-events Ee");
        k.cmd(2, "SUBSCRIBE __keyevent@0__:evicted");
        for i in 0..200 {
            k.cmd(1, &format!("SET old:{i} {}", "x".repeat(50)));
        }
        k.tick(5_000);
        for i in 0..20 {
            k.cmd(1, &format!("SET new:{i} {}", "x".repeat(50)));
        }
        assert_eq!(k.cmd(1, "OBJECT IDLETIME old:1"), ":5\r\n");
        assert_eq!(k.cmd(1, "OBJECT IDLETIME new:1"), ":0\r\n");
        k.feed();
        let used: u64 = k.srv.used_memory_now().used;
        let limit = used - 100 * 100;
        k.cmd(1, "CONFIG SET maxmemory-policy allkeys-lru");
        k.cmd(1, &format!("CONFIG SET maxmemory {limit}"));
        assert_eq!(k.cmd(1, "SET one more"), "+OK\r\n");
        // The write came after the round; the cron's round makes room for it.
        k.tick(200);
        assert!(k.srv.used_memory_now().used <= limit);
        let evicted = k.srv.st.stats.evicted_keys;
        assert!(evicted >= 50, "{evicted}");
        for i in 0..20 {
            assert_eq!(k.cmd(1, &format!("EXISTS new:{i}")), ":1\r\n");
        }
        let dels: Vec<String> = k
            .feed()
            .into_iter()
            .filter(|c| c.starts_with("DEL"))
            .collect();
        assert_eq!(dels.len() as u64, evicted);
        assert!(dels.iter().all(|d| d.starts_with("DEL old:")));
        let events = k.take(2).matches("__keyevent@0__:evicted\r\n$").count() as u64;
        assert_eq!(events, evicted);
    }

    #[test]
    fn noeviction_refuses_denyoom_and_queued_commands() {
        let mut k = Kit::new();
        k.cmd(1, "SET a b");
        k.cmd(1, "CONFIG SET maxmemory 1");
        let oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
        assert_eq!(k.cmd(1, "SET c d"), oom);
        assert_eq!(k.cmd(1, "GET a"), "$1\r\nb\r\n");
        assert_eq!(k.cmd(1, "DEL a"), ":1\r\n");
        k.cmd(1, "SET x y");
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "GET x"), oom);
    }

    #[test]
    fn lfu_counts_accesses_and_object_freq_reads_it() {
        let mut k = Kit::new();
        k.cmd(1, "CONFIG SET maxmemory-policy allkeys-lfu");
        k.cmd(1, "SET k v");
        assert_eq!(k.cmd(1, "OBJECT FREQ k"), ":5\r\n");
        k.cmd(1, "GET k");
        // OBJECT, TYPE, EXISTS and TTL do not count as accesses.
        k.cmd(1, "TYPE k");
        k.cmd(1, "EXISTS k");
        k.cmd(1, "TTL k");
        assert_eq!(k.cmd(1, "OBJECT FREQ k"), ":6\r\n");
        assert!(k
            .cmd(1, "OBJECT IDLETIME k")
            .starts_with("-ERR An LFU maxmemory policy is selected"));
        // One decay period per idle minute (lfu-decay-time 1).
        k.tick(3 * 60_000);
        assert_eq!(k.cmd(1, "OBJECT FREQ k"), ":3\r\n");
    }

    #[test]
    fn replicas_ignore_maxmemory_by_default() {
        let mut k = Kit::new();
        k.cmd(1, "SET a b");
        k.cmd(1, "REPLICAOF 127.0.0.1 1");
        k.cmd(1, "CONFIG SET maxmemory-policy allkeys-random");
        k.cmd(1, "CONFIG SET maxmemory 1");
        assert_eq!(k.cmd(1, "DBSIZE"), ":1\r\n");
        k.cmd(1, "CONFIG SET replica-ignore-maxmemory no");
        k.tick(200);
        assert_eq!(k.cmd(1, "DBSIZE"), ":0\r\n");
    }

    #[test]
    fn exceeded_time_is_accumulated() {
        let mut e = Eviction::default();
        e.record(Evict::Fail, 1000);
        e.record(Evict::Running, 1500);
        assert_eq!(e.current_exceeded_ms(2000), 1000);
        e.record(Evict::Ok, 2500);
        assert_eq!(e.current_exceeded_ms(3000), 0);
        assert_eq!(e.total_exceeded_ms(3000), 1500);
    }
}
