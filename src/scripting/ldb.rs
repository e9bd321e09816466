//! The Lua debugger in its synchronous mode (SCRIPT DEBUG SYNC, 7.0's LDB
//! with `ldb.forked == 0`): the EVAL of a debugging client stops at its
//! first line, sends what it logged and waits for debugger commands on
//! that client's connection, the whole server blocked meanwhile, as in 7.0.
//!
//! The core does no IO: the host reads the connection for it, waiting
//! (`HostProbe::read_waiting`), and writes the logs at once (`busy_send`).
//! A host that cannot do that (the simulator, wasm) refuses SCRIPT DEBUG.
//!
//! The forked mode (SCRIPT DEBUG YES) needs fork(): not there. Neither is
//! `print` (mlua shows no frame's locals).

use crate::node::ConnId;
use mlua::{Lua, Table, Value};
use std::cell::RefCell;

/// How long a logged reply or value may get (LDB_MAX_LEN_DEFAULT).
const MAX_LEN_DEFAULT: usize = 256;
/// LDB_BREAKPOINTS_MAX.
const BREAKPOINTS_MAX: usize = 64;
/// LDB_MAX_VALUES_DEPTH (LUA_MINSTACK / 2).
const MAX_VALUES_DEPTH: usize = 10;

/// One debugging session (7.0's global `ldb`).
pub struct Session {
    /// The debugging client's connection.
    pub conn: ConnId,
    /// The script's source, a line at a time.
    src: Vec<String>,
    /// Stop at the next line.
    pub step: bool,
    /// `redis.breakpoint()` was called (not offered here: always false).
    luabp: bool,
    bps: Vec<i64>,
    current: i64,
    maxlen: usize,
    maxlen_hint_sent: bool,
    logs: Vec<Vec<u8>>,
    /// Bytes read from the client not yet parsed into a command.
    cbuf: Vec<u8>,
    /// When the script last started running freely (host clock, µs).
    pub started_us: u64,
}

/// What a stop's command loop ended with.
pub enum Repl {
    /// Run on (stepping or not).
    Resume,
    /// The client went away: run to the end without stopping.
    Closed,
}

/// What the host offers a session.
pub trait Io {
    /// Send bytes to the debugging client now.
    fn send(&self, bytes: &[u8]);
    /// Wait for the client's next bytes; `None` when it is gone.
    fn read(&self) -> Option<Vec<u8>>;
}

impl Session {
    /// ldbEnable + ldbStartSession's source split.
    pub fn new(conn: ConnId, source: &[u8], now_us: u64) -> Session {
        let src = source
            .split(|&b| b == b'\n')
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        Session {
            conn,
            src,
            step: true,
            luabp: false,
            bps: Vec::new(),
            current: 0,
            maxlen: MAX_LEN_DEFAULT,
            maxlen_hint_sent: false,
            logs: Vec::new(),
            cbuf: Vec::new(),
            started_us: now_us,
        }
    }

    /// ldbIsEnabled: redis.call logs its command and reply.
    pub fn logging(&self) -> bool {
        self.step
    }

    pub fn log(&mut self, line: impl Into<Vec<u8>>) {
        self.logs.push(line.into());
    }

    /// ldbLogWithMaxLen.
    pub fn log_trimmed(&mut self, mut entry: Vec<u8>) {
        let trimmed = self.maxlen != 0 && entry.len() > self.maxlen;
        if trimmed {
            entry.truncate(self.maxlen);
            entry.extend_from_slice(b" ...");
        }
        self.log(entry);
        if trimmed && !self.maxlen_hint_sent {
            self.maxlen_hint_sent = true;
            self.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
        }
    }

    /// ldbSendLogs: every log line as a status reply of one array.
    pub fn send_logs(&mut self, io: &dyn Io) {
        let mut proto = format!("*{}\r\n", self.logs.len()).into_bytes();
        for mut l in self.logs.drain(..) {
            for b in l.iter_mut() {
                if *b == b'\r' || *b == b'\n' {
                    *b = b' ';
                }
            }
            proto.push(b'+');
            proto.extend_from_slice(&l);
            proto.extend_from_slice(b"\r\n");
        }
        io.send(&proto);
    }

