//! Shutting down as 7.0 does (prepareForShutdown / finishShutdown): a
//! master with lagging replicas first waits for them, up to
//! `shutdown-timeout` seconds with writes paused, SHUTDOWN's clients
//! blocked and INFO's `shutdown_in_milliseconds` counting down; then the
//! final AOF fsync and RDB save, and the exit. A failure on the way (the
//! initial AOF still being written) cancels it: SHUTDOWN's clients get an
//! error and the server goes on. Signals only ask (`shutdown_asap`); the
//! cron starts the shutdown with the flags `shutdown-on-sigterm` /
//! `shutdown-on-sigint` give, and a second SIGINT exits at once.

use super::aof::AofState;
use super::pause::{PauseKind, PausePurpose};
use super::{Server, ServerState};
use crate::node::{ConnId, Event, LogLevel, Millis, Signal};
use crate::replication::commands::ReplAction;
use crate::replication::ReplicaState;

/// SHUTDOWN's options (7.0's SHUTDOWN_* flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    /// Save even without save points.
    pub save: bool,
    /// No final save even with save points.
    pub nosave: bool,
    /// Do not wait for lagging replicas.
    pub now: bool,
    /// Exit even if the final AOF or RDB cannot be written.
    pub force: bool,
}

impl ShutdownFlags {
    pub const NOSAVE: ShutdownFlags = ShutdownFlags {
        save: false,
        nosave: true,
        now: false,
        force: false,
    };

    /// `shutdown-on-sigterm` / `shutdown-on-sigint`'s value: `default` or
    /// some of save, nosave, now, force.
    pub fn from_directive(value: &str) -> ShutdownFlags {
        let mut f = ShutdownFlags::default();
        for word in value.split_whitespace() {
            match word {
                "save" => f.save = true,
                "nosave" => f.nosave = true,
                "now" => f.now = true,
                "force" => f.force = true,
                _ => {}
            }
        }
        f
    }
}

/// The shutdown under way, if any, and the signal that asked for one.
#[derive(Debug, Default)]
pub struct ShutdownState {
    /// SIGTERM / SIGINT arrived: the next cron shuts down (shutdown_asap).
    pub asap: bool,
    /// The signal that set `asap` (last_sig_received).
    pub signal: Option<Signal>,
    /// Waiting for replicas: the flags and when to give up waiting
    /// (shutdown_flags, shutdown_mstime).
    pub initiated: Option<(ShutdownFlags, Millis)>,
    /// Clients blocked in SHUTDOWN.
    pub blocked: Vec<ConnId>,
    /// Blocked clients to answer with the failure (replyToClientsBlockedOnShutdown).
    pub to_fail: Vec<ConnId>,
}

/// What SHUTDOWN's blocked clients get when it is called off.
pub const FAILED: &str = "ERR Errors trying to SHUTDOWN. Check logs.";

impl ServerState {
    /// prepareForShutdown: `true` when the server may exit now (Shutdown
    /// emitted); `false` while waiting for replicas or after a failure.
    pub fn prepare_for_shutdown(&mut self, mut flags: ShutdownFlags) -> bool {
        if self.shutdown.initiated.is_some() {
            return false;
        }
        // A dataset half loaded is never saved.
        if self.loading {
            flags.save = false;
            flags.nosave = true;
        }
        self.log(LogLevel::Warning, "User requested shutdown...");
        let timeout = self.config.get_i64(super::config::Key::SHUTDOWN_TIMEOUT) as u64;
        if !flags.now && timeout != 0 && !self.ready_to_shutdown() {
            self.shutdown.initiated = Some((flags, self.now.saturating_add(timeout * 1000)));
            if !self.pause.is_paused() {
                self.repl_actions.push(ReplAction::RequestAcks);
            }
            self.pause.pause(
                PausePurpose::Shutdown,
                Millis::MAX,
                PauseKind::Write,
                self.now,
            );
            self.log(
                LogLevel::Notice,
                "Waiting for replicas before shutting down.",
            );
            return false;
        }
        self.finish_shutdown(flags)
    }

    /// isReadyToShutdown: every replica acknowledged our offset.
    fn ready_to_shutdown(&self) -> bool {
        self.repl
            .replicas
            .values()
            .all(|r| r.ack_offset == self.repl.offset)
    }

    /// The cron's part: start what a signal asked for, or end the wait.
    pub(super) fn shutdown_cron(&mut self) -> bool {
        if self.shutdown.asap && self.shutdown.initiated.is_none() {
            let directive = match self.shutdown.signal {
                Some(Signal::Int) => super::config::Key::SHUTDOWN_ON_SIGINT,
                _ => super::config::Key::SHUTDOWN_ON_SIGTERM,
            };
            let flags = ShutdownFlags::from_directive(self.config.get(directive));
            return self.prepare_for_shutdown(flags);
        }
        if let Some((flags, deadline)) = self.shutdown.initiated {
            if self.now >= deadline || self.ready_to_shutdown() {
                return self.finish_shutdown(flags);
            }
        }
        false
    }

