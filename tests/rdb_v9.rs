//! Redis 6.x style (RDB v9) files built by hand: quicklist of ziplists,
//! ziplist/zipmap hashes, ziplist zsets, type-3 zsets with text scores,
//! intsets, second-resolution expiries, LZF strings, module aux and IDLE/FREQ
//! opcodes. Decoded by us, and (when redis-server is installed) loaded by the
//! real Redis 7.0.15 to prove the hand-made encodings are what Redis reads.

mod common;

use bytes::Bytes;
use sentinel_lab::keyspace::Value;
use sentinel_lab::rdb::compact::{
    build_intset, build_listpack, build_ziplist, build_zipmap, Entry,
};
use sentinel_lab::rdb::{self, crc64, lzf};

struct W(Vec<u8>);

impl W {
    fn len(&mut self, n: u64) {
        if n < 64 {
            self.0.push(n as u8);
        } else if n < 16384 {
            self.0.push(0x40 | (n >> 8) as u8);
            self.0.push(n as u8);
        } else {
            self.0.push(0x80);
            self.0.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
    fn raw(&mut self, s: &[u8]) {
        self.len(s.len() as u64);
        self.0.extend_from_slice(s);
    }
    fn lzf(&mut self, s: &[u8]) {
        let c = lzf::compress(s, s.len() - 4).expect("compressible");
        self.0.push(0xc3);
        self.len(c.len() as u64);
        self.len(s.len() as u64);
        self.0.extend_from_slice(&c);
    }
    fn key(&mut self, t: u8, k: &str) {
        self.0.push(t);
        self.raw(k.as_bytes());
    }
    fn finish(mut self) -> Vec<u8> {
        self.0.push(0xff);
        let c = crc64::crc64(&self.0);
        self.0.extend_from_slice(&c.to_le_bytes());
        self.0
    }
}

/// A v9 file with every pre-7.0 encoding.
pub fn v9_sample() -> Vec<u8> {
    let mut w = W(b"REDIS0009".to_vec());
    w.0.push(0xfa);
    w.raw(b"redis-ver");
    w.raw(b"6.2.14");
    w.0.push(0xfa);
    w.raw(b"redis-bits");
    w.0.extend_from_slice(&[0xc0, 64]);
    w.0.push(0xfa);
    w.raw(b"repl-id");
    w.raw(b"0123456789012345678901234567890123456789");
    w.0.push(0xfa);
    w.raw(b"repl-offset");
    w.0.extend_from_slice(&[0xc2]);
    w.0.extend_from_slice(&123456i32.to_le_bytes());
    w.0.push(0xfe);
    w.len(0);
    w.0.push(0xfb);
    w.len(9);
    w.len(2);
    // quicklist (type 14) of two ziplists, with int and string entries
    w.key(14, "ql");
    w.len(2);
    w.raw(&build_ziplist(&[
        Entry::Str(b"a"),
        Entry::Int(1),
        Entry::Int(-70000),
    ]));
    let long = vec![b'q'; 300];
    w.raw(&build_ziplist(&[Entry::Str(&long), Entry::Int(i64::MAX)]));
    // ziplist hash (13)
    w.key(13, "hz");
    w.raw(&build_ziplist(&[
        Entry::Str(b"f1"),
        Entry::Str(b"v1"),
        Entry::Str(b"n"),
        Entry::Int(42),
    ]));
    // zipmap hash (9)
    w.key(9, "hm");
    w.raw(&build_zipmap(&[(b"zk", b"zv"), (b"x", b"")]));
    // ziplist zset (12): member, score
    w.key(12, "zz");
    w.raw(&build_ziplist(&[
        Entry::Str(b"one"),
        Entry::Int(1),
        Entry::Str(b"half"),
        Entry::Str(b"0.5"),
    ]));
    // type-3 zset with text scores and the inf markers; IDLE and FREQ before it
    w.0.push(0xf8);
    w.len(1000);
    w.0.push(0xf9);
    w.0.push(5);
    w.key(3, "z3");
    w.len(3);
    w.raw(b"a");
    w.0.push(3);
    w.0.extend_from_slice(b"1.5");
    w.raw(b"b");
    w.0.push(254);
    w.raw(b"c");
    w.0.push(255);
    // intset (11) with an expiry in seconds
    w.0.push(0xfd);
    w.0.extend_from_slice(&2000000000u32.to_le_bytes());
    w.key(11, "is");
    w.raw(&build_intset(&[3, 1, 2, -100000]));
    // LZF string with a millisecond expiry
    w.0.push(0xfc);
    w.0.extend_from_slice(&4102444800555u64.to_le_bytes());
    w.key(0, "lzf");
    w.lzf(&b"hello ".repeat(50));
    // old ziplist list (10)
    w.key(10, "zl");
    w.raw(&build_ziplist(&[Entry::Str(b"old"), Entry::Int(7)]));
    // an empty ziplist hash: Redis skips empty keys
    w.key(13, "empty");
    w.raw(&build_ziplist(&[]));
    // db 3: a plain string
    w.0.push(0xfe);
    w.len(3);
    w.key(0, "in3");
    w.raw(b"three");
    w.finish()
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

#[test]
fn decodes_v9_encodings() {
    let l = rdb::decode(&v9_sample()).unwrap();
    assert_eq!(l.version, 9);
    assert_eq!(l.aux.redis_ver.as_deref(), Some("6.2.14"));
    assert_eq!(l.aux.repl_offset, Some(123456));
    assert_eq!(l.empty_keys_skipped.len(), 1);
    let db = &l.dbs[0];
    let Value::List(ql) = &db.keys().get(&b"ql"[..]).unwrap().value else {
        panic!()
    };
    let want: Vec<Bytes> = vec![
        b("a"),
        b("1"),
        b("-70000"),
        b(&"q".repeat(300)),
        b(&i64::MAX.to_string()),
    ];
    assert_eq!(
        ql.iter().map(Bytes::copy_from_slice).collect::<Vec<_>>(),
        want
    );
    let Value::Hash(hz) = &db.keys().get(&b"hz"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(hz.get(&b"n"[..]), Some(&b"42"[..]));
    assert_eq!(hz.get(&b"f1"[..]), Some(&b"v1"[..]));
    let Value::Hash(hm) = &db.keys().get(&b"hm"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(hm.get(&b"zk"[..]), Some(&b"zv"[..]));
    assert_eq!(hm.get(&b"x"[..]), Some(&b""[..]));
    let Value::ZSet(zz) = &db.keys().get(&b"zz"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(zz.score(b"half"), Some(0.5));
    assert_eq!(zz.score(b"one"), Some(1.0));
    let Value::ZSet(z3) = &db.keys().get(&b"z3"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(z3.score(b"a"), Some(1.5));
    assert_eq!(z3.score(b"b"), Some(f64::INFINITY));
    assert_eq!(z3.score(b"c"), Some(f64::NEG_INFINITY));
    let Value::Set(is) = &db.keys().get(&b"is"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(is.len(), 4);
    assert!(is.contains(b"-100000"));
    assert_eq!(db.ttl_at(b"is"), Some(2000000000000));
    let Value::Str(s) = &db.keys().get(&b"lzf"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(s, &b(&"hello ".repeat(50)));
    assert_eq!(db.ttl_at(b"lzf"), Some(4102444800555));
    let Value::List(zl) = &db.keys().get(&b"zl"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(zl.len(), 2);
    assert!(!db.keys().contains_key(&b"empty"[..]));
    assert_eq!(db.len(), 8);
    assert!(l.dbs[3].keys().contains_key(&b"in3"[..]));
}

#[test]
fn decodes_v11_listpack_set_and_plain_quicklist_node() {
    // Redis 7.2: set as listpack (type 20), quicklist2 with a PLAIN node.
    let mut w = W(b"REDIS0011".to_vec());
    w.0.push(0xfe);
    w.len(0);
    w.key(20, "lps");
    w.raw(&build_listpack(&[
        Entry::Str(b"x"),
        Entry::Int(5),
        Entry::Int(-5000),
    ]));
    w.key(18, "ql2");
    w.len(2);
    w.len(2); // PACKED
    w.raw(&build_listpack(&[Entry::Str(b"p"), Entry::Int(300)]));
    w.len(1); // PLAIN
    w.raw(b"a plain node");
    // module aux data (247): id, when opcode (uint), when, then values till EOF
    w.0.push(0xf7);
    w.len(12345);
    w.len(2);
    w.len(2);
    w.len(2); // UINT
    w.len(7);
    w.len(5); // STRING
    w.raw(b"blob");
    w.len(4); // DOUBLE
    w.0.extend_from_slice(&1.5f64.to_le_bytes());
    w.len(0); // EOF
    let l = rdb::decode(&w.finish()).unwrap();
    let db = &l.dbs[0];
    let Value::Set(s) = &db.keys().get(&b"lps"[..]).unwrap().value else {
        panic!()
    };
    assert!(s.contains(&b"-5000"[..]) && s.contains(&b"x"[..]) && s.len() == 3);
    let Value::List(q) = &db.keys().get(&b"ql2"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(
        q.iter().map(Bytes::copy_from_slice).collect::<Vec<_>>(),
        vec![b("p"), b("300"), b("a plain node")]
    );
}

#[test]
fn errors_are_clear() {
    let e = rdb::decode(b"REDIS0012\xff").unwrap_err();
    assert_eq!(e.msg, "Can't handle RDB format version 12");
    let e = rdb::decode(b"RADIS0009\xff").unwrap_err();
    assert!(e.msg.contains("wrong signature"));
    let mut w = W(b"REDIS0009".to_vec());
    w.key(7, "mod");
    let e = rdb::decode(&w.finish()).unwrap_err();
    assert!(e.msg.contains("unsupported RDB type 7"), "{}", e);
    let mut w = W(b"REDIS0009".to_vec());
    w.0.push(0xfe);
    w.len(16);
    let e = rdb::decode(&w.finish()).unwrap_err();
    assert!(e.msg.contains("more than 16 databases"), "{}", e);
    // A huge declared list length with nothing behind it.
    let mut w = W(b"REDIS0009".to_vec());
    w.key(1, "l");
    w.0.push(0x81);
    w.0.extend_from_slice(&u64::MAX.to_be_bytes());
    let e = rdb::decode(&w.finish()).unwrap_err();
    assert!(e.msg.contains("larger than the rest"), "{}", e);
    let e = rdb::decode(b"REDIS0009").unwrap_err();
    assert!(e.msg.contains("unexpected end of file"), "{}", e);
}

/// Where a real redis-server is installed, it must load our hand-made v9 file
/// with the same contents: proves the builders match Redis's formats.
#[test]
fn real_redis_loads_the_v9_sample() {
    let Some(r) = common::real_redis::RealRedis::start_with_rdb(&v9_sample()) else {
        eprintln!("redis-server not installed; skipped");
        return;
    };
    assert_eq!(r.cli(&["dbsize"]), "8");
    assert_eq!(r.cli(&["lrange", "ql", "0", "-1"]).lines().count(), 5);
    assert_eq!(r.cli(&["lindex", "ql", "2"]), "-70000");
    assert_eq!(r.cli(&["hget", "hz", "n"]), "42");
    assert_eq!(r.cli(&["hget", "hm", "zk"]), "zv");
    assert_eq!(r.cli(&["zscore", "zz", "half"]), "0.5");
    assert_eq!(r.cli(&["zscore", "z3", "b"]), "inf");
    assert_eq!(r.cli(&["smembers", "is"]), "-100000\n1\n2\n3");
    assert_eq!(r.cli(&["get", "lzf"]), "hello ".repeat(50));
    assert_eq!(r.cli(&["pexpiretime", "lzf"]), "4102444800555");
    assert_eq!(r.cli(&["lrange", "zl", "0", "-1"]), "old\n7");
    assert_eq!(r.cli(&["expiretime", "is"]), "2000000000");
    assert_eq!(r.cli(&["-n", "3", "get", "in3"]), "three");
}
