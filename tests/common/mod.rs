//! Shared helpers for the integration tests: free loopback ports, server
//! processes (ours and Debian's redis-server) that are killed on drop, and a
//! raw RESP client over a TcpStream that reads replies with our `Frame` parser.

#![allow(dead_code)]

use sentinel_lab::resp::Frame;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A port that was free a moment ago on 127.0.0.1 (bind :0, read, release).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// A server process on 127.0.0.1; killed (and reaped) on drop.
pub struct ServerProc {
    pub port: u16,
    pub child: Child,
    pub what: String,
    /// Where its stdout/stderr go, for post-mortem messages.
    pub log: PathBuf,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl ServerProc {
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
}

fn log_path(tag: &str, port: u16) -> PathBuf {
    std::env::temp_dir().join(format!(
        "sentinel-lab-test-{}-{}-{}.log",
        tag,
        std::process::id(),
        port
    ))
}

/// Start `program args... ` with `--port N` appended by `make_args`, on a free
/// port, and wait until it answers PING. Retries on another port if the
/// process dies (another test may have taken the port in between).
pub fn start_with(
    tag: &str,
    program: &Path,
    argv0: Option<&str>,
    make_args: impl Fn(u16) -> Vec<String>,
) -> ServerProc {
    let mut last_err = String::new();
    for _attempt in 0..5 {
        let port = free_port();
        let log = log_path(tag, port);
        let out = std::fs::File::create(&log).expect("create log file");
        let err = out.try_clone().expect("clone log file");
        let mut cmd = Command::new(program);
        #[cfg(unix)]
        if let Some(a0) = argv0 {
            use std::os::unix::process::CommandExt;
            cmd.arg0(a0);
        }
        let _ = argv0;
        cmd.args(make_args(port))
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
        let mut p = ServerProc {
            port,
            child,
            what: format!("{tag} ({})", program.display()),
            log,
        };
        match wait_ready(&mut p, Duration::from_secs(15)) {
            Ok(()) => return p,
            Err(e) => last_err = e,
        }
    }
    panic!("could not start {tag}: {last_err}");
}

fn wait_ready(p: &mut ServerProc, timeout: Duration) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(Some(status)) = p.child.try_wait() {
            return Err(format!(
                "{} exited with {status}:\n{}",
                p.what,
                p.log_text()
            ));
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", p.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_ok() {
                let mut buf = [0u8; 7];
                if s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n" {
                    return Ok(());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err(format!(
        "{} not ready after {:?}:\n{}",
        p.what,
        timeout,
        p.log_text()
    ))
}

/// Our server with extra arguments (`--port N` is added).
pub fn start_ours(extra: &[&str]) -> ServerProc {
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    start_with("ours", &our_binary(), None, move |port| {
        let mut v = vec!["server".to_string(), "--port".into(), port.to_string()];
        v.extend(extra.iter().cloned());
        v
    })
}

/// Debian's redis-server 7.0.15, without persistence, on loopback.
pub fn start_real(extra: &[&str]) -> ServerProc {
    let bin = real_redis_server().expect("redis-server not installed (make test installs it)");
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    start_with("real", &bin, None, move |port| {
        let mut v = vec![
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

/// A raw RESP connection: write bytes, read frames with our parser.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn connect(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let _ = stream.set_nodelay(true);
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    pub fn send<T: AsRef<[u8]>>(&mut self, args: &[T]) {
        let b = Frame::command(args.iter().map(|a| a.as_ref()));
        self.send_raw(&b);
    }

    /// Read one reply frame; `None` when the peer closed (or the read timed out).
    pub fn read(&mut self) -> Option<Frame> {
        loop {
            match Frame::parse(&self.buf) {
                Ok(Some((f, n))) => {
                    self.buf.drain(..n);
                    return Some(f);
                }
                Ok(None) => {}
                Err(e) => panic!("unparsable reply: {e:?}"),
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    pub fn cmd<T: AsRef<[u8]>>(&mut self, args: &[T]) -> Frame {
        self.send(args);
        self.read().expect("connection closed before the reply")
    }

    /// True if the server closed the connection (EOF or reset) within 5 s.
    pub fn closed(&mut self) -> bool {
        let _ = self.stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut b = [0u8; 1024];
        match self.stream.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ),
        }
    }

    pub fn shutdown(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
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

/// Master, replicas and sentinels (ours or real) on loopback.
pub mod topology;
