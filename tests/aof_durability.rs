//! SIGKILL at random moments under a writer that counts acknowledged
//! writes: after each restart from the AOF, no acknowledged INCR is missing.
//! A process crash keeps what was written, so this holds for every fsync
//! policy (the AOF is written before the reply); `always` also syncs first.
//! 20 kills per policy, each after 5–60 ms of writing.

mod common;

use common::conn::Conn;
use common::rng::Rng;
use common::{free_port, our_binary};
use sentinel_lab::resp::Frame;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KILLS: usize = 20;

fn start(dir: &std::path::Path, port: u16, policy: &str) -> Child {
    let child = Command::new(our_binary())
        .args(["server", "--port", &port.to_string(), "--save", ""])
        .args(["--appendonly", "yes", "--appendfsync", policy, "--dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("start ours");
    let until = Instant::now() + Duration::from_secs(10);
    while Conn::open(port).is_none() {
        assert!(Instant::now() < until, "server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

fn counter(port: u16) -> i64 {
    match Conn::connect(port).cmd(&["GET", "counter"]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).parse().unwrap(),
        Frame::Null => 0,
        other => panic!("GET counter: {other:?}"),
    }
}

fn kill_under_load(policy: &str, seed: u64) {
    let dir = std::env::temp_dir().join(format!(
        "sentinel-lab-aof-kill-{policy}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(seed);
    let mut acked_total = 0;
    for round in 0..KILLS {
        let port = free_port();
        let mut child = start(&dir, port, policy);
        let before = counter(port);
        assert!(
            before >= acked_total,
            "{policy} round {round}: {before} after restart, {acked_total} acknowledged"
        );
        let acked = Arc::new(AtomicI64::new(before));
        let writer = {
            let acked = acked.clone();
            std::thread::spawn(move || {
                let mut c = Conn::connect(port);
                while let Some(Frame::Integer(n)) = c.try_cmd(&["INCR", "counter"]) {
                    acked.store(n, Ordering::SeqCst);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(5 + rng.below(55) as u64));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        writer.join().unwrap();
        acked_total = acked.load(Ordering::SeqCst);
    }
    let port = free_port();
    let mut child = start(&dir, port, policy);
    let last = counter(port);
    let _ = child.kill();
    let _ = child.wait();
    assert!(last >= acked_total, "{policy}: {last} < {acked_total}");
    assert!(acked_total > 0, "{policy}: the writer got no reply at all");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn always_loses_no_acknowledged_write_across_kills() {
    kill_under_load("always", 1);
}

#[test]
fn everysec_loses_no_acknowledged_write_across_process_kills() {
    kill_under_load("everysec", 2);
}

#[test]
fn no_fsync_loses_no_acknowledged_write_across_process_kills() {
    kill_under_load("no", 3);
}
