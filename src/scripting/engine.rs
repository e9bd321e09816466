//! The Lua VM: creating it with the sandbox (`sandbox.lua`), compiling
//! scripts, and what stays in it between runs.

use super::rand48::Rand48;
use crate::commands::sha1;
use mlua::{ffi, Function, Lua, LuaOptions, StdLib, Table, Value};
use std::cell::Cell;
use std::ffi::{c_char, c_int};
use std::rc::Rc;

/// One Lua interpreter with Redis's environment in it.
pub struct Vm {
    pub lua: Lua,
    /// The globals scripts see (a read-only proxy).
    pub env: Table,
    /// The table behind `env`: KEYS and ARGV are set here.
    pub globals: Table,
    /// The functions runs use (`call`, `log`, `setresp`, `set_repl`, ...).
    pub hooks: Table,
    /// `run(f, keys, args, is_function)`: xpcall with the error handler.
    pub runner: Function,
    /// [`run_script`], the one protected call of a run.
    pub run_script: Function,
    /// Where `redis.call` finds a value Rust made (slot 2), see
    /// [`super::run::direct_call`].
    pub call_box: Table,
    /// The environment of function libraries (FUNCTION LOAD).
    pub fenv: Table,
    /// `set_loading(bool)`: library code sees the load-time API or the full one.
    pub set_loading: Function,
    /// `math.random`'s generator; it survives SCRIPT FLUSH as in 7.0.
    pub rand: Rc<Cell<Rand48>>,
    /// Where the hook functions find the run in progress.
    pub run_slot: Rc<super::run::RunSlot>,
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
        // redis.call and redis.pcall work on Lua's stack directly: a call with
        // 7999 arguments must fit where 7.0's fits, `return redis.call(...)`
        // is no tail call (errors name the script's line), and a failing
        // redis.call raises the error table itself. Their upvalues: the
        // call box, the run slot (which knows the main thread).
        let run_slot: Rc<super::run::RunSlot> = Rc::default();
        let call_box = lua.create_table()?;
        // SAFETY: see `redis_call_raw`; the slot outlives every run (the
        // VM holds it, and runs hold the VM).
        let (call, pcall): (Function, Function) = unsafe {
            let slot = Rc::as_ptr(&run_slot) as *mut std::ffi::c_void;
            lua.exec_raw(&call_box, |l| {
                (*(slot as *const super::run::RunSlot)).main.set(l as usize);
                for f in [lua_redis_call as ffi::lua_CFunction, lua_redis_pcall] {
                    ffi::lua_pushvalue(l, 1);
                    ffi::lua_pushlightuserdata(l, slot);
                    ffi::lua_pushcclosure(l, f, 2);
                }
                ffi::lua_remove(l, 1);
            })?
        };
        prims.set("call", call)?;
        prims.set("pcall", pcall)?;
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
        // Start from what the environment holds, not the garbage of building it.
        // Its upvalues: the names KEYS and ARGV, made once (each push of a
        // C string would hash it again).
        // SAFETY: see `run_script`.
        let run_script: Function = unsafe {
            lua.exec_raw((), |l| {
                ffi::lua_pushstring_(l, c"KEYS".as_ptr());
                ffi::lua_pushstring_(l, c"ARGV".as_ptr());
                ffi::lua_pushcclosure(l, run_script, 2);
            })?
        };
        lua.gc_collect()?;
        lua.gc_collect()?;
        Ok(Vm {
            lua,
            env,
            globals,
            hooks,
            runner,
            run_script,
            call_box,
            fenv,
            set_loading,
            rand,
            run_slot,
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

/// What [`run_script`] builds KEYS and ARGV (or a function's two
/// arguments) from, handed over as a light userdata.
pub struct RunArgs<'a> {
    pub keys: &'a [bytes::Bytes],
    pub args: &'a [bytes::Bytes],
    /// EVAL: the tables become the globals KEYS and ARGV.
    pub eval: bool,
}

/// One run as a single C function, called as `run_script(runner, f,
/// globals, RunArgs)`: the KEYS / ARGV tables built as luaCreateArray
/// builds them, set as globals for EVAL, and `runner(f, keys, args,
/// is_function)` called; its two results (ok, value) are returned. Done
/// through mlua's API this took a protected call (two new C closures, in
/// Lua 5.1) per table and per global set: work, and garbage for the
/// collector, on every run.
///
/// # Safety
/// Called by Lua as a C function through mlua's protected `Function::call`.
/// Nothing that needs dropping is alive when Lua may jump out (the table
/// building may raise a memory error, the runner does not raise): the
/// arguments are borrowed from the caller's frame.
unsafe extern "C-unwind" fn run_script(l: *mut ffi::lua_State) -> c_int {
    let p = &*(ffi::lua_touserdata(l, 4) as *const RunArgs);
    ffi::lua_settop(l, 3);
    // 1 runner, 2 f, 3 globals; then 4 runner, 5 f, 6 keys, 7 args, 8 flag.
    ffi::lua_pushvalue(l, 1);
    ffi::lua_pushvalue(l, 2);
    for (items, name) in [(p.keys, 1), (p.args, 2)] {
        let name = ffi::lua_upvalueindex(name);
        if p.eval && refill_global_array(l, 3, name, items) {
            continue;
        }
        ffi::lua_createtable(l, items.len().try_into().unwrap_or(0), 0);
        for (i, b) in items.iter().enumerate() {
            ffi::lua_pushlstring(l, b.as_ptr() as *const c_char, b.len());
            ffi::lua_rawseti_(l, -2, (i + 1) as c_int);
        }
        if p.eval {
            // The globals table has no __newindex: a raw set is a set.
            ffi::lua_pushvalue(l, name);
            ffi::lua_pushvalue(l, -2);
            ffi::lua_rawset(l, 3);
        }
    }
    ffi::lua_pushboolean(l, (!p.eval) as c_int);
    ffi::lua_call(l, 4, 2);
    2
}

/// Push the table the global named by the string at index `name` holds,
/// refilled with `items`, if the
/// last run left it a plain array (no metatable, only the keys 1..n):
/// a script cannot tell it from a new one, and reusing it spares the
/// collector two tables per EVAL. False (nothing pushed) otherwise.
///
/// # Safety
/// As [`run_script`]: `globals` is an absolute index of a table.
unsafe fn refill_global_array(
    l: *mut ffi::lua_State,
    globals: c_int,
    name: c_int,
    items: &[bytes::Bytes],
) -> bool {
    ffi::lua_pushvalue(l, name);
    ffi::lua_rawget(l, globals);
    let t = ffi::lua_gettop(l);
    if ffi::lua_type(l, t) != ffi::LUA_TTABLE || ffi::lua_getmetatable(l, t) != 0 {
        ffi::lua_settop(l, t - 1);
        return false;
    }
    let (mut count, mut max) = (0usize, 0usize);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        ffi::lua_settop(l, -2);
        let n = if ffi::lua_type(l, -1) == ffi::LUA_TNUMBER {
            ffi::lua_tonumber(l, -1)
        } else {
            0.0
        };
        if n < 1.0 || n.fract() != 0.0 || n > (1u64 << 31) as f64 {
            ffi::lua_settop(l, t - 1);
            return false;
        }
        count += 1;
        max = max.max(n as usize);
    }
    if count != max {
        ffi::lua_settop(l, t - 1);
        return false;
    }
    for (i, b) in items.iter().enumerate() {
        ffi::lua_pushlstring(l, b.as_ptr() as *const c_char, b.len());
        ffi::lua_rawseti_(l, t, (i + 1) as c_int);
    }
    for i in items.len() + 1..=max {
        ffi::lua_pushnil(l);
        ffi::lua_rawseti_(l, t, i as c_int);
    }
    true
}

/// The arguments of `redis.call` / `redis.pcall`, handed to the run's hook
/// (boxed, as a light userdata).
pub type Argv = Vec<bytes::Bytes>;

unsafe extern "C-unwind" fn lua_redis_call(l: *mut ffi::lua_State) -> c_int {
    redis_call_raw(l, true)
}

unsafe extern "C-unwind" fn lua_redis_pcall(l: *mut ffi::lua_State) -> c_int {
    redis_call_raw(l, false)
}

/// luaRedisGenericCommand: the arguments as luaArgsToRedisArgv converts
/// them, the command run, the value returned or, for redis.call, raised.
/// From the script's own thread the run is reached directly
/// ([`super::run::direct_call`]); from a coroutine (where mlua's API must
/// not work on the main thread's stack) through the hook `hooks.call`,
/// which returns whether the reply is an error and its Lua value.
///
/// # Safety
/// Called by Lua as a C function. Nothing that needs dropping is alive
/// when Lua may jump out (`lua_call`, `lua_error`, a memory error while
/// pushing): the arguments are gone by then (handed to the hook as a raw
/// box, which the hook takes back first), and a reply pushed from the
/// script client's buffer is read through a pointer.
unsafe fn redis_call_raw(l: *mut ffi::lua_State, raise: bool) -> c_int {
    let argc = ffi::lua_gettop(l);
    let mut error: Option<&'static str> = None;
    let slot = &*(ffi::lua_touserdata(l, ffi::lua_upvalueindex(2)) as *const super::run::RunSlot);
    // From the script's own thread the arguments come from (and go back
    // to) the VM's argument cache.
    let cache = (l as usize == slot.main.get()).then_some(&slot.args);
    let mut argv: Argv = match cache {
        Some(c) => c.take_vec(),
        None => Vec::with_capacity(argc.max(0) as usize),
    };
    let mut count = 0;
    for i in 1..=argc {
        count = i as usize;
        if ffi::lua_type(l, i) == ffi::LUA_TNUMBER {
            let n = ffi::lua_tonumber(l, i);
            let b = bytes::Bytes::from(crate::resp::format_double(n));
            match argv.get_mut(count - 1) {
                Some(slot) => *slot = b,
                None => argv.push(b),
            }
            continue;
        }
        let mut len = 0usize;
        let p = ffi::lua_tolstring(l, i, &mut len);
        if p.is_null() {
            error = Some("Lua redis lib command arguments must be strings or integers");
            break;
        }
        let s = std::slice::from_raw_parts(p as *const u8, len);
        match cache {
            Some(c) => c.set(&mut argv, count - 1, s),
            None => argv.push(bytes::Bytes::copy_from_slice(s)),
        }
    }
    argv.truncate(count);
    if argc == 0 {
        error = Some("Please specify at least one argument for this redis lib call");
    }
    ffi::lua_settop(l, 0);
    if error.is_none() && cache.is_some() {
        let outcome = super::run::direct_call(slot, argv);
        return push_outcome(l, outcome, raise);
    }
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, c"redis.hooks".as_ptr());
    ffi::lua_getfield(l, -1, c"call".as_ptr());
    if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION {
        error = Some("redis.call/pcall can only be called inside a script invocation");
    }
    if let Some(msg) = error {
        match cache {
            Some(c) => c.put_vec(argv),
            None => drop(argv),
        }
        return raise_message(l, msg, raise);
    }
    let boxed = Box::into_raw(Box::new(argv));
    ffi::lua_pushlightuserdata(l, boxed as *mut std::ffi::c_void);
    ffi::lua_call(l, 1, 2);
    if raise && ffi::lua_toboolean(l, -2) != 0 {
        ffi::lua_error(l);
    }
    1
}

