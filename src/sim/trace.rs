//! What happened in a simulation, with virtual timestamps: the data tests
//! assert on and the UI shows.

use crate::node::{Event, Millis, PersistStep};
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    Start,
    Crash,
    Pause,
    Net,
    Log,
    Role,
    Message,
    Sentinel,
    /// A script a sentinel asked to run (notification or client
    /// reconfiguration), with its arguments: recorded, never executed.
    Script,
    Other,
}

#[derive(Clone, Debug)]
pub struct TraceEntry {
    pub time: Millis,
    pub host: String,
    pub kind: TraceKind,
    pub text: String,
}

#[derive(Default, Debug)]
pub struct Trace {
    pub entries: Vec<TraceEntry>,
    /// Record a summary of every message sent (off by default: it is large).
    pub messages: bool,
    /// Running hash of everything recorded, to compare runs cheaply.
    pub hash: u64,
}

impl Trace {
    pub fn push(&mut self, time: Millis, host: &str, kind: TraceKind, text: String) {
        // FNV-1a over the entry: identical runs give identical hashes.
        let mut h = if self.hash == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.hash
        };
        for b in time
            .to_le_bytes()
            .iter()
            .chain(host.as_bytes())
            .chain(text.as_bytes())
        {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        self.hash = h;
        self.entries.push(TraceEntry {
            time,
            host: host.to_string(),
            kind,
            text,
        });
    }

    pub fn message(&mut self, time: Millis, host: &str, bytes: &[u8]) {
        if self.messages {
            let head: String =
                String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).replace("\r\n", " ");
            self.push(
                time,
                host,
                TraceKind::Message,
                format!("{} bytes: {head}", bytes.len()),
            );
        }
    }

    /// A script the node asked to run: recorded, not executed.
    pub fn script(&mut self, time: Millis, host: &str, argv: &[String]) {
        self.push(time, host, TraceKind::Script, argv.join(" "));
    }

    pub fn event(&mut self, time: Millis, host: &str, ev: Event, disk: &mut super::Disk) {
        match ev {
            Event::Log { level, message } => self.push(
                time,
                host,
                TraceKind::Log,
                format!("{} {}", level.mark(), message),
            ),
            // A signal handler's line reads as a warning.
            Event::SignalLog { message } => {
                self.push(time, host, TraceKind::Log, format!("# {message}"))
            }
            Event::RoleChanged { role } => {
                self.push(time, host, TraceKind::Role, role.name().to_string())
            }
            Event::Persist { file, bytes } => {
                let n = bytes.len();
                disk.insert(file.clone(), bytes);
                self.push(
                    time,
                    host,
                    TraceKind::Other,
                    format!("saved {file} ({n} bytes)"),
                )
            }
            Event::PersistPart { file, bytes, step } => {
                // The temp file lives on the disk while the save runs (a
                // crash leaves it there, as it leaves Redis's temp-<pid>.rdb).
                let tmp = format!("temp-{file}");
                match step {
                    PersistStep::Start => {
                        disk.insert(tmp, bytes);
                    }
                    PersistStep::Append => disk.entry(tmp).or_default().extend(bytes),
                    PersistStep::Abort => {
                        disk.remove(&tmp);
                    }
                    PersistStep::Finish => {
                        let mut all = disk.remove(&tmp).unwrap_or_default();
                        all.extend(bytes);
                        let n = all.len();
                        disk.insert(file.clone(), all);
                        self.push(
                            time,
                            host,
                            TraceKind::Other,
                            format!("saved {file} ({n} bytes)"),
                        )
                    }
                }
            }
            Event::ConfigRewrite { path, text } => {
                disk.insert(path.clone(), text.into_bytes());
                self.push(time, host, TraceKind::Other, format!("rewrote {path}"))
            }
            Event::Sentinel { kind, detail } => {
                self.push(time, host, TraceKind::Sentinel, format!("{kind} {detail}"))
            }
            other => self.push(time, host, TraceKind::Other, format!("{other:?}")),
        }
    }

    /// Log lines of one host containing `needle`.
    pub fn logs_of<'a>(&'a self, host: &'a str) -> impl Iterator<Item = &'a TraceEntry> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.host == host && e.kind == TraceKind::Log)
    }

    pub fn contains(&self, host: &str, needle: &str) -> bool {
        self.logs_of(host).any(|e| e.text.contains(needle))
    }

    /// The whole trace as text, one entry a line.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            let _ = writeln!(s, "{:>10} {:<18} {:?} {}", e.time, e.host, e.kind, e.text);
        }
        s
    }
}
