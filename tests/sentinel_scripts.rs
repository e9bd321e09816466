//! Sentinel scripts, natively: a notification script really runs, with the
//! event type and description as its arguments, when the monitored master
//! goes subjectively down; and `SENTINEL SET ... notification-script` is
//! refused while `deny-scripts-reconfig` is on (its default).

mod common;

use common::topology::{sentinel_conf_path, start_sentinel, start_server, Kind, Timing};
use common::{cmd, distinct_ports, tmpdir, wait_until};
use sentinel_lab::resp::Frame;

/// A shell script that appends its argument count and each argument (one a
/// line) to `out`.
fn write_recording_script(dir: &std::path::Path, out: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("notify.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" >> '{}'\n",
            out.display()
        ),
    )
    .expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn notification_script_runs_on_sdown_with_type_and_description() {
    let dir = tmpdir("sentinel-scripts");
    let [m, sp] = distinct_ports::<2>(&[]);
    let out = dir.join("notified.txt");
    let script = write_recording_script(&dir, &out);
    let timing = Timing {
        quorum: 1,
        down_after_ms: 1000,
        ..Timing::default()
    };
    // The conf file is written here, with the script, before the sentinel
    // starts (start_sentinel keeps an existing one).
    std::fs::write(
        sentinel_conf_path(&dir, sp),
        format!(
            "port {sp}\nbind 127.0.0.1\ndir {dir}\nsentinel monitor mymaster 127.0.0.1 {m} 1\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 6000\nsentinel notification-script mymaster {script}\n",
            dir = dir.display(),
            script = script.display()
        ),
    )
    .expect("write conf");
    let master = start_server(Kind::Ours, &dir, m, None);
    let _s = start_sentinel(Kind::Ours, &dir, sp, m, &timing);
    assert!(wait_until(30, || {
        cmd(sp, &["SENTINEL", "MASTER", "mymaster"])
            .and_then(|f| common::field(&f, "flags"))
            .is_some_and(|f| f == "master")
    }));
    drop(master);
    let want = format!("2\n+sdown\nmaster mymaster 127.0.0.1 {m}\n");
    let log = dir.join(format!("sentinel-{sp}.log"));
    assert!(
        wait_until(30, || std::fs::read_to_string(&out)
            .is_ok_and(|t| t.contains(&want))),
        "script output: {:?}\nsentinel log:\n{}",
        std::fs::read_to_string(&out).ok(),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

#[test]
fn script_paths_are_not_set_at_runtime_while_denied() {
    let dir = tmpdir("sentinel-scripts-deny");
    let [m, sp] = distinct_ports::<2>(&[]);
    let script = write_recording_script(&dir, &dir.join("unused.txt"));
    let _master = start_server(Kind::Ours, &dir, m, None);
    let _s = start_sentinel(Kind::Ours, &dir, sp, m, &Timing::default());
    let script = script.to_string_lossy().into_owned();
    for option in ["notification-script", "client-reconfig-script"] {
        let reply = cmd(sp, &["SENTINEL", "SET", "mymaster", option, &script]);
        assert!(
            matches!(&reply, Some(Frame::Error(e)) if e.starts_with("ERR Reconfiguration of scripts path is denied for security reasons.")),
            "{option}: {reply:?}"
        );
    }
    let conf = std::fs::read_to_string(sentinel_conf_path(&dir, sp)).expect("conf");
    assert!(
        !conf.contains("notification-script") && !conf.contains("client-reconfig-script"),
        "{conf}"
    );
}
