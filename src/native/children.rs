//! Stand-in fork children ([`Event::Fork`]): while a background save or
//! AOF rewrite runs, a process of ours waits as the server's child, titled
//! as 7.0 titles its child (`redis-rdb-bgsave`, ...). The work itself is done
//! in the server (a copy-on-write snapshot); the stand-in is what `ps` and
//! `kill` see. Its death by a signal is reported with [`Input::Child`] and
//! fails the job, as killing Redis's child does. It exits by itself when
//! its stdin closes: when the job ends ([`Event::EndFork`]) or the server
//! dies.
//!
//! [`Event::Fork`]: crate::node::Event::Fork
//! [`Event::EndFork`]: crate::node::Event::EndFork
//! [`Input::Child`]: crate::node::Input::Child

use crate::node::ScriptStatus;
use std::collections::HashMap;
use std::os::unix::process::{CommandExt, ExitStatusExt};

/// The environment variable that makes our binary a stand-in child.
const CHILD_ENV: &str = "SENTINEL_LAB_FORK_CHILD";

/// The stand-in's whole life: wait for the parent to close our stdin.
/// Called first thing in `main`; returns only in a normal process.
pub fn run_if_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    use std::io::Read;
    let mut buf = [0u8; 64];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
    std::process::exit(0);
}

/// The running stand-ins by the node's child id: their stdin, whose close
/// ends them.
#[derive(Default)]
pub struct Children {
    stdin: HashMap<u64, tokio::process::ChildStdin>,
}

impl Children {
    /// Start the stand-in for child `id`; `exited` hears how it ended (from
    /// a task of its own). Returns its pid.
    pub fn fork(
        &mut self,
        id: u64,
        title: &str,
        exited: impl FnOnce(ScriptStatus) + 'static,
    ) -> Result<u32, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = std::process::Command::new(exe);
        cmd.arg0(title)
            .env(CHILD_ENV, "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = tokio::process::Command::from(cmd)
            .spawn()
            .map_err(|e| e.to_string())?;
        let pid = child.id().unwrap_or(0);
        if let Some(stdin) = child.stdin.take() {
            self.stdin.insert(id, stdin);
        }
        tokio::task::spawn_local(async move {
            let status = match child.wait().await {
                Ok(st) => ScriptStatus::Exited {
                    code: st.code().unwrap_or(0),
                    signal: st.signal().unwrap_or(0),
                },
                Err(_) => ScriptStatus::Exited { code: 1, signal: 0 },
            };
            exited(status);
        });
        Ok(pid)
    }

    /// The job of child `id` ended: let its stand-in go.
    pub fn end(&mut self, id: u64) {
        self.stdin.remove(&id);
    }
}
