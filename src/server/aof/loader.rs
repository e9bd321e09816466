//! Loading the AOF at start (loadAppendOnlyFiles / loadSingleAppendOnlyFile):
//! the manifest, an old-style single file upgraded into the directory, the
//! base (RDB or commands) and the incr files, run through a fake client.
//! The host hands the files' bytes over through a read function: the core
//! still does no IO.

use super::manifest::{AofFile, FileType, Manifest};
use super::AofState;
use crate::node::{Addr, ConnId, Event, FileOp, LogLevel, OUTBOUND_BIT};
use crate::server::client::{Client, ClientKind};
use crate::server::config::Key;
use crate::server::Server;
use bytes::Bytes;

/// How a command file's parse ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseEnd {
    /// Every command is complete.
    Eof,
    /// The file ends inside a command.
    Truncated,
    /// Something other than a command (Redis's `fmterr`).
    Format,
}

/// The commands of an AOF in order, each with the offset just after it.
#[derive(Debug)]
pub struct Parsed {
    pub commands: Vec<(Vec<Bytes>, usize)>,
    pub end: ParseEnd,
}

/// fgets: the line at `pos` with its newline (or up to the end), and where
/// the next begins; None at the end.
fn line_at(b: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    if pos >= b.len() {
        return None;
    }
    let end = b[pos..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |i| pos + i + 1);
    Some((&b[pos..end], end))
}

/// atoi / strtol over the leading digits.
fn leading_int(b: &[u8]) -> i64 {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let b = &b[s..];
    let (neg, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |a, d| {
            a.saturating_mul(10).saturating_add((d - b'0') as i64)
        });
    if neg {
        -n
    } else {
        n
    }
}

/// Split an AOF's command part (from `pos`) into commands, as
/// loadSingleAppendOnlyFile reads them: `#` lines are annotations, each
/// command is `*<argc>` then `$<len>` and the bytes plus two more.
pub fn parse_commands(b: &[u8], mut pos: usize) -> Parsed {
    let mut commands = Vec::new();
    let end = 'file: loop {
        let Some((line, next)) = line_at(b, pos) else {
            break ParseEnd::Eof;
        };
        if line[0] == b'#' {
            pos = next;
            continue;
        }
        if line[0] != b'*' {
            break ParseEnd::Format;
        }
        if line.len() == 1 {
            break ParseEnd::Truncated;
        }
        let argc = leading_int(&line[1..]);
        if argc < 1 {
            break ParseEnd::Format;
        }
        pos = next;
        let mut argv = Vec::with_capacity(argc.min(1024) as usize);
        for _ in 0..argc {
            let Some((line, next)) = line_at(b, pos) else {
                break 'file ParseEnd::Truncated;
            };
            if line[0] != b'$' {
                break 'file ParseEnd::Format;
            }
            let len = leading_int(&line[1..]).max(0) as usize;
            pos = next;
            if b.len() - pos < len + 2 {
                break 'file ParseEnd::Truncated;
            }
            argv.push(Bytes::copy_from_slice(&b[pos..pos + len]));
            pos += len + 2;
        }
        commands.push((argv, pos));
    };
    Parsed { commands, end }
}

/// What loading one file came to (AOF_OK, AOF_EMPTY, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadStatus {
    Ok,
    NotExist,
    Empty,
    Failed,
    Truncated,
}

/// The connection id of the loading client: never a real one.
const AOF_CLIENT: ConnId = ConnId(OUTBOUND_BIT - 2);