    fn source_line(&self, line: i64) -> &str {
        usize::try_from(line - 1)
            .ok()
            .and_then(|i| self.src.get(i))
            .map_or("<out of range source code line>", |s| s.as_str())
    }

    fn is_breakpoint(&self, line: i64) -> bool {
        self.bps.contains(&line)
    }

    /// ldbLogSourceLine.
    fn log_source_line(&mut self, line: i64) {
        let prefix = match (self.current == line, self.is_breakpoint(line)) {
            (true, true) => "->#",
            (true, false) => "-> ",
            (false, true) => "  #",
            (false, false) => "   ",
        };
        let text = format!("{prefix}{line:<3} {}", self.source_line(line));
        self.log(text);
    }

    /// ldbList.
    fn list(&mut self, around: i64, context: i64) {
        for j in 1..=self.src.len() as i64 {
            if around != 0 && (around - j).abs() > context {
                continue;
            }
            self.log_source_line(j);
        }
    }

    /// ldbMaxlen.
    fn maxlen_cmd(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 2 {
            let mut v = atoi(&argv[1]);
            self.maxlen_hint_sent = true;
            if v != 0 && v <= 60 {
                v = 60;
            }
            self.maxlen = v.max(0) as usize;
        }
        if self.maxlen != 0 {
            let l = format!("<value> replies are truncated at {} bytes.", self.maxlen);
            self.log(l);
        } else {
            self.log("<value> replies are unlimited.");
        }
    }

    /// ldbBreak.
    fn break_cmd(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 1 {
            if self.bps.is_empty() {
                self.log("No breakpoints set. Use 'b <line>' to add one.");
            } else {
                self.log(format!("{} breakpoints set:", self.bps.len()));
                for bp in self.bps.clone() {
                    self.log_source_line(bp);
                }
            }
            return;
        }
        for arg in &argv[1..] {
            let Some(line) = crate::resp::parse_i64(arg) else {
                let l = format!("Invalid argument:'{}'", String::from_utf8_lossy(arg));
                self.log(l);
                continue;
            };
            if line == 0 {
                self.bps.clear();
                self.log("All breakpoints removed.");
            } else if line > 0 {
                if self.bps.len() == BREAKPOINTS_MAX {
                    self.log("Too many breakpoints set.");
                } else if line <= self.src.len() as i64 && !self.is_breakpoint(line) {
                    self.bps.push(line);
                    self.list(line, 1);
                } else {
                    self.log("Wrong line number.");
                }
            } else if let Some(i) = self.bps.iter().position(|&b| b == -line) {
                self.bps.remove(i);
                self.log("Breakpoint removed.");
            } else {
                self.log("No breakpoint in the specified line.");
            }
        }
    }
}

/// luaLdbLineHook: a new line (or a count event) of the script. `Err` is
/// the error the script raises. The session is borrowed only between the
/// Lua calls a command makes (`redis` logs into it through `redis.call`).
#[allow(clippy::too_many_arguments)]
pub fn line_hook(
    ldb: &RefCell<Session>,
    lua: &Lua,
    globals: &Table,
    io: &dyn Io,
    line: i64,
    count_event: bool,
    limit_ms: u64,
    now_us: &dyn Fn() -> u64,
) -> Result<(), String> {
    let timeout = {
        let mut s = ldb.borrow_mut();
        s.current = line;
        let bp = s.is_breakpoint(line) || s.luabp;
        let mut timeout = false;
        if count_event && !s.step && !bp {
            if now_us().saturating_sub(s.started_us) / 1000 < limit_ms {
                return Ok(());
            }
            timeout = true;
            s.step = true;
        }
        if !(s.step || bp) {
            return Ok(());
        }
        let reason = if bp {
            if s.luabp {
                "redis.breakpoint() called"
            } else {
                "break point"
            }
        } else if timeout {
            "timeout reached, infinite loop?"
        } else {
            "step over"
        };
        s.step = false;
        s.luabp = false;
        s.log(format!("* Stopped at {line}, stop reason = {reason}"));
        s.log_source_line(line);
        s.send_logs(io);
        timeout
    };
    if let Repl::Closed = repl(ldb, lua, globals, io)? {
        if timeout {
            return Err("timeout during Lua debugging with client closing connection".into());
        }
    }
    ldb.borrow_mut().started_us = now_us();
    Ok(())
}

