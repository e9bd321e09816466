//! The server's memory figure: one estimate of what a node would use, for
//! INFO memory, MEMORY USAGE, `maxmemory` eviction and the RDB `used-mem`
//! field.
//!
//! The core has no allocator to ask, so the figure is an estimate from the
//! dataset's shape, with Redis 7.0's structure sizes for a plausible scale
//! (an empty server reports what a real one does at start).

use super::client::{Client, ClientKind};
use super::ServerState;
use crate::keyspace::{size, Db, Object};
use crate::node::HostProbe;

/// `used_memory` of a server with no data and no clients (Redis 7.0, jemalloc).
pub const STARTUP_MEMORY: u64 = 862_960;
/// A connected client's fixed part: its struct and empty buffers.
pub const CLIENT_MEMORY: u64 = 1_800;
/// The client struct alone (CLIENT LIST's tot-mem adds its reply buffer).
pub const CLIENT_STRUCT: u64 = 776;
/// An entry of a database's expires dict.
const EXPIRE_ENTRY: u64 = 24;
/// A non-empty database's dicts: the tables' fixed part...
const DB_OVERHEAD: u64 = 96;
/// ...and a bucket per key.
const DB_BUCKET: u64 = 8;
/// MEMORY USAGE's default number of sampled elements.
pub const USAGE_SAMPLES: usize = 5;

/// What `key` and its value take (MEMORY USAGE), its expire not counted,
/// collections sampled with up to `samples` elements (0: all).
pub fn key_memory(key: &[u8], o: &Object, samples: usize) -> u64 {
    size::key_bytes(key, o, samples)
}

/// A database's contents: its keys and their values, from its running
/// total (O(1)).
pub fn db_memory(db: &Db) -> u64 {
    db.charged_bytes()
}

/// A database's dicts (MEMORY STATS `overhead.hashtable.main` and
/// `.expires`): the tables and their buckets, the expires' entries.
pub fn db_dict_overhead(db: &Db) -> (u64, u64) {
    if db.is_empty() {
        return (0, 0);
    }
    let expires = db.expires().len() as u64;
    (
        DB_OVERHEAD + DB_BUCKET * db.len() as u64,
        expires * (EXPIRE_ENTRY + DB_BUCKET),
    )
}

/// The dicts of the non-empty databases.
fn dbs_overhead(dbs: &[Db]) -> u64 {
    dbs.iter()
        .map(|d| {
            let (main, expires) = db_dict_overhead(d);
            main + expires
        })
        .sum()
}

/// What the connections hold besides the dataset: counted by the server as
/// it renders INFO or checks `maxmemory`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferMemory {
    /// Normal clients (and pub/sub, monitors): struct, query and reply buffers.
    pub clients_normal: u64,
    /// Replicas: struct, query buffer, and the stream buffered for them
    /// during a full sync.
    pub clients_replicas: u64,
    /// The part of `clients_replicas` that is buffered stream: not counted
    /// for eviction (`mem_not_counted_for_evict`).
    pub replica_output: u64,
    /// The replication backlog's bytes.
    pub backlog: u64,
    /// The AOF buffer not yet written (not counted for eviction either).
    pub aof_buffer: u64,
}

/// `used_memory` and the parts INFO memory shows it made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsedMemory {
    /// `used_memory`: overhead + dataset.
    pub used: u64,
    /// `used_memory_overhead`: the startup footprint, clients, backlog, the dicts.
    pub overhead: u64,
    /// `used_memory_dataset`: the keys and values.
    pub dataset: u64,
    /// `mem_not_counted_for_evict`.
    pub not_counted_for_evict: u64,
}

impl UsedMemory {
    /// The figure `maxmemory` is compared with (`getMaxmemoryState`).
    pub fn for_eviction(&self) -> u64 {
        self.used.saturating_sub(self.not_counted_for_evict)
    }
}

/// The used memory of a node with these databases and buffers. O(databases).
pub fn used_memory(dbs: &[Db], buffers: &BufferMemory) -> UsedMemory {
    let dataset: u64 = dbs.iter().map(db_memory).sum();
    let overhead = STARTUP_MEMORY
        + buffers.clients_normal
        + buffers.clients_replicas
        + buffers.backlog
        + buffers.aof_buffer
        + dbs_overhead(dbs);
    UsedMemory {
        used: overhead + dataset,
        overhead,
        dataset,
        not_counted_for_evict: buffers.replica_output + buffers.aof_buffer,
    }
}

