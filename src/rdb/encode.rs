//! The RDB encoder (`rdbSaveRio`), writing version 9 with plain encodings
//! (type 0 string, 1 list, 2 set, 5 zset with binary scores, 4 hash), which
//! Redis 6.0 through 7.2 all load.

use super::{crc64, lzf, opcodes as op, types as ty, Aux, WRITE_VERSION};
use crate::keyspace::{Db, SnapEntry, Value};

/// Knobs of `rdbcompression` and `rdbchecksum`.
#[derive(Clone, Copy, Debug)]
pub struct EncodeOptions {
    /// LZF-compress strings longer than 20 bytes when it saves space.
    pub compression: bool,
    /// Write the CRC64 trailer (otherwise eight zero bytes).
    pub checksum: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            compression: true,
            checksum: true,
        }
    }
}

/// Encode databases and aux fields as an RDB file (compression and checksum on).
pub fn encode(dbs: &[Db], aux: &Aux) -> Vec<u8> {
    encode_with(dbs, aux, EncodeOptions::default())
}

pub fn encode_with(dbs: &[Db], aux: &Aux, opts: EncodeOptions) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        compress: opts.compression,
    };
    write_header(&mut w, aux);
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        write_db_start(&mut w, i, db.len(), db.expires().len());
        for (key, obj) in db.keys().iter() {
            write_entry(&mut w, key, &obj.value, db.expires().get(&key[..]).copied());
        }
    }
    w.out.push(op::EOF);
    let crc = if opts.checksum {
        crc64::crc64(&w.out)
    } else {
        0
    };
    w.out.extend_from_slice(&crc.to_le_bytes());
    w.out
}

fn write_header(w: &mut Writer, aux: &Aux) {
    w.out
        .extend_from_slice(format!("REDIS{:04}", WRITE_VERSION).as_bytes());
    let aux_str = |w: &mut Writer, k: &str, v: &[u8]| {
        w.out.push(op::AUX);
        w.string(k.as_bytes());
        w.string(v);
    };
    let int = |v: i64| itoa::Buffer::new().format(v).as_bytes().to_vec();
    if let Some(v) = &aux.redis_ver {
        aux_str(w, "redis-ver", v.as_bytes());
    }
    if let Some(v) = aux.redis_bits {
        aux_str(w, "redis-bits", &int(v));
    }
    if let Some(v) = aux.ctime {
        aux_str(w, "ctime", &int(v));
    }
    if let Some(v) = aux.used_mem {
        aux_str(w, "used-mem", &int(v));
    }
    if let Some(v) = aux.repl_stream_db {
        aux_str(w, "repl-stream-db", &int(v));
    }
    if let Some(v) = &aux.repl_id {
        aux_str(w, "repl-id", v.as_bytes());
    }
    if let Some(v) = aux.repl_offset {
        aux_str(w, "repl-offset", &int(v));
    }
    if let Some(v) = aux.aof_base {
        aux_str(w, "aof-base", &int(v));
    }
    for code in &aux.functions {
        w.out.push(op::FUNCTION2);
        w.string(code);
    }
}

fn write_db_start(w: &mut Writer, i: usize, keys: usize, expires: usize) {
    w.out.push(op::SELECTDB);
    w.len(i as u64);
    w.out.push(op::RESIZEDB);
    w.len(keys as u64);
    w.len(expires as u64);
}

fn write_entry(w: &mut Writer, key: &[u8], value: &crate::keyspace::Value, expire: Option<u64>) {
    if let Some(at) = expire {
        w.out.push(op::EXPIRETIME_MS);
        w.out.extend_from_slice(&at.to_le_bytes());
    }
    w.object(key, value);
}

/// A background save without a fork: the dataset as it was when the job
/// started, written a slice of keys at a time while the node keeps serving
/// clients and changing the data.
///
/// Starting costs O(databases): each database only records that a snapshot
/// began ([`Db::begin_snapshot`]). The job then walks each database's live
/// table with the SCAN cursor; a change to a key the walk has not written yet
/// first saves the key's old value and TTL in the database (copy-on-write, per
/// key), and keys created later are skipped. When a database's walk ends the
/// saved old values are written too. The result is the file a fork taken at
/// the start would have written.
pub struct SnapshotJob {
    w: Writer,
    /// The database number being written, or the next one to look at.
    db: usize,
    in_db: bool,
    ndbs: usize,
    /// Preserved entries of the database just walked, still to write.
    tail: Vec<SnapEntry>,
    crc: u64,
    crc_done: usize,
    checksum: bool,
    /// The change counter when the save began (Redis's `dirty_before_bgsave`).
    pub dirty_at_start: u64,
    /// Keys written so far (INFO's `current_save_keys_processed`).
    pub keys_written: u64,
    /// Keys when the save began (INFO's `current_save_keys_total`).
    pub keys_total: u64,
}

