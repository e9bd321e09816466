//! The RDB encoder (`rdbSaveRio`), writing version 9 with plain encodings
//! (type 0 string, 1 list, 2 set, 5 zset with binary scores, 4 hash), which
//! Redis 6.0 through 7.2 all load.

use super::{crc64, lzf, opcodes as op, types as ty, Aux, WRITE_VERSION};
use crate::keyspace::{Db, Value};

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
        write_db_start(&mut w, i, db);
        for (key, obj) in db.keys.iter() {
            write_entry(&mut w, key, &obj.value, db.expires.get(&key[..]).copied());
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
}

fn write_db_start(w: &mut Writer, i: usize, db: &Db) {
    w.out.push(op::SELECTDB);
    w.len(i as u64);
    w.out.push(op::RESIZEDB);
    w.len(db.keys.len() as u64);
    w.len(db.expires.len() as u64);
}

fn write_entry(w: &mut Writer, key: &[u8], value: &crate::keyspace::Value, expire: Option<u64>) {
    if let Some(at) = expire {
        w.out.push(op::EXPIRETIME_MS);
        w.out.extend_from_slice(&at.to_le_bytes());
    }
    w.object(key, value);
}

/// A background save: the dataset as it was at BGSAVE (a copy whose strings
/// share their bytes with the live data), encoded a slice of keys at a time so
/// the node keeps serving clients between slices.
pub struct SnapshotJob {
    w: Writer,
    dbs: Vec<Db>,
    db: usize,
    /// The next database to start.
    next: usize,
    /// Keys of `dbs[db]` still to write, last first.
    pending: Vec<bytes::Bytes>,
    crc: u64,
    crc_done: usize,
    checksum: bool,
    /// The change counter when the save began (Redis's `dirty_before_bgsave`).
    pub dirty_at_start: u64,
}

impl SnapshotJob {
    pub fn new(dbs: Vec<Db>, aux: &Aux, opts: EncodeOptions, dirty_at_start: u64) -> SnapshotJob {
        let mut w = Writer {
            out: Vec::new(),
            compress: opts.compression,
        };
        write_header(&mut w, aux);
        SnapshotJob {
            w,
            dbs,
            db: 0,
            next: 0,
            pending: Vec::new(),
            crc: 0,
            crc_done: 0,
            checksum: opts.checksum,
            dirty_at_start,
        }
    }

    /// Write up to `budget` more keys; true once every key is written.
    pub fn step(&mut self, budget: usize) -> bool {
        let mut left = budget;
        let done = loop {
            while left > 0 {
                let Some(key) = self.pending.pop() else {
                    break;
                };
                let db = &self.dbs[self.db];
                if let Some(obj) = db.keys.get(&key[..]) {
                    write_entry(
                        &mut self.w,
                        &key,
                        &obj.value,
                        db.expires.get(&key[..]).copied(),
                    );
                }
                left -= 1;
            }
            if !self.pending.is_empty() {
                break false;
            }
            match (self.next..self.dbs.len()).find(|&i| !self.dbs[i].is_empty()) {
                Some(i) => {
                    // The copy of the database just written can go.
                    if self.next > 0 {
                        self.dbs[self.db] = Db::default();
                    }
                    self.next = i + 1;
                    self.db = i;
                    write_db_start(&mut self.w, i, &self.dbs[i]);
                    self.pending = self.dbs[i].keys.keys().cloned().collect();
                    self.pending.reverse();
                    if left == 0 {
                        break false;
                    }
                }
                None => break true,
            }
        };
        if self.checksum {
            self.crc = crc64::update(self.crc, &self.w.out[self.crc_done..]);
            self.crc_done = self.w.out.len();
        }
        done
    }

    /// The finished file (call after `step` returned true).
    pub fn finish(mut self) -> Vec<u8> {
        self.w.out.push(op::EOF);
        let crc = if self.checksum {
            crc64::update(self.crc, &self.w.out[self.crc_done..])
        } else {
            0
        };
        self.w.out.extend_from_slice(&crc.to_le_bytes());
        self.w.out
    }
}

pub(super) struct Writer {
    pub(super) out: Vec<u8>,
    pub(super) compress: bool,
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
                for e in l {
                    self.string(e);
                }
            }
            Value::Set(s) => {
                self.out.push(ty::SET);
                self.string(key);
                self.len(s.len() as u64);
                for m in s.keys() {
                    self.string(m);
                }
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
                Object::new(Value::Str(Bytes::from(format!("v{i}")))),
            );
            if i % 7 == 0 {
                dbs[i % 3 * 5].set_expire(&k, 2_000_000_000_000);
            }
        }
        let aux = Aux::default();
        let whole = encode_with(&dbs, &aux, EncodeOptions::default());
        for budget in [1, 7, 333, usize::MAX] {
            let mut job = SnapshotJob::new(dbs.clone(), &aux, EncodeOptions::default(), 0);
            let mut steps = 0;
            while !job.step(budget) {
                steps += 1;
                assert!(steps < 10_000);
            }
            let got = job.finish();
            assert!(
                got == whole,
                "budget {budget}: {} vs {} bytes",
                got.len(),
                whole.len()
            );
        }
    }
}
