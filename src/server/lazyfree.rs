//! Lazy freeing (7.0's lazyfree.c): a big value deleted by UNLINK, or by DEL
//! with `lazyfree-lazy-user-del`, leaves the keyspace at once but is freed
//! after the reply, at the next cron tick, so the command does not pay for
//! it. 7.0 frees it in a background thread; the core has none, so it frees
//! it later on the same thread. INFO's `lazyfree_pending_objects` and
//! `lazyfreed_objects` count these values.

use crate::keyspace::{Object, Value};

/// Values cheaper to free than this many allocations are freed at once
/// (LAZYFREE_THRESHOLD).
const THRESHOLD: usize = 64;

#[derive(Default)]
pub struct LazyFree {
    pending: Vec<Object>,
    /// Values freed this way since the last CONFIG RESETSTAT.
    pub freed: u64,
}

impl LazyFree {
    /// Free `obj` now, or later if it is big (freeObjAsync).
    pub fn free(&mut self, obj: Object) {
        if free_effort(&obj.value) > THRESHOLD {
            self.pending.push(obj);
        }
    }

    /// Values waiting to be freed.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Free what waits (the cron calls this once replies are out).
    pub fn drain(&mut self) {
        self.freed += self.pending.len() as u64;
        self.pending.clear();
    }
}

/// lazyfreeGetFreeEffort: about how many allocations freeing `v` releases.
fn free_effort(v: &Value) -> usize {
    match v {
        Value::Str(_) | Value::Corrupt(_) => 1,
        Value::List(l) => l.node_count(),
        Value::Set(s) => s.table().map_or(1, |t| t.len()),
        Value::Hash(h) => h.table().map_or(1, |t| t.len()),
        Value::ZSet(z) => match z {
            crate::keyspace::zset::ZSet::Skip(_) => z.len(),
            crate::keyspace::zset::ZSet::Packed(_) => 1,
        },
        // Each node of the rax, and each group with its pending entries.
        Value::Stream(s) => {
            s.nodes.len() + s.groups.values().map(|g| g.pel.len() + 1).sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;

    fn field(k: &mut Kit, name: &str) -> String {
        let info = k.cmd(1, "INFO memory");
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn unlink_frees_big_values_after_the_reply() {
        let mut k = Kit::new();
        let members: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
        k.cmd(1, &format!("SADD big {}", members.join(" ")));
        k.cmd(1, "SADD small a b");
        assert_eq!(k.cmd(1, "UNLINK big small"), ":2\r\n");
        assert_eq!(k.cmd(1, "EXISTS big"), ":0\r\n");
        // The small set was freed at once; the big one waits for the cron.
        assert_eq!(field(&mut k, "lazyfree_pending_objects"), "1");
        k.tick(200);
        assert_eq!(field(&mut k, "lazyfree_pending_objects"), "0");
        assert_eq!(field(&mut k, "lazyfreed_objects"), "1");
        // DEL frees at once unless lazyfree-lazy-user-del says otherwise.
        k.cmd(1, &format!("SADD big {}", members.join(" ")));
        k.cmd(1, "DEL big");
        assert_eq!(field(&mut k, "lazyfree_pending_objects"), "0");
        k.cmd(1, "CONFIG RESETSTAT");
        assert_eq!(field(&mut k, "lazyfreed_objects"), "0");
    }
}
