//! The RDB decoder (`rdbLoadRio` / `rdbLoadObject`).

use super::{compact, crc64, lzf, opcodes as op, types as ty, Aux, Loaded, RdbError, MAX_VERSION};
use crate::keyspace::{Db, Dict, HashValue, Object, QuickList, SetValue, Value, ZSet};
use crate::node::Millis;
use bytes::Bytes;

type R<T> = Result<T, RdbError>;

/// Decode a whole RDB file into 16 databases.
pub fn decode(bytes: &[u8]) -> R<Loaded> {
    decode_with(bytes, 16)
}

/// Decode into `ndb` databases (Redis's `databases`); a SELECTDB beyond them
/// is an error, as in Redis.
pub fn decode_with(bytes: &[u8], ndb: usize) -> R<Loaded> {
    decode_checked(bytes, ndb, true)
}

/// [`decode_with`]; `deep` false makes only 7.0's shallow checks of
/// listpack encodings (`sanitize-dump-payload no`, see `shallow`).
pub fn decode_checked(bytes: &[u8], ndb: usize, deep: bool) -> R<Loaded> {
    let mut d = Decoder::new(ndb);
    d.deep = deep;
    d.feed(bytes.to_vec());
    d.end_of_input();
    while !d.step(usize::MAX, u64::MAX)? {}
    Ok(d.into_loaded())
}

/// An RDB file decoded a piece at a time: rdbLoadRio's loop made resumable,
/// so a server can serve clients between pieces and pace its keys, and a
/// replica can decode its master's payload as it arrives. Bytes come in
/// with [`Decoder::feed`]; until [`Decoder::end_of_input`], a record that
/// does not parse waits for more bytes (it may only be cut short).
#[derive(Debug)]
pub struct Decoder {
    /// Bytes not consumed yet start at `buf[pos]`; `buf[0]` is file offset `base`.
    buf: Vec<u8>,
    pos: usize,
    base: usize,
    /// The checksum covers `buf[..crc_pos]` already.
    crc: u64,
    crc_pos: usize,
    complete: bool,
    /// The buffer length a record that failed to parse for want of bytes
    /// needs before it is tried again (parsing a big value again at each
    /// piece of it would be quadratic).
    stalled_at: Option<usize>,
    /// Bytes that must follow the trailer before the file counts as read
    /// (a diskless payload's end mark), left unread.
    trailer: usize,
    version: Option<u32>,
    dbs: Vec<Db>,
    aux: Aux,
    functions: Vec<Bytes>,
    empty_keys_skipped: Vec<Bytes>,
    cur: usize,
    expire: Option<Millis>,
    keys: u64,
    /// The trailer's checksum, once the EOF opcode and trailer were read.
    done: Option<u64>,
    /// 7.0's deep integrity check of listpack encodings
    /// (`sanitize-dump-payload yes`); see `shallow`.
    pub deep: bool,
    /// A corrupt value was kept (without the deep check).
    corrupt_kept: bool,
}

