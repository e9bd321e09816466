//! Between Redis replies and Lua values, as 7.0's script_lua.c converts
//! them: `redisProtocolToLuaType` for what `redis.call` returns,
//! `luaReplyToRedisReply` for what a script returns.

use crate::resp::{format_double, Frame, ReplyBuf};
use mlua::{Lua, Table, Value};

/// A command's reply as the Lua value `redis.call` gives the script. `resp`
/// is the protocol the script asked for (`redis.setresp`): in RESP2 a null
/// is `false`, in RESP3 `nil`.
pub fn frame_to_lua(lua: &Lua, f: Frame, resp: u8) -> mlua::Result<Value> {
    Ok(match f {
        Frame::Integer(i) => Value::Number(i as f64),
        Frame::Bulk(b) => Value::String(lua.create_string(&b)?),
        Frame::Null if resp == 2 => Value::Boolean(false),
        Frame::Null => Value::Nil,
        Frame::Simple(s) => single(lua, "ok", Value::String(lua.create_string(&s)?))?,
        Frame::Error(s) => {
            let t = error_table(lua, &format!("-{s}"))?;
            // Already counted when the command failed.
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        Frame::Array(items) | Frame::Push(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                t.raw_set(i + 1, frame_to_lua(lua, item, resp)?)?;
            }
            Value::Table(t)
        }
        Frame::Map(pairs) => {
            let m = lua.create_table()?;
            for (k, v) in pairs {
                m.raw_set(frame_to_lua(lua, k, resp)?, frame_to_lua(lua, v, resp)?)?;
            }
            single(lua, "map", Value::Table(m))?
        }
        Frame::Set(items) => {
            let s = lua.create_table()?;
            for item in items {
                s.raw_set(frame_to_lua(lua, item, resp)?, true)?;
            }
            single(lua, "set", Value::Table(s))?
        }
        Frame::Double(d) => single(lua, "double", Value::Number(d))?,
        Frame::Boolean(b) => Value::Boolean(b),
        Frame::BigNumber(s) => single(lua, "big_number", Value::String(lua.create_string(&s)?))?,
        Frame::Verbatim(format, text) => {
            let v = lua.create_table()?;
            v.raw_set("string", lua.create_string(&text)?)?;
            v.raw_set("format", lua.create_string(&format)?)?;
            single(lua, "verbatim_string", Value::Table(v))?
        }
    })
}

fn single(lua: &Lua, field: &str, v: Value) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(field, v)?;
    Ok(Value::Table(t))
}

/// luaPushErrorBuff: `-CODE msg` keeps its code, a bare message gets `ERR`;
/// the result is `{err = "CODE msg"}`.
pub fn error_table(lua: &Lua, s: &str) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", error_text(s))?;
    Ok(t)
}

pub fn error_text(s: &str) -> String {
    let (code, msg) = match s.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code, msg),
            None => ("ERR", rest),
        },
        None => ("ERR", s),
    };
    format!("{code} {}", msg.trim_matches(|c| c == '\r' || c == '\n'))
}

/// A script's return value as the caller's reply. `script_resp` is the
/// protocol the script ended with (booleans follow it).
/// How deep a reply may nest. 7.0 stops where Lua's stack (LUAI_MAXCSTACK,
/// 8000 slots) runs out, after 7995 levels of arrays; we stop sooner, at
/// 1000, so the conversion's recursion stays well inside the thread's stack
/// (and inside the slots mlua's references take).
const MAX_NESTING: usize = 1000;

/// Error replies written that count as new errors go to `errors`.
pub fn lua_to_reply(
    v: &Value,
    out: &mut ReplyBuf,
    script_resp: u8,
    errors: &mut Vec<String>,
) -> mlua::Result<()> {
    to_reply(v, out, script_resp, errors, 0)
}

fn to_reply(
    v: &Value,
    out: &mut ReplyBuf,
    script_resp: u8,
    errors: &mut Vec<String>,
    depth: usize,
) -> mlua::Result<()> {
    if depth >= MAX_NESTING {
        out.error("ERR reached lua stack limit");
        errors.push("ERR reached lua stack limit".into());
        return Ok(());
    }
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp == 2 {
                if *b {
                    out.int(1)
                } else {
                    out.null()
                }
            } else {
                out.boolean(*b)
            }
        }
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(*n as i64),
        Value::Table(t) => table_to_reply(t, out, script_resp, errors, depth)?,
        _ => out.null(),
    }
    Ok(())
}

