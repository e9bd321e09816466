//! The native host's side of the AOF ([`FileOp`]): appends are written on
//! the event loop at once (Redis's write(2) in beforeSleep), so a process
//! killed after a reply went out has the bytes in the page cache; appends
//! with `fsync` (`appendfsync always`) are gathered, written once and synced
//! before their replies go out (group commit); background fsyncs (`everysec`) run on
//! a thread of their own, like Redis's bio thread, and are confirmed to the
//! node with `Input::Fsynced`.

use super::os_error::strerror;

use crate::node::FileOp;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Open AOF files (by the node's name for them) and the fsync thread.
pub struct AofFiles {
    open: HashMap<String, File>,
    /// Appends not written yet (group commit), and whether one of them
    /// asked for a sync: written with one write(2) per file, then synced if
    /// so, as 7.0's beforeSleep does once for every client served in the
    /// turn, before their replies go out.
    to_sync: Vec<(String, Vec<u8>, bool)>,
    fsyncs: Option<std::sync::mpsc::Sender<(String, File)>>,
}

fn make_parent(path: &str) -> std::io::Result<()> {
    match Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => std::fs::create_dir_all(p),
        _ => Ok(()),
    }
}

impl AofFiles {
    /// Without a thread: fsyncs are done on the spot (at start, before the loop).
    pub fn inline() -> AofFiles {
        AofFiles {
            open: HashMap::new(),
            to_sync: Vec::new(),
            fsyncs: None,
        }
    }

