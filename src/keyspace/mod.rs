//! Databases, values and expiry.

pub mod dict;
pub mod zset;

use crate::node::Millis;
use bytes::Bytes;
use std::collections::VecDeque;

pub use dict::Dict;
pub use zset::{Score, ZSet};

/// Thresholds Redis 7.0 uses to pick compact encodings (defaults of the
/// `*-max-listpack-*` / `set-max-intset-entries` directives).
pub const LISTPACK_MAX_ENTRIES: usize = 128;
pub const LISTPACK_MAX_VALUE: usize = 64;
pub const INTSET_MAX_ENTRIES: usize = 512;
/// `hash-max-listpack-entries` defaults to 512 in Redis 7.0 (zsets use 128).
pub const HASH_LISTPACK_MAX_ENTRIES: usize = 512;

#[derive(Clone, Debug)]
pub enum Value {
    Str(Bytes),
    List(VecDeque<Bytes>),
    Hash(Dict<Bytes, Bytes>),
    Set(Dict<Bytes, ()>),
    ZSet(ZSet),
}

/// A stored value plus whether it has been converted to the big encoding
/// (Redis never converts back, so the flag is sticky).
#[derive(Clone, Debug)]
pub struct Object {
    pub value: Value,
    pub big: bool,
}

impl Object {
    pub fn new(value: Value) -> Object {
        let mut o = Object { value, big: false };
        o.update_encoding();
        o
    }

    /// Call after modifying a value so OBJECT ENCODING stays plausible.
    pub fn update_encoding(&mut self) {
        if self.big {
            return;
        }
        self.big = match &self.value {
            Value::Str(_) => false,
            Value::List(l) => {
                l.len() > LISTPACK_MAX_ENTRIES || l.iter().any(|e| e.len() > LISTPACK_MAX_VALUE)
            }
            Value::Hash(h) => {
                h.len() > HASH_LISTPACK_MAX_ENTRIES
                    || h.iter()
                        .any(|(k, v)| k.len() > LISTPACK_MAX_VALUE || v.len() > LISTPACK_MAX_VALUE)
            }
            Value::Set(s) => {
                s.len() > INTSET_MAX_ENTRIES
                    || s.keys().any(|k| crate::resp::parse_i64(k).is_none())
            }
            Value::ZSet(z) => {
                z.len() > LISTPACK_MAX_ENTRIES || z.max_member_len() > LISTPACK_MAX_VALUE
            }
        };
    }

    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }

    /// What OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.value {
            Value::Str(s) => {
                // `big` on a string means it was modified in place (APPEND,
                // SETRANGE), which Redis leaves raw whatever it holds.
                if self.big {
                    "raw"
                } else if s.len() <= 20 && crate::resp::parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= 44 && !self.big {
                    "embstr"
                } else {
                    "raw"
                }
            }
            // Redis 7.0 always encodes lists as quicklists (listpack lists came in 7.2).
            Value::List(_) => "quicklist",
            Value::Hash(_) => {
                if self.big {
                    "hashtable"
                } else {
                    "listpack"
                }
            }
            Value::Set(_) => {
                if self.big {
                    "hashtable"
                } else {
                    "intset"
                }
            }
            Value::ZSet(_) => {
                if self.big {
                    "skiplist"
                } else {
                    "listpack"
                }
            }
        }
    }
}

impl Value {
    /// A collection with no elements left (Redis deletes such keys).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }
}

/// One of the numbered databases.
#[derive(Clone, Debug, Default)]
pub struct Db {
    pub keys: Dict<Bytes, Object>,
    pub expires: Dict<Bytes, Millis>,
    /// Keys deleted because they expired, waiting to be propagated as DEL.
    pub expired: Vec<Bytes>,
    /// On a replica keys are not deleted on expiry (the master sends DEL) but
    /// reads must not see them.
    pub replica_mode: bool,
    /// Keys that stopped existing or changed, for WATCH and blocked clients.
    pub touched: Vec<Bytes>,
}

impl Db {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn is_expired(&self, key: &[u8], now: Millis) -> bool {
        !self.expires.is_empty() && self.expires.get(key).is_some_and(|&at| at <= now)
    }

    /// Lazy expiry: drop `key` if its time has come. True if it is (logically) gone.
    pub fn expire_if_needed(&mut self, key: &[u8], now: Millis) -> bool {
        if !self.is_expired(key, now) {
            return false;
        }
        if self.replica_mode {
            return true;
        }
        self.expires.remove(key);
        if let Some((k, _)) = self.keys.remove_entry(key) {
            self.touched.push(k.clone());
            self.expired.push(k);
        }
        true
    }

    pub fn get(&mut self, key: &[u8], now: Millis) -> Option<&Object> {
        if self.expire_if_needed(key, now) {
            return None;
        }
        self.keys.get(key)
    }

    pub fn get_mut(&mut self, key: &[u8], now: Millis) -> Option<&mut Object> {
        if self.expire_if_needed(key, now) && !self.replica_mode {
            return None;
        }
        self.keys.get_mut(key)
    }

    pub fn contains(&mut self, key: &[u8], now: Millis) -> bool {
        self.get(key, now).is_some()
    }

    /// Store a value, dropping any TTL (Redis's `setKey`).
    pub fn set(&mut self, key: Bytes, obj: Object) {
        self.expires.remove(&key[..]);
        self.keys.insert(key, obj);
    }

    /// Store a value, keeping an existing TTL (SET KEEPTTL).
    pub fn set_keep_ttl(&mut self, key: Bytes, obj: Object) {
        self.keys.insert(key, obj);
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        self.expires.remove(key);
        self.keys.remove(key)
    }

    pub fn ttl_at(&self, key: &[u8]) -> Option<Millis> {
        self.expires.get(key).copied()
    }

    pub fn set_expire(&mut self, key: &[u8], at: Millis) {
        if let Some((k, _)) = self.keys.get_key_value(key) {
            let k = k.clone();
            self.expires.insert(k, at);
        }
    }

    /// Remove a TTL; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    pub fn clear(&mut self) {
        for k in self.keys.keys() {
            self.touched.push(k.clone());
        }
        self.keys.clear();
        self.expires.clear();
    }

    /// One round of the active expire cycle: look at up to `budget` keys with a
    /// TTL starting from `cursor`, delete those expired. Returns the next cursor.
    pub fn active_expire(&mut self, now: Millis, cursor: u64, budget: usize) -> u64 {
        if self.replica_mode || self.expires.is_empty() {
            return 0;
        }
        let mut due = Vec::new();
        let mut c = cursor;
        let mut seen = 0;
        loop {
            c = self.expires.scan_step(c, |k, &at| {
                seen += 1;
                if at <= now {
                    due.push(k.clone());
                }
            });
            if c == 0 || seen >= budget {
                break;
            }
        }
        for k in due {
            self.expire_if_needed(&k, now);
        }
        c
    }
}

/// Typed access helpers that give Redis's WRONGTYPE error.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
