//! SORT and SORT_RO: the elements of a list, set or sorted set, ordered by
//! their own value or by weights looked up through a pattern (`BY`), with
//! values fetched through patterns (`GET`), a `LIMIT` window, and SORT's
//! `STORE` into a list.
//!
//! A pattern's first `*` is replaced by the element; `key->field` reads a
//! hash field instead of a string; `GET #` is the element itself; a `BY`
//! pattern without `*` (e.g. `nosort`) skips sorting.

use super::{arg_i64, def, eq_ignore_case, err, flags::*, CmdResult, CommandDef, Ctx, Error};
use crate::keyspace::{Object, QuickList, Value};
use crate::server::notify::class as N;
use bytes::Bytes;
use std::cmp::Ordering;

pub static COMMANDS: &[CommandDef] = &[
    def(
        "sort",
        -2,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        "generic",
        "1.0.0",
        "Sort the elements in a list, set or sorted set",
        sort,
    ),
    def(
        "sort_ro",
        -2,
        READONLY | MOVABLE_KEYS,
        (1, 1, 1),
        "generic",
        "7.0.0",
        "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        sort_ro,
    ),
];

fn sort(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// SORT's keys in `argv` (`sortGetKeys`): the sorted key, and the target of
/// the last STORE, skipping the arguments of LIMIT, GET and BY.
pub fn key_positions(argv: &[Bytes]) -> Vec<usize> {
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if eq_ignore_case(a, "limit") {
            i += 2;
        } else if eq_ignore_case(a, "get") || eq_ignore_case(a, "by") {
            i += 1;
        } else if eq_ignore_case(a, "store") && i + 1 < argv.len() {
            // The target itself is looked at next, as an option word.
            store = Some(i + 1);
        }
        i += 1;
    }
    std::iter::once(1).chain(store).collect()
}

/// The options after the key, as `sortCommandGeneric` parses them.
struct SortOpts {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<Bytes>,
    by: Option<Bytes>,
    /// A `BY` without `*` was given (it stays set even if a later BY has one).
    dontsort: bool,
    get: Vec<Bytes>,
}

