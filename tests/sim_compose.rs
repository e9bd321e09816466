//! The tutorial's Compose project in the simulator: hosts named after the
//! services, names resolving as Docker's embedded DNS resolves them, the
//! failover story with and without passwords, and the stopped master whose
//! name no longer resolves.
//!
//! The plans here are written out as the compose planner gives them for the
//! tutorial's file (bitnami's defaults: down-after 60 s, failover-timeout
//! 180 s); `the_tutorial_file_itself` runs the real file through the parser.

use sentinel_lab::compose::{NodeKind, Plan, Published, ServicePlan};
use sentinel_lab::sim::compose::{self, address, PROJECT};
use sentinel_lab::sim::scenario::SCENARIO_START;
use sentinel_lab::sim::{HostId, Sim, TraceKind};

const SERVERS: [&str; 3] = ["redis_master", "redis_slave1", "redis_slave2"];
const SENTINELS: [&str; 3] = ["redis-sentinel1", "redis-sentinel2", "redis-sentinel3"];
/// Generous virtual deadline for a failover with bitnami's 60 s down-after.
const FAILOVER_MS: u64 = 400_000;

struct Options {
    /// `(server password, sentinel password)`.
    passwords: Option<(&'static str, &'static str)>,
    resolve_hostnames: bool,
}

fn service(i: usize, name: &str, kind: NodeKind, config: String) -> ServicePlan {
    let container = format!("{PROJECT}-{name}-1");
    ServicePlan {
        service: name.into(),
        container_name: container.clone(),
        names: vec![name.into(), container],
        ip: address(i),
        kind,
        image: match kind {
            NodeKind::Server => "bitnami/redis:6.0".into(),
            NodeKind::Sentinel => "bitnami/redis-sentinel:6.0".into(),
        },
        port: if kind == NodeKind::Server {
            6379
        } else {
            26379
        },
        config,
        data_dir: "/bitnami/redis/data".into(),
        published: Vec::new(),
        mounts: Vec::new(),
        depends_on: if i == 0 {
            Vec::new()
        } else {
            vec!["redis_master".into()]
        },
        banner: vec![" INFO  ==> ** Starting Redis setup **".into()],
        refusal: None,
        ..Default::default()
    }
}

fn tutorial_plan(o: &Options) -> Plan {
    let mut services = Vec::new();
    for (i, name) in SERVERS.iter().enumerate() {
        let mut c = String::from("port 6379\nprotected-mode no\n");
        if let Some((pw, _)) = o.passwords {
            c.push_str(&format!("requirepass {pw}\nmasterauth {pw}\n"));
        }
        if i > 0 {
            c.push_str("replicaof redis_master 6379\n");
        }
        services.push(service(i, name, NodeKind::Server, c));
    }
    for (j, name) in SENTINELS.iter().enumerate() {
        let mut c = String::from("port 26379\n");
        if o.resolve_hostnames {
            c.push_str("sentinel resolve-hostnames yes\n");
        }
        c.push_str("sentinel monitor mymaster redis_master 6379 2\n");
        c.push_str("sentinel down-after-milliseconds mymaster 60000\n");
        c.push_str("sentinel failover-timeout mymaster 180000\n");
        c.push_str("sentinel parallel-syncs mymaster 1\n");
        if let Some((pw, spw)) = o.passwords {
            c.push_str(&format!(
                "sentinel auth-pass mymaster {pw}\nrequirepass {spw}\nsentinel sentinel-pass {spw}\n"
            ));
        }
        let mut s = service(3 + j, name, NodeKind::Sentinel, c);
        // Redis 6.0's sentinel resolved the monitored name while loading its config.
        s.resolve_at_start = !o.resolve_hostnames;
        s.published = vec![Published {
            host_ip: "127.0.0.1".into(),
            host_port: 26379 + j as u16,
            container_port: 26379,
        }];
        services.push(s);
    }
    Plan {
        project: PROJECT.into(),
        services,
        volumes: vec!["redis_data".into()],
    }
}

fn up(seed: u64, plan: &Plan) -> Sim {
    let mut sim = Sim::new(seed, SCENARIO_START);
    compose::build(&mut sim, plan).expect("the plan builds");
    sim
}

fn host(sim: &Sim, name: &str) -> HostId {
    sim.host_by_name(name).expect(name)
}

/// A command as a client in the project network sends it (AUTH first when needed).
fn ask(sim: &mut Sim, name: &str, pass: Option<&str>, argv: &[&str]) -> String {
    let h = host(sim, name);
    let mut cmds: Vec<Vec<&str>> = Vec::new();
    if let Some(p) = pass {
        cmds.push(vec!["AUTH", p]);
    }
    cmds.push(argv.to_vec());
    let cmds: Vec<&[&str]> = cmds.iter().map(|c| c.as_slice()).collect();
    let replies = sim.commands(h, &cmds, 5_000);
    replies
        .last()
        .and_then(|r| r.as_ref())
        .map(|f| format!("{f:?}"))
        .unwrap_or_default()
}