impl Server {
    /// Load one file of the AOF (loadSingleAppendOnlyFile). `old_style`: the
    /// single file of an upgrade.
    fn load_single_aof(&mut self, name: &str, bytes: Option<&[u8]>) -> LoadStatus {
        let Some(bytes) = bytes else {
            self.st.log(
                LogLevel::Warning,
                format!("The append log file {name} doesn't exist: No such file or directory"),
            );
            return LoadStatus::NotExist;
        };
        if bytes.is_empty() {
            return LoadStatus::Empty;
        }
        let old_style = name == self.st.aof_filename();
        let mut start = 0;
        if bytes.starts_with(b"REDIS") {
            let msg = if old_style {
                "Reading RDB preamble from AOF file..."
            } else {
                "Reading RDB base file on AOF loading..."
            };
            self.st.log(LogLevel::Notice, msg);
            match self.st.load_rdb_preamble(bytes) {
                Ok(n) => start = n,
                Err(_) => {
                    let msg = if old_style {
                        format!("Error reading the RDB preamble of the AOF file {name}, AOF loading aborted")
                    } else {
                        format!("Error reading the RDB base file {name}, AOF loading aborted")
                    };
                    self.st.log(LogLevel::Warning, msg);
                    return self.aof_unexpected_eof(name, 0, false);
                }
            }
            if old_style {
                self.st
                    .log(LogLevel::Notice, "Reading the remaining AOF tail...");
            }
        }
        let parsed = parse_commands(bytes, start);
        let id = self.st.next_client_id;
        let here = Addr::new("127.0.0.1", 0);
        let mut c = Client::new(id, AOF_CLIENT, here.clone(), here, self.st.now);
        c.kind = ClientKind::Master;
        c.authenticated = true;
        c.no_reply = true;
        let truncated_ok = self.st.config.get_bool(Key::AOF_LOAD_TRUNCATED);
        let (mut valid_up_to, mut valid_before_multi) = (start, start);
        for (mut argv, end) in parsed.commands {
            if self.st.table.get(&argv[0]).is_none() {
                self.st.log(
                    LogLevel::Warning,
                    format!(
                        "Unknown command '{}' reading the append only file {name}",
                        String::from_utf8_lossy(&argv[0])
                    ),
                );
                return LoadStatus::Failed;
            }
            if argv[0].eq_ignore_ascii_case(b"multi") {
                valid_before_multi = valid_up_to;
            }
            self.execute(&mut c, &mut argv);
            c.reply.buf.clear();
            // Loading feeds nobody: not the AOF, not replicas.
            self.st.repl_feed.clear();
            if truncated_ok {
                valid_up_to = end;
            }
        }
        match parsed.end {
            ParseEnd::Format => {
                self.st.log(LogLevel::Warning, format!("Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"));
                LoadStatus::Failed
            }
            ParseEnd::Truncated => self.aof_unexpected_eof(name, valid_up_to, true),
            ParseEnd::Eof if c.multi.is_some() => {
                self.st.log(
                    LogLevel::Warning,
                    format!("Revert incomplete MULTI/EXEC transaction in AOF file {name}"),
                );
                self.aof_unexpected_eof(name, valid_before_multi, true)
            }
            ParseEnd::Eof => LoadStatus::Ok,
        }
    }

