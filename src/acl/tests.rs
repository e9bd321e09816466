use super::selector::{Denial, READ, WRITE};
use super::*;
use crate::commands::testkit::{bulk, err, Kit};
use crate::server::command_table;

fn acl() -> Acl {
    Acl::new(command_table())
}

fn b(args: &[&str]) -> Vec<Bytes> {
    args.iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect()
}

fn set(a: &mut Acl, name: &str, rules: &[&str]) -> Result<(), String> {
    a.set_user(name, &b(rules), false).map(|_| ())
}

fn commands(a: &Acl, name: &str) -> String {
    a.users[name].root().describe_commands(&a.index)
}

fn check(a: &Acl, user: &str, argv: &[&str]) -> Result<(), Denial> {
    let argv = b(argv);
    let cmd = command_table().get(&argv[0]).expect("command");
    a.check(user, cmd, &argv)
}

#[test]
fn default_user_and_new_users() {
    let a = acl();
    assert_eq!(a.default_user().describe(&a.index), "on nopass ~* &* +@all");
    assert!(!a.default_requires_auth());
    let mut a = acl();
    set(&mut a, "u", &[]).unwrap();
    assert_eq!(a.users["u"].describe(&a.index), "off resetchannels -@all");
    assert_eq!(check(&a, "u", &["get", "k"]), Err(Denial::Command));
}

#[test]
fn each_category_describes_as_itself() {
    // ACL GETUSER's regression: one category gives back just that category.
    for cat in categories::NAMES {
        let mut a = acl();
        set(&mut a, "x", &["reset", "+@all", &format!("-@{cat}")]).unwrap();
        assert_eq!(commands(&a, "x"), format!("+@all -@{cat}"));
        set(&mut a, "y", &["reset", "-@all", &format!("+@{cat}")]).unwrap();
        assert_eq!(commands(&a, "y"), format!("-@all +@{cat}"));
    }
}

#[test]
fn subcommands_and_first_args() {
    let mut a = acl();
    set(&mut a, "u", &["+memory|doctor"]).unwrap();
    assert_eq!(commands(&a, "u"), "-@all +memory|doctor");
    set(&mut a, "u", &["+memory"]).unwrap();
    assert_eq!(commands(&a, "u"), "-@all +memory");
    set(&mut a, "u", &["+@all", "+client|id"]).unwrap();
    assert_eq!(commands(&a, "u"), "+@all");
    set(&mut a, "v", &["+@all", "-client|kill"]).unwrap();
    assert_eq!(commands(&a, "v"), "+@all -client|kill");
    assert_eq!(
        check(&a, "v", &["client", "kill", "x"]),
        Err(Denial::Command)
    );
    assert_eq!(check(&a, "v", &["client", "id"]), Ok(()));
    set(&mut a, "w", &["-@all", "+select|0", "+acl"]).unwrap();
    assert_eq!(commands(&a, "w"), "-@all +acl +select|0");
    assert_eq!(check(&a, "w", &["select", "0"]), Ok(()));
    assert_eq!(check(&a, "w", &["select", "1"]), Err(Denial::Command));
    // AUTH and HELLO run whatever the rules say.
    assert_eq!(check(&a, "w", &["auth", "a", "b"]), Ok(()));
}

#[test]
fn rule_errors() {
    let mut a = acl();
    let e = |a: &mut Acl, r: &[&str]| set(a, "g", r).unwrap_err();
    assert_eq!(
        e(&mut a, &["+nosuch"]),
        "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
    );
    assert_eq!(
        e(&mut a, &["+config|get|x"]),
        "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"
    );
    assert!(e(&mut a, &["~*", "~x"]).contains("'allkeys' flag"));
    assert!(e(&mut a, &["&*", "&x"]).contains("'allchannels' flag"));
    assert!(e(&mut a, &["#abc"]).contains("exactly 64 characters"));
    assert!(e(&mut a, &["<nope"]).contains("does not exist"));
    assert!(e(&mut a, &["(bad)"]).ends_with("Syntax error"));
    assert!(e(&mut a, &["%~a"]).ends_with("Syntax error"));
    assert!(e(&mut a, &["%RR~a"]).ends_with("Syntax error"));
    assert_eq!(
        e(&mut a, &["(~a", "+get"]),
        "Unmatched parenthesis in acl selector starting at '(~a'."
    );
    // Nothing applied: the user was not created.
    assert!(!a.users.contains_key("g"));
}

#[test]
fn passwords_are_sha256() {
    let mut a = acl();
    set(&mut a, "u", &["on", ">password"]).unwrap();
    assert_eq!(
        a.users["u"].passwords,
        vec!["5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"]
    );
    assert!(a.credentials_ok(b"u", b"password"));
    assert!(!a.credentials_ok(b"u", b"other"));
    set(&mut a, "u", &["off"]).unwrap();
    assert!(!a.credentials_ok(b"u", b"password"));
    set(&mut a, "u", &["on", "nopass"]).unwrap();
    assert!(a.credentials_ok(b"u", b"anything"));
    a.sync_requirepass("secret");
    assert!(a.default_requires_auth());
    assert!(a.credentials_ok(b"default", b"secret"));
    a.sync_requirepass("");
    assert!(!a.default_requires_auth());
}

