//! SIGKILL at random moments under a writer that counts acknowledged
//! writes, 20 kills per policy, each after 5–60 ms of writing. A process
//! crash keeps what was written, and every policy writes before it replies:
//! with `always` (synced before the reply), `everysec` and `no` no
//! acknowledged INCR is ever missing. (Under `everysec` a write postponed
//! behind a slow background fsync holds its reply until it is written;
//! 7.0 replies at once and may lose those writes.) A machine crash, where
//! unsynced bytes are lost too, is the simulator's: src/server/aof/tests.rs.

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

/// Our server on a free port, answering; another port if the one picked
/// was taken meanwhile (by another test's server, which would answer too).
fn start(dir: &std::path::Path, policy: &str) -> (Child, u16) {
    for _attempt in 0..5 {
        let port = free_port();
        let mut child = Command::new(our_binary())
            .args(["server", "--port", &port.to_string(), "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", policy, "--dir"])
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("start ours");
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            if Conn::open(port).is_some() {
                // Ours answers only if it is still alive.
                std::thread::sleep(Duration::from_millis(20));
                if child.try_wait().ok().flatten().is_none() {
                    return (child, port);
                }
                break;
            }
            assert!(Instant::now() < until, "server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    panic!("could not start ours on a free port");
}

fn counter(port: u16) -> i64 {
    match Conn::connect(port).cmd(&["GET", "counter"]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).parse().unwrap(),
        Frame::Null => 0,
        other => panic!("GET counter: {other:?}"),
    }
}

/// `strict`: no acknowledged write may be lost.
fn kill_under_load(policy: &str, seed: u64, strict: bool) {
    let dir = std::env::temp_dir().join(format!(
        "sentinel-lab-aof-kill-{policy}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(seed);
    let (mut acked_total, mut durable, mut lost) = (0, 0, 0);
    for round in 0..KILLS {
        let (mut child, port) = start(&dir, policy);
        let before = counter(port);
        let floor = if strict { acked_total } else { durable };
        assert!(
            before >= floor && before <= acked_total + 1,
            "{policy} round {round}: {before} after restart, {acked_total} acknowledged"
        );
        lost += (acked_total - before).max(0);
        durable = before;
        let acked = Arc::new(AtomicI64::new(before));
        let writer = {
            let acked = acked.clone();
            std::thread::spawn(move || {
                // The kill may come before the connection does.
                let Some(mut c) = Conn::open(port) else {
                    return;
                };
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
    let (mut child, port) = start(&dir, policy);
    let last = counter(port);
    let _ = child.kill();
    let _ = child.wait();
    let floor = if strict { acked_total } else { durable };
    assert!(
        last >= floor && last <= acked_total + 1,
        "{policy}: {last}, {acked_total} acknowledged"
    );
    assert!(acked_total > 0, "{policy}: the writer got no reply at all");
    lost += (acked_total - last).max(0);
    eprintln!("{policy}: {KILLS} kills, {acked_total} writes acknowledged, {lost} lost");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn always_loses_no_acknowledged_write_across_kills() {
    kill_under_load("always", 1, true);
}

#[test]
fn everysec_loses_no_acknowledged_write_across_process_kills() {
    kill_under_load("everysec", 2, true);
}

#[test]
fn no_fsync_loses_no_acknowledged_write_across_process_kills() {
    kill_under_load("no", 3, true);
}
