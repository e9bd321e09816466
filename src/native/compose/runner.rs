//! The container lifecycle: `up` creates each service's container from the
//! plan and starts them in dependency order; `stop`, `kill`, `start`,
//! `restart` act on containers; `down` stops and removes them (and with
//! `-v` the named volumes). Every start and stop rewrites the project's
//! hosts file, so only running services' names resolve.

use super::container::{self, unix_now, Container, Files, State};
use super::progress::{Progress, Status};
use super::project::Project;
use super::{hosts, real};
use crate::compose::{MountSource, NodeKind, Plan, ServicePlan};
use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long `stop` waits after SIGTERM before SIGKILL (Compose's default).
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Compose's name for the project's network and volumes.
fn network_id(p: &Project) -> String {
    format!("Network {}_default", p.name)
}

fn container_id(c: &Container) -> String {
    format!("Container {}", c.name)
}

/// The folder that is the node's `dir`: the mount covering the image's data
/// directory (a named volume or a bind mount), else the container's own `data`.
pub fn data_dir(p: &Project, s: &ServicePlan) -> PathBuf {
    for m in &s.mounts {
        let target = m.target.trim_end_matches('/');
        let covered = s.data_dir == target
            || (s.data_dir.starts_with(target) && s.data_dir[target.len()..].starts_with('/'));
        if !target.is_empty() && covered {
            let rest = s.data_dir[target.len()..].trim_start_matches('/');
            let base = match &m.source {
                MountSource::Volume(name) => p.volume_dir(name),
                MountSource::Bind(path) => p.file_dir.join(path),
            };
            return if rest.is_empty() {
                base
            } else {
                base.join(rest)
            };
        }
    }
    p.container_dir(&s.service).join("data")
}

/// The record of a new container for service `s` (the `index`-th in the file).
pub fn container_for(p: &Project, s: &ServicePlan, index: usize) -> Result<Container, String> {
    let dir = p.container_dir(&s.service);
    let conf_name = match s.kind {
        NodeKind::Server => "redis.conf",
        NodeKind::Sentinel => "sentinel.conf",
    };
    let conf = dir.join(conf_name);
    let data = data_dir(p, s);
    let use_real = p.real && real::is_official_redis(&s.image);
    let mut argv: Vec<String> = if use_real {
        let program = match s.kind {
            NodeKind::Server => "redis-server",
            NodeKind::Sentinel => "redis-sentinel",
        };
        let path = real::find_program(program).ok_or_else(|| {
            format!("--real: {program} is not installed (command -v {program} finds nothing)")
        })?;
        vec![path.display().to_string()]
    } else {
        let mode = match s.kind {
            NodeKind::Server => "server",
            NodeKind::Sentinel => "sentinel",
        };
        vec![p.exe.display().to_string(), mode.to_string()]
    };
    // The container's own address and port win over what the config says,
    // as a container listens on its own interface.
    argv.extend([
        conf.display().to_string(),
        "--bind".into(),
        s.ip.clone(),
        "--port".into(),
        s.port.to_string(),
        "--dir".into(),
        data.display().to_string(),
    ]);
    let published = s
        .published
        .iter()
        .map(|pb| {
            let ip = p.host_ip.clone().unwrap_or_else(|| pb.host_ip.clone());
            (ip, pb.host_port, pb.container_port)
        })
        .collect();
    Ok(Container {
        index,
        service: s.service.clone(),
        name: s.container_name.clone(),
        image: s.image.clone(),
        ip: s.ip.clone(),
        port: s.port,
        names: s.names.clone(),
        published,
        depends_on: s.depends_on.clone(),
        argv,
        real: use_real,
        banner: s.banner.clone(),
        refusal: s.refusal.clone(),
        created: unix_now(),
    })
}

/// The config the container's node starts with: the plan's text, joined to
/// the bind-mounted config file when the command names one (copied into the
/// container folder, so a sentinel's rewrites do not change the project's
/// file), with master names turned into addresses when the image's Redis
/// resolved them while loading its config (bitnami 6.0 sentinels).
fn config_text(p: &Project, plan: &Plan, s: &ServicePlan) -> Result<String, String> {
    let mut text = match &s.config_file {
        Some(f) => {
            let source = s
                .config_file_source()
                .map(|path| p.file_dir.join(path))
                .ok_or_else(|| {
                    format!(
                        "service {}: {}: no such file (no volume mounts it)",
                        s.service, f.path
                    )
                })?;
            let file = std::fs::read_to_string(&source)
                .map_err(|e| format!("service {}: {}: {e}", s.service, source.display()))?;
            crate::compose::images::with_file(f, &file, &s.config)
        }
        None => s.config.clone(),
    };
    if s.resolve_at_start {
        text = text
            .lines()
            .map(|line| resolve_monitor_line(plan, line))
            .collect::<Vec<_>>()
            .join("\n");
        text.push('\n');
    }
    Ok(text)
}

/// `sentinel monitor <name> <host> <port> <quorum>` with the host's address.
fn resolve_monitor_line(plan: &Plan, line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() == 6 && words[0] == "sentinel" && words[1] == "monitor" {
        if let Some(target) = plan.by_name(words[3]) {
            let mut w: Vec<String> = words.iter().map(|x| x.to_string()).collect();
            w[3] = target.ip.clone();
            return w.join(" ");
        }
    }
    line.to_string()
}

/// Create the container's folder: its record, its config, its data folder.
fn create(p: &Project, plan: &Plan, s: &ServicePlan, index: usize) -> Result<Container, String> {
    let c = container_for(p, s, index)?;
    let files = Files::new(&p.container_dir(&s.service));
    let _ = std::fs::remove_dir_all(&files.dir);
    let io = |e: std::io::Error| format!("{}: {e}", files.dir.display());
    let text = config_text(p, plan, s)?;
    files.save(&c).map_err(io)?;
    let conf = match s.kind {
        NodeKind::Server => "redis.conf",
        NodeKind::Sentinel => "sentinel.conf",
    };
    std::fs::write(files.dir.join(conf), text).map_err(io)?;
    let data = data_dir(p, s);
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    Ok(c)
}

/// Rewrite the hosts file from the containers' states; `starting` counts as
/// running, `stopped` does not.
fn refresh_hosts(p: &Project, starting: Option<&str>, stopped: Option<&str>) {
    let entries: Vec<(String, Vec<String>)> = container::list(&p.state.join("containers"))
        .into_iter()
        .filter(|(f, c)| {
            Some(c.service.as_str()) != stopped
                && (Some(c.service.as_str()) == starting
                    || matches!(f.state(), State::Running { .. }))
        })
        .map(|(_, c)| (c.ip, c.names))
        .collect();
    let _ = hosts::rewrite_in_place(&p.hosts_path(), &hosts::render(&entries));
}

/// Start a container through its shim; waits until the node runs.
pub fn start(p: &Project, files: &Files, c: &Container) -> Result<(), String> {
    if matches!(files.state(), State::Running { .. }) {
        return Ok(());
    }
    refresh_hosts(p, Some(&c.service), None);
    let result = spawn_shim(p, files);
    if result.is_err() {
        refresh_hosts(p, None, Some(&c.service));
    }
    result
}

fn spawn_shim(p: &Project, files: &Files) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(files.log())
        .map_err(|e| format!("{}: {e}", files.log().display()))?;
    let mut cmd = std::process::Command::new(&p.exe);
    cmd.arg("compose")
        .arg("shim")
        .arg(&files.dir)
        .arg(p.hosts_path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(log);
    // SAFETY: setsid is async-signal-safe; the shim leaves the terminal's
    // session so a Ctrl-C there reaches the runner only.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", p.exe.display()))?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = std::io::BufReader::new(out).read_line(&mut line);
    }
    // Reap the shim whenever it ends, so it leaves no zombie behind us.
    std::thread::spawn(move || child.wait());
    match line.trim_end() {
        "ok" => Ok(()),
        l => Err(l
            .strip_prefix("error: ")
            .unwrap_or("the container's shim exited before starting it")
            .to_string()),
    }
}

