//! The process title (`proc-title-template`, `set-proc-title`): 7.0's
//! template language (`sdstemplate`: `{name}` variables, `{{` for a brace)
//! over the variables `redisProcTitleGetVariable` knows. The host sets the
//! title it is given (natively: what `ps` and /proc/<pid>/cmdline show).

use super::config::Key;
use super::ServerState;

/// `template` expanded, or `None` when it is malformed or names an
/// unknown variable; `var` answers a variable's value.
fn expand(template: &str, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return None;
        }
        if let Some(next) = after.strip_prefix('{') {
            out.push('{');
            rest = next;
            continue;
        }
        let close = after.find('}')?;
        out.push_str(&var(&after[..close])?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out.trim_matches(' ').to_string())
}

const VARIABLES: &[&str] = &[
    "title",
    "listen-addr",
    "server-mode",
    "config-file",
    "port",
    "tls-port",
    "unixsocket",
];

/// validateProcTitleTemplate: well formed, known variables, and not empty
/// once expanded (7.0 expands it with an empty title to check).
pub fn valid(template: &str) -> bool {
    expand(template, |v| match v {
        "title" | "server-mode" => Some(String::new()),
        v if VARIABLES.contains(&v) => Some("x".into()),
        _ => None,
    })
    .is_some_and(|t| !t.is_empty())
}

impl ServerState {
    /// The title 7.0 would give this process (`title`: the program as it was
    /// started, or a child's name).
    pub fn proc_title(&self, title: &str) -> Option<String> {
        let c = &self.config;
        let port = c.get_i64(Key::PORT);
        expand(c.get(Key::PROC_TITLE_TEMPLATE), |v| {
            Some(match v {
                "title" => title.to_string(),
                "listen-addr" if port != 0 => {
                    let first = c.get(Key::BIND).split_whitespace().next().unwrap_or("*");
                    format!("{}:{port}", first.trim_start_matches('-'))
                }
                "listen-addr" => format!("unixsocket:{}", c.get(Key::UNIXSOCKET)),
                "server-mode" if self.sentinel.is_some() => "[sentinel]".into(),
                "server-mode" => String::new(),
                "config-file" => c.config_file.clone().unwrap_or_else(|| "-".into()),
                "port" => port.to_string(),
                "tls-port" => c.get_i64(Key::TLS_PORT).to_string(),
                "unixsocket" => c.get(Key::UNIXSOCKET).to_string(),
                _ => return None,
            })
        })
    }

    /// Set the process title from the template, as 7.0 does at start and
    /// when the template changes (`set-proc-title yes` only).
    pub fn refresh_proc_title(&self) {
        if !self.config.get_bool(Key::SET_PROC_TITLE) {
            return;
        }
        let (Some(probe), Some(argv0)) = (self.host.probe.as_deref(), self.host.argv0.as_deref())
        else {
            return;
        };
        if let Some(title) = self.proc_title(argv0) {
            probe.set_proc_title(&title);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_as_sdstemplate() {
        let var = |v: &str| VARIABLES.contains(&v).then(|| format!("<{v}>"));
        assert_eq!(expand("a {title} b", var).as_deref(), Some("a <title> b"));
        assert_eq!(expand("{{x} {port}", var).as_deref(), Some("{x} <port>"));
        assert_eq!(expand(" {title}  ", var).as_deref(), Some("<title>"));
        assert_eq!(expand("{invalid-var}", var), None);
        assert_eq!(expand("{title", var), None);
        assert_eq!(expand("x {", var), None);
        assert!(valid("{title} {listen-addr} {server-mode}"));
        assert!(!valid("{invalid-var}"));
        assert!(!valid("{server-mode}"));
    }
}
