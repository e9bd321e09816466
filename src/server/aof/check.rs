//! What `redis-check-aof` checks in one file (checkSingleAof): the command
//! part of an AOF read as strictly as the tool reads it, with its error
//! texts, the offset the file is valid up to and the line count. Pure: the
//! `check-aof` CLI (src/native/check_aof.rs) reads and truncates the files.

/// The outcome of checking one file's commands.
#[derive(Debug, PartialEq, Eq)]
pub struct Checked {
    /// Where the last complete command (or transaction) ends.
    pub ok_up_to: usize,
    /// The tool's error line (`0x<offset>: <what>`), if any.
    pub error: Option<String>,
    /// A line that is neither a command nor an annotation.
    pub format_error: bool,
}

/// The checker's state across files: the line counter is the tool's global.
pub struct Checker {
    pub line: u64,
}

impl Default for Checker {
    fn default() -> Self {
        Checker { line: 1 }
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    epos: usize,
    error: Option<String>,
}

impl Cursor<'_> {
    fn fail(&mut self, what: String) {
        self.error = Some(format!("0x{:>16x}: {what}", self.epos));
    }

    /// fgets with a buffer of `max` bytes: the line (with its newline).
    fn gets(&mut self, max: usize) -> Option<&[u8]> {
        if self.pos >= self.b.len() {
            return None;
        }
        let rest = &self.b[self.pos..];
        let n = rest
            .iter()
            .take(max - 1)
            .position(|&c| c == b'\n')
            .map_or(rest.len().min(max - 1), |i| i + 1);
        let line = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Some(line)
    }
}

impl Checker {
    fn newline(&mut self, c: &mut Cursor, got: &[u8]) -> bool {
        if got.len() >= 2 && &got[..2] == b"\r\n" {
            self.line += 1;
            return true;
        }
        let x = |i: usize| got.get(i).copied().unwrap_or(0);
        c.fail(format!("Expected \\r\\n, got: {:02x}{:02x}", x(0), x(1)));
        false
    }

    fn read_long(&mut self, c: &mut Cursor, prefix: u8) -> Option<i64> {
        c.epos = c.pos;
        let line = c.gets(128)?.to_vec();
        if line[0] != prefix {
            c.fail(format!(
                "Expected prefix '{}', got: '{}'",
                prefix as char, line[0] as char
            ));
            return None;
        }
        let body = &line[1..];
        let sign = usize::from(matches!(body.first(), Some(b'-' | b'+')));
        let digits = body[sign..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        let n: i64 = std::str::from_utf8(&body[..sign + digits])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        self.newline(c, &body[sign + digits..]).then_some(n)
    }

    fn read_string(&mut self, c: &mut Cursor) -> Option<Vec<u8>> {
        let len = self.read_long(c, b'$')?;
        if len < 0 {
            c.fail(format!(
                "Expected to read string of {len} bytes, which is not in the suitable range"
            ));
            return None;
        }
        let want = len as usize + 2;
        c.epos = c.pos;
        let real = want.min(c.b.len() - c.pos);
        if real != want {
            c.pos += real;
            c.fail(format!("Expected to read {want} bytes, got {real} bytes"));
            return None;
        }
        let s = c.b[c.pos..c.pos + len as usize].to_vec();
        c.pos += want;
        let tail = c.b[c.pos - 2..c.pos].to_vec();
        self.newline(c, &tail).then_some(s)
    }

    fn command(&mut self, c: &mut Cursor, file: &str, multi: &mut i32) -> bool {
        let Some(argc) = self.read_long(c, b'*') else {
            return false;
        };
        for i in 0..argc.max(0) {
            let Some(s) = self.read_string(c) else {
                return false;
            };
            if i == 0 {
                if s.eq_ignore_ascii_case(b"multi") {
                    *multi += 1;
                    if *multi > 1 {
                        c.fail(format!("Unexpected MULTI in AOF {file}"));
                        return false;
                    }
                } else if s.eq_ignore_ascii_case(b"exec") {
                    *multi -= 1;
                    if *multi != 0 {
                        c.fail(format!("Unexpected EXEC in AOF {file}"));
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Check the commands of `b` from `start` (after an RDB preamble).
    /// `file` names the file in the error texts. Returns the outcome and
    /// the lines the tool prints on the way (a format error).
    pub fn check(&mut self, b: &[u8], start: usize, file: &str) -> (Checked, Vec<String>) {
        let mut c = Cursor {
            b,
            pos: start,
            epos: start,
            error: None,
        };
        let mut printed = Vec::new();
        let (mut pos, mut multi) = (start, 0);
        let mut format_error = false;
        let mut eof = false;
        loop {
            if multi == 0 {
                pos = c.pos;
            }
            if c.pos >= b.len() {
                eof = true;
                break;
            }
            match b[c.pos] {
                b'#' => {
                    c.epos = c.pos;
                    c.gets(1024);
                }
                b'*' => {
                    if !self.command(&mut c, file, &mut multi) {
                        eof = c.pos >= b.len();
                        break;
                    }
                }
                _ => {
                    printed.push(format!("AOF {file} format error"));
                    format_error = true;
                    break;
                }
            }
        }
        if eof && multi != 0 && c.error.is_none() {
            c.fail("Reached EOF before reading EXEC for MULTI".into());
        }
        (
            Checked {
                ok_up_to: pos,
                error: c.error,
                format_error,
            },
            printed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_command_is_reported_as_redis_check_aof_does() {
        // The tail of the incr file redis-check-aof 7.0.15 was shown.
        let mut f = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n".to_vec();
        let ok = f.len();
        f.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$1");
        let mut ch = Checker::default();
        let (r, _) = ch.check(&f, 0, "x.aof");
        assert_eq!(r.ok_up_to, ok);
        let at = f.len() - 2;
        assert_eq!(
            r.error.unwrap(),
            format!("0x{at:>16x}: Expected \\r\\n, got: 0000")
        );
    }

    #[test]
    fn valid_files_count_lines_and_transactions_must_close() {
        let f = b"#TS:1\r\n*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nEXEC\r\n";
        let mut ch = Checker::default();
        let (r, _) = ch.check(f, 0, "x");
        assert_eq!((r.ok_up_to, r.error), (f.len(), None));
        assert_eq!(ch.line, 7);
        let (r, _) = Checker::default().check(b"*1\r\n$5\r\nMULTI\r\n", 0, "x");
        assert_eq!(r.ok_up_to, 0);
        assert!(r
            .error
            .unwrap()
            .ends_with("Reached EOF before reading EXEC for MULTI"));
        let (r, printed) = Checker::default().check(b"hello\r\n", 0, "x");
        assert!(r.format_error);
        assert_eq!(printed, ["AOF x format error"]);
    }
}
