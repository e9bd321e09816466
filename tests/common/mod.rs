//! Shared helpers for the integration tests: binaries, free loopback ports,
//! server processes (ours and Debian's redis-server) that are killed on
//! drop, bounded waits, and the submodules below (the RESP client, the
//! sentinel topology, simulator readings, a seeded generator, a real
//! redis-server for the RDB tests).
//!
//! Every test binary includes this module and uses a part of it, hence the
//! `allow(dead_code)`.

#![allow(dead_code)]

use sentinel_lab::resp::Frame;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The RESP client and the readings of replies.
pub mod conn;
/// A real redis-server in a temp dir, for the RDB interop tests.
pub mod real_redis;
/// A small deterministic generator.
pub mod rng;
/// Readings of a simulation: log lines, sentinel events, ROLE.
pub mod sim;
/// Master, replicas and sentinels (ours or real) on loopback.
pub mod topology;

pub use conn::*;

/// Our binary, built by cargo for the integration tests.
pub fn our_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sentinel-lab"))
}

/// Debian's redis-server, if installed.
pub fn real_redis_server() -> Option<PathBuf> {
    find_in_path("redis-server")
}

pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// True if `bin` is on the PATH.
pub fn have(bin: &str) -> bool {
    find_in_path(bin).is_some()
}

/// True, with a note on stderr, if one of `bins` is not installed: the
/// caller skips its test.
pub fn missing(bins: &[&str]) -> bool {
    let missing: Vec<&str> = bins.iter().copied().filter(|b| !have(b)).collect();
    if !missing.is_empty() {
        eprintln!("{} not installed; skipping", missing.join(", "));
    }
    !missing.is_empty()
}

/// A port that was free a moment ago on 127.0.0.1 (bind :0, read, release).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// N distinct free ports, none in `avoid`.
pub fn distinct_ports<const N: usize>(avoid: &[u16]) -> [u16; N] {
    let mut out = [0u16; N];
    let mut i = 0;
    while i < N {
        let p = free_port();
        if !avoid.contains(&p) && !out[..i].contains(&p) {
            out[i] = p;
            i += 1;
        }
    }
    out
}

/// A fresh directory under the system temp dir for one test.
pub fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sentinel-lab-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// Poll `f` every 50 ms until it holds or `secs` pass.
pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server process on 127.0.0.1; SIGKILLed and reaped on drop.
pub struct Proc {
    pub port: u16,
    pub child: Child,
    pub what: String,
    /// Where its stdout/stderr go, for post-mortem messages.
    pub log: PathBuf,
    /// The log is this process's own temp file, removed with it.
    temp_log: bool,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.temp_log {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

impl Proc {
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn connect(&self) -> Conn {
        Conn::connect(self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until it answers PING; an error (with its log) if it exits first.
    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited with {status}:\n{}",
                    self.what,
                    self.log_text()
                ));
            }
            if matches!(cmd(self.port, &["PING"]), Some(Frame::Simple(s)) if s == "PONG") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err(format!(
            "{} not ready after {timeout:?}:\n{}",
            self.what,
            self.log_text()
        ))
    }
}

/// Spawn `program args` (as `argv0` if given) on `port` with stdout/stderr
/// appended to `log` (kept), and wait until it answers PING.
pub fn spawn(
    what: &str,
    program: &Path,
    argv0: Option<&str>,
    args: &[String],
    port: u16,
    log: &Path,
) -> Result<Proc, String> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open log file");
    let err = out.try_clone().expect("clone log file");
    let mut c = Command::new(program);
    #[cfg(unix)]
    if let Some(a0) = argv0 {
        use std::os::unix::process::CommandExt;
        c.arg0(a0);
    }
    let _ = argv0;
    let child = c
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let mut p = Proc {
        port,
        child,
        what: what.to_string(),
        log: log.to_path_buf(),
        temp_log: false,
    };
    p.wait_ready(Duration::from_secs(15))?;
    Ok(p)
}

/// Start `program` with the arguments `make_args` gives for a free port and
/// wait until it answers PING; its log is a temp file removed with it.
/// Retries on another port if the process dies (another test may have taken
/// the port in between).
pub fn start_with(
    tag: &str,
    program: &Path,
    argv0: Option<&str>,
    make_args: impl Fn(u16) -> Vec<String>,
) -> Proc {
    let mut last_err = String::new();
    for _attempt in 0..5 {
        let port = free_port();
        let log = std::env::temp_dir().join(format!(
            "sentinel-lab-test-{tag}-{}-{port}.log",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&log);
        let what = format!("{tag} ({})", program.display());
        match spawn(&what, program, argv0, &make_args(port), port, &log) {
            Ok(mut p) => {
                p.temp_log = true;
                return p;
            }
            Err(e) => {
                let _ = std::fs::remove_file(&log);
                last_err = e;
            }
        }
    }
    panic!("could not start {tag}: {last_err}");
}

/// Our server with extra arguments (`--port N` is added). It works in a
/// directory of its own (`extra` may name another), so no test loads a
/// dump.rdb another run left in the current directory.
pub fn start_ours(extra: &[&str]) -> Proc {
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    start_with("ours", &our_binary(), None, move |port| {
        let dir = std::env::temp_dir().join(format!(
            "sentinel-lab-test-ours-{}-{port}.d",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        let mut v = vec![
            "server".to_string(),
            "--port".into(),
            port.to_string(),
            "--dir".into(),
            dir.display().to_string(),
        ];
        v.extend(extra.iter().cloned());
        v
    })
}

/// Debian's redis-server 7.0.15, without persistence, on loopback.
pub fn start_real(extra: &[&str]) -> Proc {
    let bin = real_redis_server().expect("redis-server not installed (make deps installs it)");
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    start_with("real", &bin, None, move |port| {
        let dir = std::env::temp_dir().join(format!(
            "sentinel-lab-test-real-{}-{port}.d",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        let mut v = vec![
            "--dir".to_string(),
            dir.display().to_string(),
            "--port".to_string(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            "".into(),
            "--appendonly".into(),
            "no".into(),
        ];
        v.extend(extra.iter().cloned());
        v
    })
}

/// Run a program and capture (status, stdout, stderr).
pub fn run_capture(program: &Path, argv0: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(program);
    #[cfg(unix)]
    if let Some(a0) = argv0 {
        use std::os::unix::process::CommandExt;
        cmd.arg0(a0);
    }
    let out = cmd
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
