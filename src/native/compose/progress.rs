//! Compose v2's progress lines for up / down / stop / start / kill / restart.
//!
//! On a terminal Compose redraws a block (`[+] Running 6/6` and one
//! ` ✔ Container redis_master-1  Started  0.3s` line per resource); we print
//! that block once, when the command is done. Otherwise Compose's plain
//! writer prints every event as it happens, as `fmt.Println("", id, text, "")`
//! does: ` Container redis_master-1 Started `.

use std::io::IsTerminal;
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Working,
    Done,
    Error,
}

struct Line {
    id: String,
    text: String,
    status: Status,
    start: Instant,
    end: Option<Instant>,
}

pub struct Progress {
    tty: bool,
    lines: Vec<Line>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            tty: std::io::stdout().is_terminal(),
            lines: Vec::new(),
        }
    }

    /// A resource's new state: `event("Container x", "Starting", Status::Working)`.
    pub fn event(&mut self, id: &str, text: &str, status: Status) {
        if !self.tty {
            println!(" {id} {text} ");
        }
        let now = Instant::now();
        match self.lines.iter_mut().find(|l| l.id == id) {
            Some(l) => {
                l.text = text.to_string();
                l.status = status;
                l.end = (status != Status::Working).then_some(now);
            }
            None => self.lines.push(Line {
                id: id.to_string(),
                text: text.to_string(),
                status,
                start: now,
                end: (status != Status::Working).then_some(now),
            }),
        }
    }

    /// The terminal's last frame.
    pub fn finish(&self) {
        if !self.tty || self.lines.is_empty() {
            return;
        }
        let done = self
            .lines
            .iter()
            .filter(|l| l.status == Status::Done)
            .count();
        println!("[+] Running {done}/{}", self.lines.len());
        let width = self.lines.iter().map(|l| l.id.len()).max().unwrap_or(0);
        for l in &self.lines {
            let (mark, colour) = match l.status {
                Status::Done => ("✔", "\x1b[32m"),
                Status::Error => ("✘", "\x1b[31m\x1b[1m"),
                Status::Working => ("⠿", "\x1b[33m"),
            };
            let secs = l
                .end
                .unwrap_or_else(Instant::now)
                .duration_since(l.start)
                .as_secs_f64();
            println!(
                " {colour}{mark}\x1b[0m {:<width$} {colour}{}\x1b[0m  \x1b[34m{secs:.1}s \x1b[0m",
                l.id, l.text
            );
        }
    }
}
