//! What SCAN, SSCAN, HSCAN and ZSCAN share, after Redis 7.0's
//! `parseScanCursorOrReply` and `scanGenericCommand`: the cursor, the
//! `MATCH` / `COUNT` / `TYPE` options, the bounded walk over a dict and the
//! two-element reply.

use super::{arg_i64, eq_ignore_case, err, glob_match, Error};
use crate::keyspace::Dict;
use crate::resp::ReplyBuf;
use bytes::Bytes;

/// A cursor as C's `strtoul` reads it in base 10, with Redis's checks: empty
/// is 0, a leading `-` wraps around, anything else but digits is an error.
pub(crate) fn parse_cursor(b: &[u8]) -> Result<u64, Error> {
    let bad = || Error::from("ERR invalid cursor");
    if b.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as u64))
            .ok_or_else(bad)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// The options after the cursor.
pub(crate) struct ScanOpts {
    pub count: usize,
    /// None for no pattern or `*`.
    pub pattern: Option<Bytes>,
    /// SCAN's `TYPE`; the others take no such option.
    pub type_name: Option<Bytes>,
}

impl ScanOpts {
    /// Parse `[MATCH pattern] [COUNT count]`, and `[TYPE type]` when
    /// `allow_type` (SCAN over the keyspace).
    pub(crate) fn parse(args: &[Bytes], allow_type: bool) -> Result<ScanOpts, Error> {
        let mut opts = ScanOpts {
            count: 10,
            pattern: None,
            type_name: None,
        };
        for pair in args.chunks(2) {
            let [opt, val] = pair else {
                return Err(err::SYNTAX.into());
            };
            if eq_ignore_case(opt, "count") {
                let n = arg_i64(val)?;
                if n < 1 {
                    return Err(err::SYNTAX.into());
                }
                opts.count = n.min(i64::MAX / 16) as usize;
            } else if eq_ignore_case(opt, "match") {
                opts.pattern = (&val[..] != b"*").then(|| val.clone());
            } else if allow_type && eq_ignore_case(opt, "type") {
                opts.type_name = Some(val.clone());
            } else {
                return Err(err::SYNTAX.into());
            }
        }
        Ok(opts)
    }

    /// Whether `name` passes `MATCH`.
    pub(crate) fn matches(&self, name: &[u8]) -> bool {
        self.pattern
            .as_ref()
            .is_none_or(|p| glob_match(p, name, false))
    }
}

/// Walk a dict from `cursor` until `count` reply elements are gathered, the
/// walk is done, or `count * 10` more buckets were visited; each entry counts
/// as `per_entry` elements. Returns the next cursor.
pub(crate) fn walk<K: std::hash::Hash + Eq, V>(
    d: &Dict<K, V>,
    mut cursor: u64,
    count: usize,
    per_entry: usize,
    mut f: impl FnMut(&K, &V),
) -> u64 {
    let mut gathered = 0usize;
    let mut maxiter = count.saturating_mul(10);
    loop {
        cursor = d.scan_step(cursor, |k, v| {
            gathered += per_entry;
            f(k, v)
        });
        if cursor == 0 || maxiter == 0 || gathered >= count {
            break;
        }
        maxiter -= 1;
    }
    cursor
}

/// The reply: the next cursor and the elements.
pub(crate) fn reply(out: &mut ReplyBuf, cursor: u64, items: &[Bytes]) {
    out.array(2);
    out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    out.array(items.len());
    for i in items {
        out.bulk(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&'static str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::from_static(w.as_bytes()))
            .collect()
    }

    #[test]
    fn cursor_reads_as_strtoul() {
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+12"), Ok(12));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [&b"18446744073709551616"[..], b" 1", b"1 ", b"0x", b"-"] {
            assert_eq!(parse_cursor(bad), Err(Error::from("ERR invalid cursor")));
        }
    }

    #[test]
    fn options() {
        let o = ScanOpts::parse(&args(&["MATCH", "a*", "count", "3"]), false).unwrap();
        assert_eq!(
            (o.count, o.matches(b"ab"), o.matches(b"ba")),
            (3, true, false)
        );
        assert!(ScanOpts::parse(&args(&["MATCH", "*"]), false)
            .unwrap()
            .pattern
            .is_none());
        let syntax = Err(Error::from(err::SYNTAX));
        let parse = |w: &[&'static str], t| ScanOpts::parse(&args(w), t).map(|o| o.count);
        assert_eq!(parse(&["TYPE", "string"], false), syntax);
        assert_eq!(parse(&["TYPE", "string"], true), Ok(10));
        assert_eq!(parse(&["COUNT", "0"], false), syntax);
        assert_eq!(parse(&["COUNT"], false), syntax);
    }
}
