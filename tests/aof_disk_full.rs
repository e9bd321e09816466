//! A full disk under the AOF, Debian's redis-server 7.0.15 beside ours, each
//! on a small tmpfs of its own: the write that hits the full disk is
//! acknowledged and kept in the buffer, later writes and PING are refused
//! with the same MISCONF error, INFO says `aof_last_write_status:err`, and
//! once there is room again the server takes writes again; after a restart
//! every acknowledged write is there. Mounting needs root (as CI runs).

mod common;

use common::conn::Conn;
use common::{start_ours, start_real, wait_until, Proc};
use sentinel_lab::resp::Frame;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(tag: &str) -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!(
            "sentinel-lab-diskfull-{tag}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        Some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Fill the file system until write(2) fails.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let chunk = vec![b'x'; 4096];
    while f.write_all(&chunk).is_ok() {}
    let mut byte = [b'x'];
    while f.write_all(&byte).is_ok() {
        byte[0] = b'y';
    }
    path
}

/// What one implementation did.
#[derive(Debug)]
struct Outcome {
    refused_set: Frame,
    refused_ping: Frame,
    status_during: String,
    status_after: String,
    logs_error: bool,
    logs_solved: bool,
}

fn text(f: &Frame) -> String {
    match f {
        Frame::Simple(s) | Frame::Error(s) => s.clone(),
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => format!("{other:?}"),
    }
}

fn aof_status(c: &mut Conn) -> String {
    c.info_field("persistence", "aof_last_write_status")
        .unwrap_or_default()
}

fn scenario(kind: &str, start: fn(&[&str]) -> Proc) -> Outcome {
    let fs = Tmpfs::mount(kind).expect("mount");
    let dir = fs.0.display().to_string();
    let args = [
        "--dir",
        &dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
    ];
    let srv = start(&args);
    let mut c = srv.connect();
    let value = "v".repeat(1000);
    let mut acked = Vec::new();
    for i in 0..20 {
        let key = format!("before:{i}");
        assert_eq!(c.cmd(&["SET", &key, &value]), Frame::Simple("OK".into()));
        acked.push(key);
    }
    let filler = fill(&fs.0);
    // Writes go on being acknowledged until one hits the full disk; the
    // next ones are refused.
    let mut refused = None;
    for i in 0..2000 {
        let key = format!("during:{i}");
        match c.cmd(&["SET", &key, &value]) {
            Frame::Simple(s) if s == "OK" => acked.push(key),
            other => {
                refused = Some(other);
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let refused_set = refused.unwrap_or_else(|| panic!("{kind}: no write was refused"));
    let refused_ping = c.cmd(&["PING"]);
    let status_during = aof_status(&mut c);
    std::fs::remove_file(&filler).expect("remove filler");
    let took = wait_until(10, || {
        c.cmd(&["SET", "after", &value]) == Frame::Simple("OK".into())
    });
    assert!(took, "{kind}: writes still refused once there is room");
    acked.push("after".into());
    let status_after = aof_status(&mut c);
    let log = srv.log_text();
    drop(c);
    drop(srv);
    // Every acknowledged write is in the AOF.
    let again = start(&args);
    let mut c = again.connect();
    for key in &acked {
        assert_eq!(
            c.cmd(&["STRLEN", key]),
            Frame::Integer(1000),
            "{kind}: {key} acknowledged and lost"
        );
    }
    Outcome {
        refused_set,
        refused_ping,
        status_during,
        status_after,
        logs_error: log.contains("Error writing to the AOF file: No space left on device")
            || log.contains("Short write while writing to the AOF file"),
        logs_solved: log.contains("AOF write error looks solved, Redis can write again."),
    }
}

#[test]
fn a_full_disk_refuses_writes_until_there_is_room_as_real_redis() {
    let Some(probe) = Tmpfs::mount("probe") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    drop(probe);
    let real = scenario("real", start_real);
    let ours = scenario("ours", start_ours);
    eprintln!("real: {real:?}\nours: {ours:?}");
    let misconf = "MISCONF Errors writing to the AOF file: No space left on device";
    assert_eq!(text(&real.refused_set), misconf, "{real:?}");
    for o in [&real, &ours] {
        assert_eq!(o.refused_set, Frame::Error(misconf.into()), "{o:?}");
        assert_eq!(o.refused_ping, Frame::Error(misconf.into()), "{o:?}");
        assert_eq!(o.status_during, "err", "{o:?}");
        assert_eq!(o.status_after, "ok", "{o:?}");
        assert!(o.logs_error && o.logs_solved, "{o:?}");
    }
}
