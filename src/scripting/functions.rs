//! Functions (7.0's functions.c + function_lua.c): libraries loaded with
//! FUNCTION LOAD, each registering named functions that FCALL runs. They
//! live in a Lua VM of their own, as in 7.0.

use super::engine::{lua_message, Vm};
use super::shebang::flag;
use bytes::Bytes;
use mlua::{Function, Table, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A registered function.
pub struct FunctionInfo {
    pub name: String,
    pub desc: Option<String>,
    /// `shebang::flag` bits.
    pub flags: u32,
    pub func: Function,
}

/// A loaded library: its whole code (shebang included) and its functions.
pub struct Library {
    pub name: String,
    pub code: Bytes,
    pub functions: BTreeMap<String, FunctionInfo>,
}

/// Every loaded library, and which library each function belongs to.
#[derive(Default)]
pub struct Libraries {
    pub libraries: BTreeMap<String, Library>,
    /// Function names (lower-case: FCALL is case-insensitive, as 7.0's
    /// function dict) to (library, name as registered).
    owner: BTreeMap<String, (String, String)>,
}

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// functionsVerifyName: `[a-zA-Z0-9_]+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// functionExtractLibMetaData: (engine, name, code after the shebang line).
fn metadata(code: &[u8]) -> Result<(String, String, &[u8]), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    // sdssplitargs: quotes allowed (`name="foo"`).
    let parts: Vec<String> = crate::resp::split_args(&code[..end])
        .unwrap_or_default()
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let Some(first) = parts.first() else {
        return Err("Invalid library metadata".into());
    };
    let engine = first.get(2..).unwrap_or("").to_string();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case("name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_string());
            continue;
        }
        return Err(format!("Invalid metadata value given: {part}"));
    }
    let name = name.ok_or("Library name was not given")?;
    Ok((engine, name, &code[end..]))
}

fn parse_flags(flags: &Table) -> Result<u32, String> {
    let mut bits = 0;
    for f in flags.sequence_values::<String>() {
        let f = f.map_err(|_| "unknown flag given".to_string())?;
        match flag::NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(&f)) {
            Some((b, _)) => bits |= b,
            None => return Err("unknown flag given".into()),
        }
    }
    Ok(bits)
}

impl Libraries {
    pub fn function(&self, name: &str) -> Option<&FunctionInfo> {
        let (lib, name) = self.owner.get(&name.to_ascii_lowercase())?;
        self.libraries.get(lib)?.functions.get(name)
    }

    pub fn function_count(&self) -> usize {
        self.owner.len()
    }

    pub fn clear(&mut self) {
        self.libraries.clear();
        self.owner.clear();
    }

    pub fn delete(&mut self, name: &str) -> bool {
        let Some(lib) = self.libraries.remove(name) else {
            return false;
        };
        for f in lib.functions.keys() {
            self.owner.remove(&f.to_ascii_lowercase());
        }
        true
    }

    /// What the code and the functions take (`used_memory_scripts_func`
    /// counts 7.0's structures; ours are the names, code and descriptions).
    pub fn memory(&self) -> usize {
        self.libraries
            .values()
            .map(|l| {
                l.name.len()
                    + l.code.len()
                    + l.functions
                        .values()
                        .map(|f| f.name.len() + f.desc.as_ref().map_or(0, |d| d.len()) + 64)
                        .sum::<usize>()
            })
            .sum()
    }

    /// functionsCreateWithLibraryCtx: load `code` into `vm`, replacing a
    /// library of the same name only if `replace`. The library's name, or
    /// the error reply's text (without `ERR `).
    /// `clock` is the host's (µs); without one time is counted in
    /// instructions, as for scripts.
    pub fn load(
        &mut self,
        vm: &Vm,
        code: &Bytes,
        replace: bool,
        clock: Option<Rc<dyn Fn() -> u64>>,
    ) -> Result<String, String> {
        let (engine, name, body) = metadata(code)?;
        if !valid_name(&name) {
            return Err(BAD_NAME.into());
        }
        if !engine.eq_ignore_ascii_case("lua") {
            return Err(format!("Engine '{engine}' not found"));
        }
        if self.libraries.contains_key(&name) && !replace {
            return Err(format!("Library '{name}' already exists"));
        }
        let chunk = vm
            .compile_library(body)
            .map_err(|e| format!("Error compiling function: {e}"))?;
        let functions = register_functions(vm, chunk, clock)?;
        if functions.is_empty() {
            return Err("No functions registered".into());
        }
        for f in functions.keys() {
            if self
                .owner
                .get(&f.to_ascii_lowercase())
                .is_some_and(|(lib, _)| *lib != name)
            {
                return Err(format!("Function {f} already exists"));
            }
        }
        self.delete(&name);
        for f in functions.keys() {
            self.owner
                .insert(f.to_ascii_lowercase(), (name.clone(), f.clone()));
        }
        self.libraries.insert(
            name.clone(),
            Library {
                name: name.clone(),
                code: code.clone(),
                functions,
            },
        );
        Ok(name)
    }
}

