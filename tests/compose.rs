//! `sentinel-lab compose`: Compose files run as real processes on loopback.
//!
//! Each test has its own /24 (`--subnet`) and publishes on its own host
//! address (`--host-ip`), so tests and a person's own Redis do not collide,
//! and a guard runs `compose down -v` whatever happens.
//!
//! Most tests give the binary one of the example Compose files; two hand the
//! runner a `Plan` built here (a refusing image, `--real`).

use sentinel_lab::compose::{Mount, MountSource, NodeKind, Plan, Published, ServicePlan};
use sentinel_lab::native::compose::project::Project;
use sentinel_lab::native::compose::runner;
use sentinel_lab::resp::Frame;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sentinel-lab"))
}

/// Poll every 100 ms until `f` holds or `secs` pass.
fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

/// One command to `addr` (after AUTH with `password`); `None` if unreachable.
fn query(addr: &str, password: Option<&str>, args: &[&str]) -> Option<Frame> {
    let addr: SocketAddr = addr.parse().ok()?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut ask = |s: &mut TcpStream, args: &[&str]| -> Option<Frame> {
        s.write_all(&Frame::command(args.iter().map(|a| a.as_bytes())))
            .ok()?;
        loop {
            if let Ok(Some((f, n))) = Frame::parse(&buf) {
                buf.drain(..n);
                return Some(f);
            }
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    if let Some(p) = password {
        ask(&mut s, &["AUTH", p])?;
    }
    ask(&mut s, args)
}

fn text(f: &Frame) -> String {
    match f {
        Frame::Simple(s) | Frame::Error(s) => s.clone(),
        Frame::Bulk(b) => String::from_utf8_lossy(b).into(),
        Frame::Integer(i) => i.to_string(),
        other => format!("{other:?}"),
    }
}

fn info_field(addr: &str, password: Option<&str>, name: &str) -> Option<String> {
    let info = text(&query(addr, password, &["INFO", "replication"])?);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// A project in a temp folder, taken down (`down -v`) on drop.
struct Lab {
    dir: PathBuf,
    project: String,
    subnet: String,
    host_ip: String,
    /// `-f FILE` for file-based labs.
    file: Option<PathBuf>,
    password: Option<String>,
    /// The sentinels' own password, when it differs from the servers'.
    sentinel_password: Option<String>,
    /// The sentinels' service names and the master's named volume.
    sentinels: Vec<String>,
    volume: String,
}

impl Lab {
    fn new(tag: &str, octet: u8, file: Option<PathBuf>) -> Lab {
        let dir = std::env::temp_dir().join(format!("sl-compose-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Lab {
            dir,
            project: tag.to_string(),
            subnet: format!("127.0.{octet}"),
            host_ip: format!("127.0.{octet}.1"),
            file,
            password: None,
            sentinel_password: None,
            sentinels: (1..=3).map(|n| format!("redis-sentinel{n}")).collect(),
            volume: "master_data".into(),
        }
    }

    /// `sentinel-lab compose -p P [-f F] --subnet S --host-ip H <args>` in the lab's folder.
    fn compose(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = Command::new(binary());
        cmd.current_dir(&self.dir).arg("compose");
        if let Some(f) = &self.file {
            cmd.arg("-f").arg(f);
        }
        cmd.args(["-p", &self.project, "--subnet", &self.subnet])
            .args(["--host-ip", &self.host_ip])
            .args(args);
        let out = cmd.output().expect("run sentinel-lab compose");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.compose(args);
        assert_eq!(code, 0, "compose {args:?} failed:\n{out}\n{err}");
        out
    }

    fn project(&self) -> Project {
        Project {
            name: self.project.clone(),
            state: self.dir.join(".compose").join(&self.project),
            file_dir: self.dir.clone(),
            exe: binary(),
            subnet: self.subnet.clone(),
            host_ip: Some(self.host_ip.clone()),
            real: false,
        }
    }

    fn ip(&self, i: usize) -> String {
        format!("{}.{}", self.subnet, i + 2)
    }

    fn state(&self) -> PathBuf {
        self.dir.join(".compose").join(&self.project)
    }

    fn pw(&self) -> Option<&str> {
        self.password.as_deref()
    }

    fn sentinel_pw(&self) -> Option<&str> {
        self.sentinel_password.as_deref().or(self.pw())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_LAB").is_none() {
            let _ = self.compose(&["down", "-v"]);
        }
        if std::env::var_os("KEEP_LAB").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The tutorial's topology as a plan: a master with a named volume, two
/// replicas of it by name, three sentinels publishing 26379-26381.
fn tutorial_plan(lab: &Lab) -> Plan {
    let server = |i: usize, name: &str, config: &str, mounts: Vec<Mount>| ServicePlan {
        service: name.into(),
        container_name: format!("{}-{name}-1", lab.project),
        names: vec![name.into(), format!("{}-{name}-1", lab.project)],
        ip: lab.ip(i),
        kind: NodeKind::Server,
        image: "bitnami/redis:6.0".into(),
        port: 6379,
        config: config.into(),
        data_dir: "/bitnami/redis/data".into(),
        published: vec![],
        mounts,
        depends_on: if i == 0 {
            vec![]
        } else {
            vec!["redis_master".into()]
        },
        banner: vec![format!(
            "redis 12:00:00.00 INFO  ==> ** Starting Redis setup ** ({name})"
        )],
        refusal: None,
        ..Default::default()
    };
    let volume = Mount {
        source: MountSource::Volume("master_data".into()),
        target: "/bitnami/redis/data".into(),
        read_only: false,
    };
    let mut services = vec![
        server(0, "redis_master", "save 900 1\n", vec![volume]),
        server(
            1,
            "redis_slave1",
            "save 900 1\nreplicaof redis_master 6379\n",
            vec![],
        ),
        server(
            2,
            "redis_slave2",
            "save 900 1\nreplicaof redis_master 6379\n",
            vec![],
        ),
    ];
    for n in 1..=3 {
        let name = format!("redis-sentinel{n}");
        services.push(ServicePlan {
            service: name.clone(),
            container_name: format!("{}-{name}-1", lab.project),
            names: vec![name.clone(), format!("{}-{name}-1", lab.project)],
            ip: lab.ip(2 + n),
            kind: NodeKind::Sentinel,
            image: "bitnami/redis-sentinel:6.0".into(),
            port: 26379,
            config: "sentinel resolve-hostnames yes\n\
                     sentinel monitor mymaster redis_master 6379 2\n\
                     sentinel down-after-milliseconds mymaster 2000\n\
                     sentinel failover-timeout mymaster 10000\n"
                .into(),
            data_dir: "/bitnami/redis-sentinel/conf".into(),
            published: vec![Published {
                host_ip: "127.0.0.1".into(),
                host_port: 26378 + n as u16,
                container_port: 26379,
            }],
            mounts: vec![],
            depends_on: vec!["redis_master".into()],
            banner: vec![],
            refusal: None,
            ..Default::default()
        });
    }
    Plan {
        project: lab.project.clone(),
        services,
        volumes: vec!["master_data".into()],
    }
}

/// `SENTINEL GET-MASTER-ADDR-BY-NAME mymaster` through sentinel `n`'s published port.
fn master_by_sentinel(lab: &Lab, n: u16) -> Option<String> {
    let addr = format!("{}:{}", lab.host_ip, 26378 + n);
    match query(
        &addr,
        lab.sentinel_pw(),
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
    )? {
        Frame::Array(a) if a.len() == 2 => Some(format!("{}:{}", text(&a[0]), text(&a[1]))),
        _ => None,
    }
}

fn sentinels_agree(lab: &Lab, on: &str) -> bool {
    (1..=3).all(|n| master_by_sentinel(lab, n).as_deref() == Some(on))
}

/// Every sentinel lists `n` replicas of mymaster. A sentinel learns them
/// from the master's INFO, every 10 s: a master stopped before that leaves
/// it no replica to promote (-failover-abort-no-good-slave), with real
/// sentinels too.
fn sentinels_know_replicas(lab: &Lab, n: usize) -> bool {
    (1..=3u16).all(|s| {
        let addr = format!("{}:{}", lab.host_ip, 26378 + s);
        matches!(
            query(&addr, lab.sentinel_pw(), &["SENTINEL", "REPLICAS", "mymaster"]),
            Some(Frame::Array(a)) if a.len() == n
        )
    })
}

fn role(addr: &str, password: Option<&str>) -> Vec<String> {
    match query(addr, password, &["ROLE"]) {
        Some(Frame::Array(a)) => a.iter().map(text).collect(),
        _ => vec![],
    }
}

/// The tutorial's story on a running lab whose services are in the plan's
/// order (master, two replicas, three sentinels), the master's volume
/// being `master_data`.
fn story(lab: &Lab, up: &dyn Fn()) {
    let pw = lab.pw();
    let master = format!("{}:6379", lab.ip(0));
    for i in [1, 2] {
        let replica = format!("{}:6379", lab.ip(i));
        assert!(
            wait_until(60, || info_field(&replica, pw, "master_link_status")
                .as_deref()
                == Some("up")),
            "replica {i} never linked to the master"
        );
    }
    assert!(
        wait_until(60, || sentinels_agree(lab, &master)),
        "the sentinels do not agree on {master}"
    );
    assert!(
        wait_until(60, || sentinels_know_replicas(lab, 2)),
        "the sentinels never listed both replicas"
    );
    let hosts = std::fs::read_to_string(lab.state().join("hosts")).expect("hosts file");
    assert!(
        hosts.contains(&format!("{}\tredis_master ", lab.ip(0))),
        "{hosts}"
    );

    lab.ok(&["stop", "redis_master"]);
    let hosts = std::fs::read_to_string(lab.state().join("hosts")).expect("hosts file");
    assert!(
        !hosts.contains("redis_master"),
        "a stopped service's name stays:\n{hosts}"
    );
    assert!(
        wait_until(120, || {
            lab.sentinels
                .iter()
                .all(|s| lab.ok(&["logs", s]).contains("+switch-master mymaster"))
        }),
        "+switch-master missing from a sentinel's log:\n{}",
        lab.ok(&["logs"])
    );
    let mut promoted = String::new();
    assert!(wait_until(60, || {
        match master_by_sentinel(lab, 1) {
            Some(m) if m != master && sentinels_agree(lab, &m) => {
                promoted = m;
                true
            }
            _ => false,
        }
    }));

    lab.ok(&["start", "redis_master"]);
    let new_ip = promoted.split(':').next().unwrap_or_default().to_string();
    assert!(
        wait_until(60, || {
            let r = role(&master, pw);
            r.first().map(String::as_str) == Some("slave") && r.get(1) == Some(&new_ip)
        }),
        "redis_master did not come back as a replica of {promoted}: {:?}",
        role(&master, pw)
    );

    // A key written now reaches the old master, which saves it in its volume on `down`.
    assert_eq!(
        query(&promoted, pw, &["SET", "tutorial:key", "kept"]).map(|f| text(&f)),
        Some("OK".into())
    );
    assert!(wait_until(30, || query(
        &master,
        pw,
        &["GET", "tutorial:key"]
    )
    .map(|f| text(&f))
    .as_deref()
        == Some("kept")));
    let ps = lab.ok(&["ps"]);
    let header = ps.lines().next().unwrap_or_default();
    for col in [
        "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
    ] {
        assert!(header.contains(col), "{ps}");
    }
    assert!(
        ps.contains(&format!("{}:26379->26379/tcp", lab.host_ip)),
        "{ps}"
    );
    assert_eq!(ps.lines().filter(|l| l.contains(" Up ")).count(), 6, "{ps}");

    let out = lab.ok(&["down"]);
    assert!(out.contains("Removed"), "{out}");
    let volume = lab.state().join("volumes").join(&lab.volume);
    assert!(volume.is_dir(), "down removed the named volume");
    assert!(!lab.state().join("containers").exists());
    up();
    assert!(
        wait_until(60, || query(&master, pw, &["GET", "tutorial:key"])
            .map(|f| text(&f))
            .as_deref()
            == Some("kept")),
        "the master's volume lost the key"
    );
}

#[test]
fn a_refusing_image_exits_1_and_a_taken_port_fails_up() {
    let lab = Lab::new("refusal", 63, None);
    let mut plan = tutorial_plan(&lab);
    plan.services.truncate(1);
    plan.services[0].refusal = Some(vec![
        "redis 12:00:00.00 ERROR ==> The REDIS_PASSWORD environment variable is empty or not set."
            .into(),
    ]);
    runner::up(&lab.project(), &plan)
        .expect("up reports the container started, as Compose -d does");
    assert!(wait_until(10, || lab
        .ok(&["ps", "-a"])
        .contains("Exited (1)")));
    assert!(!lab.ok(&["ps"]).contains("redis_master"));
    assert!(lab
        .ok(&["logs"])
        .contains("redis_master-1  | redis 12:00:00.00 ERROR ==> The REDIS_PASSWORD"));
    lab.ok(&["down", "-v"]);

    // Someone else holds the sentinel's published port.
    let holder = std::net::TcpListener::bind(format!("{}:26379", lab.host_ip)).expect("bind");
    let plan = tutorial_plan(&lab);
    let err = runner::up(&lab.project(), &plan).expect_err("port in use");
    assert!(
        err.contains("address already in use") && err.starts_with("Error response from daemon"),
        "{err}"
    );
    drop(holder);
    let (code, _, err) = lab.compose(&["stop", "no_such_service"]);
    assert_eq!((code, err.trim()), (1, "no such service: no_such_service"));
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The tutorial's own file, end to end.
#[test]
fn the_tutorial_compose_file() {
    let mut lab = Lab::new(
        "tutorial",
        62,
        Some(repo_file("examples/docker-compose.yml")),
    );
    lab.volume = "redis_master_data".into();
    let out = lab.ok(&["up", "-d"]);
    assert!(
        out.contains("Container") && out.contains("Started"),
        "{out}"
    );
    // Every line of a service's log carries Compose's padded prefix, and the
    // image's banner comes first.
    let logs = lab.ok(&["logs", "redis_master"]);
    let first = logs.lines().next().unwrap_or_default();
    assert!(first.starts_with("redis_master-1  | redis "), "{logs}");
    assert!(logs.contains("** Starting Redis setup **"), "{logs}");
    assert!(
        logs.lines().all(|l| l.starts_with("redis_master-1  | ")),
        "{logs}"
    );
    story(&lab, &|| {
        lab.ok(&["up", "-d"]);
    });
    // A replica told to follow a stopped service by name cannot resolve it:
    // 7.0's connectWithMaster logs the failed lookup.
    lab.ok(&["stop", "redis_master"]);
    let slave_ip = format!("{}:6379", lab.ip(1));
    let _ = query(&slave_ip, None, &["REPLICAOF", "redis_master", "6379"]);
    assert!(
        wait_until(20, || {
            let log = lab.ok(&["logs", "redis_slave1"]);
            let tail = log.rsplit("Connecting to MASTER redis_master:6379").next();
            log.contains("Connecting to MASTER redis_master:6379")
                && tail.is_some_and(|t| t.contains("# Unable to connect to MASTER: "))
        }),
        "{}",
        lab.ok(&["logs", "redis_slave1"])
    );
}

/// The official image's file: `command:` lines and bind-mounted sentinel configs.
#[test]
fn the_official_image_compose_file() {
    let mut lab = Lab::new(
        "official",
        66,
        Some(repo_file("examples/docker-compose.official.yml")),
    );
    lab.sentinels = (1..=3).map(|n| format!("sentinel{n}")).collect();
    lab.ok(&["up", "-d"]);
    story(&lab, &|| {
        lab.ok(&["up", "-d"]);
    });
    // The project's sentinel files are copied into the containers, not rewritten.
    let original = std::fs::read_to_string(repo_file("examples/official/sentinel1.conf"))
        .expect("example file");
    assert!(!original.contains("known-replica"), "{original}");
}

/// The passwords example: passwords on every node (bitnami's variables),
/// sentinels with their own password that keep the master's name.
#[test]
fn a_compose_file_with_passwords() {
    let mut lab = Lab::new(
        "passwords",
        64,
        Some(repo_file("examples/docker-compose.passwords.yml")),
    );
    lab.password = Some("str0ng-master-pass".into());
    lab.sentinel_password = Some("sentinel-pass".into());
    lab.volume = "redis_master_data".into();
    lab.ok(&["up", "-d"]);
    // Without the password a node refuses, as requirepass does.
    let denied = query(&format!("{}:6379", lab.ip(0)), None, &["GET", "k"]).map(|f| text(&f));
    assert!(denied.unwrap_or_default().starts_with("NOAUTH"));
    story(&lab, &|| {
        lab.ok(&["up", "-d"]);
    });
}

/// `--real`: official `redis` images run Debian's redis-server, which finds
/// our master by its service name through the hosts file mounted as /etc/hosts.
#[test]
fn real_binaries_resolve_service_names_through_the_hosts_file() {
    if std::process::Command::new("redis-server")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("redis-server not installed; skipping");
        return;
    }
    let mut lab = Lab::new("real", 65, None);
    // One file, two kinds of node: bitnami's image runs ours, the official
    // image runs Debian's redis-server under --real.
    let file = lab.dir.join("docker-compose.yml");
    std::fs::write(
        &file,
        "services:\n  redis_master:\n    image: bitnami/redis:7.0\n    environment:\n      - ALLOW_EMPTY_PASSWORD=yes\n  redis_slave1:\n    image: redis:7.0\n    command: redis-server --replicaof redis_master 6379 --save ''\n    depends_on: [redis_master]\n",
    )
    .expect("write the compose file");
    lab.file = Some(file);
    lab.ok(&["--real", "up", "-d"]);
    let replica = format!("{}:6379", lab.ip(1));
    assert!(
        wait_until(30, || info_field(&replica, None, "master_link_status")
            .as_deref()
            == Some("up")),
        "{}",
        lab.ok(&["logs", "redis_slave1"])
    );
    // The replica is Debian's binary, the master is ours.
    let exe = |addr: &str| {
        query(addr, None, &["INFO", "server"])
            .map(|f| text(&f))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("executable:").map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    assert!(
        exe(&replica).ends_with("/redis-server"),
        "{}",
        exe(&replica)
    );
    let master = format!("{}:6379", lab.ip(0));
    assert!(exe(&master).contains("sentinel-lab"), "{}", exe(&master));
    assert!(lab.ok(&["ps"]).contains("redis-server"));
}
