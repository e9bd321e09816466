//! Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS,
//! BITOP, BITFIELD and BITFIELD_RO.
//!
//! Bit 0 is the most significant bit of the first byte; a string reads as if
//! zero-padded on the right. Semantics, replies, errors, keyspace events and
//! dirty counts follow Redis 7.0's `bitops.c`: a write that changes nothing
//! (SETBIT to the bit's current value, BITFIELD with only GETs or only
//! failed overflows) is neither counted, notified nor propagated.

use super::strings::read_lookup;
use super::{arg_i64, def, eq_ignore_case, err, flags::*, CmdResult, CommandDef, Ctx, Error};
use crate::keyspace::{Object, Value};
use crate::server::config::Key;
use crate::server::notify::class as N;
use crate::server::ClientKind;
use bytes::Bytes;

const BIT_OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_ERR: &str = "ERR bit is not an integer or out of range";
const BITFIELD_TYPE_ERR: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

// ---------------------------------------------------------------------------
// Arguments and storage

/// A bit offset argument (`getBitOffsetFromArgument`). With `hash_bits`,
/// BITFIELD's `#<n>` form means `n` times the field width. Offsets whose
/// byte would reach `proto-max-bulk-len` are refused, except from our master.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, Error> {
    let (digits, times) = match hash_bits {
        Some(bits) if arg.first() == Some(&b'#') => (&arg[1..], Some(bits)),
        _ => (arg, None),
    };
    let mut offset = crate::resp::parse_i64(digits).ok_or(Error::from(BIT_OFFSET_ERR))?;
    if let Some(bits) = times {
        offset = offset.wrapping_mul(bits as i64);
    }
    let max = ctx.srv.config.get_i64(Key::PROTO_MAX_BULK_LEN);
    if offset < 0 || (ctx.client.kind != ClientKind::Master && (offset >> 3) >= max) {
        return Err(BIT_OFFSET_ERR.into());
    }
    Ok(offset as u64)
}

/// The string at `key` for reading, counting the keyspace hit or miss:
/// `Ok(None)` if missing, WRONGTYPE if not a string.
fn read_bits(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Error> {
    match read_lookup(ctx, key) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Str(s) => Ok(Some(s.to_bytes())),
            _ => Err(err::WRONGTYPE.into()),
        },
    }
}

/// `lookupStringForBitCommand`: run `edit` on the string at `key`, created
/// or zero-padded so that bit `maxbit` exists. `edit` is told whether the
/// string was created or grew (a change even if no bit flips). The string
/// ends up raw-encoded, as Redis unshares it for in-place writes.
fn edit_bits<R>(
    ctx: &mut Ctx,
    key: &Bytes,
    maxbit: u64,
    edit: impl FnOnce(&mut [u8], bool) -> R,
) -> Result<R, Error> {
    edit_bits_unless(ctx, key, maxbit, |_| None, edit)
}

/// [`edit_bits`], unless `unchanged`, shown a raw string already long
/// enough, answers for the write (which then changes nothing).
fn edit_bits_unless<R>(
    ctx: &mut Ctx,
    key: &Bytes,
    maxbit: u64,
    unchanged: impl FnOnce(&[u8]) -> Option<R>,
    edit: impl FnOnce(&mut [u8], bool) -> R,
) -> Result<R, Error> {
    let need = (maxbit >> 3) as usize + 1;
    if let Some(mut w) = ctx.lookup_write(key) {
        let o = w.get();
        let Value::Str(s) = &o.value else {
            return Err(err::WRONGTYPE.into());
        };
        if o.is_big() && s.len() >= need {
            if let Some(r) = unchanged(s) {
                return Ok(r);
            }
        }
        let obj = w.get_mut();
        let Value::Str(s) = &mut obj.value else {
            unreachable!("a string above");
        };
        // Edited in place (a long string's allocation is reused).
        let mut buf = std::mem::take(s).into_vec();
        let grown = buf.len() < need;
        if grown {
            buf.resize(need, 0);
        }
        let r = edit(&mut buf, grown);
        *s = buf.into();
        obj.set_big(true);
        return Ok(r);
    }
    let mut buf = vec![0u8; need];
    let r = edit(&mut buf, true);
    let mut obj = Object::new(Value::Str(buf.into()));
    obj.set_big(true);
    ctx.db().set(key.clone(), obj);
    Ok(r)
}

// ---------------------------------------------------------------------------
// Bit arithmetic

fn popcount(s: &[u8]) -> u64 {
    let mut words = s.chunks_exact(8);
    let mut n: u64 = words
        .by_ref()
        .map(|w| u64::from_ne_bytes(w.try_into().expect("8 bytes")).count_ones() as u64)
        .sum();
    n += words
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>();
    n
}

