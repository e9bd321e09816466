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

#[cfg(test)]
mod tests {
    use crate::keyspace::{Object, Value};
    use crate::node::Node;
    use crate::server::{Config, Key, Server};
    use bytes::Bytes;

    const T0: u64 = 1_700_000_000_000;
    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    /// The bytes of an RDB file holding `k` in database 2 (expiring at
    /// `expire_at` if given) and the replication info (2, ID, 500).
    fn file(expire_at: Option<u64>) -> Vec<u8> {
        let mut s = Server::new(Config::default(), T0, 7);
        let v = Object::new(Value::Str(Bytes::from_static(b"v").into()));
        s.st.dbs[2].set(Bytes::from_static(b"k"), v);
        if let Some(at) = expire_at {
            s.st.dbs[2].set_expire(b"k", at);
        }
        s.st.rdb_snapshot(Some((2, ID.to_string(), 500)))
    }

    #[test]
    fn a_restarted_replica_resumes_from_its_file() {
        let mut cfg = Config::default();
        cfg.set(Key::REPLICAOF, &["127.0.0.1".into(), "6379".into()])
            .unwrap();
        let mut s = Server::new(cfg, T0, 1);
        s.load_rdb(&file(None)).unwrap();
        while s.poll_output().is_some() {}
        assert_eq!(s.st.repl.replid, ID);
        assert_eq!(s.st.repl.offset, 500);
        let cached = s.st.repl.link.as_ref().and_then(|l| l.cached_master);
        assert_eq!(cached.map(|m| m.db), Some(2));
        // Saved again, the file says the same.
        assert_eq!(s.st.repl_save_info(), Some((2, ID.to_string(), 500)));
    }

    #[test]
    fn a_restarted_master_keeps_the_id_as_its_second_one() {
        let mut s = Server::new(Config::default(), T0 + 10_000, 1);
        // The key expired while the master was down: its DEL goes into the
        // backlog, after the restored offset.
        s.load_rdb(&file(Some(T0 + 5_000))).unwrap();
        while s.poll_output().is_some() {}
        let r = &s.st.repl;
        assert_ne!(r.replid, ID);
        assert_eq!(r.replid2, ID);
        assert_eq!(r.second_offset, 501);
        let stream = b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n";
        assert_eq!(r.offset, 500 + stream.len() as u64);
        let b = r.backlog.as_ref().expect("a master keeps its backlog");
        assert_eq!(b.first_offset, 501);
        assert_eq!(b.since(501).as_deref(), Some(&stream[..]));
        assert!(s.st.dbs[2].is_empty());
    }

    #[test]
    fn a_master_without_replication_info_keeps_no_backlog() {
        let mut s = Server::new(Config::default(), T0, 1);
        let plain = Server::new(Config::default(), T0, 2).st.rdb_snapshot(None);
        s.load_rdb(&plain).unwrap();
        assert!(s.st.repl.backlog.is_none());
        assert_eq!(s.st.repl.offset, 0);
    }
}
