//! The command table and what a command handler gets to work with.
//!
//! One file per command family; each exports `COMMANDS`, a slice of
//! [`CommandDef`]. The server looks names up in [`CommandTable`].

pub mod acl;
pub mod bitops;
pub mod blocking;
pub mod client;
pub mod client_pause;
pub mod cluster;
pub mod command;
pub mod command_docs;
pub mod config_cmd;
pub mod connection;
pub mod container;
pub mod databases;
pub mod debug;
pub mod digest;
pub mod docs;
pub mod dump;
pub mod eval;
pub mod functions;
pub mod geo;
pub mod geohash;
pub mod hashes;
pub mod hyperloglog;
pub mod keys;
pub mod latency;
pub mod lists;
pub mod lolwut;
pub mod long_double;
pub mod memory;
pub mod migrate;
pub mod module_cmd;
pub mod monitor;
pub mod persistence;
pub mod pubsub;
pub mod pubsub_shard;
pub mod rename;
pub mod scan;
pub mod server_cmds;
pub mod sets;
pub mod sha1;
pub mod shutdown;
pub mod slowlog;
pub mod sort;
pub mod streams;
pub mod strings;
#[cfg(test)]
pub(crate) mod testkit;
pub mod tracking;
pub mod transactions;
pub mod zset_pops;
pub mod zsets;

use crate::keyspace::{Db, Object, Value, WriteRef, WRONGTYPE};
use crate::node::Millis;
use crate::resp::ReplyBuf;
use crate::server::notify::class as N;
use crate::server::{Client, ClientTable, ServerState};
use bytes::Bytes;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

pub use crate::node::ConnId;

/// Command flags, as COMMAND INFO names them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const ALLOW_BUSY: u32 = 1 << 15;
    pub const SENTINEL: u32 = 1 << 16;
    pub const ONLY_SENTINEL: u32 = 1 << 17;
    pub const NO_ASYNC_LOADING: u32 = 1 << 18;
    /// Accepted on a cluster node for a slot being imported (RESTORE-ASKING).
    pub const ASKING: u32 = 1 << 19;
    /// Some key positions depend on the arguments (SORT ... STORE).
    pub const MOVABLE_KEYS: u32 = 1 << 20;

    /// Names in the order addReplyFlagsForCommand prints them in COMMAND
    /// INFO (7.0 hides `may_replicate` and the sentinel flags;
    /// `no_mandatory_keys`, 0 here, comes from the command's JSON doc).
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (0, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// A command's error reply, the full text after `-` (e.g. `ERR syntax error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub Cow<'static, str>);

impl Error {
    pub fn new(s: impl Into<Cow<'static, str>>) -> Error {
        Error(s.into())
    }
}

impl From<String> for Error {
    fn from(s: String) -> Error {
        Error(Cow::Owned(s))
    }
}

impl From<&'static str> for Error {
    fn from(s: &'static str) -> Error {
        Error(Cow::Borrowed(s))
    }
}

pub type CmdResult = Result<(), Error>;

/// Error texts shared by several families, word for word as Redis 7.0.
pub mod err {
    pub const SYNTAX: &str = "ERR syntax error";
    pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
    pub const NOT_FLOAT: &str = "ERR value is not a valid float";
    pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
    pub const NO_SUCH_KEY: &str = "ERR no such key";
    pub const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
    pub const WRONGTYPE: &str = super::WRONGTYPE;
    pub const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
    pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
    pub const INVALID_EXPIRE: &str = "ERR invalid expire time in '{}' command";
    pub const DB_INDEX: &str = "ERR DB index is out of range";
    pub const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
}

/// How a write is fed to replicas (and any future AOF).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Propagate {
    /// The command as received, if it changed the dataset (`dirty` grew).
    #[default]
    AsIs,
    /// These commands instead (e.g. SET EX rewritten with an absolute PXAT).
    Replace(Vec<Vec<Bytes>>),
    /// Nothing.
    Nothing,
}

pub type Handler = fn(&mut Ctx, &[Bytes]) -> CmdResult;

/// One entry of the command table.
pub struct CommandDef {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis's arity: positive means exactly, negative means at least |arity|.
    pub arity: i32,
    pub flags: u32,
    /// Key positions (1-based; last_key -1 means "to the end"), 0 if keyless.
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// COMMAND DOCS fields.
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    /// Subcommand names (lower-case) for container commands like CONFIG.
    pub subcommands: &'static [&'static str],
    pub handler: Handler,
}