#[test]
fn read_write_key_patterns() {
    let mut a = acl();
    set(&mut a, "u", &["on", "+@all", "%R~r*", "%W~w*", "%RW~rw*"]).unwrap();
    assert_eq!(a.users["u"].root().describe_keys(), "%R~r* %W~w* ~rw*");
    assert_eq!(check(&a, "u", &["get", "r1"]), Ok(()));
    assert_eq!(check(&a, "u", &["set", "r1", "v"]), Err(Denial::Key(1)));
    assert_eq!(check(&a, "u", &["set", "w1", "v"]), Ok(()));
    assert_eq!(
        check(&a, "u", &["set", "w1", "v", "get"]),
        Err(Denial::Key(1))
    );
    assert_eq!(check(&a, "u", &["copy", "r1", "w1"]), Ok(()));
    assert_eq!(check(&a, "u", &["copy", "w1", "r1"]), Err(Denial::Key(1)));
    // Existence tests need a pattern, not a permission.
    assert_eq!(check(&a, "u", &["exists", "w1"]), Ok(()));
    assert_eq!(check(&a, "u", &["exists", "x"]), Err(Denial::Key(1)));
    let u = &a.users["u"].selectors[0];
    assert!(u.key_allowed(b"rw1", READ | WRITE));
    assert!(!u.key_allowed(b"r1", WRITE));
}

#[test]
fn selectors_report_the_most_relevant_denial() {
    let mut a = acl();
    set(
        &mut a,
        "s",
        &["on", "+mget", "~key", "(+mget ~key ~otherkey)"],
    )
    .unwrap();
    assert_eq!(check(&a, "s", &["get", "key"]), Err(Denial::Command));
    assert_eq!(
        check(&a, "s", &["mget", "otherkey", "someotherkey"]),
        Err(Denial::Key(2))
    );
    assert_eq!(check(&a, "s", &["mget", "key", "otherkey"]), Ok(()));
}

#[test]
fn channels() {
    let mut a = acl();
    set(&mut a, "c", &["on", "+@all", "resetchannels", "&foo*"]).unwrap();
    assert_eq!(check(&a, "c", &["publish", "foo1", "m"]), Ok(()));
    assert_eq!(
        check(&a, "c", &["publish", "bar", "m"]),
        Err(Denial::Channel(1))
    );
    // A pattern subscription must be one of the patterns, literally.
    assert_eq!(check(&a, "c", &["psubscribe", "foo*"]), Ok(()));
    assert_eq!(
        check(&a, "c", &["psubscribe", "foo1*"]),
        Err(Denial::Channel(1))
    );
    assert_eq!(check(&a, "c", &["unsubscribe", "bar"]), Ok(()));
}

