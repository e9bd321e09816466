//! RESP, the Redis serialization protocol: requests in, replies out, frames for clients.

mod frame;
mod reply;
mod request;

pub use frame::{Frame, FrameError};
pub use reply::{ReplyBuf, REPLY_CHUNK};
pub use request::{query_dump, split_args, ProtocolError, Request, RequestParser, Sender};

/// Redis's `sdscatrepr`: bytes as a quoted string with C escapes.
pub fn repr(bytes: &[u8]) -> String {
    let mut o = String::from("\"");
    for &b in bytes {
        match b {
            b'\\' => o.push_str("\\\\"),
            b'"' => o.push_str("\\\""),
            b'\n' => o.push_str("\\n"),
            b'\r' => o.push_str("\\r"),
            b'\t' => o.push_str("\\t"),
            0x07 => o.push_str("\\a"),
            0x08 => o.push_str("\\b"),
            b if b.is_ascii_graphic() || b == b' ' => o.push(b as char),
            b => o.push_str(&format!("\\x{b:02x}")),
        }
    }
    o.push('"');
    o
}

/// Format a double as C's `%.17g`, which Redis 7.0 uses for scores and doubles.
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // 17 significant digits in scientific form, then %g's choice of style.
    let sci = format!("{:.16e}", d);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..17).contains(&exp) {
        let mant = trim_fraction(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (16 - exp).max(0) as usize;
        trim_fraction(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Format the result of INCRBYFLOAT / HINCRBYFLOAT: fixed notation, no exponent,
/// trailing zeros removed (Redis prints a long double with `%.17Lf`; the shortest
/// representation that round-trips is what that yields for ordinary inputs).
pub fn format_float_human(d: f64) -> String {
    if d == 0.0 {
        return "0".into();
    }
    let s = format!("{}", d);
    if s.contains('e') {
        format!("{:.17}", d)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        s
    }
}

/// Parse an integer as Redis's `string2ll`: optional `-`, no leading zeros, no spaces, no `+`.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (neg, digits) = if b[0] == b'-' {
        (true, &b[1..])
    } else {
        (false, b)
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parse a double as Redis does with `strtod`: no surrounding spaces, no NaN.
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => {
            if lower.contains("nan") || lower.contains("inf") {
                return None;
            }
            s.parse::<f64>().ok()?
        }
    };
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17() {
        assert_eq!(format_double(1.1), "1.1000000000000001");
        assert_eq!(format_double(1.0), "1");
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(-2.0), "-2");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_double(123456.0), "123456");
    }

    #[test]
    fn ints() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b" 1"), None);
    }

    #[test]
    fn human() {
        assert_eq!(format_float_human(10.5), "10.5");
        assert_eq!(format_float_human(3.0), "3");
        assert_eq!(format_float_human(1e20), "100000000000000000000");
    }
}