impl Decoder {
    pub fn new(ndb: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            pos: 0,
            base: 0,
            crc: 0,
            crc_pos: 0,
            complete: false,
            stalled_at: None,
            trailer: 0,
            version: None,
            dbs: (0..ndb.max(1)).map(|_| Db::default()).collect(),
            aux: Aux::default(),
            functions: Vec::new(),
            empty_keys_skipped: Vec::new(),
            cur: 0,
            expire: None,
            keys: 0,
            done: None,
            deep: true,
            corrupt_kept: false,
        }
    }

    /// More of the file.
    pub fn feed(&mut self, bytes: Vec<u8>) {
        if self.buf.is_empty() && self.pos == 0 {
            self.buf = bytes;
        } else {
            self.buf.extend_from_slice(&bytes);
        }
    }

    /// The file is read only once `n` more bytes follow it (they stay in
    /// [`Decoder::unread`]).
    pub fn expect_trailer(&mut self, n: usize) {
        self.trailer = n;
    }

    /// True when nothing more can be decoded before more bytes come.
    pub fn waiting(&self) -> bool {
        !self.complete && self.done.is_none() && self.stalled_at.is_some_and(|n| self.buf.len() < n)
    }

    /// Bytes fed and not decoded yet.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// No more bytes will come: a record cut short is now an error.
    pub fn end_of_input(&mut self) {
        self.complete = true;
    }

    /// Bytes of the file decoded so far.
    pub fn processed(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes fed and not decoded yet (what follows the file, once done).
    pub fn unread(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Keys read so far (empty collections skipped included).
    pub fn keys(&self) -> u64 {
        self.keys
    }

    /// The aux fields read so far.
    pub fn aux(&self) -> &Aux {
        &self.aux
    }

    /// True once the whole file was decoded.
    pub fn is_done(&self) -> bool {
        self.done.is_some()
    }

    /// Decode until about `max_bytes` more bytes were taken, `max_keys`
    /// more keys were read, the bytes fed run out or the file ends.
    /// Returns true when the file is done.
    pub fn step(&mut self, max_bytes: usize, max_keys: u64) -> R<bool> {
        if self.done.is_some() {
            return Ok(true);
        }
        if self.waiting() {
            return Ok(false);
        }
        self.stalled_at = None;
        let stop_at = self.pos.saturating_add(max_bytes);
        let stop_keys = self.keys.saturating_add(max_keys);
        let base = self.base;
        let result = loop {
            if self.pos >= stop_at || self.keys >= stop_keys {
                break Ok(false);
            }
            let at = self.pos;
            match self.record() {
                Ok(done) if done => break Ok(true),
                Ok(_) => {}
                Err(e) if !self.complete => {
                    // Cut short, perhaps: wait for the bytes it lacked (any
                    // new byte, when the error does not say).
                    self.pos = at;
                    self.stalled_at = Some(e.need.unwrap_or(0).max(self.buf.len() + 1));
                    break Ok(false);
                }
                Err(mut e) => {
                    e.offset += base;
                    break Err(e);
                }
            }
        };
        self.compact();
        result
    }

    /// Drop what was decoded once it is most of the buffer (amortised O(n)),
    /// folding it into the checksum first.
    fn compact(&mut self) {
        if self.pos < 64 * 1024 || self.pos < self.buf.len() / 2 || self.done.is_some() {
            return;
        }
        self.crc = crc64::update(self.crc, &self.buf[self.crc_pos..self.pos]);
        self.buf.drain(..self.pos);
        self.stalled_at = self.stalled_at.map(|n| n - self.pos);
        self.base += self.pos;
        self.pos = 0;
        self.crc_pos = 0;
    }

    /// The header, or one opcode with its data, or one key. True at the end.
    fn record(&mut self) -> R<bool> {
        let Some(version) = self.version else {
            self.version = Some(self.header()?);
            return Ok(false);
        };
        let mut r = Reader {
            buf: &self.buf,
            pos: self.pos,
            deep: self.deep,
        };
        let at = r.pos;
        let t = r.byte()?;
        match t {
            op::EXPIRETIME => {
                // A signed 32-bit time_t, as rdbLoadTime reads it.
                let secs = i32::from_le_bytes(r.array::<4>()?);
                self.expire = Some((secs.max(0) as u64) * 1000);
            }
            op::EXPIRETIME_MS => {
                let ms = i64::from_le_bytes(r.array::<8>()?);
                self.expire = Some(ms.max(0) as u64);
            }
            op::FREQ => {
                r.byte()?;
            }
            op::IDLE => {
                r.len()?;
            }
            op::EOF => {
                let mut checksum = 0;
                if version >= 5 {
                    let body_end = r.pos;
                    let stored = u64::from_le_bytes(r.array::<8>()?);
                    checksum = stored;
                    if stored != 0 {
                        let expected = crc64::update(self.crc, &self.buf[self.crc_pos..body_end]);
                        if expected != stored {
                            return Err(RdbError::new(
                                format!(
                                    "Wrong RDB checksum expected: ({expected:x}) but got ({stored:x}). Aborting now."
                                ),
                                body_end,
                            ));
                        }
                    }
                }
                let end = r.pos;
                r.take(self.trailer as u64)?;
                self.pos = end;
                self.done = Some(checksum);
                return Ok(true);
            }
            op::SELECTDB => {
                let id = r.len()?;
                if id >= self.dbs.len() as u64 {
                    return Err(RdbError::new(
                        format!(
                            "FATAL: Data file was created with a Redis server configured to handle more than {} databases",
                            self.dbs.len()
                        ),
                        at,
                    ));
                }
                self.cur = id as usize;
            }
            op::RESIZEDB => {
                r.len()?;
                r.len()?;
            }
            op::AUX => {
                let k = r.string()?;
                let v = r.string()?;
                self.aux.set(k, v);
            }
            op::MODULE_AUX => {
                r.len()?; // module id
                let when_op = r.len()?;
                let _when = r.len()?;
                if when_op != MODULE_OPCODE_UINT {
                    return Err(RdbError::new("bad when_opcode in module aux data", at));
                }
                r.skip_module_value()?;
            }
            op::FUNCTION2 => {
                self.functions.push(r.string()?);
            }
            op::FUNCTION_PRE_GA => {
                return Err(RdbError::new(
                    "unsupported RDB opcode 246 (pre-GA function library)",
                    at,
                ))
            }
            _ => {
                // A key/value pair of type `t`.
                let key = r.string()?;
                let value = r.object(t, at)?;
                if let Some(Value::Corrupt(c)) = &value {
                    if let Some(f) = &c.on_load {
                        return Err(RdbError {
                            crash: Some(Box::new(f.clone())),
                            ..RdbError::new("corrupt value met while loading", at)
                        });
                    }
                    self.corrupt_kept = true;
                }
                let db = &mut self.dbs[self.cur];
                if value.is_some() && db.keys().contains_key(&key[..]) {
                    return Err(RdbError::new(
                        format!(
                            "Duplicate key '{}' in the RDB file",
                            String::from_utf8_lossy(&key)
                        ),
                        at,
                    ));
                }
                let exp = self.expire.take();
                self.keys += 1;
                self.pos = r.pos;
                match value {
                    Some(value) => db.insert_loaded(key, Object::new(value), exp),
                    None => self.empty_keys_skipped.push(key),
                }
                return Ok(false);
            }
        }
        self.pos = r.pos;
        Ok(false)
    }

    /// `REDIS` and a 4-digit version.
    fn header(&mut self) -> R<u32> {
        let mut r = Reader {
            buf: &self.buf,
            pos: self.pos,
            deep: self.deep,
        };
        let magic = r.take(9).map_err(|_| RdbError::new(TOO_SHORT, 0))?;
        if &magic[..5] != b"REDIS" {
            return Err(RdbError::new(
                "wrong signature trying to load DB from file",
                0,
            ));
        }
        let version = std::str::from_utf8(&magic[5..9])
            .ok()
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| RdbError::new("wrong signature trying to load DB from file", 5))?;
        if !(1..=MAX_VERSION).contains(&version) {
            return Err(RdbError::new(
                format!("Can't handle RDB format version {}", version),
                5,
            ));
        }
        self.pos = r.pos;
        Ok(version)
    }

    /// What was decoded (the whole file once [`Decoder::is_done`]).
    pub fn into_loaded(self) -> Loaded {
        Loaded {
            version: self.version.unwrap_or(0),
            dbs: self.dbs,
            aux: self.aux,
            functions: self.functions,
            empty_keys_skipped: self.empty_keys_skipped,
            checksum: self.done.unwrap_or(0),
            consumed: self.base + self.pos,
            corrupt_kept: self.corrupt_kept,
        }
    }
}

