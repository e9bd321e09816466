//! The shim: what containerd's shim and docker-proxy do for one running
//! container (`sentinel-lab compose shim <container-folder>`, hidden).
//!
//! The runner starts it in a session of its own (so a Ctrl-C in the
//! person's terminal reaches only the runner) and reads one line from it:
//! `ok` once the service runs, or `error: ...`. The shim appends the image's
//! banner lines to the container's log, binds the published ports, starts
//! the node with its output appended to the log, writes `pid`, forwards the
//! ports while the node runs and, when it exits, writes `exit` (its code,
//! 128 + the signal for a signal, as Docker reports it) after closing the
//! ports. A refusing image logs its lines and exits 1 without a node.

use super::container::{unix_now, Files};
use super::hosts::HOSTS_ENV;
use super::{proxy, real};
use std::io::Write;
use std::path::Path;

/// Run the container in `dir` until its process exits; returns the shim's exit code.
pub fn run_shim(dir: &Path, hosts: &Path) -> i32 {
    let files = Files::new(dir);
    let Some(c) = files.load() else {
        return ready(&format!("error: no container in {}", dir.display()), 1);
    };
    let log = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(files.log())
    {
        Ok(f) => f,
        Err(e) => return ready(&format!("error: {}: {e}", files.log().display()), 1),
    };
    // The image's lines carry its clock (containers run on UTC).
    let ms_of_day = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64 % 86_400_000)
        .unwrap_or(0);
    let mut banner = String::new();
    let refusal = c.refusal.clone().unwrap_or_default();
    for line in crate::compose::images::stamp(&c.banner, ms_of_day)
        .iter()
        .chain(crate::compose::images::stamp(&refusal, ms_of_day).iter())
    {
        banner.push_str(line);
        banner.push('\n');
    }
    let _ = (&log).write_all(banner.as_bytes());
    let _ = std::fs::remove_file(files.exit());
    if c.refusal.is_some() {
        record_exit(&files, 1);
        return ready("ok", 1);
    }
    let forwards = match proxy::bind(&c.ip, &c.published) {
        Ok(f) => f,
        Err(e) => {
            let e = format!(
                "error: driver failed programming external connectivity on endpoint {}: {e}",
                c.name
            );
            return ready(&e, 1);
        }
    };
    let Some(program) = c.argv.first() else {
        return ready("error: the container has no command", 1);
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(&c.argv[1..])
        .current_dir(dir)
        .env(HOSTS_ENV, hosts)
        .stdin(std::process::Stdio::null());
    match (log.try_clone(), log.try_clone()) {
        (Ok(out), Ok(err)) => {
            cmd.stdout(out).stderr(err);
        }
        _ => return ready("error: cannot share the log file", 1),
    }
    if c.real {
        if let Err(e) = real::with_hosts_file(&mut cmd, hosts) {
            return ready(&format!("error: {e}"), 1);
        }
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) if c.real => {
            return ready(
                &format!(
                "error: --real: cannot run {program} with the project's hosts file as /etc/hosts \
                     (a mount namespace and a bind mount, which need root): {e}"
            ),
                1,
            )
        }
        Err(e) => return ready(&format!("error: cannot run {program}: {e}"), 1),
    };
    let _ = std::fs::write(files.pid(), format!("{} {}\n", child.id(), unix_now()));
    say("ok");
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        let _ = child.kill();
        let status = child.wait();
        record_exit(&files, status.map(exit_code).unwrap_or(255));
        return 1;
    };
    let local = tokio::task::LocalSet::new();
    let status = local.block_on(&rt, async move {
        for f in forwards {
            tokio::task::spawn_local(proxy::serve(f));
        }
        // The wait blocks a thread of its own; the forwarders keep this one.
        tokio::task::spawn_blocking(move || child.wait())
            .await
            .ok()
            .and_then(|r| r.ok())
    });
    drop(local);
    // Closes the published ports before the exit is on record.
    drop(rt);
    let code = status.map(exit_code).unwrap_or(255);
    let _ = std::fs::remove_file(files.pid());
    record_exit(&files, code);
    0
}

/// Docker's exit code: the process's, or 128 + the signal that ended it.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(255)
}

fn record_exit(files: &Files, code: i32) {
    let _ = std::fs::write(files.exit(), format!("{code} {}\n", unix_now()));
}

/// Tell the runner how the start went, then stop writing to it.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    // The runner stops reading after this line: later writes must not
    // meet a closed pipe, so stdout becomes /dev/null.
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        use std::os::fd::AsRawFd;
        // SAFETY: dup2 onto fd 1 with a valid open descriptor.
        unsafe {
            libc::dup2(null.as_raw_fd(), 1);
        }
    }
}

fn ready(line: &str, code: i32) -> i32 {
    say(line);
    code
}