/// `redisBitpos`: the first `bit` in `s`. If there is none, a clear bit is
/// taken to follow the string (`len * 8`) and a set bit is -1.
fn first_bit(s: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0x00 } else { 0xff };
    match s.iter().position(|&b| b != skip) {
        Some(i) => {
            let b = if bit { s[i] } else { !s[i] };
            (i as i64) * 8 + b.leading_zeros() as i64
        }
        None if bit => -1,
        None => s.len() as i64 * 8,
    }
}

/// Bit `offset` of `s`, zero beyond its end.
fn bit_at(s: &[u8], offset: u64) -> u64 {
    s.get((offset >> 3) as usize)
        .map_or(0, |b| ((b >> (7 - (offset & 7))) & 1) as u64)
}

/// The `bits`-wide unsigned field at `offset`, most significant bit first.
fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    (0..bits as u64).fold(0, |v, j| (v << 1) | bit_at(s, offset + j))
}

/// The `bits`-wide two's complement field at `offset`.
fn get_signed(s: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(s, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Store the low `bits` of `value` at `offset` (inside `s`).
fn set_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..bits as u64 {
        let bit = (value >> (bits as u64 - 1 - j)) & 1;
        let pos = offset + j;
        let byte = &mut s[(pos >> 3) as usize];
        let shift = 7 - (pos & 7);
        *byte = (*byte & !(1 << shift)) | ((bit as u8) << shift);
    }
}

/// BITFIELD's OVERFLOW modes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// `value + incr` in a `bits`-wide unsigned field: `Ok(result)` if it fits,
/// else `Err(what the mode stores)`.
fn unsigned_add(value: u64, incr: i64, bits: u32, mode: Overflow) -> Result<u64, u64> {
    // Unsigned fields are at most 63 bits wide.
    let max = (1u64 << bits) - 1;
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrapped = || value.wrapping_add(incr as u64) & !(u64::MAX << bits);
    if value > max || (incr > 0 && incr > maxincr) {
        Err(if mode == Overflow::Sat {
            max
        } else {
            wrapped()
        })
    } else if incr < 0 && incr < minincr {
        Err(if mode == Overflow::Sat { 0 } else { wrapped() })
    } else {
        Ok(value.wrapping_add(incr as u64))
    }
}

/// `value + incr` in a `bits`-wide signed field, as [`unsigned_add`].
fn signed_add(value: i64, incr: i64, bits: u32, mode: Overflow) -> Result<i64, i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrapped = || {
        let c = value.wrapping_add(incr) as u64;
        if bits == 64 {
            c as i64
        } else if c & (1 << (bits - 1)) != 0 {
            (c | (u64::MAX << bits)) as i64
        } else {
            (c & !(u64::MAX << bits)) as i64
        }
    };
    let wide = bits == 64;
    if value > max || (!wide && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Err(if mode == Overflow::Sat {
            max
        } else {
            wrapped()
        })
    } else if value < min || (!wide && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)
    {
        Err(if mode == Overflow::Sat {
            min
        } else {
            wrapped()
        })
    } else {
        Ok(value.wrapping_add(incr))
    }
}

// ---------------------------------------------------------------------------
// SETBIT, GETBIT

fn setbit(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let offset = bit_offset(ctx, &args[2], None)?;
    let on = crate::resp::parse_i64(&args[3]).ok_or(Error::from(BIT_VALUE_ERR))?;
    if on & !1 != 0 {
        return Err(BIT_VALUE_ERR.into());
    }
    // A bit already at the value: nothing to write.
    let unchanged = |s: &[u8]| {
        let old = bit_at(s, offset);
        (old == on as u64).then_some((old, false))
    };
    let (old, changed) = edit_bits_unless(ctx, key, offset, unchanged, |s, grown| {
        let old = bit_at(s, offset);
        let changed = grown || old != on as u64;
        if changed {
            set_field(s, offset, 1, on as u64);
        }
        (old, changed)
    })?;
    if changed {
        ctx.notify(N::STRING, "setbit", key);
        ctx.dirty(1);
    }
    ctx.out().int(old as i64);
    Ok(())
}

