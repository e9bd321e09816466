//! `sentinel-lab demo`: the tutorial's topology on localhost in one command —
//! a master on 6379, replicas on 6380 and 6381, sentinels on 26379–26381
//! (quorum 2, `mymaster`) — each a real process of this binary, plus the web UI.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Children(Vec<(String, Child)>);

impl Drop for Children {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn spawn(exe: &Path, dir: &Path, name: &str, args: &[String]) -> std::io::Result<Child> {
    let log = std::fs::File::create(dir.join(format!("{name}.log")))?;
    let err = log.try_clone()?;
    Command::new(exe)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err))
        .spawn()
}

/// `sentinel-lab demo [--dir D] [--web-port N] [--no-web]`.
pub fn run_demo(args: &[String]) -> i32 {
    let mut dir = PathBuf::from("target/demo");
    let mut web_port: u16 = 8080;
    let mut web = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dir" => dir = it.next().map(PathBuf::from).unwrap_or(dir),
            "--web-port" => web_port = it.next().and_then(|p| p.parse().ok()).unwrap_or(web_port),
            "--no-web" => web = false,
            _ => {
                eprintln!("usage: sentinel-lab demo [--dir D] [--web-port N] [--no-web]");
                return 1;
            }
        }
    }
    let servers = [6379u16, 6380, 6381];
    let sentinels = [26379u16, 26380, 26381];
    for p in servers.iter().chain(sentinels.iter()) {
        if !port_free(*p) {
            eprintln!("port {p} is in use: stop what listens there (e.g. `redis-cli -p {p} shutdown nosave`) and try again");
            return 1;
        }
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("can't find my own binary: {e}");
            return 1;
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("can't create {}: {e}", dir.display());
        return 1;
    }
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let mut kids = Children(Vec::new());
    for (i, port) in servers.iter().enumerate() {
        let name = if i == 0 {
            "redis_master".to_string()
        } else {
            format!("redis_slave{i}")
        };
        let mut a: Vec<String> = [
            "server",
            "--port",
            &port.to_string(),
            "--dbfilename",
            &format!("dump-{port}.rdb"),
            "--repl-diskless-sync-delay",
            "1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if i > 0 {
            a.extend(["--replicaof".to_string(), "127.0.0.1".into(), "6379".into()]);
        }
        match spawn(&exe, &dir, &name, &a) {
            Ok(c) => kids.0.push((name, c)),
            Err(e) => {
                eprintln!("can't start {name}: {e}");
                return 1;
            }
        }
    }
    for (i, port) in sentinels.iter().enumerate() {
        let name = format!("redis-sentinel{}", i + 1);
        let conf = dir.join(format!("{name}.conf"));
        let text = format!(
            "port {port}\nsentinel monitor mymaster 127.0.0.1 6379 2\nsentinel down-after-milliseconds mymaster 5000\nsentinel failover-timeout mymaster 10000\nsentinel parallel-syncs mymaster 1\n"
        );
        if let Err(e) = std::fs::write(&conf, text) {
            eprintln!("can't write {}: {e}", conf.display());
            return 1;
        }
        let a = vec!["sentinel".to_string(), conf.display().to_string()];
        match spawn(&exe, &dir, &name, &a) {
            Ok(c) => kids.0.push((name, c)),
            Err(e) => {
                eprintln!("can't start {name}: {e}");
                return 1;
            }
        }
    }
    println!(
        "sentinel-lab demo: the tutorial's topology on localhost (logs in {})",
        dir.display()
    );
    println!("  redis_master      127.0.0.1:6379");
    println!("  redis_slave1      127.0.0.1:6380   (replica of 6379)");
    println!("  redis_slave2      127.0.0.1:6381   (replica of 6379)");
    println!("  redis-sentinel1-3 127.0.0.1:26379 26380 26381  (monitor mymaster, quorum 2)");
    println!();
    println!("Try:");
    println!("  redis-cli -p 6379 ping");
    println!("  redis-cli -p 26379 sentinel get-master-addr-by-name mymaster");
    println!("  tail -f {}/redis-sentinel1.log", dir.display());
    println!("  redis-cli -p 6379 shutdown nosave      # kill the master, watch the failover");
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let web_ok = web && root.join("www/index.html").is_file();
    let Some(rt) = super::host::runtime() else {
        return 1;
    };
    rt.block_on(async {
        if web_ok {
            match tokio::net::TcpListener::bind(("127.0.0.1", web_port)).await {
                Ok(l) => {
                    println!("  web UI (simulated lab in your browser): http://127.0.0.1:{web_port}/www/");
                    tokio::spawn(super::web::serve(l, root));
                }
                Err(e) => println!("  (web UI not started: port {web_port}: {e})"),
            }
        }
        println!();
        println!("Ctrl-C stops everything.");
        let _ = tokio::signal::ctrl_c().await;
    });
    println!("stopping...");
    drop(kids);
    0
}
