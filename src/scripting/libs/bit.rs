//! LuaBitOp's `bit` library: 32-bit operations on Lua numbers.

use mlua::{Lua, Table, Value};

/// LuaBitOp's argument conversion: numbers wrap to 32 bits (it adds
/// 2^52 + 2^51 and takes the low word, which rounds to nearest).
fn tobit(v: &Value, n: usize, fname: &str) -> mlua::Result<i32> {
    let x = match v {
        Value::Integer(i) => *i as f64,
        Value::Number(x) => *x,
        Value::String(s) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or_else(|| bad_arg(n, fname, "string"))?,
        other => return Err(bad_arg(n, fname, other.type_name())),
    };
    let b = x + 6755399441055744.0; // 2^52 + 2^51
    Ok(b.to_bits() as u32 as i32)
}

fn bad_arg(n: usize, fname: &str, got: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!(
        "bad argument #{n} to '{fname}' (number expected, got {got})"
    ))
}

pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let arg = |lua: &Lua, args: &mlua::Variadic<Value>, i: usize, f: &str| -> mlua::Result<i32> {
        super::positioned(lua, tobit(args.get(i).unwrap_or(&Value::Nil), i + 1, f))
    };
    t.set(
        "tobit",
        lua.create_function(move |lua, a: mlua::Variadic<Value>| arg(lua, &a, 0, "tobit"))?,
    )?;
    t.set(
        "bnot",
        lua.create_function(move |lua, a: mlua::Variadic<Value>| Ok(!arg(lua, &a, 0, "bnot")?))?,
    )?;
    type Fold = fn(i32, i32) -> i32;
    for (name, op) in [
        ("band", (|a, b| a & b) as Fold),
        ("bor", |a, b| a | b),
        ("bxor", |a, b| a ^ b),
    ] {
        t.set(
            name,
            lua.create_function(move |lua, a: mlua::Variadic<Value>| {
                let mut acc = arg(lua, &a, 0, name)?;
                for i in 1..a.len() {
                    acc = op(acc, arg(lua, &a, i, name)?);
                }
                Ok(acc)
            })?,
        )?;
    }
    type Shift = fn(i32, u32) -> i32;
    for (name, op) in [
        (
            "lshift",
            (|a: i32, n| (a as u32).wrapping_shl(n) as i32) as Shift,
        ),
        ("rshift", |a, n| (a as u32).wrapping_shr(n) as i32),
        ("arshift", |a, n| a.wrapping_shr(n)),
        ("rol", |a, n| (a as u32).rotate_left(n) as i32),
        ("ror", |a, n| (a as u32).rotate_right(n) as i32),
    ] {
        t.set(
            name,
            lua.create_function(move |lua, a: mlua::Variadic<Value>| {
                let x = arg(lua, &a, 0, name)?;
                let n = arg(lua, &a, 1, name)? as u32 & 31;
                Ok(op(x, n))
            })?,
        )?;
    }
    t.set(
        "bswap",
        lua.create_function(move |lua, a: mlua::Variadic<Value>| {
            Ok(arg(lua, &a, 0, "bswap")?.swap_bytes())
        })?,
    )?;
    t.set(
        "tohex",
        lua.create_function(move |lua, a: mlua::Variadic<Value>| {
            let x = arg(lua, &a, 0, "tohex")? as u32;
            let mut n = if a.len() > 1 {
                arg(lua, &a, 1, "tohex")?
            } else {
                8
            };
            let upper = n < 0;
            if upper {
                n = -n;
            }
            let n = n.clamp(1, 8) as usize;
            let s = if upper {
                format!("{x:08X}")
            } else {
                format!("{x:08x}")
            };
            Ok(s[8 - n..].to_string())
        })?,
    )?;
    Ok(t)
}