fn getbit(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let offset = bit_offset(ctx, &args[2], None)?;
    let bit = read_bits(ctx, &args[1])?.map_or(0, |s| bit_at(&s, offset));
    ctx.out().int(bit as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// BITCOUNT, BITPOS

/// A BYTE or BIT range resolved against a string of `len` bytes, as both
/// commands resolve it: byte indexes `start..=end`, plus, for a BIT range,
/// masks of the bits outside the range in the first and last byte.
struct ByteRange {
    start: i64,
    end: i64,
    first_outside: u8,
    last_outside: u8,
}

fn resolve_range(len: i64, mut start: i64, mut end: i64, is_bit: bool) -> ByteRange {
    let total = if is_bit { len << 3 } else { len };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    let (mut first_outside, mut last_outside) = (0, 0);
    if is_bit && start <= end {
        first_outside = !(((1u32 << (8 - (start & 7))) - 1) as u8);
        last_outside = ((1u32 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    ByteRange {
        start,
        end,
        first_outside,
        last_outside,
    }
}

/// BIT or BYTE (any case), else a syntax error.
fn range_unit(arg: &[u8]) -> Result<bool, Error> {
    if eq_ignore_case(arg, "bit") {
        Ok(true)
    } else if eq_ignore_case(arg, "byte") {
        Ok(false)
    } else {
        Err(err::SYNTAX.into())
    }
}

fn bitcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let Some(s) = read_bits(ctx, &args[1])? else {
        ctx.out().int(0);
        return Ok(());
    };
    let len = s.len() as i64;
    let range = match args.len() {
        2 => ByteRange {
            start: 0,
            end: len - 1,
            first_outside: 0,
            last_outside: 0,
        },
        4 | 5 => {
            let start = arg_i64(&args[2])?;
            let end = arg_i64(&args[3])?;
            if start < 0 && end < 0 && start > end {
                ctx.out().int(0);
                return Ok(());
            }
            let is_bit = args.len() == 5 && range_unit(&args[4])?;
            resolve_range(len, start, end, is_bit)
        }
        _ => return Err(err::SYNTAX.into()),
    };
    let count = if range.start > range.end {
        0
    } else {
        let (a, b) = (range.start as usize, range.end as usize);
        popcount(&s[a..=b])
            - (s[a] & range.first_outside).count_ones() as u64
            - (s[b] & range.last_outside).count_ones() as u64
    };
    ctx.out().int(count as i64);
    Ok(())
}

fn bitpos(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let bit = arg_i64(&args[2])?;
    if bit != 0 && bit != 1 {
        return Err("ERR The bit argument must be 1 or 0.".into());
    }
    let bit = bit == 1;
    let Some(s) = read_bits(ctx, &args[1])? else {
        ctx.out().int(if bit { -1 } else { 0 });
        return Ok(());
    };
    let len = s.len() as i64;
    let mut end_given = false;
    let range = match args.len() {
        3 => ByteRange {
            start: 0,
            end: len - 1,
            first_outside: 0,
            last_outside: 0,
        },
        4..=6 => {
            let start = arg_i64(&args[3])?;
            let is_bit = args.len() == 6 && range_unit(&args[5])?;
            let end = if args.len() >= 5 {
                end_given = true;
                arg_i64(&args[4])?
            } else if is_bit {
                (len << 3) + 7
            } else {
                len - 1
            };
            resolve_range(len, start, end, is_bit)
        }
        _ => return Err(err::SYNTAX.into()),
    };
    if range.start > range.end {
        ctx.out().int(-1);
        return Ok(());
    }
    let pos = find_in_range(&s, &range, bit);
    // With an explicit end, the bits right of the range are not zero
    // padding: no clear bit inside it means none at all.
    let reply = match pos {
        Some(p) => p,
        None if end_given || bit => -1,
        None => (range.end + 1) * 8,
    };
    ctx.out().int(reply);
    Ok(())
}

/// The position of the first `bit` inside a resolved range, None if the
/// range has none. The bits of the edge bytes outside a BIT range read as
/// the opposite of the bit sought.
fn find_in_range(s: &[u8], r: &ByteRange, bit: bool) -> Option<i64> {
    let (a, b) = (r.start as usize, r.end as usize);
    let masked = |byte: u8, outside: u8| if bit { byte & !outside } else { byte | outside };
    let in_byte = |byte: u8, at: usize| {
        let p = first_bit(&[byte], bit);
        (0..8).contains(&p).then_some(at as i64 * 8 + p)
    };
    let first = masked(s[a], r.first_outside);
    if a == b {
        return in_byte(masked(first, r.last_outside), a);
    }
    if let Some(p) = in_byte(first, a) {
        return Some(p);
    }
    let middle = &s[a + 1..b];
    let p = first_bit(middle, bit);
    if (0..middle.len() as i64 * 8).contains(&p) {
        return Some((a as i64 + 1) * 8 + p);
    }
    in_byte(masked(s[b], r.last_outside), b)
}

// ---------------------------------------------------------------------------
// BITOP

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let op = if eq_ignore_case(&args[1], "and") {
        BitOp::And
    } else if eq_ignore_case(&args[1], "or") {
        BitOp::Or
    } else if eq_ignore_case(&args[1], "xor") {
        BitOp::Xor
    } else if eq_ignore_case(&args[1], "not") {
        BitOp::Not
    } else {
        return Err(err::SYNTAX.into());
    };
    if op == BitOp::Not && args.len() != 4 {
        return Err("ERR BITOP NOT must be called with a single source key.".into());
    }
    let dst = &args[2];
    let mut sources = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        sources.push(read_bits(ctx, key)?.unwrap_or_default());
    }
    let maxlen = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    if maxlen > 0 {
        let mut res = vec![0u8; maxlen];
        res[..sources[0].len()].copy_from_slice(&sources[0]);
        if op == BitOp::Not {
            res.iter_mut().for_each(|b| *b = !*b);
        }
        for src in &sources[1..] {
            let n = src.len();
            let (head, tail) = res.split_at_mut(n);
            match op {
                BitOp::And => {
                    head.iter_mut().zip(src.iter()).for_each(|(r, s)| *r &= s);
                    // A missing byte is zero.
                    tail.fill(0);
                }
                BitOp::Or => head.iter_mut().zip(src.iter()).for_each(|(r, s)| *r |= s),
                BitOp::Xor => head.iter_mut().zip(src.iter()).for_each(|(r, s)| *r ^= s),
                BitOp::Not => {}
            }
        }
        let mut obj = Object::new(Value::Str(res.into()));
        obj.set_big(true);
        ctx.db().set(dst.clone(), obj);
        ctx.notify(N::STRING, "set", dst);
        ctx.dirty(1);
    } else if ctx.db().delete(dst) {
        ctx.notify(N::GENERIC, "del", dst);
        ctx.dirty(1);
    }
    ctx.out().int(maxlen as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// BITFIELD, BITFIELD_RO

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set(i64),
    Incrby(i64),
}

/// One GET / SET / INCRBY of a BITFIELD, with the OVERFLOW mode in force.
struct FieldCmd {
    op: FieldOp,
    offset: u64,
    bits: u32,
    signed: bool,
    overflow: Overflow,
}

/// A field type: `i1`..`i64` or `u1`..`u63` (lower-case sign only).
fn field_type(arg: &[u8]) -> Result<(bool, u32), Error> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(BITFIELD_TYPE_ERR.into()),
    };
    let bits = crate::resp::parse_i64(&arg[1..]).ok_or(Error::from(BITFIELD_TYPE_ERR))?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(BITFIELD_TYPE_ERR.into());
    }
    Ok((signed, bits as u32))
}

