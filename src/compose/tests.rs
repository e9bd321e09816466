//! The Compose core against the example files, every accepted shape, every
//! error message, and hostile input.

use super::*;

fn addr(i: usize) -> String {
    format!("127.0.0.{}", i + 2)
}

fn load_ok(yaml: &str) -> Plan {
    load(yaml, "proj", &addr).unwrap_or_else(|e| panic!("{e}"))
}

fn err(yaml: &str) -> String {
    load(yaml, "proj", &addr).expect_err("must fail").0
}

fn one(service_yaml: &str) -> Service {
    let yaml = format!("services:\n  s:\n    image: redis:7.0\n{service_yaml}");
    file::parse(&yaml)
        .unwrap_or_else(|e| panic!("{e}"))
        .services
        .remove(0)
}

fn has_line(config: &str, line: &str) -> bool {
    config.lines().any(|l| l == line)
}

#[test]
fn tutorial_file_plans_the_tutorial_topology() {
    let plan = load_ok(tutorial_yaml());
    let names: Vec<&str> = plan.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        names,
        [
            "redis_master",
            "redis_slave1",
            "redis_slave2",
            "redis-sentinel1",
            "redis-sentinel2",
            "redis-sentinel3"
        ]
    );
    assert_eq!(plan.volumes, ["redis_master_data"]);
    let master = plan.service("redis_master").unwrap();
    assert_eq!(
        (master.kind, master.ip.as_str(), master.port),
        (NodeKind::Server, "127.0.0.2", 6379)
    );
    assert_eq!(master.names, ["redis_master", "proj-redis_master-1"]);
    assert_eq!(
        master.mounts,
        [Mount {
            source: MountSource::Volume("redis_master_data".into()),
            target: "/bitnami/redis/data".into(),
            read_only: false
        }]
    );
    assert_eq!(master.data_dir, "/bitnami/redis/data");
    assert!(has_line(&master.config, "appendonly yes"));
    assert!(has_line(&master.config, "protected-mode no"));
    assert!(has_line(&master.config, "replica-announce-ip 127.0.0.2"));
    assert!(!master.config.contains("replicaof"));
    assert!(master.refusal.is_none());
    let replica = plan.service("redis_slave2").unwrap();
    assert!(has_line(&replica.config, "replicaof redis_master 6379"));
    assert_eq!(replica.wait_for, Some(("redis_master".into(), 6379)));
    assert_eq!(replica.depends_on, ["redis_master"]);
    let banner = replica.banner_at(45_296_789);
    assert_eq!(
        banner[1],
        "redis 12:34:56.78 Welcome to the Bitnami redis container"
    );
    assert_eq!(
        banner[5],
        "redis 12:34:56.78 INFO  ==> ** Starting Redis setup **"
    );
    assert_eq!(
        banner.last().unwrap(),
        "redis 12:34:56.78 INFO  ==> ** Starting Redis **"
    );
    for (i, port) in [26379, 26380, 26381].into_iter().enumerate() {
        let s = &plan.services[3 + i];
        assert_eq!((s.kind, s.port), (NodeKind::Sentinel, 26379));
        assert_eq!(
            s.published,
            [Published {
                host_ip: "127.0.0.1".into(),
                host_port: port,
                container_port: 26379
            }]
        );
        assert!(has_line(
            &s.config,
            "sentinel monitor mymaster redis_master 6379 2"
        ));
        assert!(has_line(
            &s.config,
            "sentinel down-after-milliseconds mymaster 5000"
        ));
        assert!(has_line(
            &s.config,
            "sentinel failover-timeout mymaster 180000"
        ));
        // The 6.0 image's sentinel resolved the name itself and knew no resolve-hostnames.
        assert!(s.resolve_at_start);
        assert!(!s.config.contains("resolve-hostnames"));
        assert_eq!(
            s.banner_at(0)[5],
            "redis-sentinel 00:00:00.00 INFO  ==> ** Starting Redis sentinel setup **"
        );
    }
    let order: Vec<&str> = plan
        .start_order()
        .iter()
        .map(|s| s.service.as_str())
        .collect();
    assert_eq!(order, names);
}

