//! RESP replies as plain JS values.

use super::js::{list, Obj};
use crate::resp::Frame;
use wasm_bindgen::prelude::*;

/// A reply in the shape JavaScript gets it: simple strings and bulks are
/// strings (bytes that are not UTF-8 are replaced), integers numbers, nulls
/// `null`, arrays/sets/pushes arrays, maps arrays of `[key, value]` pairs, and
/// errors `{ error: "ERR ..." }` (a reply, not an exception).
fn convert(f: &Frame) -> JsValue {
    match f {
        Frame::Simple(s) | Frame::BigNumber(s) => JsValue::from_str(s),
        Frame::Error(e) => Obj::new().set("error", e).done(),
        Frame::Integer(i) if i.unsigned_abs() < (1 << 53) => JsValue::from_f64(*i as f64),
        // Beyond 2^53 a JS number would round: keep the exact digits.
        Frame::Integer(i) => JsValue::from_str(&i.to_string()),
        Frame::Bulk(b) => JsValue::from_str(&String::from_utf8_lossy(b)),
        Frame::Null => JsValue::NULL,
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => list(v.iter().map(convert)),
        Frame::Map(kv) => list(kv.iter().map(|(k, v)| list([convert(k), convert(v)]))),
        Frame::Double(d) => JsValue::from_f64(*d),
        Frame::Boolean(b) => JsValue::from_bool(*b),
        Frame::Verbatim(fmt, b) => Obj::new()
            .set("format", fmt)
            .set("text", &*String::from_utf8_lossy(b))
            .done(),
    }
}

/// Convert a reply frame to a JS value.
pub fn frame_to_js(f: &Frame) -> Result<JsValue, JsError> {
    Ok(convert(f))
}

/// A reply as `redis-cli` prints it on a terminal.
pub fn frame_to_cli(f: &Frame) -> String {
    let mut out = String::new();
    cli(f, 0, &mut out);
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

fn quoted(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

fn cli(f: &Frame, indent: usize, out: &mut String) {
    let items = |v: &[Frame], empty: &str, out: &mut String| {
        if v.is_empty() {
            out.push_str(empty);
            out.push('\n');
            return;
        }
        let w = v.len().to_string().len();
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                out.push_str(&" ".repeat(indent));
            }
            let label = format!("{:>w$}) ", i + 1);
            out.push_str(&label);
            cli(x, indent + label.len(), out);
        }
    };
    match f {
        Frame::Simple(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Frame::Error(e) => {
            out.push_str("(error) ");
            out.push_str(e);
            out.push('\n');
        }
        Frame::Integer(i) => out.push_str(&format!("(integer) {i}\n")),
        Frame::Bulk(b) => {
            out.push_str(&quoted(b));
            out.push('\n');
        }
        Frame::Null => out.push_str("(nil)\n"),
        Frame::Array(v) | Frame::Push(v) => items(v, "(empty array)", out),
        Frame::Set(v) => items(v, "(empty set)", out),
        Frame::Map(kv) => {
            if kv.is_empty() {
                out.push_str("(empty hash)\n");
                return;
            }
            let w = kv.len().to_string().len();
            for (i, (k, v)) in kv.iter().enumerate() {
                if i > 0 {
                    out.push_str(&" ".repeat(indent));
                }
                let label = format!("{:>w$}# ", i + 1);
                out.push_str(&label);
                let mut key = String::new();
                cli(k, 0, &mut key);
                out.push_str(key.trim_end());
                out.push_str(" => ");
                cli(v, indent + label.len() + key.trim_end().len() + 4, out);
            }
        }
        Frame::Double(d) => out.push_str(&format!("(double) {}\n", crate::resp::format_double(*d))),
        Frame::Boolean(b) => out.push_str(if *b { "(true)\n" } else { "(false)\n" }),
        Frame::BigNumber(s) => out.push_str(&format!("(big number) {s}\n")),
        Frame::Verbatim(_, b) => {
            out.push_str(&String::from_utf8_lossy(b));
            out.push('\n');
        }
    }
}
