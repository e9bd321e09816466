//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
//!
//! An HLL is a plain string value holding Redis's representation (see
//! [`hll`]); semantics, replies, errors, keyspace events and propagation
//! follow Redis 7.0's `hyperloglog.c`. Every command that validates an HLL
//! leaves the string raw-encoded, as Redis unshares it before use.

mod hll;

use super::strings::read_lookup;
use super::{def, flags::*, CmdResult, CommandDef, Ctx, Error};
use crate::keyspace::{Object, Value};
use crate::server::config::Key;
use crate::server::notify::class as N;
use bytes::Bytes;
use hll::{Corrupt, Encoding, REGISTERS};

pub static COMMANDS: &[CommandDef] = &[
    def(
        "pfadd",
        -2,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hyperloglog",
        "2.8.9",
        "Adds the specified elements to the specified HyperLogLog.",
        pfadd,
    ),
    def(
        "pfcount",
        -2,
        READONLY | MAY_REPLICATE,
        (1, -1, 1),
        "hyperloglog",
        "2.8.9",
        "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        pfcount,
    ),
    def(
        "pfdebug",
        3,
        WRITE | DENYOOM | ADMIN,
        (2, 2, 1),
        "hyperloglog",
        "2.8.9",
        "Internal commands for debugging HyperLogLog values",
        pfdebug,
    ),
    def(
        "pfmerge",
        -2,
        WRITE | DENYOOM,
        (1, -1, 1),
        "hyperloglog",
        "2.8.9",
        "Merge N different HyperLogLogs into a single one.",
        pfmerge,
    ),
    def(
        "pfselftest",
        1,
        ADMIN,
        (0, 0, 0),
        "hyperloglog",
        "2.8.9",
        "An internal command for testing HyperLogLog values",
        pfselftest,
    ),
];

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALID_HLL: &str = "INVALIDOBJ Corrupted HLL object detected";

impl From<Corrupt> for Error {
    fn from(_: Corrupt) -> Error {
        Error::from(INVALID_HLL)
    }
}

/// The HLL string of an object: WRONGTYPE for another type, or for a string
/// that is not an HLL (with the HLL wording).
fn hll_of(o: &Object) -> Result<(&[u8], Encoding), Error> {
    let Value::Str(s) = &o.value else {
        return Err(super::wrongtype());
    };
    let enc = hll::encoding_of(s).ok_or(Error::from(NOT_HLL))?;
    Ok((s, enc))
}

/// Run `f` on the HLL string at `key` and store what it leaves, even when
/// it fails part way (Redis edits in place). `Ok(None)` if there is no key.
fn edit_hll<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> Result<Option<R>, Error> {
    edit_hll_unless(ctx, key, |_, _| None, f)
}