    /// With the background fsync thread; `done` hears of each finished
    /// fsync, with the OS's message if it failed.
    pub fn spawn(done: tokio::sync::mpsc::UnboundedSender<(String, Option<String>)>) -> AofFiles {
        let (tx, rx) = std::sync::mpsc::channel::<(String, File)>();
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                for (name, f) in rx {
                    let error = f.sync_data().err().map(|e| strerror(&e));
                    let _ = done.send((name, error));
                }
            })
            .expect("spawn the AOF fsync thread");
        AofFiles {
            open: HashMap::new(),
            to_sync: Vec::new(),
            fsyncs: Some(tx),
        }
    }

    fn file(&mut self, name: &str) -> std::io::Result<&mut File> {
        if !self.open.contains_key(name) {
            make_parent(name)?;
            let f = OpenOptions::new().create(true).append(true).open(name)?;
            self.open.insert(name.to_string(), f);
        }
        Ok(self.open.get_mut(name).expect("just opened"))
    }

    /// [`AofFiles::apply`], except that an append (and its sync) is left
    /// for [`AofFiles::sync_deferred`]: true if one is now owed. The caller
    /// holds back every later reply until then, so no write is acknowledged
    /// before it is in the file.
    pub fn apply_deferring_sync(&mut self, op: FileOp) -> Result<bool, SyncFailure> {
        match op {
            FileOp::Append { file, bytes, fsync } => {
                match self.to_sync.iter_mut().find(|(f, _, _)| *f == file) {
                    Some((_, owed, sync)) => {
                        owed.extend_from_slice(&bytes);
                        *sync |= fsync;
                    }
                    None => self.to_sync.push((file, bytes, fsync)),
                }
                Ok(true)
            }
            other => {
                // Renames, deletes and truncations come after the owed syncs.
                if !self.to_sync.is_empty() {
                    self.sync_deferred()?;
                }
                self.apply(other).map(|_| false).map_err(SyncFailure::Other)
            }
        }
    }

    /// One of the appends left for [`AofFiles::sync_deferred`] asked for a sync.
    pub fn sync_owed(&self) -> bool {
        self.to_sync.iter().any(|(_, _, sync)| *sync)
    }

    /// Write and sync the appends that asked for it (see
    /// `apply_deferring_sync`). A failed write stops there: its bytes and
    /// those of the appends after it go back to the node.
    pub fn sync_deferred(&mut self) -> Result<(), SyncFailure> {
        let mut owed = std::mem::take(&mut self.to_sync).into_iter();
        while let Some((file, bytes, sync)) = owed.next() {
            if let Err(failed) = self.write_or_undo(&file, bytes) {
                // The appends after a failed one stay unwritten, in order.
                let later: Vec<_> = owed.map(|(f, b, _)| (f, b)).collect();
                return Err(SyncFailure::Write(Box::new(failed), later));
            }
            if sync {
                let f = self
                    .file(&file)
                    .map_err(|e| SyncFailure::Other(e.to_string()))?;
                if let Err(e) = f.sync_data() {
                    return Err(SyncFailure::Fatal(format!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...", strerror(&e))));
                }
            }
        }
        Ok(())
    }

    /// aofWrite: all of `bytes` or, on an error, a [`WriteFailure`] after
    /// cutting a partial write back off (as flushAppendOnlyFile does).
    fn write_or_undo(&mut self, file: &str, bytes: Vec<u8>) -> Result<(), WriteFailure> {
        let fail = |bytes: Vec<u8>, error: &std::io::Error| WriteFailure {
            file: file.to_string(),
            unwritten: bytes,
            partial: 0,
            error: strerror(error),
            truncate_error: None,
        };
        let f = match self.file(file) {
            Ok(f) => f,
            Err(e) => return Err(fail(bytes, &e)),
        };
        let mut written = 0;
        while written < bytes.len() {
            match f.write(&bytes[written..]) {
                Ok(0) => {
                    let e = std::io::Error::from(std::io::ErrorKind::WriteZero);
                    return Err(undo(f, file, bytes, written, &e));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(undo(f, file, bytes, written, &e)),
            }
        }
        Ok(())
    }

    /// Carry out one op; the error is a log line. Returns the name of a
    /// background fsync done inline (no thread), for the caller to confirm.
    pub fn apply(&mut self, op: FileOp) -> Result<Option<String>, String> {
        match op {
            FileOp::Append { file, bytes, fsync } => {
                let f = self
                    .file(&file)
                    .map_err(|e| format!("Can't open the append-only file {file}: {e}"))?;
                f.write_all(&bytes)
                    .map_err(|e| format!("Error writing to the AOF file: {e}"))?;
                if fsync {
                    f.sync_data().map_err(|e| {
                        format!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting...")
                    })?;
                }
                Ok(None)
            }
            FileOp::Fsync { file } => {
                let f = self
                    .file(&file)
                    .map_err(|e| format!("Can't open the append-only file {file}: {e}"))?;
                let clone = f.try_clone().map_err(|e| e.to_string())?;
                match &self.fsyncs {
                    Some(tx) => {
                        let _ = tx.send((file, clone));
                        Ok(None)
                    }
                    None => {
                        let _ = clone.sync_data();
                        Ok(Some(file))
                    }
                }
            }
            FileOp::Truncate { file, len } => {
                let f = self
                    .file(&file)
                    .map_err(|e| format!("Can't open the append-only file {file}: {e}"))?;
                f.set_len(len)
                    .map_err(|e| format!("Error truncating the AOF file {file}: {e}"))?;
                Ok(None)
            }
            FileOp::Rename { from, to } => {
                self.open.remove(&from);
                self.open.remove(&to);
                make_parent(&to).map_err(|e| e.to_string())?;
                std::fs::rename(&from, &to)
                    .map_err(|e| format!("Error trying to rename {from} into {to}: {e}"))?;
                Ok(None)
            }
            FileOp::Delete { file } => {
                self.open.remove(&file);
                let _ = std::fs::remove_file(&file);
                Ok(None)
            }
        }
    }
}

/// An append that failed, for [`crate::node::Input::AofWriteFailed`].
pub struct WriteFailure {
    pub file: String,
    pub unwritten: Vec<u8>,
    pub partial: u64,
    pub error: String,
    pub truncate_error: Option<String>,
}

/// What went wrong in [`AofFiles::sync_deferred`].
pub enum SyncFailure {
    /// An append failed: the node keeps its bytes (and those of the
    /// appends owed after it, by file) and refuses writes until they are in.
    Write(Box<WriteFailure>, Vec<(String, Vec<u8>)>),
    /// `appendfsync always` could not sync: the process must exit.
    Fatal(String),
    /// Anything else: a log line.
    Other(String),
}

/// A partial write of `written` bytes: cut back off if possible.
fn undo(
    f: &mut File,
    file: &str,
    bytes: Vec<u8>,
    written: usize,
    error: &std::io::Error,
) -> WriteFailure {
    let mut failure = WriteFailure {
        file: file.to_string(),
        unwritten: bytes,
        partial: written as u64,
        error: strerror(error),
        truncate_error: None,
    };
    if written > 0 {
        let cut = f
            .metadata()
            .and_then(|m| f.set_len(m.len().saturating_sub(written as u64)));
        if let Err(e) = cut {
            failure.truncate_error = Some(strerror(&e));
            failure.unwritten.drain(..written);
        }
    }
    failure
}

/// The node's files on disk (DEBUG LOADAOF, ACL LOAD, config rewrites).
pub struct DiskFiles;

impl crate::node::HostFiles for DiskFiles {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        read(path)
    }

    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        super::host::write_atomically(path, bytes).map_err(|e| strerror(&e))
    }
}

/// Read a file the node asks for at start (the AOF loader's read function):
/// its bytes, or `None` if it is not there.
pub fn read(path: &str) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}