/// Signal the node and wait for its exit to be on record (SIGKILL after
/// `STOP_TIMEOUT` for a SIGTERM that is not obeyed), then drop its names.
pub fn stop(p: &Project, files: &Files, c: &Container, signal: libc::c_int) {
    if let State::Running { pid, .. } = files.state() {
        // SAFETY: plain kill(2) on the pid the shim recorded.
        unsafe { libc::kill(pid as libc::pid_t, signal) };
        if !wait_exited(files, pid, STOP_TIMEOUT) {
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            wait_exited(files, pid, STOP_TIMEOUT);
        }
    }
    refresh_hosts(p, None, Some(&c.service));
}

/// Wait until the process is gone and its shim wrote the exit (the shim
/// closes the published ports first).
fn wait_exited(files: &Files, pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut gone_at: Option<Instant> = None;
    while Instant::now() < deadline {
        if !container::alive(pid) {
            if files.exit().exists() {
                return true;
            }
            // A shim that is gone too will not write it.
            let t = *gone_at.get_or_insert_with(Instant::now);
            if t.elapsed() > Duration::from_secs(2) {
                let _ = std::fs::remove_file(files.pid());
                let _ = std::fs::write(files.exit(), format!("137 {}\n", unix_now()));
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Containers in an order that starts each after its `depends_on`.
pub fn start_order(list: Vec<(Files, Container)>) -> Vec<(Files, Container)> {
    let mut rest = list;
    let mut out: Vec<(Files, Container)> = Vec::new();
    while !rest.is_empty() {
        let ready = rest.iter().position(|(_, c)| {
            c.depends_on.iter().all(|d| {
                out.iter().any(|(_, o)| &o.service == d)
                    || !rest.iter().any(|(_, r)| &r.service == d)
            })
        });
        // A cycle: file order for the rest.
        out.push(rest.remove(ready.unwrap_or(0)));
    }
    out
}

/// `compose up`: create what is missing, start everything in order.
pub fn up(p: &Project, plan: &Plan) -> Result<(), String> {
    let mut progress = Progress::new();
    let result = up_with(p, plan, &mut progress);
    progress.finish();
    result
}

fn up_with(p: &Project, plan: &Plan, progress: &mut Progress) -> Result<(), String> {
    let fresh_network = !p.hosts_path().exists();
    p.save_settings()
        .map_err(|e| format!("{}: {e}", p.state.display()))?;
    std::fs::create_dir_all(p.state.join("containers"))
        .map_err(|e| format!("{}: {e}", p.state.display()))?;
    if fresh_network {
        progress.event(&network_id(p), "Creating", Status::Working);
        hosts::rewrite_in_place(&p.hosts_path(), &hosts::render(&[]))
            .map_err(|e| format!("{}: {e}", p.hosts_path().display()))?;
        progress.event(&network_id(p), "Created", Status::Done);
    }
    for v in &plan.volumes {
        let dir = p.volume_dir(v);
        if !dir.is_dir() {
            let id = format!("Volume \"{}_{v}\"", p.name);
            progress.event(&id, "Creating", Status::Working);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            progress.event(&id, "Created", Status::Done);
        }
    }
    let mut order = Vec::new();
    for s in plan.start_order() {
        let index = plan
            .services
            .iter()
            .position(|x| x.service == s.service)
            .unwrap_or(0);
        let files = Files::new(&p.container_dir(&s.service));
        let c = match files.load() {
            Some(c) => c,
            None => {
                let id = format!("Container {}", s.container_name);
                progress.event(&id, "Creating", Status::Working);
                let c = create(p, plan, s, index).inspect_err(|_| {
                    progress.event(&id, "Error", Status::Error);
                })?;
                progress.event(&id, "Created", Status::Done);
                c
            }
        };
        order.push((files, c));
    }
    for (files, c) in &order {
        let id = container_id(c);
        if matches!(files.state(), State::Running { .. }) {
            progress.event(&id, "Running", Status::Done);
            continue;
        }
        progress.event(&id, "Starting", Status::Working);
        if let Err(e) = start(p, files, c) {
            progress.event(&id, "Error", Status::Error);
            return Err(format!("Error response from daemon: {e}"));
        }
        progress.event(&id, "Started", Status::Done);
    }
    Ok(())
}

/// The named containers (all when `services` is empty), or the unknown name.
pub fn select(p: &Project, services: &[String]) -> Result<Vec<(Files, Container)>, String> {
    let all = container::list(&p.state.join("containers"));
    for s in services {
        if !all.iter().any(|(_, c)| &c.service == s) {
            return Err(format!("no such service: {s}"));
        }
    }
    Ok(all
        .into_iter()
        .filter(|(_, c)| services.is_empty() || services.contains(&c.service))
        .collect())
}

/// What `stop`, `kill`, `start` and `restart` do to each selected container.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Stop,
    Kill,
    Start,
    Restart,
}

pub fn act(p: &Project, services: &[String], action: Action) -> Result<(), String> {
    let selected = select(p, services)?;
    let mut progress = Progress::new();
    let mut result = Ok(());
    let ordered = start_order(selected);
    // Stopping goes against the dependency order, starting with it.
    let stopping: Vec<&(Files, Container)> = ordered.iter().rev().collect();
    if matches!(action, Action::Stop | Action::Kill | Action::Restart) {
        for (files, c) in &stopping {
            let id = container_id(c);
            if !matches!(files.state(), State::Running { .. }) {
                if action != Action::Restart {
                    continue;
                }
            } else if action == Action::Kill {
                progress.event(&id, "Killing", Status::Working);
                stop(p, files, c, libc::SIGKILL);
                progress.event(&id, "Killed", Status::Done);
            } else {
                let verb = if action == Action::Restart {
                    ("Restarting", "Restarting")
                } else {
                    ("Stopping", "Stopped")
                };
                progress.event(&id, verb.0, Status::Working);
                stop(p, files, c, libc::SIGTERM);
                if action == Action::Stop {
                    progress.event(&id, verb.1, Status::Done);
                }
            }
        }
    }
    if matches!(action, Action::Start | Action::Restart) {
        for (files, c) in &ordered {
            let id = container_id(c);
            if matches!(files.state(), State::Running { .. }) {
                continue;
            }
            if action == Action::Start {
                progress.event(&id, "Starting", Status::Working);
            }
            match start(p, files, c) {
                Ok(()) => progress.event(&id, "Started", Status::Done),
                Err(e) => {
                    progress.event(&id, "Error", Status::Error);
                    result = Err(format!("Error response from daemon: {e}"));
                    break;
                }
            }
        }
    }
    progress.finish();
    result
}

/// `compose down [-v]`: stop and remove the containers and the network,
/// and with `volumes` the named volumes.
pub fn down(p: &Project, volumes: bool) -> Result<(), String> {
    let mut progress = Progress::new();
    let ordered = start_order(container::list(&p.state.join("containers")));
    for (files, c) in ordered.iter().rev() {
        let id = container_id(c);
        if matches!(files.state(), State::Running { .. }) {
            progress.event(&id, "Stopping", Status::Working);
            stop(p, files, c, libc::SIGTERM);
            progress.event(&id, "Stopped", Status::Done);
        }
        progress.event(&id, "Removing", Status::Working);
        let _ = std::fs::remove_dir_all(&files.dir);
        progress.event(&id, "Removed", Status::Done);
    }
    let _ = std::fs::remove_dir(p.state.join("containers"));
    if p.hosts_path().exists() {
        progress.event(&network_id(p), "Removing", Status::Working);
        let _ = std::fs::remove_file(p.hosts_path());
        progress.event(&network_id(p), "Removed", Status::Done);
    }
    if volumes {
        if let Ok(rd) = std::fs::read_dir(p.volumes_dir()) {
            let mut names: Vec<String> = rd
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for v in names {
                let id = format!("Volume {}_{v}", p.name);
                progress.event(&id, "Removing", Status::Working);
                let _ = std::fs::remove_dir_all(p.volume_dir(&v));
                progress.event(&id, "Removed", Status::Done);
            }
        }
        let _ = std::fs::remove_dir(p.volumes_dir());
    }
    let _ = std::fs::remove_file(p.state.join("project"));
    // Kept when named volumes remain.
    let _ = std::fs::remove_dir(&p.state);
    progress.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{Mount, Published};

    fn project() -> Project {
        Project {
            name: "lab".into(),
            state: "/work/.compose/lab".into(),
            file_dir: "/work/files".into(),
            exe: "/bin/sentinel-lab".into(),
            subnet: "127.0.0".into(),
            host_ip: None,
            real: false,
        }
    }

    fn service(name: &str, kind: NodeKind, mounts: Vec<Mount>) -> ServicePlan {
        ServicePlan {
            service: name.into(),
            container_name: format!("lab-{name}-1"),
            names: vec![name.into(), format!("lab-{name}-1")],
            ip: "127.0.0.2".into(),
            kind,
            image: "bitnami/redis:6.0".into(),
            port: 6379,
            config: "port 6379\n".into(),
            data_dir: "/bitnami/redis/data".into(),
            published: vec![Published {
                host_ip: "127.0.0.1".into(),
                host_port: 6380,
                container_port: 6379,
            }],
            mounts,
            depends_on: vec![],
            banner: vec![],
            refusal: None,
            ..Default::default()
        }
    }

    #[test]
    fn the_data_dir_is_the_covering_mount() {
        let p = project();
        let vol = Mount {
            source: MountSource::Volume("master_data".into()),
            target: "/bitnami".into(),
            read_only: false,
        };
        let s = service("redis_master", NodeKind::Server, vec![vol]);
        assert_eq!(
            data_dir(&p, &s),
            PathBuf::from("/work/.compose/lab/volumes/master_data/redis/data")
        );
        let bind = Mount {
            source: MountSource::Bind("./data".into()),
            target: "/bitnami/redis/data/".into(),
            read_only: false,
        };
        let s = service("r", NodeKind::Server, vec![bind]);
        assert_eq!(data_dir(&p, &s), PathBuf::from("/work/files/./data"));
        let other = Mount {
            source: MountSource::Volume("x".into()),
            target: "/bitnami/red".into(),
            read_only: false,
        };
        let s = service("r", NodeKind::Server, vec![other]);
        assert_eq!(
            data_dir(&p, &s),
            PathBuf::from("/work/.compose/lab/containers/r/data")
        );
    }

    #[test]
    fn containers_run_our_binary_on_their_own_address() {
        let mut p = project();
        p.host_ip = Some("127.0.9.1".into());
        let s = service("redis-sentinel1", NodeKind::Sentinel, vec![]);
        let c = container_for(&p, &s, 3).unwrap();
        assert_eq!(c.argv[..2], ["/bin/sentinel-lab", "sentinel"]);
        assert_eq!(
            c.argv[2],
            "/work/.compose/lab/containers/redis-sentinel1/sentinel.conf"
        );
        assert_eq!(c.argv[3..7], ["--bind", "127.0.0.2", "--port", "6379"]);
        assert_eq!(c.published, vec![("127.0.9.1".to_string(), 6380, 6379)]);
        assert!(!c.real);
    }

    #[test]
    fn dependencies_start_first() {
        let mk = |name: &str, deps: &[&str], index| {
            (
                Files::new(std::path::Path::new("/x")),
                Container {
                    index,
                    service: name.into(),
                    depends_on: deps.iter().map(|d| d.to_string()).collect(),
                    ..Default::default()
                },
            )
        };
        let list = vec![
            mk("s1", &["m", "r1"], 0),
            mk("r1", &["m"], 1),
            mk("m", &[], 2),
        ];
        let order: Vec<String> = start_order(list)
            .into_iter()
            .map(|(_, c)| c.service)
            .collect();
        assert_eq!(order, ["m", "r1", "s1"]);
    }
}