/// `full_key_access`: the user may read any key (BY and GET patterns name
/// keys no ACL check saw).
fn parse_opts(args: &[Bytes], readonly: bool, full_key_access: bool) -> Result<SortOpts, Error> {
    let mut o = SortOpts {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        get: Vec::new(),
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if eq_ignore_case(a, "asc") {
            o.desc = false;
        } else if eq_ignore_case(a, "desc") {
            o.desc = true;
        } else if eq_ignore_case(a, "alpha") {
            o.alpha = true;
        } else if eq_ignore_case(a, "limit") && left >= 2 {
            o.limit_start = arg_i64(&args[j + 1])?;
            o.limit_count = arg_i64(&args[j + 2])?;
            j += 2;
        } else if !readonly && eq_ignore_case(a, "store") && left >= 1 {
            o.store = Some(args[j + 1].clone());
            j += 1;
        } else if eq_ignore_case(a, "by") && left >= 1 {
            let p = &args[j + 1];
            if !c_str(p).contains(&b'*') {
                o.dontsort = true;
            } else if !full_key_access {
                return Err(
                    "ERR BY option of SORT denied due to insufficient ACL permissions.".into(),
                );
            }
            o.by = Some(p.clone());
            j += 1;
        } else if eq_ignore_case(a, "get") && left >= 1 {
            if !full_key_access {
                return Err(
                    "ERR GET option of SORT denied due to insufficient ACL permissions.".into(),
                );
            }
            o.get.push(args[j + 1].clone());
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    Ok(o)
}

/// The bytes C's string functions see: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |i| &b[..i])
}

/// What the sorted key holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// One element being sorted: itself and its weight.
struct Item {
    elem: Bytes,
    score: f64,
    /// The `BY` value of an ALPHA sort (None: the weight key is missing).
    by_value: Option<Bytes>,
}

fn sort_generic(ctx: &mut Ctx, args: &[Bytes], readonly: bool) -> CmdResult {
    let full_key_access = ctx.client.kind == crate::server::ClientKind::Master
        || ctx.srv.acl.unrestricted_keys(
            &ctx.client.user,
            ctx.cmd,
            args,
            crate::acl::selector::READ,
        );
    let mut o = parse_opts(args, readonly, full_key_access)?;
    let (kind, elems) = match ctx.lookup(&args[1]) {
        None => (Kind::List, Vec::new()),
        Some(obj) => elements(obj)?,
    };
    // An unsorted set's order is arbitrary: what is stored (and replicated)
    // or given to a script is sorted alphabetically instead.
    let from_script = ctx.client.conn == crate::scripting::SCRIPT_CONN;
    if o.dontsort && kind == Kind::Set && (o.store.is_some() || from_script) {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let (start, end) = window(o.limit_start, o.limit_count, elems.len());
    let picked: Vec<Bytes> = if o.dontsort {
        // Native order (reversed by DESC for lists and sorted sets).
        let mut elems = elems;
        if o.desc && kind != Kind::Set {
            elems.reverse();
        }
        slice(elems, start, end)
    } else {
        let mut items: Vec<Item> = elems
            .into_iter()
            .map(|elem| Item {
                elem,
                score: 0.0,
                by_value: None,
            })
            .collect();
        let mut bad_double = false;
        for it in items.iter_mut() {
            let by_value = match &o.by {
                Some(p) => match lookup_pattern(ctx, p, &it.elem) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.elem.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    it.by_value = Some(by_value);
                }
            } else {
                match strtod_whole(&by_value) {
                    Some(v) => it.score = v,
                    None => bad_double = true,
                }
            }
        }
        if bad_double {
            return Err("ERR One or more scores can't be converted into double".into());
        }
        let binary = o.store.is_some();
        let by = o.by.is_some();
        items.sort_by(|a, b| {
            let ord = if !o.alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.elem.cmp(&b.elem))
            } else if by {
                match (&a.by_value, &b.by_value) {
                    (Some(x), Some(y)) => compare(x, y, binary),
                    (x, y) => x.is_some().cmp(&y.is_some()),
                }
            } else {
                compare(&a.elem, &b.elem, binary)
            };
            if o.desc {
                ord.reverse()
            } else {
                ord
            }
        });
        slice(items.into_iter().map(|i| i.elem).collect(), start, end)
    };
    match o.store.take() {
        None => reply(ctx, &o.get, &picked),
        Some(dst) => store(ctx, &o.get, &picked, dst),
    }
    Ok(())
}

/// The elements of a sortable value in its native order, or WRONGTYPE.
fn elements(obj: &Object) -> Result<(Kind, Vec<Bytes>), Error> {
    Ok(match &obj.value {
        Value::List(l) => (Kind::List, l.iter().map(Bytes::copy_from_slice).collect()),
        // An intset iterates in numeric order, a table in bucket order.
        Value::Set(s) => (Kind::Set, s.iter().collect()),
        Value::ZSet(z) => (
            Kind::ZSet,
            z.iter().map(|(m, _)| Bytes::copy_from_slice(m)).collect(),
        ),
        _ => return Err(super::wrongtype()),
    })
}

