//! RDB snapshots: the file `SAVE` writes and the payload of a full resync.
//!
//! [`decode`] reads what Redis 6.0 to 7.2 write (RDB versions 9 to 11, and
//! older ones where the format is the same), every value encoding of strings,
//! lists, sets, sorted sets, hashes and streams (types 15 and 19, in
//! `stream.rs`). Module values are refused with a clear error. [`encode`]
//! writes RDB version 9 with plain encodings (streams as 7.0's type 19),
//! which Redis 6.0 and later all load.
//!
//! Both are pure functions over bytes: the core has no disk. Saving hands the
//! bytes to the host (`Event::Persist`); loading gets them from the host.

pub mod compact;
pub mod crc64;
mod decode;
mod encode;
pub mod lzf;
pub mod payload;
pub mod report;
mod shallow;
pub mod stream;

pub use decode::{
    decode, decode_checked, decode_functions, decode_value, decode_value_checked, decode_with,
    Decoder,
};
pub use encode::{encode, encode_functions, encode_value, encode_with, EncodeOptions, SnapshotJob};

use crate::keyspace::Db;
use bytes::Bytes;
use std::fmt;

/// The version [`encode`] writes: Redis 6.x's, which 7.x still loads.
pub const WRITE_VERSION: u32 = 9;
/// The newest version [`decode`] reads (Redis 7.2).
pub const MAX_VERSION: u32 = 11;

/// Value type bytes (`RDB_TYPE_*`).
pub mod types {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// Opcodes (`RDB_OPCODE_*`).
pub mod opcodes {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION_PRE_GA: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// A decoding failure: what went wrong and where (byte offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbError {
    pub msg: String,
    pub offset: usize,
    /// How many bytes (from the start of what was decoded) the file would
    /// need for the read that failed to succeed, when the file was too
    /// short: a streaming decoder waits for them before trying again.
    pub need: Option<usize>,
    /// The load met a corrupt value (kept without the deep check) in a way
    /// that stops 7.0 with this assertion or panic.
    pub crash: Option<Box<crate::keyspace::corrupt::Failure>>,
}

impl RdbError {
    pub fn new(msg: impl Into<String>, offset: usize) -> RdbError {
        RdbError {
            msg: msg.into(),
            offset,
            need: None,
            crash: None,
        }
    }
}

impl RdbError {
    /// The file ended inside a record (a short read, for a socket).
    pub fn short_read(offset: usize) -> RdbError {
        RdbError::new(decode::TRUNCATED, offset)
    }

    pub fn is_truncation(&self) -> bool {
        self.msg == decode::TRUNCATED || self.msg == decode::TOO_SHORT
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.msg, self.offset)
    }
}

impl std::error::Error for RdbError {}

/// The AUX fields of an RDB file. The well known ones are parsed; `fields`
/// keeps every field in file order (including those).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Aux {
    pub redis_ver: Option<String>,
    pub redis_bits: Option<i64>,
    /// Unix time of the save, seconds.
    pub ctime: Option<i64>,
    pub used_mem: Option<i64>,
    pub repl_stream_db: Option<i64>,
    pub repl_id: Option<String>,
    pub repl_offset: Option<i64>,
    pub aof_base: Option<i64>,
    pub fields: Vec<(Bytes, Bytes)>,
    /// Function libraries to save (their code), written after the fields
    /// as `FUNCTION2` entries (rdbSaveFunctions).
    pub functions: Vec<Bytes>,
}

impl Aux {
    /// The fields a Redis 7.0.15 master writes when saving (`rdbSaveInfoAuxFields`).
    /// `repl` is (selected db for the stream, replication id, offset) when the
    /// save carries replication info.
    pub fn for_save(ctime_secs: u64, used_mem: u64, repl: Option<(usize, String, i64)>) -> Aux {
        let mut a = Aux {
            redis_ver: Some(crate::REDIS_VERSION.into()),
            redis_bits: Some(64),
            ctime: Some(ctime_secs as i64),
            used_mem: Some(used_mem.min(i64::MAX as u64) as i64),
            aof_base: Some(0),
            ..Aux::default()
        };
        if let Some((db, id, off)) = repl {
            a.repl_stream_db = Some(db as i64);
            a.repl_id = Some(id);
            a.repl_offset = Some(off);
        }
        a
    }

    /// Record one field read from a file.
    fn set(&mut self, key: Bytes, val: Bytes) {
        let s = String::from_utf8_lossy(&val).into_owned();
        let int = crate::resp::parse_i64(&val);
        match &key[..] {
            b"redis-ver" => self.redis_ver = Some(s),
            b"redis-bits" => self.redis_bits = int,
            b"ctime" => self.ctime = int,
            b"used-mem" => self.used_mem = int,
            b"repl-stream-db" => self.repl_stream_db = int,
            b"repl-id" => self.repl_id = Some(s),
            b"repl-offset" => self.repl_offset = int,
            b"aof-base" | b"aof-preamble" => self.aof_base = int,
            _ => {}
        }
        self.fields.push((key, val));
    }

    /// A field by name, as raw bytes.
    pub fn get(&self, key: &str) -> Option<&Bytes> {
        self.fields
            .iter()
            .find(|(k, _)| &k[..] == key.as_bytes())
            .map(|(_, v)| v)
    }
}

