//! lua-cjson 2.1 as Redis bundles it: `cjson.encode`, `cjson.decode`,
//! `cjson.null`, with its defaults (numbers as `%.14g`, `/` escaped,
//! excessively sparse arrays refused, 1000 levels of nesting).

use mlua::{LightUserData, Lua, Table, Value};
use std::cell::Cell;
use std::rc::Rc;

/// The settings scripts may change (`cjson.encode_max_depth` ...).
#[derive(Clone, Copy)]
struct Config {
    encode_max_depth: usize,
    decode_max_depth: usize,
    /// NaN and infinities encoded (as `nan`, `inf`) instead of refused.
    encode_invalid_numbers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: false,
        }
    }
}

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn err(msg: impl Into<String>) -> mlua::Error {
    mlua::Error::RuntimeError(msg.into())
}

pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let config = Rc::new(Cell::new(Config::default()));
    let cfg = config.clone();
    t.set(
        "encode",
        lua.create_function(move |lua, v: Value| {
            let mut out = Vec::new();
            super::positioned(lua, encode(&v, &mut out, 0, &cfg.get()))?;
            Ok(mlua::BString::from(out))
        })?,
    )?;
    let cfg = config.clone();
    t.set(
        "decode",
        lua.create_function(move |lua, s: mlua::String| {
            let b = s.as_bytes();
            let mut p = Parser {
                s: &b,
                pos: 0,
                lua,
                max_depth: cfg.get().decode_max_depth,
            };
            p.ws();
            let v = super::positioned(lua, p.value(0))?;
            p.ws();
            if p.pos < b.len() {
                return Err(super::lua_error(
                    lua,
                    "Expected the end but found invalid token at character ".to_string()
                        + &(p.pos + 1).to_string(),
                ));
            }
            Ok(v)
        })?,
    )?;
    t.set("null", null())?;
    let cfg = config.clone();
    t.set(
        "encode_max_depth",
        lua.create_function(move |_, n: Option<usize>| {
            let mut c = cfg.get();
            if let Some(n) = n {
                c.encode_max_depth = n.max(1);
                cfg.set(c);
            }
            Ok(c.encode_max_depth)
        })?,
    )?;
    let cfg = config.clone();
    t.set(
        "decode_max_depth",
        lua.create_function(move |_, n: Option<usize>| {
            let mut c = cfg.get();
            if let Some(n) = n {
                c.decode_max_depth = n.max(1);
                cfg.set(c);
            }
            Ok(c.decode_max_depth)
        })?,
    )?;
    let cfg = config.clone();
    t.set(
        "encode_invalid_numbers",
        lua.create_function(move |_, on: Option<Value>| {
            let mut c = cfg.get();
            if let Some(on) = on {
                c.encode_invalid_numbers = !matches!(on, Value::Boolean(false) | Value::Nil)
                    && !matches!(&on, Value::String(s) if s.as_bytes().as_ref() == b"off");
                cfg.set(c);
            }
            Ok(c.encode_invalid_numbers)
        })?,
    )?;
    // Buffer reuse is an allocation detail; accepted and reported as on.
    t.set(
        "encode_keep_buffer",
        lua.create_function(|_, _: Option<Value>| Ok(true))?,
    )?;
    Ok(t)
}

