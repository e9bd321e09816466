//! Config text as lines of arguments, the way redis.conf is read
//! (`loadServerConfigFromString`): split on newlines, trim, skip blank and
//! comment lines, split each line with `sdssplitargs`'s quoting rules. Also
//! the inverse quoting (`sdscatrepr`). Pure text: the native hosts, the
//! simulator and the wasm build read config files through it.

use crate::resp::split_args;

/// One directive line: its 1-based number, its trimmed text and its arguments
/// (the directive name first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfLine<'a> {
    pub number: usize,
    pub text: &'a str,
    pub args: Vec<String>,
}

/// A line whose quotes do not close: its number and trimmed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbalancedQuotes<'a> {
    pub number: usize,
    pub text: &'a str,
}

/// The block Redis prints when a config file line is wrong
/// (`loadServerConfigFromString`), without a trailing newline.
pub fn fatal_config_error(number: usize, text: &str, msg: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {number}\n>>> '{text}'\n{msg}",
        crate::REDIS_VERSION
    )
}

/// The directive lines of a config text, in order; numbering counts every line.
pub fn conf_lines(text: &str) -> impl Iterator<Item = Result<ConfLine<'_>, UnbalancedQuotes<'_>>> {
    text.split('\n').enumerate().filter_map(|(i, raw)| {
        // sdstrim(line, " \t\r\n")
        let line = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let number = i + 1;
        let Some(parts) = split_args(line.as_bytes()) else {
            return Some(Err(UnbalancedQuotes { number, text: line }));
        };
        if parts.is_empty() {
            return None;
        }
        let args = parts
            .into_iter()
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .collect();
        Some(Ok(ConfLine {
            number,
            text: line,
            args,
        }))
    })
}

/// Redis's `sdscatrepr`: a quoted string with C escapes.
pub fn repr(s: &str) -> String {
    crate::resp::repr(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_comments_and_count_every_line() {
        let text = "# c\n\n  port 7000 \r\nsave \"\"\n   \nbad \"x\nlast 'a b'";
        let got: Vec<_> = conf_lines(text).collect();
        assert_eq!(
            got,
            vec![
                Ok(ConfLine {
                    number: 3,
                    text: "port 7000",
                    args: vec!["port".into(), "7000".into()]
                }),
                Ok(ConfLine {
                    number: 4,
                    text: "save \"\"",
                    args: vec!["save".into(), "".into()]
                }),
                Err(UnbalancedQuotes {
                    number: 6,
                    text: "bad \"x"
                }),
                Ok(ConfLine {
                    number: 7,
                    text: "last 'a b'",
                    args: vec!["last".into(), "a b".into()]
                }),
            ]
        );
    }

    #[test]
    fn repr_escapes() {
        assert_eq!(repr("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
        assert_eq!(repr("\x07\x08 x"), "\"\\a\\b x\"");
    }
}