/// The error table `{err = "ERR <msg>"}`, raised by redis.call, returned
/// by redis.pcall.
///
/// # Safety
/// As [`redis_call_raw`], whose frame holds nothing to drop by now.
unsafe fn raise_message(l: *mut ffi::lua_State, msg: &str, raise: bool) -> c_int {
    ffi::lua_settop(l, 0);
    ffi::lua_newtable(l);
    ffi::lua_pushstring_(l, c"ERR ".as_ptr());
    ffi::lua_pushlstring(l, msg.as_ptr() as *const c_char, msg.len());
    ffi::lua_concat(l, 2);
    ffi::lua_setfield(l, -2, c"err".as_ptr());
    if raise {
        ffi::lua_error(l);
    }
    1
}

/// Push what [`super::run::direct_call`] left (and raise it if it must).
///
/// # Safety
/// As [`redis_call_raw`]; the pointers in `o` are valid until the next
/// command runs.
unsafe fn push_outcome(l: *mut ffi::lua_State, o: super::run::CallOutcome, raise: bool) -> c_int {
    use super::run::Pushed;
    match o.value {
        Pushed::Number(n) => ffi::lua_pushnumber(l, n),
        Pushed::Bulk(p, len) => {
            ffi::lua_pushlstring(l, p as *const c_char, len);
        }
        Pushed::Status(p, len) => {
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_pushlstring(l, p as *const c_char, len);
            ffi::lua_setfield(l, -2, c"ok".as_ptr());
        }
        Pushed::False => ffi::lua_pushboolean(l, 0),
        Pushed::Nil => ffi::lua_pushnil(l),
        Pushed::Boxed => {
            ffi::lua_rawgeti_(l, ffi::lua_upvalueindex(1), 2);
            ffi::lua_pushnil(l);
            ffi::lua_rawseti_(l, ffi::lua_upvalueindex(1), 2);
        }
        Pushed::NotRunning => {
            return raise_message(
                l,
                "redis.call/pcall can only be called inside a script invocation",
                raise,
            )
        }
    }
    if o.raise || (raise && o.is_err) {
        ffi::lua_error(l);
    }
    1
}

/// Take back the arguments [`redis_call_raw`] boxed.
///
/// # Safety
/// `p` must come from `redis_call_raw`, and is taken once.
pub unsafe fn take_argv(p: mlua::LightUserData) -> Argv {
    *Box::from_raw(p.0 as *mut Argv)
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