/// [`edit_hll`], unless `unchanged`, shown the string of a raw-encoded
/// HLL, answers for the command (which then changes nothing).
fn edit_hll_unless<R>(
    ctx: &mut Ctx,
    key: &[u8],
    unchanged: impl FnOnce(&[u8], Encoding) -> Option<R>,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> Result<Option<R>, Error> {
    let Some(mut w) = ctx.lookup_write(key) else {
        return Ok(None);
    };
    let o = w.get();
    let (s, enc) = hll_of(o)?;
    if o.is_big() {
        if let Some(r) = unchanged(s, enc) {
            return Ok(Some(r));
        }
    }
    let o = w.get_mut();
    o.set_big(true);
    let Value::Str(b) = &mut o.value else {
        unreachable!("hll_of checked the type");
    };
    // Edited in place (the string's allocation is reused).
    let mut s = std::mem::take(b).into_vec();
    let r = f(&mut s);
    *b = s.into();
    Ok(Some(r))
}

/// Store a new HLL at `key` (raw-encoded, no TTL).
fn create(ctx: &mut Ctx, key: &Bytes, s: Vec<u8>) {
    let mut o = Object::new(Value::Str(s.into()));
    o.set_big(true);
    ctx.db().set(key.clone(), o);
}

/// `hll-sparse-max-bytes`: the largest sparse HLL before it turns dense.
fn sparse_max_bytes(ctx: &Ctx) -> u64 {
    ctx.srv.config.get_i64(Key::HLL_SPARSE_MAX_BYTES).max(0) as u64
}

/// Add `elements`; the number of updates (the creation of the key counts as
/// one), the cache invalidated if any.
fn add_all(s: &mut Vec<u8>, elements: &[Bytes], max: u64, created: bool) -> Result<u64, Corrupt> {
    let mut updated = u64::from(created);
    for e in elements {
        updated += u64::from(hll::add(s, e, max)?);
    }
    if updated > 0 {
        hll::invalidate_cache(s);
    }
    Ok(updated)
}

fn pfadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let max = sparse_max_bytes(ctx);
    let elements = &args[2..];
    // A dense HLL whose registers already count every element stays as
    // it is (the usual case once it has seen many).
    let counted = |s: &[u8], enc| {
        (enc == Encoding::Dense && elements.iter().all(|e| hll::dense_counts(s, e)))
            .then_some(Ok(0))
    };
    let add = |s: &mut Vec<u8>| add_all(s, elements, max, false);
    let updated = match edit_hll_unless(ctx, key, counted, add)? {
        Some(r) => r?,
        None => {
            let mut s = hll::new_sparse();
            let r = add_all(&mut s, elements, max, true);
            create(ctx, key, s);
            r?
        }
    };
    if updated > 0 {
        ctx.touch(key);
        ctx.notify(N::STRING, "pfadd", key);
        ctx.dirty(updated);
    }
    ctx.out().int(i64::from(updated > 0));
    Ok(())
}

fn pfcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 2 {
        // The cardinality of the union; no key is changed.
        let mut max = Box::new([0u8; REGISTERS]);
        for key in &args[1..] {
            let Some(o) = read_lookup(ctx, key) else {
                continue;
            };
            hll::merge_into(&mut max, hll_of(o)?.0)?;
        }
        ctx.out().int(hll::count_raw(&max) as i64);
        return Ok(());
    }
    let key = &args[1];
    // On a replica an expired key is gone for its own clients, though only
    // the master's DEL removes it (expireIfNeeded returns 1 there).
    let now = ctx.now;
    if ctx.client.kind != crate::server::ClientKind::Master && ctx.db().expire_if_needed(key, now) {
        ctx.out().int(0);
        return Ok(());
    }
    // A stale cache is recomputed and written back: a change to the value
    // that replicas receive as this PFCOUNT. (7.0 looks the key up for
    // writing: no keyspace hit or miss.)
    let cached = |s: &[u8], _| hll::cached_card(s).map(|card| Ok((card, false)));
    let counted = edit_hll_unless(ctx, key, cached, |s| match hll::cached_card(s) {
        Some(card) => Ok((card, false)),
        None => {
            let card = hll::count(s)?;
            hll::set_cached_card(s, card);
            Ok::<_, Corrupt>((card, true))
        }
    })?;
    let Some(counted) = counted else {
        ctx.out().int(0);
        return Ok(());
    };
    let (card, recomputed) = counted?;
    if recomputed {
        ctx.touch(key);
        ctx.dirty(1);
    }
    ctx.out().int(card as i64);
    Ok(())
}

fn pfmerge(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let dest = &args[1];
    let mut max = Box::new([0u8; REGISTERS]);
    let mut use_dense = false;
    // The destination is one of the inputs.
    for key in &args[1..] {
        let Some(o) = read_lookup(ctx, key) else {
            continue;
        };
        let (s, enc) = hll_of(o)?;
        use_dense |= enc == Encoding::Dense;
        hll::merge_into(&mut max, s)?;
    }
    let sparse_max = sparse_max_bytes(ctx);
    let write = |s: &mut Vec<u8>| -> Result<(), Corrupt> {
        if use_dense {
            hll::to_dense(s)?;
        }
        for (i, &m) in max.iter().enumerate() {
            if m != 0 {
                // The inputs were checked: the destination cannot be corrupt.
                let _ = hll::set(s, i, m, sparse_max);
            }
        }
        hll::invalidate_cache(s);
        Ok(())
    };
    match edit_hll(ctx, dest, write)? {
        Some(r) => r?,
        None => {
            let mut s = hll::new_sparse();
            let r = write(&mut s);
            create(ctx, dest, s);
            r?
        }
    }
    ctx.touch(dest);
    // 7.0 signals a PFMERGE as a mass PFADD.
    ctx.notify(N::STRING, "pfadd", dest);
    ctx.dirty(1);
    ctx.out().ok();
    Ok(())
}

