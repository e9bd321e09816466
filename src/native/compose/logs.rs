//! `compose logs [-f] [SERVICE...]` and the attached `up`: each container's
//! log (its image's banner lines, then the node's output) with Compose v2's
//! prefix, the name padded to the longest name plus one and ` | `, coloured
//! from Compose's rainbow when stdout is a terminal.

use super::container::{Container, Files, State};
use std::io::{IsTerminal, Read, Seek, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Compose's colour cycle: cyan, yellow, green, magenta, blue, then the intense ones.
const RAINBOW: [&str; 10] = [
    "36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1",
];

/// What Compose calls a container in logs: its name without the
/// `<project>-` prefix Compose gave it (a `container_name` stays whole).
pub fn display_name(project: &str, c: &Container) -> String {
    c.name
        .strip_prefix(&format!("{project}-"))
        .filter(|_| c.name == format!("{project}-{}-1", c.service))
        .unwrap_or(&c.name)
        .to_string()
}

/// The prefix of each container's lines, in the given order.
pub fn prefixes(names: &[String], colour: bool) -> Vec<String> {
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0) + 1;
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let plain = format!("{n:<width$} | ");
            if colour {
                format!("\x1b[{}m{plain}\x1b[0m", RAINBOW[i % RAINBOW.len()])
            } else {
                plain
            }
        })
        .collect()
}

/// Set by SIGINT while logs are followed.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Catch Ctrl-C from now on; [`interrupted`] tells whether it came.
pub fn catch_ctrl_c() {
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// One followed log file.
struct Tail {
    prefix: String,
    files: Files,
    display: String,
    offset: u64,
    partial: Vec<u8>,
    was_running: bool,
}

impl Tail {
    /// Print the complete lines that arrived since the last call.
    fn pump(&mut self, out: &mut impl Write) -> bool {
        let Ok(mut f) = std::fs::File::open(self.files.log()) else {
            return false;
        };
        if f.seek(std::io::SeekFrom::Start(self.offset)).is_err() {
            return false;
        }
        let mut buf = Vec::new();
        let n = f.read_to_end(&mut buf).unwrap_or(0);
        if n == 0 {
            return false;
        }
        self.offset += n as u64;
        self.partial.extend_from_slice(&buf);
        while let Some(pos) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=pos).collect();
            let _ = out.write_all(self.prefix.as_bytes());
            let _ = out.write_all(&line);
        }
        true
    }
}

/// Print the containers' logs from `offsets` (the start when `None`); with
/// `follow`, keep printing as lines arrive until Ctrl-C or, with
/// `until_all_exit`, until no container runs (saying who exited, as an
/// attached `up` does).
pub fn show(
    project: &str,
    containers: Vec<(Files, Container)>,
    offsets: Option<Vec<u64>>,
    follow: bool,
    until_all_exit: bool,
) {
    let colour = std::io::stdout().is_terminal();
    let names: Vec<String> = containers
        .iter()
        .map(|(_, c)| display_name(project, c))
        .collect();
    let pre = prefixes(&names, colour);
    let mut tails: Vec<Tail> = containers
        .into_iter()
        .zip(pre)
        .zip(names)
        .enumerate()
        .map(|(i, (((files, _), prefix), display))| Tail {
            prefix,
            was_running: matches!(files.state(), State::Running { .. }),
            files,
            display,
            offset: offsets
                .as_ref()
                .and_then(|o| o.get(i).copied())
                .unwrap_or(0),
            partial: Vec::new(),
        })
        .collect();
    let stdout = std::io::stdout();
    for t in &mut tails {
        t.pump(&mut stdout.lock());
    }
    if !follow {
        return;
    }
    loop {
        if interrupted() {
            return;
        }
        let mut any_running = false;
        for t in &mut tails {
            let mut out = stdout.lock();
            t.pump(&mut out);
            let state = t.files.state();
            let running = matches!(state, State::Running { .. });
            if t.was_running && !running && until_all_exit {
                // Whatever it printed last comes before the exit line.
                t.pump(&mut out);
                if let State::Exited { code, .. } = state {
                    let _ = writeln!(out, "{} exited with code {code}", t.display);
                }
            }
            t.was_running = running;
            any_running |= running;
            let _ = out.flush();
        }
        if until_all_exit && !any_running {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_pad_to_the_longest_name_plus_one() {
        let names = vec![
            "redis_master-1".to_string(),
            "redis-sentinel1-1".to_string(),
        ];
        let p = prefixes(&names, false);
        assert_eq!(p[0], "redis_master-1     | ");
        assert_eq!(p[1], "redis-sentinel1-1  | ");
        let c = prefixes(&names, true);
        assert_eq!(c[0], "\x1b[36mredis_master-1     | \x1b[0m");
        assert_eq!(c[1], "\x1b[33mredis-sentinel1-1  | \x1b[0m");
    }

    #[test]
    fn names_lose_the_project_prefix_compose_gave_them() {
        let c = Container {
            service: "redis_master".into(),
            name: "lab-redis_master-1".into(),
            ..Default::default()
        };
        assert_eq!(display_name("lab", &c), "redis_master-1");
        let named = Container {
            service: "redis_master".into(),
            name: "lab-master".into(),
            ..Default::default()
        };
        assert_eq!(display_name("lab", &named), "lab-master");
    }
}
