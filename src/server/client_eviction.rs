//! `maxmemory-clients` (7.0's client eviction): when the normal and pub/sub
//! clients together hold more than the limit, the biggest of them are
//! disconnected, those that said CLIENT NO-EVICT ON spared. It runs before
//! key eviction, so client buffers do not cost keys.

use super::client::ClientKind;
use super::memory;
use super::{Key, LogLevel, Server};
use crate::node::ConnId;

impl Server {
    /// `evictClients`: disconnect the biggest evictable clients while the
    /// clients' memory is at or over `maxmemory-clients`.
    pub(crate) fn evict_clients(&mut self) {
        // getClientEvictionLimit: bytes, or a percentage of maxmemory; never
        // under 128 KiB, so a bad setting cannot cut every client off.
        let set = self.st.config.get_i64(Key::MAXMEMORY_CLIENTS);
        let maxmemory = self.st.config.maxmemory();
        let limit = match set {
            0 => return,
            p if p < 0 => {
                if maxmemory == 0 {
                    return;
                }
                (maxmemory as f64 * -(p as f64) / 100.0) as u64
            }
            b => b as u64,
        }
        .max(128 * 1024);
        let mut total = 0u64;
        let mut evictable: Vec<(u64, ConnId)> = Vec::new();
        for (conn, c) in &self.clients {
            if matches!(c.kind, ClientKind::Master | ClientKind::Replica) {
                continue;
            }
            // What CLIENT LIST's tot-mem says.
            let m = memory::client_tot_mem(c, self.st.output_use(c, false).omem);
            total += m;
            if !c.no_evict {
                evictable.push((m, *conn));
            }
        }
        if total < limit {
            return;
        }
        // Biggest first; ties in connection order, so runs replay.
        crate::coldsort::sort_by(&mut evictable, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (m, conn) in evictable {
            if total < limit {
                return;
            }
            if let Some(c) = self.clients.get(&conn) {
                let line = crate::commands::client::client_line(
                    c,
                    self.st.now,
                    None,
                    self.st.unsent(conn),
                );
                self.st.log(
                    LogLevel::Notice,
                    format!("Evicting client: {}", line.trim_end()),
                );
            }
            // freeClient: what it had not read goes with it.
            self.close_dropping_output(conn);
            self.st.stats.evicted_clients += 1;
            total = total.saturating_sub(m);
        }
        if total >= limit {
            self.st.log(
                LogLevel::Warning,
                "Over client maxmemory after evicting all evictable clients",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;

    /// Clients holding big partial requests: over `maxmemory-clients` the
    /// biggest goes first, a NO-EVICT one is spared, keys are left alone.
    #[test]
    fn the_biggest_evictable_client_goes_first() {
        let mut k = Kit::new();
        k.cmd(1, "SET a b");
        assert_eq!(k.cmd(2, "CLIENT NO-EVICT on"), "+OK\r\n");
        // A big argument on its way: the query buffer is sized for it.
        let part = |len: usize, n: usize| {
            let mut v = format!("*2\r\n$3\r\nSET\r\n${len}\r\n").into_bytes();
            v.extend(std::iter::repeat_n(b'x', n));
            v
        };
        k.raw(2, &part(200_000, 150_000));
        k.raw(3, &part(200_000, 120_000));
        k.raw(4, &part(2_000, 1_000));
        k.cmd(1, "CONFIG SET maxmemory-clients 350000");
        k.tick(200);
        let ids: Vec<u64> = k.srv.clients.keys().map(|c| c.0).collect();
        assert!(ids.contains(&2), "the NO-EVICT client stays: {ids:?}");
        assert!(
            !ids.contains(&3),
            "the biggest evictable client goes: {ids:?}"
        );
        assert!(ids.contains(&4), "one eviction was enough: {ids:?}");
        assert_eq!(k.srv.st.stats.evicted_clients, 1);
        assert_eq!(k.cmd(1, "DBSIZE"), ":1\r\n");
        assert!(k.cmd(1, "INFO stats").contains("evicted_clients:1\r\n"));
    }
}
