//! setOOMScoreAdj for Linux: the process's /proc/self/oom_score_adj, with
//! the score it had before kept to restore it and to add relative values to.

use super::os_error::strerror;

use crate::node::OomScore;
use std::sync::Mutex;

/// Whether we changed the score, and what it was before.
static ADJUSTED: Mutex<Option<i32>> = Mutex::new(None);

/// Write the score for this process (`pid` None) or for a child of ours.
pub fn set(score: OomScore, pid: Option<u32>) -> Result<(), String> {
    let mut adjusted = ADJUSTED.lock().unwrap_or_else(|e| e.into_inner());
    let base = match *adjusted {
        Some(base) => base,
        None => read_own()?,
    };
    let value = match score {
        OomScore::Set { value, relative } => {
            if pid.is_none() {
                *adjusted = Some(base);
            }
            let v = if relative { value + base } else { value };
            v.clamp(-1000, 1000)
        }
        OomScore::Restore if adjusted.is_some() => {
            if pid.is_none() {
                *adjusted = None;
            }
            base
        }
        OomScore::Restore => return Ok(()),
    };
    let path = match pid {
        Some(p) => format!("/proc/{p}/oom_score_adj"),
        None => "/proc/self/oom_score_adj".into(),
    };
    std::fs::write(&path, format!("{value}\n"))
        .map_err(|e| format!("Unable to write oom_score_adj: {}", strerror(&e)))
}

fn read_own() -> Result<i32, String> {
    std::fs::read_to_string("/proc/self/oom_score_adj")
        .map_err(|e| format!("Unable to read oom_score_adj: {}", strerror(&e)))
        .map(|s| s.trim().parse().unwrap_or(0))
}
