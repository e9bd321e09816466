//! `sentinel-lab compose [-f FILE] [-p NAME] [--real] [--subnet 127.0.N]
//! [--host-ip IP] up [-d] | down [-v] | ps [-a] | logs [-f] [SERVICE...] |
//! stop | start | kill | restart [SERVICE...]`, as Compose v2 takes them.
//! Every failure is one line on stderr and exit code 1.

use super::container::{self, Files};
use super::project::{self, Project};
use super::{logs, ps, runner, shim};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "sentinel-lab compose",
    about = "Run a Compose file's Redis services on loopback addresses, without Docker"
)]
struct Cli {
    /// Compose file (default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml here)
    #[arg(short = 'f', long = "file")]
    file: Option<PathBuf>,
    /// Project name (default: the file's `name:`, else its folder's name)
    #[arg(short = 'p', long = "project-name")]
    project: Option<String>,
    /// Run services of the official `redis` image with Debian's redis-server / redis-sentinel
    #[arg(long)]
    real: bool,
    /// The services' /24 on loopback: service i gets <subnet>.(i+2)
    #[arg(long, value_name = "127.0.N")]
    subnet: Option<String>,
    /// Bind published ports on this address instead of the file's (default 127.0.0.1)
    #[arg(long, value_name = "IP")]
    host_ip: Option<String>,
    #[command(subcommand)]
    command: Verb,
}

#[derive(Subcommand)]
enum Verb {
    /// Create and start the services; without -d, follow their logs until Ctrl-C, then stop them
    Up {
        #[arg(short = 'd', long = "detach")]
        detach: bool,
    },
    /// Stop and remove the containers and the network (-v: the named volumes too)
    Down {
        #[arg(short = 'v', long = "volumes")]
        volumes: bool,
    },
    /// List the running containers (-a: all)
    Ps {
        #[arg(short = 'a', long = "all")]
        all: bool,
    },
    /// Show the services' output
    Logs {
        #[arg(short = 'f', long = "follow")]
        follow: bool,
        services: Vec<String>,
    },
    /// Stop services (SIGTERM, then SIGKILL after 10 s)
    Stop { services: Vec<String> },
    /// Start stopped services
    Start { services: Vec<String> },
    /// Kill services (SIGKILL)
    Kill { services: Vec<String> },
    /// Stop and start services
    Restart { services: Vec<String> },
    /// One running container's keeper (started by the runner)
    #[command(hide = true)]
    Shim { dir: PathBuf, hosts: PathBuf },
}

/// Run `sentinel-lab compose ...`; returns the exit code.
pub fn run_compose(args: &[String]) -> i32 {
    let argv = std::iter::once("sentinel-lab compose".to_string()).chain(args.iter().cloned());
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if let Verb::Shim { dir, hosts } = &cli.command {
        return shim::run_shim(dir, hosts);
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

fn run(cli: Cli) -> Result<i32, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("working directory: {e}"))?;
    let file = project::find_file(cli.file.as_deref(), &cwd);
    let text = match &file {
        Ok(f) => Some(std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?),
        Err(_) => None,
    };
    // Only `up` needs the file itself; the others need a project name.
    let file = match (file, &cli.command, &cli.project) {
        (Ok(f), _, _) => f,
        (Err(_), Verb::Up { .. }, _) | (Err(_), _, None) => {
            return Err(project::find_file(cli.file.as_deref(), &cwd).unwrap_err())
        }
        (Err(_), _, Some(_)) => cwd.join("compose.yaml"),
    };
    let top_name = text
        .as_deref()
        .and_then(|t| crate::compose::file::parse(t).ok())
        .and_then(|f| f.name);
    let name = project::project_name(cli.project.as_deref(), top_name.as_deref(), &file);
    if name.is_empty() {
        return Err("project name must not be empty".into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("can't find my own binary: {e}"))?;
    let mut p = Project {
        state: cwd.join(".compose").join(&name),
        name,
        file_dir: file.parent().map(Path::to_path_buf).unwrap_or(cwd.clone()),
        exe,
        subnet: cli.subnet.clone().unwrap_or_else(|| "127.0.0".into()),
        host_ip: cli.host_ip.clone(),
        real: cli.real,
    };
    p.load_settings(cli.subnet.is_some(), cli.host_ip.is_some());
    if !project::valid_subnet(&p.subnet) {
        return Err(format!(
            "invalid --subnet {}: give three octets in 127.0.0.0/8, e.g. 127.0.5",
            p.subnet
        ));
    }
    if let Some(ip) = &p.host_ip {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(format!("invalid --host-ip {ip}"));
        }
    }
    let containers_dir = p.state.join("containers");
    match cli.command {
        Verb::Up { detach } => {
            let text = text.unwrap_or_default();
            let address = |i: usize| p.address(i);
            // env_file paths are relative to the Compose file's folder.
            let read = |path: &str| {
                std::fs::read_to_string(p.file_dir.join(path)).map_err(|e| e.to_string())
            };
            let plan = crate::compose::load_with_files(&text, &p.name, &address, &read)
                .map_err(|e| e.0)?;
            let before = container::list(&containers_dir);
            let offsets: Vec<(String, u64)> = before
                .iter()
                .map(|(f, c)| (c.service.clone(), log_len(f)))
                .collect();
            if !detach {
                logs::catch_ctrl_c();
            }
            runner::up(&p, &plan)?;
            if detach {
                return Ok(0);
            }
            let all = container::list(&containers_dir);
            let names: Vec<String> = all
                .iter()
                .map(|(_, c)| logs::display_name(&p.name, c))
                .collect();
            println!("Attaching to {}", names.join(", "));
            let from: Vec<u64> = all
                .iter()
                .map(|(_, c)| {
                    offsets
                        .iter()
                        .find(|(s, _)| *s == c.service)
                        .map(|(_, o)| *o)
                        .unwrap_or(0)
                })
                .collect();
            logs::show(&p.name, all, Some(from), true, true);
            if logs::interrupted() {
                println!("Gracefully stopping... (press Ctrl+C again to force)");
                // SAFETY: back to the default action, so a second Ctrl-C ends us.
                unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
                runner::act(&p, &[], runner::Action::Stop)?;
                return Ok(130);
            }
            Ok(0)
        }
        Verb::Down { volumes } => {
            runner::down(&p, volumes)?;
            Ok(0)
        }
        Verb::Ps { all } => {
            print!("{}", ps::table(&container::list(&containers_dir), all));
            Ok(0)
        }
        Verb::Logs { follow, services } => {
            let selected = runner::select(&p, &services)?;
            if follow {
                logs::catch_ctrl_c();
            }
            logs::show(&p.name, selected, None, follow, follow);
            Ok(0)
        }
        Verb::Stop { services } => act(&p, &services, runner::Action::Stop),
        Verb::Start { services } => act(&p, &services, runner::Action::Start),
        Verb::Kill { services } => act(&p, &services, runner::Action::Kill),
        Verb::Restart { services } => act(&p, &services, runner::Action::Restart),
        Verb::Shim { .. } => Ok(0),
    }
}

fn act(p: &Project, services: &[String], action: runner::Action) -> Result<i32, String> {
    runner::act(p, services, action)?;
    Ok(0)
}

fn log_len(f: &Files) -> u64 {
    std::fs::metadata(f.log()).map(|m| m.len()).unwrap_or(0)
}
