//! The Lua VM: creating it with the sandbox (`sandbox.lua`), compiling
//! scripts, and what stays in it between runs.

use super::rand48::Rand48;
use crate::commands::sha1;
use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// One Lua interpreter with Redis's environment in it.
pub struct Vm {
    pub lua: Lua,
    /// The globals scripts see (a read-only proxy).
    pub env: Table,
    /// The table behind `env`: KEYS and ARGV are set here.
    pub globals: Table,
    /// Where a run installs `call`, `log`, `setresp`, `set_repl`.
    pub hooks: Table,
    /// `run(f, keys, args, is_function)`: xpcall with the error handler.
    pub runner: Function,
    /// The environment of function libraries (FUNCTION LOAD).
    pub fenv: Table,
    /// `set_loading(bool)`: library code sees the load-time API or the full one.
    pub set_loading: Function,
    /// `math.random`'s generator; it survives SCRIPT FLUSH as in 7.0.
    pub rand: Rc<Cell<Rand48>>,
}

/// The registry name of the per-run hooks table.
const HOOKS: &str = "redis.hooks";

/// The chunk name of scripts, as errors print it (`@user_script:1`).
pub const SCRIPT_CHUNK: &str = "@user_script";

impl Vm {
    pub fn new(rand: Rc<Cell<Rand48>>) -> mlua::Result<Vm> {
        // The debug library is needed by the error handler; scripts never see it.
        // SAFETY: `debug` is only reachable from the sandbox's own code.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::default(),
            )
        };
        let prims = lua.create_table()?;
        let r = rand.clone();
        prims.set(
            "random",
            lua.create_function(move |_, ()| {
                let mut g = r.get();
                let v = g.next_f64();
                r.set(g);
                Ok(v)
            })?,
        )?;
        let r = rand.clone();
        prims.set(
            "randomseed",
            lua.create_function(move |_, seed: i64| {
                r.set(Rand48::seed(seed as i32));
                Ok(())
            })?,
        )?;
        prims.set(
            "sha1hex",
            lua.create_function(|_, s: Option<mlua::String>| {
                let b = s.map(|s| s.as_bytes().to_vec()).unwrap_or_default();
                Ok(sha1::hex(&sha1::sha1(&b)))
            })?,
        )?;
        prims.set(
            "log",
            lua.create_function(|_, (_l, _m): (i64, Value)| Ok(()))?,
        )?;
        prims.set(
            "command_exists",
            lua.create_function(|_, name: Value| {
                Ok(match name {
                    Value::String(s) => crate::server::command_table().get(&s.as_bytes()).is_some(),
                    _ => false,
                })
            })?,
        )?;
        let raised = Rc::new(RefCell::new(None::<mlua::RegistryKey>));
        let slot = raised.clone();
        prims.set(
            "take_error",
            lua.create_function(move |lua, ()| match slot.borrow_mut().take() {
                Some(key) => lua.registry_value::<Value>(&key),
                None => Ok(Value::Nil),
            })?,
        )?;
        // A Rust function's error reaches Lua as userdata: scripts see its text.
        prims.set(
            "error_message",
            lua.create_function(|lua, v: Value| {
                Ok(match v {
                    Value::Error(e) => Value::String(lua.create_string(lua_message(&e))?),
                    other => other,
                })
            })?,
        )?;
        // redis.call and redis.pcall: Rust functions, so `return redis.call(...)`
        // is no tail call (errors name the script's line) and a call with
        // thousands of arguments is not copied onto Lua's stack again.
        for (name, raise) in [("call", true), ("pcall", false)] {
            let slot = raised.clone();
            prims.set(
                name,
                lua.create_function(move |lua, args: mlua::MultiValue| {
                    let (is_err, v) = redis_call(lua, args)?;
                    if !is_err || !raise {
                        return Ok(v);
                    }
                    // Raised as a Lua value: the sandbox's handlers take it back.
                    *slot.borrow_mut() = Some(lua.create_registry_value(v)?);
                    Err(mlua::Error::RuntimeError("redis error reply".into()))
                })?,
            )?;
        }
        prims.set("version", crate::REDIS_VERSION)?;
        prims.set("version_num", version_num(crate::REDIS_VERSION))?;
        super::libs::install(&lua, &prims)?;
        let (env, hooks, runner, _protect, globals, fenv, set_loading): (
            Table,
            Table,
            Function,
            Function,
            Table,
            Table,
            Function,
        ) = lua
            .load(include_str!("sandbox.lua"))
            .set_name("=sandbox")
            .call(prims)?;
        lua.set_named_registry_value(HOOKS, hooks.clone())?;
        // The thread's own globals keep only what the sandbox needs.
        for name in [
            "print", "dofile", "loadfile", "getfenv", "setfenv", "newproxy", "debug",
        ] {
            lua.globals().raw_set(name, Value::Nil)?;
        }
        Ok(Vm {
            lua,
            env,
            globals,
            hooks,
            runner,
            fenv,
            set_loading,
            rand,
        })
    }

    /// Compile a script's body (after its shebang line, keeping the line
    /// feed) as 7.0's luaCreateFunction: `Err` is the compiler's message.
    pub fn compile(&self, code: &[u8]) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name(SCRIPT_CHUNK)
            .set_mode(mlua::ChunkMode::Text)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| lua_message(&e))
    }

    /// Compile a function library's code (FUNCTION LOAD's `@user_function`).
    pub fn compile_library(&self, code: &[u8]) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name("@user_function")
            .set_mode(mlua::ChunkMode::Text)
            .set_environment(self.fenv.clone())
            .into_function()
            .map_err(|e| lua_message(&e))
    }

    /// Bytes the VM holds (`used_memory_lua`, `used_memory_vm_eval`).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }
}

/// The arguments of `redis.call` / `redis.pcall`, handed to the run's hook.
pub struct Argv(pub Vec<bytes::Bytes>);

/// Convert the arguments (luaArgsToRedisArgv) and run the command through
/// the running script's hook: (is the reply an error, its Lua value).
fn redis_call(lua: &Lua, args: mlua::MultiValue) -> mlua::Result<(bool, Value)> {
    use super::convert::{error_table, lua_to_arg};
    let fail = |msg: &str| Ok((true, Value::Table(error_table(lua, msg)?)));
    let hooks: Table = lua.named_registry_value(HOOKS)?;
    let Value::Function(hook) = hooks.raw_get::<Value>("call")? else {
        return fail("redis.call/pcall can only be called inside a script invocation");
    };
    if args.is_empty() {
        return fail("Please specify at least one argument for this redis lib call");
    }
    let Some(argv) = args.iter().map(lua_to_arg).collect::<Option<Vec<_>>>() else {
        return fail("Lua redis lib command arguments must be strings or integers");
    };
    drop(args);
    hook.call(lua.create_any_userdata(Argv(argv))?)
}

/// The text Lua gave for an error, without mlua's decoration.
pub fn lua_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_message(cause),
        other => other.to_string(),
    }
}

/// REDIS_VERSION_NUM: 0x00MMmmpp.
fn version_num(v: &str) -> i64 {
    let mut n = 0;
    for part in v.split('.').take(3) {
        n = (n << 8) | part.parse::<i64>().unwrap_or(0);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_number() {
        assert_eq!(version_num("7.0.15"), 0x07000f);
    }
}
