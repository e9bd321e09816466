//! The libraries 7.0 loads into its Lua besides Lua's own, written in Rust:
//! `bit` (LuaBitOp), `cjson` (lua-cjson), `cmsgpack` (lua-cmsgpack) and
//! `struct` (lua-struct).

mod bit;
mod cjson;
mod cmsgpack;
mod structlib;

use mlua::{Lua, Table};

/// Add the libraries to `prims`, where the sandbox picks them up.
pub fn install(lua: &Lua, prims: &Table) -> mlua::Result<()> {
    prims.set("bit", bit::library(lua)?)?;
    prims.set("cjson", cjson::library(lua)?)?;
    prims.set("cmsgpack", cmsgpack::library(lua)?)?;
    prims.set("struct", structlib::library(lua)?)?;
    Ok(())
}

/// A library function's error as luaL_error makes it: prefixed with
/// `chunk:line:` of the Lua code that called the function, if any.
pub(crate) fn lua_error(lua: &Lua, msg: impl std::fmt::Display) -> mlua::Error {
    let at = lua
        .inspect_stack(1, |d| {
            let line = d.current_line()?;
            let src = d.source().short_src.map(|s| s.into_owned());
            Some(format!("{}:{line}: ", src.unwrap_or_default()))
        })
        .flatten()
        .unwrap_or_default();
    mlua::Error::RuntimeError(format!("{at}{msg}"))
}

/// `r` with its error positioned by [`lua_error`].
pub(crate) fn positioned<T>(lua: &Lua, r: mlua::Result<T>) -> mlua::Result<T> {
    r.map_err(|e| lua_error(lua, super::engine::lua_message(&e)))
}