#[test]
fn passwords_file_maps_bitnami_passwords() {
    let plan = load_ok(include_str!("../../examples/docker-compose.passwords.yml"));
    assert_eq!(plan.project, "passwords");
    let master = plan.service("redis_master").unwrap();
    assert!(has_line(&master.config, "requirepass str0ng-master-pass"));
    assert!(has_line(&master.config, "masterauth str0ng-master-pass"));
    assert!(!has_line(&master.config, "protected-mode no"));
    let replica = plan.service("redis_slave1").unwrap();
    assert!(has_line(&replica.config, "masterauth str0ng-master-pass"));
    assert!(has_line(&replica.config, "replicaof redis_master 6379"));
    let s = plan.service("redis-sentinel2").unwrap();
    for l in [
        "requirepass sentinel-pass",
        "sentinel auth-pass mymaster str0ng-master-pass",
        "sentinel resolve-hostnames yes",
        "sentinel announce-hostnames no",
        "sentinel down-after-milliseconds mymaster 5000",
        "sentinel master-reboot-down-after-period mymaster 0",
    ] {
        assert!(has_line(&s.config, l), "{l} in\n{}", s.config);
    }
    assert!(!s.resolve_at_start);
    assert_eq!(s.names, ["redis-sentinel2", "passwords-redis-sentinel2-1"]);
    // 7.0 images print the newer welcome page through info.
    assert_eq!(
        s.banner[1],
        "redis-sentinel {time} INFO  ==> Welcome to the Bitnami redis-sentinel container"
    );
}

#[test]
fn official_file_runs_commands() {
    let plan = load_ok(include_str!("../../examples/docker-compose.official.yml"));
    let master = plan.service("redis_master").unwrap();
    assert_eq!(
        master.config,
        "protected-mode no\nport \"6379\"\nappendonly \"no\"\n"
    );
    assert_eq!(master.data_dir, "/data");
    assert!(master.banner.is_empty());
    for r in ["redis_replica1", "redis_replica2"] {
        let s = plan.service(r).unwrap();
        assert!(
            has_line(&s.config, "replicaof \"redis_master\" \"6379\""),
            "{}",
            s.config
        );
        assert_eq!(s.kind, NodeKind::Server);
    }
    for (name, port) in [
        ("sentinel1", 26379),
        ("sentinel2", 26380),
        ("sentinel3", 26381),
    ] {
        let s = plan.service(name).unwrap();
        assert_eq!((s.kind, s.port), (NodeKind::Sentinel, 26379));
        assert_eq!(s.published[0].host_port, port);
        let file = s.config_file.as_ref().expect("a config file");
        assert_eq!(file.path, "/etc/redis/sentinel.conf");
        assert_eq!(
            s.mounts[0].source,
            MountSource::Bind(format!("./official/{name}.conf"))
        );
    }
    // redis-server file --sentinel gets --protected-mode no from the entrypoint; redis-sentinel does not.
    let s2 = plan.service("sentinel2").unwrap();
    assert!(s2.config_file.as_ref().unwrap().protected_mode_no);
    assert!(
        !plan
            .service("sentinel1")
            .unwrap()
            .config_file
            .as_ref()
            .unwrap()
            .protected_mode_no
    );
    let text = images::with_file(s2.config_file.as_ref().unwrap(), "port 26379", &s2.config);
    assert_eq!(text, "port 26379\nprotected-mode no\n");
    let kept = images::with_file(s2.config_file.as_ref().unwrap(), "protected-mode yes", "");
    assert_eq!(kept, "protected-mode yes\n");
}