fn server_pass(o: &Options) -> Option<&'static str> {
    o.passwords.map(|p| p.0)
}

fn sentinel_pass(o: &Options) -> Option<&'static str> {
    o.passwords.map(|p| p.1)
}

/// Both replicas streaming from the master, and every sentinel knowing
/// the master, both replicas and the two other sentinels.
fn settled(sim: &mut Sim, o: &Options) -> bool {
    for r in &SERVERS[1..] {
        let info = ask(sim, r, server_pass(o), &["INFO", "replication"]);
        if !info.contains("master_link_status:up") {
            return false;
        }
    }
    for s in SENTINELS {
        let m = ask(
            sim,
            s,
            sentinel_pass(o),
            &["SENTINEL", "MASTER", "mymaster"],
        );
        if !(m.contains("num-slaves") && m.contains("\"2\"") && m.contains("num-other-sentinels")) {
            return false;
        }
        let info = ask(sim, s, sentinel_pass(o), &["INFO", "sentinel"]);
        if !info.contains("slaves=2,sentinels=3") {
            return false;
        }
    }
    true
}

fn run_until(sim: &mut Sim, max_ms: u64, mut pred: impl FnMut(&mut Sim) -> bool) -> bool {
    let end = sim.now + max_ms;
    while sim.now < end {
        if pred(sim) {
            return true;
        }
        sim.run_for(1_000);
    }
    pred(sim)
}

fn switched(sim: &Sim, sentinel: &str) -> bool {
    sim.trace.entries.iter().any(|e| {
        e.host == sentinel && e.kind == TraceKind::Sentinel && e.text.starts_with("+switch-master")
    })
}

fn role(sim: &mut Sim, name: &str, pass: Option<&str>) -> String {
    ask(sim, name, pass, &["ROLE"])
}

/// The tutorial's story: up, replication and sentinels settled, the master
/// stopped, +switch-master on all three, the master started again as a replica.
fn story(seed: u64, o: &Options) -> Sim {
    let plan = tutorial_plan(o);
    let mut sim = up(seed, &plan);
    assert!(
        run_until(&mut sim, 60_000, |s| settled(s, o)),
        "replication and sentinels settle:\n{}",
        sim.trace.render()
    );
    for s in SENTINELS {
        let addr = ask(
            &mut sim,
            s,
            sentinel_pass(o),
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
        );
        assert!(
            addr.contains("10.0.0.2") && addr.contains("6379"),
            "{s}: {addr}"
        );
    }
    let m = host(&sim, "redis_master");
    sim.crash(m);
    assert_eq!(
        sim.resolve("redis_master"),
        None,
        "a stopped service's name is dropped"
    );
    assert!(
        run_until(&mut sim, FAILOVER_MS, |s| SENTINELS
            .iter()
            .all(|n| switched(s, n))),
        "+switch-master on every sentinel:\n{}",
        sim.trace.render()
    );
    sim.restart(m);
    assert_eq!(sim.resolve("redis_master").as_deref(), Some("10.0.0.2"));
    assert!(
        run_until(&mut sim, 120_000, |s| {
            let r = role(s, "redis_master", server_pass(o));
            r.contains("slave") && r.contains("connected")
        }),
        "the old master comes back as a replica:\n{}",
        sim.trace.render()
    );
    sim
}

#[test]
fn hosts_are_the_services_and_answer_to_their_names() {
    let o = Options {
        passwords: None,
        resolve_hostnames: false,
    };
    let sim = up(1, &tutorial_plan(&o));
    let names: Vec<&str> = sim.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, [SERVERS, SENTINELS].concat());
    assert_eq!(sim.resolve("redis_master").as_deref(), Some("10.0.0.2"));
    assert_eq!(
        sim.resolve("sentinel-lab-redis-sentinel3-1").as_deref(),
        Some("10.0.0.7")
    );
    // Names are looked up as DNS does, whatever the case.
    assert_eq!(sim.resolve("REDIS_SLAVE2").as_deref(), Some("10.0.0.4"));
    assert!(sim
        .trace
        .contains("redis_master", "** Starting Redis setup **"));
}

#[test]
fn the_tutorial_story_in_the_simulator() {
    let o = Options {
        passwords: None,
        resolve_hostnames: false,
    };
    let sim = story(1, &o);
    // Replicas name their master as the file does, and the name resolves.
    assert!(sim
        .trace
        .contains("redis_slave1", "Connecting to MASTER redis_master:6379"));
    assert!(sim.trace.contains(
        "redis_slave1",
        "MASTER <-> REPLICA sync: Finished with success"
    ));
}

