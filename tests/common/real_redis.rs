//! Debian's redis-server in a temp dir of its own, optionally started from a
//! given dump.rdb, and driven with redis-cli: the RDB interop tests.

use super::{find_in_path, real_redis_server, run_capture, start_real, Proc};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct RealRedis {
    pub srv: Proc,
    pub dir: PathBuf,
}

static N: AtomicUsize = AtomicUsize::new(0);

impl RealRedis {
    /// Start a server; `rdb` (if any) is put in its dir as dump.rdb first.
    /// None if redis-server is not installed.
    pub fn start(rdb: Option<&[u8]>) -> Option<RealRedis> {
        real_redis_server()?;
        let dir = std::env::temp_dir().join(format!(
            "sentinel-lab-rdb-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        if let Some(b) = rdb {
            std::fs::write(dir.join("dump.rdb"), b).expect("write dump.rdb");
        }
        let d = dir.to_string_lossy().into_owned();
        let srv = start_real(&["--dir", &d, "--dbfilename", "dump.rdb"]);
        Some(RealRedis { srv, dir })
    }

    pub fn start_with_rdb(rdb: &[u8]) -> Option<RealRedis> {
        Self::start(Some(rdb))
    }

    pub fn log(&self) -> String {
        self.srv.log_text()
    }

    /// Run redis-cli with these arguments; stdout without the final newline.
    pub fn cli(&self, args: &[&str]) -> String {
        let cli = find_in_path("redis-cli").expect("redis-cli not installed");
        let port = self.srv.port.to_string();
        let all: Vec<&str> = ["-p", port.as_str()]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let (_, mut out, _) = run_capture(&cli, None, &all);
        if out.ends_with('\n') {
            out.pop();
        }
        out
    }

    /// SAVE and return the dump's bytes.
    pub fn save(&self) -> Vec<u8> {
        assert_eq!(self.cli(&["save"]), "OK");
        std::fs::read(self.dir.join("dump.rdb")).expect("read dump.rdb")
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        // The process first, then its directory.
        let _ = self.srv.child.kill();
        let _ = self.srv.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
