//! lua-cmsgpack as Redis bundles it: `cmsgpack.pack`, `unpack`,
//! `unpack_one`, `unpack_limit` (MessagePack, tables nested at most 16 deep).

use super::lua_error;
use mlua::{Lua, MultiValue, Table, Value, Variadic};

/// LUACMSGPACK_MAX_NESTING: deeper tables are encoded as nil.
const MAX_NESTING: usize = 16;

pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "pack",
        lua.create_function(|lua, args: Variadic<Value>| {
            if args.is_empty() {
                return Err(lua_error(
                    lua,
                    "bad argument #0 to 'pack' (MessagePack pack needs input.)",
                ));
            }
            let mut out = Vec::new();
            for v in args.iter() {
                encode(v, &mut out, 0)?;
            }
            Ok(mlua::BString::from(out))
        })?,
    )?;
    t.set(
        "unpack",
        lua.create_function(|lua, s: mlua::String| unpack(lua, &s.as_bytes(), 0, 0))?,
    )?;
    t.set(
        "unpack_one",
        lua.create_function(|lua, (s, offset): (mlua::String, Option<i64>)| {
            unpack(lua, &s.as_bytes(), 1, offset.unwrap_or(0))
        })?,
    )?;
    t.set(
        "unpack_limit",
        lua.create_function(
            |lua, (s, limit, offset): (mlua::String, i64, Option<i64>)| {
                unpack(lua, &s.as_bytes(), limit, offset.unwrap_or(0))
            },
        )?,
    )?;
    Ok(t)
}