    /// finishShutdown: say how the replicas stand, stop background work,
    /// flush the AOF, make the final save, and exit; or cancel.
    fn finish_shutdown(&mut self, flags: ShutdownFlags) -> bool {
        let now_secs = self.now / 1000;
        let offset = self.repl.offset;
        let lagging: Vec<String> = self
            .repl
            .replicas
            .values()
            .filter(|r| r.ack_offset != offset)
            .map(|r| {
                let lag = if r.state == ReplicaState::Online {
                    now_secs.saturating_sub(r.ack_time / 1000)
                } else {
                    0
                };
                format!(
                    "Lagging replica {} reported offset {} behind master, lag={lag}, state={}.",
                    r.name(),
                    offset as i64 - r.ack_offset as i64,
                    r.state.name()
                )
            })
            .collect();
        let replicas = self.repl.replicas.len();
        for line in &lagging {
            self.log(LogLevel::Warning, line.as_str());
        }
        if replicas > 0 {
            self.log(
                LogLevel::Notice,
                format!(
                    "{} of {replicas} replicas are in sync when shutting down.",
                    replicas - lagging.len()
                ),
            );
        }
        if self.bgsave_job.is_some() {
            self.log(
                LogLevel::Warning,
                "There is a child saving an .rdb. Killing it!",
            );
            self.kill_bgsave();
        }
        if self.aof.rewrite.is_some() {
            // Without its first rewrite the AOF holds nothing yet.
            if self.aof.state == AofState::WaitRewrite {
                if !flags.force {
                    self.log(LogLevel::Warning, "Writing initial AOF, can't exit.");
                    self.shutdown_failed();
                    return false;
                }
                self.log(LogLevel::Warning, "Writing initial AOF. Exit anyway.");
            }
            self.log(
                LogLevel::Warning,
                "There is a child rewriting the AOF. Killing it!",
            );
            self.aof_kill_rewrite();
        }
        if self.aof.state != AofState::Off {
            self.aof_flush(true);
            self.log(LogLevel::Notice, "Calling fsync() on the AOF file.");
            let file = self.aof_current_incr();
            self.emit(Event::AofFile(crate::node::FileOp::Append {
                file,
                bytes: Vec::new(),
                fsync: true,
            }));
        }
        if flags.save || (!flags.nosave && !self.config.save_points().is_empty()) {
            self.log(
                LogLevel::Notice,
                "Saving the final RDB snapshot before exiting.",
            );
            if !self.save() {
                if self.shutting_down {
                    // A SIGINT during the save: the process exits now.
                    return true;
                }
                if !flags.force {
                    self.log(
                        LogLevel::Warning,
                        "Error trying to save the DB, can't exit.",
                    );
                    self.shutdown_failed();
                    return false;
                }
                self.log(
                    LogLevel::Warning,
                    "Error trying to save the DB. Exit anyway.",
                );
            }
        }
        self.log(LogLevel::Warning, "Redis is now ready to exit, bye bye...");
        self.shutting_down = true;
        self.emit(Event::Shutdown { exit_code: 0 });
        true
    }

    fn shutdown_failed(&mut self) {
        self.log(
            LogLevel::Warning,
            "Errors trying to shut down the server. Check the logs for more information.",
        );
        self.cancel_shutdown();
    }

    /// cancelShutdown: forget the request, answer SHUTDOWN's clients,
    /// let writes through again.
    fn cancel_shutdown(&mut self) {
        self.shutdown.asap = false;
        self.shutdown.signal = None;
        self.shutdown.initiated = None;
        let blocked = std::mem::take(&mut self.shutdown.blocked);
        self.shutdown.to_fail.extend(blocked);
        self.pause.unpause(PausePurpose::Shutdown, self.now);
    }

    /// SHUTDOWN ABORT (abortShutdown): `false` when nothing was under way.
    pub fn abort_shutdown(&mut self) -> bool {
        if self.shutdown.initiated.is_some() {
            self.cancel_shutdown();
        } else if self.shutdown.asap {
            self.shutdown.asap = false;
        } else {
            return false;
        }
        self.log(LogLevel::Notice, "Shutdown manually aborted.");
        true
    }

    /// sigShutdownHandler: the line it logs, and whether to exit at once
    /// (a second SIGINT: "You insist"), with 7.0's exit code 1.
    pub fn shutdown_signal(&mut self, sig: Signal) {
        if self.shutdown.asap && sig == Signal::Int {
            self.emit(Event::SignalLog {
                message: "You insist... exiting now.".into(),
            });
            self.shutting_down = true;
            self.emit(Event::Shutdown { exit_code: 1 });
            return;
        }
        let message = if self.loading {
            "Received shutdown signal during loading, scheduling shutdown."
        } else {
            match sig {
                Signal::Int => "Received SIGINT scheduling shutdown...",
                Signal::Term => "Received SIGTERM scheduling shutdown...",
            }
        };
        self.emit(Event::SignalLog {
            message: message.into(),
        });
        self.shutdown.asap = true;
        self.shutdown.signal = Some(sig);
    }

    /// INFO's `shutdown_in_milliseconds`, while waiting for replicas.
    pub fn shutdown_in_ms(&self) -> Option<i64> {
        self.shutdown
            .initiated
            .map(|(_, deadline)| deadline as i64 - self.now as i64)
    }
}

impl Server {
    /// Answer the clients blocked in a SHUTDOWN that was called off.
    pub(super) fn fail_blocked_shutdowns(&mut self) {
        for conn in std::mem::take(&mut self.st.shutdown.to_fail) {
            let Some(c) = self.clients.get_mut(&conn) else {
                continue;
            };
            if c.blocked.take().is_none() {
                continue;
            }
            let from = c.reply.len();
            c.reply.error(FAILED);
            c.settle_replies(from);
            self.st.count_error(FAILED);
            self.st.pending.insert(conn);
            self.st.unblocked.push(conn);
        }
    }
}