/// ldbRepl: debugger commands until one resumes the script.
fn repl(ldb: &RefCell<Session>, lua: &Lua, globals: &Table, io: &dyn Io) -> Result<Repl, String> {
    loop {
        let argv = loop {
            let mut s = ldb.borrow_mut();
            match parse_command(&s.cbuf) {
                Ok(Some(argv)) => break argv,
                Err(e) => return Err(e.into()),
                Ok(None) => {}
            }
            let Some(bytes) = io.read() else {
                // The script runs on without user input.
                s.step = false;
                s.bps.clear();
                return Ok(Repl::Closed);
            };
            s.cbuf.extend_from_slice(&bytes);
            if s.cbuf.len() > 1 << 20 {
                s.cbuf.clear();
                return Err("max client buffer reached".into());
            }
        };
        ldb.borrow_mut().cbuf.clear();
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
        match name.as_str() {
            "s" | "step" | "n" | "next" => {
                ldb.borrow_mut().step = true;
                return Ok(Repl::Resume);
            }
            "c" | "continue" => return Ok(Repl::Resume),
            "a" | "abort" => return Err("script aborted for user request".into()),
            "e" | "eval" => eval(ldb, lua, globals, &argv),
            "t" | "trace" => trace(ldb, lua),
            "r" | "redis" if argv.len() > 1 => redis(ldb, globals, &argv),
            _ => {
                let mut s = ldb.borrow_mut();
                match name.as_str() {
                    "h" | "help" => {
                        for l in HELP {
                            s.log(*l);
                        }
                    }
                    "m" | "maxlen" => s.maxlen_cmd(&argv),
                    "b" | "break" => s.break_cmd(&argv),
                    "l" | "list" => {
                        let mut around = s.current;
                        if let Some(n) = argv.get(1).map(|a| atoi(a)) {
                            if n > 0 {
                                around = n;
                            }
                        }
                        let ctx = argv.get(2).map_or(5, |c| atoi(c));
                        s.list(around, ctx);
                    }
                    "w" | "whole" => s.list(1, 1_000_000),
                    _ => s.log(
                        "<error> Unknown Redis Lua debugger command or wrong number of arguments.",
                    ),
                }
            }
        }
        ldb.borrow_mut().send_logs(io);
    }
}

/// ldbTrace: the script's frames, innermost first. The debugger runs in a
/// Rust function the hook called: the frames from the first Lua one on are
/// the script's stack as 7.0's hook sees it.
fn trace(ldb: &RefCell<Session>, lua: &Lua) {
    let frame = |level: usize| {
        lua.inspect_stack(level, |d| {
            let src = d.source();
            let ours = src
                .short_src
                .as_deref()
                .is_some_and(|s| s.contains("user_script"));
            let name = d.names().name.map(|n| n.into_owned());
            (
                src.what == "C",
                ours,
                name,
                d.current_line().map_or(0, |l| l as i64),
            )
        })
    };
    let mut base = 0;
    while let Some((true, ..)) = frame(base) {
        base += 1;
    }
    let mut s = ldb.borrow_mut();
    let mut level = 0;
    while let Some((_, ours, name, line)) = frame(base + level) {
        if ours {
            let which = if level == 0 { "In" } else { "From" };
            let l = format!("{which} {}:", name.as_deref().unwrap_or("top level"));
            s.log(l);
            s.log_source_line(line);
        }
        level += 1;
    }
    if level == 0 {
        s.log("<error> Can't retrieve Lua stack.");
    }
}

