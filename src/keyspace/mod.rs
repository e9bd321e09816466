//! Databases, values and expiry.

pub mod corrupt;
pub mod corrupt_walk;
pub mod dict;
pub mod hash;
pub mod inline;
pub mod intset;
pub mod listpack;
pub mod lru;
pub mod noted;
pub mod quicklist;
pub mod set;
mod sip;
pub mod size;
pub mod stream;
pub mod zset;

use crate::node::Millis;
use bytes::Bytes;
use std::collections::BTreeSet;

pub use dict::{Dict, Resize};
pub use hash::HashValue;
pub use inline::InlineBytes;
pub use quicklist::QuickList;
pub use set::SetValue;
pub use stream::{Stream, StreamId};
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
    /// Short strings inline (7.0's EMBSTR / shared integers cost no
    /// allocation of their own either).
    Str(InlineBytes),
    List(QuickList),
    Hash(HashValue),
    Set(SetValue),
    ZSet(ZSet),
    Stream(Box<Stream>),
    /// A payload kept as received that fails 7.0's deep check
    /// (`sanitize-dump-payload no`); reading it stops the server.
    Corrupt(Box<corrupt::Corrupt>),
}

/// A stored value and its bookkeeping, packed in two words as 7.0 packs
/// its robj header: every key pays for these bytes.
#[derive(Clone, Debug)]
pub struct Object {
    pub value: Value,
    /// Low 24 bits: the access clock, LRU stamp or LFU time and counter
    /// (`keyspace::lru`, 24 bits as in Redis). High 8 bits: the snapshot
    /// mark (see [`Db::begin_snapshot`]).
    clock: u32,
    /// Low 31 bits: what this key counts for in its database's running
    /// total, as last charged (`size::key_bytes`, saturated at 2 GiB; the
    /// total stays the sum of these), 0: to be charged. Top bit: converted
    /// to the big encoding (Redis never converts back, so it is sticky).
    charge: u32,
}

const CLOCK_BITS: u32 = 0x00ff_ffff;
const BIG_BIT: u32 = 1 << 31;

/// The configured sizes up to which collections keep their compact encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingLimits {
    pub hash_entries: usize,
    pub hash_value: usize,
    pub set_intset_entries: usize,
    pub zset_entries: usize,
    pub zset_value: usize,
}

impl Default for EncodingLimits {
    /// 7.0's defaults.
    fn default() -> Self {
        EncodingLimits {
            hash_entries: HASH_LISTPACK_MAX_ENTRIES,
            hash_value: LISTPACK_MAX_VALUE,
            set_intset_entries: INTSET_MAX_ENTRIES,
            zset_entries: LISTPACK_MAX_ENTRIES,
            zset_value: LISTPACK_MAX_VALUE,
        }
    }
}

impl Object {
    pub fn new(value: Value) -> Object {
        let mut o = Object {
            value,
            clock: 0,
            charge: 0,
        };
        o.update_encoding();
        o
    }

    /// The access clock (`keyspace::lru`); 0 before the first stamp.
    pub fn lru(&self) -> u32 {
        self.clock & CLOCK_BITS
    }

    pub fn set_lru(&mut self, lru: u32) {
        self.clock = (self.clock & !CLOCK_BITS) | (lru & CLOCK_BITS);
    }

    fn snap(&self) -> u8 {
        (self.clock >> 24) as u8
    }

    fn set_snap(&mut self, mark: u8) {
        self.clock = (self.clock & CLOCK_BITS) | (mark as u32) << 24;
    }

    fn charged(&self) -> u32 {
        self.charge & !BIG_BIT
    }

    fn set_charged(&mut self, c: u32) {
        self.charge = (self.charge & BIG_BIT) | (c & !BIG_BIT);
    }

    /// Converted to the big encoding (a string: changed in place, `raw`).
    pub fn is_big(&self) -> bool {
        self.charge & BIG_BIT != 0
    }

    pub fn set_big(&mut self, big: bool) {
        self.charge = (self.charge & !BIG_BIT) | if big { BIG_BIT } else { 0 };
    }

    /// Call after modifying a value so OBJECT ENCODING stays plausible
    /// (with the default limits; see [`Object::update_encoding_with`]).
    pub fn update_encoding(&mut self) {
        self.update_encoding_with(&EncodingLimits::default());
    }

