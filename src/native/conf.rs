//! Reading redis.conf and command-line directives the way redis-server 7.0 does.
//!
//! `redis-server [/path/to/redis.conf] [--directive value ...]`: the options are
//! turned into config lines (`--port 7000 --save ""` becomes `port "7000"` and
//! `save ""`), appended after the file's text behind one newline, and the whole
//! text is parsed line by line. So an error on the command line reports a line
//! number counted in that combined text, exactly as Redis does.

use super::os_error::strerror;

pub use crate::server::config::args::{parse_args, ServerArgs};
use crate::server::config::lines::{conf_lines, fatal_config_error};
use crate::server::Config;

/// Why the server cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfError {
    /// Printed as a log line (`pid:C date # msg`), like Redis's serverLog.
    Log(String),
    /// Printed verbatim to stderr (the `*** FATAL CONFIG FILE ERROR ***` block).
    Fatal(String),
}

impl std::fmt::Display for ConfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfError::Log(s) | ConfError::Fatal(s) => f.write_str(s),
        }
    }
}

/// The defaults the native host starts from: Redis 7.0's (`bind * -::*`,
/// with protected mode refusing non-local clients until a password is set).
pub fn default_config() -> Config {
    Config::default()
}

/// Build a config from `[file] [--directive value ...]`.
pub fn load_server_config(args: &[String]) -> Result<Config, ConfError> {
    let parsed = parse_args(args);
    let mut config = default_config();
    let mut text = String::new();
    if let Some(file) = &parsed.config_file {
        text = std::fs::read_to_string(file).map_err(|e| {
            ConfError::Log(format!(
                "Fatal error, can't open config file '{}': {}",
                absolute(file),
                strerror(&e)
            ))
        })?;
    }
    if parsed.from_stdin {
        use std::io::Read;
        let mut s = String::new();
        let _ = std::io::stdin().read_to_string(&mut s);
        text.push_str(&s);
    }
    text.push('\n');
    text.push_str(&parsed.options);
    apply_text(&mut config, &text)?;
    if let Some(file) = &parsed.config_file {
        // CONFIG REWRITE edits the file Redis was started with.
        config.config_file = Some(absolute(file));
        config.config_text = std::fs::read_to_string(file).ok();
    }
    Ok(config)
}

fn absolute(path: &str) -> String {
    std::path::absolute(path)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| path.to_string())
}

fn fatal(line_no: usize, line: &str, msg: &str) -> ConfError {
    ConfError::Fatal(fatal_config_error(line_no, line, msg) + "\n")
}

/// Apply config text (`loadServerConfigFromString`); errors name the line like Redis.
pub fn apply_text(config: &mut Config, text: &str) -> Result<(), ConfError> {
    apply_text_counting(config, text, &mut false)
}

/// [`apply_text`] with the `save` lines seen so far (includes share it).
fn apply_text_counting(
    config: &mut Config,
    text: &str,
    save_seen: &mut bool,
) -> Result<(), ConfError> {
    for line in conf_lines(text) {
        let line =
            line.map_err(|u| fatal(u.number, u.text, "Unbalanced quotes in configuration line"))?;
        let fail = |msg: &str| fatal(line.number, line.text, msg);
        let parts = &line.args;
        let name = parts[0].to_ascii_lowercase();
        if name == "include" && parts.len() == 2 {
            let inc = &parts[1];
            let t = std::fs::read_to_string(inc).map_err(|e| {
                ConfError::Log(format!(
                    "Fatal error, can't open config file '{}': {}",
                    absolute(inc),
                    strerror(&e)
                ))
            })?;
            apply_text_counting(config, &t, save_seen)?;
            continue;
        }
        config
            .load_directive(&name, &parts[1..], save_seen)
            .map_err(|e| fail(&e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::Key;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn options_become_lines() {
        let a = parse_args(&s(&["--port", "7000", "--save", ""]));
        assert_eq!(a.config_file, None);
        assert_eq!(a.options, "port \"7000\" \nsave \"\" ");
        let a = parse_args(&s(&["/etc/redis.conf", "--save", "--port", "1"]));
        assert_eq!(a.config_file.as_deref(), Some("/etc/redis.conf"));
        assert_eq!(a.options, "save \"\"\nport \"1\" ");
        let a = parse_args(&s(&["--save"]));
        assert_eq!(a.options, "save \"\"");
        // A lone option name takes the next argument as value even if it looks like an option.
        let a = parse_args(&s(&["--port", "--foo"]));
        assert_eq!(a.options, "port \"--foo\" ");
    }

    #[test]
    fn line_numbers_like_redis() {
        // redis-server --foo bar: line 2 (the options follow one newline).
        let err = load_server_config(&s(&["--foo", "bar"])).unwrap_err();
        assert_eq!(
            err,
            ConfError::Fatal(
                "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
                 Reading the configuration file, at line 2\n\
                 >>> 'foo \"bar\"'\n\
                 Bad directive or wrong number of arguments\n"
                    .into()
            )
        );
        let err = load_server_config(&s(&["--port", "7002", "--save", "--foo"])).unwrap_err();
        assert!(err.to_string().contains("at line 4\n>>> 'foo'\n"), "{err}");
    }

    #[test]
    fn good_options_apply() {
        let c = load_server_config(&s(&[
            "--port",
            "7005",
            "--save",
            "",
            "--loglevel",
            "warning",
        ]))
        .unwrap();
        assert_eq!(c.get(Key::PORT), "7005");
        assert_eq!(c.get(Key::SAVE), "");
        assert_eq!(c.get(Key::LOGLEVEL), "warning");
        assert_eq!(c.get(Key::BIND), "* -::*");
    }
}
