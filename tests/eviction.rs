//! `maxmemory` eviction on the native host: thousands of keys and a limit
//! well under what they take. Each policy must bring memory under the
//! limit without stalling the server, and pick its victims as 7.0 does.

mod common;

use common::*;
use redis::Connection;

/// Our server in a directory of its own (no dump.rdb of another run loads).
fn start(tag: &str) -> Proc {
    let dir = tmpdir(tag);
    start_ours(&["--dir", dir.to_str().expect("utf-8 path"), "--save", ""])
}

fn conn(p: &Proc) -> Connection {
    redis::Client::open(p.url())
        .expect("client")
        .get_connection()
        .expect("connection")
}

fn info_u64(c: &mut Connection, field: &str) -> u64 {
    let info: String = redis::cmd("INFO").query(c).expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .trim()
        .parse()
        .expect("number")
}

fn config_set(c: &mut Connection, name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(c)
        .expect("config set");
}

/// `n` string keys `prefix:i` of 100 bytes, with a TTL of `ttl(i)` seconds if any.
fn load(c: &mut Connection, prefix: &str, n: usize, ttl: impl Fn(usize) -> Option<u64>) {
    let value = "x".repeat(100);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut p = redis::pipe();
        for &i in chunk {
            let k = format!("{prefix}:{i}");
            match ttl(i) {
                Some(t) => p.cmd("SET").arg(&k).arg(&value).arg("EX").arg(t).ignore(),
                None => p.cmd("SET").arg(&k).arg(&value).ignore(),
            };
        }
        let _: () = p.query(c).expect("load");
    }
}

fn exists(c: &mut Connection, keys: &[String]) -> Vec<bool> {
    let mut p = redis::pipe();
    for k in keys {
        p.cmd("EXISTS").arg(k);
    }
    let v: Vec<i64> = p.query(c).expect("exists");
    v.into_iter().map(|x| x == 1).collect()
}

/// Write until eviction has brought memory back under the limit.
fn settle_under_limit(c: &mut Connection, limit: u64) {
    for i in 0..50 {
        let _: () = redis::cmd("SET")
            .arg(format!("trigger:{i}"))
            .arg("y")
            .query(c)
            .expect("write under eviction");
    }
    assert!(
        wait_until(30, || info_u64(c, "used_memory") <= limit),
        "memory stayed over the limit: {} > {limit}",
        info_u64(c, "used_memory")
    );
}

#[test]
fn allkeys_lru_keeps_the_recently_read_keys() {
    let srv = start("eviction-lru");
    let mut c = conn(&srv);
    let n = 20_000;
    load(&mut c, "k", n, |_| None);
    // The LRU clock counts seconds: let the keys age before reading some.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let hot: Vec<String> = (0..1000).map(|i| format!("k:{i}")).collect();
    let mut p = redis::pipe();
    for k in &hot {
        p.cmd("GET").arg(k).ignore();
    }
    let _: () = p.query(&mut c).expect("reads");
    let used = info_u64(&mut c, "used_memory");
    let startup = info_u64(&mut c, "used_memory_startup");
    // Room for about half of the keys.
    let limit = startup + (used - startup) / 2;
    config_set(&mut c, "maxmemory-policy", "allkeys-lru");
    config_set(&mut c, "maxmemory", &limit.to_string());
    settle_under_limit(&mut c, limit);
    let evicted = info_u64(&mut c, "evicted_keys");
    let size: u64 = redis::cmd("DBSIZE").query(&mut c).expect("dbsize");
    assert!(
        evicted > 5000 && size < n as u64,
        "evicted {evicted}, dbsize {size}"
    );
    let kept = exists(&mut c, &hot).into_iter().filter(|&e| e).count();
    // The sampled LRU keeps (nearly) all of the recently read keys.
    assert!(kept >= 950, "only {kept} of 1000 recently read keys kept");
    // OBJECT IDLETIME tells the aged keys from the read ones.
    let idle_hot: i64 = redis::cmd("OBJECT")
        .arg("IDLETIME")
        .arg("k:1")
        .query(&mut c)
        .expect("idletime");
    assert!(idle_hot <= 1, "idle {idle_hot}");
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first_and_spares_persistent_keys() {
    let srv = start("eviction-ttl");
    let mut c = conn(&srv);
    let n = 10_000;
    load(&mut c, "v", n, |i| Some(1000 + i as u64));
    load(&mut c, "p", 2000, |_| None);
    let used = info_u64(&mut c, "used_memory");
    let startup = info_u64(&mut c, "used_memory_startup");
    let limit = startup + (used - startup) * 2 / 3;
    config_set(&mut c, "maxmemory-policy", "volatile-ttl");
    config_set(&mut c, "maxmemory", &limit.to_string());
    settle_under_limit(&mut c, limit);
    let persistent: Vec<String> = (0..2000).map(|i| format!("p:{i}")).collect();
    assert!(exists(&mut c, &persistent).into_iter().all(|e| e));
    let soonest: Vec<String> = (0..1000).map(|i| format!("v:{i}")).collect();
    let latest: Vec<String> = (n - 1000..n).map(|i| format!("v:{i}")).collect();
    let kept_soonest = exists(&mut c, &soonest).into_iter().filter(|&e| e).count();
    let kept_latest = exists(&mut c, &latest).into_iter().filter(|&e| e).count();
    assert!(
        kept_soonest < 100 && kept_latest > 900,
        "kept {kept_soonest} of the soonest to expire, {kept_latest} of the latest"
    );
}

#[test]
fn noeviction_refuses_writes_with_7_0s_error_and_serves_reads() {
    let srv = start("eviction-noeviction");
    let mut c = conn(&srv);
    load(&mut c, "k", 5000, |_| None);
    config_set(&mut c, "maxmemory", "1");
    let err = redis::cmd("SET")
        .arg("new")
        .arg("v")
        .query::<()>(&mut c)
        .expect_err("OOM");
    assert_eq!(
        (err.code(), err.detail()),
        (
            Some("OOM"),
            Some("command not allowed when used memory > 'maxmemory'.")
        )
    );
    let v: Option<String> = redis::cmd("GET").arg("k:1").query(&mut c).expect("get");
    assert_eq!(v.map(|s| s.len()), Some(100));
    assert_eq!(info_u64(&mut c, "evicted_keys"), 0);
    assert!(info_u64(&mut c, "current_eviction_exceeded_time") < 60_000);
}

/// A limit far under a large dataset: every key goes without the server
/// stalling, rounds bounded by the tenacity and resumed between commands.
#[test]
fn evicting_everything_does_not_stall_the_server() {
    let srv = start("eviction-everything");
    let mut c = conn(&srv);
    load(&mut c, "k", 100_000, |_| None);
    config_set(&mut c, "maxmemory-policy", "allkeys-random");
    config_set(&mut c, "maxmemory", "1");
    // Commands keep being served while the rounds go on.
    let pong: String = redis::cmd("PING").query(&mut c).expect("ping");
    assert_eq!(pong, "PONG");
    assert!(
        wait_until(60, || {
            let n: u64 = redis::cmd("DBSIZE").query(&mut c).expect("dbsize");
            n == 0
        }),
        "keys left after a minute"
    );
    assert_eq!(info_u64(&mut c, "evicted_keys"), 100_000);
}
