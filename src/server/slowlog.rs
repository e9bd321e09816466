//! The slow log: commands that took at least `slowlog-log-slower-than`
//! microseconds, newest first, at most `slowlog-max-len` of them (Redis 7.0's
//! slowlog.c). Arguments are kept as the client sent them, trimmed and with
//! secrets redacted as Redis does.

use bytes::Bytes;
use std::collections::VecDeque;

/// At most this many arguments are kept; the last says how many more there were.
const MAX_ARGC: usize = 32;
/// Longer arguments are cut to this many bytes.
const MAX_STRING: usize = 128;

#[derive(Clone, Debug)]
pub struct SlowlogEntry {
    pub id: u64,
    /// Unix time in seconds when the command was logged.
    pub time: u64,
    pub duration_us: u64,
    pub args: Vec<Bytes>,
    /// `ip:port` of the client.
    pub peer: String,
    pub name: Bytes,
}

#[derive(Clone, Debug, Default)]
pub struct Slowlog {
    /// Newest first.
    pub entries: VecDeque<SlowlogEntry>,
    next_id: u64,
}

/// What a command's entry records besides its arguments.
pub struct Caller<'a> {
    /// The client's address, formatted only when an entry is logged.
    pub peer: &'a crate::node::Addr,
    pub name: Option<&'a Bytes>,
    pub now_ms: u64,
}

impl Slowlog {
    /// slowlogPushEntryIfNeeded: log the command if it was slow enough.
    pub fn push_if_needed(
        &mut self,
        slower_than: i64,
        max_len: usize,
        argv: &[Bytes],
        duration_us: u64,
        caller: Caller,
    ) {
        if slower_than < 0 || max_len == 0 || (duration_us as i64) < slower_than {
            return;
        }
        let args = redact(argv);
        let argc = args.len();
        let kept = argc.min(MAX_ARGC);
        let mut logged = Vec::with_capacity(kept);
        for (j, a) in args.into_iter().take(kept).enumerate() {
            if kept != argc && j == kept - 1 {
                logged.push(Bytes::from(format!(
                    "... ({} more arguments)",
                    argc - kept + 1
                )));
            } else if a.len() > MAX_STRING {
                let mut s = a[..MAX_STRING].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes(),
                );
                logged.push(Bytes::from(s));
            } else {
                logged.push(a);
            }
        }
        self.entries.push_front(SlowlogEntry {
            id: self.next_id,
            time: caller.now_ms / 1000,
            duration_us,
            args: logged,
            peer: caller.peer.to_string(),
            name: caller.name.cloned().unwrap_or_default(),
        });
        self.next_id += 1;
        self.entries.truncate(max_len);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}

/// Directives whose values CONFIG SET hides from the slow log.
const SENSITIVE_CONFIGS: &[&str] = &["masterauth", "masteruser", "requirepass"];

/// The arguments with the secrets Redis redacts replaced by `(redacted)`:
/// passwords of AUTH, HELLO AUTH, MIGRATE AUTH / AUTH2, ACL SETUSER's rules
/// and CONFIG SET of a password directive.
pub(crate) fn redact(argv: &[Bytes]) -> Vec<Bytes> {
    let hidden = Bytes::from_static(b"(redacted)");
    let mut out = argv.to_vec();
    let name = argv.first().map(|a| lower(a)).unwrap_or_default();
    let sub = argv.get(1).map(|a| lower(a)).unwrap_or_default();
    let hide_from = |start: usize, n: usize, out: &mut Vec<Bytes>| {
        for a in out.iter_mut().skip(start).take(n) {
            *a = hidden.clone();
        }
    };
    match name.as_str() {
        "auth" => hide_from(1, usize::MAX, &mut out),
        "acl" if sub == "setuser" => hide_from(2, usize::MAX, &mut out),
        "config" if sub == "set" => {
            let mut j = 2;
            while j + 1 < argv.len() {
                if SENSITIVE_CONFIGS.contains(&lower(&argv[j]).as_str()) {
                    hide_from(j + 1, 1, &mut out);
                }
                j += 2;
            }
        }
        "hello" | "migrate" => {
            let mut j = 1;
            while j < argv.len() {
                match lower(&argv[j]).as_str() {
                    "auth" if name == "hello" => {
                        hide_from(j + 1, 2, &mut out);
                        j += 2;
                    }
                    "auth" => {
                        hide_from(j + 1, 1, &mut out);
                        j += 1;
                    }
                    "auth2" => {
                        hide_from(j + 1, 2, &mut out);
                        j += 2;
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|a| Bytes::from(a.to_string())).collect()
    }

    fn caller() -> Caller<'static> {
        static PEER: std::sync::OnceLock<crate::node::Addr> = std::sync::OnceLock::new();
        Caller {
            peer: PEER.get_or_init(|| crate::node::Addr::new("127.0.0.1", 1)),
            name: None,
            now_ms: 5000,
        }
    }

    #[test]
    fn trims_and_redacts() {
        let mut log = Slowlog::default();
        let many: Vec<String> = (3..=33).map(|i| i.to_string()).collect();
        log.push_if_needed(
            0,
            128,
            &argv(&format!("sadd set {}", many.join(" "))),
            1,
            caller(),
        );
        let e = &log.entries[0];
        assert_eq!(e.args.len(), 32);
        assert_eq!(e.args[31], "... (2 more arguments)");
        let long = "A".repeat(129);
        log.push_if_needed(0, 128, &argv(&format!("sadd set {long}")), 1, caller());
        assert!(log.entries[0].args[2].ends_with(b"... (1 more bytes)"));
        log.push_if_needed(0, 128, &argv("config set masterauth x"), 1, caller());
        assert_eq!(log.entries[0].args[3], "(redacted)");
        log.push_if_needed(0, 2, &argv("acl setuser u +get +set"), 1, caller());
        assert_eq!(log.entries.len(), 2);
        assert_eq!(log.entries[0].args[1], "setuser");
        assert_eq!(log.entries[0].args[2], "(redacted)");
        assert_eq!(log.entries[0].id, 3);
        log.push_if_needed(100, 2, &argv("ping"), 99, caller());
        log.push_if_needed(-1, 2, &argv("ping"), 1000, caller());
        assert_eq!(log.entries[0].id, 3);
    }
}
