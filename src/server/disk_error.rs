//! writeCommandsDeniedByDiskError: a server that cannot persist refuses
//! writes (and PING) rather than acknowledge what it may lose — after a
//! failed background save (with `stop-writes-on-bgsave-error` and save
//! points set) or while the AOF cannot be written or synced.

use crate::server::config::Key;
use crate::server::ServerState;

/// Why writes are refused.
pub enum DiskError<'a> {
    /// The last background save failed.
    Rdb,
    /// The AOF could not be written or synced: the OS's message.
    Aof(&'a str),
}

const RDB_PREFIX: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.";

impl DiskError<'_> {
    /// The error a refused command (or a script's `redis.call`) gets.
    pub fn command_error(&self) -> String {
        match self {
            DiskError::Rdb => format!("{RDB_PREFIX} Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."),
            DiskError::Aof(e) => format!("MISCONF Errors writing to the AOF file: {e}"),
        }
    }

    /// The error a script without the `no-writes` flag gets before it runs.
    pub fn script_error(&self) -> String {
        const BLOCKED: &str =
            "Writable scripts are blocked. Use 'no-writes' flag for read only scripts.";
        match self {
            DiskError::Rdb => format!("{RDB_PREFIX} {BLOCKED}"),
            DiskError::Aof(e) => format!("MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. {BLOCKED} AOF error: {e}"),
        }
    }
}

impl ServerState {
    /// Whether writes are refused now, and why (the RDB reason first, as 7.0).
    pub fn disk_error(&self) -> Option<DiskError<'_>> {
        if !self.persist.last_bgsave_ok
            && self.config.get_bool(Key::STOP_WRITES_ON_BGSAVE_ERROR)
            && !self.config.save_points().is_empty()
        {
            return Some(DiskError::Rdb);
        }
        self.aof_write_denied().map(DiskError::Aof)
    }
}
