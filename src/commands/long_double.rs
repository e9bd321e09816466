//! INCRBYFLOAT / HINCRBYFLOAT arithmetic as Redis does it on x86-64: C `long double`
//! (x87 80-bit, 64-bit mantissa) parsed with `strtold`, added with
//! round-to-nearest-even, printed with `%.17Lf` and trailing zeros removed.
//! Emulated in software with a tiny big integer so results match byte for byte.

use super::{err, Error};
use std::cmp::Ordering;

/// Little-endian base 2^32 magnitude, no trailing zero limbs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut b = Big(Vec::new());
        while v > 0 {
            b.0.push(v as u32);
            v >>= 32;
        }
        b
    }
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() as u64 - 1) * 32 + (32 - top.leading_zeros()) as u64,
        }
    }
    fn bit(&self, i: u64) -> bool {
        let w = (i / 32) as usize;
        w < self.0.len() && (self.0[w] >> (i % 32)) & 1 == 1
    }
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = a as u64;
        for limb in self.0.iter_mut() {
            let v = *limb as u64 * m as u64 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }
    /// Divide by a small number in place, returning the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let v = (rem << 32) | *limb as u64;
            *limb = (v / d as u64) as u32;
            rem = v % d as u64;
        }
        self.trim();
        rem as u32
    }
    fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return Big::default();
        }
        let (w, b) = ((n / 32) as usize, (n % 32) as u32);
        let mut out = vec![0u32; w];
        let mut carry = 0u32;
        for &limb in &self.0 {
            if b == 0 {
                out.push(limb);
            } else {
                out.push((limb << b) | carry);
                carry = limb >> (32 - b);
            }
        }
        if carry > 0 {
            out.push(carry);
        }
        Big(out)
    }
    fn cmp(&self, o: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }
    /// self -= o, requires self >= o.
    fn sub(&mut self, o: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let v = self.0[i] as i64 - borrow - *o.0.get(i).unwrap_or(&0) as i64;
            if v < 0 {
                self.0[i] = (v + (1i64 << 32)) as u32;
                borrow = 1;
            } else {
                self.0[i] = v as u32;
                borrow = 0;
            }
        }
        self.trim();
    }
    fn add(&self, o: &Big) -> Big {
        let n = self.0.len().max(o.0.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let v = *self.0.get(i).unwrap_or(&0) as u64 + *o.0.get(i).unwrap_or(&0) as u64 + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Big(out)
    }
    /// floor(self / d) and whether a remainder is left (binary long division).
    fn div(&self, d: &Big) -> (Big, bool) {
        let n = self.bits();
        let mut q = Big(vec![0; self.0.len()]);
        let mut r = Big::default();
        for i in (0..n).rev() {
            r = r.shl(1);
            if self.bit(i) {
                if r.0.is_empty() {
                    r.0.push(1);
                } else {
                    r.0[0] |= 1;
                }
            }
            if r.cmp(d) != Ordering::Less {
                r.sub(d);
                q.0[(i / 32) as usize] |= 1 << (i % 32);
            }
        }
        q.trim();
        (q, !r.is_zero())
    }
    fn low_u128(&self) -> u128 {
        self.0
            .iter()
            .take(4)
            .enumerate()
            .fold(0u128, |acc, (i, &l)| acc | (l as u128) << (32 * i))
    }
    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut v = self.clone();
        let mut chunks = Vec::new();
        while !v.is_zero() {
            chunks.push(v.div_small(1_000_000_000));
        }
        let mut s = chunks.pop().unwrap_or(0).to_string();
        for c in chunks.iter().rev() {
            s.push_str(&format!("{:09}", c));
        }
        s
    }
}

/// A finite long double: (-1)^neg * m * 2^e, m normalised to 64 bits (or 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ld {
    neg: bool,
    m: u64,
    e: i64,
}

/// Smallest exponent of a normal long double's mantissa LSB, and the limit.
const E_MIN: i64 = -16382 - 63;
const E_MAX: i64 = 16383 - 63;

enum Parsed {
    Finite(Ld),
    Inf,
}