/// `%.14g`, as lua-cjson formats numbers.
fn fmt_g14(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e14 {
        return format!("{}", x as i64);
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-5..14).contains(&exp) {
        let s = format!("{:.13e}", x);
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (13 - exp).max(0) as usize;
    let s = format!("{:.*}", decimals, x);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn encode_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\u{:04x}", c).as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

fn encode(v: &Value, out: &mut Vec<u8>, depth: usize, cfg: &Config) -> mlua::Result<()> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Number(x) => {
            if !x.is_finite() {
                if !cfg.encode_invalid_numbers {
                    return Err(err("Cannot serialise number: must not be NaN or Inf"));
                }
                let s = if x.is_nan() {
                    "nan"
                } else if *x > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                out.extend_from_slice(s.as_bytes());
                return Ok(());
            }
            out.extend_from_slice(fmt_g14(*x).as_bytes());
        }
        Value::String(s) => encode_string(&s.as_bytes(), out),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > cfg.encode_max_depth {
                return Err(err(format!(
                    "Cannot serialise, excessive nesting ({depth})"
                )));
            }
            match array_length(t)? {
                Some(n) if n > 0 => {
                    out.push(b'[');
                    for i in 1..=n {
                        if i > 1 {
                            out.push(b',');
                        }
                        encode(&t.raw_get::<Value>(i)?, out, depth, cfg)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.clone().pairs::<Value, Value>() {
                        let (k, v) = pair?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => encode_string(&s.as_bytes(), out),
                            Value::Integer(i) => encode_string(i.to_string().as_bytes(), out),
                            Value::Number(x) => encode_string(fmt_g14(*x).as_bytes(), out),
                            _ => {
                                return Err(err(
                                    "Cannot serialise table: table key must be a number or string",
                                ))
                            }
                        }
                        out.push(b':');
                        encode(&v, out, depth, cfg)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return Err(err(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            )))
        }
    }
    Ok(())
}

/// lua_array_length: `Some(max index)` if every key is a positive integer
/// (refusing excessively sparse arrays), `None` for an object.
fn array_length(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut max, mut items) = (0usize, 0usize);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let idx = match k {
            Value::Integer(i) if i >= 1 => i as usize,
            Value::Number(x) if x >= 1.0 && x == x.floor() => x as usize,
            _ => return Ok(None),
        };
        max = max.max(idx);
        items += 1;
    }
    if max > 10 && max > items * 2 {
        return Err(err("Cannot serialise table: excessively sparse array"));
    }
    Ok(Some(max))
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    lua: &'a Lua,
    max_depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn unexpected(&self, what: &str) -> mlua::Error {
        let found = match self.s.get(self.pos) {
            None => "T_END".to_string(),
            Some(_) => "invalid token".to_string(),
        };
        err(format!(
            "Expected {what} but found {found} at character {}",
            self.pos + 1
        ))
    }

    fn value(&mut self, depth: usize) -> mlua::Result<Value> {
        if matches!(self.s.get(self.pos), Some(b'{' | b'[')) && depth + 1 > self.max_depth {
            return Err(err(format!(
                "Found too many nested data structures ({}) at character {}",
                depth + 1,
                self.pos + 1
            )));
        }
        match self.s.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                let t = self.lua.create_table()?;
                self.ws();
                if self.s.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Value::Table(t));
                }
                loop {
                    self.ws();
                    if self.s.get(self.pos) != Some(&b'"') {
                        return Err(self.unexpected("object key string"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.pos) != Some(&b':') {
                        return Err(self.unexpected("colon"));
                    }
                    self.pos += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    t.raw_set(k, v)?;
                    self.ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Value::Table(t));
                        }
                        _ => return Err(self.unexpected("comma or object end")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let t = self.lua.create_table()?;
                self.ws();
                if self.s.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Value::Table(t));
                }
                let mut i = 1;
                loop {
                    self.ws();
                    let v = self.value(depth + 1)?;
                    t.raw_set(i, v)?;
                    i += 1;
                    self.ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::Table(t));
                        }
                        _ => return Err(self.unexpected("comma or array end")),
                    }
                }
            }
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') if self.s[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Ok(Value::Boolean(true))
            }
            Some(b'f') if self.s[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Ok(Value::Boolean(false))
            }
            Some(b'n') if self.s[self.pos..].starts_with(b"null") => {
                self.pos += 4;
                Ok(null())
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while self.pos < self.s.len()
                    && matches!(
                        self.s[self.pos],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
                match text.parse::<f64>() {
                    Ok(x) => Ok(Value::Number(x)),
                    Err(_) => {
                        self.pos = start;
                        Err(self.unexpected("value"))
                    }
                }
            }
            _ => Err(self.unexpected("value")),
        }
    }

    fn string(&mut self) -> mlua::Result<mlua::String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                self.pos = start;
                return Err(self.unexpected("value"));
            };
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.pos) else {
                        self.pos = start;
                        return Err(self.unexpected("value"));
                    };
                    self.pos += 1;
                    match e {
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let hex = self.s.get(self.pos..self.pos + 4).and_then(|h| {
                                u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
                            });
                            let Some(mut cp) = hex else {
                                self.pos = start;
                                return Err(self.unexpected("value"));
                            };
                            self.pos += 4;
                            // A surrogate pair.
                            if (0xD800..0xDC00).contains(&cp)
                                && self.s.get(self.pos..self.pos + 2) == Some(b"\\u")
                            {
                                if let Some(lo) =
                                    self.s.get(self.pos + 2..self.pos + 6).and_then(|h| {
                                        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
                                    })
                                {
                                    cp = 0x10000
                                        + ((cp - 0xD800) << 10)
                                        + (lo.wrapping_sub(0xDC00) & 0x3ff);
                                    self.pos += 6;
                                }
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        self.lua.create_string(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_g14;

    #[test]
    fn numbers_as_printf_g14() {
        assert_eq!(fmt_g14(1.0), "1");
        assert_eq!(fmt_g14(0.1), "0.1");
        assert_eq!(fmt_g14(1.5e300), "1.5e+300");
        assert_eq!(fmt_g14(-2.25), "-2.25");
        assert_eq!(fmt_g14(1e-7), "1e-07");
    }
}
