//! A value RESTOREd (or loaded) with `sanitize-dump-payload no` that passes
//! 7.0's shallow checks (headers and sizes) but fails its deep one. 7.0
//! stores such a payload as it came and only meets the corruption when a
//! command walks the contents: an assertion in listpack.c or t_stream.c, or
//! a panic, takes the server down. We keep the received bytes, answer what
//! 7.0 answers without reading them (TYPE, OBJECT ENCODING, DEL, EXISTS,
//! TTL, RENAME, DUMP, an RDB save: the bytes as received), and the server
//! stops with 7.0's report when a command reads them.

use bytes::Bytes;

/// The Redis type a corrupt value claims to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    List,
    Hash,
    Set,
    ZSet,
    Stream,
}

/// How 7.0 stops when it meets the corruption: `serverAssert` (or
/// `assert`, redirected to it) or `serverPanic`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    Assert {
        file: &'static str,
        line: u32,
        expr: &'static str,
    },
    Panic {
        file: &'static str,
        line: u32,
        msg: String,
        /// A `serverLogHexDump` logged before the panic: its description
        /// and the bytes dumped.
        hexdump: Option<(&'static str, Bytes)>,
    },
}

impl Failure {
    /// `lpAssertValidEntry`: an entry that does not fit in its listpack.
    pub const LISTPACK_ENTRY: Failure = Failure::Assert {
        file: "listpack.c",
        line: 1276,
        expr: "lpValidateNext(lp, &p, lpbytes)",
    };

    /// What 7.0 logs between the bug report's start and its stack trace.
    pub fn lines(&self) -> Vec<ReportLine> {
        match self {
            Failure::Assert { file, line, expr } => vec![
                ReportLine::Log("=== ASSERTION FAILED ===".to_string()),
                ReportLine::Log(format!("==> {file}:{line} '{expr}' is not true")),
            ],
            Failure::Panic {
                file,
                line,
                msg,
                hexdump,
            } => {
                let mut out = Vec::new();
                if let Some((descr, bytes)) = hexdump {
                    out.extend(hex_dump(descr, bytes));
                }
                for l in [
                    "------------------------------------------------".to_string(),
                    "!!! Software Failure. Press left mouse button to continue".to_string(),
                    format!("Guru Meditation: {msg} #{file}:{line}"),
                ] {
                    out.push(ReportLine::Log(l));
                }
                out
            }
        }
    }
}

/// One line of a crash report: a log line (the host adds its pid / role /
/// time prefix) or raw text written as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportLine {
    Log(String),
    Raw(String),
}

/// `serverLogHexDump`: a log line, then the hex digits written raw (64 at a
/// time, without line breaks) and one line break.
fn hex_dump(descr: &str, bytes: &[u8]) -> Vec<ReportLine> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2 + 1);
    for &b in bytes {
        hex.push(HEX[(b >> 4) as usize] as char);
        hex.push(HEX[(b & 15) as usize] as char);
    }
    hex.push('\n');
    vec![
        ReportLine::Log(format!("{descr} (hexdump of {} bytes):", bytes.len())),
        ReportLine::Raw(hex),
    ]
}

/// What a command meets on a corrupt value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// The server stops.
    Stop(Failure),
    /// A count kept in a header, which 7.0 answers without reading on.
    Count(i64),
}

/// The stored value: its RDB type byte and body as received, and how 7.0
/// would stop on reading it.
#[derive(Clone, Debug)]
pub struct Corrupt {
    pub kind: Kind,
    pub rdb_type: u8,
    /// The value's serialization after the type byte, as received.
    pub body: Bytes,
    /// What a command reading the contents meets.
    pub failure: Failure,
    /// The element count a listpack's header claims (hashes and sorted
    /// sets: fields and values, members and scores), which decides whether
    /// RESTORE converts it to a table (reading it).
    pub elements: usize,
    /// A failure 7.0 meets while loading the payload (an assertion on a
    /// stream node's first entry, a walk for a stream's first ID): the
    /// server stops on RESTORE.
    pub on_load: Option<Failure>,
    /// A stream's nodes, walked as the command reading it would walk them.
    pub stream: Option<Box<super::corrupt_walk::RawStream>>,
    /// A hash's or sorted set's listpack, as received.
    pub listpack: Bytes,
}

