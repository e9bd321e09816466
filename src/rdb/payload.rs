//! The DUMP / RESTORE payload (`createDumpPayload` / `verifyDumpPayload`):
//! one value's RDB serialization, then a footer of the RDB version (2 bytes,
//! little endian) and the CRC64 of everything before the checksum (8 bytes,
//! little endian).
//!
//! ```text
//! type byte | value body | RDB version | CRC64
//! ```

use super::{crc64, encode_value, types as ty};
use crate::keyspace::Value;

/// The RDB version a Redis 7.0 server stamps on its payloads; it refuses
/// newer ones.
pub const PAYLOAD_VERSION: u16 = 10;

/// Why a payload is refused, each with RESTORE's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, a newer RDB version, or a checksum mismatch.
    Footer,
    /// The footer checks out but the value does not decode; the decoder's
    /// reason, which 7.0 logs at verbose level (rdbReportError), if it
    /// logs one (not for an unknown type byte).
    BadData { reason: Option<String> },
}

impl PayloadError {
    pub fn message(&self) -> &'static str {
        match self {
            PayloadError::Footer => "ERR DUMP payload version or checksum are wrong",
            PayloadError::BadData { .. } => "ERR Bad data format",
        }
    }
}

/// DUMP's bytes for `value`; `compress` is `rdbcompression`.
pub fn dump(value: &Value, compress: bool) -> Vec<u8> {
    seal(encode_value(value, compress))
}

/// A value's serialization (type byte and body) with the payload footer.
pub fn seal(mut out: Vec<u8>) -> Vec<u8> {
    out.extend_from_slice(&PAYLOAD_VERSION.to_le_bytes());
    let crc = crc64::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// FUNCTION DUMP's bytes for these libraries.
pub fn dump_functions(codes: &[bytes::Bytes], compress: bool) -> Vec<u8> {
    let mut out = super::encode_functions(codes, compress);
    out.extend_from_slice(&PAYLOAD_VERSION.to_le_bytes());
    let crc = crc64::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The libraries of a FUNCTION RESTORE payload; `Err` is the reply.
pub fn restore_functions(payload: &[u8]) -> Result<Vec<bytes::Bytes>, String> {
    let body = check_footer(payload).map_err(|e| e.message().to_string())?;
    super::decode_functions(body).map_err(|e| format!("ERR {e}"))
}

/// The body of a payload whose version and checksum check out.
fn check_footer(payload: &[u8]) -> Result<&[u8], PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::Footer);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > PAYLOAD_VERSION {
        return Err(PayloadError::Footer);
    }
    let crc = crc64::crc64(&payload[..payload.len() - 8]);
    if crc.to_le_bytes() != footer[2..] {
        return Err(PayloadError::Footer);
    }
    Ok(body)
}

/// The value a payload holds, checked as RESTORE checks it.
pub fn restore(payload: &[u8]) -> Result<Value, PayloadError> {
    restore_checked(payload, true, true)
}

/// [`restore`]; `checksum` false skips the CRC (DEBUG
/// SET-SKIP-CHECKSUM-VALIDATION 1, which Redis's corrupt-payload tests use);
/// `deep` false makes 7.0's shallow checks only (`sanitize-dump-payload no`:
/// a listpack that fails the deep one is kept as a corrupt value).
pub fn restore_checked(payload: &[u8], checksum: bool, deep: bool) -> Result<Value, PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::Footer);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > PAYLOAD_VERSION {
        return Err(PayloadError::Footer);
    }
    let crc = crc64::crc64(&payload[..payload.len() - 8]);
    if checksum && crc.to_le_bytes() != footer[2..] {
        return Err(PayloadError::Footer);
    }
    // 7.0 knows value types 0 to 7 and 9 to 19 (`rdbIsObjectType`).
    match body.first() {
        Some(&t)
            if t <= ty::MODULE_2 || (ty::HASH_ZIPMAP..=ty::STREAM_LISTPACKS_2).contains(&t) => {}
        _ => return Err(PayloadError::BadData { reason: None }),
    }
    super::decode_value_checked(body, deep).map_err(|e| PayloadError::BadData {
        reason: Some(e.msg),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Dict, ZSet};
    use bytes::Bytes;

    #[test]
    fn string_payload_is_redis_byte_for_byte() {
        // `redis-cli DUMP` of `SET foo bar` on Redis 7.0.
        let want = b"\x00\x03bar\x0a\x00\xe6\xbe\x49\x60\xee\x66\xfd\x17";
        let got = dump(&Value::Str(Bytes::from_static(b"bar").into()), true);
        assert_eq!(got, want);
        assert!(matches!(restore(&got), Ok(Value::Str(s)) if &s[..] == b"bar"));
    }

    #[test]
    fn every_type_round_trips() {
        let mut h = Dict::new();
        h.insert(Bytes::from_static(b"f"), Bytes::from_static(b"v"));
        let h = crate::keyspace::HashValue::from_dict(h);
        let mut s = Dict::new();
        s.insert(Bytes::from_static(b"m"), ());
        let s = crate::keyspace::SetValue::from_dict(s);
        let mut z = ZSet::new_skip();
        z.insert(Bytes::from_static(b"a"), 1.5);
        let long = Bytes::from(vec![b'x'; 100]);
        for v in [
            Value::Str(long.clone().into()),
            Value::List(vec![long, Bytes::from_static(b"12")].into()),
            Value::Hash(h),
            Value::Set(s),
            Value::ZSet(z),
        ] {
            let p = dump(&v, true);
            assert_eq!(format!("{:?}", restore(&p).unwrap()), format!("{:?}", v));
        }
    }

    #[test]
    fn refusals() {
        let mut p = dump(&Value::Str(Bytes::from_static(b"bar").into()), true);
        assert_eq!(restore(&p[..9]).err(), Some(PayloadError::Footer));
        let n = p.len();
        p[n - 1] ^= 1;
        assert_eq!(restore(&p).err(), Some(PayloadError::Footer));
        // A newer RDB version with a valid checksum.
        let mut q = encode_value(&Value::Str(Bytes::from_static(b"x").into()), true);
        q.extend_from_slice(&11u16.to_le_bytes());
        let crc = crc64::crc64(&q);
        q.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(restore(&q).err(), Some(PayloadError::Footer));
        // A good footer over a truncated body.
        let mut r = vec![ty::LIST, 5];
        r.extend_from_slice(&PAYLOAD_VERSION.to_le_bytes());
        let crc = crc64::crc64(&r);
        r.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            restore(&r).err(),
            Some(PayloadError::BadData { reason: Some(_) })
        ));
    }
}