#[test]
fn environment_shapes() {
    let list = one("    environment:\n      - A=1\n      - B\n      - C=x=y\n      - A=2\n");
    assert_eq!(
        list.environment,
        [("C".into(), "x=y".into()), ("A".into(), "2".into())]
    );
    let map = one("    environment:\n      N: 5\n      T: true\n      Y: yes\n      F: 1.50\n      E:\n      Q: \"\"\n");
    let want: Vec<(String, String)> = [
        ("N", "5"),
        ("T", "true"),
        ("Y", "yes"),
        ("F", "1.50"),
        ("Q", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(map.environment, want);
    let interpolated =
        one("    environment:\n      - P=a$$b\n      - D=${NOPE:-dflt}\n      - E=${NOPE-}\n");
    assert_eq!(interpolated.environment[0].1, "a$b");
    assert_eq!(interpolated.environment[1].1, "dflt");
    assert_eq!(interpolated.environment[2].1, "");
    let files = one("    env_file: a.env\n");
    assert_eq!(files.env_file, ["a.env"]);
    let files = one("    env_file:\n      - a.env\n      - path: b.env\n        required: false\n");
    assert_eq!(files.env_file, ["a.env", "b.env"]);
}

#[test]
fn env_files_come_before_environment() {
    let yaml = "services:\n  m:\n    image: bitnami/redis:6.0\n    env_file: [m.env]\n    environment:\n      REDIS_PORT_NUMBER: 7000\n";
    let read = |path: &str| -> Result<String, String> {
        assert_eq!(path, "m.env");
        Ok("# c\nexport ALLOW_EMPTY_PASSWORD=yes\nREDIS_PORT_NUMBER='6380'\nREDIS_AOF_ENABLED=no # off\n".into())
    };
    let plan = load_with_files(yaml, "p", &addr, &read).unwrap();
    let m = &plan.services[0];
    assert_eq!(m.port, 7000);
    assert!(has_line(&m.config, "appendonly no"));
    assert!(m.refusal.is_none());
    let e = load(yaml, "p", &addr).unwrap_err().0;
    assert_eq!(
        e,
        "service \"m\": env_file \"m.env\": m.env: this host reads no files"
    );
}

#[test]
fn port_shapes() {
    let s = one(concat!(
        "    ports:\n",
        "      - \"26379:26379\"\n",
        "      - 127.0.0.1:6380:6379\n",
        "      - \"6379\"\n",
        "      - 6381\n",
        "      - 7000:7001/tcp\n",
        "      - \"[::1]:7002:7003\"\n",
        "      - 127.0.0.2::7004\n",
        "      - target: 6379\n        published: \"7005\"\n        host_ip: 0.0.0.0\n        protocol: tcp\n        mode: host\n",
        "      - target: 6379\n",
    ));
    let want = [
        ("", 26379, 26379),
        ("127.0.0.1", 6380, 6379),
        ("", 0, 6379),
        ("", 0, 6381),
        ("", 7000, 7001),
        ("::1", 7002, 7003),
        ("127.0.0.2", 0, 7004),
        ("0.0.0.0", 7005, 6379),
        ("", 0, 6379),
    ];
    let want: Vec<(String, u16, u16)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), *b, *c))
        .collect();
    assert_eq!(s.ports, want);
}