#[test]
fn the_story_with_passwords_and_hostnames() {
    let o = Options {
        passwords: Some(("s3cret", "sent1nel")),
        resolve_hostnames: true,
    };
    let mut sim = story(2, &o);
    // Without the password nothing is served.
    let denied = ask(&mut sim, "redis_slave1", None, &["GET", "k"]);
    assert!(denied.contains("NOAUTH"), "{denied}");
    let denied = ask(&mut sim, "redis-sentinel1", None, &["SENTINEL", "MASTERS"]);
    assert!(denied.contains("NOAUTH"), "{denied}");
}

/// The name trap: sentinels that resolve names keep asking for the stopped
/// master's name and the lookup fails (their log says so, as do the
/// replicas'), yet the failover completes, and the master is turned into a
/// replica once it runs again and its name resolves.
#[test]
fn a_stopped_masters_name_does_not_resolve_and_the_failover_still_completes() {
    let o = Options {
        passwords: None,
        resolve_hostnames: true,
    };
    let plan = tutorial_plan(&o);
    let mut sim = up(3, &plan);
    assert!(run_until(&mut sim, 60_000, |s| settled(s, &o)));
    let m = host(&sim, "redis_master");
    let stopped_at = sim.now;
    sim.crash(m);
    assert!(
        run_until(&mut sim, FAILOVER_MS, |s| SENTINELS
            .iter()
            .all(|n| switched(s, n))),
        "{}",
        sim.trace.render()
    );
    let after = |sim: &Sim, host: &str, needle: &str| {
        sim.trace
            .logs_of(host)
            .any(|e| e.time >= stopped_at && e.text.contains(needle))
    };
    assert!(
        SENTINELS
            .iter()
            .any(|s| after(&sim, s, "Failed to resolve hostname 'redis_master'")),
        "{}",
        sim.trace.render()
    );
    assert!(
        after(
            &sim,
            "redis_slave1",
            "Unable to connect to MASTER: Name or service not known"
        ) || after(
            &sim,
            "redis_slave2",
            "Unable to connect to MASTER: Name or service not known"
        )
    );
    // The sentinels hand out the promoted replica.
    let addr = ask(
        &mut sim,
        "redis-sentinel1",
        None,
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
    );
    assert!(
        addr.contains("10.0.0.3") || addr.contains("10.0.0.4"),
        "{addr}"
    );
    let restarted_at = sim.now;
    sim.restart(m);
    assert!(
        run_until(&mut sim, 120_000, |s| role(s, "redis_master", None)
            .contains("slave")),
        "{}",
        sim.trace.render()
    );
    assert!(sim.trace.entries.iter().any(|e| e.time >= restarted_at
        && e.kind == TraceKind::Sentinel
        && e.text.starts_with("+convert-to-slave")));
}

#[test]
fn a_service_that_refuses_to_start_stays_stopped_with_its_lines() {
    let o = Options {
        passwords: None,
        resolve_hostnames: false,
    };
    let mut plan = tutorial_plan(&o);
    let lines = vec![
        " ERROR ==> The REDIS_PASSWORD environment variable is empty or not set. Set the environment variable ALLOW_EMPTY_PASSWORD=yes to allow the container to be started with blank passwords. This is recommended only for development.".to_string(),
    ];
    plan.services[1].refusal = Some(lines.clone());
    let mut sim = up(4, &plan);
    let h = host(&sim, "redis_slave1");
    assert!(sim.hosts[h].node.is_none());
    assert_eq!(sim.resolve("redis_slave1"), None);
    assert!(sim.trace.contains(
        "redis_slave1",
        "REDIS_PASSWORD environment variable is empty"
    ));
    sim.restart(h);
    assert!(sim.hosts[h].node.is_none(), "it refuses every time");
    sim.run_for(5_000);
    assert!(sim.hosts[host(&sim, "redis_slave2")].node.is_some());
}

