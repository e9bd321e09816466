//! Round trips with the real Redis 7.0.15 (skipped where it is not installed):
//! our encoder → dump.rdb → real redis-server loads it; real SAVE → our decoder.

use bytes::Bytes;
use sentinel_lab::keyspace::{Db, Dict, Object, Value, ZSet};
use sentinel_lab::rdb::{self, Aux, EncodeOptions};

mod common;
use common::real_redis::RealRedis;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn put(db: &mut Db, k: &str, v: Value) {
    db.set(b(k), Object::new(v));
}

fn our_dataset() -> Vec<Db> {
    let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
    let db = &mut dbs[0];
    put(db, "s:int", Value::Str(b("12345").into()));
    put(db, "s:big", Value::Str(b("99999999999").into()));
    put(
        db,
        "s:bin",
        Value::Str(Bytes::from_static(b"\x00\xff\r\n").into()),
    );
    put(
        db,
        "s:long",
        Value::Str(b(&"compress me ".repeat(40)).into()),
    );
    put(db, "s:empty", Value::Str(b("").into()));
    put(
        db,
        "l:small",
        Value::List(vec![b("a"), b("1"), b("-2")].into()),
    );
    put(
        db,
        "l:big",
        Value::List((0..3000).map(|i| b(&format!("e{}", i))).collect()),
    );
    let mut s = Dict::new();
    for i in [1, 2, 3, -4] {
        s.insert(b(&i.to_string()), ());
    }
    put(
        db,
        "set:ints",
        Value::Set(sentinel_lab::keyspace::SetValue::from_dict(s)),
    );
    let mut s = Dict::new();
    for i in 0..700 {
        s.insert(b(&format!("m{}", i)), ());
    }
    put(
        db,
        "set:big",
        Value::Set(sentinel_lab::keyspace::SetValue::from_dict(s)),
    );
    let mut z = ZSet::new();
    z.insert(b("a"), 1.0);
    z.insert(b("b"), -2.25);
    z.insert(b("inf"), f64::INFINITY);
    z.insert(b("tiny"), 1e-300);
    put(db, "z:small", Value::ZSet(z));
    let mut z = ZSet::new();
    for i in 0..500 {
        z.insert(b(&format!("m{}", i)), i as f64 / 3.0);
    }
    put(db, "z:big", Value::ZSet(z));
    let mut h = Dict::new();
    h.insert(b("f"), b("v"));
    h.insert(b("n"), b("7"));
    put(
        db,
        "h:small",
        Value::Hash(sentinel_lab::keyspace::HashValue::from_dict(h)),
    );
    let mut h = Dict::new();
    for i in 0..400 {
        h.insert(b(&format!("f{}", i)), b(&format!("v{}", i)));
    }
    put(
        db,
        "h:big",
        Value::Hash(sentinel_lab::keyspace::HashValue::from_dict(h)),
    );
    put(db, "ttl", Value::Str(b("x").into()));
    db.set_expire(b"ttl", 4102444800123);
    put(&mut dbs[2], "two", Value::Str(b("2").into()));
    put(&mut dbs[15], "fifteen", Value::Str(b("15").into()));
    dbs[15].set_expire(b"fifteen", 4102444899000);
    dbs
}

fn aux() -> Aux {
    Aux::for_save(1_700_000_000, 1_000_000, Some((0, "a".repeat(40), 4242)))
}

fn check_in_real(r: &RealRedis) {
    assert_eq!(r.cli(&["dbsize"]), "14");
    assert_eq!(r.cli(&["get", "s:int"]), "12345");
    assert_eq!(r.cli(&["get", "s:big"]), "99999999999");
    assert_eq!(r.cli(&["strlen", "s:bin"]), "4");
    assert_eq!(r.cli(&["get", "s:long"]), "compress me ".repeat(40));
    assert_eq!(r.cli(&["get", "s:empty"]), "");
    assert_eq!(r.cli(&["lrange", "l:small", "0", "-1"]), "a\n1\n-2");
    assert_eq!(r.cli(&["llen", "l:big"]), "3000");
    assert_eq!(r.cli(&["lindex", "l:big", "2999"]), "e2999");
    assert_eq!(r.cli(&["lindex", "l:big", "0"]), "e0");
    assert_eq!(r.cli(&["smembers", "set:ints"]), "-4\n1\n2\n3");
    assert_eq!(r.cli(&["object", "encoding", "set:ints"]), "intset");
    assert_eq!(r.cli(&["scard", "set:big"]), "700");
    assert_eq!(r.cli(&["sismember", "set:big", "m699"]), "1");
    assert_eq!(
        r.cli(&["zrange", "z:small", "0", "-1", "withscores"]),
        "b\n-2.25\ntiny\n1e-300\na\n1\ninf\ninf"
    );
    assert_eq!(r.cli(&["zcard", "z:big"]), "500");
    assert_eq!(r.cli(&["zscore", "z:big", "m499"]), "166.33333333333334");
    assert_eq!(r.cli(&["hgetall", "h:small"]).lines().count(), 4);
    assert_eq!(r.cli(&["hget", "h:small", "n"]), "7");
    assert_eq!(r.cli(&["hlen", "h:big"]), "400");
    assert_eq!(r.cli(&["hget", "h:big", "f399"]), "v399");
    assert_eq!(r.cli(&["pexpiretime", "ttl"]), "4102444800123");
    assert_eq!(r.cli(&["-n", "2", "get", "two"]), "2");
    assert_eq!(r.cli(&["-n", "15", "get", "fifteen"]), "15");
    assert_eq!(
        r.cli(&["-n", "15", "pexpiretime", "fifteen"]),
        "4102444899000"
    );
}