impl Corrupt {
    /// TYPE's answer.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Stream => "stream",
        }
    }

    /// OBJECT ENCODING's answer: the encoding 7.0 keeps the payload in
    /// (only compact encodings are stored without their deep check).
    pub fn encoding(&self) -> &'static str {
        match self.kind {
            Kind::List => "quicklist",
            Kind::Hash | Kind::ZSet => "listpack",
            Kind::Set => "intset",
            Kind::Stream => "stream",
        }
    }

    /// Whether a command of COMMAND DOCS `group` named `name` walks the
    /// contents: one of the value's own family (7.0 answers WRONGTYPE to
    /// the others without reading), SORT, or a sorted-set command reading a
    /// set. Key-level commands (TYPE, DEL, EXISTS, TTL, RENAME, OBJECT,
    /// DUMP, COPY: the `generic` group) do not.
    pub fn read_by(&self, name: &str, group: &str) -> bool {
        let own = match self.kind {
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "sorted-set",
            Kind::Stream => "stream",
        };
        group == own
            || matches!(name, "sort" | "sort_ro")
            || (self.kind == Kind::Set && group == "sorted-set")
    }

    /// What `cmd` meets: HLEN, ZCARD and LLEN read the listpack headers'
    /// counts (as loading did) and XLEN the stream's length; the rest stop
    /// (see [`Corrupt::failure_for`]).
    pub fn access(&self, cmd: &str) -> Access {
        let count = match (cmd, self.kind) {
            ("hlen", Kind::Hash) | ("zcard", Kind::ZSet) => Some(self.elements / 2),
            ("llen", Kind::List) => Some(self.elements),
            ("xlen", Kind::Stream) => self.stream.as_ref().map(|s| s.length as usize),
            _ => None,
        };
        match count {
            Some(n) => Access::Count(n as i64),
            None => Access::Stop(self.failure_for(cmd)),
        }
    }

    /// Where `cmd` stops: for a stream, the first walk it makes, replayed
    /// (streamLastValidID's backward one for XREAD, XREADGROUP and XSETID,
    /// a backward one for XREVRANGE, a forward one for the rest), else the
    /// value's failure.
    pub fn failure_for(&self, cmd: &str) -> Failure {
        let Some(raw) = &self.stream else {
            return self.failure.clone();
        };
        let met = match cmd {
            "xread" | "xreadgroup" | "xsetid" => raw.last_valid_id(),
            "xrevrange" => raw.walk(true, false).map(|_| ()),
            _ => raw.walk(false, false).map(|_| ()),
        };
        met.err().unwrap_or_else(|| self.failure.clone())
    }

    /// Whether loading converts it to a table: a hash or sorted set whose
    /// header claims more pairs than the listpack limit (rdbLoadObject).
    pub fn converts(&self, limits: &super::EncodingLimits) -> bool {
        match self.kind {
            Kind::Hash => self.elements / 2 > limits.hash_entries,
            Kind::ZSet => self.elements / 2 > limits.zset_entries,
            _ => false,
        }
    }

    /// A hash or sorted set converted to a table (RESTORE finds more
    /// elements than the listpack limit in its header): the walk of the
    /// conversion, which yields a sound value when it meets no repeat, odd
    /// count or bad entry (the header's count is not used again).
    pub fn convert(&self) -> Result<super::Value, Failure> {
        let items = super::corrupt_walk::elements(&self.listpack)?;
        if self.kind == Kind::Hash {
            if items.len() % 2 != 0 {
                return Err(Failure::Assert {
                    file: "t_hash.c",
                    line: 360,
                    expr: "vptr != NULL",
                });
            }
            let mut d = super::Dict::new();
            for pair in items.chunks_exact(2) {
                if d.insert(pair[0].clone(), pair[1].clone()).is_some() {
                    return Err(self.failure.clone());
                }
            }
            return Ok(super::Value::Hash(super::HashValue::from_dict(d)));
        }
        if items.len() % 2 != 0 {
            return Err(Failure::Assert {
                file: "t_zset.c",
                line: 799,
                expr: "_sptr != NULL",
            });
        }
        let mut z = super::ZSet::new_skip();
        for pair in items.chunks_exact(2) {
            // zzlStrtod: strtod of at most 127 bytes, 0 for no number.
            let text = &pair[1][..pair[1].len().min(127)];
            let score = std::str::from_utf8(text)
                .ok()
                .and_then(|s| crate::resp::parse_f64(s.trim().as_bytes()))
                .unwrap_or(0.0);
            if z.insert(pair[0].clone(), score).is_some() {
                return Err(self.failure.clone());
            }
        }
        Ok(super::Value::ZSet(z))
    }

    /// What the value costs in memory: about its received bytes.
    pub fn size(&self) -> usize {
        self.body.len() + 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertion_lines_are_7_0s() {
        assert_eq!(
            Failure::LISTPACK_ENTRY.lines(),
            vec![
                ReportLine::Log("=== ASSERTION FAILED ===".into()),
                ReportLine::Log(
                    "==> listpack.c:1276 'lpValidateNext(lp, &p, lpbytes)' is not true".into()
                )
            ]
        );
    }

    #[test]
    fn panic_lines_with_a_hex_dump() {
        let f = Failure::Panic {
            file: "t_hash.c",
            line: 477,
            msg: "Listpack corruption detected".into(),
            hexdump: Some((
                "listpack with dup elements dump",
                Bytes::from_static(&[0xab, 0x01]),
            )),
        };
        let lines = f.lines();
        assert_eq!(
            lines[0],
            ReportLine::Log("listpack with dup elements dump (hexdump of 2 bytes):".into())
        );
        assert_eq!(lines[1], ReportLine::Raw("ab01\n".into()));
        assert_eq!(
            lines[4],
            ReportLine::Log("Guru Meditation: Listpack corruption detected #t_hash.c:477".into())
        );
    }
}
