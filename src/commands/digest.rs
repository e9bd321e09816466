//! The dataset digest of DEBUG DIGEST and DEBUG DIGEST-VALUE: the same
//! 40-hex signatures as Redis 7.0's debug.c for the same data.
//!
//! Unordered things (keys, set members, hash fields, zset members) are
//! combined with xor so their order does not matter; ordered things (list
//! elements, a key's name then its value) are chained through SHA-1 so it does.

use super::sha1::{sha1, Sha1};
use crate::keyspace::corrupt::Kind;
use crate::keyspace::{Db, Object, StreamId, Value};

pub type Digest = [u8; 20];

/// `digest ^= SHA1(data)` (debug.c's xorDigest).
fn xor(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// `digest = SHA1(digest ^ SHA1(data))` (debug.c's mixDigest).
fn mix(digest: &mut Digest, data: &[u8]) {
    xor(digest, data);
    let mut h = Sha1::new();
    h.update(digest);
    *digest = h.finish();
}

/// Redis's type numbers (OBJ_STRING ... OBJ_HASH), which enter the digest.
fn type_code(value: &Value) -> u32 {
    match value {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
        Value::Corrupt(c) => match c.kind {
            Kind::List => 1,
            Kind::Set => 2,
            Kind::ZSet => 3,
            Kind::Hash => 4,
            Kind::Stream => 6,
        },
    }
}

/// An element digest of two parts (a zset member and its score, a hash
/// field and its value), whose SHA-1 is xored into `digest`.
fn xor_pair(digest: &mut Digest, a: &[u8], b: &[u8]) {
    let mut ele = [0u8; 20];
    mix(&mut ele, a);
    mix(&mut ele, b);
    xor(digest, &ele);
}

/// Mix the value `obj` (and whether it has a TTL) into `digest`
/// (xorObjectDigest).
pub fn mix_object(digest: &mut Digest, obj: &Object, has_ttl: bool) {
    mix(digest, &type_code(&obj.value).to_be_bytes());
    match &obj.value {
        Value::Str(s) => mix(digest, s),
        Value::List(l) => l.iter().for_each(|e| mix(digest, e)),
        Value::Set(s) => s.iter().for_each(|m| xor(digest, &m)),
        Value::ZSet(z) => {
            for (member, score) in z.iter() {
                xor_pair(digest, member, crate::resp::format_double(score).as_bytes());
            }
        }
        Value::Hash(h) => h.iter().for_each(|(f, v)| xor_pair(digest, f, v)),
        // Entries in ID order, the ID as `ms.seq` (groups do not count).
        Value::Stream(s) => {
            for e in s.range(StreamId::MIN, StreamId::MAX) {
                mix(digest, format!("{}.{}", e.id.ms, e.id.seq).as_bytes());
                e.fields.iter().for_each(|f| mix(digest, f));
            }
        }
        // 7.0 would walk it and stop; its received bytes stand in.
        Value::Corrupt(c) => mix(digest, &c.body),
    }
    if has_ttl {
        xor(digest, b"!!expire!!");
    }
}

/// DEBUG DIGEST-VALUE of one key: all zeros if there is no such key.
/// Keys logically expired still count, as in Redis.
pub fn value_digest(db: &Db, key: &[u8]) -> Digest {
    let mut digest = [0u8; 20];
    if let Some(obj) = db.keys().get(key) {
        mix_object(&mut digest, obj, db.ttl_at(key).is_some());
    }
    digest
}

/// DEBUG DIGEST: every database's keys and values (computeDatasetDigest).
/// All zeros for an empty dataset.
pub fn dataset_digest(dbs: &[Db]) -> Digest {
    let mut fin = [0u8; 20];
    for (index, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        // The database number enters the digest: the same data in another
        // database is another dataset.
        mix(&mut fin, &(index as u32).to_be_bytes());
        for (key, obj) in db.keys().iter() {
            let mut digest = [0u8; 20];
            mix(&mut digest, key);
            mix_object(&mut digest, obj, db.ttl_at(key).is_some());
            xor(&mut fin, &digest);
        }
    }
    fin
}