impl CommandDef {
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Indices of the key arguments of this command line: where a key's
    /// position depends on the arguments (SORT ... STORE) the command finds
    /// them, otherwise they follow (first, last, step).
    pub fn keys_in(&self, argv: &[Bytes]) -> Vec<usize> {
        match self.name {
            "sort" => sort::key_positions(argv),
            "xread" | "xreadgroup" => streams::key_positions(argv),
            // Their subcommands take the key after the subcommand name.
            "xgroup" | "xinfo" if argv.len() > 2 && !argv[1].eq_ignore_ascii_case(b"help") => {
                vec![2]
            }
            "migrate" => migrate::key_positions(argv),
            "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => {
                eval::key_positions(argv)
            }
            _ => self.key_indices(argv.len()),
        }
    }

    /// Indices (0-based into argv) of the key arguments.
    pub fn key_indices(&self, argc: usize) -> Vec<usize> {
        if self.first_key <= 0 {
            return Vec::new();
        }
        let last = if self.last_key < 0 {
            argc as i32 + self.last_key
        } else {
            self.last_key
        };
        let mut v = Vec::new();
        let mut i = self.first_key;
        while i <= last && (i as usize) < argc {
            v.push(i as usize);
            i += self.step.max(1);
        }
        v
    }
}

/// FNV-1a for the command table: names are short and not chosen by an
/// attacker who could flood one bucket (the table is fixed), so a few
/// instructions a byte beat SipHash on every request.
#[derive(Default)]
struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type NameMap = HashMap<&'static [u8], &'static CommandDef, BuildHasherDefault<NameHasher>>;

/// All commands of a node, looked up case-insensitively.
pub struct CommandTable {
    by_name: NameMap,
    pub all: Vec<&'static CommandDef>,
    /// Some commands answer to another name, or to none (`rename-command`):
    /// a command's own name no longer finds it for sure.
    renamed: bool,
}

impl CommandTable {
    pub fn server() -> CommandTable {
        Self::from_families(&[
            connection::COMMANDS,
            acl::COMMANDS,
            server_cmds::COMMANDS,
            keys::COMMANDS,
            strings::COMMANDS,
            bitops::COMMANDS,
            lists::COMMANDS,
            hashes::COMMANDS,
            sets::COMMANDS,
            zsets::COMMANDS,
            zset_pops::COMMANDS,
            monitor::COMMANDS,
            hyperloglog::COMMANDS,
            geo::COMMANDS,
            pubsub::COMMANDS,
            pubsub_shard::COMMANDS,
            cluster::COMMANDS,
            module_cmd::COMMANDS,
            latency::COMMANDS,
            lolwut::COMMANDS,
            migrate::COMMANDS,
            transactions::COMMANDS,
            crate::replication::commands::COMMANDS,
            crate::replication::failover::COMMANDS,
            persistence::COMMANDS,
            dump::COMMANDS,
            sort::COMMANDS,
            streams::COMMANDS,
            eval::COMMANDS,
            functions::COMMANDS,
        ])
    }

    pub fn from_families(families: &[&'static [CommandDef]]) -> CommandTable {
        let mut by_name = NameMap::default();
        let mut all = Vec::new();
        for fam in families {
            for c in fam.iter() {
                by_name.insert(c.name.as_bytes(), c);
                all.push(c);
            }
        }
        crate::coldsort::sort_by_key(&mut all, |c| c.name);
        CommandTable {
            by_name,
            all,
            renamed: false,
        }
    }

    /// True when `rename-command` changed a name of this table.
    pub fn is_renamed(&self) -> bool {
        self.renamed
    }

    pub fn get(&self, name: &[u8]) -> Option<&'static CommandDef> {
        if name.len() > 64 {
            return None;
        }
        let mut lower = [0u8; 64];
        let lower = &mut lower[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&*lower).copied()
    }
}

/// What a handler works with: the server, the calling client, the time.
pub struct Ctx<'a> {
    pub srv: &'a mut ServerState,
    /// Every other client (the caller is not in this map while it runs).
    pub clients: &'a mut ClientTable,
    pub client: &'a mut Client,
    pub now: Millis,
    pub propagate: Propagate,
    /// The server notes the key arguments of a write that changed the
    /// dataset as touched (WATCH, blocked clients). A handler clears this
    /// when 7.0's command does not signal its key (XACK, XCLAIM...), and
    /// calls [`Ctx::touch`] / [`Ctx::ready`] itself where it should.
    pub signal_keys: bool,
    pub cmd: &'static CommandDef,
}

