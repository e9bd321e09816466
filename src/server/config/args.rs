//! redis-server's command line as config text: `[config file] [--directive
//! value ...]` split the way 7.0.15's `main` does, the options turned into
//! config lines (`--port 7000 --save ""` becomes `port "7000"` and `save ""`).
//! Pure text, so the native host and the Compose planner (the official
//! image's `command:`) read a command line the same way.

use crate::resp::split_args;
use crate::server::config::lines::repr;

/// The command line of the server, split the way redis-server's `main` does.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ServerArgs {
    /// The config file (first argument when it does not start with `-`).
    pub config_file: Option<String>,
    /// `-` as first or last argument: read config text from stdin too.
    pub from_stdin: bool,
    /// The options as config text (`port "7000"\nsave ""`).
    pub options: String,
}

/// Split `args` (without the program name) like redis-server 7.0.15's `main`.
pub fn parse_args(args: &[String]) -> ServerArgs {
    let mut out = ServerArgs::default();
    let mut j = 0;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            out.config_file = Some(first.clone());
            j = 1;
        }
    }
    let mut options = String::new();
    // After an option name alone (`--port`), the next argument is its value
    // even if it starts with `--`.
    let mut handled_last_config_arg = true;
    let argc = args.len();
    while j < argc {
        let a = &args[j];
        let next_is_option = j + 1 < argc && args[j + 1].starts_with("--");
        if a == "-" && (j == 0 || j == argc - 1) {
            out.from_stdin = true;
        } else if handled_last_config_arg && a.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&a[2..]);
            options.push(' ');
            let words = split_args(a.as_bytes()).map(|v| v.len()).unwrap_or(1);
            if words == 1 {
                handled_last_config_arg = false;
                let is_save = a.eq_ignore_ascii_case("--save");
                let is_sentinel = a.eq_ignore_ascii_case("--sentinel");
                if is_save && next_is_option {
                    // `--save --port 7000` means `--save "" --port 7000`.
                    options.push_str("\"\"");
                    handled_last_config_arg = true;
                } else if is_save && j == argc - 1 {
                    options.push_str("\"\"");
                } else if is_sentinel && next_is_option {
                    handled_last_config_arg = true;
                }
            } else {
                // `"--port 6380"` as one argument carries its value.
                handled_last_config_arg = true;
            }
        } else {
            options.push_str(&repr(a));
            options.push(' ');
            handled_last_config_arg = true;
        }
        j += 1;
    }
    out.options = options;
    out
}