#[test]
fn acl_file_round_trip() {
    let mut a = acl();
    set(&mut a, "x", &["on", ">pw", "~k*", "+get", "(+set ~w*)"]).unwrap();
    let text = file::render(&a);
    let users = file::parse(&a, "users.acl", &text, false).unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(
        users["x"].describe(&a.index),
        a.users["x"].describe(&a.index)
    );
    let e = file::parse(&a, "users.acl", "user a on\nuser a off\nbad line\n", false).unwrap_err();
    assert_eq!(e, "WARNING: Duplicate user 'a' found on line 2. users.acl:3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
}

#[test]
fn log_groups_similar_entries() {
    let mut log = log::AclLog::default();
    let entry = |object: &str, time| log::Entry {
        count: 1,
        reason: log::Reason::Command,
        context: log::Context::Toplevel,
        object: object.into(),
        username: "u".into(),
        time,
        client_info: String::new(),
    };
    log.add(entry("get", 0), 3);
    log.add(entry("get", 1000), 3);
    assert_eq!(log.entries.len(), 1);
    assert_eq!(log.entries[0].count, 2);
    log.add(entry("get", 120_000), 3);
    assert_eq!(log.entries.len(), 2);
    for (i, o) in ["a", "b", "c"].iter().enumerate() {
        log.add(entry(o, i as u64), 3);
    }
    assert_eq!(log.entries.len(), 3);
    assert_eq!(log.entries[0].object, "c");
}

#[test]
fn server_refuses_and_logs() {
    let mut k = Kit::new();
    k.connect(1);
    k.connect(2);
    assert_eq!(k.cmd(1, "ACL SETUSER u on >p ~k* +@all -ping"), "+OK\r\n");
    assert_eq!(
        k.cmd(2, "AUTH u nope"),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(k.cmd(2, "AUTH u p"), "+OK\r\n");
    assert_eq!(k.cmd(2, "ACL WHOAMI"), bulk("u"));
    assert_eq!(
        k.cmd(2, "PING"),
        err("NOPERM this user has no permissions to run the 'ping' command")
    );
    assert_eq!(
        k.cmd(2, "GET x"),
        err("NOPERM this user has no permissions to access one of the keys used as arguments")
    );
    // In MULTI the rules are checked again at EXEC.
    assert_eq!(k.cmd(2, "MULTI"), "+OK\r\n");
    assert_eq!(k.cmd(2, "SET k1 v"), "+QUEUED\r\n");
    assert_eq!(k.cmd(1, "ACL SETUSER u -set"), "+OK\r\n");
    assert!(k
        .cmd(2, "EXEC")
        .contains("-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand"));
    let log = k.cmd(1, "ACL LOG");
    assert!(log.starts_with("*4\r\n"), "{log}");
    assert!(
        log.contains("$3\r\nset\r\n$7\r\ncontext\r\n") || log.contains("multi"),
        "{log}"
    );
    assert!(log.contains("$4\r\nauth\r\n"), "{log}");
    // DELUSER disconnects the user's clients.
    assert_eq!(k.cmd(1, "ACL DELUSER u"), ":1\r\n");
    assert_eq!(k.closed, vec![2]);
}

#[test]
fn genpass_draws_from_the_node_rng() {
    let mut k = Kit::seeded(Default::default(), 7);
    k.connect(1);
    let a = k.cmd(1, "ACL GENPASS");
    let mut k2 = Kit::seeded(Default::default(), 7);
    k2.connect(1);
    assert_eq!(a, k2.cmd(1, "ACL GENPASS"));
    assert!(a.starts_with("$64\r\n"));
    assert!(k.cmd(1, "ACL GENPASS 5").starts_with("$2\r\n"));
}

#[test]
fn user_directives() {
    let mut cfg = crate::server::Config::default();
    let line = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    cfg.set_by_name("user", &line("alice on >x +get ~k*"))
        .unwrap();
    assert_eq!(
        cfg.set_by_name("user", &line("alice off")).unwrap_err(),
        "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files"
    );
    assert_eq!(
        cfg.set_by_name("user", &line("bob ~* ~x")).unwrap_err(),
        "Error in user declaration 'bob': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
    );
    cfg.set_by_name("user", &line("default on nopass ~* +@all -flushdb"))
        .unwrap();
    let mut k = Kit::with_config(cfg);
    k.connect(1);
    // 7.0 resets a configured default user first, hence sanitize-payload.
    let lines = [
        "user alice on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~k* resetchannels -@all +get",
        "user default on nopass sanitize-payload ~* resetchannels +@all -flushdb",
    ];
    let want: String = std::iter::once("*2\r\n".to_string())
        .chain(lines.iter().map(|l| bulk(l)))
        .collect();
    assert_eq!(k.cmd(1, "ACL LIST"), want);
    assert_eq!(
        k.cmd(1, "FLUSHDB"),
        err("NOPERM this user has no permissions to run the 'flushdb' command")
    );
}

#[test]
fn simulated_node_reads_its_acl_file() {
    use crate::sim::{factory, Disk, NodeSpec};
    let spec = NodeSpec {
        name: "n".into(),
        kind: "server".into(),
        config: "aclfile users.acl\n".into(),
    };
    let mut disk = Disk::new();
    disk.insert(
        "users.acl".into(),
        b"user alice on nopass ~* +get\n".to_vec(),
    );
    let mut node = factory::server_node(&spec, &disk, 0, 1, &Default::default());
    let (reply, _) = crate::node::inspect(node.as_mut(), 0, &["ACL", "USERS"]);
    let users: Vec<String> = reply
        .expect("reply")
        .as_array()
        .expect("array")
        .iter()
        .map(|f| String::from_utf8_lossy(f.as_bytes().expect("bulk")).into_owned())
        .collect();
    assert_eq!(users, vec!["alice", "default"]);
}

#[test]
fn user_lines_win_over_requirepass() {
    let mut cfg = crate::server::Config::default();
    cfg.set_by_name("requirepass", &["pw".into()]).unwrap();
    cfg.set_by_name(
        "user",
        &["default", "on", "nopass", "~*", "+@all"].map(String::from),
    )
    .unwrap();
    let mut k = Kit::with_config(cfg);
    k.connect(1);
    assert_eq!(k.cmd(1, "PING"), "+PONG\r\n");
    // A later CONFIG SET requirepass is the default user's password again.
    assert_eq!(k.cmd(1, "CONFIG SET requirepass x"), "+OK\r\n");
    k.connect(2);
    assert_eq!(k.cmd(2, "PING"), err("NOAUTH Authentication required."));
}