/// ldbEval: the code as an expression, else as a statement, in the scripts'
/// globals.
fn eval(ldb: &RefCell<Session>, lua: &Lua, globals: &Table, argv: &[Vec<u8>]) {
    let code = argv[1..].join(&b' ');
    let mut expr = b"return ".to_vec();
    expr.extend_from_slice(&code);
    let load = |src: &[u8]| {
        lua.load(src)
            .set_name("@ldb_eval")
            .set_environment(globals.clone())
            .into_function()
    };
    let outcome = load(&expr)
        .or_else(|_| load(&code))
        .and_then(|f| f.call::<Value>(()));
    let mut s = ldb.borrow_mut();
    match outcome {
        Ok(v) => {
            let mut line = b"<retval> ".to_vec();
            cat_value(&mut line, &v, 0);
            s.log_trimmed(line);
        }
        Err(e) => {
            let l = format!("<error> {}", super::engine::lua_message(&e));
            s.log(l);
        }
    }
}

/// ldbRedis: `redis.call` with the arguments, logging as a step does; its
/// result and any error are dropped (what matters is in the log).
fn redis(ldb: &RefCell<Session>, globals: &Table, argv: &[Vec<u8>]) {
    let call = globals
        .get::<Table>("redis")
        .and_then(|r| r.get::<mlua::Function>("call"));
    let Ok(call) = call else {
        return;
    };
    ldb.borrow_mut().step = true;
    let args = argv[1..]
        .iter()
        .map(|a| mlua::BString::from(a.as_slice()))
        .collect::<Vec<_>>();
    let _ = call.call::<Value>(mlua::Variadic::from_iter(args));
    ldb.borrow_mut().step = false;
}

/// atoi: the leading integer of the bytes, 0 if none.
fn atoi(b: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(b);
    let s = s.trim_start();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let n: i64 = digits
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |n, c| {
            n.saturating_mul(10).saturating_add(c as i64 - '0' as i64)
        });
    if neg {
        -n
    } else {
        n
    }
}

/// ldbReplParseCommand: one `*<n>` array of `$<len>` bulks (1..1024 each),
/// `Ok(None)` until it is complete.
pub fn parse_command(buf: &[u8]) -> Result<Option<Vec<Vec<u8>>>, &'static str> {
    const PROTOCOL_ERROR: &str = "protocol error";
    if buf.is_empty() {
        return Ok(None);
    }
    let find = |from: usize| {
        buf[from..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|i| from + i)
    };
    let Some(star) = buf.iter().position(|&b| b == b'*') else {
        return Err(PROTOCOL_ERROR);
    };
    let Some(end) = find(star) else {
        return Ok(None);
    };
    let argc = atoi(&buf[star + 1..end]);
    if argc <= 0 || argc > 1024 {
        return Err(PROTOCOL_ERROR);
    }
    let mut p = end + 2;
    let mut argv = Vec::with_capacity(argc as usize);
    while argv.len() < argc as usize {
        if p >= buf.len() {
            return Ok(None);
        }
        if buf[p] != b'$' {
            return Err(PROTOCOL_ERROR);
        }
        let Some(end) = find(p) else {
            return Ok(None);
        };
        let len = atoi(&buf[p + 1..end]);
        if len <= 0 || len > 1024 {
            return Err(PROTOCOL_ERROR);
        }
        p = end + 2;
        let len = len as usize;
        if p + len + 2 > buf.len() {
            return Ok(None);
        }
        argv.push(buf[p..p + len].to_vec());
        p += len;
        if &buf[p..p + 2] != b"\r\n" {
            return Err(PROTOCOL_ERROR);
        }
        p += 2;
    }
    Ok(Some(argv))
}

/// C's `%g`: six significant digits, trailing zeros dropped.
fn format_g(v: f64) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{v:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let strip = |s: &str| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip(mantissa), exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        strip(&format!("{v:.decimals$}"))
    }
}

