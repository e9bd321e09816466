//! Redis's HyperLogLog representation, byte for byte: the string a PFADD
//! leaves is the one 7.0 leaves, so it DUMPs, RESTOREs and counts the same
//! in either server.
//!
//! Layout: a 16-byte header (`HYLL`, the encoding byte, 3 reserved bytes, the
//! cached cardinality as 8 little-endian bytes whose top bit marks it stale)
//! followed by 16384 registers, either dense (6 bits each, packed from the
//! least significant bit) or sparse (run-length opcodes: ZERO `00xxxxxx` for
//! 1..64 zero registers, XZERO `01xxxxxx xxxxxxxx` for 1..16384, VAL
//! `1vvvvvxx` for 1..4 registers holding 1..32).

/// Bits of the hash that pick a register.
const P: u32 = 14;
/// Bits left for the run of zeroes.
const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const REGISTER_MAX: u8 = 63;
pub const HDR_SIZE: usize = 16;
pub const DENSE_SIZE: usize = HDR_SIZE + REGISTERS * 6 / 8;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// The byte of the header holding the cache's validity bit.
const CARD_TOP: usize = 15;

const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;

/// 0.5 / ln(2), the estimator's alpha for an infinite number of registers.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
/// The seed Redis hashes elements with.
const HASH_SEED: u32 = 0xadc8_3b19;

/// The sparse opcodes do not add up to 16384 registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

/// What `isHLLObjectOrReply` accepts: the magic, a known encoding, and for a
/// dense one the exact length. The sparse opcodes are checked when used.
pub fn encoding_of(s: &[u8]) -> Option<Encoding> {
    if s.len() < HDR_SIZE || &s[..4] != b"HYLL" {
        return None;
    }
    match s[4] {
        DENSE if s.len() == DENSE_SIZE => Some(Encoding::Dense),
        SPARSE => Some(Encoding::Sparse),
        _ => None,
    }
}

/// A fresh HLL: sparse, one XZERO covering every register, cache valid at 0.
pub fn new_sparse() -> Vec<u8> {
    let mut s = Vec::with_capacity(HDR_SIZE + 2 * REGISTERS.div_ceil(SPARSE_XZERO_MAX_LEN));
    s.extend_from_slice(b"HYLL");
    s.push(SPARSE);
    s.resize(HDR_SIZE, 0);
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(SPARSE_XZERO_MAX_LEN);
        s.extend_from_slice(&xzero(run));
        left -= run;
    }
    s
}

/// MurmurHash2, 64-bit version, reading 8-byte blocks little-endian as Redis
/// does on every architecture.
pub fn murmur64a(data: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = u64::from(seed) ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element falls in and the length of its `000..1` run
/// (1..=Q+1), Redis's `hllPatLen`.
pub fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, HASH_SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---------------------------------------------------------------------------
// Dense registers

/// Register `i` of packed 6-bit registers. The last register's second byte
/// is past the end (Redis reads the string's terminating zero there).
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = u16::from(regs[byte]);
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) as u8) & REGISTER_MAX
}

pub fn dense_set(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = u16::from(val);
    regs[byte] &= !((u16::from(REGISTER_MAX) << fb) as u8);
    regs[byte] |= (v << fb) as u8;
    if let Some(b1) = regs.get_mut(byte + 1) {
        *b1 &= !(u16::from(REGISTER_MAX) >> (8 - fb)) as u8;
        *b1 |= (v >> (8 - fb)) as u8;
    }
}

/// Raise register `i` to `count` if it is lower; true if it changed.
fn dense_raise(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set(regs, i, count);
        true
    } else {
        false
    }
}

// ---------------------------------------------------------------------------
// Sparse opcodes

/// One decoded sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `len` zero registers (ZERO or XZERO).
    Zeros { len: usize, xzero: bool },
    /// `len` registers holding `value`.
    Val { value: u8, len: usize },
}

impl Op {
    /// The opcode at `s[p]`; an XZERO cut short by the end reads a zero
    /// second byte, as Redis reads the string's terminator.
    fn at(s: &[u8], p: usize) -> Op {
        let b = s[p];
        if b & 0xc0 == 0 {
            Op::Zeros {
                len: usize::from(b & 0x3f) + 1,
                xzero: false,
            }
        } else if b & 0x80 == 0 {
            let low = usize::from(s.get(p + 1).copied().unwrap_or(0));
            Op::Zeros {
                len: ((usize::from(b & 0x3f) << 8) | low) + 1,
                xzero: true,
            }
        } else {
            Op::Val {
                value: ((b >> 2) & 0x1f) + 1,
                len: usize::from(b & 0x3) + 1,
            }
        }
    }