impl SnapshotJob {
    /// Begin a snapshot of `dbs` now.
    pub fn start(
        dbs: &mut [Db],
        aux: &Aux,
        opts: EncodeOptions,
        dirty_at_start: u64,
    ) -> SnapshotJob {
        let mut w = Writer {
            out: Vec::new(),
            compress: opts.compression,
        };
        write_header(&mut w, aux);
        let mut keys_total = 0;
        for (i, db) in dbs.iter_mut().enumerate() {
            keys_total += db.len() as u64;
            db.begin_snapshot(i);
        }
        SnapshotJob {
            w,
            db: 0,
            in_db: false,
            ndbs: dbs.len(),
            tail: Vec::new(),
            crc: 0,
            crc_done: 0,
            checksum: opts.checksum,
            dirty_at_start,
            keys_written: 0,
            keys_total,
        }
    }

    /// Write about `budget` more keys; true once every key is written.
    pub fn step(&mut self, dbs: &mut [Db], budget: usize) -> bool {
        self.step_bounded(dbs, budget, usize::MAX)
    }

    /// Write up to `keys` more keys, stopping early once `bytes` bytes were
    /// written in this call (a value is never split: a big one may go over);
    /// true once every key is written.
    pub fn step_bounded(&mut self, dbs: &mut [Db], keys: usize, bytes: usize) -> bool {
        // The walk is asked for a few keys at a time so that the byte budget
        // is checked often; a call costs next to nothing.
        const WALK: usize = 32;
        let start = self.w.out.len();
        let full = |w: &Writer| w.out.len() - start >= bytes;
        let mut left = keys;
        let done = loop {
            if !self.tail.is_empty() {
                while left > 0 && !full(&self.w) {
                    let Some((k, o, ttl)) = self.tail.pop() else {
                        break;
                    };
                    write_entry(&mut self.w, &k, &o.value, ttl);
                    self.keys_written += 1;
                    left -= 1;
                }
                if !self.tail.is_empty() {
                    break false;
                }
            }
            if left == 0 || full(&self.w) {
                break false;
            }
            if !self.in_db {
                // The next database that had keys at the start (SWAPDB may
                // have moved its data to another number since).
                let next = (self.db..self.ndbs)
                    .find(|&i| dbs.iter().any(|d| d.snapshot_index() == Some(i)));
                let Some(i) = next else {
                    break true;
                };
                let Some(db) = dbs.iter().find(|d| d.snapshot_index() == Some(i)) else {
                    break true;
                };
                let (nkeys, nexp) = db.snapshot_sizes();
                write_db_start(&mut self.w, i, nkeys, nexp);
                self.db = i;
                self.in_db = true;
            }
            let Some(db) = dbs.iter_mut().find(|d| d.snapshot_index() == Some(self.db)) else {
                // Killed under us: nothing left for this database.
                self.in_db = false;
                self.db += 1;
                continue;
            };
            let w = &mut self.w;
            let mut written = 0;
            let mut db_done = false;
            while left > 0 && !full(w) {
                // As many keys as should fit in the bytes left, judging by
                // the ones written so far (one to begin with).
                let used = w.out.len() - start;
                let slice_keys = keys - left;
                let fit = match (used, bytes) {
                    (_, usize::MAX) => WALK,
                    (0, _) => 1,
                    _ => (bytes - used).saturating_mul(slice_keys.max(1)) / used,
                };
                let st = db.snapshot_walk(left.min(fit.clamp(1, WALK)), |k, o, ttl| {
                    write_entry(w, k, &o.value, ttl);
                    written += 1;
                });
                left = left.saturating_sub(st.visited);
                if st.done {
                    db_done = true;
                    break;
                }
            }
            self.keys_written += written;
            if db_done {
                self.tail = db.end_snapshot();
                self.in_db = false;
                self.db += 1;
            }
        };
        self.update_crc();
        done
    }

    fn update_crc(&mut self) {
        if self.checksum {
            self.crc = crc64::update(self.crc, &self.w.out[self.crc_done..]);
            self.crc_done = self.w.out.len();
        }
    }

    /// The bytes written since the last call (a transfer streamed to sockets).
    pub fn take_output(&mut self) -> Vec<u8> {
        self.update_crc();
        self.crc_done = 0;
        // The next slice is about as big as this one.
        let cap = self.w.out.len();
        std::mem::replace(&mut self.w.out, Vec::with_capacity(cap))
    }

    /// Stop early: the databases forget the snapshot (a killed child).
    pub fn abort(self, dbs: &mut [Db]) {
        for db in dbs {
            db.end_snapshot();
        }
    }