    /// The compact encoding is left for good once the collection exceeds
    /// `limits` (the `*-max-listpack-*` / `set-max-intset-entries` settings).
    pub fn update_encoding_with(&mut self, limits: &EncodingLimits) {
        if self.is_big() {
            return;
        }
        let big = match &mut self.value {
            Value::Str(_) => false,
            Value::List(l) => {
                l.len() > LISTPACK_MAX_ENTRIES || l.iter().any(|e| e.len() > LISTPACK_MAX_VALUE)
            }
            Value::Hash(h) => {
                if h.is_packed() && !h.fits(limits.hash_entries, limits.hash_value) {
                    h.to_table();
                }
                !h.is_packed()
            }
            Value::Set(s) => {
                if s.is_intset() && !s.fits(limits.set_intset_entries) {
                    s.to_table();
                }
                !s.is_intset()
            }
            Value::ZSet(z) => {
                if z.is_packed() && !z.fits(limits.zset_entries, limits.zset_value) {
                    z.to_skip();
                }
                !z.is_packed()
            }
            // 7.0 converts a corrupt payload on RESTORE only when it must,
            // and such a conversion stops the server first.
            Value::Stream(_) | Value::Corrupt(_) => false,
        };
        self.set_big(big);
    }

    /// Pick the encoding a value built or loaded whole gets from its size
    /// (rdbLoadObject, RESTORE, the *STORE commands): compact if it fits.
    pub fn refit(&mut self, limits: &EncodingLimits) {
        match &mut self.value {
            Value::Hash(h) if !h.is_packed() && h.fits(limits.hash_entries, limits.hash_value) => {
                h.to_packed()
            }
            Value::Set(s) if !s.is_intset() && s.fits(limits.set_intset_entries) => s.to_intset(),
            Value::ZSet(z) if !z.is_packed() && z.fits(limits.zset_entries, limits.zset_value) => {
                z.to_packed()
            }
            _ => {}
        }
        self.set_big(false);
        self.update_encoding_with(limits);
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
                if self.is_big() {
                    "raw"
                } else if s.len() <= 20 && crate::resp::parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
            // Redis 7.0 always encodes lists as quicklists (listpack lists came in 7.2).
            Value::List(_) => "quicklist",
            Value::Hash(h) => {
                if h.is_packed() {
                    "listpack"
                } else {
                    "hashtable"
                }
            }
            Value::Set(s) => {
                if s.is_intset() {
                    "intset"
                } else {
                    "hashtable"
                }
            }
            Value::ZSet(z) => {
                if z.is_packed() {
                    "listpack"
                } else {
                    "skiplist"
                }
            }
            Value::Stream(_) => "stream",
            Value::Corrupt(c) => c.encoding(),
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
            // An empty stream is a key of its own (XADD ... MAXLEN 0, XDEL).
            Value::Stream(_) | Value::Corrupt(_) => false,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
            Value::Corrupt(c) => c.type_name(),
        }
    }
}

/// A new collection's key in an allocation of its own: an argument is a
/// slice of the whole command's buffer, which a key kept for long would
/// keep alive (HSET's fields and values, SADD's members...).
pub fn owned_key(k: &[u8]) -> Bytes {
    Bytes::copy_from_slice(k)
}

/// What a key is charged: its cost, saturated to fit the object's field.
fn charge_of(key: &[u8], o: &Object) -> u32 {
    size::key_charge(key, o).min((BIG_BIT - 1) as u64) as u32
}

/// One of the numbered databases.
///
/// Every change to the keys goes through these methods: while a background
/// save runs they are the copy-on-write barrier (see [`Db::begin_snapshot`]).
#[derive(Clone, Debug, Default)]
pub struct Db {
    keys: Dict<InlineBytes, Object>,
    expires: Dict<InlineBytes, Millis>,
    /// Keys deleted because they expired, waiting to be propagated as DEL.
    pub expired: Vec<Bytes>,
    /// On a replica keys are not deleted on expiry (the master sends DEL) but
    /// reads must not see them.
    pub replica_mode: bool,
    /// DEBUG SET-ACTIVE-EXPIRE 0: keys expire only when accessed.
    pub active_expire_off: bool,
    /// Clients are paused: expired keys read as absent but stay (no DEL).
    pub expire_paused: bool,
    /// On a writable replica, keys its own clients gave a TTL: the master
    /// sends no DEL for them, so the replica expires them itself.
    pub replica_written_ttls: BTreeSet<Bytes>,
    /// Keys that stopped existing or changed, for WATCH and blocked clients.
    pub touched: Vec<Bytes>,
    /// Keys blocked clients should look at again though WATCHers are not
    /// told (Redis's signalKeyAsReady without signalModifiedKey: XGROUP
    /// DESTROY for the XREADGROUP clients of the group).
    pub ready: Vec<Bytes>,
    /// Keys created since the server last looked (`new` keyspace events),
    /// recorded only while `track_new` is set.
    pub created: Vec<Bytes>,
    pub track_new: bool,
    /// The part of a running snapshot that concerns this data.
    cow: Option<Box<Cow>>,
    /// What the last snapshot kept for changed keys, at its end.
    last_cow_bytes: u64,
    /// The sum of the keys' `charged` bytes, kept as they change.
    charged: u64,
    /// Keys handed out for changing in place since the last
    /// [`Db::settle_charges`], with their slot in `keys` then: their charge
    /// is brought up to date then.
    resized: Vec<(InlineBytes, u32)>,
    /// The snapshot mark the last snapshot of this data used (objects
    /// carry 8 bits of it: see [`Db::begin_snapshot`]).
    last_mark: u8,
    /// How lookups stamp the objects they find.
    pub access: Access,
    /// Set as this database records a note (see [`Db::notes`]), so the
    /// server knows where to look.
    note_mark: noted::NoteMark,
}

