//! Roberto Ierusalimschy's `struct` library as Redis bundles it:
//! `struct.pack`, `struct.unpack`, `struct.size` over format strings
//! (`<` `>` endianness, `!n` alignment, `bBhHlLTiIn` integers, `f` `d`,
//! `cn` / `c0` / `s` strings, `x` padding), for a 64-bit little-endian host.

use super::lua_error;
use mlua::{Lua, MultiValue, Table, Value, Variadic};

const MAXINTSIZE: usize = 32;
/// The largest alignment `!` takes without a number (a double's padding).
const MAXALIGN: usize = 8;

#[derive(Clone, Copy)]
struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            little: true,
            align: 1,
        }
    }
}

struct Format<'a> {
    f: &'a [u8],
    i: usize,
    /// The library function reading it, for error messages.
    fname: &'static str,
}

impl Format<'_> {
    fn num(&mut self, lua: &Lua, default: usize) -> mlua::Result<usize> {
        if !self.f.get(self.i).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: usize = 0;
        while let Some(d) = self.f.get(self.i).filter(|d| d.is_ascii_digit()) {
            a = a
                .checked_mul(10)
                .and_then(|a| a.checked_add((d - b'0') as usize))
                .filter(|&a| a <= i32::MAX as usize)
                .ok_or_else(|| lua_error(lua, "integral size overflow"))?;
            self.i += 1;
        }
        Ok(a)
    }

    /// optsize: the size an option takes (0 for control options).
    fn size(&mut self, lua: &Lua, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.num(lua, 1)?,
            b'i' | b'I' => {
                let sz = self.num(lua, 4)?;
                if sz > MAXINTSIZE {
                    return Err(lua_error(
                        lua,
                        format!("integral size {sz} is larger than limit of {MAXINTSIZE}"),
                    ));
                }
                sz
            }
            _ => 0,
        })
    }

    fn control(&mut self, lua: &Lua, opt: u8, h: &mut Header) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                let a = self.num(lua, MAXALIGN)?;
                if !a.is_power_of_two() {
                    return Err(lua_error(lua, format!("alignment {a} is not a power of 2")));
                }
                h.align = a;
            }
            _ => {
                return Err(lua_error(
                    lua,
                    format!(
                        "bad argument #1 to '{}' (invalid format option '{}')",
                        self.fname, opt as char
                    ),
                ))
            }
        }
        Ok(())
    }
}

fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

fn number(lua: &Lua, v: Option<&Value>, n: usize, fname: &str) -> mlua::Result<f64> {
    match v {
        Some(Value::Integer(i)) => Ok(*i as f64),
        Some(Value::Number(x)) => Ok(*x),
        Some(Value::String(s)) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| {
                lua_error(
                    lua,
                    format!("bad argument #{n} to '{fname}' (number expected, got string)"),
                )
            }),
        other => Err(lua_error(
            lua,
            format!(
                "bad argument #{n} to '{fname}' (number expected, got {})",
                other.map_or("no value", |v| v.type_name())
            ),
        )),
    }
}

fn pack(lua: &Lua, args: Variadic<Value>) -> mlua::Result<mlua::BString> {
    let Some(Value::String(fmt)) = args.first() else {
        return Err(lua_error(
            lua,
            "bad argument #1 to 'pack' (string expected)",
        ));
    };
    let fmt = fmt.as_bytes().to_vec();
    let mut f = Format {
        f: &fmt,
        i: 0,
        fname: "pack",
    };
    let mut h = Header::default();
    let mut out = Vec::new();
    let mut arg = 1;
    while f.i < f.f.len() {
        let opt = f.f[f.i];
        f.i += 1;
        let mut size = f.size(lua, opt)?;
        let pad = to_align(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = number(lua, args.get(arg), arg + 1, "pack")?;
                arg += 1;
                let v: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
                let mut bytes: Vec<u8> = (0..size)
                    .map(|i| if i < 8 { (v >> (8 * i)) as u8 } else { 0 })
                    .collect();
                if !h.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let x = number(lua, args.get(arg), arg + 1, "pack")? as f32;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    x.to_le_bytes()
                } else {
                    x.to_be_bytes()
                });
            }
            b'd' => {
                let x = number(lua, args.get(arg), arg + 1, "pack")?;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    x.to_le_bytes()
                } else {
                    x.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = match args.get(arg) {
                    Some(Value::String(s)) => s.as_bytes().to_vec(),
                    Some(Value::Integer(i)) => i.to_string().into_bytes(),
                    Some(Value::Number(x)) => crate::resp::format_double(*x).into_bytes(),
                    other => {
                        return Err(lua_error(
                            lua,
                            format!(
                                "bad argument #{} to 'pack' (string expected, got {})",
                                arg + 1,
                                other.map_or("no value", |v| v.type_name())
                            ),
                        ))
                    }
                };
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(lua_error(
                        lua,
                        format!("bad argument #{} to 'pack' (string too short)", arg + 1),
                    ));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(lua, opt, &mut h)?,
        }
    }
    Ok(mlua::BString::from(out))
}

