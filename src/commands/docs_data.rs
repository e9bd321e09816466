//! Redis 7.0.15's COMMAND DOCS replies, word for word: `command_docs.json`
//! holds what real 7.0.15 answers (summary, since, group, complexity,
//! history, arguments, subcommands ...) and this module renders an entry
//! as RESP, with the reply types 7.0 uses (sets for `flags`, `doc_flags`
//! and `history`, simple strings for flag names).

use crate::resp::ReplyBuf;
use std::sync::OnceLock;

/// A parsed JSON value (the file holds objects, arrays, strings, integers).
#[derive(Debug, PartialEq)]
enum Json {
    Obj(Vec<(String, Json)>),
    Arr(Vec<Json>),
    Str(String),
    Int(i64),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.s.get(self.i) == Some(&b)).then(|| self.i += 1)
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    let c = *self.s.get(self.i + 1)?;
                    out.push(match c {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        c => c,
                    });
                    self.i += 2;
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut v = Vec::new();
                if self.eat(b'}').is_some() {
                    return Some(Json::Obj(v));
                }
                loop {
                    let k = self.string()?;
                    self.eat(b':')?;
                    v.push((k, self.value()?));
                    if self.eat(b',').is_none() {
                        self.eat(b'}')?;
                        return Some(Json::Obj(v));
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                if self.eat(b']').is_some() {
                    return Some(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    if self.eat(b',').is_none() {
                        self.eat(b']')?;
                        return Some(Json::Arr(v));
                    }
                }
            }
            b'"' => self.string().map(Json::Str),
            _ => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|b| b.is_ascii_digit() || *b == b'-')
                {
                    self.i += 1;
                }
                std::str::from_utf8(&self.s[start..self.i])
                    .ok()?
                    .parse()
                    .ok()
                    .map(Json::Int)
            }
        }
    }
}

/// Every command's document, by name.
fn docs() -> &'static [(String, Json)] {
    static DOCS: OnceLock<Vec<(String, Json)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let text = include_str!("command_docs.json");
        match (Parser {
            s: text.as_bytes(),
            i: 0,
        })
        .value()
        {
            Some(Json::Obj(v)) => v,
            _ => Vec::new(),
        }
    })
}

fn field<'a>(obj: &'a Json, name: &str) -> Option<&'a Json> {
    match obj {
        Json::Obj(v) => v.iter().find(|(k, _)| k == name).map(|(_, v)| v),
        _ => None,
    }
}

/// The document of `name` (`get`, or `config|get` inside its parent's).
fn find(name: &str) -> Option<&'static Json> {
    let parent = name.split('|').next()?;
    let doc = docs().iter().find(|(k, _)| k == parent).map(|(_, v)| v)?;
    if parent == name {
        return Some(doc);
    }
    field(field(doc, "subcommands")?, name)
}

/// Whether 7.0.15 documents `name`.
pub fn has(name: &str) -> bool {
    find(name).is_some()
}

/// Write `name`'s document (the value of COMMAND DOCS's map); subcommands
/// are limited to those `keep` accepts (the ones this server has).
pub fn write(out: &mut ReplyBuf, name: &str, keep: &dyn Fn(&str) -> bool) -> bool {
    let Some(doc) = find(name) else {
        return false;
    };
    write_value(out, doc, None, keep);
    true
}

fn write_value(out: &mut ReplyBuf, v: &Json, key: Option<&str>, keep: &dyn Fn(&str) -> bool) {
    match v {
        Json::Obj(fields) => {
            let kept: Vec<&(String, Json)> = fields
                .iter()
                .filter(|(k, _)| key != Some("subcommands") || keep(k))
                .collect();
            out.map(kept.len());
            for (k, v) in kept {
                out.bulk(k.as_bytes());
                write_value(out, v, Some(k), keep);
            }
        }
        Json::Arr(items) => {
            let set = matches!(key, Some("flags" | "doc_flags" | "history"));
            if set {
                out.set(items.len());
            } else {
                out.array(items.len());
            }
            let flag_names = matches!(key, Some("flags" | "doc_flags"));
            for it in items {
                match it {
                    Json::Str(s) if flag_names => out.simple(s),
                    _ => write_value(out, it, None, keep),
                }
            }
        }
        Json::Str(s) => out.bulk(s.as_bytes()),
        Json::Int(n) => out.int(*n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_parses() {
        assert_eq!(docs().len(), 240);
        assert!(has("get") && has("config|get") && !has("nosuch"));
    }

    #[test]
    fn reply_types_as_7_0() {
        let mut out = ReplyBuf::new(3);
        assert!(write(&mut out, "slaveof", &|_| true));
        let text = String::from_utf8_lossy(&out.buf).into_owned();
        assert!(
            text.contains("$9\r\ndoc_flags\r\n~1\r\n+deprecated\r\n$16\r\ndeprecated_since\r\n$5\r\n5.0.0\r\n"),
            "{text}"
        );
        let mut out = ReplyBuf::new(2);
        write(&mut out, "config", &|s| s == "config|get");
        let text = String::from_utf8_lossy(&out.buf).into_owned();
        assert!(
            text.contains("config|get") && !text.contains("config|set"),
            "{text}"
        );
    }
}
