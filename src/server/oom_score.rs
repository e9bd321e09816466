//! `oom-score-adj` / `oom-score-adj-values` (7.0's setOOMScoreAdj): which
//! score the process should have for its role — master, replica, or a
//! background child — that the host writes to /proc.

use super::config::Key;
use super::ServerState;
use crate::node::OomScore;

/// Positions in `oom-score-adj-values` (CONFIG_OOM_MASTER, _REPLICA, _BGCHILD).
pub const MASTER: usize = 0;
pub const REPLICA: usize = 1;
pub const BGCHILD: usize = 2;

impl ServerState {
    /// The score a process of `class` should have; `None` when the setting
    /// is off (the host restores what it changed, if anything).
    pub fn oom_score(&self, class: usize) -> Option<OomScore> {
        let mode = self.config.get(Key::OOM_SCORE_ADJ);
        if mode == "no" {
            return Some(OomScore::Restore);
        }
        let value = self
            .config
            .get(Key::OOM_SCORE_ADJ_VALUES)
            .split_whitespace()
            .nth(class)?
            .parse()
            .ok()?;
        // `yes` is the old name of `relative`.
        let relative = mode != "absolute";
        Some(OomScore::Set { value, relative })
    }

    /// Give the process the score of its role now (at start, on CONFIG
    /// SET, when the role changes). The error is 7.0's log line.
    pub fn apply_oom_score(&self) -> Result<(), String> {
        let class = if self.repl.is_replica() {
            REPLICA
        } else {
            MASTER
        };
        match (self.oom_score(class), self.host.probe.as_deref()) {
            (Some(score), Some(probe)) => probe.set_oom_score_adj(score, None),
            _ => Ok(()),
        }
    }
}
