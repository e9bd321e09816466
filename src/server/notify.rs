//! Keyspace notifications (`notify-keyspace-events`), as 7.0's notify.c:
//! a command that changes a key publishes `<event>` on
//! `__keyspace@<db>__:<key>` (flag K) and `<key>` on
//! `__keyevent@<db>__:<event>` (flag E), when the event's class is enabled.
//!
//! Handlers queue notes with [`ServerState::notify`]; the server publishes
//! them once the command has run (see `Server::publish_notifications`), so
//! a handler never needs the other clients. Keys a command creates are
//! announced as `new` before the command's own event, as `dbAdd` does.

use super::ServerState;
use bytes::Bytes;

/// Event classes and the two channel kinds, with notify.c's bits.
pub mod class {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const MODULE: u32 = 1 << 12;
    pub const NEW: u32 = 1 << 13;
    /// 'A': every class but key-miss and new.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// The classes a `notify-keyspace-events` value enables (keyspaceEventsStringToFlags).
pub fn flags(text: &str) -> u32 {
    let mut f = 0;
    for c in text.chars() {
        f |= match c {
            'A' => class::ALL,
            'g' => class::GENERIC,
            '$' => class::STRING,
            'l' => class::LIST,
            's' => class::SET,
            'h' => class::HASH,
            'z' => class::ZSET,
            'x' => class::EXPIRED,
            'e' => class::EVICTED,
            'K' => class::KEYSPACE,
            'E' => class::KEYEVENT,
            't' => class::STREAM,
            'm' => class::KEY_MISS,
            'd' => class::MODULE,
            'n' => class::NEW,
            _ => 0,
        };
    }
    f
}

/// One event waiting to be published.
#[derive(Clone, Debug)]
pub struct Note {
    pub event: &'static str,
    pub key: Bytes,
    pub db: usize,
}

impl Note {
    /// The messages to publish: `(channel, message)` for each enabled kind.
    pub fn messages(&self, flags: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::with_capacity(2);
        if flags & class::KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{}__:", self.db).into_bytes();
            ch.extend_from_slice(&self.key);
            out.push((ch, self.event.as_bytes().to_vec()));
        }
        if flags & class::KEYEVENT != 0 {
            let ch = format!("__keyevent@{}__:{}", self.db, self.event).into_bytes();
            out.push((ch, self.key.to_vec()));
        }
        out
    }
}

impl ServerState {
    /// notifyKeyspaceEvent: queue `event` for `key` in database `db` if its
    /// class is enabled. Keys created so far are announced first.
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8], db: usize) {
        if self.notify_flags == 0 {
            return;
        }
        self.take_created_keys();
        if self.notify_flags & class != 0
            && self.notify_flags & (class::KEYSPACE | class::KEYEVENT) != 0
        {
            self.notes.push(Note {
                event,
                key: Bytes::copy_from_slice(key),
                db,
            });
        }
    }

    /// Queue `new` for the keys the databases created since the last call.
    pub fn take_created_keys(&mut self) {
        for db in 0..self.dbs.len() {
            if self.dbs[db].created.is_empty() {
                continue;
            }
            let created = std::mem::take(&mut self.dbs[db].created);
            if self.notify_flags & class::NEW != 0 {
                for key in created {
                    self.notes.push(Note {
                        event: "new",
                        key,
                        db,
                    });
                }
            }
        }
    }

    /// Recompute the enabled classes after the directive changed; databases
    /// record created keys only while `new` events are wanted.
    pub fn refresh_notify_flags(&mut self) {
        let f = flags(self.config.get(super::config::Key::NOTIFY_KEYSPACE_EVENTS));
        // Without K or E nothing is published (notify.c checks this first).
        self.notify_flags = if f & (class::KEYSPACE | class::KEYEVENT) == 0 {
            0
        } else {
            f
        };
        let track = self.notify_flags & class::NEW != 0;
        for db in &mut self.dbs {
            db.track_new = track;
            if !track {
                db.created.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_letters_as_notify_c() {
        assert_eq!(flags("KEA"), class::KEYSPACE | class::KEYEVENT | class::ALL);
        assert_eq!(flags("Kl"), class::KEYSPACE | class::LIST);
        assert_eq!(flags("En") & class::NEW, class::NEW);
        assert_eq!(flags("A") & (class::KEY_MISS | class::NEW), 0);
        assert_eq!(flags(""), 0);
    }

    #[test]
    fn channels_for_both_kinds() {
        let n = Note {
            event: "set",
            key: Bytes::from_static(b"foo"),
            db: 9,
        };
        let m = n.messages(class::KEYSPACE | class::KEYEVENT);
        assert_eq!(m[0], (b"__keyspace@9__:foo".to_vec(), b"set".to_vec()));
        assert_eq!(m[1], (b"__keyevent@9__:set".to_vec(), b"foo".to_vec()));
        assert_eq!(n.messages(class::KEYEVENT).len(), 1);
    }
}