/// What a lookup does to the access clock of the object it finds, set by
/// the server before it runs a command.
#[derive(Clone, Debug)]
pub struct Access {
    pub policy: lru::AccessPolicy,
    /// The time new objects and accesses are stamped with.
    pub now: Millis,
    /// Off while a command must not touch (OBJECT, TYPE, TTL, EXISTS) or
    /// a snapshot runs (Redis does not touch with a child saving).
    pub touch: bool,
    /// The LFU counter's coin (Redis's `rand()`), seeded by the server.
    pub rng: crate::rng::Rng,
}

impl Default for Access {
    fn default() -> Self {
        Access {
            policy: lru::AccessPolicy::default(),
            now: 0,
            touch: true,
            rng: crate::rng::Rng::new(0),
        }
    }
}

impl Access {
    fn stamp(&mut self, o: &mut Object, now: Millis) {
        if !self.touch {
            return;
        }
        let r = if self.policy.lfu {
            (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        } else {
            0.0
        };
        o.set_lru(self.policy.accessed(o.lru(), now, r));
    }
}

/// One key as a snapshot writes it: name, value, absolute expiry.
pub type SnapEntry = (Bytes, Object, Option<Millis>);

/// The parts of a [`Db`] an object's change in place is recorded in.
struct ChangeBooks<'a> {
    note_mark: &'a noted::NoteMark,
    charged: &'a mut u64,
    resized: &'a mut Vec<(InlineBytes, u32)>,
    cow: &'a mut Option<Box<Cow>>,
    expires: &'a Dict<InlineBytes, Millis>,
}

impl ChangeBooks<'_> {
    /// `o`, the object at `k`, is about to change in place.
    fn changing(&mut self, k: &InlineBytes, slot: u32, o: &mut Object) {
        let charge = o.charged();
        // Its charge leaves the total until `settle_charges` measures it
        // again (0 marks it pending, whatever the handler does to it).
        if charge != 0 {
            *self.charged -= o.charged() as u64;
            o.set_charged(0);
            self.resized.push((k.clone(), slot));
            self.note_mark.set();
        }
        if let Some(c) = self.cow.as_mut() {
            if o.snap() != c.epoch {
                let ttl = self.expires.get(&k[..]).copied();
                c.preserved_bytes += k.len() as u64 + u64::from(charge);
                c.preserved.push((k.to_bytes(), o.clone(), ttl));
                o.set_snap(c.epoch);
            }
        }
    }
}

/// An object found by [`Db::get_for_write`]: read freely, changed only
/// through [`WriteRef::get_mut`].
pub struct WriteRef<'a> {
    key: &'a InlineBytes,
    slot: u32,
    obj: &'a mut Object,
    taken: bool,
    books: ChangeBooks<'a>,
}

impl<'a> WriteRef<'a> {
    pub fn get(&self) -> &Object {
        self.obj
    }

    /// The object for changing in place, as [`Db::get_mut`] hands it out.
    pub fn get_mut(&mut self) -> &mut Object {
        if !self.taken {
            self.taken = true;
            self.books.changing(self.key, self.slot, self.obj);
        }
        self.obj
    }

    /// [`WriteRef::get_mut`] for the rest of the database's borrow.
    pub fn into_mut(mut self) -> &'a mut Object {
        if !self.taken {
            self.books.changing(self.key, self.slot, self.obj);
        }
        self.obj
    }
}

