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
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => Js::List(v.iter().map(convert).collect()),
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