/// SORT's LIMIT window over `len` elements: inclusive `(start, end)`,
/// empty when `end < start`.
fn window(limit_start: i64, limit_count: i64, len: usize) -> (i64, i64) {
    let len = len as i64;
    let mut start = limit_start.max(0).min(len);
    let count = limit_count.max(-1).min(len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    (start, end.min(len - 1))
}

fn slice(v: Vec<Bytes>, start: i64, end: i64) -> Vec<Bytes> {
    if end < start {
        return Vec::new();
    }
    v.into_iter()
        .skip(start as usize)
        .take((end - start + 1) as usize)
        .collect()
}

/// Byte order for STORE (`compareStringObjects`); C-string order otherwise,
/// as `strcoll` in the C locale compares (up to the first NUL).
fn compare(a: &[u8], b: &[u8], binary: bool) -> Ordering {
    if binary {
        a.cmp(b)
    } else {
        c_str(a).cmp(c_str(b))
    }
}

/// `lookupKeyByPattern`: the value `pattern` names for `elem`, if any.
fn lookup_pattern(ctx: &mut Ctx, pattern: &[u8], elem: &Bytes) -> Option<Bytes> {
    if pattern.first() == Some(&b'#') && matches!(pattern.get(1), None | Some(0)) {
        return Some(elem.clone());
    }
    let visible = c_str(pattern);
    let star = visible.iter().position(|&c| c == b'*')?;
    // `key->field` reads a hash field; a trailing `->` is part of the key.
    let arrow = visible[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&i| i + 2 < visible.len());
    let (key_pat, field) = match arrow {
        Some(i) => (&pattern[..i], Some(&pattern[i + 2..])),
        None => (pattern, None),
    };
    let mut key = Vec::with_capacity(key_pat.len() + elem.len());
    key.extend_from_slice(&key_pat[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&key_pat[star + 1..]);
    let obj = ctx.lookup(&key)?;
    match (&obj.value, field) {
        (Value::Hash(h), Some(f)) => h.get(f).map(Bytes::copy_from_slice),
        (Value::Str(s), None) => Some(s.to_bytes()),
        _ => None,
    }
}

fn reply(ctx: &mut Ctx, get: &[Bytes], picked: &[Bytes]) {
    if get.is_empty() {
        let out = ctx.out();
        out.array(picked.len());
        for e in picked {
            out.bulk(e);
        }
        return;
    }
    let mut values = Vec::with_capacity(picked.len() * get.len());
    for e in picked {
        for p in get {
            values.push(lookup_pattern(ctx, p, e));
        }
    }
    let out = ctx.out();
    out.array(values.len());
    for v in values {
        match v {
            Some(v) => out.bulk(&v),
            None => out.null(),
        }
    }
}

/// STORE: the result replaces `dst` as a list (missing GET values stored
/// as empty strings); an empty result deletes `dst`.
fn store(ctx: &mut Ctx, get: &[Bytes], picked: &[Bytes], dst: Bytes) {
    let list: QuickList = if get.is_empty() {
        picked.iter().cloned().collect()
    } else {
        let mut l = QuickList::new();
        for e in picked {
            for p in get {
                l.push_back(&lookup_pattern(ctx, p, e).unwrap_or_default());
            }
        }
        l
    };
    let len = list.len();
    if len > 0 {
        ctx.db().set(dst.clone(), Object::new(Value::List(list)));
        ctx.touch(&dst);
        ctx.notify(N::LIST, "sortstore", &dst);
        ctx.dirty(len as u64);
    } else if ctx.db().delete(&dst) {
        ctx.touch(&dst);
        ctx.notify(N::GENERIC, "del", &dst);
        ctx.dirty(1);
    }
    ctx.out().int(len as i64);
}

/// A numeric weight as SORT reads it with C's `strtod`: the whole string
/// (up to a NUL) must parse, the empty string is 0, and NaN, overflow and
/// underflow (`ERANGE`) are refused.
fn strtod_whole(b: &[u8]) -> Option<f64> {
    let s = c_str(b);
    if s.is_empty() {
        return Some(0.0);
    }
    let t = match s.iter().position(|c| !b" \t\n\x0b\x0c\r".contains(c)) {
        Some(i) => &s[i..],
        None => return None,
    };
    let (neg, body) = match t[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let v = if lower == b"inf" || lower == b"infinity" {
        f64::INFINITY
    } else if lower.len() > 2 && lower.starts_with(b"0x") {
        hex_float(&lower[2..])?
    } else {
        decimal(body)?
    };
    Some(if neg { -v } else { v })
}

/// A decimal float, refusing what overflows or underflows.
fn decimal(body: &[u8]) -> Option<f64> {
    let shape_ok = body
        .first()
        .is_some_and(|c| c.is_ascii_digit() || *c == b'.')
        && body
            .iter()
            .all(|c| c.is_ascii_digit() || b".eE+-".contains(c));
    if !shape_ok {
        return None;
    }
    let v: f64 = std::str::from_utf8(body).ok()?.parse().ok()?;
    let mantissa = body.split(|&c| c == b'e' || c == b'E').next()?;
    let nonzero = mantissa.iter().any(|c| (b'1'..=b'9').contains(c));
    if v.is_infinite() || (nonzero && (v == 0.0 || v.is_subnormal())) {
        return None;
    }
    Some(v)
}

/// A hexadecimal float after `0x`: hex digits, an optional fraction and an
/// optional binary exponent `p[+-]N`.
fn hex_float(s: &[u8]) -> Option<f64> {
    let (mant, exp) = match s.iter().position(|&c| c == b'p') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mant.iter().position(|&c| c == b'.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, &[][..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let digit = |c: &u8| (*c as char).to_digit(16).map(f64::from);
    let mut v = 0.0;
    for c in int {
        v = v * 16.0 + digit(c)?;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac {
        v += digit(c)? * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let e: i32 = std::str::from_utf8(e).ok()?.parse().ok()?;
        v *= 2f64.powi(e);
    }
    if v.is_infinite() || (v != 0.0 && v.is_subnormal()) {
        return None;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::strtod_whole;
    use crate::commands::testkit::{Kit, WRONGTYPE};

    fn words(reply: &str) -> Vec<String> {
        let mut lines = reply.split("\r\n");
        let head = lines.next().unwrap();
        assert!(head.starts_with('*'), "{reply}");
        let mut out = Vec::new();
        while let Some(l) = lines.next() {
            if l == "$-1" {
                out.push("(nil)".to_string());
            } else if l.starts_with('$') {
                out.push(lines.next().unwrap().to_string());
            }
        }
        out
    }

    #[test]
    fn numeric_alpha_desc_limit() {
        let mut t = Kit::new();
        t.cmd(1, "RPUSH l 3 10 1 2 1.5");
        assert_eq!(words(&t.cmd(1, "SORT l")), ["1", "1.5", "2", "3", "10"]);
        assert_eq!(
            words(&t.cmd(1, "SORT l DESC")),
            ["10", "3", "2", "1.5", "1"]
        );
        assert_eq!(
            words(&t.cmd(1, "SORT l ALPHA")),
            ["1", "1.5", "10", "2", "3"]
        );
        assert_eq!(words(&t.cmd(1, "SORT l LIMIT 1 2")), ["1.5", "2"]);
        assert_eq!(words(&t.cmd(1, "SORT l LIMIT -10 2")), ["1", "1.5"]);
        assert_eq!(t.cmd(1, "SORT l LIMIT 5 1"), "*0\r\n");
        assert_eq!(t.cmd(1, "SORT nokey"), "*0\r\n");
        assert_eq!(
            t.cmd(1, "SORT l LIMIT x 1"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.cmd(1, "SORT l LIMIT 1"), "-ERR syntax error\r\n");
        assert_eq!(t.cmd(1, "SORT_RO l STORE x"), "-ERR syntax error\r\n");
        t.cmd(1, "RPUSH bad 1 x");
        assert_eq!(
            t.cmd(1, "SORT bad"),
            "-ERR One or more scores can't be converted into double\r\n"
        );
        t.cmd(1, "SET str x");
        assert_eq!(t.cmd(1, "SORT str"), WRONGTYPE);
    }

    #[test]
    fn by_and_get_patterns() {
        let mut t = Kit::new();
        t.cmd(1, "RPUSH l a b c");
        t.cmd(1, "MSET w_a 3 w_b 1 w_c 2 v_a A v_b B");
        t.cmd(1, "HSET h_a f 30");
        t.cmd(1, "HSET h_b f 10");
        t.cmd(1, "HSET h_c f 20");
        assert_eq!(words(&t.cmd(1, "SORT l BY w_*")), ["b", "c", "a"]);
        assert_eq!(words(&t.cmd(1, "SORT l BY h_*->f DESC")), ["a", "c", "b"]);
        assert_eq!(
            words(&t.cmd(1, "SORT l BY w_* GET # GET v_* GET h_*->f")),
            ["b", "B", "10", "c", "(nil)", "20", "a", "A", "30"]
        );
        // No '*': no sorting at all, the list's order (reversed by DESC).
        assert_eq!(words(&t.cmd(1, "SORT l BY nosort DESC")), ["c", "b", "a"]);
        assert_eq!(words(&t.cmd(1, "SORT l BY nosort GET fixed")), ["(nil)"; 3]);
        // Missing weights weigh 0; ties go by the element.
        assert_eq!(words(&t.cmd(1, "SORT l BY missing_*")), ["a", "b", "c"]);
        // ALPHA BY: missing weights first.
        t.cmd(1, "DEL w_c");
        assert_eq!(words(&t.cmd(1, "SORT l BY w_* ALPHA")), ["c", "b", "a"]);
        // A trailing '->' belongs to the key name.
        t.cmd(1, "SET x:a-> 100");
        assert_eq!(
            words(&t.cmd(1, "SORT l BY nosort GET x:*->")),
            ["100", "(nil)", "(nil)"]
        );
    }

    #[test]
    fn sets_and_sorted_sets() {
        let mut t = Kit::new();
        t.cmd(1, "ZADD z 1 a 5 b 2 c 10 d 3 e");
        assert_eq!(
            words(&t.cmd(1, "SORT z BY nosort")),
            ["a", "c", "e", "b", "d"]
        );
        assert_eq!(
            words(&t.cmd(1, "SORT z BY nosort DESC LIMIT 0 2")),
            ["d", "b"]
        );
        assert_eq!(
            words(&t.cmd(1, "SORT z ALPHA DESC")),
            ["e", "d", "c", "b", "a"]
        );
        t.cmd(1, "SADD s b a c");
        // BY a constant with STORE sorts a set alphabetically anyway.
        assert_eq!(t.cmd(1, "SORT s BY _ STORE dst"), ":3\r\n");
        assert_eq!(words(&t.cmd(1, "LRANGE dst 0 -1")), ["a", "b", "c"]);
    }

    #[test]
    fn store_events_and_propagation() {
        let mut t = Kit::new();
        t.cmd(1, "CONFIG SET notify-keyspace-events KEA");
        t.cmd(2, "PSUBSCRIBE __keyevent@0__:*");
        t.take(2);
        t.cmd(1, "RPUSH l 2 1");
        t.cmd(1, "SET dst x");
        t.cmd(1, "EXPIRE dst 100");
        t.feed();
        t.take(2);
        assert_eq!(t.cmd(1, "SORT l STORE dst"), ":2\r\n");
        assert_eq!(words(&t.cmd(1, "LRANGE dst 0 -1")), ["1", "2"]);
        assert_eq!(t.cmd(1, "TTL dst"), ":-1\r\n");
        assert!(t.take(2).contains("sortstore"));
        assert_eq!(t.feed(), ["SORT l STORE dst"]);
        assert_eq!(t.cmd(1, "SORT nokey STORE dst"), ":0\r\n");
        assert_eq!(t.cmd(1, "EXISTS dst"), ":0\r\n");
        assert!(t.take(2).contains(":del"));
        assert_eq!(t.feed(), ["SORT nokey STORE dst"]);
        // Nothing stored, nothing deleted: nothing to replicate.
        assert_eq!(t.cmd(1, "SORT nokey STORE dst"), ":0\r\n");
        assert!(t.feed().is_empty());
    }

    #[test]
    fn getkeys_finds_the_store_target() {
        let mut t = Kit::new();
        assert_eq!(
            words(&t.cmd(1, "COMMAND GETKEYS sort abc store def")),
            ["abc", "def"]
        );
        assert_eq!(
            words(&t.cmd(
                1,
                "COMMAND GETKEYS sort abc store invalid store stillbad store def"
            )),
            ["abc", "def"]
        );
        assert_eq!(
            words(&t.cmd(1, "COMMAND GETKEYS sort abc get store by x")),
            ["abc"]
        );
        assert_eq!(words(&t.cmd(1, "COMMAND GETKEYS sort_ro abc")), ["abc"]);
    }

    #[test]
    fn command_info_has_redis_key_specs() {
        let mut t = Kit::new();
        let info = t.cmd(1, "COMMAND INFO sort");
        assert!(info.contains("+movablekeys"), "{info}");
        assert!(info.contains("For the optional STORE keyword."), "{info}");
        assert_eq!(info.matches("$5\r\nflags").count(), 3, "{info}");
        let info = t.cmd(1, "COMMAND INFO restore");
        assert!(info.contains("+OW\r\n+update"), "{info}");
    }

    #[test]
    fn weights_parse_as_strtod() {
        assert_eq!(strtod_whole(b""), Some(0.0));
        assert_eq!(strtod_whole(b" 1.5"), Some(1.5));
        assert_eq!(strtod_whole(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod_whole(b"0x10"), Some(16.0));
        assert_eq!(strtod_whole(b"1e3"), Some(1000.0));
        assert_eq!(strtod_whole(b"7\0junk"), Some(7.0));
        for bad in ["nan", "1x", " ", "1e400", "1e-400", "0x", "+-1", "1 "] {
            assert_eq!(strtod_whole(bad.as_bytes()), None, "{bad}");
        }
    }
}
