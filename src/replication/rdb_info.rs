//! The replication id, offset and stream database an RDB file carries
//! (rdbPopulateSaveInfo), and what a restart makes of them
//! (loadDataFromDisk): a restarted replica resumes with a partial resync, a
//! restarted master keeps the id as its secondary one so its former
//! replicas can.

use super::{backlog::Backlog, CachedMaster, LinkState};
use crate::rdb::Aux;
use crate::server::{Key, ServerState};

impl ServerState {
    /// rdbPopulateSaveInfo: (stream db, replid, offset) when they mean
    /// something, None otherwise.
    pub fn repl_save_info(&self) -> Option<(usize, String, i64)> {
        let r = &self.repl;
        let db = match &r.link {
            // A master outside any chain (no backlog) has nothing to offer:
            // a replica of it would need a full sync anyway. A master that
            // wrote nothing since a full sync may say 0: its next write
            // selects a database.
            None => r.backlog.as_ref().map(|_| r.seldb.unwrap_or(0)),
            // A replica needs its master's (or the cached master's)
            // selected database: the offset only moves with the master's data.
            Some(l) if l.state == LinkState::Connected => Some(l.stream_db),
            Some(l) => l.cached_master.map(|m| m.db),
        }?;
        Some((db, r.replid.clone(), r.offset as i64))
    }

    /// loadDataFromDisk, after the file loaded at startup: take up its
    /// replication id and offset.
    pub fn repl_restore_from_rdb(&mut self, aux: &Aux) {
        let (Some(id), Some(off), Some(db)) = (&aux.repl_id, aux.repl_offset, aux.repl_stream_db)
        else {
            return self.drop_unused_backlog();
        };
        if off < 0 || db < 0 || id.len() != 40 {
            return self.drop_unused_backlog();
        }
        let off = off as u64;
        let size = self.config.get_i64(Key::REPL_BACKLOG_SIZE).max(16384) as usize;
        let me = self.next_client_id;
        let now = self.now;
        let r = &mut self.repl;
        match r.link.as_mut() {
            Some(link) => {
                // replicationCacheMasterUsingMyself, in the stream's database.
                link.cached_master = Some(CachedMaster {
                    id: me,
                    db: db as usize,
                });
                r.replid = id.clone();
                r.offset = off;
                self.next_client_id += 1;
            }
            None => {
                r.replid2 = id.clone();
                r.second_offset = off as i64 + 1;
                r.offset += off;
                // Whatever the load itself fed in (DELs of expired keys)
                // stays, rebased to end at the restored offset.
                let mut b = r.backlog.take().unwrap_or_else(|| Backlog::new(size, 0));
                b.first_offset = r.offset + 1 - b.histlen() as u64;
                r.backlog = Some(b);
                r.no_replicas_since = now;
            }
        }
    }

    /// Without usable replication info a master keeps no backlog.
    fn drop_unused_backlog(&mut self) {
        if !self.repl.is_replica() {
            self.repl.backlog = None;
        }
    }
}
