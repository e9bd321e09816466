//! The AOF directory across implementations: real redis-server 7.0 starts
//! from the appendonlydir we wrote and we start from the one it wrote (with
//! and without an RDB preamble, with MULTI/EXEC and expiries), and both hold
//! the same dataset (DEBUG DIGEST).

mod common;

use common::conn::{cmd, text};
use common::{free_port, missing, our_binary, real_redis_server};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn start(bin: &Path, dir: &Path, port: u16, preamble: &str) -> Child {
    let mut command = Command::new(bin);
    if bin == our_binary() {
        command.arg("server");
    }
    let child = command
        .args(["--port", &port.to_string(), "--appendonly", "yes"])
        .args(["--aof-use-rdb-preamble", preamble, "--save", ""])
        .args(["--enable-debug-command", "yes", "--dir"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start a server");
    let until = Instant::now() + Duration::from_secs(10);
    while cmd(port, &["PING"]).is_none() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn stop(mut child: Child, port: u16) {
    let _ = cmd(port, &["SHUTDOWN", "NOSAVE"]);
    let _ = child.wait();
}

/// Writes of every type, a transaction, expiries, two databases.
fn write_dataset(port: u16) {
    let writes: &[&[&str]] = &[
        &["SET", "s", "v"],
        &["RPUSH", "l", "a", "b", "c"],
        &["HSET", "h", "f", "1", "g", "2"],
        &["SADD", "set", "x", "y"],
        &["ZADD", "z", "1.5", "m", "2", "n"],
        &["SET", "ttl", "v", "EX", "10000"],
        &["SELECT", "3"],
        &["INCRBY", "n", "7"],
    ];
    let mut c = common::conn::Conn::connect(port);
    for w in writes {
        c.cmd(w);
    }
    c.cmd(&["MULTI"]);
    c.cmd(&["LPUSH", "tx", "1"]);
    c.cmd(&["PEXPIRE", "tx", "100000000"]);
    c.cmd(&["EXEC"]);
}

fn digest(port: u16) -> String {
    text(&cmd(port, &["DEBUG", "DIGEST"]).expect("DEBUG DIGEST"))
}

fn round_trip(writer: &Path, reader: &Path, preamble: &str, rewrite: bool) {
    let dir = tempdir(&format!("aof-{preamble}-{rewrite}"));
    let (p1, p2) = (free_port(), free_port());
    let w = start(writer, &dir, p1, preamble);
    write_dataset(p1);
    if rewrite {
        cmd(p1, &["BGREWRITEAOF"]);
        let until = Instant::now() + Duration::from_secs(10);
        while common::conn::info_field(p1, "persistence", "aof_rewrite_in_progress").as_deref()
            != Some("0")
            && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        cmd(p1, &["SET", "after-rewrite", "1"]);
    }
    let want = digest(p1);
    stop(w, p1);
    if common::have("redis-check-aof") {
        let out = Command::new("redis-check-aof")
            .arg(dir.join("appendonlydir/appendonly.aof.manifest"))
            .output()
            .expect("run redis-check-aof");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "redis-check-aof refused {writer:?}'s files:\n{text}"
        );
        assert!(
            text.contains("All AOF files and manifest are valid"),
            "{text}"
        );
    }
    let r = start(reader, &dir, p2, preamble);
    let got = digest(p2);
    stop(r, p2);
    assert_eq!(
        got, want,
        "{writer:?} -> {reader:?}, preamble {preamble}, rewrite {rewrite}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sentinel-lab-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn real_redis_loads_our_aof_and_we_load_its() {
    if missing(&["redis-server"]) {
        return;
    }
    let real = real_redis_server().unwrap();
    let ours = our_binary();
    for preamble in ["yes", "no"] {
        for rewrite in [false, true] {
            round_trip(&ours, &real, preamble, rewrite);
            round_trip(&real, &ours, preamble, rewrite);
        }
    }
}

/// `check-aof` says what redis-check-aof says about a cut file and fixes it
/// to the same bytes.
#[test]
fn check_aof_matches_redis_check_aof() {
    if missing(&["redis-check-aof"]) {
        return;
    }
    let dir = tempdir("check-aof");
    let mut f =
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:5\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            .to_vec();
    f.extend_from_slice(
        b"*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1",
    );
    let (ours, real) = (dir.join("ours.aof"), dir.join("real.aof"));
    let run = |bin: &mut Command, file: &Path, fix: bool| {
        if fix {
            bin.arg("--fix");
        }
        bin.arg(file)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = bin.spawn().expect("run the checker");
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(b"y\n");
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).replace(&file.display().to_string(), "F");
        (out.status.code(), text)
    };
    for fix in [false, true] {
        std::fs::write(&ours, &f).unwrap();
        std::fs::write(&real, &f).unwrap();
        let mut o = Command::new(our_binary());
        o.arg("check-aof");
        let got = run(&mut o, &ours, fix);
        let want = run(&mut Command::new("redis-check-aof"), &real, fix);
        assert_eq!(got, want, "fix {fix}");
        assert_eq!(std::fs::read(&ours).unwrap(), std::fs::read(&real).unwrap());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