/// ldbCatStackValueRec: a Lua value as the debugger shows it.
pub fn cat_value(s: &mut Vec<u8>, v: &Value, level: usize) {
    if level == MAX_VALUES_DEPTH {
        s.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    let level = level + 1;
    match v {
        Value::String(x) => s.extend_from_slice(crate::resp::repr(&x.as_bytes()).as_bytes()),
        Value::Boolean(b) => s.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => s.extend_from_slice(format_g(*i as f64).as_bytes()),
        Value::Number(n) => s.extend_from_slice(format_g(*n).as_bytes()),
        Value::Nil => s.extend_from_slice(b"nil"),
        Value::Table(t) => {
            let (mut array, mut full) = (Vec::new(), Vec::new());
            let mut is_array = true;
            for (expected, (k, val)) in (1i64..).zip(t.clone().pairs::<Value, Value>().flatten()) {
                let idx = match k {
                    Value::Integer(i) => Some(i as f64),
                    Value::Number(n) => Some(n),
                    _ => None,
                };
                if is_array && idx != Some(expected as f64) {
                    is_array = false;
                }
                cat_value(&mut array, &val, level);
                array.extend_from_slice(b"; ");
                full.push(b'[');
                cat_value(&mut full, &k, level);
                full.extend_from_slice(b"]=");
                cat_value(&mut full, &val, level);
                full.extend_from_slice(b"; ");
            }
            for r in [&mut array, &mut full] {
                if !r.is_empty() {
                    r.truncate(r.len() - 2);
                }
            }
            s.push(b'{');
            s.extend_from_slice(if is_array { &array } else { &full });
            s.push(b'}');
        }
        other => {
            let kind = match other {
                Value::Function(_) => "function",
                Value::UserData(_) => "userdata",
                Value::Thread(_) => "thread",
                Value::LightUserData(_) => "light-userdata",
                _ => "unknown",
            };
            s.extend_from_slice(format!("\"{kind}@{:p}\"", other.to_pointer()).as_bytes());
        }
    }
}

/// ldbRedisProtocolToHuman: a reply as the debugger logs it; the rest of
/// the bytes after it.
pub fn reply_to_human<'a>(o: &mut Vec<u8>, reply: &'a [u8]) -> &'a [u8] {
    let Some(&kind) = reply.first() else {
        return reply;
    };
    let line_end = reply
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(reply.len());
    let head = &reply[1..line_end.max(1)];
    let rest = reply.get(line_end + 2..).unwrap_or(&[]);
    let count = || crate::resp::parse_i64(head).unwrap_or(0);
    match kind {
        b':' => o.extend_from_slice(head),
        b'$' => {
            let n = count();
            if n < 0 {
                o.extend_from_slice(b"NULL");
                return rest;
            }
            let n = (n as usize).min(rest.len());
            o.extend_from_slice(crate::resp::repr(&rest[..n]).as_bytes());
            return rest.get(n + 2..).unwrap_or(&[]);
        }
        b'+' | b'-' => o.extend_from_slice(crate::resp::repr(&reply[..line_end]).as_bytes()),
        b'*' | b'~' => {
            let n = count();
            if kind == b'*' && n < 0 {
                o.extend_from_slice(b"NULL");
                return rest;
            }
            o.extend_from_slice(if kind == b'*' { b"[" } else { b"~(" });
            let mut p = rest;
            for j in 0..n {
                p = reply_to_human(o, p);
                if j != n - 1 {
                    o.push(b',');
                }
            }
            o.push(if kind == b'*' { b']' } else { b')' });
            return p;
        }
        b'%' => {
            let n = count();
            o.push(b'{');
            let mut p = rest;
            for j in 0..n {
                p = reply_to_human(o, p);
                o.extend_from_slice(b" => ");
                p = reply_to_human(o, p);
                if j != n - 1 {
                    o.push(b',');
                }
            }
            o.push(b'}');
            return p;
        }
        b'_' => o.extend_from_slice(b"(null)"),
        b'#' => o.extend_from_slice(if head.first() == Some(&b't') {
            b"#true"
        } else {
            b"#false"
        }),
        b',' => {
            o.extend_from_slice(b"(double) ");
            o.extend_from_slice(head);
        }
        _ => {}
    }
    rest
}