#[test]
fn real_redis_loads_our_rdb() {
    let bytes = rdb::encode(&our_dataset(), &aux());
    assert_eq!(&bytes[..9], b"REDIS0009");
    let Some(r) = RealRedis::start_with_rdb(&bytes) else {
        eprintln!("redis-server not installed; skipped");
        return;
    };
    assert!(
        r.log().contains("Loading RDB produced by version 7.0.15"),
        "{}",
        r.log()
    );
    assert!(
        r.log()
            .contains("Done loading RDB, keys loaded: 16, keys expired: 0."),
        "{}",
        r.log()
    );
    check_in_real(&r);
}

#[test]
fn real_redis_loads_our_uncompressed_unchecksummed_rdb() {
    let opts = EncodeOptions {
        compression: false,
        checksum: false,
    };
    let bytes = rdb::encode_with(&our_dataset(), &aux(), opts);
    assert_eq!(&bytes[bytes.len() - 8..], &[0u8; 8]);
    let Some(r) = RealRedis::start_with_rdb(&bytes) else {
        return;
    };
    check_in_real(&r);
}

#[test]
fn our_rdb_survives_a_real_save_and_our_decode() {
    // ours → real redis → SAVE (v10, compact encodings) → ours again
    let bytes = rdb::encode(&our_dataset(), &aux());
    let Some(r) = RealRedis::start_with_rdb(&bytes) else {
        return;
    };
    let saved = r.save();
    assert_eq!(&saved[..9], b"REDIS0010");
    let l = rdb::decode(&saved).unwrap();
    let want = our_dataset();
    for (i, (got, want)) in l.dbs.iter().zip(want.iter()).enumerate() {
        assert_eq!(got.len(), want.len(), "db {}", i);
        for (k, o) in want.keys().iter() {
            let g = got.keys().get(&k[..]).expect("key present");
            assert_eq!(
                format!("{:?}", canon(&g.value)),
                format!("{:?}", canon(&o.value)),
                "key {:?}",
                k
            );
            assert_eq!(got.ttl_at(k), want.ttl_at(k));
        }
    }
}

#[test]
fn real_save_of_live_commands_decodes() {
    let Some(r) = RealRedis::start(None) else {
        return;
    };
    r.cli(&["rpush", "l", "x", "y", "z"]);
    r.cli(&["hset", "h", "a", "1", "b", "2"]);
    r.cli(&["sadd", "s", "p", "q"]);
    r.cli(&["zadd", "z", "3", "c", "1", "a"]);
    r.cli(&["set", "k", "v", "px", "100000000"]);
    let l = rdb::decode(&r.save()).unwrap();
    let db = &l.dbs[0];
    assert_eq!(db.len(), 5);
    assert!(db.ttl_at(b"k").is_some());
    let Value::ZSet(z) = &db.keys().get(&b"z"[..]).unwrap().value else {
        panic!()
    };
    assert_eq!(
        z.iter()
            .map(|(m, _)| Bytes::copy_from_slice(m))
            .collect::<Vec<_>>(),
        vec![b("a"), b("c")]
    );
}

/// A value in a canonical, comparable form (sets and hashes sorted).
fn canon(v: &Value) -> Vec<(Bytes, String)> {
    let mut out: Vec<(Bytes, String)> = match v {
        Value::Str(s) => vec![(s.to_bytes(), String::new())],
        Value::List(l) => {
            return l
                .iter()
                .enumerate()
                .map(|(i, e)| (Bytes::copy_from_slice(e), i.to_string()))
                .collect()
        }
        Value::Set(s) => s.iter().map(|k| (k, String::new())).collect(),
        Value::Hash(h) => h
            .iter()
            .map(|(k, v)| {
                (
                    Bytes::copy_from_slice(k),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect(),
        Value::ZSet(z) => z
            .iter()
            .map(|(m, s)| (Bytes::copy_from_slice(m), format!("{:e}", s)))
            .collect(),
        Value::Stream(s) => return vec![(Bytes::new(), format!("{:?}", s))],
        Value::Corrupt(c) => return vec![(c.body.clone(), "corrupt".to_string())],
    };
    out.sort();
    out
}