/// Round num/den * 2^exp2 to a long double. None on overflow.
fn round(num: &Big, den: &Big, exp2: i64) -> Option<(u64, i64)> {
    if num.is_zero() {
        return Some((0, 0));
    }
    let s = 66 - (num.bits() as i64 - den.bits() as i64);
    let (q, sticky) = if s >= 0 {
        num.shl(s as u64).div(den)
    } else {
        num.div(&den.shl((-s) as u64))
    };
    let q = q.low_u128();
    let qb = 128 - q.leading_zeros() as i64;
    let mut extra = qb - 64;
    let mut e = exp2 - s + extra;
    // Denormals: keep fewer mantissa bits below the normal range.
    if e < E_MIN {
        extra += E_MIN - e;
        e = E_MIN;
    }
    if extra >= 128 {
        return Some((0, 0));
    }
    let mut m = (q >> extra) as u64;
    if extra > 0 {
        let half = 1u128 << (extra - 1);
        let rest = q & ((1u128 << extra) - 1);
        if rest > half || (rest == half && (sticky || m & 1 == 1)) {
            let (nm, of) = m.overflowing_add(1);
            m = if of { 1 << 63 } else { nm };
            if of {
                e += 1;
            }
        }
    }
    if e > E_MAX {
        return None;
    }
    Some((m, e))
}

fn parse(b: &[u8]) -> Option<Parsed> {
    if b.is_empty() || b.len() >= 5 * 1024 || b[0].is_ascii_whitespace() || b[0] == 0x0b {
        return None;
    }
    let (neg, rest) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(Parsed::Inf);
    }
    let hex = rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x';
    let (radix, body) = if hex { (16u32, &rest[2..]) } else { (10, rest) };
    let mut mant = Big::default();
    let mut ndig = 0usize;
    let mut frac = 0i64;
    let mut seen_point = false;
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (c as char).to_digit(radix) {
            mant.mul_add_small(radix, d);
            ndig += 1;
            if seen_point {
                frac += 1;
            }
        } else {
            break;
        }
        i += 1;
    }
    if ndig == 0 {
        return None;
    }
    let mut exp: i64 = 0;
    if i < body.len() {
        let c = body[i] | 0x20;
        if c != if hex { b'p' } else { b'e' } {
            return None;
        }
        let mut j = i + 1;
        let eneg = match body.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        if j >= body.len() || !body[j..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        for &d in &body[j..] {
            exp = (exp * 10 + (d - b'0') as i64).min(1 << 40);
        }
        if eneg {
            exp = -exp;
        }
    }
    let one = Big::from_u128(1);
    let (m, e) = if mant.is_zero() {
        (0, 0)
    } else if hex {
        round(&mant, &one, exp - 4 * frac)?
    } else {
        let e10 = exp - frac;
        let magnitude = e10 + mant.to_decimal().len() as i64;
        if magnitude > 4934 {
            return None;
        }
        if magnitude < -4955 {
            return None; // underflows to zero: ERANGE
        }
        let mut p = Big::from_u128(1);
        for _ in 0..e10.unsigned_abs() {
            p.mul_add_small(10, 0);
        }
        if e10 >= 0 {
            let mut n = Big::default();
            // mant * p
            for (k, &limb) in p.0.iter().enumerate() {
                let mut t = mant.clone();
                t.mul_add_small(limb, 0);
                n = n.add(&t.shl(32 * k as u64));
            }
            round(&n, &one, 0)?
        } else {
            round(&mant, &p, 0)?
        }
    };
    if m == 0 && !mant.is_zero() {
        return None;
    }
    Some(Parsed::Finite(Ld { neg, m, e }))
}