impl<'a> Ctx<'a> {
    pub fn out(&mut self) -> &mut ReplyBuf {
        &mut self.client.reply
    }

    /// Whether the caller went over its output buffer limit: a command
    /// writing a long reply stops there (its client is being closed).
    pub fn reply_over_limit(&mut self) -> bool {
        self.srv.reply_over_limit(self.client)
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.dbs[self.client.db]
    }

    /// The selected database and the reply buffer at once.
    pub fn db_out(&mut self) -> (&mut Db, &mut ReplyBuf) {
        (&mut self.srv.dbs[self.client.db], &mut self.client.reply)
    }

    /// Count a change to the dataset (drives propagation, save points, WATCH).
    pub fn dirty(&mut self, n: u64) {
        self.srv.dirty += n;
    }

    /// A keyspace notification for `key` in the selected database (see
    /// [`crate::server::notify`]).
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        let db = self.client.db;
        self.srv.notify(class, event, key, db);
    }

    /// Note a modified key so WATCHers and blocked clients see it.
    pub fn touch(&mut self, key: &Bytes) {
        // Noted only for someone to read it (as the server's own signal):
        // the list would otherwise cost every write a push and a pass.
        if self.srv.someone_waits() {
            let db = self.client.db;
            self.srv.dbs[db].note_touched(key.clone());
        }
    }

    /// Wake the clients blocked on `key` without invalidating WATCHes.
    pub fn ready(&mut self, key: &Bytes) {
        if !self.srv.blocked_on.is_empty() {
            let db = self.client.db;
            self.srv.dbs[db].note_ready(key.clone());
        }
    }

    /// Look up `key` for reading; `Ok(None)` if absent, WRONGTYPE check left to caller.
    pub fn lookup(&mut self, key: &[u8]) -> Option<&Object> {
        let now = self.now;
        self.srv.dbs[self.client.db].get(key, now)
    }

    /// Whether `lookup_mut` would find `key`, without counting it as changed
    /// (a running snapshot copies keys looked up with `lookup_mut`).
    pub fn exists_for_write(&mut self, key: &[u8]) -> bool {
        let now = self.now;
        self.srv.dbs[self.client.db].exists_for_write(key, now)
    }

    pub fn lookup_mut(&mut self, key: &[u8]) -> Option<&mut Object> {
        let now = self.now;
        self.srv.dbs[self.client.db].get_mut(key, now)
    }

    /// Look up `key` for a write that may change nothing (see
    /// [`Db::get_for_write`]).
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<WriteRef<'_>> {
        let now = self.now;
        self.srv.dbs[self.client.db].get_for_write(key, now)
    }
}

/// After changing the collection at `key`: refresh its encoding, delete the
/// key if the collection is empty, and note the change for WATCH / blocking.
/// True if the key was deleted.
pub fn settle(ctx: &mut Ctx, key: &Bytes) -> bool {
    let limits = ctx.srv.encoding_limits;
    let deleted = ctx.db().settle_collection(key, &limits);
    ctx.touch(key);
    deleted
}

/// [`settle`] with its keyspace events: `event` for the change, then `del`
/// if the collection emptied, in 7.0's order.
pub fn settle_notify(ctx: &mut Ctx, key: &Bytes, class: u32, event: &'static str) {
    ctx.notify(class, event, key);
    if settle(ctx, key) {
        ctx.notify(N::GENERIC, "del", key);
    }
}