/// One value as `rdbLoadObjectType` + `rdbLoadObject` read it: a type byte
/// then the body (what [`super::encode_value`] writes). Bytes after the value
/// are not looked at. An empty collection is an error, as for RESTORE.
pub fn decode_value(bytes: &[u8]) -> R<Value> {
    decode_value_checked(bytes, true)
}

/// [`decode_value`]; `deep` false makes only 7.0's shallow checks on
/// listpack encodings (see `shallow`).
pub fn decode_value_checked(bytes: &[u8], deep: bool) -> R<Value> {
    let mut r = Reader {
        buf: bytes,
        pos: 0,
        deep,
    };
    let t = r.byte()?;
    r.object(t, 0)?
        .ok_or_else(|| RdbError::new("empty collection", 0))
}

/// The libraries of a FUNCTION DUMP payload's body: `FUNCTION2` entries
/// to the end. `Err` is FUNCTION RESTORE's reason.
pub fn decode_functions(bytes: &[u8]) -> Result<Vec<Bytes>, &'static str> {
    let mut r = Reader {
        buf: bytes,
        pos: 0,
        deep: true,
    };
    let mut codes = Vec::new();
    while r.remaining() > 0 {
        match r.byte() {
            Ok(op::FUNCTION2) => {}
            Ok(_) => return Err("given type is not a function"),
            Err(_) => return Err("can not read data type"),
        }
        codes.push(
            r.string()
                .map_err(|_| "failed loading the given functions payload")?,
        );
    }
    Ok(codes)
}

