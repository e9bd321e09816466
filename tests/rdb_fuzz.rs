//! Decoding random, mutated and truncated files never panics (deterministic
//! seeds, bounded iterations). Mutated copies get a zero checksum so the
//! decoder parses all the way instead of stopping at the trailer check.

mod common;

use bytes::Bytes;
use common::rng::Rng;
use sentinel_lab::keyspace::{Db, Dict, Object, Value};
use sentinel_lab::rdb::compact::{
    build_intset, build_listpack, build_ziplist, build_zipmap, Entry,
};
use sentinel_lab::rdb::{self, Aux};

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/rdb/{}",
        env!("CARGO_MANIFEST_DIR"),
        name
    ))
    .unwrap()
}

/// A small v9 file with the compact encodings, written by hand.
fn compact_sample() -> Vec<u8> {
    let mut v = b"REDIS0009\xfe\x00".to_vec();
    let blob = |v: &mut Vec<u8>, t: u8, k: &[u8], b: Vec<u8>| {
        v.push(t);
        v.push(k.len() as u8);
        v.extend_from_slice(k);
        assert!(b.len() < 16384);
        v.push(0x40 | (b.len() >> 8) as u8);
        v.push(b.len() as u8);
        v.extend_from_slice(&b);
    };
    let e = [
        Entry::Str(b"abc"),
        Entry::Int(-7),
        Entry::Int(70000),
        Entry::Str(b"zz"),
    ];
    blob(&mut v, 13, b"hz", build_ziplist(&e));
    blob(&mut v, 16, b"hl", build_listpack(&e));
    blob(&mut v, 12, b"zz", build_ziplist(&e[1..3]));
    blob(&mut v, 11, b"is", build_intset(&[1, 5, -9, 1 << 40]));
    blob(
        &mut v,
        9,
        b"zm",
        build_zipmap(&[(b"a", b"b"), (b"cc", b"dd")]),
    );
    v.extend_from_slice(b"\x0e\x02ql\x01");
    let zl = build_ziplist(&e);
    v.push(zl.len() as u8);
    v.extend_from_slice(&zl);
    v.push(0xff);
    v.extend_from_slice(&[0; 8]);
    v
}

fn ours() -> Vec<u8> {
    let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
    let mut h = Dict::new();
    h.insert(Bytes::from_static(b"f"), Bytes::from(vec![b'v'; 100]));
    dbs[0].set(
        Bytes::from_static(b"h"),
        Object::new(Value::Hash(sentinel_lab::keyspace::HashValue::from_dict(h))),
    );
    dbs[0].set(
        Bytes::from_static(b"s"),
        Object::new(Value::Str(Bytes::from(b"xyz".repeat(30)).into())),
    );
    dbs[0].set_expire(b"s", 12345);
    rdb::encode(&dbs, &Aux::for_save(1, 2, Some((0, "r".repeat(40), 9))))
}

fn zero_checksum(v: &mut [u8]) {
    let n = v.len();
    if n >= 8 {
        v[n - 8..].fill(0);
    }
}

#[test]
fn samples_decode() {
    rdb::decode(&compact_sample()).unwrap();
    rdb::decode(&ours()).unwrap();
}

#[test]
fn truncations_never_panic() {
    for base in [compact_sample(), ours(), corpus("function-7.0.rdb")] {
        for n in 0..base.len() {
            assert!(rdb::decode(&base[..n]).is_err(), "prefix {} decoded", n);
        }
    }
    let big = corpus("corpus-7.0.rdb");
    let mut rng = Rng(7);
    for _ in 0..300 {
        let n = rng.below(big.len());
        assert!(rdb::decode(&big[..n]).is_err());
    }
}

#[test]
fn mutations_never_panic() {
    let bases = [
        compact_sample(),
        ours(),
        corpus("corpus-7.0.rdb"),
        corpus("corpus-7.0-plain.rdb"),
        corpus("function-7.0.rdb"),
    ];
    let mut rng = Rng(0x5eed);
    let mut ok = 0;
    for i in 0..3000 {
        let base = &bases[i % bases.len()];
        let mut v = base.clone();
        let muts = 1 + rng.below(4);
        for _ in 0..muts {
            match rng.below(5) {
                0 => {
                    let p = 9 + rng.below(v.len() - 9);
                    v[p] = rng.next() as u8;
                }
                1 => {
                    let p = 9 + rng.below(v.len() - 9);
                    v[p] ^= 1 << rng.below(8);
                }
                2 => {
                    // interesting bytes: length markers, opcodes, 0xff
                    let p = 9 + rng.below(v.len() - 9);
                    v[p] =
                        [0x80, 0x81, 0xc3, 0xff, 0xfe, 0x3f, 0x7f, 0x00, 0xf0, 0xfd][rng.below(10)];
                }
                3 => {
                    let p = 9 + rng.below(v.len() - 9);
                    let n = rng.below(16).min(v.len() - p);
                    v.drain(p..p + n);
                }
                _ => {
                    let p = 9 + rng.below(v.len() - 9);
                    let junk: Vec<u8> = (0..rng.below(16)).map(|_| rng.next() as u8).collect();
                    v.splice(p..p, junk);
                }
            }
        }
        zero_checksum(&mut v);
        if rdb::decode(&v).is_ok() {
            ok += 1;
        }
    }
    // Some mutations are harmless (e.g. inside a string); most are not.
    assert!(ok < 3000);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..3000 {
        let n = rng.below(200);
        let mut v = b"REDIS0009".to_vec();
        v.extend((0..n).map(|_| rng.next() as u8));
        let _ = rdb::decode(&v);
        // and with a plausible start: SELECTDB 0 then a type byte
        let mut w = b"REDIS0010\xfe\x00".to_vec();
        w.push(rng.below(22) as u8);
        w.extend((0..n).map(|_| rng.next() as u8));
        let _ = rdb::decode(&w);
    }
}
