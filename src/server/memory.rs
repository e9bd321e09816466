//! The server's memory figure: one estimate of what a node would use, for
//! INFO memory, MEMORY USAGE, `maxmemory` eviction and the RDB `used-mem`
//! field.
//!
//! The core has no allocator to ask, so the figure is an estimate from the
//! dataset's shape, with Redis 7.0's structure sizes for a plausible scale
//! (an empty server reports what a real one does at start).

use crate::keyspace::{Db, Object, Value};

/// `used_memory` of a server with no data and no clients (Redis 7.0, jemalloc).
pub const STARTUP_MEMORY: u64 = 862_960;
/// A connected client: its struct, query buffer and reply buffer.
pub const CLIENT_MEMORY: u64 = 1_800;
/// A key's fixed cost: its dictEntry, the value's robj and the key's sds header.
const KEY_OVERHEAD: u64 = 24 + 16 + 9;
/// An entry of a database's expires dict.
const EXPIRE_ENTRY: u64 = 24;
/// A non-empty database's dicts: the tables' fixed part...
const DB_OVERHEAD: u64 = 96;
/// ...and a bucket per key.
const DB_BUCKET: u64 = 8;

/// What `key` and its value take (MEMORY USAGE), its expire not counted.
pub fn key_memory(key: &[u8], o: &Object) -> u64 {
    key_memory_sampled(key, o, 5)
}

/// [`key_memory`] with MEMORY USAGE's SAMPLES (a stream's listpacks looked at).
pub fn key_memory_sampled(key: &[u8], o: &Object, samples: usize) -> u64 {
    if let Value::Stream(s) = &o.value {
        return stream_memory(key, s, samples);
    }
    let value = match &o.value {
        Value::Str(s) => {
            if s.len() <= 44 {
                s.len() as u64 + 4
            } else {
                s.len() as u64 + 9
            }
        }
        Value::List(l) => 32 + l.iter().map(|e| e.len() as u64 + 11).sum::<u64>(),
        Value::Hash(h) => {
            32 + h
                .iter()
                .map(|(f, v)| (f.len() + v.len()) as u64 + 22)
                .sum::<u64>()
        }
        Value::Set(s) => 32 + s.keys().map(|m| m.len() as u64 + 11).sum::<u64>(),
        Value::ZSet(z) => 48 + z.iter().map(|(m, _)| m.len() as u64 + 40).sum::<u64>(),
        Value::Stream(_) => 0,
    };
    KEY_OVERHEAD + key.len() as u64 + value
}

/// A stream key as 7.0's MEMORY USAGE counts it: `objectComputeSize`
/// (`samples` listpacks sampled), the dict entry, and the key's sds.
fn stream_memory(key: &[u8], s: &crate::keyspace::Stream, samples: usize) -> u64 {
    use crate::server::query_buffer::size_class;
    let hdr = match key.len() {
        0..=255 => 3,
        256..=65535 => 5,
        _ => 9,
    };
    let key_sds = size_class(hdr + key.len() + 1);
    (s.memory_usage(size_class, samples) + 24 + key_sds) as u64
}

/// A database's contents: its keys, their values and their expires.
pub fn db_memory(db: &Db) -> u64 {
    let keys: u64 = db.keys().iter().map(|(k, o)| key_memory(k, o)).sum();
    keys + db.expires().len() as u64 * EXPIRE_ENTRY
}

/// The dicts of the non-empty databases.
fn dbs_overhead(dbs: &[Db]) -> u64 {
    dbs.iter()
        .filter(|d| !d.is_empty())
        .map(|d| DB_OVERHEAD + DB_BUCKET * d.len() as u64)
        .sum()
}

/// `used_memory` and the two parts INFO memory shows it made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsedMemory {
    /// `used_memory`: overhead + dataset.
    pub used: u64,
    /// `used_memory_overhead`: the startup footprint, clients, the dicts.
    pub overhead: u64,
    /// `used_memory_dataset`: the keys and values.
    pub dataset: u64,
}

/// The used memory of a node with these databases and `clients` connections.
pub fn used_memory(dbs: &[Db], clients: usize) -> UsedMemory {
    let dataset: u64 = dbs.iter().map(db_memory).sum();
    let overhead = STARTUP_MEMORY + clients as u64 * CLIENT_MEMORY + dbs_overhead(dbs);
    UsedMemory {
        used: overhead + dataset,
        overhead,
        dataset,
    }
}

/// What Redis 7.0 reports as `used_memory_lua` for an idle Lua VM; INFO
/// prints it, and Redis deducts it from the RSS for `allocator_resident`.
pub const LUA_MEMORY: u64 = 32_768;

/// The allocator's and the OS's view of `used_memory` that INFO memory
/// reports, derived as Redis 7.0 derives them when its allocator (libc
/// malloc) gives no statistics: allocated is `used_memory`, resident is the
/// RSS less Lua's memory, active is resident. The RSS is the host's
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
    pub fn of(used: u64, measured_rss: Option<u64>) -> AllocatorFigures {
        let rss = measured_rss.unwrap_or(used);
        let resident = rss.saturating_sub(LUA_MEMORY);
        AllocatorFigures {
            allocated: used,
            active: resident,
            resident,
            rss,
        }
    }
}

/// The RDB `used-mem` aux field of a foreground save: [`used_memory`] of the
/// dataset (a save has no clients to count).
pub fn rdb_used_mem(dbs: &[Db]) -> u64 {
    used_memory(dbs, 0).used
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
    use bytes::Bytes;

    #[test]
    fn used_memory_is_its_parts() {
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
        let empty = used_memory(&dbs, 1);
        assert_eq!(empty.used, STARTUP_MEMORY + CLIENT_MEMORY);
        assert_eq!(empty.dataset, 0);
        let o = Object::new(Value::Str(Bytes::from_static(b"bar")));
        assert_eq!(key_memory(b"foo", &o), 49 + 3 + 3 + 4);
        dbs[2].set(Bytes::from_static(b"foo"), o);
        let one = used_memory(&dbs, 1);
        assert_eq!(one.dataset, 59);
        assert_eq!(one.overhead, empty.overhead + DB_OVERHEAD + DB_BUCKET);
        assert_eq!(one.used, one.overhead + one.dataset);
        assert_eq!(rdb_used_mem(&dbs), one.used - CLIENT_MEMORY);
        assert_eq!(rdb_used_mem_quick(&dbs), 870_000 + 96);
    }
}
