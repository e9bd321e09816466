//! The AOF manifest (`<appendfilename>.manifest` in `appenddirname`): which
//! files make up the AOF, as aof.c writes and parses it. One line per file,
//! `file <name> seq <n> type <b|h|i>`: the base first, then history files
//! (left by a rewrite, deleted soon after), then the incremental files in
//! sequence order.

use crate::resp::{repr, split_args};

/// What a file of the AOF holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// The dataset at the last rewrite (RDB or commands).
    Base,
    /// Replaced by a rewrite; to be deleted.
    History,
    /// Commands appended since the base was written.
    Incr,
}

impl FileType {
    fn mark(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: i64,
    pub kind: FileType,
}

/// The manifest: the files of the AOF and the last sequence numbers used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub history: Vec<AofFile>,
    pub incr: Vec<AofFile>,
    pub base_seq: i64,
    pub incr_seq: i64,
}

/// Why a manifest was refused: aofLoadManifestFromFile's words, and the line
/// it was reading (number and trimmed text) when there was one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub line: Option<(usize, String)>,
    pub msg: &'static str,
}

impl ManifestError {
    /// The lines Redis logs before it exits.
    pub fn log_lines(&self) -> Vec<String> {
        let mut out = vec!["\n*** FATAL AOF MANIFEST FILE ERROR ***\n".to_string()];
        if let Some((n, text)) = &self.line {
            out.push(format!("Reading the manifest file, at line {n}\n"));
            out.push(format!(">>> '{text}'\n"));
        }
        out.push(format!("{}\n", self.msg));
        out
    }
}

/// `MANIFEST_MAX_LINE`.
const MAX_LINE: usize = 1024;

impl Manifest {
    /// Parse a manifest's text with aofLoadManifestFromFile's checks.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut maxseq = 0;
        let err = |line: Option<(usize, String)>, msg| Err(ManifestError { line, msg });
        if text.is_empty() {
            return err(None, "Found an empty AOF manifest");
        }
        let mut rest = text;
        let mut number = 0;
        while !rest.is_empty() {
            // fgets: a line with its newline, at most MAX_LINE bytes.
            let (line, has_newline) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) if i < MAX_LINE => (&rest[..=i], true),
                _ => (&rest[..rest.len().min(MAX_LINE)], false),
            };
            rest = &rest[line.len()..];
            number += 1;
            if line.first() == Some(&b'#') {
                continue;
            }
            if !has_newline {
                return err(None, "The AOF manifest file contains too long line");
            }
            let trimmed = trim(line);
            let shown = Some((number, String::from_utf8_lossy(trimmed).into_owned()));
            if trimmed.is_empty() {
                return err(shown, "Invalid AOF manifest file format");
            }
            let argv = match split_args(trimmed) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return err(shown, "Invalid AOF manifest file format"),
            };
            let (mut name, mut seq, mut kind) = (None, 0i64, 0u8);
            for pair in argv.chunks_exact(2) {
                let value = &pair[1];
                if pair[0].eq_ignore_ascii_case(b"file") {
                    let n = String::from_utf8_lossy(value).into_owned();
                    if n.contains('/') {
                        return err(shown, "File can't be a path, just a filename");
                    }
                    name = Some(n);
                } else if pair[0].eq_ignore_ascii_case(b"seq") {
                    seq = atoll(value);
                } else if pair[0].eq_ignore_ascii_case(b"type") {
                    kind = value.first().copied().unwrap_or(0);
                }
            }
            let name = match name {
                Some(n) if seq != 0 && kind != 0 => n,
                _ => return err(shown, "Invalid AOF manifest file format"),
            };
            match kind {
                b'b' => {
                    if m.base.is_some() {
                        return err(shown, "Found duplicate base file information");
                    }
                    m.base_seq = seq;
                    m.base = Some(AofFile {
                        name,
                        seq,
                        kind: FileType::Base,
                    });
                }
                b'h' => m.history.push(AofFile {
                    name,
                    seq,
                    kind: FileType::History,
                }),
                b'i' => {
                    if seq <= maxseq {
                        return err(shown, "Found a non-monotonic sequence number");
                    }
                    maxseq = seq;
                    m.incr_seq = seq;
                    m.incr.push(AofFile {
                        name,
                        seq,
                        kind: FileType::Incr,
                    });
                }
                _ => return err(shown, "Unknown AOF file type"),
            }
        }
        Ok(m)
    }

    /// The manifest's text (getAofManifestAsString).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let all = self.base.iter().chain(&self.history).chain(&self.incr);
        for f in all {
            let needs_repr = f
                .name
                .bytes()
                .any(|b| !(b.is_ascii_graphic()) || b == b'"' || b == b'\\' || b == b'\'');
            let name = if needs_repr {
                repr(f.name.as_bytes())
            } else {
                f.name.clone()
            };
            out.push_str(&format!(
                "file {} seq {} type {}\n",
                name,
                f.seq,
                f.kind.mark()
            ));
        }
        out
    }

    /// Whether the manifest names no base and no incremental file.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }

    /// A new base file (the previous one becomes history): its name,
    /// `<appendfilename>.<seq>.base.rdb` or `.base.aof`.
    pub fn new_base(&mut self, filename: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let ext = if rdb { "rdb" } else { "aof" };
        let name = format!("{filename}.{}.base.{ext}", self.base_seq);
        self.base = Some(AofFile {
            name: name.clone(),
            seq: self.base_seq,
            kind: FileType::Base,
        });
        name
    }

    /// A new incremental file, `<appendfilename>.<seq>.incr.aof`.
    pub fn new_incr(&mut self, filename: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{filename}.{}.incr.aof", self.incr_seq);
        self.incr.push(AofFile {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileType::Incr,
        });
        name
    }

    /// The last incremental file, or a new one if there is none.
    pub fn last_incr_or_new(&mut self, filename: &str) -> String {
        match self.incr.last() {
            Some(f) => f.name.clone(),
            None => self.new_incr(filename),
        }
    }

    /// After a rewrite: every incremental file but the one being written
    /// (`keep_last`, AOF on) becomes history (markRewrittenIncrAofAsHistory).
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        let keep = if keep_last { self.incr.pop() } else { None };
        for mut f in std::mem::take(&mut self.incr).into_iter().rev() {
            f.kind = FileType::History;
            self.history.insert(0, f);
        }
        self.incr.extend(keep);
    }
}