#[test]
fn volume_depends_command_network_shapes() {
    let s = one(concat!(
        "    volumes:\n",
        "      - data:/data\n",
        "      - ./conf:/etc/redis:ro\n",
        "      - /abs:/abs:rw,z\n",
        "      - type: volume\n        source: data\n        target: /v\n        read_only: true\n",
        "      - type: bind\n        source: conf\n        target: /b\n",
        "    depends_on:\n      a:\n        condition: service_healthy\n      b:\n",
        "    command: redis-server --save '' --requirepass \"p w\" a\\ b\n",
        "    networks:\n      back:\n        aliases: [cache, db]\n      front:\n",
        "    container_name: c1\n    hostname: h1\n",
        "    restart: always\n    labels: {a: b}\n    logging: {driver: none}\n",
        "    healthcheck: {test: [CMD, redis-cli, ping]}\n    x-note: anything\n",
    ));
    let want: Vec<(String, String, bool)> = [
        ("data", "/data", false),
        ("./conf", "/etc/redis", true),
        ("/abs", "/abs", false),
        ("data", "/v", true),
        ("./conf", "/b", false),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
    .collect();
    assert_eq!(s.volumes, want);
    assert_eq!(s.depends_on, ["a", "b"]);
    assert_eq!(
        s.command.as_deref().unwrap(),
        ["redis-server", "--save", "", "--requirepass", "p w", "a b"]
    );
    assert_eq!(s.networks, ["back", "front"]);
    assert_eq!(s.aliases, ["cache", "db"]);
    assert_eq!(
        (s.container_name.as_deref(), s.hostname.as_deref()),
        (Some("c1"), Some("h1"))
    );
    let list =
        one("    command: [redis-server, --port, 7000]\n    depends_on: [x]\n    networks: [n]\n");
    assert_eq!(list.command.unwrap(), ["redis-server", "--port", "7000"]);
    assert_eq!(list.networks, ["n"]);
}

#[test]
fn names_and_addresses() {
    let yaml = concat!(
        "name: shop\n",
        "services:\n",
        "  a:\n    image: redis\n    container_name: alpha\n    hostname: first\n    networks:\n      n:\n        aliases: [cache]\n",
        "  b:\n    image: docker.io/library/redis:7.0.15@sha256:00\n    command: --port 7000\n",
        "networks:\n  n:\n    driver: bridge\n",
    );
    let plan = load(yaml, "dir", &|i| format!("10.0.0.{}", i + 2)).unwrap();
    assert_eq!(plan.project, "shop");
    let a = &plan.services[0];
    assert_eq!(a.names, ["a", "alpha", "first", "cache"]);
    assert_eq!(a.ip, "10.0.0.2");
    assert_eq!(plan.by_name("cache").unwrap().service, "a");
    let b = &plan.services[1];
    assert_eq!(
        (b.container_name.as_str(), b.ip.as_str(), b.port),
        ("shop-b-1", "10.0.0.3", 7000)
    );
}

#[test]
fn bitnami_refuses_without_password() {
    let yaml = "services:\n  r:\n    image: bitnami/redis:6.0\n    environment:\n      REDIS_REPLICATION_MODE: replica\n      REDIS_MASTER_HOST: m\n";
    let plan = load_ok(yaml);
    let r = &plan.services[0];
    assert_eq!(
        r.banner.last().unwrap(),
        "redis {time} INFO  ==> ** Starting Redis setup **"
    );
    let refusal = r.refusal_at(0).unwrap();
    assert_eq!(
        refusal,
        [
            "redis 00:00:00.00 ERROR ==> The REDIS_PASSWORD environment variable is empty or not set. Set the environment variable ALLOW_EMPTY_PASSWORD=yes to allow the container to be started with blank passwords. This is recommended only for development.",
            "redis 00:00:00.00 ERROR ==> The REDIS_MASTER_PASSWORD environment variable is empty or not set. Set the environment variable ALLOW_EMPTY_PASSWORD=yes to allow the container to be started with blank passwords. This is recommended only for development.",
        ]
    );
    let bad_mode = load_ok("services:\n  r:\n    image: bitnami/redis\n    environment: [ALLOW_EMPTY_PASSWORD=yes, REDIS_REPLICATION_MODE=boss]\n");
    let lines = bad_mode.services[0].refusal.clone().unwrap();
    assert!(
        lines[0].contains("WARN  ==> You set the environment variable ALLOW_EMPTY_PASSWORD=yes.")
    );
    assert_eq!(
        lines[1],
        "redis {time} ERROR ==> Invalid replication mode. Available options are 'master/replica'"
    );
    let sentinel = load_ok("services:\n  s:\n    image: bitnami/redis-sentinel\n    environment: [REDIS_SENTINEL_QUORUM=0]\n");
    assert_eq!(
        sentinel.services[0].refusal.as_deref().unwrap(),
        ["redis-sentinel {time} ERROR ==> Invalid quorum value (only positive integers allowed)"]
    );
}

#[test]
fn sentinel_variables() {
    let yaml = concat!(
        "services:\n  s:\n    image: bitnami/redis-sentinel:6.2\n    environment:\n",
        "      REDIS_MASTER_SET: shop\n      REDIS_MASTER_HOST: m\n      REDIS_MASTER_PORT_NUMBER: 6390\n",
        "      REDIS_SENTINEL_QUORUM: 3\n      REDIS_SENTINEL_FAILOVER_TIMEOUT: 10000\n",
        "      REDIS_MASTER_USER: app\n      REDIS_MASTER_PASSWORD: \"p w\"\n",
        "      REDIS_SENTINEL_PORT_NUMBER: 26400\n      REDIS_SENTINEL_RESOLVE_HOSTNAMES: no\n",
        "      REDIS_SENTINEL_ANNOUNCE_HOSTNAMES: yes\n      REDIS_SENTINEL_ANNOUNCE_IP: 127.0.0.1\n      REDIS_SENTINEL_ANNOUNCE_PORT: 26379\n",
    );
    let s = &load_ok(yaml).services[0];
    assert_eq!(s.port, 26400);
    for l in [
        "port 26400",
        "sentinel monitor shop m 6390 3",
        "sentinel down-after-milliseconds shop 60000",
        "sentinel failover-timeout shop 10000",
        "sentinel auth-pass shop \"p w\"",
        "sentinel auth-user shop app",
        "sentinel resolve-hostnames no",
        "sentinel announce-hostnames yes",
        "sentinel announce-ip 127.0.0.1",
        "sentinel announce-port 26379",
    ] {
        assert!(has_line(&s.config, l), "{l} in\n{}", s.config);
    }
    assert!(!s.config.contains("master-reboot"));
}

#[test]
fn bitnami_server_variables() {
    let yaml = concat!(
        "services:\n  r:\n    image: bitnami/redis:6.2\n",
        "    command: /opt/bitnami/scripts/redis/run.sh --maxmemory 100mb\n",
        "    environment:\n      REDIS_PASSWORD: pw\n      REDIS_PORT_NUMBER: 6400\n      REDIS_AOF_ENABLED: no\n",
        "      REDIS_REPLICATION_MODE: slave\n      REDIS_MASTER_HOST: m\n      REDIS_MASTER_PORT_NUMBER: 6500\n",
        "      REDIS_MASTER_PASSWORD: mpw\n      REDIS_REPLICA_IP: 1.2.3.4\n      REDIS_REPLICA_PORT: 7000\n",
        "      REDIS_EXTRA_FLAGS: --loglevel verbose\n",
    );
    let r = &load_ok(yaml).services[0];
    assert_eq!(r.port, 6400);
    for l in [
        "port 6400",
        "appendonly no",
        "requirepass pw",
        "masterauth mpw",
        "replicaof m 6500",
        "replica-announce-ip 1.2.3.4",
        "replica-announce-port 7000",
        "loglevel \"verbose\"",
        "maxmemory \"100mb\"",
    ] {
        assert!(has_line(&r.config, l), "{l} in\n{}", r.config);
    }
    assert!(!has_line(&r.config, "protected-mode no"));
    assert_eq!(r.wait_for, Some(("m".into(), 6500)));
}

#[test]
fn error_messages() {
    let cases: &[(&str, &str)] = &[
        ("", "the Compose file is empty"),
        ("- a\n", "line 1 column 1: the top level must be a map (services:, volumes:, ...), not a list"),
        ("volumes: {}\n", "the Compose file has no services"),
        ("services:\n  a:\n    image: redis\n    build: .\n", "service \"a\": unsupported field \"build\" (line 4 column 12)"),
        ("services:\n  a:\n    build: .\n", "service \"a\": unsupported field \"build\" (line 3 column 12)"),
        ("services:\n  a:\n    environment: {}\n", "service \"a\": no image (building images is not supported; name one with image:)"),
        ("configs: {}\nservices: {}\n", "unsupported top-level field \"configs\" (line 1 column 10)"),
        ("services:\n  a:\n    image: mysql:8\n", "service \"a\": unknown image \"mysql:8\" (known: bitnami/redis, bitnami/redis-sentinel, redis, redis/redis-stack-server)"),
        ("services:\n  a:\n    image: redis\n    volumes: [data:/data]\n", "service \"a\" refers to undefined volume data: invalid compose project"),
        ("services:\n  a:\n    image: redis\n    depends_on: [b]\n", "service \"a\" depends on undefined service \"b\": invalid compose project"),
        ("services:\n  a:\n    image: redis\n    depends_on: [b]\n  b:\n    image: redis\n    depends_on: [a]\n", "dependency cycle detected: a -> b -> a"),
        ("services:\n  a:\n    image: redis\n    networks: [back]\n", "service \"a\" refers to undefined network back: invalid compose project"),
        ("services:\n  a:\n    image: redis\n    ports: [\"70000:6379\"]\n", "service \"a\": ports: invalid port \"70000\" (1 to 65535) (line 4 column 13)"),
        ("services:\n  a:\n    image: redis\n    ports: [\"0:6379\"]\n", "service \"a\": ports: invalid port \"0\" (1 to 65535) (line 4 column 13)"),
        ("services:\n  a:\n    image: redis\n    ports: [\"6379-6380:6379-6380\"]\n", "service \"a\": ports: port ranges (\"6379-6380\") are not supported (line 4 column 13)"),
        ("services:\n  a:\n    image: redis\n    ports: [\"6379/udp\"]\n", "service \"a\": ports: protocol \"udp\" is not supported (Redis speaks tcp) (line 4 column 13)"),
        ("services:\n  a:\n    image: redis\n    volumes: [/data]\n", "service \"a\": volumes: anonymous volumes (\"/data\" without a source) are not supported; name the volume (line 4 column 15)"),
        ("services:\n  a:\n    image: redis\n    environment: [A=$HOME]\n", "service \"a\": environment: variable \"HOME\" is not set: there is no shell environment or .env file here (write the value, give a default with ${HOME:-value}, or write $$ for a $) (line 4 column 19)"),
        ("services:\n  a:\n    image: redis\n    command: \"redis-server 'x\"\n", "service \"a\": command: unclosed single quote in \"redis-server 'x\" (line 4 column 14)"),
        ("services:\n  a:\n    image: redis\n    command: sh -c 'redis-server'\n", "service \"a\": command \"sh -c redis-server\": only redis-server and redis-sentinel are run here, not \"sh\""),
        ("services:\n  a:\n    image: redis\n    command: redis-sentinel\n", "service \"a\": a sentinel needs a config file on disk to save its state, as Redis requires (redis-sentinel /path/sentinel.conf, with the file mounted)"),
        ("services:\n  a:\n    image: redis\n    ports: [\"26379:26379\"]\n  b:\n    image: redis\n    ports: [\"26379:26379\"]\n", "service \"b\": 127.0.0.1:26379 is already published by service \"a\""),
        ("services:\n  a:\n    image: redis\n  b:\n    image: redis\n    hostname: a\n", "services \"a\" and \"b\" both answer to the name \"a\""),
        ("services:\n  a:\n    image: redis\n    image: redis\n", "line 4 column 5: key \"image\" appears twice in the same map"),
        ("services:\n  ? [a]\n  : {image: redis}\n", "line 2 column 5: a key must be a single value, not a list"),
        ("services:\n  a: {image: redis\n", "line 3 column 1: while parsing a flow mapping, did not find expected ',' or '}'"),
        ("a: b\n---\nc: d\n", "line 2 column 1: a Compose file holds one YAML document (found a second `---`)"),
        ("services:\n  a:\n    image: bitnami/redis\n    environment: [REDIS_PORT_NUMBER=99999, ALLOW_EMPTY_PASSWORD=yes]\n", "service \"a\": REDIS_PORT_NUMBER=\"99999\" is not a port number (1 to 65535)"),
        ("services:\n  a:\n    image: bitnami/redis\n    environment: [REDIS_TLS_ENABLED=yes]\n", "service \"a\": REDIS_TLS_ENABLED is not supported (no TLS here)"),
        ("services:\n  a:\n    image: redis\n    networks:\n      default:\n        ipv4_address: 10.0.0.9\n", "service \"a\": networks: unsupported field \"ipv4_address\" (line 6 column 23)"),
        ("services:\n  bad name:\n    image: redis\n", "service \"bad name\": a service name uses letters, digits, '.', '_' and '-' and starts with a letter or digit"),
    ];
    for (yaml, want) in cases {
        assert_eq!(err(yaml), *want, "for\n{yaml}");
    }
}

#[test]
fn merge_keys_and_anchors() {
    let yaml = concat!(
        "x-base: &base\n  image: bitnami/redis:6.0\n  environment: &env\n    ALLOW_EMPTY_PASSWORD: \"yes\"\n",
        "services:\n  a:\n    <<: *base\n  b:\n    <<: *base\n    image: redis:7.0\n",
    );
    let plan = load_ok(yaml);
    assert_eq!(plan.services[0].image, "bitnami/redis:6.0");
    assert_eq!(plan.services[1].image, "redis:7.0");
}

#[test]
fn hostile_input_is_an_error_not_a_panic() {
    let deep_flow = format!("services: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(
        err(&deep_flow).contains("nested deeper than 64 levels")
            || err(&deep_flow).contains("recursion limit")
    );
    let mut deep_block = String::from("services:\n");
    for i in 0..2000 {
        deep_block.push_str(&" ".repeat(i + 2));
        deep_block.push_str("- \n");
    }
    let _ = load(&deep_block, "p", &addr).unwrap_err();
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = (b'a' + i - 1) as char;
        let cur = (b'a' + i) as char;
        laughs.push_str(&format!("{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    assert!(err(&laughs).contains("aliases expand to more than"));
    for bad in [
        "services:\n  a:\n    image: redis\n    ports: [99999999999999999999999999]\n",
        "services:\n  a:\n    image: redis\n    ports: [-1]\n",
        "services:\n  a:\n    image: redis\n    ports: [\"a:b:c:d\"]\n",
        "services:\n  a:\n    image: redis\n    ports: [{published: 1}]\n",
        "services:\n  1: {image: redis}\n  ? {a: 1}\n  : {}\n",
        "services:\n  a:\n    image: [redis]\n",
        "services:\n  a:\n    image: redis\n    environment: 5\n",
        "services:\n  a:\n    image: redis\n    command: {a: b}\n",
        "services:\n  a:\n    image: redis\n    volumes: [\"a:b:c:d\"]\n",
        "services:\n  a:\n    image: redis\n    volumes: [{type: tmpfs, target: /t}]\n",
        "services:\n  a: *nope\n",
        "services: \"\\xZZ\"\n",
        "\t\0\u{feff}services",
    ] {
        let _ = load(bad, "p", &addr).expect_err(bad);
    }
    // bitnami checks a quorum is digits, not its size: the sentinel's own config check decides.
    let huge = load_ok("services:\n  a:\n    image: bitnami/redis-sentinel\n    environment: [REDIS_SENTINEL_QUORUM=99999999999999999999999]\n");
    assert!(has_line(
        &huge.services[0].config,
        "sentinel monitor mymaster redis 6379 99999999999999999999999"
    ));
    // Random bytes from a fixed generator: only errors or plans, never a panic.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let alphabet = b"services:image: redis\n  -[]{}&*!|>'\"#%@`,?:$\\0123456789 ";
    for _ in 0..2000 {
        let mut s = String::from("services:\n  a:\n    image: redis\n");
        for _ in 0..40 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(alphabet[(x % alphabet.len() as u64) as usize] as char);
        }
        let _ = load(&s, "p", &addr);
    }
}

#[test]
fn shell_words_and_env_files() {
    assert_eq!(
        text::split_words("a  'b c' \"d \\\"e\\\" $f\" g\\ h ''").unwrap(),
        ["a", "b c", "d \"e\" $f", "g h", ""]
    );
    assert!(text::split_words("\"open").is_err());
    assert!(text::split_words("end\\").is_err());
    assert_eq!(
        text::parse_env_file("A=1\n\n# c\nB=\"x\\ny\"\nC\nD= spaced value # note\n").unwrap(),
        [
            ("A".to_string(), "1".to_string()),
            ("B".into(), "x\ny".into()),
            ("D".into(), "spaced value".into())
        ]
    );
    assert!(text::parse_env_file("A='open\n").is_err());
}

/// Every config an example file plans is one our server or sentinel loads
/// (names resolved first where the image resolves them).
#[test]
fn example_configs_load_in_our_nodes() {
    let files = [
        ("docker-compose.yml", tutorial_yaml()),
        (
            "docker-compose.passwords.yml",
            include_str!("../../examples/docker-compose.passwords.yml"),
        ),
        (
            "docker-compose.official.yml",
            include_str!("../../examples/docker-compose.official.yml"),
        ),
    ];
    for (name, yaml) in files {
        let plan = load_ok(yaml);
        for s in &plan.services {
            let mut text = match &s.config_file {
                Some(f) => {
                    let source = s
                        .config_file_source()
                        .unwrap_or_else(|| panic!("{name}: no mount for {}", f.path));
                    let path = format!("examples/{}", source.trim_start_matches("./"));
                    let file = std::fs::read_to_string(&path)
                        .unwrap_or_else(|e| panic!("{name}: {path}: {e}"));
                    images::with_file(f, &file, &s.config)
                }
                None => s.config.clone(),
            };
            for other in &plan.services {
                for n in &other.names {
                    text = text.replace(&format!(" {n} "), &format!(" {} ", other.ip));
                }
            }
            let kind = match s.kind {
                NodeKind::Server => "server",
                NodeKind::Sentinel => "sentinel",
            };
            if let Err(e) = crate::sim::factory::check_config(kind, &text) {
                panic!("{name}: service {}: {e}\n{text}", s.service);
            }
        }
    }
}