/// One client's buffers: its query buffer (with a partly read request's
/// arguments) and its pending replies.
/// multiStateMemOverhead: the queued commands' arguments (lengths plus a
/// pointer each), 56 bytes per WATCHed key (its list node and entry), and
/// the queue's slots (24 bytes each, 2 at first, doubling).
pub fn multi_memory(c: &Client) -> u64 {
    let watched = c.watched.len() as u64 * 56;
    let Some(m) = &c.multi else {
        return watched;
    };
    let argv: u64 = m
        .queue
        .iter()
        .map(|argv| argv.iter().map(|a| a.len() as u64 + 8).sum::<u64>())
        .sum();
    let slots = match m.queue.len() {
        0 => 0,
        n => n.next_power_of_two().max(2) as u64,
    };
    argv + watched + slots * 24
}

/// What a client's subscriptions cost it in 7.0 (getClientMemoryUsage): a
/// list node per pattern, a dict entry per channel (plain and shard) plus
/// the dicts' slots.
pub fn pubsub_memory(c: &Client) -> u64 {
    let dict = |n: usize| {
        let slots = match n {
            0 => 0,
            n => n.next_power_of_two().max(4),
        };
        n as u64 * 24 + slots as u64 * 8
    };
    c.patterns.len() as u64 * 24 + dict(c.channels.len()) + dict(c.shard_channels.len())
}

/// getClientMemoryUsage of a client between commands: what CLIENT LIST's
/// `tot-mem` says and `maxmemory-clients` counts. `omem`: its reply list
/// (`OutputUse::omem`).
pub fn client_tot_mem(c: &Client, omem: u64) -> u64 {
    let q = c.query.len();
    CLIENT_STRUCT
        + (c.reply_size.usable + q + c.query_size.free(q) + c.parser.partial_args_bytes()) as u64
        + omem
        + client_overhead(c)
}

/// The client's memory beyond its buffers: transaction, subscriptions,
/// and BCAST tracking prefixes, which 7.0 counts as 32 bytes per node of
/// their radix tree (a tree of n keys has about 2n nodes: a leaf each, and
/// the branch above it).
pub fn client_overhead(c: &Client) -> u64 {
    let prefixes = c.tracking.as_ref().map_or(0, |t| t.prefixes.len() as u64);
    multi_memory(c) + pubsub_memory(c) + prefixes * 2 * 32
}

pub fn client_memory(query_capacity: usize, replies: usize) -> u64 {
    CLIENT_MEMORY + query_capacity as u64 + replies as u64
}

/// What these clients and the replication buffers hold.
pub fn buffer_memory<'a>(
    clients: impl Iterator<Item = &'a Client>,
    st: &ServerState,
) -> BufferMemory {
    let mut b = BufferMemory::default();
    let probe = st.host.probe.as_deref();
    for c in clients {
        let query = c.query.capacity() + c.parser.partial_args_bytes();
        let unsent = probe.map_or(0, |p| p.unsent_output(c.conn));
        let m = client_memory(query, c.reply.len() + c.pushes.len() + unsent as usize)
            + client_overhead(c);
        if c.kind == ClientKind::Replica {
            b.clients_replicas += m;
            // What waits for a replica is not counted for eviction.
            b.replica_output += unsent;
        } else {
            b.clients_normal += m;
        }
    }
    // The backlog is the shared replication buffer: past its size, it holds
    // the stream replicas still need, which 7.0 counts as theirs
    // (getMemoryOverheadData) and not for eviction.
    if let Some(x) = st.repl.backlog.as_ref() {
        let (held, size) = (x.histlen() as u64, x.size() as u64);
        let theirs = held.saturating_sub(size);
        b.backlog = held - theirs;
        b.replica_output += theirs;
        b.clients_replicas += theirs;
    }
    b.aof_buffer = st.aof.buf.len() as u64;
    b
}

/// The figures of MEMORY STATS and MEMORY DOCTOR (`getMemoryOverheadData`).
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryStats {
    pub peak: u64,
    pub used: UsedMemory,
    pub buffers: BufferMemory,
    /// (database number, main dict overhead, expires dict overhead) of the
    /// non-empty databases.
    pub dbs: Vec<(usize, u64, u64)>,
    pub keys: u64,
    pub alloc: AllocatorFigures,
}