/// sdstrim(line, " \t\r\n").
fn trim(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |i| i + 1);
    &b[start..end]
}

/// C's atoll: leading digits with an optional sign, 0 if none.
fn atoll(b: &[u8]) -> i64 {
    let s = std::str::from_utf8(b).unwrap_or("");
    let s = s.trim_start();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let n: i64 = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |acc, d| {
            acc.wrapping_mul(10).wrapping_add((d - b'0') as i64)
        });
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_a_real_manifest() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.base_seq, 2);
        assert_eq!(m.incr_seq, 2);
        assert_eq!(m.to_text(), text);
    }

    #[test]
    fn rewrite_turns_old_files_into_history() {
        let mut m = Manifest::default();
        assert_eq!(
            m.new_base("appendonly.aof", true),
            "appendonly.aof.1.base.rdb"
        );
        assert_eq!(
            m.last_incr_or_new("appendonly.aof"),
            "appendonly.aof.1.incr.aof"
        );
        assert_eq!(m.new_incr("appendonly.aof"), "appendonly.aof.2.incr.aof");
        m.new_base("appendonly.aof", false);
        m.mark_rewritten_incr_as_history(true);
        assert_eq!(
            m.to_text(),
            "file appendonly.aof.2.base.aof seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
    }

    #[test]
    fn malformed_manifests_get_aof_c_errors() {
        let e = |t: &str| Manifest::parse(t.as_bytes()).unwrap_err().msg;
        assert_eq!(e(""), "Found an empty AOF manifest");
        assert_eq!(e("file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(
            e("file a/b seq 1 type b\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(e("file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(
            e("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            e("file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            e("file a seq 1 type b"),
            "The AOF manifest file contains too long line"
        );
        let err = Manifest::parse(b"\n").unwrap_err();
        assert_eq!(err.line, Some((1, String::new())));
    }
}
