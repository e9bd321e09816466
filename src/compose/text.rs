//! The small text languages inside a Compose file: a `command:` string split
//! into words as a shell would (quotes and backslashes, no expansions),
//! Compose's `$` interpolation, and `env_file` contents.

/// Split a `command:` string into words like a POSIX shell, without
/// expansions: whitespace separates, `'...'` is literal, `"..."` keeps
/// `\"`, `\\`, `\$` and `` \` `` escapes, a backslash outside quotes
/// escapes the next character. An unclosed quote is an error.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("unclosed single quote in {s:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                            Some('\n') => {}
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err(format!("unclosed double quote in {s:?}")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("unclosed double quote in {s:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err(format!("{s:?} ends with a lone backslash")),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Compose's interpolation of a value: `$$` is a `$`; `${VAR:-default}` and
/// `${VAR-default}` give their default. A variable without a default
/// (`$VAR`, `${VAR}`, `${VAR:?err}`) is an error: there is no shell
/// environment or `.env` file to take it from here.
pub fn interpolate(s: &str) -> Result<String, String> {
    if !s.contains('$') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                return Err(format!("unclosed \"${{\" in {s:?}"));
            };
            let body = &inner[..end];
            let name_len = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            let (name, op) = body.split_at(name_len);
            if let Some(default) = op.strip_prefix(":-").or_else(|| op.strip_prefix('-')) {
                out.push_str(default);
            } else {
                return Err(unset(name));
            }
            rest = &inner[end + 1..];
        } else {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if name_len == 0 {
                // A `$` followed by nothing that names a variable stays, as in Compose.
                out.push('$');
                rest = after;
            } else {
                return Err(unset(&after[..name_len]));
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn unset(name: &str) -> String {
    format!(
        "variable {name:?} is not set: there is no shell environment or .env file here \
         (write the value, give a default with ${{{name}:-value}}, or write $$ for a $)"
    )
}

/// An `env_file`'s contents, as Compose reads them: `KEY=VALUE` lines,
/// blank lines and `#` comments skipped, an optional `export ` prefix,
/// single quotes literal, double quotes with `\n` `\"` `\\` escapes, an
/// unquoted value cut at ` #`. A `KEY` without `=` is skipped (Compose
/// would take it from the shell, which is not here).
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(format!("line {}: {raw:?} is not KEY=VALUE", i + 1));
        }
        let value = value.trim_start();
        let value = if let Some(q) = value.strip_prefix('\'') {
            match q.find('\'') {
                Some(end) => q[..end].to_string(),
                None => return Err(format!("line {}: unclosed single quote", i + 1)),
            }
        } else if let Some(q) = value.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.chars();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => v.push('\n'),
                        Some('t') => v.push('\t'),
                        Some(c) => v.push(c),
                        None => return Err(format!("line {}: unclosed double quote", i + 1)),
                    },
                    Some(c) => v.push(c),
                    None => return Err(format!("line {}: unclosed double quote", i + 1)),
                }
            }
            v
        } else {
            let cut = value.find(" #").unwrap_or(value.len());
            value[..cut].trim_end().to_string()
        };
        out.push((key.to_string(), value));
    }
    Ok(out)
}