    /// The `uxeof` path: truncate and go on with `aof-load-truncated`, else fail.
    fn aof_unexpected_eof(
        &mut self,
        name: &str,
        valid_up_to: usize,
        can_truncate: bool,
    ) -> LoadStatus {
        if can_truncate && self.st.config.get_bool(Key::AOF_LOAD_TRUNCATED) {
            self.st.log(
                LogLevel::Warning,
                format!("!!! Warning: short read while loading the AOF file {name}!!!"),
            );
            self.st.log(
                LogLevel::Warning,
                format!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!"),
            );
            let file = self.st.aof_path(name);
            self.st.emit(Event::AofFile(FileOp::Truncate {
                file,
                len: valid_up_to as u64,
            }));
            self.st.log(
                LogLevel::Warning,
                format!("AOF {name} loaded anyway because aof-load-truncated is enabled"),
            );
            return LoadStatus::Truncated;
        }
        self.st.log(LogLevel::Warning, format!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."));
        LoadStatus::Failed
    }

    /// Load the AOF at start when `appendonly yes` (loadAppendOnlyFiles and
    /// loadDataFromDisk's AOF branch), reading files relative to `dir`
    /// through `read`. Then the AOF is open for appending
    /// (aofOpenIfNeededOnServerStart). Err: the server must exit (the
    /// reasons are logged already).
    pub fn load_aof(
        &mut self,
        read: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
    ) -> Result<(), String> {
        self.st.aof.state = AofState::Off;
        self.st.start_loading(0, false);
        let status = self.load_aof_data(read, false);
        self.st.stop_loading();
        let status = status?;
        match status {
            LoadStatus::Failed => return Err("AOF loading failed".into()),
            LoadStatus::NotExist => {}
            _ => self.st.log(
                LogLevel::Notice,
                "DB loaded from append only file: 0.000 seconds",
            ),
        }
        self.st.aof.state = AofState::On;
        self.st.aof_open_on_start();
        Ok(())
    }

    /// DEBUG LOADAOF: write what is buffered, empty the databases, load the
    /// AOF again from the manifest on disk (read through the host's file
    /// reader). A failure ends the process, as in 7.0.
    pub(crate) fn debug_loadaof(&mut self, c: &mut Client) {
        let Some(reader) = self.st.host.files.take() else {
            c.reply
                .error("ERR DEBUG LOADAOF needs a host that can read files back");
            return;
        };
        let pending = self.st.aof.buf.clone();
        let incr = self.st.aof_current_incr();
        if self.st.aof.state == AofState::On {
            // The host applies this after the command; the read below adds
            // the same bytes to what it finds.
            self.st.aof_flush(true);
        }
        for db in &mut self.st.dbs {
            db.clear();
        }
        let mut read = |p: &str| {
            let mut bytes = reader.read(p);
            if p == incr && !pending.is_empty() {
                bytes
                    .get_or_insert_with(Vec::new)
                    .extend_from_slice(&pending);
            }
            bytes
        };
        self.st.start_loading(0, false);
        let status = self.load_aof_data(&mut read, true);
        self.st.stop_loading();
        self.st.host.files = Some(reader);
        match status {
            Ok(LoadStatus::Ok | LoadStatus::Empty | LoadStatus::Truncated) => {
                self.st.dirty = 0;
                c.reply.ok();
            }
            _ => {
                self.st
                    .log(LogLevel::Warning, "Redis is now ready to exit, bye bye...");
                self.st.shutting_down = true;
                self.st.emit(Event::Shutdown { exit_code: 1 });
            }
        }
    }

    /// The manifest, an upgrade of an old-style file, then the files
    /// (loadAppendOnlyFiles). `debug`: DEBUG LOADAOF, which deletes history
    /// files first. The AOF is off while loading, so that the commands run
    /// are not appended again; its state is restored after.
    fn load_aof_data(
        &mut self,
        read: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
        debug: bool,
    ) -> Result<LoadStatus, String> {
        let state = std::mem::replace(&mut self.st.aof.state, AofState::Off);
        let filename = self.st.aof_filename();
        let dir = self.st.aof_dir();
        let manifest_name = format!("{filename}.manifest");
        let mut manifest = match read(&self.st.aof_path(&manifest_name)) {
            Some(text) => match Manifest::parse(&text) {
                Ok(m) => m,
                Err(e) => {
                    for l in e.log_lines() {
                        self.st.log(LogLevel::Warning, l);
                    }
                    self.st.aof.state = state;
                    return Err(e.msg.to_string());
                }
            },
            None => Manifest::default(),
        };
        if debug {
            self.st.aof.manifest = manifest.clone();
            self.st.aof_del_history_files();
            manifest.history.clear();
        }
        let mut upgraded: Option<Vec<u8>> = None;
        if let Some(old) = read(&filename) {
            let only_old_base = manifest.incr.is_empty()
                && manifest.base.as_ref().is_some_and(|b| b.name == filename)
                && read(&self.st.aof_path(&filename)).is_none();
            if manifest.is_empty() || only_old_base {
                manifest = Manifest::default();
                manifest.base = Some(AofFile {
                    name: filename.clone(),
                    seq: 1,
                    kind: FileType::Base,
                });
                manifest.base_seq = 1;
                self.st.aof.manifest = manifest.clone();
                self.st.aof_persist_manifest();
                let to = self.st.aof_path(&filename);
                self.st.emit(Event::AofFile(FileOp::Rename {
                    from: filename.clone(),
                    to,
                }));
                self.st.log(
                    LogLevel::Notice,
                    format!("Successfully migrated an old-style AOF file ({filename}) into the AOF directory ({dir})."),
                );
                upgraded = Some(old);
            }
        }
        self.st.aof.manifest = manifest.clone();
        // While loading nothing expires (keyIsExpired returns 0 when
        // server.loading): a PEXPIREAT in the past keeps its key, as a
        // replica's databases do.
        let modes: Vec<bool> = self.st.dbs.iter().map(|d| d.replica_mode).collect();
        for db in &mut self.st.dbs {
            db.replica_mode = true;
        }
        let status = self.load_aof_files(&manifest, upgraded, read);
        for (db, mode) in self.st.dbs.iter_mut().zip(modes) {
            db.replica_mode = mode;
        }
        self.st.aof.state = state;
        Ok(status)
    }

    fn load_aof_files(
        &mut self,
        m: &Manifest,
        upgraded: Option<Vec<u8>>,
        read: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
    ) -> LoadStatus {
        if m.is_empty() {
            return LoadStatus::NotExist;
        }
        let names: Vec<(String, &'static str)> = m
            .base
            .iter()
            .map(|b| (b.name.clone(), "base"))
            .chain(m.incr.iter().map(|f| (f.name.clone(), "incr")))
            .collect();
        let mut files = Vec::new();
        let mut upgraded = upgraded;
        for (name, kind) in &names {
            let bytes = match (kind, upgraded.take()) {
                (&"base", Some(b)) => Some(b),
                _ => read(&self.st.aof_path(name)),
            };
            let Some(bytes) = bytes else {
                self.st.log(
                    LogLevel::Warning,
                    format!("Unable to obtain the AOF file {name} length. stat: No such file or directory"),
                );
                return LoadStatus::Failed;
            };
            files.push(bytes);
        }
        let total: u64 = files.iter().map(|f| f.len() as u64).sum();
        if total == 0 {
            return LoadStatus::Empty;
        }
        let count = files.len();
        let mut base_size = 0;
        if !m.incr.is_empty() {
            self.st.aof.last_incr_size = files.last().map_or(0, |f| f.len() as u64);
        }
        self.st.aof.current_size = total;
        for (i, ((name, kind), bytes)) in names.iter().zip(files).enumerate() {
            let last = i + 1 == count;
            if *kind == "base" {
                base_size = bytes.len() as u64;
            }
            let mut ret = self.load_single_aof(name, Some(&bytes));
            if ret == LoadStatus::Ok || (ret == LoadStatus::Truncated && last) {
                self.st.log(
                    LogLevel::Notice,
                    format!("DB loaded from {kind} file {name}: 0.000 seconds"),
                );
            }
            if ret == LoadStatus::Empty {
                ret = LoadStatus::Ok;
            }
            if ret == LoadStatus::Truncated && !last {
                self.st.log(
                    LogLevel::Warning,
                    "Fatal error: the truncated file is not the last file",
                );
                return LoadStatus::Failed;
            }
            if ret == LoadStatus::Failed || ret == LoadStatus::NotExist {
                return LoadStatus::Failed;
            }
            if ret == LoadStatus::Truncated {
                return LoadStatus::Truncated;
            }
        }
        self.st.aof.base_size = base_size;
        LoadStatus::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(p: &Parsed) -> Vec<String> {
        p.commands
            .iter()
            .map(|(a, _)| {
                a.iter()
                    .map(|x| String::from_utf8_lossy(x).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn commands_annotations_and_the_ends_of_a_file() {
        let f =
            b"#TS:1\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
        let p = parse_commands(f, 0);
        assert_eq!(args(&p), ["SELECT 0", "SET a 1"]);
        assert_eq!(p.end, ParseEnd::Eof);
        assert_eq!(p.commands[1].1, f.len());
        let cut = parse_commands(&f[..f.len() - 3], 0);
        assert_eq!(cut.end, ParseEnd::Truncated);
        assert_eq!(args(&cut), ["SELECT 0"]);
        assert_eq!(parse_commands(b"!!\r\n", 0).end, ParseEnd::Format);
        assert_eq!(parse_commands(b"*0\r\n", 0).end, ParseEnd::Format);
        assert_eq!(parse_commands(b"*1\r\nx\r\n", 0).end, ParseEnd::Format);
        assert_eq!(parse_commands(b"*", 0).end, ParseEnd::Truncated);
    }
}
