//! Runs the scripts a sentinel asks for ([`Event::RunScript`]) as child
//! processes, as sentinel.c forks and execs them: the program with its
//! arguments, the sentinel's environment and working directory, and reports
//! the pid and the exit (code or signal) back as [`Input::Script`].
//!
//! [`Event::RunScript`]: crate::node::Event::RunScript
//! [`Input::Script`]: crate::node::Input::Script

use crate::node::ScriptStatus;
use std::cell::RefCell;
use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::rc::Rc;
use tokio::sync::Notify;

/// The running scripts, by the node's job id: how to kill each one.
#[derive(Default)]
pub struct ScriptRunner {
    kills: Rc<RefCell<HashMap<u64, Rc<Notify>>>>,
}

impl ScriptRunner {
    /// Start `argv` on the event loop; `report` hears its pid, then its
    /// exit. It is called from a task of its own, never from within the
    /// caller.
    pub fn run(&mut self, id: u64, argv: Vec<String>, report: impl Fn(ScriptStatus) + 'static) {
        let kill = Rc::new(Notify::new());
        self.kills.borrow_mut().insert(id, kill.clone());
        let kills = self.kills.clone();
        tokio::task::spawn_local(async move {
            let status = run_child(&argv, &kill, &report).await;
            kills.borrow_mut().remove(&id);
            report(status);
        });
    }

    /// SIGKILL the script of job `id` if it still runs.
    pub fn kill(&mut self, id: u64) {
        if let Some(k) = self.kills.borrow().get(&id) {
            k.notify_one();
        }
    }
}

async fn run_child(argv: &[String], kill: &Notify, report: &impl Fn(ScriptStatus)) -> ScriptStatus {
    let Some((program, args)) = argv.split_first() else {
        return ScriptStatus::Exited { code: 2, signal: 0 };
    };
    let mut child = match tokio::process::Command::new(program).args(args).spawn() {
        Ok(c) => c,
        // Redis's child exits with 2 when execve fails: "don't retry".
        Err(_) => return ScriptStatus::Exited { code: 2, signal: 0 },
    };
    report(ScriptStatus::Started {
        pid: child.id().unwrap_or(0),
    });
    let waited = tokio::select! {
        w = child.wait() => w,
        _ = kill.notified() => {
            let _ = child.start_kill();
            child.wait().await
        }
    };
    match waited {
        Ok(st) => ScriptStatus::Exited {
            code: st.code().unwrap_or(0),
            signal: st.signal().unwrap_or(0),
        },
        Err(_) => ScriptStatus::Exited { code: 2, signal: 0 },
    }
}
