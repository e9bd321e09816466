//! `maxmemory-clients` (7.0's client eviction): when the normal and pub/sub
//! clients together hold more than the limit, the biggest of them are
//! disconnected, those that said CLIENT NO-EVICT ON spared. It runs before
//! key eviction, so client buffers do not cost keys.

use super::client::ClientKind;
use super::memory;
use super::{Key, LogLevel, Server};
use crate::node::{ConnId, Output};

impl Server {
    /// `evictClients`: disconnect the biggest evictable clients while the
    /// clients' memory is at or over `maxmemory-clients`.
    pub(crate) fn evict_clients(&mut self) {
        let limit = self.st.config.get_i64(Key::MAXMEMORY_CLIENTS).max(0) as u64;
        if limit == 0 {
            return;
        }
        let mut total = 0u64;
        let mut evictable: Vec<(u64, ConnId)> = Vec::new();
        let probe = self.st.host.probe.as_deref();
        for (conn, c) in &self.clients {
            if matches!(c.kind, ClientKind::Master | ClientKind::Replica) {
                continue;
            }
            let query = c.query.capacity() + c.parser.partial_args_bytes();
            let unsent = probe.map_or(0, |p| p.unsent_output(*conn)) as usize;
            let m = memory::client_memory(query, c.reply.len() + c.pushes.len() + unsent);
            total += m;
            if !c.no_evict {
                evictable.push((m, *conn));
            }
        }
        if total < limit {
            return;
        }
        // Biggest first; ties in connection order, so runs replay.
        evictable.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (m, conn) in evictable {
            if total < limit {
                break;
            }
            if let Some(c) = self.clients.get(&conn) {
                let line = crate::commands::client::client_line(c, self.st.now, None);
                self.st.log(
                    LogLevel::Verbose,
                    format!("Evicting client: {}", line.trim_end()),
                );
            }
            self.st.out.push_back(Output::Close { conn });
            self.free_client(conn);
            self.st.stats.evicted_clients += 1;
            total = total.saturating_sub(m);
        }
    }
}