fn add(a: Ld, b: Ld) -> Option<Ld> {
    if a.m == 0 {
        return Some(b);
    }
    if b.m == 0 {
        return Some(if a.m == 0 {
            Ld {
                neg: a.neg && b.neg,
                ..a
            }
        } else {
            a
        });
    }
    let (hi, lo) = if a.e >= b.e { (a, b) } else { (b, a) };
    // Far below half an ulp: only a sticky bit.
    let lo_e = lo.e.max(hi.e - 140);
    let lo_m = if lo.e < lo_e { 1u64 } else { lo.m };
    let bh = Big::from_u128(hi.m as u128).shl((hi.e - lo_e) as u64);
    let bl = Big::from_u128(lo_m as u128).shl((lo.e.max(lo_e) - lo_e) as u64);
    let (neg, sum) = if hi.neg == lo.neg {
        (hi.neg, bh.add(&bl))
    } else {
        match bh.cmp(&bl) {
            Ordering::Equal => {
                return Some(Ld {
                    neg: false,
                    m: 0,
                    e: 0,
                })
            }
            Ordering::Greater => {
                let mut s = bh;
                s.sub(&bl);
                (hi.neg, s)
            }
            Ordering::Less => {
                let mut s = bl;
                s.sub(&bh);
                (lo.neg, s)
            }
        }
    };
    let (m, e) = round(&sum, &Big::from_u128(1), lo_e)?;
    Some(Ld { neg, m, e })
}

/// `%.17Lf`, then Redis's trimming of trailing zeros.
fn format(v: Ld) -> String {
    let mut n = Big::from_u128(v.m as u128);
    for _ in 0..17 {
        n.mul_add_small(10, 0);
    }
    let n = if v.e >= 0 {
        n.shl(v.e as u64)
    } else {
        let sh = (-v.e) as u64;
        let (q, _) = n.div(&Big::from_u128(1).shl(sh));
        // Round half to even on the exact remainder.
        let half_bit = sh - 1;
        let mut rounded = q.clone();
        if n.bit(half_bit) {
            let below = (0..half_bit).any(|i| n.bit(i));
            if below || q.bit(0) {
                rounded = q.add(&Big::from_u128(1));
            }
        }
        rounded
    };
    let digits = format!("{:0>18}", n.to_decimal());
    let (int, frac) = digits.split_at(digits.len() - 17);
    let mut s = format!("{}{}.{}", if v.neg { "-" } else { "" }, int, frac);
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// How a number text reads as a C `long double`: `None` if it is not a
/// number, `Some(false)` if it is infinite, `Some(true)` if finite.
pub fn classify(b: &[u8]) -> Option<bool> {
    parse(b).map(|p| matches!(p, Parsed::Finite(_)))
}

/// `cur + incr` formatted as Redis's INCRBYFLOAT result.
pub fn incr_str(cur: &[u8], incr: &[u8]) -> Result<Vec<u8>, Error> {
    let nf = || Error::from(err::NOT_FLOAT);
    let a = parse(cur).ok_or_else(nf)?;
    let b = parse(incr).ok_or_else(nf)?;
    let naninf = || Error::from("ERR increment would produce NaN or Infinity");
    match (a, b) {
        (Parsed::Finite(a), Parsed::Finite(b)) => {
            let v = add(a, b).ok_or_else(naninf)?;
            Ok(format(v).into_bytes())
        }
        _ => Err(naninf()),
    }
}

#[cfg(test)]
mod tests {
    use super::incr_str;

    fn f(a: &str, b: &str) -> String {
        String::from_utf8(incr_str(a.as_bytes(), b.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn matches_x87() {
        assert_eq!(f("0.1", "0.2"), "0.3");
        assert_eq!(f("1000.1", "0.2"), "1000.29999999999999999");
        assert_eq!(f("123456.789", "0.001"), "123456.78999999999999915");
        assert_eq!(f("3000000000000000", "0.1"), "3000000000000000.10009765625");
        assert_eq!(f("10.5", "0.1"), "10.6");
        assert_eq!(f("5.0e3", "2.0e2"), "5200");
        assert_eq!(f("1.5", "-1.5"), "0");
        assert_eq!(f("0", "-0.0"), "0");
        assert_eq!(f("-1", "0.3"), "-0.7");
        assert_eq!(f("1e-20", "0"), "0");
        assert_eq!(f("0x10", "1"), "17");
        assert_eq!(f("1.", "1"), "2");
        assert_eq!(f(".5", "1"), "1.5");
        assert_eq!(f("1.5", "1e308"), "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048");
        assert!(incr_str(b"1e", b"1").is_err());
        assert!(incr_str(b" 1", b"1").is_err());
        assert!(incr_str(b"1", b"nan").is_err());
        assert!(incr_str(b"1", b"inf").is_err());
        assert!(incr_str(b"1", b"1e5000").is_err());
    }
}