/// Copy-on-write state of a database while a snapshot of it is being written.
///
/// The snapshot walks the live table's slab in index order (sequential in
/// memory; the table is pinned meanwhile, so no entry moves). An object whose
/// `snap` mark equals `epoch` is not to be written by the walk: either it
/// was created after the snapshot began (in a freed slot or at the end), or
/// its value at the start was saved in
/// `preserved` before it changed. Objects are marked the first time the walk
/// or a change reaches them, so `preserved` holds only the keys that changed.
#[derive(Clone, Debug)]
struct Cow {
    epoch: u8,
    /// The database number this data had when the snapshot began (SWAPDB
    /// moves a `Db` with its snapshot state).
    index: usize,
    keys_at_start: usize,
    expires_at_start: usize,
    /// Keys changed or removed before the walk reached them: value and TTL at the start.
    preserved: Vec<SnapEntry>,
    /// The bytes `preserved` holds (the snapshot's copy-on-write cost).
    preserved_bytes: u64,
    /// After FLUSHDB: the table the walk goes on with (the live one was replaced).
    detached: Option<(Dict<InlineBytes, Object>, Dict<InlineBytes, Millis>)>,
    /// The next slot of the slab to look at.
    cursor: u64,
    /// The walk reached the end of the slab.
    walked: bool,
}

/// Progress of one [`Db::snapshot_walk`] call.
pub struct WalkStep {
    /// Entries (and empty buckets) looked at.
    pub visited: usize,
    /// The walk is over: [`Db::end_snapshot`] gives the preserved keys.
    pub done: bool,
}

impl Db {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key table, read only (changes go through the methods).
    pub fn keys(&self) -> &Dict<InlineBytes, Object> {
        &self.keys
    }

    /// The expiry table, read only.
    pub fn expires(&self) -> &Dict<InlineBytes, Millis> {
        &self.expires
    }

    fn is_expired(&self, key: &[u8], now: Millis) -> bool {
        !self.expires.is_empty() && self.expires.get(key).is_some_and(|&at| at <= now)
    }

    /// Lazy expiry: drop `key` if its time has come. True if it is (logically) gone.
    pub fn expire_if_needed(&mut self, key: &[u8], now: Millis) -> bool {
        if !self.is_expired(key, now) {
            return false;
        }
        if self.replica_mode || self.expire_paused {
            return true;
        }
        self.remove_expired(key);
        true
    }

    /// Delete an expired key, queueing its DEL.
    fn remove_expired(&mut self, key: &[u8]) {
        let ttl = self.expires.remove(key);
        if let Some((k, o)) = self.keys.remove_entry(key) {
            self.discharge(&o);
            self.keep_old(&k, o, ttl);
            let k = k.to_bytes();
            self.touched.push(k.clone());
            self.expired.push(k);
            self.note_mark.set();
        }
    }

    /// A write from a replica's own client (not its master) deletes an
    /// expired key first, as 7.0's lookupKeyWrite does on a replica.
    pub fn expire_for_write(&mut self, key: &[u8], now: Millis) {
        if self.is_expired(key, now) {
            self.remove_expired(key);
        }
    }

    /// A replica's own client wrote `key`: remember it if it now has a TTL.
    pub fn remember_replica_ttl(&mut self, key: &[u8]) {
        if self.expires.contains_key(key) && !self.replica_written_ttls.contains(key) {
            self.replica_written_ttls
                .insert(Bytes::copy_from_slice(key));
        }
    }

