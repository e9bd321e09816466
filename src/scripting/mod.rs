//! Lua scripting as Redis 7.0 has it: EVAL scripts and their cache.
//!
//! The engine is Lua 5.1 (what Redis embeds) through `mlua`, which compiles
//! C and so exists only in native builds: in wasm the scripting commands
//! answer an error (`commands::eval`). Each file holds one concept:
//! `engine` (the VM and its sandbox, `sandbox.lua`), `convert` (replies
//! to Lua values and back), `run` (one run: checks, `redis.call`,
//! propagation), `shebang` (script flags), `rand48` (`math.random`),
//! `libs` (bit and the other libraries scripts may use), `args`
//! (`redis.call`'s arguments, reused between calls).

pub mod rand48;
pub mod shebang;

#[cfg(not(target_arch = "wasm32"))]
pub mod args;
#[cfg(not(target_arch = "wasm32"))]
pub mod convert;
#[cfg(not(target_arch = "wasm32"))]
pub mod engine;
#[cfg(not(target_arch = "wasm32"))]
pub mod functions;
#[cfg(not(target_arch = "wasm32"))]
pub mod ldb;
#[cfg(not(target_arch = "wasm32"))]
pub mod libs;
#[cfg(not(target_arch = "wasm32"))]
pub mod run;

use crate::commands::sha1;
use bytes::Bytes;

/// The connection id of the scripts' client (never a real connection).
pub const SCRIPT_CONN: crate::node::ConnId = crate::node::ConnId(crate::node::OUTBOUND_BIT - 2);

/// Why the browser build refuses scripts.
pub const UNAVAILABLE: &str = "ERR scripting is not available in the browser build: the Lua interpreter is C code, which this wasm32 build cannot include";

/// A cached EVAL script.
pub struct Script {
    pub body: Bytes,
    /// Its shebang flags (`shebang::flag`).
    pub flags: u32,
    #[cfg(not(target_arch = "wasm32"))]
    pub func: mlua::Function,
}

/// The scripting state of a server: the VM (made on first use), the
/// script cache and `math.random`'s generator.
#[derive(Default)]
pub struct Scripting {
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may run `noscript` commands.
    pub allow_noscript: bool,
    scripts: crate::vecmap::VecMap<String, Script>,
    /// The last EVAL body hashed and its SHA1: a command's flags and its
    /// run both need it, and clients repeat one script.
    sha_memo: std::cell::RefCell<Option<(Vec<u8>, String)>>,
    /// What 7.0 counts for the cache (`used_memory_scripts_eval`).
    scripts_mem: usize,
    /// Shared with a run in progress, which holds it while the server is
    /// lent to the script.
    #[cfg(not(target_arch = "wasm32"))]
    vm: Option<std::rc::Rc<engine::Vm>>,
    #[cfg(not(target_arch = "wasm32"))]
    rand: std::rc::Rc<std::cell::Cell<rand48::Rand48>>,
    /// Function libraries and their own VM (as 7.0 keeps them apart).
    #[cfg(not(target_arch = "wasm32"))]
    pub libraries: functions::Libraries,
    #[cfg(not(target_arch = "wasm32"))]
    functions_vm: Option<std::rc::Rc<engine::Vm>>,
    /// The scripts' client, kept between runs (see `run::run`).
    #[cfg(not(target_arch = "wasm32"))]
    pub client: Option<Box<crate::server::Client>>,
    /// The debugging session of the EVAL running now (SCRIPT DEBUG SYNC).
    #[cfg(not(target_arch = "wasm32"))]
    pub ldb: Option<std::rc::Rc<std::cell::RefCell<ldb::Session>>>,
    /// Without Lua (wasm) libraries from an RDB file are kept as code.
    #[cfg(target_arch = "wasm32")]
    saved_libraries: Vec<Bytes>,
}

/// INFO memory's scripting figures, measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryFigures {
    /// The EVAL VM's allocation (`used_memory_lua`, `used_memory_vm_eval`).
    pub vm_eval: usize,
    /// The functions VM's allocation (`used_memory_vm_functions`).
    pub vm_functions: usize,
    pub scripts_eval: usize,
    pub cached_scripts: usize,
    pub functions: usize,
    pub libraries: usize,
    /// What the libraries take (`used_memory_functions`).
    pub functions_memory: usize,
}

/// The SHA1 of a script body, lower-case hex (as `SCRIPT LOAD` answers).
pub fn sha1hex(body: &[u8]) -> String {
    sha1::hex(&sha1::sha1(body))
}

impl Scripting {
    pub fn exists(&self, sha: &[u8]) -> bool {
        std::str::from_utf8(sha).is_ok_and(|s| self.scripts.contains_key(s))
    }

    /// [`sha1hex`] of an EVAL body, remembered for the next call.
    pub fn sha_of(&self, body: &[u8]) -> String {
        let mut memo = self.sha_memo.borrow_mut();
        if let Some((b, sha)) = memo.as_ref() {
            if b.as_slice() == body {
                return sha.clone();
            }
        }
        let sha = sha1hex(body);
        *memo = Some((body.to_vec(), sha.clone()));
        sha
    }

    pub fn get(&self, sha: &str) -> Option<&Script> {
        self.scripts.get(sha)
    }

    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// `used_memory_scripts_eval`: the bodies and SHAs plus 7.0's per-entry
    /// overhead (dictEntry + luaScript, 24 + 16 bytes).
    pub fn scripts_memory(&self) -> usize {
        self.scripts_mem + self.scripts.len() * 40
    }