    /// The rest of the file (all of it unless [`SnapshotJob::take_output`]
    /// was used). Call after `step` returned true.
    pub fn finish(mut self) -> Vec<u8> {
        self.finish_output()
    }

    /// [`SnapshotJob::finish`] keeping the job (its counters stay readable):
    /// the bytes not taken yet, then the EOF mark and the checksum.
    pub fn finish_output(&mut self) -> Vec<u8> {
        self.w.out.push(op::EOF);
        let crc = if self.checksum {
            crc64::update(self.crc, &self.w.out[self.crc_done..])
        } else {
            0
        };
        self.w.out.extend_from_slice(&crc.to_le_bytes());
        self.crc_done = 0;
        std::mem::take(&mut self.w.out)
    }
}

/// One value as `rdbSaveObjectType` + `rdbSaveObject` write it: its type
/// byte, then its body (no key, no expiry). The unit DUMP payloads carry.
pub fn encode_value(value: &Value, compress: bool) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        compress,
    };
    // `object` writes type, key, body; an empty key is the single byte 0,
    // so dropping byte 1 leaves type and body.
    w.object(b"", value);
    w.out.remove(1);
    w.out
}

pub(super) struct Writer {
    pub(super) out: Vec<u8>,
    pub(super) compress: bool,
}

/// The libraries as FUNCTION DUMP writes them (rdbSaveFunctions).
pub fn encode_functions(codes: &[bytes::Bytes], compress: bool) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        compress,
    };
    for code in codes {
        w.out.push(op::FUNCTION2);
        w.string(code);
    }
    w.out
}