/// SREM / ZREM: take members out of the collection at `key` with `remove`
/// (WRONGTYPE for another type, else how many it removed), settle the key,
/// count the change and reply the number removed.
pub fn remove_members(
    ctx: &mut Ctx,
    key: &Bytes,
    (class, event): (u32, &'static str),
    remove: impl FnOnce(&mut Object) -> Result<u64, Error>,
) -> CmdResult {
    let now = ctx.now;
    let limits = ctx.srv.encoding_limits;
    let db = ctx.db();
    let mut removed = 0;
    let mut deleted = false;
    if let Some(obj) = db.get_mut(key, now) {
        removed = remove(obj)?;
        deleted = db.settle_collection(key, &limits);
    }
    if removed > 0 {
        ctx.notify(class, event, key);
        if deleted {
            ctx.notify(N::GENERIC, "del", key);
        }
    }
    ctx.dirty(removed);
    ctx.out().int(removed as i64);
    Ok(())
}

/// The end of a *STORE command (SINTERSTORE, ZUNIONSTORE, ZRANGESTORE...):
/// `value` replaces `dst` (no key if it is empty), one change if the keyspace
/// changed, and the reply is the size of the result, `len`.
pub fn store_and_reply(ctx: &mut Ctx, dst: &Bytes, value: Value, len: usize, class: u32) {
    if ctx.db().store_collection(dst, value) {
        // The new key's encoding follows the configured limits.
        let limits = ctx.srv.encoding_limits;
        if let Some(o) = ctx.db().get_mut_now(dst) {
            o.refit(&limits);
        }
        ctx.dirty(1);
        // The event is the command's name (sinterstore, zrangestore...).
        let event = ctx.cmd.name;
        if len > 0 {
            ctx.notify(class, event, dst);
        } else {
            ctx.notify(N::GENERIC, "del", dst);
        }
    }
    ctx.out().int(len as i64);
}

/// Argument helpers.
pub fn arg_i64(b: &[u8]) -> Result<i64, Error> {
    crate::resp::parse_i64(b).ok_or(Error::from(err::NOT_INTEGER))
}

pub fn arg_f64(b: &[u8]) -> Result<f64, Error> {
    crate::resp::parse_f64(b).ok_or(Error::from(err::NOT_FLOAT))
}

/// Redis's normalisation of a start / end index pair (LRANGE, LTRIM, ZRANGE,
/// ZREMRANGEBYRANK) against a length: negative counts from the end, the
/// result is clamped. `Some((start, end))`, both inclusive, or None if empty.
pub fn index_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let from_end = |i: i64| if i < 0 { len.saturating_add(i) } else { i };
    let (start, end) = (from_end(start).max(0), from_end(end));
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The count of LPOP / SPOP / ZPOPMIN and the like: a non-negative integer.
pub fn arg_pop_count(b: &[u8]) -> Result<u64, Error> {
    match crate::resp::parse_i64(b) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(err::NOT_POSITIVE.into()),
    }
}

/// Largest |count| served for a negative-count SRANDMEMBER / ZRANDMEMBER
/// (Redis tries to build the reply and runs out of memory instead).
pub const MAX_RANDOM_REPEAT: u64 = 1 << 24;

/// The arguments after the key of SRANDMEMBER / HRANDFIELD / ZRANDMEMBER
/// with a count: the count (negative allows repeats) and whether the option
/// `with` (WITHVALUES / WITHSCORES) follows it.
pub fn random_count_args(args: &[Bytes], with: Option<&str>) -> Result<(i64, bool), Error> {
    let count = arg_i64(&args[2])?;
    if count == i64::MIN {
        return Err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807".into());
    }
    let with = match (args.get(3), with) {
        (None, _) => false,
        (Some(a), Some(w)) if args.len() == 4 && eq_ignore_case(a, w) => true,
        _ => return Err(err::SYNTAX.into()),
    };
    // The reply holds two items per pick.
    if with && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err("ERR value is out of range".into());
    }
    Ok((count, with))
}

pub fn eq_ignore_case(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

pub fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}

/// The standard arity error.
pub fn wrong_arity(name: &str) -> Error {
    Error::from(format!(
        "ERR wrong number of arguments for '{}' command",
        name
    ))
}

/// The error for an unknown subcommand of a container command.
pub fn unknown_subcommand(sub: &[u8], cmd: &str) -> Error {
    Error::from(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub),
        cmd.to_ascii_uppercase()
    ))
}

/// Build a `Value`-typed check: WRONGTYPE if the object is not of this variant.
pub fn wrongtype() -> Error {
    Error::from(err::WRONGTYPE)
}

