//! Rust values as plain JS values and back, written out by hand.
//!
//! Why not serde (serde-wasm-bindgen): its generic serializers, the derive
//! impls and the buffering of tagged and flattened forms were about 100 KB of
//! the page's wasm for a dozen small shapes. The shapes are the ones serde
//! gave: objects with camelCase keys, `None` as null, numbers as JS numbers,
//! bytes as `Uint8Array`, lists as arrays.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

/// A value JS gets as a plain value.
pub(crate) trait ToJs {
    fn to_js(&self) -> JsValue;
}

impl ToJs for str {
    fn to_js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl ToJs for String {
    fn to_js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl ToJs for bool {
    fn to_js(&self) -> JsValue {
        JsValue::from_bool(*self)
    }
}

impl ToJs for char {
    fn to_js(&self) -> JsValue {
        JsValue::from_str(self.encode_utf8(&mut [0; 4]))
    }
}

impl ToJs for JsValue {
    fn to_js(&self) -> JsValue {
        self.clone()
    }
}

/// Integers and floats as JS numbers (every count, offset and time here is
/// below 2^53).
macro_rules! number {
    ($($t:ty),*) => {$(
        impl ToJs for $t {
            fn to_js(&self) -> JsValue {
                JsValue::from_f64(*self as f64)
            }
        }
    )*};
}
number!(u16, u32, u64, usize, i32, i64, f64);

impl<T: ToJs + ?Sized> ToJs for &T {
    fn to_js(&self) -> JsValue {
        (**self).to_js()
    }
}

impl<T: ToJs> ToJs for Option<T> {
    fn to_js(&self) -> JsValue {
        match self {
            Some(v) => v.to_js(),
            None => JsValue::NULL,
        }
    }
}

impl<T: ToJs> ToJs for [T] {
    fn to_js(&self) -> JsValue {
        list(self.iter().map(ToJs::to_js))
    }
}

impl<T: ToJs> ToJs for Vec<T> {
    fn to_js(&self) -> JsValue {
        self.as_slice().to_js()
    }
}

/// A pair as a two-element array (serde's form of a tuple).
impl<A: ToJs, B: ToJs> ToJs for (A, B) {
    fn to_js(&self) -> JsValue {
        list([self.0.to_js(), self.1.to_js()])
    }
}

/// A JS array of these values.
pub(crate) fn list(items: impl IntoIterator<Item = JsValue>) -> JsValue {
    let a = Array::new();
    for v in items {
        a.push(&v);
    }
    a.into()
}

/// Bytes as a `Uint8Array` (a copy).
pub(crate) fn bytes(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

/// A plain JS object, built field by field.
pub(crate) struct Obj(Object);

impl Obj {
    pub fn new() -> Obj {
        Obj(Object::new())
    }

    /// Set `key` to a value already converted.
    pub fn put(self, key: &str, v: JsValue) -> Obj {
        // Setting a property of a plain object cannot fail.
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &v);
        self
    }

    pub fn set<T: ToJs + ?Sized>(self, key: &str, v: &T) -> Obj {
        self.put(key, v.to_js())
    }

    pub fn done(self) -> JsValue {
        self.0.into()
    }
}

/// A field of a JS object (undefined when missing or not an object).
pub(crate) fn field(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A field that may be missing, null or undefined: `None` then.
pub(crate) fn opt_field(obj: &JsValue, key: &str) -> Option<JsValue> {
    let v = field(obj, key);
    (!v.is_undefined() && !v.is_null()).then_some(v)
}

/// An optional non-negative integer field (`what` names the object in errors).
pub(crate) fn opt_uint(obj: &JsValue, what: &str, key: &str) -> Result<Option<u64>, String> {
    match opt_field(obj, key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= super::MAX_SAFE => Ok(Some(n as u64)),
            _ => Err(format!("{what}: '{key}' must be a non-negative integer")),
        },
    }
}

/// A required non-negative integer field.
pub(crate) fn uint(obj: &JsValue, what: &str, key: &str) -> Result<u64, String> {
    opt_uint(obj, what, key)?.ok_or_else(|| format!("{what}: missing field '{key}'"))
}

/// A required string field.
pub(crate) fn string(obj: &JsValue, what: &str, key: &str) -> Result<String, String> {
    match opt_field(obj, key) {
        None => Err(format!("{what}: missing field '{key}'")),
        Some(v) => v
            .as_string()
            .ok_or_else(|| format!("{what}: '{key}' must be a string")),
    }
}

/// An optional array field, as its elements (missing or null: `None`).
pub(crate) fn opt_array(
    obj: &JsValue,
    what: &str,
    key: &str,
) -> Result<Option<Vec<JsValue>>, String> {
    match opt_field(obj, key) {
        None => Ok(None),
        Some(v) if Array::is_array(&v) => Ok(Some(Array::from(&v).to_vec())),
        Some(_) => Err(format!("{what}: '{key}' must be an array")),
    }
}

/// An optional array of strings (missing or null: `None`).
pub(crate) fn opt_strings(
    obj: &JsValue,
    what: &str,
    key: &str,
) -> Result<Option<Vec<String>>, String> {
    opt_array(obj, what, key)?
        .map(|a| {
            a.into_iter()
                .map(|v| {
                    v.as_string()
                        .ok_or_else(|| format!("{what}: '{key}' must hold strings"))
                })
                .collect()
        })
        .transpose()
}