/// A decoded RDB file.
#[derive(Debug)]
pub struct Loaded {
    pub version: u32,
    /// The databases (at least 16, indexed by number), with absolute expiries
    /// (unix ms) in `expires`, including keys whose time has already passed.
    pub dbs: Vec<Db>,
    pub aux: Aux,
    /// Function libraries (`FUNCTION2` opcode, Redis 7.0+): their source code.
    pub functions: Vec<Bytes>,
    /// The keys of empty collections skipped, as Redis skips them.
    pub empty_keys_skipped: Vec<Bytes>,
    /// The checksum in the trailer (0: the writer had `rdbchecksum no`).
    pub checksum: u64,
    /// Bytes the RDB took (an AOF's command tail may follow it).
    pub consumed: usize,
    /// A corrupt value was kept (`sanitize-dump-payload no`).
    pub corrupt_kept: bool,
}

impl Loaded {
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(|d| d.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::decode::Reader;
    use super::encode::Writer;

    #[test]
    fn a_file_fed_in_pieces_decodes_as_a_whole() {
        let mut db = crate::keyspace::Db::default();
        for i in 0..50 {
            db.set(
                bytes::Bytes::from(format!("k{i}")),
                crate::keyspace::Object::new(crate::keyspace::Value::Str(
                    bytes::Bytes::from("x".repeat(i * 7)).into(),
                )),
            );
        }
        let file = super::encode(std::slice::from_ref(&db), &super::Aux::default());
        let whole = super::decode(&file).unwrap();
        let mut d = super::Decoder::new(16);
        d.expect_trailer(3);
        for piece in file.chunks(13) {
            d.feed(piece.to_vec());
            assert!(!d.step(usize::MAX, u64::MAX).unwrap());
        }
        // Done only once the trailer is there too.
        assert!(d.waiting());
        d.feed(b"abcdef".to_vec());
        assert!(d.step(usize::MAX, u64::MAX).unwrap());
        assert_eq!(d.unread(), b"abcdef");
        assert_eq!(d.processed(), file.len());
        let l = d.into_loaded();
        assert_eq!(l.total_keys(), whole.total_keys());
        assert_eq!(l.checksum, whole.checksum);
        // Cut short and told so: a short read.
        let mut d = super::Decoder::new(16);
        d.feed(file[..file.len() / 2].to_vec());
        d.end_of_input();
        assert!(d.step(usize::MAX, u64::MAX).unwrap_err().is_truncation());
    }

    fn w(compress: bool) -> Writer {
        Writer {
            out: Vec::new(),
            compress,
        }
    }

    #[test]
    fn length_encodings() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0x00]),
            (63, &[0x3f]),
            (64, &[0x40, 0x40]),
            (16383, &[0x7f, 0xff]),
            (16384, &[0x80, 0x00, 0x00, 0x40, 0x00]),
            (u32::MAX as u64, &[0x80, 0xff, 0xff, 0xff, 0xff]),
            (u32::MAX as u64 + 1, &[0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
        ];
        for &(n, want) in cases {
            let mut wr = w(false);
            wr.len(n);
            assert_eq!(wr.out, want, "{}", n);
            let mut r = Reader {
                buf: &wr.out,
                pos: 0,
                deep: true,
            };
            assert_eq!(r.len().unwrap(), n);
            assert_eq!(r.pos, want.len());
            // truncated: an error, never a panic
            for k in 0..want.len() {
                let mut r = Reader {
                    buf: &want[..k],
                    pos: 0,
                    deep: true,
                };
                assert!(r.len().is_err());
            }
        }
        // 0x82.. is not a valid length byte
        let mut r = Reader {
            buf: &[0x82],
            pos: 0,
            deep: true,
        };
        assert!(r.len().is_err());
    }

    #[test]
    fn string_encodings() {
        let cases: &[(&str, &[u8])] = &[
            ("0", &[0xc0, 0]),
            ("-128", &[0xc0, 0x80]),
            ("127", &[0xc0, 0x7f]),
            ("128", &[0xc1, 0x80, 0x00]),
            ("-32768", &[0xc1, 0x00, 0x80]),
            ("32768", &[0xc2, 0x00, 0x80, 0x00, 0x00]),
            ("-2147483648", &[0xc2, 0x00, 0x00, 0x00, 0x80]),
            (
                "2147483648",
                &[
                    0x0a, b'2', b'1', b'4', b'7', b'4', b'8', b'3', b'6', b'4', b'8',
                ],
            ),
            ("007", &[0x03, b'0', b'0', b'7']),
            ("-0", &[0x02, b'-', b'0']),
            ("", &[0x00]),
        ];
        for &(s, want) in cases {
            let mut wr = w(true);
            wr.string(s.as_bytes());
            assert_eq!(wr.out, want, "{:?}", s);
            let mut r = Reader {
                buf: &wr.out,
                pos: 0,
                deep: true,
            };
            assert_eq!(&r.string().unwrap()[..], s.as_bytes());
        }
        // LZF: only above 20 bytes and only when it saves space
        let long = "abcabcabcabcabcabcabcabcabcabc";
        let mut wr = w(true);
        wr.string(long.as_bytes());
        assert_eq!(wr.out[0], 0xc3);
        let mut r = Reader {
            buf: &wr.out,
            pos: 0,
            deep: true,
        };
        assert_eq!(&r.string().unwrap()[..], long.as_bytes());
        let mut wr = w(false);
        wr.string(long.as_bytes());
        assert_eq!(wr.out[0] as usize, long.len());
        let mut wr = w(true);
        wr.string(b"abcabcabcabcabcabcab"); // 20 bytes: never compressed
        assert_eq!(wr.out[0], 20);
        // unknown encoded-string type
        let mut r = Reader {
            buf: &[0xc4],
            pos: 0,
            deep: true,
        };
        assert!(r.string().is_err());
        // LZF with an absurd declared length
        let mut r = Reader {
            buf: &[0xc3, 0x01, 0x80, 0x7f, 0xff, 0xff, 0xff, 0x00],
            pos: 0,
            deep: true,
        };
        assert!(r.string().is_err());
    }
}