impl MemoryStats {
    pub fn of(
        dbs: &[Db],
        buffers: BufferMemory,
        peak: u64,
        probe: Option<&dyn HostProbe>,
    ) -> MemoryStats {
        let used = used_memory(dbs, &buffers);
        MemoryStats {
            peak: peak.max(used.used),
            used,
            buffers,
            dbs: dbs
                .iter()
                .enumerate()
                .filter(|(_, d)| !d.is_empty())
                .map(|(i, d)| {
                    let (main, expires) = db_dict_overhead(d);
                    (i, main, expires)
                })
                .collect(),
            keys: dbs.iter().map(|d| d.len() as u64).sum(),
            alloc: AllocatorFigures::of(used.used, probe),
        }
    }

    /// MEMORY DOCTOR's report, 7.0's text; `clients` / `replicas` count
    /// the connections.
    pub fn doctor(&self, clients: u64, replicas: u64) -> String {
        let used = self.used.used;
        if used < 5 << 20 {
            return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n".into();
        }
        let a = &self.alloc;
        let ratio = |x: u64, y: u64| x as f64 / y.max(1) as f64;
        let over = |x: u64, y: u64| ratio(x, y) > 1.1 && x.saturating_sub(y) > 10 << 20;
        let mut issues = Vec::new();
        if ratio(self.peak, used) > 1.5 {
            issues.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n".to_string());
        }
        if ratio(a.rss, used) > 1.4 && a.rss.saturating_sub(used) > 10 << 20 {
            issues.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n".to_string());
        }
        if over(a.active, a.allocated) {
            issues.push(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n".to_string());
        }
        if over(a.resident, a.active) {
            issues.push(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n".to_string());
        }
        if over(a.rss, a.resident) {
            issues.push(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n".to_string());
        }
        if replicas > 0 && self.buffers.clients_replicas > 10 << 20 {
            issues.push(" * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n".to_string());
        }
        if self.buffers.clients_normal / clients.max(1) > 200 << 10 {
            issues.push(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n".to_string());
        }
        if issues.is_empty() {
            return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n".into();
        }
        let mut s = String::from(
            "Sam, I detected a few issues in this Redis instance memory implants:\n\n",
        );
        for i in issues {
            s.push_str(&i);
        }
        s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
        s
    }
}

/// The highest `used_memory` seen (`used_memory_peak`): raised by the cron
/// and whenever INFO or MEMORY STATS compute the figure.
#[derive(Clone, Copy, Debug, Default)]
pub struct Peak {
    pub bytes: u64,
    /// When it was reached (`now`, ms).
    pub at: u64,
}

impl Peak {
    pub fn observe(&mut self, used: u64, now: u64) {
        if used > self.bytes {
            self.bytes = used;
            self.at = now;
        }
    }
}

/// What Redis 7.0 reports as `used_memory_lua` for an idle Lua VM; INFO
/// prints it, and Redis deducts it from the RSS for `allocator_resident`.
pub const LUA_MEMORY: u64 = 32_768;

/// The allocator's and the OS's view of `used_memory` that INFO memory
/// reports, derived as Redis 7.0 derives them when its allocator (libc
/// malloc) gives no statistics: allocated is `used_memory` (or, natively,
/// what the binary's counting allocator holds), resident is the RSS less
/// Lua's memory, active is resident. The RSS is the host's
/// measurement; a host that cannot measure it (the simulator, wasm) gets
/// `used_memory`, as Redis falls back to when it cannot read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocatorFigures {
    /// `allocator_allocated`.
    pub allocated: u64,
    /// `allocator_active`.
    pub active: u64,
    /// `allocator_resident`.
    pub resident: u64,
    /// `used_memory_rss`.
    pub rss: u64,
}

impl AllocatorFigures {
    pub fn of(used: u64, probe: Option<&dyn HostProbe>) -> AllocatorFigures {
        let rss = probe.and_then(|p| p.rss()).unwrap_or(used);
        let resident = rss.saturating_sub(LUA_MEMORY);
        AllocatorFigures {
            // The counting allocator's figure where the host has one.
            allocated: probe.and_then(|p| p.allocated()).unwrap_or(used),
            active: resident,
            resident,
            rss,
        }
    }
}

/// The RDB `used-mem` aux field of a foreground save: [`used_memory`] of the
/// dataset (a save has no clients to count).
pub fn rdb_used_mem(dbs: &[Db]) -> u64 {
    used_memory(dbs, &BufferMemory::default()).used
}

/// The RDB `used-mem` aux field of a background save, from counts only, in
/// O(databases): the save must start without walking the dataset, as Redis
/// reads its allocator's counter.
///
/// Its constants are its own, not [`used_memory`]'s: a replica logs the
/// figure when it loads the file of a full sync ("RDB memory usage when
/// created"), and those log lines are part of the simulator's recorded
/// traces, which must stay as they are.
pub fn rdb_used_mem_quick(dbs: &[Db]) -> u64 {
    /// The figure's baseline, and a key's and an expire's cost in it.
    const BASELINE: u64 = 870_000;
    const PER_KEY: u64 = 96;
    const PER_EXPIRE: u64 = 32;
    dbs.iter().fold(BASELINE, |t, db| {
        t + db.len() as u64 * PER_KEY + db.expires().len() as u64 * PER_EXPIRE
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Value;
    use bytes::Bytes;

    fn one_client() -> BufferMemory {
        BufferMemory {
            clients_normal: client_memory(0, 0),
            ..BufferMemory::default()
        }
    }

    #[test]
    fn used_memory_is_its_parts() {
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
        let empty = used_memory(&dbs, &one_client());
        assert_eq!(empty.used, STARTUP_MEMORY + CLIENT_MEMORY);
        assert_eq!(empty.dataset, 0);
        let o = Object::new(Value::Str(Bytes::from_static(b"bar").into()));
        assert_eq!(key_memory(b"foo", &o, USAGE_SAMPLES), 49 + 3 + 3 + 4);
        dbs[2].set(Bytes::from_static(b"foo"), o);
        let one = used_memory(&dbs, &one_client());
        assert_eq!(one.dataset, 59);
        assert_eq!(one.overhead, empty.overhead + DB_OVERHEAD + DB_BUCKET);
        assert_eq!(one.used, one.overhead + one.dataset);
        assert_eq!(rdb_used_mem(&dbs), one.used - CLIENT_MEMORY);
        assert_eq!(rdb_used_mem_quick(&dbs), 870_000 + 96);
    }

    /// The running total always equals the sum over the keys, whatever
    /// changed them: stores, in-place changes, deletes, expiry, FLUSH.
    #[test]
    fn running_total_follows_every_change() {
        let sum = |db: &Db| -> u64 {
            db.keys()
                .iter()
                .map(|(k, o)| size::key_bytes(k, o, size::CHARGE_SAMPLES).min(u32::MAX as u64))
                .sum()
        };
        let mut db = Db::default();
        for i in 0..100u32 {
            let v = Value::Str(Bytes::from(format!("value-{i}")).into());
            db.set(Bytes::from(format!("k{i}")), Object::new(v));
        }
        assert_eq!(db.charged_bytes(), sum(&db));
        // Grow a value in place: counted once settled.
        if let Some(o) = db.get_mut(b"k1", 0) {
            o.value = Value::Str(Bytes::from(vec![b'x'; 5000]).into());
        }
        assert!(db.has_unsettled_charges());
        db.settle_charges();
        assert_eq!(db.charged_bytes(), sum(&db));
        assert!(db.charged_bytes() > 5000);
        // A handler replacing the whole object (SETRANGE, APPEND do).
        for _ in 0..3 {
            if let Some(o) = db.get_mut(b"k6", 0) {
                *o = Object::new(Value::Str(Bytes::from(vec![b'y'; 3000]).into()));
            }
            db.get_mut(b"k7", 0);
            db.get_mut(b"k6", 0);
            db.settle_charges();
        }
        assert_eq!(db.charged_bytes(), sum(&db));
        db.set(
            Bytes::from_static(b"k2"),
            Object::new(Value::Str(Bytes::new().into())),
        );
        db.delete(b"k3");
        db.remove(b"k4");
        db.set_expire(b"k5", 10);
        assert!(db.expire_if_needed(b"k5", 20));
        assert_eq!(db.charged_bytes(), sum(&db));
        db.clear();
        assert_eq!(db.charged_bytes(), 0);
    }

    #[test]
    fn peak_only_rises() {
        let mut p = Peak::default();
        p.observe(10, 1);
        p.observe(5, 2);
        assert_eq!((p.bytes, p.at), (10, 1));
    }
}