impl Writer {
    pub(super) fn len(&mut self, n: u64) {
        if n < 1 << 6 {
            self.out.push(n as u8);
        } else if n < 1 << 14 {
            self.out.push(0x40 | (n >> 8) as u8);
            self.out.push(n as u8);
        } else if n <= u32::MAX as u64 {
            self.out.push(0x80);
            self.out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            self.out.push(0x81);
            self.out.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// `rdbSaveRawString`: integer encoding for short numbers, LZF for long
    /// compressible strings, raw otherwise.
    pub(super) fn string(&mut self, s: &[u8]) {
        if s.len() <= 11 {
            if let Some(v) = crate::resp::parse_i64(s) {
                if itoa::Buffer::new().format(v).as_bytes() == s {
                    if let Ok(x) = i8::try_from(v) {
                        self.out.push(0xc0);
                        self.out.push(x as u8);
                        return;
                    } else if let Ok(x) = i16::try_from(v) {
                        self.out.push(0xc1);
                        self.out.extend_from_slice(&x.to_le_bytes());
                        return;
                    } else if let Ok(x) = i32::try_from(v) {
                        self.out.push(0xc2);
                        self.out.extend_from_slice(&x.to_le_bytes());
                        return;
                    }
                }
            }
        }
        if self.compress && s.len() > 20 {
            if let Some(c) = lzf::compress(s, s.len() - 4) {
                self.out.push(0xc3);
                self.len(c.len() as u64);
                self.len(s.len() as u64);
                self.out.extend_from_slice(&c);
                return;
            }
        }
        self.len(s.len() as u64);
        self.out.extend_from_slice(s);
    }

    fn object(&mut self, key: &[u8], v: &Value) {
        match v {
            Value::Str(s) => {
                self.out.push(ty::STRING);
                self.string(key);
                self.string(s);
            }
            Value::List(l) => {
                self.out.push(ty::LIST);
                self.string(key);
                self.len(l.len() as u64);
                for e in l.iter() {
                    self.string(e);
                }
            }
            // An intset is written as the intset it is, as 7.0 does.
            Value::Set(s) if s.is_intset() => {
                self.out.push(ty::SET_INTSET);
                self.string(key);
                let ints: Vec<i64> = s.ints().map_or(Vec::new(), |i| i.iter().collect());
                self.string(&super::compact::build_intset(&ints));
            }
            Value::Set(s) => {
                self.out.push(ty::SET);
                self.string(key);
                self.len(s.len() as u64);
                for m in s.iter() {
                    self.string(&m);
                }
            }
            // A listpack sorted set is written as a listpack of member,
            // score pairs (the score as d2string prints it), as 7.0 does.
            Value::ZSet(z) if z.is_packed() => {
                use super::compact::{build_listpack, string_entry};
                self.out.push(ty::ZSET_LISTPACK);
                self.string(key);
                let scores: Vec<String> = z
                    .iter()
                    .map(|(_, s)| crate::commands::zsets::d2string(s))
                    .collect();
                let entries: Vec<_> = z
                    .iter()
                    .zip(&scores)
                    .flat_map(|((m, _), s)| [string_entry(m), string_entry(s.as_bytes())])
                    .collect();
                self.string(&build_listpack(&entries));
            }
            Value::ZSet(z) => {
                self.out.push(ty::ZSET_2);
                self.string(key);
                self.len(z.len() as u64);
                // Highest first, as Redis writes them (loading then appends cheaply).
                for (m, score) in z.iter().rev() {
                    self.string(m);
                    self.out.extend_from_slice(&score.to_le_bytes());
                }
            }
            Value::Stream(s) => {
                self.out.push(ty::STREAM_LISTPACKS_2);
                self.string(key);
                super::stream::write(self, s);
            }
            // A corrupt payload is written as it came (7.0 writes its
            // listpacks and intsets as they are).
            Value::Corrupt(c) => {
                self.out.push(c.rdb_type);
                self.string(key);
                self.out.extend_from_slice(&c.body);
            }
            // A listpack hash is written as the listpack it is, as 7.0 does.
            Value::Hash(h) if h.is_packed() => {
                use super::compact::{build_listpack, string_entry};
                self.out.push(ty::HASH_LISTPACK);
                self.string(key);
                let entries: Vec<_> = h
                    .iter()
                    .flat_map(|(f, v)| [string_entry(f), string_entry(v)])
                    .collect();
                self.string(&build_listpack(&entries));
            }
            Value::Hash(h) => {
                self.out.push(ty::HASH);
                self.string(key);
                self.len(h.len() as u64);
                for (f, val) in h.iter() {
                    self.string(f);
                    self.string(val);
                }
            }
        }
    }
}

#[cfg(test)]
mod snapshot_job_tests {
    use super::*;
    use crate::keyspace::{Object, Value};
    use bytes::Bytes;

    #[test]
    fn incremental_save_equals_one_shot() {
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
        for i in 0..1000 {
            let k = Bytes::from(format!("k{i}"));
            dbs[i % 3 * 5].set(
                k.clone(),
                Object::new(Value::Str(Bytes::from(format!("v{i}")).into())),
            );
            if i % 7 == 0 {
                dbs[i % 3 * 5].set_expire(&k, 2_000_000_000_000);
            }
        }
        let aux = Aux::default();
        let whole = encode_with(&dbs, &aux, EncodeOptions::default());
        let want = dump(&whole);
        for budget in [1, 7, 333, usize::MAX] {
            let mut copy = dbs.clone();
            let mut job = SnapshotJob::start(&mut copy, &aux, EncodeOptions::default(), 0);
            let mut steps = 0;
            while !job.step(&mut copy, budget) {
                steps += 1;
                assert!(steps < 100_000);
            }
            let got = job.finish();
            // Same content (the walk goes in SCAN order, the one-shot in bucket order).
            assert_eq!(got.len(), whole.len(), "budget {budget}");
            assert_eq!(dump(&got), want, "budget {budget}");
        }
        // A byte budget too, the output taken slice by slice as a stream.
        for (keys, bytes) in [(1000, 1), (1000, 100), (3, 64), (1000, 1 << 20)] {
            let mut copy = dbs.clone();
            let mut job = SnapshotJob::start(&mut copy, &aux, EncodeOptions::default(), 0);
            let mut got = job.take_output();
            let mut slices = 0;
            loop {
                let before = job.keys_written;
                let done = job.step_bounded(&mut copy, keys, bytes);
                let part = job.take_output();
                // A hash bucket is walked whole: a few keys over at most.
                assert!(job.keys_written - before <= keys as u64 + 8);
                // Over the byte budget by a misjudged walk and one hash
                // bucket's entries at most (chains of up to a few entries
                // at a load factor up to 1).
                assert!(part.len() < bytes + 250, "{} > {bytes}", part.len());
                got.extend(part);
                slices += 1;
                if done {
                    break;
                }
            }
            got.extend(job.finish_output());
            assert_eq!(job.keys_written, 1000);
            assert_eq!(dump(&got), want, "keys {keys} bytes {bytes}");
            assert_eq!(got.len(), whole.len());
            assert!(slices >= 1000 / keys.min(1000));
        }
    }

    /// Every key of a file: (db, key, value debug form, expiry), sorted.
    fn dump(file: &[u8]) -> Vec<(usize, Bytes, String, Option<u64>)> {
        let l = crate::rdb::decode(file).unwrap();
        let mut out = Vec::new();
        for (i, db) in l.dbs.iter().enumerate() {
            for (k, o) in db.keys().iter() {
                out.push((i, k.to_bytes(), format!("{:?}", o.value), db.ttl_at(k)));
            }
        }
        out.sort();
        out
    }
}