fn parse_fields(ctx: &Ctx, args: &[Bytes]) -> Result<Vec<FieldCmd>, Error> {
    let mut cmds = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let sub = &args[j];
        let is = |name: &str, need: usize| eq_ignore_case(sub, name) && remaining >= need;
        let writes = if is("get", 2) {
            false
        } else if is("set", 3) || is("incrby", 3) {
            true
        } else if is("overflow", 1) {
            let mode = &args[j + 1];
            overflow = if eq_ignore_case(mode, "wrap") {
                Overflow::Wrap
            } else if eq_ignore_case(mode, "sat") {
                Overflow::Sat
            } else if eq_ignore_case(mode, "fail") {
                Overflow::Fail
            } else {
                return Err("ERR Invalid OVERFLOW type specified".into());
            };
            j += 2;
            continue;
        } else {
            return Err(err::SYNTAX.into());
        };
        let (signed, bits) = field_type(&args[j + 1])?;
        let offset = bit_offset(ctx, &args[j + 2], Some(bits))?;
        let op = if !writes {
            FieldOp::Get
        } else {
            let v = arg_i64(&args[j + 3])?;
            if eq_ignore_case(sub, "set") {
                FieldOp::Set(v)
            } else {
                FieldOp::Incrby(v)
            }
        };
        cmds.push(FieldCmd {
            op,
            offset,
            bits,
            signed,
            overflow,
        });
        j += if writes { 4 } else { 3 };
    }
    Ok(cmds)
}

/// A GET's reply.
fn read_field(s: &[u8], c: &FieldCmd) -> i64 {
    if c.signed {
        get_signed(s, c.offset, c.bits)
    } else {
        get_unsigned(s, c.offset, c.bits) as i64
    }
}

/// A SET or INCRBY on `s` (long enough): its reply (None when OVERFLOW FAIL
/// refused it) and whether the field changed.
fn write_field(s: &mut [u8], c: &FieldCmd) -> (Option<i64>, bool) {
    let (old, outcome, reply_old) = if c.signed {
        let old = get_signed(s, c.offset, c.bits);
        let (r, reply_old) = match c.op {
            FieldOp::Incrby(n) => (signed_add(old, n, c.bits, c.overflow), false),
            FieldOp::Set(v) => (signed_add(v, 0, c.bits, c.overflow), true),
            FieldOp::Get => unreachable!("GET is not a write"),
        };
        (
            old as u64,
            r.map(|v| v as u64).map_err(|v| v as u64),
            reply_old,
        )
    } else {
        let old = get_unsigned(s, c.offset, c.bits);
        let (r, reply_old) = match c.op {
            FieldOp::Incrby(n) => (unsigned_add(old, n, c.bits, c.overflow), false),
            FieldOp::Set(v) => (unsigned_add(v as u64, 0, c.bits, c.overflow), true),
            FieldOp::Get => unreachable!("GET is not a write"),
        };
        (old, r, reply_old)
    };
    let new = match outcome {
        Ok(v) => v,
        Err(_) if c.overflow == Overflow::Fail => return (None, false),
        Err(limit) => limit,
    };
    set_field(s, c.offset, c.bits, new);
    // Signed values travel sign-extended, unsigned ones are below 2^63:
    // either way the reply is the same 64 bits read as signed.
    let reply = if reply_old { old } else { new };
    (Some(reply as i64), old != new)
}

