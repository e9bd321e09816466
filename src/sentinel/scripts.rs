//! The queue of notification and client reconfiguration scripts, as
//! sentinel.c keeps it: what to run, when to retry, when to give up.
//!
//! The core decides; the host runs. A job due to run becomes an
//! [`Event::RunScript`]; the host reports the pid and the exit with
//! [`Input::Script`]. At most [`MAX_QUEUE`] jobs are kept (the oldest one not
//! running is dropped), at most [`MAX_RUNNING`] run at once. Exit code 1 or
//! a signal means "retry": again after `script-retry-delay`, doubled at each
//! retry, [`MAX_RETRY`] runs at most. Exit code 2 or more ends the job with a
//! `-script-error` event; a job running longer than `script-max-runtime` is
//! killed (`-script-timeout`).
//!
//! [`Event::RunScript`]: crate::node::Event::RunScript
//! [`Input::Script`]: crate::node::Input::Script

use super::{Env, SentinelEvent};
use crate::node::{Event, LogLevel, Millis, ScriptStatus};
use crate::resp::ReplyBuf;
use std::collections::VecDeque;

/// SENTINEL_SCRIPT_MAX_QUEUE.
pub const MAX_QUEUE: usize = 16;
/// SENTINEL_SCRIPT_MAX_RUNNING.
pub const MAX_RUNNING: usize = 16;
/// SENTINEL_SCRIPT_MAX_RETRY.
pub const MAX_RETRY: u32 = 10;

/// One script to run (`sentinelScriptJob`).
#[derive(Clone, Debug)]
pub struct ScriptJob {
    /// How the host knows this job (a pid exists only once it runs).
    pub id: u64,
    /// The program, then its arguments.
    pub argv: Vec<String>,
    pub running: bool,
    pub retry_num: u32,
    /// When the current run started, or when the next retry is due (0: now).
    pub start_time: Millis,
    pub pid: u32,
}

/// `sentinel.scripts_queue` and `sentinel.running_scripts`.
#[derive(Clone, Debug, Default)]
pub struct ScriptQueue {
    pub jobs: VecDeque<ScriptJob>,
    pub running: usize,
    next_id: u64,
}

impl ScriptQueue {
    /// sentinelScheduleScriptExecution.
    pub fn schedule(&mut self, argv: Vec<String>) {
        self.next_id += 1;
        self.jobs.push_back(ScriptJob {
            id: self.next_id,
            argv,
            running: false,
            retry_num: 0,
            start_time: 0,
            pid: 0,
        });
        if self.jobs.len() > MAX_QUEUE {
            if let Some(i) = self.jobs.iter().position(|j| !j.running) {
                self.jobs.remove(i);
            }
        }
    }

    /// sentinelRunPendingScripts: oldest first, while fewer than
    /// [`MAX_RUNNING`] run.
    pub fn run_pending(&mut self, env: &mut Env) {
        let now = env.now();
        for j in self.jobs.iter_mut() {
            if self.running >= MAX_RUNNING {
                break;
            }
            if j.running || (j.start_time != 0 && j.start_time > now) {
                continue;
            }
            j.running = true;
            j.start_time = now;
            j.retry_num += 1;
            j.pid = 0;
            self.running += 1;
            env.srv.emit(Event::RunScript {
                id: j.id,
                argv: j.argv.clone(),
            });
        }
    }

    /// The host's news about job `id` (sentinelCollectTerminatedScripts for
    /// an exit).
    pub fn report(&mut self, env: &mut Env, id: u64, status: ScriptStatus, retry_delay: u64) {
        let Some(i) = self.jobs.iter().position(|j| j.id == id && j.running) else {
            return;
        };
        match status {
            ScriptStatus::Started { pid } => {
                self.jobs[i].pid = pid;
                env.event(LogLevel::Debug, SentinelEvent::ScriptChild, pid.to_string());
            }
            ScriptStatus::Exited { code, signal } => {
                let pid = self.jobs[i].pid;
                env.event(
                    LogLevel::Debug,
                    SentinelEvent::ScriptChildExited,
                    format!("{pid} {code} {signal}"),
                );
                let j = &mut self.jobs[i];
                if (signal != 0 || code == 1) && j.retry_num != MAX_RETRY {
                    j.running = false;
                    j.pid = 0;
                    j.start_time = env.now() + retry_delay_of(retry_delay, j.retry_num);
                } else {
                    if signal != 0 || code != 0 {
                        let msg = format!("{} {signal} {code}", j.argv[0]);
                        env.event(LogLevel::Warning, SentinelEvent::ScriptError, msg);
                    }
                    self.jobs.remove(i);
                }
                self.running -= 1;
            }
        }
    }

    /// sentinelKillTimedoutScripts: asked again at every timer tick until
    /// the host reports the exit, as Redis sends SIGKILL again.
    pub fn kill_timed_out(&mut self, env: &mut Env, max_runtime: u64) {
        let now = env.now();
        for j in &self.jobs {
            if j.running && now.saturating_sub(j.start_time) > max_runtime {
                let msg = format!("{} {}", j.argv[0], j.pid);
                env.event(LogLevel::Warning, SentinelEvent::ScriptTimeout, msg);
                env.srv.emit(Event::KillScript { id: j.id });
            }
        }
    }

    /// SENTINEL PENDING-SCRIPTS.
    pub fn reply_pending(&self, out: &mut ReplyBuf, now: Millis) {
        out.array(self.jobs.len());
        for j in &self.jobs {
            out.map(5);
            out.bulk(b"argv");
            out.array(j.argv.len());
            for a in &j.argv {
                out.bulk(a.as_bytes());
            }
            out.bulk(b"flags");
            out.bulk(if j.running {
                &b"running"[..]
            } else {
                &b"scheduled"[..]
            });
            out.bulk(b"pid");
            out.bulk_int(j.pid as i64);
            if j.running {
                out.bulk(b"run-time");
                out.bulk_int(now.saturating_sub(j.start_time) as i64);
            } else {
                let delay = if j.start_time != 0 {
                    j.start_time.saturating_sub(now)
                } else {
                    0
                };
                out.bulk(b"run-delay");
                out.bulk_int(delay as i64);
            }
            out.bulk(b"retry-num");
            out.bulk_int(j.retry_num as i64);
        }
    }
}

/// sentinelScriptRetryDelay: doubled for every retry after the first.
fn retry_delay_of(base: u64, retry_num: u32) -> u64 {
    let mut delay = base;
    for _ in 1..retry_num {
        delay = delay.saturating_mul(2);
    }
    delay
}