/// FUNCTION LOAD's time limit for running a library's code (LOAD_TIMEOUT_MS).
const LOAD_TIMEOUT_MS: u64 = 500;

/// Run a library's code with `redis.register_function` collecting, for at
/// most [`LOAD_TIMEOUT_MS`] (luaEngineLoadHook).
fn register_functions(
    vm: &Vm,
    chunk: Function,
    clock: Option<Rc<dyn Fn() -> u64>>,
) -> Result<BTreeMap<String, FunctionInfo>, String> {
    let registered = RefCell::new(BTreeMap::new());
    let lua = &vm.lua;
    let start = clock.as_ref().map_or(0, |c| c());
    let periods = std::cell::Cell::new(0u64);
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(100_000),
        move |lua, _| {
            periods.set(periods.get() + 1);
            let elapsed = match &clock {
                Some(c) => c().saturating_sub(start) / 1000,
                None => periods.get(),
            };
            if elapsed > LOAD_TIMEOUT_MS {
                let timeout = || mlua::Error::RuntimeError("FUNCTION LOAD timeout".into());
                lua.set_hook(mlua::HookTriggers::EVERY_LINE, move |_, _| Err(timeout()))?;
                return Err(timeout());
            }
            Ok(mlua::VmState::Continue)
        },
    )
    .map_err(|e| lua_message(&e))?;
    let outcome = lua.scope(|scope| {
        vm.hooks.raw_set(
            "register",
            scope.create_function(
                |_, (name, desc, cb, flags): (String, Option<String>, Function, Table)| {
                    let flags = match parse_flags(&flags) {
                        Ok(f) => f,
                        Err(e) => return Ok(Some(e)),
                    };
                    if !valid_name(&name) {
                        return Ok(Some(BAD_NAME.to_string()));
                    }
                    let mut reg = registered.borrow_mut();
                    if reg.contains_key(&name) {
                        return Ok(Some("Function already exists in the library".into()));
                    }
                    reg.insert(
                        name.clone(),
                        FunctionInfo {
                            name,
                            desc,
                            flags,
                            func: cb,
                        },
                    );
                    Ok(None)
                },
            )?,
        )?;
        vm.set_loading.call::<()>(true)?;
        let pcall: Function = lua.globals().raw_get("pcall")?;
        let r = pcall.call::<(bool, Value)>(chunk);
        vm.set_loading.call::<()>(false)?;
        r
    });
    vm.hooks.raw_set("register", Value::Nil).ok();
    lua.remove_hook();
    vm.run_slot.hook_replaced();
    let (ok, err) =
        outcome.map_err(|e| format!("Error registering functions: ERR {}", lua_message(&e)))?;
    if !ok {
        let msg = match err {
            Value::String(s) => format!("ERR {}", String::from_utf8_lossy(&s.as_bytes())),
            Value::Error(e) => format!("ERR {}", lua_message(&e)),
            Value::Table(t) => match t.raw_get::<Value>("err") {
                Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        return Err(format!("Error registering functions: {msg}"));
    }
    Ok(registered.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_metadata() {
        assert_eq!(
            metadata(b"return 1").unwrap_err(),
            "Missing library metadata"
        );
        assert_eq!(
            metadata(b"#!lua name=x").unwrap_err(),
            "Invalid library metadata"
        );
        assert_eq!(
            metadata(b"#!lua\n").unwrap_err(),
            "Library name was not given"
        );
        assert_eq!(
            metadata(b"#!lua name=a x=1\n").unwrap_err(),
            "Invalid metadata value given: x=1"
        );
        let (engine, name, code) = metadata(b"#!LUA name=lib\nreturn").unwrap();
        assert_eq!(
            (engine.as_str(), name.as_str(), code),
            ("LUA", "lib", &b"\nreturn"[..])
        );
        assert!(valid_name("a_1") && !valid_name("a-1") && !valid_name(""));
    }
}
