//! A real redis-server for interop tests, started on a free port in a temp dir.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct RealRedis {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

static N: AtomicUsize = AtomicUsize::new(0);

fn installed() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

impl RealRedis {
    /// Start a server; `rdb` (if any) is put in its dir as dump.rdb first.
    /// None if redis-server is not installed.
    pub fn start(rdb: Option<&[u8]>) -> Option<RealRedis> {
        if !installed() {
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "sentinel-lab-rdb-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(b) = rdb {
            std::fs::write(dir.join("dump.rdb"), b).unwrap();
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&dir)
            .args([
                "--dbfilename",
                "dump.rdb",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--logfile")
            .arg(dir.join("log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut r = RealRedis { port, dir, child };
        for _ in 0..100 {
            if r.try_cli(&["ping"]).as_deref() == Some("PONG") {
                return Some(r);
            }
            if let Ok(Some(_)) = r.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start; log:\n{}", r.log());
    }

    pub fn start_with_rdb(rdb: &[u8]) -> Option<RealRedis> {
        Self::start(Some(rdb))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    fn try_cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .ok()?;
        let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
        if s.ends_with('\n') {
            s.pop();
        }
        Some(s)
    }

    /// Run redis-cli with these arguments; stdout without the final newline.
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args).expect("redis-cli runs")
    }

    /// SAVE and return the dump's bytes.
    pub fn save(&self) -> Vec<u8> {
        assert_eq!(self.cli(&["save"]), "OK");
        std::fs::read(self.dir.join("dump.rdb")).unwrap()
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