fn bitfield_generic(ctx: &mut Ctx, args: &[Bytes], read_only: bool) -> CmdResult {
    let key = &args[1];
    let cmds = parse_fields(ctx, args)?;
    let writes = cmds.iter().any(|c| c.op != FieldOp::Get);
    if !writes {
        let s = read_bits(ctx, key)?.unwrap_or_default();
        let out = ctx.out();
        out.array(cmds.len());
        for c in &cmds {
            out.int(read_field(&s, c));
        }
        return Ok(());
    }
    if read_only {
        return Err("ERR BITFIELD_RO only supports the GET subcommand".into());
    }
    let highest = cmds
        .iter()
        .filter(|c| c.op != FieldOp::Get)
        .map(|c| c.offset + c.bits as u64 - 1)
        .max()
        .unwrap_or(0);
    let (replies, changes) = edit_bits(ctx, key, highest, |s, grown| {
        let mut changes = 0u64;
        let replies: Vec<Option<i64>> = cmds
            .iter()
            .map(|c| {
                if c.op == FieldOp::Get {
                    return Some(read_field(s, c));
                }
                let (reply, changed) = write_field(s, c);
                if reply.is_some() && (grown || changed) {
                    changes += 1;
                }
                reply
            })
            .collect();
        (replies, changes)
    })?;
    let out = ctx.out();
    out.array(replies.len());
    for r in replies {
        match r {
            Some(v) => out.int(v),
            None => out.null(),
        }
    }
    if changes > 0 {
        ctx.notify(N::STRING, "setbit", key);
        ctx.dirty(changes);
    }
    Ok(())
}

fn bitfield(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    bitfield_generic(ctx, args, true)
}