#[test]
fn the_machines_published_ports_reach_the_services() {
    let o = Options {
        passwords: None,
        resolve_hostnames: false,
    };
    let actions = compose::actions(&tutorial_plan(&o));
    let published: Vec<(String, Vec<(String, u16)>)> = actions
        .iter()
        .filter_map(|a| match a {
            sentinel_lab::sim::scenario::Action::Add(h) if !h.published.is_empty() => {
                Some((h.name.clone(), h.published.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(published.len(), 3);
    assert_eq!(published[1].0, "redis-sentinel2");
    assert_eq!(published[1].1, [(compose::MACHINE_IP.to_string(), 26380)]);
}

/// The example files through the compose parser and planner: the same six
/// services, the same story (the passwords file with its passwords).
#[test]
fn the_example_files_themselves() {
    let passwords = include_str!("../examples/docker-compose.passwords.yml");
    let cases = [
        (compose::tutorial_yaml(), None),
        (passwords, Some(("str0ng-master-pass", "sentinel-pass"))),
    ];
    for (yaml, pw) in cases {
        let plan = compose::plan(yaml).expect("the example file plans");
        let names: Vec<&str> = plan.services.iter().map(|s| s.service.as_str()).collect();
        assert_eq!(names, [SERVERS, SENTINELS].concat());
        let mut sim = up(5, &plan);
        let o = Options {
            passwords: pw,
            resolve_hostnames: pw.is_some(),
        };
        assert!(
            run_until(&mut sim, 60_000, |s| settled(s, &o)),
            "{}",
            sim.trace.render()
        );
        let m = host(&sim, "redis_master");
        sim.crash(m);
        assert!(run_until(&mut sim, FAILOVER_MS, |s| SENTINELS
            .iter()
            .all(|n| switched(s, n))));
        sim.restart(m);
        assert!(run_until(&mut sim, 120_000, |s| role(
            s,
            "redis_master",
            server_pass(&o)
        )
        .contains("slave")));
    }
}

fn run_lesson(
    id: &str,
    seed: u64,
) -> (
    Sim,
    Vec<Result<sentinel_lab::sim::scenario::Outcome, String>>,
) {
    use sentinel_lab::sim::lessons;
    use sentinel_lab::sim::scenario::SentinelSettings;
    let l = lessons::lesson(id, &SentinelSettings::default()).unwrap();
    let mut sim = lessons::start(seed, &l).unwrap();
    let mut next = 0;
    let outs = lessons::advance(&mut sim, &l, &mut next, l.end);
    (sim, outs)
}

#[test]
fn lesson_name_not_resolving() {
    let (mut sim, outs) = run_lesson("name-not-resolving", 1);
    assert!(outs.iter().all(|o| o.is_ok()), "{outs:?}");
    let text = sim.trace.render();
    assert!(SENTINELS.iter().all(|s| switched(&sim, s)), "{text}");
    assert!(
        SENTINELS.iter().any(|s| sim
            .trace
            .contains(s, "Failed to resolve hostname 'redis_master'")),
        "{text}"
    );
    assert!(
        sim.trace
            .entries
            .iter()
            .any(|e| e.kind == TraceKind::Sentinel && e.text.starts_with("+convert-to-slave")),
        "{text}"
    );
    assert!(
        role(&mut sim, "redis_master", None).contains("slave"),
        "{text}"
    );
}

#[test]
fn lesson_container_address() {
    let (sim, outs) = run_lesson("container-address", 1);
    let replies: Vec<String> = outs
        .iter()
        .filter_map(|o| match o {
            Ok(sentinel_lab::sim::scenario::Outcome::Reply(r)) => Some(format!("{r:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(replies.len(), 2, "{outs:?}");
    // Before: the container address, which the machine cannot reach.
    assert!(replies[0].contains("172.24.0.2"), "{}", replies[0]);
    // After the failover: the machine's address and a published port.
    assert!(
        replies[1].contains(sentinel_lab::sim::compose::MACHINE_IP),
        "{}\n{}",
        replies[1],
        sim.trace.render()
    );
    assert!(SENTINELS.iter().all(|s| switched(&sim, s)));
}

/// Wrong passwords show up as 7.0 shows them: a replica with the wrong
/// REDIS_MASTER_PASSWORD logs `Unable to AUTH to MASTER: -WRONGPASS ...` and
/// retries; sentinels with the wrong one get `-NOAUTH` to their PINGs and
/// mark the (running) master subjectively down.
#[test]
fn wrong_passwords_fail_as_in_7_0() {
    let yaml = include_str!("../examples/docker-compose.passwords.yml")
        .replacen(
            "  REDIS_MASTER_PASSWORD: str0ng-master-pass\n\nx-sentinel-env",
            "  REDIS_MASTER_PASSWORD: wrong\n\nx-sentinel-env",
            1,
        )
        .replace(
            "  REDIS_MASTER_PASSWORD: str0ng-master-pass\n  REDIS_SENTINEL_PASSWORD",
            "  REDIS_MASTER_PASSWORD: wrong\n  REDIS_SENTINEL_PASSWORD",
        );
    assert!(
        yaml.matches("REDIS_MASTER_PASSWORD: wrong").count() == 2,
        "{yaml}"
    );
    let plan = compose::plan(&yaml).expect("plans");
    let mut sim = up(3, &plan);
    let logged = |sim: &Sim, host: &str, text: &str| {
        sim.trace
            .entries
            .iter()
            .any(|e| e.host == host && e.text.contains(text))
    };
    assert!(
        run_until(&mut sim, 120_000, |s| {
            logged(
            s,
            "redis_slave1",
            "# Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled."
        ) && SENTINELS
            .iter()
            .all(|n| logged(s, n, "+sdown master mymaster"))
        }),
        "{}",
        sim.trace.render()
    );
}