/// Redis's glob matcher (`stringmatchlen`), used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    fn eq(a: u8, b: u8, nocase: bool) -> bool {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    }
    /// `skip` is stringmatchlen's skipLongerMatches: once the rest after a
    /// `*` matches nowhere in the string, no longer match of an earlier `*`
    /// can help, which keeps `a*a*a*...b` from backtracking exponentially.
    fn m(p: &[u8], s: &[u8], nocase: bool, depth: usize, skip: &mut bool) -> bool {
        if depth > 1000 {
            return false;
        }
        let (mut pi, mut si) = (0, 0);
        while pi < p.len() {
            match p[pi] {
                b'*' => {
                    while pi + 1 < p.len() && p[pi + 1] == b'*' {
                        pi += 1;
                    }
                    if pi + 1 == p.len() {
                        return true;
                    }
                    for k in si..=s.len() {
                        if m(&p[pi + 1..], &s[k..], nocase, depth + 1, skip) {
                            return true;
                        }
                        if *skip {
                            return false;
                        }
                    }
                    *skip = true;
                    return false;
                }
                b'?' => {
                    if si >= s.len() {
                        return false;
                    }
                    si += 1;
                }
                b'[' => {
                    if si >= s.len() {
                        return false;
                    }
                    pi += 1;
                    let not = pi < p.len() && p[pi] == b'^';
                    if not {
                        pi += 1;
                    }
                    let mut matched = false;
                    loop {
                        if pi >= p.len() {
                            pi -= 1;
                            break;
                        }
                        if p[pi] == b'\\' && pi + 2 < p.len() {
                            pi += 1;
                            if p[pi] == s[si] {
                                matched = true;
                            }
                        } else if p[pi] == b']' {
                            break;
                        } else if pi + 2 < p.len() && p[pi + 1] == b'-' {
                            let (mut a, mut b) = (p[pi], p[pi + 2]);
                            if a > b {
                                std::mem::swap(&mut a, &mut b);
                            }
                            let mut c = s[si];
                            if nocase {
                                a = a.to_ascii_lowercase();
                                b = b.to_ascii_lowercase();
                                c = c.to_ascii_lowercase();
                            }
                            pi += 2;
                            if c >= a && c <= b {
                                matched = true;
                            }
                        } else if eq(p[pi], s[si], nocase) {
                            matched = true;
                        }
                        pi += 1;
                    }
                    if not {
                        matched = !matched;
                    }
                    if !matched {
                        return false;
                    }
                    si += 1;
                }
                b'\\' if pi + 1 < p.len() => {
                    pi += 1;
                    if si >= s.len() || !eq(p[pi], s[si], nocase) {
                        return false;
                    }
                    si += 1;
                }
                c => {
                    if si >= s.len() || !eq(c, s[si], nocase) {
                        return false;
                    }
                    si += 1;
                }
            }
            pi += 1;
        }
        si == s.len()
    }
    m(pattern, s, nocase, 0, &mut false)
}

/// Get a typed value or WRONGTYPE. Usage: `get_typed!(obj, Value::List)`.
#[macro_export]
macro_rules! typed {
    ($obj:expr, $variant:path) => {
        match &$obj.value {
            $variant(v) => Ok(v),
            _ => Err($crate::commands::wrongtype()),
        }
    };
}

/// Mutable variant of [`typed!`].
#[macro_export]
macro_rules! typed_mut {
    ($obj:expr, $variant:path) => {
        match &mut $obj.value {
            $variant(v) => Ok(v),
            _ => Err($crate::commands::wrongtype()),
        }
    };
}

/// Shorthand used by family tables.
#[allow(clippy::too_many_arguments)]
pub const fn def(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    handler: Handler,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        first_key: keys.0,
        last_key: keys.1,
        step: keys.2,
        group,
        since,
        summary,
        subcommands: &[],
        handler,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_defined_once() {
        let t = CommandTable::server();
        let mut names: Vec<&str> = t.all.iter().map(|c| c.name).collect();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "duplicate command names in the table");
    }

    #[test]
    fn glob() {
        assert!(glob_match(b"h?llo", b"hello", false));
        assert!(glob_match(b"h*llo", b"heeeello", false));
        assert!(glob_match(b"h[ae]llo", b"hallo", false));
        assert!(!glob_match(b"h[^e]llo", b"hello", false));
        assert!(glob_match(b"h[a-b]llo", b"hbllo", false));
        assert!(glob_match(b"*", b"", false));
        assert!(glob_match(b"a\\*", b"a*", false));
        // 7.0's skipLongerMatches: no exponential backtracking.
        let a40 = [b'a'; 40];
        assert!(!glob_match(
            b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
            &a40,
            false
        ));
        assert!(glob_match(
            b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a",
            &a40,
            false
        ));
        assert!(glob_match(b"*b*c", b"abxxc", false));
    }
}