/// What a PFDEBUG subcommand answers.
enum DebugReply {
    Registers(Vec<u8>),
    Decoded(String),
    Encoding(&'static str),
    Converted(bool),
}

/// One PFDEBUG subcommand on a valid HLL string; the reply and whether the
/// string was converted to dense (a change replicas must see).
fn debug_op(sub: &[u8], s: &mut Vec<u8>) -> Result<(DebugReply, bool), Error> {
    let sparse = s[4] != 0;
    if sub.eq_ignore_ascii_case(b"getreg") {
        hll::to_dense(s)?;
        let regs = &s[hll::HDR_SIZE..];
        let values = (0..REGISTERS).map(|i| hll::dense_get(regs, i)).collect();
        Ok((DebugReply::Registers(values), sparse))
    } else if sub.eq_ignore_ascii_case(b"decode") {
        if !sparse {
            return Err("ERR HLL encoding is not sparse".into());
        }
        Ok((DebugReply::Decoded(hll::decode_sparse(s)), false))
    } else if sub.eq_ignore_ascii_case(b"encoding") {
        let name = if sparse { "sparse" } else { "dense" };
        Ok((DebugReply::Encoding(name), false))
    } else if sub.eq_ignore_ascii_case(b"todense") {
        let converted = hll::to_dense(s)?;
        Ok((DebugReply::Converted(converted), converted))
    } else {
        Err(Error::from(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(sub)
        )))
    }
}

fn pfdebug(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    let key = &args[2];
    let done = edit_hll(ctx, key, |s| debug_op(sub, s))?;
    let (reply, converted) = done.ok_or(Error::from("ERR The specified key does not exist"))??;
    if converted {
        ctx.dirty(1);
    }
    let out = ctx.out();
    match reply {
        DebugReply::Registers(values) => {
            out.array(values.len());
            for v in values {
                out.int(i64::from(v));
            }
        }
        DebugReply::Decoded(text) => out.bulk(text.as_bytes()),
        DebugReply::Encoding(name) => out.simple(name),
        DebugReply::Converted(c) => out.int(i64::from(c)),
    }
    Ok(())
}

fn pfselftest(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let sparse_max = sparse_max_bytes(ctx);
    let rng = &mut ctx.srv.rng;
    self_test(|| rng.next_u64(), sparse_max, SELF_TEST_ELEMENTS).map_err(Error::from)?;
    ctx.out().ok();
    Ok(())
}

/// How many elements PFSELFTEST adds, as Redis.
const SELF_TEST_ELEMENTS: u64 = 10_000_000;