fn encode(v: &Value, out: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    match v {
        Value::String(s) => encode_bytes(&s.as_bytes(), out),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_int(*i, out),
        Value::Number(n) => {
            if n.is_finite() && (*n as i64) as f64 == *n {
                encode_int(*n as i64, out);
            } else {
                let f = *n as f32;
                if f as f64 == *n {
                    out.push(0xca);
                    out.extend_from_slice(&f.to_be_bytes());
                } else {
                    out.push(0xcb);
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
        }
        Value::Table(t) if level < MAX_NESTING => encode_table(t, out, level)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_bytes(s: &[u8], out: &mut Vec<u8>) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xd9, n as u8]);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2147483648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn header(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn encode_table(t: &Table, out: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    // table_is_an_array: keys 1..N without holes. Pairs are walked, not
    // collected: each value held from Rust takes a slot of Lua's stack.
    let (mut count, mut max, mut is_array) = (0usize, 0usize, true);
    t.for_each::<Value, Value>(|k, _| {
        count += 1;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => {
                is_array = false;
                return Ok(());
            }
        };
        if n <= 0.0 || n != n.trunc() {
            is_array = false;
        } else {
            max = max.max(n as usize);
        }
        Ok(())
    })?;
    if is_array && max == count {
        let len = t.raw_len();
        header(out, len, 0x90, 0xdc, 0xdd);
        for i in 1..=len {
            encode(&t.get::<Value>(i)?, out, level + 1)?;
        }
    } else {
        header(out, count, 0x80, 0xde, 0xdf);
        t.for_each::<Value, Value>(|k, v| {
            encode(&k, out, level + 1)?;
            encode(&v, out, level + 1)
        })?;
    }
    Ok(())
}

enum DecodeError {
    Eof,
    BadFormat,
    Lua(mlua::Error),
}

impl From<mlua::Error> for DecodeError {
    fn from(e: mlua::Error) -> Self {
        DecodeError::Lua(e)
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Eof)?;
        let b = self.s.get(self.pos..end).ok_or(DecodeError::Eof)?;
        self.pos = end;
        Ok(b)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }

    fn value(&mut self, lua: &Lua) -> Result<Value, DecodeError> {
        let t = self.take(1)?[0];
        Ok(match t {
            0xcc => Value::Number(self.be(1)? as f64),
            0xd0 => Value::Number(self.be(1)? as u8 as i8 as f64),
            0xcd => Value::Number(self.be(2)? as f64),
            0xd1 => Value::Number(self.be(2)? as u16 as i16 as f64),
            0xce => Value::Number(self.be(4)? as f64),
            0xd2 => Value::Number(self.be(4)? as u32 as i32 as f64),
            0xcf => Value::Number(self.be(8)? as f64),
            0xd3 => Value::Number(self.be(8)? as i64 as f64),
            0xc0 => Value::Nil,
            0xc3 => Value::Boolean(true),
            0xc2 => Value::Boolean(false),
            0xca => Value::Number(f32::from_bits(self.be(4)? as u32) as f64),
            0xcb => Value::Number(f64::from_bits(self.be(8)?)),
            0xd9 => {
                let n = self.be(1)? as usize;
                Value::String(lua.create_string(self.take(n)?)?)
            }
            0xda => {
                let n = self.be(2)? as usize;
                Value::String(lua.create_string(self.take(n)?)?)
            }
            0xdb => {
                let n = self.be(4)? as usize;
                Value::String(lua.create_string(self.take(n)?)?)
            }
            0xdc => {
                let n = self.be(2)? as usize;
                self.array(lua, n)?
            }
            0xdd => {
                let n = self.be(4)? as usize;
                self.array(lua, n)?
            }
            0xde => {
                let n = self.be(2)? as usize;
                self.map(lua, n)?
            }
            0xdf => {
                let n = self.be(4)? as usize;
                self.map(lua, n)?
            }
            t if t & 0x80 == 0 => Value::Number(t as f64),
            t if t & 0xe0 == 0xe0 => Value::Number(t as i8 as f64),
            t if t & 0xe0 == 0xa0 => {
                Value::String(lua.create_string(self.take((t & 0x1f) as usize)?)?)
            }
            t if t & 0xf0 == 0x90 => self.array(lua, (t & 0xf) as usize)?,
            t if t & 0xf0 == 0x80 => self.map(lua, (t & 0xf) as usize)?,
            _ => return Err(DecodeError::BadFormat),
        })
    }

    fn array(&mut self, lua: &Lua, n: usize) -> Result<Value, DecodeError> {
        let t = lua.create_table()?;
        for i in 1..=n {
            let v = self.value(lua)?;
            t.raw_set(i, v)?;
        }
        Ok(Value::Table(t))
    }

    fn map(&mut self, lua: &Lua, n: usize) -> Result<Value, DecodeError> {
        let t = lua.create_table()?;
        for _ in 0..n {
            let k = self.value(lua)?;
            let v = self.value(lua)?;
            if !k.is_nil() {
                t.raw_set(k, v)?;
            }
        }
        Ok(Value::Table(t))
    }
}

/// mp_unpack_full: `limit` values from `offset` (0 and 0: all, without an
/// offset in front).
fn unpack(lua: &Lua, s: &[u8], limit: i64, offset: i64) -> mlua::Result<MultiValue> {
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(lua_error(
            lua,
            format!(
                "Invalid request to unpack with offset of {} and limit of {}.",
                offset as i32,
                s.len() as i32
            ),
        ));
    }
    if offset as usize > s.len() {
        return Err(lua_error(
            lua,
            format!(
                "Start offset {} greater than input length {}.",
                offset as i32,
                s.len() as i32
            ),
        ));
    }
    let limit = if decode_all { i64::MAX } else { limit };
    let mut c = Cursor {
        s,
        pos: offset as usize,
    };
    let mut values = Vec::new();
    while c.pos < s.len() && (values.len() as i64) < limit {
        match c.value(lua) {
            Ok(v) => values.push(v),
            Err(DecodeError::Eof) => return Err(lua_error(lua, "Missing bytes in input.")),
            Err(DecodeError::BadFormat) => return Err(lua_error(lua, "Bad data format in input.")),
            Err(DecodeError::Lua(e)) => return Err(e),
        }
    }
    if !decode_all {
        let next = if c.pos == s.len() { -1 } else { c.pos as i64 };
        values.insert(0, Value::Number(next as f64));
    }
    Ok(MultiValue::from_vec(values))
}