    /// The code of every function library, to save in an RDB file.
    pub fn library_codes(&self) -> Vec<Bytes> {
        #[cfg(not(target_arch = "wasm32"))]
        return self
            .libraries
            .libraries
            .values()
            .map(|l| l.code.clone())
            .collect();
        #[cfg(target_arch = "wasm32")]
        return self.saved_libraries.clone();
    }

    /// The libraries of a loaded RDB file replace ours; the errors of those
    /// that fail to load.
    pub fn replace_libraries(&mut self, codes: &[Bytes]) -> Vec<String> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.flush_functions();
            codes
                .iter()
                .filter_map(|c| self.load_library(c, true, None).err())
                .collect()
        }
        #[cfg(target_arch = "wasm32")]
        {
            // Kept as they are, so a browser node saves what it loaded.
            self.saved_libraries = codes.to_vec();
            Vec::new()
        }
    }

    /// INFO's figures: without Lua there is no VM and no cache.
    #[cfg(target_arch = "wasm32")]
    pub fn memory_figures(&self) -> MemoryFigures {
        MemoryFigures {
            libraries: self.saved_libraries.len(),
            ..MemoryFigures::default()
        }
    }

    /// Libraries from a file loaded with MERGE: each replaces the library of
    /// its name, the others stay.
    pub fn merge_libraries(&mut self, codes: &[Bytes]) {
        #[cfg(not(target_arch = "wasm32"))]
        for code in codes {
            let _ = self.load_library(code, true, None);
        }
        #[cfg(target_arch = "wasm32")]
        self.saved_libraries.extend(codes.iter().cloned());
    }

    /// SCRIPT FLUSH: forget every script and start a new VM.
    pub fn flush(&mut self) {
        self.scripts.clear();
        self.scripts_mem = 0;
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.vm = None;
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Scripting {
    /// The VM, started on first use.
    pub fn vm(&mut self) -> Option<&engine::Vm> {
        if self.vm.is_none() {
            self.vm = engine::Vm::new(self.rand.clone())
                .ok()
                .map(std::rc::Rc::new);
        }
        self.vm.as_deref()
    }

    /// The VM scripts (`eval`) or functions run in, started on first use.
    pub fn run_vm(&mut self, eval: bool) -> Option<std::rc::Rc<engine::Vm>> {
        if eval {
            self.vm();
            self.vm.clone()
        } else {
            self.functions_vm();
            self.functions_vm.clone()
        }
    }

    /// INFO's figures. A VM not started yet counts as what a fresh one
    /// takes, measured once per process.
    pub fn memory_figures(&self) -> MemoryFigures {
        let fresh = || {
            static FRESH: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
            *FRESH.get_or_init(|| {
                engine::Vm::new(Default::default()).map_or(0, |vm| vm.used_memory())
            })
        };
        let vm = |v: &Option<std::rc::Rc<engine::Vm>>| {
            v.as_ref().map_or_else(fresh, |vm| vm.used_memory())
        };
        MemoryFigures {
            vm_eval: vm(&self.vm),
            vm_functions: vm(&self.functions_vm),
            scripts_eval: self.scripts_memory(),
            cached_scripts: self.scripts.len(),
            functions: self.libraries.function_count(),
            libraries: self.libraries.libraries.len(),
            functions_memory: self.libraries.memory(),
        }
    }

    /// The functions' VM, started on first use.
    pub fn functions_vm(&mut self) -> Option<&engine::Vm> {
        if self.functions_vm.is_none() {
            self.functions_vm = engine::Vm::new(self.rand.clone())
                .ok()
                .map(std::rc::Rc::new);
        }
        self.functions_vm.as_deref()
    }

    /// FUNCTION LOAD: the library's name or the error reply. `clock` is
    /// the host's, for the load timeout.
    pub fn load_library(
        &mut self,
        code: &Bytes,
        replace: bool,
        clock: Option<std::rc::Rc<dyn Fn() -> u64>>,
    ) -> Result<String, String> {
        self.functions_vm();
        let vm = self
            .functions_vm
            .as_ref()
            .ok_or("ERR scripting engine failed to start")?;
        self.libraries
            .load(vm, code, replace, clock)
            .map_err(|e| format!("ERR {e}"))
    }

    /// FUNCTION FLUSH: no libraries, a new VM.
    pub fn flush_functions(&mut self) {
        self.libraries.clear();
        self.functions_vm = None;
    }

    /// `used_memory_vm_functions`.
    pub fn functions_vm_memory(&mut self) -> usize {
        self.functions_vm().map_or(0, |vm| vm.used_memory())
    }

    /// `used_memory_lua` / `used_memory_vm_eval`: the VM's allocation.
    pub fn vm_memory(&mut self) -> usize {
        self.vm().map_or(0, |vm| vm.used_memory())
    }

    /// luaCreateFunction: cache `body` (compiled) and give its SHA; `Err`
    /// is the error reply.
    pub fn create(&mut self, body: &Bytes) -> Result<String, String> {
        let sha = sha1hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = shebang::parse(body).map_err(|e| format!("ERR {e}"))?;
        let vm = self.vm().ok_or("ERR scripting engine failed to start")?;
        let func = vm
            .compile(&body[shebang_len..])
            .map_err(|e| format!("ERR Error compiling script (new function): {e}"))?;
        self.scripts_mem += sha.len() + body.len();
        self.scripts.insert(
            sha.clone(),
            Script {
                body: body.clone(),
                flags,
                func,
            },
        );
        Ok(sha)
    }
}