const MODULE_OPCODE_EOF: u64 = 0;
const MODULE_OPCODE_SINT: u64 = 1;
const MODULE_OPCODE_UINT: u64 = 2;
const MODULE_OPCODE_FLOAT: u64 = 3;
const MODULE_OPCODE_DOUBLE: u64 = 4;
const MODULE_OPCODE_STRING: u64 = 5;

pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
    /// 7.0's deep integrity check (`sanitize-dump-payload`); without it a
    /// listpack-encoded value that passes the shallow one is kept as it came.
    pub(super) deep: bool,
}

pub(super) const TRUNCATED: &str = "unexpected end of file (truncated RDB)";
pub(super) const TOO_SHORT: &str = "file too short for an RDB header";

/// A read of `n` bytes at `pos` past the end.
fn truncated(pos: usize, n: u64) -> RdbError {
    RdbError {
        need: Some(pos.saturating_add(n.min(usize::MAX as u64) as usize)),
        ..RdbError::new(TRUNCATED, pos)
    }
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(super) fn take(&mut self, n: u64) -> R<&'a [u8]> {
        if n > self.remaining() as u64 {
            return Err(truncated(self.pos, n));
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    pub(super) fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        let s = self.take(N as u64)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn byte(&mut self) -> R<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// A length, or an encoded-string marker: `(value, is_encoded)`.
    fn len_or_enc(&mut self) -> R<(u64, bool)> {
        let b = self.byte()?;
        Ok(match b >> 6 {
            0 => ((b & 0x3f) as u64, false),
            1 => (((b & 0x3f) as u64) << 8 | self.byte()? as u64, false),
            3 => ((b & 0x3f) as u64, true),
            _ => match b {
                0x80 => (u32::from_be_bytes(self.array::<4>()?) as u64, false),
                0x81 => (u64::from_be_bytes(self.array::<8>()?), false),
                _ => {
                    return Err(RdbError::new(
                        // 7.0 names the length type (the top two bits).
                        format!("Unknown length encoding {} in rdbLoadLen()", b >> 6),
                        self.pos - 1,
                    ));
                }
            },
        })
    }

    pub(super) fn len(&mut self) -> R<u64> {
        let at = self.pos;
        match self.len_or_enc()? {
            (n, false) => Ok(n),
            (_, true) => Err(RdbError::new(
                "expected a length, found an encoded value",
                at,
            )),
        }
    }

    /// A count of items that each take at least `min_bytes`: checked against
    /// what is left, so a corrupt count cannot make us allocate or loop much.
    pub(super) fn count(&mut self, min_bytes: u64) -> R<usize> {
        let at = self.pos;
        let n = self.len()?;
        let least = n.saturating_mul(min_bytes);
        if least > self.remaining() as u64 {
            return Err(RdbError {
                need: Some(
                    self.pos
                        .saturating_add(least.min(usize::MAX as u64) as usize),
                ),
                ..RdbError::new(
                    format!("element count {} larger than the rest of the file", n),
                    at,
                )
            });
        }
        Ok(n as usize)
    }

    /// A string object: raw, integer-encoded or LZF-compressed.
    pub(super) fn string(&mut self) -> R<Bytes> {
        let at = self.pos;
        let (n, enc) = self.len_or_enc()?;
        if !enc {
            return Ok(Bytes::copy_from_slice(self.take(n)?));
        }
        let v: i64 = match n {
            0 => self.byte()? as i8 as i64,
            1 => i16::from_le_bytes(self.array::<2>()?) as i64,
            2 => i32::from_le_bytes(self.array::<4>()?) as i64,
            3 => {
                let clen = self.len()?;
                let ulen = self.len()?;
                let data = self.take(clen)?;
                // LZF expands at most ~88x; refuse absurd declared sizes.
                if ulen > clen.saturating_mul(100) || ulen > isize::MAX as u64 {
                    return Err(RdbError::new("LZF declared length implausible", at));
                }
                let out = lzf::decompress(data, ulen as usize).map_err(|e| {
                    RdbError::new(format!("Invalid LZF compressed string: {}", e), at)
                })?;
                return Ok(Bytes::from(out));
            }
            _ => {
                return Err(RdbError::new(
                    format!("Unknown RDB string encoding type {}", n),
                    at,
                ))
            }
        };
        Ok(Bytes::from(itoa::Buffer::new().format(v).to_owned()))
    }

    /// A score of a type-3 zset: length-prefixed text, or 253/254/255 for nan/+inf/-inf.
    fn text_double(&mut self) -> R<f64> {
        let at = self.pos;
        let n = self.byte()?;
        let v = match n {
            253 => f64::NAN,
            254 => f64::INFINITY,
            255 => f64::NEG_INFINITY,
            _ => {
                let s = self.take(n as u64)?;
                std::str::from_utf8(s)
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .ok_or_else(|| RdbError::new("invalid double value", at))?
            }
        };
        Ok(v)
    }

    fn binary_double(&mut self) -> R<f64> {
        Ok(f64::from_le_bytes(self.array::<8>()?))
    }

    fn skip_module_value(&mut self) -> R<()> {
        loop {
            let at = self.pos;
            match self.len()? {
                MODULE_OPCODE_EOF => return Ok(()),
                MODULE_OPCODE_SINT | MODULE_OPCODE_UINT => {
                    self.len()?;
                }
                MODULE_OPCODE_FLOAT => {
                    self.take(4)?;
                }
                MODULE_OPCODE_DOUBLE => {
                    self.take(8)?;
                }
                MODULE_OPCODE_STRING => {
                    self.string()?;
                }
                o => {
                    return Err(RdbError::new(
                        format!("Unknown module opcode {} in module aux data", o),
                        at,
                    ))
                }
            }
        }
    }

    /// A blob holding a compact encoding, parsed by `f`.
    fn blob(
        &mut self,
        what: &str,
        f: fn(&[u8]) -> Result<Vec<Bytes>, &'static str>,
    ) -> R<Vec<Bytes>> {
        let at = self.pos;
        let b = self.string()?;
        // 7.0 says which check failed, not why.
        f(&b).map_err(|_| RdbError::new(integrity(what), at))
    }

    /// A value of type `t`; `None` for an empty collection (skipped).
    /// Without the deep check, a listpack encoding that fails it is read
    /// again with the shallow one and kept as received.
    fn object(&mut self, t: u8, at: usize) -> R<Option<Value>> {
        let start = self.pos;
        match self.object_deep(t, at) {
            Err(_) if !self.deep && super::shallow::applies(t) => {
                self.pos = start;
                super::shallow::keep(self, t, at)
            }
            r => r,
        }
    }

    fn object_deep(&mut self, t: u8, at: usize) -> R<Option<Value>> {
        let corrupt = |m: &str| RdbError::new(m.to_string(), at);
        let v = match t {
            ty::STRING => Value::Str(self.string()?.into()),
            ty::LIST => {
                let n = self.count(1)?;
                let mut l = QuickList::new();
                for _ in 0..n {
                    l.push_back(&self.string()?);
                }
                Value::List(l)
            }
            ty::SET => {
                let n = self.count(1)?;
                let mut s = Dict::new();
                for _ in 0..n {
                    if s.insert(self.string()?, ()).is_some() {
                        return Err(corrupt("Duplicate set members detected"));
                    }
                }
                Value::Set(SetValue::from_dict(s))
            }
            ty::ZSET | ty::ZSET_2 => {
                let n = self.count(2)?;
                let mut z = ZSet::new_skip();
                for _ in 0..n {
                    let m = self.string()?;
                    let score = if t == ty::ZSET {
                        self.text_double()?
                    } else {
                        self.binary_double()?
                    };
                    if score.is_nan() {
                        return Err(corrupt("Zset with NAN score detected"));
                    }
                    if z.insert(m, score).is_some() {
                        return Err(corrupt("Duplicate zset fields detected"));
                    }
                }
                Value::ZSet(z)
            }
            ty::HASH => {
                let n = self.count(2)?;
                let mut h = Dict::new();
                for _ in 0..n {
                    let f = self.string()?;
                    let v = self.string()?;
                    if h.insert(f, v).is_some() {
                        return Err(corrupt("Duplicate hash fields detected"));
                    }
                }
                Value::Hash(HashValue::from_dict(h))
            }
            ty::LIST_QUICKLIST | ty::LIST_QUICKLIST_2 => {
                let n = self.count(1)?;
                let mut l = QuickList::new();
                for _ in 0..n {
                    let container = if t == ty::LIST_QUICKLIST_2 {
                        self.len()?
                    } else {
                        QUICKLIST_NODE_PACKED
                    };
                    match container {
                        QUICKLIST_NODE_PLAIN => {
                            // 7.0 refuses a node of no bytes, plain or packed.
                            let at = self.pos;
                            let s = self.string()?;
                            if s.is_empty() {
                                return Err(RdbError::new("empty quicklist node", at));
                            }
                            l.push_back(&s)
                        }
                        QUICKLIST_NODE_PACKED => {
                            let items = if t == ty::LIST_QUICKLIST_2 {
                                self.blob("Listpack", compact::listpack_entries)?
                            } else {
                                self.blob("Ziplist", compact::ziplist_entries)?
                            };
                            l.extend(items);
                        }
                        _ => return Err(corrupt("Quicklist integrity check failed.")),
                    }
                }
                Value::List(l)
            }
            ty::LIST_ZIPLIST => {
                Value::List(self.blob("List ziplist", compact::ziplist_entries)?.into())
            }
            // A compact encoding's deep check (7.0's *ValidateIntegrity with
            // `deep`) covers its duplicates, pairing and scores: they fail
            // as the encoding's integrity check.
            ty::SET_INTSET | ty::SET_LISTPACK => {
                let what = if t == ty::SET_INTSET {
                    "Intset"
                } else {
                    "Set listpack"
                };
                let items = if t == ty::SET_INTSET {
                    self.blob(what, compact::intset_entries)?
                } else {
                    self.blob(what, compact::listpack_entries)?
                };
                let mut s = Dict::new();
                for m in items {
                    if s.insert(m, ()).is_some() {
                        return Err(corrupt(&integrity(what)));
                    }
                }
                Value::Set(SetValue::from_dict(s))
            }
            ty::ZSET_ZIPLIST | ty::ZSET_LISTPACK => {
                let what = if t == ty::ZSET_ZIPLIST {
                    "Zset ziplist"
                } else {
                    "Zset listpack"
                };
                let items = if t == ty::ZSET_ZIPLIST {
                    self.blob(what, compact::ziplist_entries)?
                } else {
                    self.blob(what, compact::listpack_entries)?
                };
                if items.len() % 2 != 0 {
                    return Err(corrupt(&integrity(what)));
                }
                let mut z = ZSet::new_skip();
                for pair in items.chunks_exact(2) {
                    let score = crate::resp::parse_f64(&pair[1])
                        .ok_or_else(|| corrupt(&integrity(what)))?;
                    if z.insert(pair[0].clone(), score).is_some() {
                        return Err(corrupt(&integrity(what)));
                    }
                }
                Value::ZSet(z)
            }
            ty::HASH_ZIPMAP | ty::HASH_ZIPLIST | ty::HASH_LISTPACK => {
                let (what, parse): (&str, fn(&[u8]) -> _) = match t {
                    ty::HASH_ZIPMAP => ("Zipmap", compact::zipmap_entries),
                    ty::HASH_ZIPLIST => ("Hash ziplist", compact::ziplist_entries),
                    _ => ("Hash listpack", compact::listpack_entries),
                };
                let items = self.blob(what, parse)?;
                // An empty zipmap fails its check too (zipmapValidateIntegrity).
                if items.len() % 2 != 0 || (t == ty::HASH_ZIPMAP && items.is_empty()) {
                    return Err(corrupt(&integrity(what)));
                }
                let mut h = Dict::new();
                for pair in items.chunks_exact(2) {
                    if h.insert(pair[0].clone(), pair[1].clone()).is_some() {
                        return Err(corrupt(&integrity(what)));
                    }
                }
                // A listpack in the order received (7.0 keeps the blob, or
                // converts a ziplist or zipmap entry by entry); RESTORE and
                // loading turn it into a table if it is past the limits.
                let mut lp = crate::keyspace::listpack::Listpack::new();
                let refs: Vec<&[u8]> = items.iter().map(|b| &b[..]).collect();
                lp.push(&refs);
                Value::Hash(HashValue::Packed(lp))
            }
            ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 => {
                Value::Stream(Box::new(super::stream::read(self, t)?))
            }
            _ => {
                return Err(RdbError::new(format!("unsupported RDB type {}", t), at));
            }
        };
        let empty = match &v {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            // Redis keeps empty streams; a corrupt value's emptiness is
            // decided before it is kept.
            Value::Stream(_) | Value::Corrupt(_) => false,
        };
        Ok(if empty { None } else { Some(v) })
    }
}

const QUICKLIST_NODE_PLAIN: u64 = 1;
const QUICKLIST_NODE_PACKED: u64 = 2;

/// 7.0's reason for a compact encoding that fails its check.
fn integrity(what: &str) -> String {
    format!("{what} integrity check failed.")
}
