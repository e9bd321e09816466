//! Reading redis.conf and command-line directives the way redis-server does.

use crate::resp::split_args;
use crate::server::Config;

/// Build a config from `[file] [--directive value ...]`.
pub fn load_server_config(args: &[String]) -> Result<Config, String> {
    let mut config = Config::default();
    // Like Redis, protected mode with the default bind is the safe default.
    config.set("bind", &["127.0.0.1".to_string(), "-::1".to_string()])?;
    let mut rest = args;
    if let Some(first) = args.first() {
        if !first.starts_with("--") {
            let text = std::fs::read_to_string(first)
                .map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))?;
            apply_text(&mut config, &text, Some(first))?;
            rest = &args[1..];
        }
    }
    // Command-line options become config lines: `--port 7000 --save ""`.
    let mut text = String::new();
    for a in rest {
        if let Some(name) = a.strip_prefix("--") {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(name);
        } else {
            text.push(' ');
            text.push_str(&quote(a));
        }
    }
    apply_text(&mut config, &text, None)?;
    Ok(config)
}

fn quote(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Apply config-file text; errors name the file and line like Redis.
pub fn apply_text(config: &mut Config, text: &str, file: Option<&str>) -> Result<(), String> {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fail = |msg: &str| {
            let place = match file {
                Some(f) => format!("Reading the configuration file {f}, at line {}", i + 1),
                None => format!("Reading the configuration file, at line {}", i + 1),
            };
            format!(
                "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n{place}\n>>> '{line}'\n{msg}"
            )
        };
        let Some(parts) = split_args(line.as_bytes()) else {
            return Err(fail("Unbalanced quotes in configuration line"));
        };
        let parts: Vec<String> = parts
            .into_iter()
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .collect();
        if parts.is_empty() {
            continue;
        }
        let name = parts[0].to_ascii_lowercase();
        if name == "include" {
            let inc = parts
                .get(1)
                .ok_or_else(|| fail("Bad directive or wrong number of arguments"))?;
            let t = std::fs::read_to_string(inc)
                .map_err(|e| fail(&format!("Can't open include file: {e}")))?;
            apply_text(config, &t, Some(inc))?;
            continue;
        }
        if crate::server::config::find(&name).is_none() {
            return Err(fail("Bad directive or wrong number of arguments"));
        }
        config.set(&name, &parts[1..]).map_err(|e| fail(&e))?;
    }
    Ok(())
}
