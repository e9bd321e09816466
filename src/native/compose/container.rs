//! A container: what `up` created for one service, kept on disk in
//! `.compose/<project>/containers/<service>/` until `down` removes it.
//!
//! The folder holds the record (`container`, one `key value` line per
//! field), the config file the image's entrypoint wrote, the log, and while
//! the service runs `pid` (the node's pid and start time); when it exits,
//! its shim writes `exit` (code and time). Like a Docker container, it is
//! started again from the same record, config and data.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Container {
    /// Position of the service in the Compose file (colours, ordering).
    pub index: usize,
    pub service: String,
    pub name: String,
    pub image: String,
    pub ip: String,
    pub port: u16,
    /// Names that resolve to `ip` while it runs.
    pub names: Vec<String>,
    /// `(host_ip, host_port, container_port)`.
    pub published: Vec<(String, u16, u16)>,
    pub depends_on: Vec<String>,
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// A real binary that needs the project's hosts file as /etc/hosts.
    pub real: bool,
    /// Lines the image's entrypoint prints before the server's own log.
    pub banner: Vec<String>,
    /// The image refuses to start: the lines it prints before exiting 1.
    pub refusal: Option<Vec<String>>,
    /// Unix seconds.
    pub created: u64,
}

/// Where a container is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Created,
    Running { pid: u32, since: u64 },
    Exited { code: i32, at: u64 },
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Container {
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let mut put = |k: &str, v: &str| {
            out.push_str(k);
            out.push(' ');
            out.push_str(&v.replace('\n', " "));
            out.push('\n');
        };
        put("index", &self.index.to_string());
        put("service", &self.service);
        put("name", &self.name);
        put("image", &self.image);
        put("ip", &self.ip);
        put("port", &self.port.to_string());
        put("real", if self.real { "yes" } else { "no" });
        put("created", &self.created.to_string());
        for n in &self.names {
            put("alias", n);
        }
        for (ip, hp, cp) in &self.published {
            put("publish", &format!("{ip} {hp} {cp}"));
        }
        for d in &self.depends_on {
            put("depends_on", d);
        }
        for a in &self.argv {
            put("arg", a);
        }
        for b in &self.banner {
            put("banner", b);
        }
        if let Some(lines) = &self.refusal {
            put("refuses", "yes");
            for l in lines {
                put("refusal", l);
            }
        }
        out
    }

    pub fn decode(text: &str) -> Option<Container> {
        let mut c = Container::default();
        let mut refusal: Option<Vec<String>> = None;
        for line in text.lines() {
            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
            match k {
                "index" => c.index = v.parse().ok()?,
                "service" => c.service = v.to_string(),
                "name" => c.name = v.to_string(),
                "image" => c.image = v.to_string(),
                "ip" => c.ip = v.to_string(),
                "port" => c.port = v.parse().ok()?,
                "real" => c.real = v == "yes",
                "created" => c.created = v.parse().ok()?,
                "alias" => c.names.push(v.to_string()),
                "publish" => {
                    let mut w = v.split(' ');
                    let ip = w.next()?.to_string();
                    let hp = w.next()?.parse().ok()?;
                    let cp = w.next()?.parse().ok()?;
                    c.published.push((ip, hp, cp));
                }
                "depends_on" => c.depends_on.push(v.to_string()),
                "arg" => c.argv.push(v.to_string()),
                "banner" => c.banner.push(v.to_string()),
                "refuses" => refusal = Some(refusal.unwrap_or_default()),
                "refusal" => refusal.get_or_insert_with(Vec::new).push(v.to_string()),
                _ => {}
            }
        }
        c.refusal = refusal;
        (!c.service.is_empty()).then_some(c)
    }
}

/// The files of one container folder.
pub struct Files {
    pub dir: PathBuf,
}

impl Files {
    pub fn new(dir: &Path) -> Files {
        Files {
            dir: dir.to_path_buf(),
        }
    }
    pub fn record(&self) -> PathBuf {
        self.dir.join("container")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("log")
    }
    pub fn pid(&self) -> PathBuf {
        self.dir.join("pid")
    }
    pub fn exit(&self) -> PathBuf {
        self.dir.join("exit")
    }

    pub fn load(&self) -> Option<Container> {
        Container::decode(&std::fs::read_to_string(self.record()).ok()?)
    }

    pub fn save(&self, c: &Container) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        std::fs::write(self.record(), c.encode())
    }

    /// From the pid and exit files and whether the pid is alive.
    pub fn state(&self) -> State {
        if let Ok(text) = std::fs::read_to_string(self.pid()) {
            let mut w = text.split_whitespace();
            let pid = w.next().and_then(|p| p.parse::<u32>().ok());
            let since = w.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            if let Some(pid) = pid {
                if alive(pid) {
                    return State::Running { pid, since };
                }
            }
        }
        if let Ok(text) = std::fs::read_to_string(self.exit()) {
            let mut w = text.split_whitespace();
            let code = w.next().and_then(|p| p.parse().ok()).unwrap_or(255);
            let at = w.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            return State::Exited { code, at };
        }
        State::Created
    }
}

/// Is the process there and not a zombie?
pub fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid as libc::pid_t, 0) } != 0 {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name's closing parenthesis.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_none_or(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// The project's containers, in Compose file order.
pub fn list(containers_dir: &Path) -> Vec<(Files, Container)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(containers_dir) {
        for e in rd.flatten() {
            let files = Files::new(&e.path());
            if let Some(c) = files.load() {
                out.push((files, c));
            }
        }
    }
    out.sort_by_key(|(_, c)| c.index);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let c = Container {
            index: 2,
            service: "redis-sentinel1".into(),
            name: "p-redis-sentinel1-1".into(),
            image: "bitnami/redis-sentinel:6.0".into(),
            ip: "127.0.0.5".into(),
            port: 26379,
            names: vec!["redis-sentinel1".into(), "p-redis-sentinel1-1".into()],
            published: vec![("127.0.0.1".into(), 26379, 26379)],
            depends_on: vec!["redis_master".into()],
            argv: vec!["/bin/x".into(), "sentinel".into(), "a b".into()],
            real: false,
            banner: vec!["redis 12:00:00.00 INFO  ==> ** Starting Redis setup **".into()],
            refusal: Some(vec![]),
            created: 1234,
        };
        assert_eq!(Container::decode(&c.encode()), Some(c.clone()));
        let plain = Container { refusal: None, ..c };
        assert_eq!(Container::decode(&plain.encode()), Some(plain));
    }

    #[test]
    fn this_process_is_alive() {
        assert!(alive(std::process::id()));
    }
}
