//! RESP replies as plain JS values.

use crate::resp::Frame;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A reply in the shape JavaScript gets it: simple strings and bulks are
/// strings (bytes that are not UTF-8 are replaced), integers numbers, nulls
/// `null`, arrays/sets/pushes arrays, maps arrays of `[key, value]` pairs, and
/// errors `{ error: "ERR ..." }` (a reply, not an exception).
#[derive(Serialize)]
#[serde(untagged)]
enum Js {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null(()),
    List(Vec<Js>),
    Error { error: String },
    Verbatim { format: String, text: String },
}

fn convert(f: &Frame) -> Js {
    match f {
        Frame::Simple(s) => Js::Str(s.clone()),
        Frame::Error(e) => Js::Error { error: e.clone() },
        Frame::Integer(i) if i.unsigned_abs() < (1 << 53) => Js::Int(*i),
        // Beyond 2^53 a JS number would round: keep the exact digits.
        Frame::Integer(i) => Js::Str(i.to_string()),
        Frame::Bulk(b) => Js::Str(String::from_utf8_lossy(b).into_owned()),
        Frame::Null => Js::Null(()),
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => {
            Js::List(v.iter().map(convert).collect())
        }
        Frame::Map(kv) => Js::List(
            kv.iter()
                .map(|(k, v)| Js::List(vec![convert(k), convert(v)]))
                .collect(),
        ),
        Frame::Double(d) => Js::Float(*d),
        Frame::Boolean(b) => Js::Bool(*b),
        Frame::BigNumber(s) => Js::Str(s.clone()),
        Frame::Verbatim(fmt, b) => Js::Verbatim {
            format: fmt.clone(),
            text: String::from_utf8_lossy(b).into_owned(),
        },
    }
}

/// Convert a reply frame to a JS value.
pub fn frame_to_js(f: &Frame) -> Result<JsValue, JsError> {
    let ser = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    convert(f)
        .serialize(&ser)
        .map_err(|e| JsError::new(&format!("cannot convert reply: {e}")))
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