    fn size(self) -> usize {
        match self {
            Op::Zeros { xzero: true, .. } => 2,
            _ => 1,
        }
    }

    fn span(self) -> usize {
        match self {
            Op::Zeros { len, .. } | Op::Val { len, .. } => len,
        }
    }
}

fn val(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn xzero(len: usize) -> [u8; 2] {
    let l = len - 1;
    [0x40 | (l >> 8) as u8, (l & 0xff) as u8]
}

/// The opcodes replacing a split run (at most five bytes), on the stack.
#[derive(Default)]
struct Seq {
    bytes: [u8; 5],
    len: usize,
}

impl Seq {
    fn push(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }

    /// The shortest zero-run opcode for `len` registers.
    fn zeros(&mut self, len: usize) {
        if len > SPARSE_ZERO_MAX_LEN {
            let [a, b] = xzero(len);
            self.push(a);
            self.push(b);
        } else {
            self.push(len as u8 - 1);
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Walk the sparse opcodes calling `f(first_register, value, len)` for
/// each run of non-zero registers; `Corrupt` unless they cover exactly the
/// 16384 registers, an opcode reaching past the last one included (the
/// check Redis's CVE-2025-32023 fix added, which Debian's 7.0.15 carries).
fn sparse_runs(s: &[u8], mut f: impl FnMut(usize, u8, usize)) -> Result<(), Corrupt> {
    let mut idx = 0;
    let mut p = HDR_SIZE;
    while p < s.len() {
        let op = Op::at(s, p);
        if idx + op.span() > REGISTERS {
            return Err(Corrupt);
        }
        if let Op::Val { value, len } = op {
            f(idx, value, len);
        }
        idx += op.span();
        p += op.size();
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

// ---------------------------------------------------------------------------
// The HLL string

/// Convert a sparse HLL to dense in place (the header, cached cardinality
/// included, is kept). True if it was sparse.
pub fn to_dense(s: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if s[4] == DENSE {
        return Ok(false);
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&s[..HDR_SIZE]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR_SIZE..];
    sparse_runs(s, |first, value, len| {
        for i in first..first + len {
            dense_set(regs, i, value);
        }
    })?;
    *s = dense;
    Ok(true)
}

/// Whether the registers of a dense HLL already count `ele` (adding it
/// would change nothing).
pub fn dense_counts(s: &[u8], ele: &[u8]) -> bool {
    let (index, count) = pattern(ele);
    dense_get(&s[HDR_SIZE..], index) >= count
}

/// Add an element; true if a register grew (the estimate may change).
pub fn add(s: &mut Vec<u8>, ele: &[u8], sparse_max_bytes: u64) -> Result<bool, Corrupt> {
    let (index, count) = pattern(ele);
    set(s, index, count, sparse_max_bytes)
}

/// Raise register `index` to `count`, promoting a sparse HLL to dense when
/// the value does not fit a VAL opcode or the string would grow past
/// `sparse_max_bytes`.
/// The opcode covering register `index`: its position, the first register
/// it covers, and the position of the opcode before it. The walk every
/// sparse PFADD makes over up to `hll-sparse-max-bytes` opcodes, decoded
/// here byte by byte rather than through [`Op`].
fn sparse_find(s: &[u8], index: usize) -> Option<(usize, usize, Option<usize>)> {
    let mut p = HDR_SIZE;
    let mut first = 0;
    let mut prev = None;
    while p < s.len() {
        let b = s[p];
        let (span, size) = if b & 0x80 != 0 {
            (usize::from(b & 0x3) + 1, 1)
        } else if b & 0x40 == 0 {
            (usize::from(b & 0x3f) + 1, 1)
        } else {
            let low = usize::from(s.get(p + 1).copied().unwrap_or(0));
            (((usize::from(b & 0x3f) << 8) | low) + 1, 2)
        };
        if index < first + span {
            return Some((p, first, prev));
        }
        prev = Some(p);
        p += size;
        first += span;
    }
    None
}

pub fn set(
    s: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max_bytes: u64,
) -> Result<bool, Corrupt> {
    if s[4] == DENSE {
        return Ok(dense_raise(&mut s[HDR_SIZE..], index, count));
    }
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Find the opcode covering the register, and the one before it.
    let (p, first, prev) = sparse_find(s, index).ok_or(Corrupt)?;
    let op = Op::at(s, p);
    match op {
        Op::Val { value, .. } if value >= count => return Ok(false),
        // A run of one register: rewrite the opcode in place.
        Op::Val { len: 1, .. }
        | Op::Zeros {
            len: 1,
            xzero: false,
        } => s[p] = val(count, 1),
        _ => {
            // Split the run around the register: at most XZERO-VAL-XZERO.
            let last = first + op.span() - 1;
            let mut seq = Seq::default();
            match op {
                Op::Zeros { .. } => {
                    if index != first {
                        seq.zeros(index - first);
                    }
                    seq.push(val(count, 1));
                    if index != last {
                        seq.zeros(last - index);
                    }
                }
                Op::Val { value, .. } => {
                    if index != first {
                        seq.push(val(value, index - first));
                    }
                    seq.push(val(count, 1));
                    if index != last {
                        seq.push(val(value, last - index));
                    }
                }
            }
            let seq = seq.bytes();
            let new_len = s.len() + seq.len() - op.size();
            if new_len > s.len() && new_len as u64 > sparse_max_bytes {
                return promote(s, index, count);
            }
            // An XZERO cut short by the end of the string is replaced whole,
            // and the string keeps its computed length (Redis's arithmetic).
            let end = (p + op.size()).min(s.len());
            s.splice(p..end, seq.iter().copied());
            s.truncate(new_len);
        }
    }
    merge_adjacent_vals(s, prev.unwrap_or(HDR_SIZE));
    s[CARD_TOP] |= 0x80;
    Ok(true)
}

/// Merge neighbouring VAL opcodes of equal value, looking at up to five
/// opcodes from `p` (Redis's step 4 after an update).
fn merge_adjacent_vals(s: &mut Vec<u8>, mut p: usize) {
    let mut scan = 5;
    while p < s.len() && scan > 0 {
        scan -= 1;
        let op = Op::at(s, p);
        let Op::Val { value, len } = op else {
            p += op.size();
            continue;
        };
        if p + 1 < s.len() && s[p + 1] & 0x80 != 0 {
            if let Op::Val { value: v2, len: l2 } = Op::at(s, p + 1) {
                if v2 == value && len + l2 <= SPARSE_VAL_MAX_LEN {
                    s[p + 1] = val(value, len + l2);
                    s.remove(p);
                    continue;
                }
            }
        }
        p += 1;
    }
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(s)?;
    Ok(dense_raise(&mut s[HDR_SIZE..], index, count))
}

/// The cached cardinality, if valid.
pub fn cached_card(s: &[u8]) -> Option<u64> {
    if s[CARD_TOP] & 0x80 != 0 {
        return None;
    }
    Some(u64::from_le_bytes(s[8..16].try_into().expect("8 bytes")))
}

pub fn set_cached_card(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

pub fn invalidate_cache(s: &mut [u8]) {
    s[CARD_TOP] |= 0x80;
}

/// How many registers hold each value.
type Histogram = [u64; 64];

/// The estimated cardinality of an HLL string (`Corrupt` for bad sparse
/// opcodes).
pub fn count(s: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0u64; 64];
    if s[4] == DENSE {
        for_each_dense(&s[HDR_SIZE..], |_, r| histo[usize::from(r)] += 1);
    } else {
        let mut nonzero = 0;
        sparse_runs(s, |_, value, len| {
            histo[usize::from(value)] += len as u64;
            nonzero += len as u64;
        })?;
        histo[0] = REGISTERS as u64 - nonzero;
    }
    Ok(estimate(&histo))
}

/// Call `f(i, register)` for each of the 16384 packed registers in order,
/// four registers (three bytes) at a time, as `hllDenseRegHisto` unrolls.
fn for_each_dense(regs: &[u8], mut f: impl FnMut(usize, u8)) {
    for (n, c) in regs.chunks_exact(3).take(REGISTERS / 4).enumerate() {
        let (b0, b1, b2) = (c[0], c[1], c[2]);
        let i = n * 4;
        f(i, b0 & 63);
        f(i + 1, ((b0 >> 6) | (b1 << 2)) & 63);
        f(i + 2, ((b1 >> 4) | (b2 << 4)) & 63);
        f(i + 3, b2 >> 2);
    }
}

/// The cardinality of unpacked registers (one byte each). Eight at a time:
/// a union of few elements is mostly zero words (`hllRawRegHisto`), and
/// counting zeroes apart keeps the histogram's busiest slot out of memory.
pub fn count_raw(regs: &[u8; REGISTERS]) -> u64 {
    let mut histo = [0u64; 64];
    let mut zeros = 0u64;
    for w in regs.chunks_exact(8) {
        if u64::from_ne_bytes(w.try_into().expect("8 bytes")) == 0 {
            zeros += 8;
            continue;
        }
        for &r in w {
            if r == 0 {
                zeros += 1;
            } else {
                histo[usize::from(r & 63)] += 1;
            }
        }
    }
    histo[0] += zeros;
    estimate(&histo)
}

/// Raise each of `max` to the matching register of the HLL string.
pub fn merge_into(max: &mut [u8; REGISTERS], s: &[u8]) -> Result<(), Corrupt> {
    if s[4] == DENSE {
        for_each_dense(&s[HDR_SIZE..], |i, r| {
            if r > max[i] {
                max[i] = r;
            }
        });
        return Ok(());
    }
    // `hllMerge`'s walk: zero runs only move the index.
    let mut idx = 0;
    let mut p = HDR_SIZE;
    let len = s.len();
    while p < len {
        let b = s[p];
        if b & 0x80 != 0 {
            let value = ((b >> 2) & 0x1f) + 1;
            let run = usize::from(b & 0x3) + 1;
            let Some(regs) = max.get_mut(idx..idx + run) else {
                return Err(Corrupt);
            };
            for m in regs {
                *m = (*m).max(value);
            }
            idx += run;
            p += 1;
        } else if b & 0x40 == 0 {
            idx += usize::from(b) + 1;
            p += 1;
        } else {
            let low = usize::from(s.get(p + 1).copied().unwrap_or(0));
            idx += ((usize::from(b & 0x3f) << 8) | low) + 1;
            p += 2;
        }
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// PFDEBUG DECODE's text for a sparse HLL: `z:<len>`, `Z:<len>`, `v:<value>,<len>`.
pub fn decode_sparse(s: &[u8]) -> String {
    let mut out = Vec::new();
    let mut p = HDR_SIZE;
    while p < s.len() {
        let op = Op::at(s, p);
        out.push(match op {
            Op::Zeros { len, xzero: false } => format!("z:{len}"),
            Op::Zeros { len, xzero: true } => format!("Z:{len}"),
            Op::Val { value, len } => format!("v:{value},{len}"),
        });
        p += op.size();
    }
    out.join(" ")
}

/// Ertl's estimator ("New cardinality estimation algorithms for
/// HyperLogLog sketches", arXiv:1702.01284), as 7.0's `hllCount`.
fn estimate(histo: &Histogram) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - histo[q + 1] as f64) / m);
    for j in (1..=q).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    llround(ALPHA_INF * m * m / z) as u64
}

/// C's `llround`: half away from zero, and for a result a `long long`
/// cannot hold (an infinite estimate when every register is full) the
/// x86 "integer indefinite", `LLONG_MIN`.
fn llround(x: f64) -> i64 {
    let r = x.round();
    if r >= -(2f64.powi(63)) && r < 2f64.powi(63) {
        r as i64
    } else {
        i64::MIN
    }
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if before == z {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_hll_is_two_xzeros() {
        let s = new_sparse();
        assert_eq!(s.len(), 18);
        assert_eq!(&s[..5], b"HYLL\x01");
        assert_eq!(&s[16..], &[0x7f, 0xff]);
        assert_eq!(decode_sparse(&s), "Z:16384");
        assert_eq!(count(&s), Ok(0));
        assert_eq!(cached_card(&s), Some(0));
    }

    #[test]
    fn dense_registers_do_not_disturb_neighbours() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR_SIZE];
        for i in 0..REGISTERS {
            dense_set(&mut regs, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i % 64) as u8, "{i}");
        }
    }

    #[test]
    fn sparse_split_and_merge() {
        let mut s = new_sparse();
        assert_eq!(set(&mut s, 100, 3, 3000), Ok(true));
        assert_eq!(decode_sparse(&s), "Z:100 v:3,1 Z:16283");
        assert_eq!(set(&mut s, 101, 3, 3000), Ok(true));
        assert_eq!(decode_sparse(&s), "Z:100 v:3,2 Z:16282");
        assert_eq!(set(&mut s, 101, 2, 3000), Ok(false));
        assert_eq!(set(&mut s, 0, 1, 3000), Ok(true));
        assert_eq!(decode_sparse(&s), "v:1,1 Z:99 v:3,2 Z:16282");
        assert_eq!(set(&mut s, 102, 40, 3000), Ok(true));
        assert_eq!(s.len(), DENSE_SIZE);
        assert_eq!(dense_get(&s[HDR_SIZE..], 102), 40);
        assert_eq!(dense_get(&s[HDR_SIZE..], 101), 3);
    }

    #[test]
    fn sparse_and_dense_count_alike() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        for i in 0..2000u32 {
            add(&mut sparse, &i.to_le_bytes(), 1 << 20).unwrap();
            add(&mut dense, &i.to_le_bytes(), 1 << 20).unwrap();
        }
        assert_eq!(sparse[4], SPARSE);
        assert_eq!(count(&sparse), count(&dense));
        let n = count(&dense).unwrap();
        assert!((1900..2100).contains(&n), "{n}");
    }

    #[test]
    fn unrolled_walks_match_register_by_register() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR_SIZE];
        for i in 0..REGISTERS {
            dense_set(&mut regs, i, ((i * 7) % 64) as u8);
        }
        let mut seen = 0;
        for_each_dense(&regs, |i, r| {
            assert_eq!((i, r), (seen, dense_get(&regs, i)));
            seen += 1;
        });
        assert_eq!(seen, REGISTERS);
        // A merge of sparse and dense strings, counted from raw registers,
        // is the count of the union added to one string.
        let (mut a, mut b, mut both) = (new_sparse(), new_sparse(), new_sparse());
        to_dense(&mut b).unwrap();
        for i in 0..3000u32 {
            let target = if i % 3 == 0 { &mut a } else { &mut b };
            add(target, &i.to_le_bytes(), 1 << 20).unwrap();
            add(&mut both, &i.to_le_bytes(), 1 << 20).unwrap();
        }
        let mut max = Box::new([0u8; REGISTERS]);
        merge_into(&mut max, &a).unwrap();
        // Register for register what the reference walk of `to_dense` gives.
        let mut dense_a = a.clone();
        to_dense(&mut dense_a).unwrap();
        for (i, &m) in max.iter().enumerate() {
            assert_eq!(m, dense_get(&dense_a[HDR_SIZE..], i), "{i}");
        }
        merge_into(&mut max, &b).unwrap();
        assert_eq!(Ok(count_raw(&max)), count(&both));
        // One register too many.
        let mut long = a.clone();
        long.push(val(1, 1));
        assert_eq!(merge_into(&mut max, &long), Err(Corrupt));
    }

    #[test]
    fn murmur_matches_reference_values() {
        // Element "a" lands in register 12711 with a run of 2 in Redis
        // (PFDEBUG GETREG after PFADD hll a).
        assert_eq!(pattern(b"a"), (12711, 2));
    }

    /// Estimates Redis 7.0.15 gives for the decimal numbers below 1000
    /// (sparse) and below 100000 (dense).
    #[test]
    fn estimates_match_redis() {
        let mut s = new_sparse();
        for i in 0..100_000u32 {
            add(&mut s, i.to_string().as_bytes(), 3000).unwrap();
            if i == 999 {
                assert_eq!(count(&s), Ok(1001));
            }
        }
        assert_eq!(count(&s), Ok(99565));
    }

    /// Every register at 63: the estimate is infinite and, as C's
    /// `llroundl` makes it, LLONG_MIN.
    #[test]
    fn infinite_estimate() {
        let mut s = vec![0xff; DENSE_SIZE];
        s[..5].copy_from_slice(b"HYLL\0");
        assert_eq!(count(&s), Ok(1 << 63));
    }

    #[test]
    fn overlong_sparse_is_corrupt() {
        let mut s = new_sparse();
        s.push(0x80);
        assert_eq!(count(&s), Err(Corrupt));
        assert_eq!(to_dense(&mut s), Err(Corrupt));
        assert_eq!(merge_into(&mut Box::new([0; REGISTERS]), &s), Err(Corrupt));
    }
}