fn unpack(
    lua: &Lua,
    (fmt, data, pos): (mlua::String, mlua::String, Option<i64>),
) -> mlua::Result<MultiValue> {
    let fmt = fmt.as_bytes().to_vec();
    let data = data.as_bytes().to_vec();
    let pos = pos.unwrap_or(1);
    if pos <= 0 {
        return Err(lua_error(
            lua,
            "bad argument #3 to 'unpack' (offset must be 1 or greater)",
        ));
    }
    let mut pos = (pos - 1) as usize;
    let ld = data.len();
    let mut f = Format {
        f: &fmt,
        i: 0,
        fname: "unpack",
    };
    let mut h = Header::default();
    let mut out: Vec<Value> = Vec::new();
    let short = || lua_error(lua, "bad argument #2 to 'unpack' (data string too short)");
    while f.i < f.f.len() {
        let opt = f.f[f.i];
        f.i += 1;
        let mut size = f.size(lua, opt)?;
        pos += to_align(pos, &h, opt, size);
        if size > ld || pos > ld - size {
            return Err(short());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let mut bytes = data[pos..pos + size].to_vec();
                if !h.little {
                    bytes.reverse();
                }
                let mut l: u64 = 0;
                for (i, b) in bytes.iter().enumerate().take(8) {
                    l |= (*b as u64) << (8 * i);
                }
                let value = if opt.is_ascii_lowercase() && size > 0 && size <= 8 {
                    let shift = 64 - 8 * size as u32;
                    ((l << shift) as i64 >> shift) as f64
                } else {
                    l as f64
                };
                out.push(Value::Number(value));
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[pos..pos + 4].try_into().expect("4 bytes");
                let x = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                out.push(Value::Number(x as f64));
            }
            b'd' => {
                let b: [u8; 8] = data[pos..pos + 8].try_into().expect("8 bytes");
                let x = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                out.push(Value::Number(x));
            }
            b'c' => {
                if size == 0 {
                    let Some(Value::Number(n)) = out.pop() else {
                        return Err(lua_error(lua, "format 'c0' needs a previous size"));
                    };
                    size = n as usize;
                    if size > ld || pos > ld - size {
                        return Err(short());
                    }
                }
                out.push(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(lua_error(lua, "unfinished string in data"));
                };
                out.push(Value::String(lua.create_string(&data[pos..pos + end])?));
                size = end + 1;
            }
            _ => f.control(lua, opt, &mut h)?,
        }
        pos += size;
    }
    out.push(Value::Number((pos + 1) as f64));
    Ok(MultiValue::from_vec(out))
}

fn size(lua: &Lua, fmt: mlua::String) -> mlua::Result<usize> {
    let fmt = fmt.as_bytes().to_vec();
    let mut f = Format {
        f: &fmt,
        i: 0,
        fname: "size",
    };
    let mut h = Header::default();
    let mut pos = 0;
    while f.i < f.f.len() {
        let opt = f.f[f.i];
        f.i += 1;
        let size = f.size(lua, opt)?;
        pos += to_align(pos, &h, opt, size);
        if opt == b's' {
            return Err(lua_error(
                lua,
                "bad argument #1 to 'size' (option 's' has no fixed size)",
            ));
        } else if opt == b'c' && size == 0 {
            return Err(lua_error(
                lua,
                "bad argument #1 to 'size' (option 'c0' has no fixed size)",
            ));
        }
        if !opt.is_ascii_alphanumeric() {
            f.control(lua, opt, &mut h)?;
        }
        pos += size;
    }
    Ok(pos)
}

pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set("unpack", lua.create_function(unpack)?)?;
    t.set("size", lua.create_function(size)?)?;
    Ok(t)
}
