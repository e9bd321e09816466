//! `compose ps [-a]`: Compose v2's table (NAME, IMAGE, COMMAND, SERVICE,
//! CREATED, STATUS, PORTS) from the containers' records, pid files and
//! whether the pids live. Like Compose, running containers only unless `-a`.

use super::container::{unix_now, Container, Files, State};

/// Docker's `units.HumanDuration`.
pub fn human_duration(secs: u64) -> String {
    match secs {
        0 => "Less than a second".into(),
        1 => "1 second".into(),
        s if s < 60 => format!("{s} seconds"),
        s if s < 120 => "About a minute".into(),
        s if s < 3600 => format!("{} minutes", s / 60),
        s => {
            let hours = (s as f64 / 3600.0 + 0.5) as u64;
            match hours {
                1 => "About an hour".into(),
                h if h < 48 => format!("{h} hours"),
                h => format!("{} days", h / 24),
            }
        }
    }
}

/// The STATUS column.
pub fn status(state: &State, now: u64) -> String {
    match state {
        State::Created => "Created".into(),
        State::Running { since, .. } => {
            format!("Up {}", human_duration(now.saturating_sub(*since)))
        }
        State::Exited { code, at } => format!(
            "Exited ({code}) {} ago",
            human_duration(now.saturating_sub(*at))
        ),
    }
}

/// The PORTS column: published ports, then the container port as exposed.
pub fn ports(c: &Container, running: bool) -> String {
    if !running {
        return String::new();
    }
    let mut parts: Vec<String> = c
        .published
        .iter()
        .map(|(ip, hp, cp)| format!("{ip}:{hp}->{cp}/tcp"))
        .collect();
    if !c.published.iter().any(|(_, _, cp)| *cp == c.port) {
        parts.push(format!("{}/tcp", c.port));
    }
    parts.join(", ")
}

/// Docker quotes the command and cuts it at 20 characters.
fn command(c: &Container) -> String {
    let program = c
        .argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .unwrap_or_default();
    let mut words = vec![program];
    words.extend(c.argv.iter().skip(1).take(1).cloned());
    let full = words.join(" ");
    let cut: String = full.chars().take(19).collect();
    if full.chars().count() > 20 {
        format!("\"{cut}…\"")
    } else {
        format!("\"{full}\"")
    }
}

/// The table's text.
pub fn table(containers: &[(Files, Container)], all: bool) -> String {
    let now = unix_now();
    let mut rows = vec![[
        "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
    ]
    .map(String::from)];
    for (files, c) in containers {
        let state = files.state();
        let running = matches!(state, State::Running { .. });
        if !all && !running {
            continue;
        }
        rows.push([
            c.name.clone(),
            c.image.clone(),
            command(c),
            c.service.clone(),
            format!("{} ago", human_duration(now.saturating_sub(c.created))),
            status(&state, now),
            ports(c, running),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if i < 6 {
                let pad = widths[i] - cell.chars().count() + 3;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_docker_prints_them() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(5), "5 seconds");
        assert_eq!(human_duration(90), "About a minute");
        assert_eq!(human_duration(600), "10 minutes");
        assert_eq!(human_duration(3700), "About an hour");
        assert_eq!(
            status(&State::Exited { code: 1, at: 100 }, 103),
            "Exited (1) 3 seconds ago"
        );
        assert_eq!(
            status(&State::Running { pid: 1, since: 100 }, 160),
            "Up About a minute"
        );
    }

    #[test]
    fn ports_and_command() {
        let c = Container {
            port: 26379,
            published: vec![("127.0.0.1".into(), 26380, 26379)],
            argv: vec!["/usr/bin/sentinel-lab".into(), "sentinel".into()],
            ..Default::default()
        };
        assert_eq!(ports(&c, true), "127.0.0.1:26380->26379/tcp");
        assert_eq!(ports(&c, false), "");
        assert_eq!(command(&c), "\"sentinel-lab sentin…\"");
        let server = Container {
            port: 6379,
            ..Default::default()
        };
        assert_eq!(ports(&server, true), "6379/tcp");
    }
}