pub static COMMANDS: &[CommandDef] = &[
    def(
        "setbit",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "bitmap",
        "2.2.0",
        "Sets or clears the bit at offset in the string value stored at key",
        setbit,
    ),
    def(
        "getbit",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "bitmap",
        "2.2.0",
        "Returns the bit value at offset in the string value stored at key",
        getbit,
    ),
    def(
        "bitcount",
        -2,
        READONLY,
        (1, 1, 1),
        "bitmap",
        "2.6.0",
        "Count set bits in a string",
        bitcount,
    ),
    def(
        "bitpos",
        -3,
        READONLY,
        (1, 1, 1),
        "bitmap",
        "2.8.7",
        "Find first bit set or clear in a string",
        bitpos,
    ),
    def(
        "bitop",
        -4,
        WRITE | DENYOOM,
        (2, -1, 1),
        "bitmap",
        "2.6.0",
        "Perform bitwise operations between strings",
        bitop,
    ),
    def(
        "bitfield",
        -2,
        WRITE | DENYOOM,
        (1, 1, 1),
        "bitmap",
        "3.2.0",
        "Perform arbitrary bitfield integer operations on strings",
        bitfield,
    ),
    def(
        "bitfield_ro",
        -2,
        READONLY | FAST,
        (1, 1, 1),
        "bitmap",
        "6.0.0",
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        bitfield_ro,
    ),
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{bulk, err, Kit, NULL, OK, WRONGTYPE};

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    #[test]
    fn setbit_getbit() {
        let mut t = Kit::new();
        assert_eq!(t.argv(1, &["SETBIT", "k", "1", "1"]), int(0));
        assert_eq!(t.argv(1, &["GET", "k"]), bulk("\x40"));
        assert_eq!(t.argv(1, &["SETBIT", "k", "1", "1"]), int(1));
        assert_eq!(t.argv(1, &["SETBIT", "k", "7", "1"]), int(0));
        assert_eq!(t.argv(1, &["GET", "k"]), bulk("A"));
        assert_eq!(t.argv(1, &["GETBIT", "k", "7"]), int(1));
        assert_eq!(t.argv(1, &["GETBIT", "k", "100"]), int(0));
        assert_eq!(t.argv(1, &["GETBIT", "nokey", "0"]), int(0));
        assert_eq!(t.argv(1, &["SETBIT", "k", "15", "1"]), int(0));
        assert_eq!(t.argv(1, &["STRLEN", "k"]), int(2));
        assert_eq!(t.encoding("k"), "raw");
        let off = err("ERR bit offset is not an integer or out of range");
        assert_eq!(t.argv(1, &["SETBIT", "k", "-1", "1"]), off);
        assert_eq!(t.argv(1, &["SETBIT", "k", "4294967296", "1"]), off);
        assert_eq!(t.argv(1, &["GETBIT", "k", "x"]), off);
        assert_eq!(t.argv(1, &["SETBIT", "k", "#1", "1"]), off);
        let bit = err("ERR bit is not an integer or out of range");
        assert_eq!(t.argv(1, &["SETBIT", "k", "0", "2"]), bit);
        assert_eq!(t.argv(1, &["SETBIT", "k", "0", "-1"]), bit);
        assert_eq!(t.argv(1, &["SETBIT", "k", "0", "x"]), bit);
        t.argv(1, &["LPUSH", "l", "a"]);
        assert_eq!(t.argv(1, &["SETBIT", "l", "0", "1"]), WRONGTYPE);
        assert_eq!(t.argv(1, &["GETBIT", "l", "0"]), WRONGTYPE);
        // The limit is proto-max-bulk-len.
        assert_eq!(
            t.argv(1, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
            OK
        );
        assert_eq!(t.argv(1, &["SETBIT", "big", "8388608", "1"]), off);
        assert_eq!(t.argv(1, &["SETBIT", "big", "8388607", "1"]), int(0));
    }

    #[test]
    fn setbit_propagates_only_changes() {
        let mut t = Kit::new();
        t.argv(1, &["SETBIT", "k", "3", "1"]);
        t.argv(1, &["SETBIT", "k", "3", "1"]);
        t.argv(1, &["SETBIT", "k", "2", "0"]);
        t.argv(1, &["SETBIT", "k", "20", "0"]);
        assert_eq!(t.feed(), vec!["SETBIT k 3 1", "SETBIT k 20 0"]);
    }

    #[test]
    fn bitcount_ranges() {
        let mut t = Kit::new();
        t.put_str(0, "k", "foobar");
        assert_eq!(t.argv(1, &["BITCOUNT", "k"]), int(26));
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "0", "0"]), int(4));
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "1", "1"]), int(6));
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "1", "1", "BYTE"]), int(6));
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "5", "30", "bit"]), int(17));
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "-2", "-1"]), int(7));
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "-1", "-2"]), int(0));
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "-1", "-2", "FOO"]), int(0));
        assert_eq!(
            t.argv(1, &["BITCOUNT", "k", "0", "1", "FOO"]),
            err("ERR syntax error")
        );
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "0"]), err("ERR syntax error"));
        assert_eq!(t.argv(1, &["BITCOUNT", "nokey", "0"]), int(0));
        assert_eq!(
            t.argv(1, &["BITCOUNT", "k", "a", "1"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(t.argv(1, &["BITCOUNT", "k", "10", "20"]), int(0));
    }

    #[test]
    fn bitpos_ranges() {
        let mut t = Kit::new();
        t.put_str(0, "k", "\u{0}\u{ff}\u{f0}");
        t.srv.st.dbs[0].set(
            bytes::Bytes::from_static(b"k"),
            crate::keyspace::Object::new(crate::keyspace::Value::Str(
                bytes::Bytes::from_static(b"\xff\xf0\x00").into(),
            )),
        );
        assert_eq!(t.argv(1, &["BITPOS", "k", "0"]), int(12));
        assert_eq!(t.argv(1, &["BITPOS", "k", "1", "2"]), int(-1));
        assert_eq!(t.argv(1, &["BITPOS", "k", "1", "2", "-1", "BYTE"]), int(-1));
        assert_eq!(t.argv(1, &["BITPOS", "k", "1", "7", "15", "BIT"]), int(7));
        assert_eq!(t.argv(1, &["BITPOS", "k", "1", "7", "15", "bit"]), int(7));
        assert_eq!(t.argv(1, &["BITPOS", "k", "0", "0", "5", "BIT"]), int(-1));
        assert_eq!(t.argv(1, &["BITPOS", "k", "0", "3", "-1", "BIT"]), int(12));
        assert_eq!(
            t.argv(1, &["BITPOS", "k", "0", "3", "BIT"]),
            err("ERR value is not an integer or out of range")
        );
        t.srv.st.dbs[0].set(
            bytes::Bytes::from_static(b"ones"),
            crate::keyspace::Object::new(crate::keyspace::Value::Str(
                bytes::Bytes::from_static(b"\xff\xff\xff").into(),
            )),
        );
        assert_eq!(t.argv(1, &["BITPOS", "ones", "0"]), int(24));
        assert_eq!(t.argv(1, &["BITPOS", "ones", "0", "0"]), int(24));
        assert_eq!(t.argv(1, &["BITPOS", "ones", "0", "0", "-1"]), int(-1));
        assert_eq!(
            t.argv(1, &["BITPOS", "ones", "0", "3", "-1", "BIT"]),
            int(-1)
        );
        assert_eq!(
            t.argv(1, &["BITPOS", "ones", "0", "3", "9", "BIT"]),
            int(-1)
        );
        assert_eq!(t.argv(1, &["BITPOS", "nokey", "1"]), int(-1));
        assert_eq!(t.argv(1, &["BITPOS", "nokey", "0"]), int(0));
        assert_eq!(
            t.argv(1, &["BITPOS", "k", "2"]),
            err("ERR The bit argument must be 1 or 0.")
        );
        assert_eq!(
            t.argv(1, &["BITPOS", "k", "1", "0", "1", "x"]),
            err("ERR syntax error")
        );
        assert_eq!(
            t.argv(1, &["BITPOS", "k", "1", "0", "1", "BIT", "x"]),
            err("ERR syntax error")
        );
    }

    #[test]
    fn bitop() {
        let mut t = Kit::new();
        t.put_str(0, "a", "abc");
        t.put_str(0, "b", "\u{1}");
        assert_eq!(t.argv(1, &["BITOP", "AND", "d", "a", "b"]), int(3));
        assert_eq!(t.argv(1, &["GET", "d"]), bulk("\u{1}\0\0"));
        assert_eq!(t.argv(1, &["BITOP", "or", "d", "a", "b", "nokey"]), int(3));
        assert_eq!(t.argv(1, &["GET", "d"]), bulk("abc"));
        assert_eq!(t.argv(1, &["BITOP", "XOR", "d", "a", "a"]), int(3));
        assert_eq!(t.argv(1, &["GET", "d"]), bulk("\0\0\0"));
        assert_eq!(t.argv(1, &["BITOP", "NOT", "d", "b"]), int(1));
        assert_eq!(t.argv(1, &["BITCOUNT", "d"]), int(7));
        assert_eq!(t.argv(1, &["GETBIT", "d", "7"]), int(0));
        assert_eq!(
            t.argv(1, &["BITOP", "NOT", "d", "a", "b"]),
            err("ERR BITOP NOT must be called with a single source key.")
        );
        assert_eq!(
            t.argv(1, &["BITOP", "NAND", "d", "a"]),
            err("ERR syntax error")
        );
        t.argv(1, &["LPUSH", "l", "x"]);
        assert_eq!(t.argv(1, &["BITOP", "AND", "d", "a", "l"]), WRONGTYPE);
        // An empty result deletes the destination, with its TTL.
        t.argv(1, &["EXPIRE", "d", "100"]);
        assert_eq!(t.argv(1, &["BITOP", "AND", "d", "x", "y"]), int(0));
        assert_eq!(t.argv(1, &["EXISTS", "d"]), int(0));
        t.feed();
        assert_eq!(t.argv(1, &["BITOP", "AND", "d", "x", "y"]), int(0));
        assert_eq!(t.feed(), Vec::<String>::new());
    }

    #[test]
    fn bitfield_get_set_incrby() {
        let mut t = Kit::new();
        let arr = |v: &[Option<i64>]| {
            let mut s = format!("*{}\r\n", v.len());
            for x in v {
                match x {
                    Some(n) => s += &int(*n),
                    None => s += NULL,
                }
            }
            s
        };
        assert_eq!(
            t.argv(
                1,
                &["BITFIELD", "k", "SET", "i8", "0", "100", "GET", "u4", "0"]
            ),
            arr(&[Some(0), Some(6)])
        );
        assert_eq!(
            t.argv(
                1,
                &["BITFIELD", "k", "INCRBY", "i8", "0", "100", "GET", "i8", "0"]
            ),
            arr(&[Some(-56), Some(-56)])
        );
        assert_eq!(
            t.argv(
                1,
                &["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-100"]
            ),
            arr(&[Some(-128)])
        );
        assert_eq!(
            t.argv(
                1,
                &["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1"]
            ),
            arr(&[None])
        );
        assert_eq!(
            t.argv(
                1,
                &["BITFIELD", "k", "SET", "u8", "#1", "255", "GET", "u16", "0"]
            ),
            arr(&[Some(0), Some(0x80ff)])
        );
        assert_eq!(
            t.argv(
                1,
                &["BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u8", "8", "1"]
            ),
            arr(&[Some(0)])
        );
        assert_eq!(
            t.argv(
                1,
                &["BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "8", "-1"]
            ),
            arr(&[Some(0),])
        );
        assert_eq!(
            t.argv(1, &["BITFIELD", "k", "GET", "u8", "8"]),
            arr(&[Some(255)])
        );
        assert_eq!(
            t.argv(
                1,
                &[
                    "BITFIELD",
                    "k",
                    "SET",
                    "i64",
                    "0",
                    "-9223372036854775808",
                    "INCRBY",
                    "i64",
                    "0",
                    "-1"
                ]
            ),
            arr(&[
                Some(i64::from_be_bytes(*b"\x80\xff\0\0\0\0\0\0")),
                Some(i64::MAX)
            ])
        );
        assert_eq!(
            t.argv(1, &["BITFIELD", "k", "GET", "u63", "0"]),
            arr(&[Some(i64::MAX >> 1)])
        );
        assert_eq!(t.argv(1, &["BITFIELD", "k"]), "*0\r\n");
        let ty = err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
        for bad in ["u64", "i65", "i0", "I8", "x8", "", "u"] {
            assert_eq!(t.argv(1, &["BITFIELD", "k", "GET", bad, "0"]), ty);
        }
        assert_eq!(
            t.argv(1, &["BITFIELD", "k", "GET", "u8", "#"]),
            err("ERR bit offset is not an integer or out of range")
        );
        assert_eq!(
            t.argv(1, &["BITFIELD", "k", "OVERFLOW", "FOO"]),
            err("ERR Invalid OVERFLOW type specified")
        );
        assert_eq!(
            t.argv(1, &["BITFIELD", "k", "GET", "u8"]),
            err("ERR syntax error")
        );
        assert_eq!(
            t.argv(1, &["BITFIELD", "k", "SET", "u8", "0", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.argv(1, &["BITFIELD_RO", "k", "GET", "u8", "0"]),
            arr(&[Some(127)])
        );
        assert_eq!(
            t.argv(1, &["BITFIELD_RO", "k", "SET", "u8", "0", "1"]),
            err("ERR BITFIELD_RO only supports the GET subcommand")
        );
        assert_eq!(
            t.argv(1, &["BITFIELD", "nokey", "GET", "u8", "0"]),
            arr(&[Some(0)])
        );
        assert_eq!(t.argv(1, &["EXISTS", "nokey"]), int(0));
    }

    #[test]
    fn bitfield_propagation_and_events() {
        let mut t = Kit::new();
        t.argv(1, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        t.argv(2, &["PSUBSCRIBE", "__keyevent@0__:*"]);
        t.take(2);
        t.argv(1, &["BITFIELD", "k", "GET", "u8", "0"]);
        t.argv(1, &["BITFIELD", "k", "SET", "u8", "0", "1"]);
        t.argv(1, &["BITFIELD", "k", "SET", "u8", "0", "1"]);
        t.argv(1, &["BITOP", "NOT", "d", "k"]);
        t.argv(1, &["BITOP", "AND", "d", "nokey"]);
        t.argv(1, &["SETBIT", "k", "0", "1"]);
        assert_eq!(
            t.feed(),
            vec![
                "BITFIELD k SET u8 0 1",
                "BITOP NOT d k",
                "BITOP AND d nokey",
                "SETBIT k 0 1"
            ]
        );
        let events = t.take(2);
        let names: Vec<&str> = events
            .split("\r\n")
            .filter_map(|l| l.strip_prefix("__keyevent@0__:"))
            .filter(|l| *l != "*")
            .collect();
        assert_eq!(names, vec!["setbit", "set", "del", "setbit"]);
        // OVERFLOW FAIL on a missing key creates it, unannounced and unpropagated.
        t.argv(
            1,
            &[
                "BITFIELD", "n", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9",
            ],
        );
        assert_eq!(t.argv(1, &["EXISTS", "n"]), int(1));
        assert!(t.feed().is_empty());
    }

    #[test]
    fn overflow_arithmetic() {
        use super::{signed_add, unsigned_add, Overflow::*};
        assert_eq!(unsigned_add(250, 10, 8, Wrap), Err(4));
        assert_eq!(unsigned_add(250, 10, 8, Sat), Err(255));
        assert_eq!(unsigned_add(5, -10, 8, Sat), Err(0));
        assert_eq!(unsigned_add(5, -10, 8, Wrap), Err(251));
        assert_eq!(unsigned_add(5, -5, 8, Wrap), Ok(0));
        assert_eq!(signed_add(120, 10, 8, Wrap), Err(-126));
        assert_eq!(signed_add(-120, -10, 8, Sat), Err(-128));
        assert_eq!(signed_add(i64::MAX, 1, 64, Wrap), Err(i64::MIN));
        assert_eq!(signed_add(i64::MIN, -1, 64, Sat), Err(i64::MIN));
        assert_eq!(signed_add(-1, i64::MIN, 64, Sat), Err(i64::MIN));
        assert_eq!(signed_add(0, i64::MIN, 64, Sat), Ok(i64::MIN));
        assert_eq!(signed_add(300, 0, 8, Wrap), Err(44));
    }
}