    /// expireSlaveKeys: delete the remembered keys whose time has come and
    /// forget those that no longer have a TTL.
    pub fn expire_replica_written(&mut self, now: Millis) {
        if self.replica_written_ttls.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.replica_written_ttls);
        for k in keys {
            match self.expires.get(&k[..]) {
                Some(&at) if at <= now => self.remove_expired(&k),
                Some(_) => {
                    self.replica_written_ttls.insert(k);
                }
                None => {}
            }
        }
    }

    /// The object at `key` (expiring it if due), its access clock stamped.
    pub fn get(&mut self, key: &[u8], now: Millis) -> Option<&Object> {
        if self.expire_if_needed(key, now) {
            return None;
        }
        let o = self.keys.get_mut(key)?;
        self.access.stamp(o, now);
        Some(o)
    }

    /// [`Db::get`] for a change only the value's layout sees (a step of
    /// its table's rehash, which 7.0's reads do too): the content is the
    /// same, so a running snapshot keeps no copy and nothing is charged again.
    pub fn get_for_layout(&mut self, key: &[u8], now: Millis) -> Option<&mut Object> {
        if self.expire_if_needed(key, now) {
            return None;
        }
        let o = self.keys.get_mut(key)?;
        self.access.stamp(o, now);
        Some(o)
    }

    /// [`Db::get`] without touching the access clock (`LOOKUP_NOTOUCH`).
    pub fn peek(&mut self, key: &[u8], now: Millis) -> Option<&Object> {
        if self.expire_if_needed(key, now) {
            return None;
        }
        self.keys.get(key)
    }

    /// The object at `key` for changing in place (a snapshot keeps its old
    /// value), its access clock stamped.
    pub fn get_mut(&mut self, key: &[u8], now: Millis) -> Option<&mut Object> {
        if self.expire_if_needed(key, now) && !self.replica_mode {
            return None;
        }
        self.changing(key, Some(now))
    }

    /// Whether [`Db::get_mut`] would find the key (a write's existence
    /// check), without marking it changed.
    pub fn exists_for_write(&mut self, key: &[u8], now: Millis) -> bool {
        if self.expire_if_needed(key, now) && !self.replica_mode {
            return false;
        }
        self.keys.contains_key(key)
    }

    /// [`Db::get_mut`] without the expiry check (the caller just looked the key up).
    pub fn get_mut_now(&mut self, key: &[u8]) -> Option<&mut Object> {
        self.changing(key, None)
    }

    /// [`Db::get_mut`] for a write that may turn out to change nothing
    /// (SETBIT to the bit's value, PFADD of elements already counted): the
    /// object is taken for changing only by [`WriteRef::get_mut`], so a
    /// write that does not happen is neither charged again nor copied for
    /// a snapshot. One lookup and one access stamp either way.
    pub fn get_for_write(&mut self, key: &[u8], now: Millis) -> Option<WriteRef<'_>> {
        if self.expire_if_needed(key, now) && !self.replica_mode {
            return None;
        }
        let (slot, key, obj) = self.keys.get_slot_entry_mut(key)?;
        self.access.stamp(obj, now);
        Some(WriteRef {
            key,
            slot,
            obj,
            taken: false,
            books: ChangeBooks {
                note_mark: &self.note_mark,
                charged: &mut self.charged,
                resized: &mut self.resized,
                cow: &mut self.cow,
                expires: &self.expires,
            },
        })
    }

    /// The object at `key` about to change in place: kept for a running
    /// snapshot, queued to be charged again, stamped if accessed at a time.
    fn changing(&mut self, key: &[u8], accessed: Option<Millis>) -> Option<&mut Object> {
        let (slot, k, o) = self.keys.get_slot_entry_mut(key)?;
        if let Some(now) = accessed {
            self.access.stamp(o, now);
        }
        let mut books = ChangeBooks {
            note_mark: &self.note_mark,
            charged: &mut self.charged,
            resized: &mut self.resized,
            cow: &mut self.cow,
            expires: &self.expires,
        };
        books.changing(k, slot, o);
        Some(o)
    }

    /// Give `key`'s object this access stamp (RESTORE IDLETIME / FREQ).
    pub fn set_access_stamp(&mut self, key: &[u8], lru: u32) {
        if let Some(o) = self.keys.get_mut(key) {
            o.set_lru(lru);
        }
    }

    pub fn contains(&mut self, key: &[u8], now: Millis) -> bool {
        self.peek(key, now).is_some()
    }

    /// Bytes of the keys and values as charged (`size::key_bytes` of
    /// each), after [`Db::settle_charges`]. O(1).
    pub fn charged_bytes(&self) -> u64 {
        self.charged
    }

    /// Nothing waits for the server's after-command work: no key created,
    /// resized, expired, touched or made ready since it last ran. Checked
    /// once per command so that the common case skips those passes over
    /// every database: zero then, the lists' lengths or'ed together
    /// without a branch per list.
    /// Give this database its place among a server's: its bit in the
    /// server's shared marks.
    pub fn place(&mut self, mark: noted::NoteMark) {
        self.note_mark = mark;
    }

    /// SWAPDB: `a` and `b` traded places; so do their marks.
    pub fn swap_marks(a: &mut Db, b: &mut Db) {
        noted::NoteMark::swap(&mut a.note_mark, &mut b.note_mark);
    }

    /// A key stopped existing or changed (signalModifiedKey's half for
    /// WATCH and blocked clients).
    pub fn note_touched(&mut self, key: Bytes) {
        self.touched.push(key);
        self.note_mark.set();
    }

    /// A key blocked clients should look at again (signalKeyAsReady).
    pub fn note_ready(&mut self, key: Bytes) {
        self.ready.push(key);
        self.note_mark.set();
    }

    pub fn notes(&self) -> usize {
        self.created.len()
            | self.resized.len()
            | self.expired.len()
            | self.touched.len()
            | self.ready.len()
    }

    /// Charge again the keys changed in place since the last call: O(1)
    /// per change (collections are sampled). A handler may have replaced
    /// the whole object (`*o = Object::new(..)`): it gets the marks the old
    /// one had (handled by a running snapshot, stamped if it had no stamp).
    pub fn settle_charges(&mut self) {
        if self.resized.is_empty() {
            return;
        }
        let epoch = self.cow.as_ref().map(|c| c.epoch);
        let stamp = self.access.policy.initial(self.access.now);
        // Drained, not taken: the vector keeps its allocation for the next
        // command instead of being allocated and freed by every write.
        for (k, slot) in self.resized.drain(..) {
            // Found again by its slot unless the slab moved it meanwhile.
            let o = self.keys.at_or_get_mut(slot, &k[..]);
            if let Some(o) = o {
                if o.charged() != 0 {
                    continue; // Settled already (the key was queued twice).
                }
                o.set_charged(charge_of(&k, o));
                self.charged += o.charged() as u64;
                if let Some(epoch) = epoch {
                    o.set_snap(epoch);
                }
                if o.lru() == 0 {
                    o.set_lru(stamp);
                }
            }
        }
    }

    /// Whether keys changed in place wait for [`Db::settle_charges`].
    #[inline]
    pub fn has_unsettled_charges(&self) -> bool {
        !self.resized.is_empty()
    }

    /// Charge a key about to be stored.
    fn charge(&mut self, key: &[u8], o: &mut Object) {
        o.set_charged(charge_of(key, o));
        self.charged += o.charged() as u64;
    }

    /// Release the charge of a key that left.
    fn discharge(&mut self, o: &Object) {
        self.charged -= o.charged() as u64;
    }

    /// Save a removed or replaced object for the snapshot if it still needs it.
    fn keep_old(&mut self, key: &[u8], old: Object, ttl: Option<Millis>) {
        drop(self.keep_old_or_return(key, old, ttl));
    }

    /// [`Db::keep_old`], giving the object back when the snapshot does not
    /// keep it.
    fn keep_old_or_return(
        &mut self,
        key: &[u8],
        old: Object,
        ttl: Option<Millis>,
    ) -> Option<Object> {
        if let Some(c) = self.cow.as_mut() {
            if old.snap() != c.epoch {
                c.preserved_bytes += key.len() as u64 + u64::from(old.charged());
                c.preserved.push((Bytes::copy_from_slice(key), old, ttl));
                return None;
            }
        }
        Some(old)
    }

    /// Mark the object at `key` as handled, saving its current value first if
    /// the snapshot still needs it (before a TTL change).
    fn keep_current(&mut self, key: &[u8]) {
        if self.cow.is_some() {
            self.get_mut_now(key);
        }
    }

    fn insert(&mut self, key: Bytes, mut obj: Object, drop_ttl: bool) {
        self.charge(&key, &mut obj);
        let now = self.access.now;
        if self.cow.is_none() {
            if drop_ttl {
                self.expires.remove(&key[..]);
            }
            // No snapshot runs: whatever mark the object carries (from
            // another database, MOVE) means nothing here.
            obj.set_snap(0);
            // An overwrite replaces the value in place (the stored key
            // stays): one lookup serves the stamp and the write.
            if let Some(old) = self.keys.get_mut(&key[..]) {
                obj.set_lru(if self.access.policy.lfu {
                    // An overwrite keeps the LFU counter (dbOverwrite), as
                    // stamped by the write's own lookup (lookupKeyWrite).
                    self.access.stamp(old, now);
                    old.lru()
                } else {
                    self.access.policy.initial(now)
                });
                let old = std::mem::replace(old, obj);
                self.discharge(&old);
            } else {
                obj.set_lru(self.access.policy.initial(now));
                if self.track_new {
                    self.created.push(key.clone());
                    self.note_mark.set();
                }
                self.keys.insert_absent(InlineBytes::new(&key), obj);
            }
            return;
        }
        obj.set_lru(match self.keys.get_mut(&key[..]) {
            Some(old) if self.access.policy.lfu => {
                self.access.stamp(old, now);
                old.lru()
            }
            _ => self.access.policy.initial(now),
        });
        let epoch = self.cow.as_ref().map_or(0, |c| c.epoch);
        let ttl = if drop_ttl {
            self.expires.remove(&key[..])
        } else {
            self.expires.get(&key[..]).copied()
        };
        obj.set_snap(epoch);
        if let Some(old) = self.keys.insert(InlineBytes::new(&key), obj) {
            self.discharge(&old);
            self.keep_old(&key, old, ttl);
        } else if self.track_new {
            self.created.push(key);
            self.note_mark.set();
        }
    }

    /// Store a value, dropping any TTL (Redis's `setKey`).
    pub fn set(&mut self, key: Bytes, obj: Object) {
        self.insert(key, obj, true);
    }

    /// Store a value, keeping an existing TTL (SET KEEPTTL).
    pub fn set_keep_ttl(&mut self, key: Bytes, obj: Object) {
        self.insert(key, obj, false);
    }

    /// Remove a key (and its TTL), returning its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        let ttl = self.expires.remove(key);
        let (k, o) = self.keys.remove_entry(key)?;
        self.discharge(&o);
        if self.cow.as_ref().is_some_and(|c| o.snap() != c.epoch) {
            self.keep_old(&k, o.clone(), ttl);
        }
        Some(o)
    }

    /// Store a *STORE command's result at `dst`: the collection, or no key
    /// at all when it is empty (Redis keeps no empty collections). True if
    /// the keyspace changed.
    pub fn store_collection(&mut self, dst: &Bytes, value: Value) -> bool {
        if value.is_empty_collection() {
            self.delete(dst)
        } else {
            self.set(dst.clone(), Object::new(value));
            true
        }
    }

    /// After members left the collection at `key`: refresh its encoding and
    /// delete the key if it is now empty. True if it was deleted.
    pub fn settle_collection(&mut self, key: &[u8], limits: &EncodingLimits) -> bool {
        let empty = match self.get_mut_now(key) {
            Some(o) => {
                o.update_encoding_with(limits);
                o.value.is_empty_collection()
            }
            None => false,
        };
        empty && self.delete(key)
    }

    /// Remove a key (and its TTL); true if it existed. Cheaper than
    /// [`Db::remove`] during a snapshot (the value moves, no copy).
    /// Delete `key` and hand its value to the caller to free (UNLINK):
    /// `None` without the key; `Some(None)` when a running snapshot keeps
    /// the value.
    pub fn delete_taking(&mut self, key: &[u8]) -> Option<Option<Object>> {
        let ttl = self.expires.remove(key);
        let (k, o) = self.keys.remove_entry(key)?;
        self.discharge(&o);
        Some(self.keep_old_or_return(&k, o, ttl))
    }

    pub fn delete(&mut self, key: &[u8]) -> bool {
        let ttl = self.expires.remove(key);
        match self.keys.remove_entry(key) {
            Some((k, o)) => {
                self.discharge(&o);
                self.keep_old(&k, o, ttl);
                true
            }
            None => false,
        }
    }

    pub fn ttl_at(&self, key: &[u8]) -> Option<Millis> {
        self.expires.get(key).copied()
    }

    pub fn set_expire(&mut self, key: &[u8], at: Millis) {
        if let Some((k, _)) = self.keys.get_key_value(key) {
            let k = k.clone();
            self.keep_current(key);
            self.expires.insert(k, at);
        }
    }

    /// Remove a TTL; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        if !self.expires.contains_key(key) {
            return false;
        }
        self.keep_current(key);
        self.expires.remove(key).is_some()
    }

    /// Empty the database (FLUSHDB). A running snapshot keeps walking the old
    /// table, which is set aside whole (no copy).
    pub fn clear(&mut self) {
        for k in self.keys.keys() {
            self.touched.push(k.to_bytes());
        }
        self.note_mark.set();
        let keys = std::mem::take(&mut self.keys);
        let expires = std::mem::take(&mut self.expires);
        self.charged = 0;
        self.resized.clear();
        if let Some(c) = self.cow.as_mut() {
            if c.detached.is_none() {
                c.detached = Some((keys, expires));
            }
            // Otherwise the live table holds only keys born after the start.
        }
    }

    /// Replace the whole content (loading a file).
    pub fn replace_all(
        &mut self,
        keys: Dict<InlineBytes, Object>,
        expires: Dict<InlineBytes, Millis>,
    ) {
        self.clear();
        self.touched.clear();
        self.keys = keys;
        self.expires = expires;
        let epoch = self.cow.as_ref().map_or(0, |c| c.epoch);
        let stamp = self.access.policy.initial(self.access.now);
        let mut charged = 0;
        for (k, o) in self.keys.iter_mut() {
            o.set_snap(epoch);
            o.set_lru(stamp);
            o.set_charged(charge_of(k, o));
            charged += o.charged() as u64;
        }
        self.charged = charged;
    }

    /// The tables, taken apart (a database decoded from a file).
    pub fn into_parts(self) -> (Dict<InlineBytes, Object>, Dict<InlineBytes, Millis>) {
        (self.keys, self.expires)
    }

    /// Store a key read from a file, with its absolute expiry.
    pub fn insert_loaded(&mut self, key: Bytes, obj: Object, expire: Option<Millis>) {
        let key = InlineBytes::new(&key);
        if let Some(at) = expire {
            self.expires.insert(key.clone(), at);
        } else {
            self.expires.remove(&key[..]);
        }
        let mut obj = obj;
        self.charge(&key, &mut obj);
        obj.set_lru(self.access.policy.initial(self.access.now));
        obj.set_snap(0);
        if let Some(old) = self.keys.insert(key, obj) {
            self.discharge(&old);
        }
    }

    /// One round of the active expire cycle: look at up to `budget` keys with a
    /// TTL starting from `cursor`, delete those expired. Returns the next cursor.
    pub fn active_expire(&mut self, now: Millis, cursor: u64, budget: usize) -> u64 {
        if self.replica_mode
            || self.active_expire_off
            || self.expire_paused
            || self.expires.is_empty()
        {
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

    /// `incrementallyRehash`: move the key table's rehash on by up to
    /// `buckets` buckets, else the expiry table's; whether either had one.
    pub fn rehash_tables(&mut self, buckets: usize) -> bool {
        if self.keys.is_rehashing() {
            self.keys.rehash(buckets);
            return true;
        }
        if self.expires.is_rehashing() {
            self.expires.rehash(buckets);
            return true;
        }
        false
    }

    // --- snapshots -------------------------------------------------------

    /// Start a snapshot of this database as number `index`: from now on the
    /// content as it is at this instant can be written with
    /// [`Db::snapshot_walk`] however the keys change. O(1) but once in 255
    /// snapshots: objects have 8 bits for the mark, so each snapshot takes
    /// the next mark and when they run out every object's mark is cleared
    /// (O(keys), as the walk that follows). Does nothing for an empty
    /// database (nothing to write).
    pub fn begin_snapshot(&mut self, index: usize) {
        self.cow = None;
        self.last_cow_bytes = 0;
        if self.keys.is_empty() {
            return;
        }
        let epoch = match self.last_mark.checked_add(1) {
            Some(m) => m,
            None => {
                for o in self.keys.values_mut() {
                    o.set_snap(0);
                }
                1
            }
        };
        self.last_mark = epoch;
        self.keys.set_pinned(true);
        self.cow = Some(Box::new(Cow {
            epoch,
            index,
            keys_at_start: self.keys.len(),
            expires_at_start: self.expires.len(),
            preserved: Vec::new(),
            preserved_bytes: 0,
            detached: None,
            cursor: 0,
            walked: false,
        }));
    }

    /// The database number a running snapshot of this data has, if any.
    pub fn snapshot_index(&self) -> Option<usize> {
        self.cow.as_ref().map(|c| c.index)
    }

    /// (keys, keys with a TTL) when the snapshot began.
    pub fn snapshot_sizes(&self) -> (usize, usize) {
        self.cow
            .as_ref()
            .map_or((0, 0), |c| (c.keys_at_start, c.expires_at_start))
    }

    /// Walk on: call `f` for entries of the snapshot not written yet (each
    /// once), about `budget` of them.
    pub fn snapshot_walk(
        &mut self,
        budget: usize,
        mut f: impl FnMut(&[u8], &Object, Option<Millis>),
    ) -> WalkStep {
        let Some(c) = self.cow.as_mut() else {
            return WalkStep {
                visited: 0,
                done: true,
            };
        };
        let epoch = c.epoch;
        let (keys, expires) = match c.detached.as_mut() {
            Some((k, e)) => (k, &*e),
            None => (&mut self.keys, &self.expires),
        };
        if c.walked {
            return WalkStep {
                visited: 0,
                done: true,
            };
        }
        // In slab order (sequential memory): the table is pinned meanwhile.
        let no_ttls = expires.is_empty();
        let (next, looked) = keys.slab_step_mut(c.cursor as usize, budget.max(1), |k, o| {
            if o.snap() != epoch {
                o.set_snap(epoch);
                let ttl = if no_ttls {
                    None
                } else {
                    expires.get(&k[..]).copied()
                };
                f(k, o, ttl);
            }
        });
        c.cursor = next.unwrap_or(0) as u64;
        c.walked = next.is_none();
        // An empty slot costs a little too.
        WalkStep {
            visited: looked.max(1),
            done: c.walked,
        }
    }

    /// Stop the snapshot of this data; returns the preserved entries (the
    /// old values of keys changed before the walk reached them). Once the walk
    /// is done no other entry is left to write.
    pub fn end_snapshot(&mut self) -> Vec<SnapEntry> {
        let Some(c) = self.cow.take() else {
            return Vec::new();
        };
        // The table may resize again (at its next insertion, as Redis's
        // once the child is gone).
        self.keys.set_pinned(false);
        self.last_cow_bytes = c.preserved_bytes;
        c.preserved
    }

    /// A new job starts: no copy-on-write cost is its yet.
    pub fn forget_cow_bytes(&mut self) {
        self.last_cow_bytes = 0;
    }

    /// The bytes the running snapshot keeps for keys changed since it
    /// began, or the last one's at its end.
    pub fn snapshot_cow_bytes(&self) -> u64 {
        self.cow
            .as_ref()
            .map_or(self.last_cow_bytes, |c| c.preserved_bytes)
    }
}

/// Typed access helpers that give Redis's WRONGTYPE error.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[cfg(test)]
mod snapshot_tests;