/// The debugger's `help`.
const HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
];

/// The host's side of a session: the debugging client's socket, through
/// the server's probe (borrowed for each use only: `redis.call` needs the
/// run's state in between).
pub struct ProbeIo<'a, S> {
    pub state: &'a RefCell<S>,
    pub probe: fn(&S) -> Option<&dyn crate::node::HostProbe>,
    pub conn: ConnId,
}

impl<S> Io for ProbeIo<'_, S> {
    fn send(&self, bytes: &[u8]) {
        let st = self.state.borrow();
        if let Some(p) = (self.probe)(&st) {
            p.busy_send(self.conn, bytes);
        }
    }

    fn read(&self) -> Option<Vec<u8>> {
        let st = self.state.borrow();
        (self.probe)(&st)?.read_waiting(self.conn)
    }
}

/// evalGenericCommandWithDebugging (synchronous): the EVAL runs in a
/// session; its end is logged to the client, which is then closed.
pub fn run_debugged(
    server: &mut crate::server::Server,
    c: &mut crate::server::Client,
    inv: super::run::Invocation,
) {
    use crate::node::LogLevel;
    server.st.log(
        LogLevel::Warning,
        "Redis synchronous debugging eval session started",
    );
    let now = server.st.monotonic_us();
    let session = std::rc::Rc::new(RefCell::new(Session::new(c.conn, &inv.argv[1], now)));
    server.st.scripting.ldb = Some(session.clone());
    super::run::run(server, c, inv);
    server.st.scripting.ldb = None;
    let mut s = session.borrow_mut();
    s.log("<endsession>");
    struct Direct<'a>(&'a crate::server::Server, ConnId);
    impl Io for Direct<'_> {
        fn send(&self, bytes: &[u8]) {
            if let Some(p) = self.0.st.host.probe.as_ref() {
                p.busy_send(self.1, bytes);
            }
        }
        fn read(&self) -> Option<Vec<u8>> {
            None
        }
    }
    s.send_logs(&Direct(server, c.conn));
    server.st.log(
        LogLevel::Warning,
        "Redis synchronous debugging eval session ended",
    );
    // Closing after the EVAL's reply marks the end of the session.
    c.close_after_reply = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_as_ldbreplparsecommand() {
        assert_eq!(parse_command(b""), Ok(None));
        assert_eq!(parse_command(b"*2\r\n$1\r\ns\r\n"), Ok(None));
        assert_eq!(
            parse_command(b"*2\r\n$1\r\nr\r\n$4\r\nping\r\n"),
            Ok(Some(vec![b"r".to_vec(), b"ping".to_vec()]))
        );
        assert_eq!(parse_command(b"ping\r\n"), Err("protocol error"));
        assert_eq!(parse_command(b"*0\r\n"), Err("protocol error"));
        assert_eq!(parse_command(b"*1\r\n$0\r\n\r\n"), Err("protocol error"));
    }

    #[test]
    fn replies_read_as_the_debugger_logs_them() {
        let human = |r: &[u8]| {
            let mut o = Vec::new();
            reply_to_human(&mut o, r);
            String::from_utf8(o).unwrap()
        };
        assert_eq!(human(b"+OK\r\n"), "\"+OK\"");
        assert_eq!(human(b"$-1\r\n"), "NULL");
        assert_eq!(human(b"*2\r\n:1\r\n$2\r\nab\r\n"), "[1,\"ab\"]");
        assert_eq!(human(b"%1\r\n+a\r\n#t\r\n"), "{\"+a\" => #true}");
        assert_eq!(human(b",1.5\r\n"), "(double) 1.5");
    }

    #[test]
    fn numbers_print_as_percent_g() {
        assert_eq!(format_g(1.0), "1");
        assert_eq!(format_g(0.5), "0.5");
        assert_eq!(format_g(1234567.0), "1.23457e+06");
        assert_eq!(format_g(0.0001), "0.0001");
        assert_eq!(format_g(0.00001), "1e-05");
        assert_eq!(format_g(100000.0), "100000");
    }
}