/// The single-field tables (err, ok, double, big_number, verbatim_string):
/// written and true, or false for a map, set or array. Kept apart so the
/// recursion's frames stay small.
#[inline(never)]
fn special_reply(t: &Table, out: &mut ReplyBuf, errors: &mut Vec<String>) -> mlua::Result<bool> {
    if let Value::String(e) = t.raw_get::<Value>("err")? {
        let msg = String::from_utf8_lossy(&e.as_bytes()).into_owned();
        out.error(&msg);
        if !matches!(
            t.raw_get::<Value>("ignore_error_stats_update")?,
            Value::Boolean(true)
        ) {
            errors.push(msg);
        }
        return Ok(true);
    }
    if let Value::String(s) = t.raw_get::<Value>("ok")? {
        let s = String::from_utf8_lossy(&s.as_bytes()).replace(['\r', '\n'], " ");
        out.simple(&s);
        return Ok(true);
    }
    if let Value::Number(d) = t.raw_get::<Value>("double")? {
        out.double(d);
        return Ok(true);
    }
    if let Value::String(s) = t.raw_get::<Value>("big_number")? {
        let s = String::from_utf8_lossy(&s.as_bytes()).replace(['\r', '\n'], " ");
        if out.is_resp3() {
            out.raw(format!("({s}\r\n").as_bytes());
        } else {
            out.bulk(s.as_bytes());
        }
        return Ok(true);
    }
    if let Value::Table(v) = t.raw_get::<Value>("verbatim_string")? {
        if let (Value::String(format), Value::String(text)) =
            (v.raw_get::<Value>("format")?, v.raw_get::<Value>("string")?)
        {
            let text = text.as_bytes();
            if out.is_resp3() {
                let format = format.as_bytes();
                let mut head = format!("={}\r\n", text.len() + 4).into_bytes();
                head.extend_from_slice(&format[..format.len().min(3)]);
                head.push(b':');
                out.raw(&head);
                out.raw(&text);
                out.raw(b"\r\n");
            } else {
                out.bulk(&text);
            }
            return Ok(true);
        }
    }
    Ok(false)
}

fn table_to_reply(
    t: &Table,
    out: &mut ReplyBuf,
    script_resp: u8,
    errors: &mut Vec<String>,
    depth: usize,
) -> mlua::Result<()> {
    let depth = depth + 1;
    if special_reply(t, out, errors)? {
        return Ok(());
    }
    if let Value::Table(m) = t.raw_get::<Value>("map")? {
        // Counted, then walked: values held from Rust take Lua stack slots.
        let mut n = 0;
        m.for_each::<Value, Value>(|_, _| {
            n += 1;
            Ok(())
        })?;
        out.map(n);
        m.for_each::<Value, Value>(|k, v| {
            to_reply(&k, out, script_resp, errors, depth)?;
            to_reply(&v, out, script_resp, errors, depth)
        })?;
        return Ok(());
    }
    if let Value::Table(s) = t.raw_get::<Value>("set")? {
        let mut n = 0;
        s.for_each::<Value, Value>(|_, _| {
            n += 1;
            Ok(())
        })?;
        out.set(n);
        s.for_each::<Value, Value>(|k, _| to_reply(&k, out, script_resp, errors, depth))?;
        return Ok(());
    }
    // An array: up to the first nil.
    let mut n = 0;
    while !t.raw_get::<Value>(n + 1)?.is_nil() {
        n += 1;
    }
    out.array(n);
    for i in 1..=n {
        to_reply(&t.raw_get::<Value>(i)?, out, script_resp, errors, depth)?;
    }
    Ok(())
}

/// An argument of `redis.call`: strings as they are, numbers as `%.17g`
/// (Lua's own conversion loses precision); anything else is refused.
pub fn lua_to_arg(v: &Value) -> Option<bytes::Bytes> {
    match v {
        Value::String(s) => Some(bytes::Bytes::copy_from_slice(&s.as_bytes())),
        Value::Integer(i) => Some(bytes::Bytes::from(i.to_string())),
        Value::Number(n) => Some(bytes::Bytes::from(format_double(*n))),
        _ => None,
    }
}
