//! A Compose project on this machine: its name, its Compose file, and its
//! state folder `.compose/<project>/` (in the working directory) holding the
//! hosts file, one folder per container and the named volumes.
//!
//! The addressing choices made at `up` (`--subnet`, `--host-ip`, `--real`)
//! are kept in `.compose/<project>/project`, so later commands (`start`,
//! `ps`, ...) act on the same containers without repeating them.

use std::path::{Path, PathBuf};

/// Compose v2's default file names, in the order it looks for them.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub name: String,
    /// `.compose/<name>`, absolute.
    pub state: PathBuf,
    /// The Compose file's folder: bind mounts are relative to it.
    pub file_dir: PathBuf,
    /// The binary services and shims run as (this one).
    pub exe: PathBuf,
    /// The first three octets of the services' addresses (`127.0.0`).
    pub subnet: String,
    /// Where published ports are bound instead of the file's host address.
    pub host_ip: Option<String>,
    /// Run official `redis` images with Debian's binaries.
    pub real: bool,
}

/// Compose's project name normalisation: lowercase, only `[a-z0-9_-]`,
/// no leading `_` or `-`.
pub fn normalize_name(raw: &str) -> String {
    let kept: String = raw
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// The Compose file to use: `-f FILE`, or the first default name in `dir`.
pub fn find_file(given: Option<&Path>, dir: &Path) -> Result<PathBuf, String> {
    match given {
        Some(f) => {
            let f = dir.join(f);
            if f.is_file() {
                Ok(f)
            } else {
                Err(format!(
                    "open {}: no such file or directory",
                    f.to_string_lossy()
                ))
            }
        }
        None => DEFAULT_FILES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
            .ok_or_else(|| "no configuration file provided: not found".to_string()),
    }
}

/// The project's name: `-p`, else `COMPOSE_PROJECT_NAME`, else the file's
/// top-level `name:`, else the file's folder's name.
pub fn project_name(flag: Option<&str>, file_name: Option<&str>, file: &Path) -> String {
    let env = std::env::var("COMPOSE_PROJECT_NAME").ok();
    let folder = file
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let raw = flag
        .map(str::to_string)
        .or(env.filter(|e| !e.is_empty()))
        .or(file_name.map(str::to_string))
        .unwrap_or(folder);
    normalize_name(&raw)
}

impl Project {
    /// The i-th service's address (in file order): `<subnet>.(i+2)`, `.1`
    /// being the network's gateway in Docker.
    pub fn address(&self, i: usize) -> String {
        format!("{}.{}", self.subnet, i + 2)
    }

    pub fn hosts_path(&self) -> PathBuf {
        self.state.join("hosts")
    }

    pub fn container_dir(&self, service: &str) -> PathBuf {
        self.state.join("containers").join(service)
    }

    pub fn volumes_dir(&self) -> PathBuf {
        self.state.join("volumes")
    }

    pub fn volume_dir(&self, name: &str) -> PathBuf {
        self.volumes_dir().join(name)
    }

    fn settings_path(&self) -> PathBuf {
        self.state.join("project")
    }

    /// Keep the addressing choices for later commands.
    pub fn save_settings(&self) -> std::io::Result<()> {
        let mut text = format!(
            "subnet {}\nreal {}\nfile_dir {}\n",
            self.subnet,
            self.real,
            self.file_dir.display()
        );
        if let Some(ip) = &self.host_ip {
            text.push_str(&format!("host_ip {ip}\n"));
        }
        std::fs::create_dir_all(&self.state)?;
        std::fs::write(self.settings_path(), text)
    }

    /// Take the choices `up` made, where this command gave none.
    pub fn load_settings(&mut self, subnet_given: bool, host_ip_given: bool) {
        let Ok(text) = std::fs::read_to_string(self.settings_path()) else {
            return;
        };
        for line in text.lines() {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "subnet" if !subnet_given => self.subnet = value.to_string(),
                "host_ip" if !host_ip_given => self.host_ip = Some(value.to_string()),
                "real" => self.real |= value == "true",
                _ => {}
            }
        }
    }

    /// Does the project have any state on disk?
    pub fn exists(&self) -> bool {
        self.state.is_dir()
    }
}

/// Is `subnet` three octets of a 127.0.0.0/8 address (`127.0.N`)?
pub fn valid_subnet(subnet: &str) -> bool {
    let parts: Vec<&str> = subnet.split('.').collect();
    parts.len() == 3 && parts[0] == "127" && parts.iter().all(|p| p.parse::<u8>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_as_compose_does() {
        assert_eq!(normalize_name("My.Project"), "myproject");
        assert_eq!(normalize_name("_-redis_lab"), "redis_lab");
        let file = Path::new("/tmp/Examples/docker-compose.yml");
        assert_eq!(project_name(None, None, file), "examples");
        assert_eq!(project_name(None, Some("Tutorial"), file), "tutorial");
        assert_eq!(project_name(Some("x1"), Some("Tutorial"), file), "x1");
    }

    #[test]
    fn addresses_and_subnets() {
        let p = Project {
            name: "p".into(),
            state: "/s".into(),
            file_dir: "/f".into(),
            exe: "/e".into(),
            subnet: "127.0.9".into(),
            host_ip: None,
            real: false,
        };
        assert_eq!(p.address(0), "127.0.9.2");
        assert!(valid_subnet("127.0.9"));
        assert!(!valid_subnet("10.0.0"));
        assert!(!valid_subnet("127.0.300"));
    }
}