/// Redis's PFSELFTEST: packed registers keep the values written to them,
/// and the estimate of a dense and a sparse HLL fed the same `elements`
/// agree and stay within six standard errors at each power of ten.
fn self_test(mut rand: impl FnMut() -> u64, sparse_max: u64, elements: u64) -> Result<(), String> {
    const CYCLES: usize = 1000;
    let mut dense = vec![0u8; hll::DENSE_SIZE];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..CYCLES {
        let regs = &mut dense[hll::HDR_SIZE..];
        for (i, e) in expected.iter_mut().enumerate() {
            *e = (rand() & 63) as u8;
            hll::dense_set(regs, i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = hll::dense_get(regs, i);
            if got != e {
                return Err(format!(
                    "TESTFAILED Register {i} should be {e} but is {got}"
                ));
            }
        }
    }

    dense[hll::HDR_SIZE..].fill(0);
    let mut sparse = hll::new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed = rand();
    let mut checkpoint: u64 = 1;
    for j in 1..=elements {
        let ele = (j ^ seed).to_le_bytes();
        let _ = hll::add(&mut dense, &ele, sparse_max);
        let _ = hll::add(&mut sparse, &ele, sparse_max);
        if j != checkpoint {
            continue;
        }
        if j < sparse_max / 2 && hll::encoding_of(&sparse) != Some(Encoding::Sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = hll::count(&dense).unwrap_or(0);
        if hll::count(&sparse) != Ok(card) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        // At 10, collisions make a larger error likely now and then.
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        let abserr = checkpoint.abs_diff(card);
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testkit::*;

    fn raw(t: &mut Kit, key: &str) -> Vec<u8> {
        match t.srv.st.dbs[0].get(key.as_bytes(), t.now).map(|o| &o.value) {
            Some(Value::Str(s)) => s.to_vec(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn add_and_count() {
        let mut t = Kit::new();
        assert_eq!(t.argv(1, &["PFADD", "hll"]), ":1\r\n");
        assert_eq!(t.argv(1, &["EXISTS", "hll"]), ":1\r\n");
        assert_eq!(
            raw(&mut t, "hll"),
            b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff"
        );
        assert_eq!(t.argv(1, &["PFCOUNT", "hll"]), ":0\r\n");
        assert_eq!(t.argv(1, &["PFADD", "hll", "a", "b", "c"]), ":1\r\n");
        assert_eq!(t.argv(1, &["PFADD", "hll", "a", "b", "c"]), ":0\r\n");
        assert_eq!(t.argv(1, &["PFCOUNT", "hll"]), ":3\r\n");
        assert_eq!(raw(&mut t, "hll")[15], 0);
        assert_eq!(t.argv(1, &["PFADD", "hll", "a"]), ":0\r\n");
        assert_eq!(raw(&mut t, "hll")[15], 0);
        assert_eq!(t.argv(1, &["PFADD", "hll", "1", "2", "3"]), ":1\r\n");
        assert_eq!(raw(&mut t, "hll")[15], 0x80);
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "hll"]), bulk("raw"));
        assert_eq!(t.argv(1, &["PFCOUNT", "nokey"]), ":0\r\n");
    }

    #[test]
    fn propagation_and_events() {
        let mut t = Kit::new();
        t.argv(1, &["PFADD", "h", "x"]);
        assert_eq!(t.feed(), vec!["PFADD h x"]);
        t.argv(1, &["PFADD", "h", "x"]);
        assert!(t.feed().is_empty());
        // Recomputing the cache is a change; a cached answer is not.
        t.argv(1, &["PFCOUNT", "h"]);
        assert_eq!(t.feed(), vec!["PFCOUNT h"]);
        t.argv(1, &["PFCOUNT", "h"]);
        assert!(t.feed().is_empty());
        t.argv(1, &["PFMERGE", "d", "h"]);
        assert_eq!(t.feed(), vec!["PFMERGE d h"]);
        t.argv(1, &["PFDEBUG", "ENCODING", "d"]);
        assert!(t.feed().is_empty());
        t.argv(1, &["PFDEBUG", "TODENSE", "d"]);
        assert_eq!(t.feed(), vec!["PFDEBUG TODENSE d"]);
    }

    #[test]
    fn errors() {
        let mut t = Kit::new();
        t.argv(1, &["SET", "s", "bar"]);
        t.argv(1, &["LPUSH", "l", "x"]);
        let not_hll = err(NOT_HLL);
        assert_eq!(t.argv(1, &["PFADD", "s", "1"]), not_hll);
        assert_eq!(t.argv(1, &["PFCOUNT", "s"]), not_hll);
        assert_eq!(t.argv(1, &["PFCOUNT", "h", "s"]), not_hll);
        assert_eq!(t.argv(1, &["PFMERGE", "h", "s"]), not_hll);
        assert_eq!(t.argv(1, &["PFMERGE", "s", "h"]), not_hll);
        assert_eq!(t.argv(1, &["PFADD", "l", "1"]), WRONGTYPE);
        assert_eq!(
            t.argv(1, &["PFDEBUG", "GETREG", "none"]),
            err("ERR The specified key does not exist")
        );
        t.argv(1, &["PFADD", "h", "a", "b", "c"]);
        assert_eq!(
            t.argv(1, &["PFDEBUG", "nope", "h"]),
            err("ERR Unknown PFDEBUG subcommand 'nope'")
        );
        t.argv(1, &["APPEND", "h", "hello"]);
        assert_eq!(t.argv(1, &["PFCOUNT", "h"]), err(INVALID_HLL));
        t.argv(1, &["DEL", "h"]);
        t.argv(1, &["PFADD", "h", "a", "b", "c"]);
        t.argv(1, &["SETRANGE", "h", "4", "\0"]);
        assert_eq!(t.argv(1, &["PFCOUNT", "h"]), not_hll);
    }

    #[test]
    fn debug_subcommands() {
        let mut t = Kit::new();
        t.argv(1, &["PFADD", "h", "a"]);
        assert_eq!(t.argv(1, &["PFDEBUG", "encoding", "h"]), "+sparse\r\n");
        let decoded = t.argv(1, &["PFDEBUG", "DECODE", "h"]);
        assert!(bulk_body(&decoded).starts_with("Z:"), "{decoded}");
        let regs = t.argv(1, &["PFDEBUG", "GETREG", "h"]);
        assert!(regs.starts_with("*16384\r\n"));
        assert_eq!(t.argv(1, &["PFDEBUG", "encoding", "h"]), "+dense\r\n");
        assert_eq!(raw(&mut t, "h").len(), hll::DENSE_SIZE);
        assert_eq!(t.argv(1, &["PFDEBUG", "TODENSE", "h"]), ":0\r\n");
        assert_eq!(
            t.argv(1, &["PFDEBUG", "DECODE", "h"]),
            err("ERR HLL encoding is not sparse")
        );
        assert_eq!(t.argv(1, &["PFCOUNT", "h"]), ":1\r\n");
    }

    #[test]
    fn merge_and_union() {
        let mut t = Kit::new();
        t.argv(1, &["PFADD", "a", "1", "2", "3"]);
        t.argv(1, &["PFADD", "b", "2", "3", "4"]);
        t.argv(1, &["PFADD", "c", "3", "4", "5"]);
        assert_eq!(t.argv(1, &["PFCOUNT", "a", "b", "c", "none"]), ":5\r\n");
        assert_eq!(t.argv(1, &["PFMERGE", "d", "a", "b", "c"]), OK);
        assert_eq!(t.argv(1, &["PFCOUNT", "d"]), ":5\r\n");
        assert_eq!(t.argv(1, &["PFMERGE", "e"]), OK);
        assert_eq!(t.argv(1, &["PFCOUNT", "e"]), ":0\r\n");
        t.argv(1, &["PFDEBUG", "TODENSE", "c"]);
        assert_eq!(t.argv(1, &["PFMERGE", "f", "a", "c"]), OK);
        assert_eq!(t.argv(1, &["PFDEBUG", "ENCODING", "f"]), "+dense\r\n");
        assert_eq!(t.argv(1, &["PFCOUNT", "f"]), ":5\r\n");
    }

    #[test]
    fn sparse_max_bytes_promotes() {
        let mut t = Kit::new();
        assert_eq!(
            t.argv(1, &["CONFIG", "SET", "hll-sparse-max-bytes", "30"]),
            OK
        );
        t.argv(1, &["PFADD", "h", "a", "b", "c", "d", "e", "f"]);
        assert_eq!(t.argv(1, &["PFDEBUG", "ENCODING", "h"]), "+dense\r\n");
        assert_eq!(t.argv(1, &["PFCOUNT", "h"]), ":6\r\n");
    }

    #[test]
    fn self_test_passes() {
        let mut state = 7u64;
        let rand = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        assert_eq!(self_test(rand, 3000, 100_000), Ok(()));
    }
}
