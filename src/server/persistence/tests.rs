//! Persistence unit tests, driven through a `Server` without IO: save points,
//! SAVE / BGSAVE and loading back, BGSAVE in slices and its point-in-time
//! snapshot, a replica's full sync, FLUSHALL / SHUTDOWN during a save.

use super::*;
use crate::keyspace::Object;
use crate::node::{Addr, ConnId, Input, Node, Output};
use crate::server::config::Key;
use crate::server::Config;
use bytes::Bytes;

#[test]
fn save_points() {
    assert_eq!(
        parse_save_points("3600 1 300 100 60 10000"),
        vec![(3600, 1), (300, 100), (60, 10000)]
    );
    assert!(parse_save_points("").is_empty());
    let s = "3600 1 300 100 60 10000";
    assert_eq!(save_points_due(&parse_save_points(s), 0, 10_000, 0), None);
    assert_eq!(save_points_due(&parse_save_points(s), 1, 3600, 0), None);
    assert_eq!(
        save_points_due(&parse_save_points(s), 1, 3601, 0),
        Some((1, 3600))
    );
    assert_eq!(
        save_points_due(&parse_save_points(s), 100, 301, 0),
        Some((100, 300))
    );
    assert_eq!(
        save_points_due(&parse_save_points(s), 20000, 61, 0),
        Some((10000, 60))
    );
    assert_eq!(
        save_points_due(&parse_save_points(""), 20000, 100_000, 0),
        None
    );
}

fn drain(s: &mut Server) -> (Vec<u8>, Vec<Event>) {
    let mut bytes = Vec::new();
    let mut evs = Vec::new();
    while let Some(o) = s.poll_output() {
        match o {
            Output::Send { bytes: b, .. } => bytes.extend(b),
            Output::Event(e) => evs.push(e),
            _ => {}
        }
    }
    (bytes, evs)
}

fn cmd(s: &mut Server, now: u64, args: &[&str]) -> (String, Vec<Event>) {
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
    }
    s.handle(
        now,
        Input::Data {
            conn: ConnId(1),
            bytes: req.as_bytes(),
        },
    );
    let (b, e) = drain(s);
    (String::from_utf8_lossy(&b).into_owned(), e)
}

fn server(now: u64) -> Server {
    let mut s = Server::new(Config::default(), now, 1);
    s.handle(
        now,
        Input::Accepted {
            conn: ConnId(1),
            peer: Addr::new("127.0.0.1", 5000),
            local: Addr::new("127.0.0.1", 6379),
        },
    );
    drain(&mut s);
    s
}

fn persisted(evs: &[Event]) -> Vec<u8> {
    saved(evs).expect("a saved file")
}

/// The file these events save: a whole `Persist`, or the parts of a
/// streamed one put together (None while it is not finished).
fn saved(evs: &[Event]) -> Option<Vec<u8>> {
    let mut tmp: Option<Vec<u8>> = None;
    for e in evs {
        match e {
            Event::Persist { file, bytes } => {
                assert_eq!(file, "dump.rdb");
                return Some(bytes.clone());
            }
            Event::PersistPart { file, bytes, step } => {
                assert_eq!(file, "dump.rdb");
                match step {
                    PersistStep::Start => tmp = Some(bytes.clone()),
                    PersistStep::Append => tmp.as_mut().expect("started").extend(bytes),
                    PersistStep::Abort => tmp = None,
                    PersistStep::Finish => {
                        let mut f = tmp.take().expect("started");
                        f.extend(bytes);
                        return Some(f);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

fn logs(evs: &[Event]) -> Vec<String> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Log { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn put(s: &mut Server, db: usize, k: &str, v: Value) {
    s.st.dbs[db].set(
        Bytes::copy_from_slice(k.as_bytes()),
        crate::keyspace::Object::new(v),
    );
    s.st.dirty += 1;
}

fn str_val(v: &str) -> Value {
    Value::Str(Bytes::copy_from_slice(v.as_bytes()).into())
}

#[test]
fn save_then_load_in_a_new_server() {
    let t0 = 1_700_000_000_000;
    let mut s = server(t0);
    put(&mut s, 0, "a", str_val("1"));
    put(
        &mut s,
        0,
        "l",
        Value::List(vec![Bytes::from_static(b"x"), Bytes::from_static(b"y")].into()),
    );
    put(&mut s, 0, "gone", str_val("v"));
    s.st.dbs[0].set_expire(b"gone", t0 + 500);
    put(&mut s, 3, "s3", str_val("three"));
    assert!(s.st.dirty > 0);
    let (r, evs) = cmd(&mut s, t0 + 2000, &["save"]);
    assert_eq!(r, "+OK\r\n");
    assert_eq!(s.st.dirty, 0);
    assert_eq!(logs(&evs), vec!["DB saved on disk"]);
    let (r, _) = cmd(&mut s, t0 + 2000, &["lastsave"]);
    assert_eq!(r, format!(":{}\r\n", (t0 + 2000) / 1000));
    let bytes = persisted(&evs);

    let mut s2 = server(t0 + 5000);
    s2.load_rdb(&bytes).unwrap();
    let (_, evs) = drain(&mut s2);
    assert_eq!(
        logs(&evs),
        vec![
            "Loading RDB produced by version 7.0.15".to_string(),
            "RDB age 3 seconds".to_string(),
            format!(
                "RDB memory usage when created {:.2} Mb",
                rdb_used_mem(&s.st.dbs) as f64 / 1048576.0
            ),
            "Done loading RDB, keys loaded: 3, keys expired: 1.".to_string(),
            "DB loaded from disk: 0.000 seconds".to_string(),
        ]
    );
    assert_eq!(s2.st.dirty, 0);
    let now = s2.st.now;
    let db0 = &mut s2.st.dbs[0];
    assert!(matches!(&db0.get(b"a", now).unwrap().value, Value::Str(v) if &v[..] == b"1"));
    assert!(matches!(&db0.get(b"l", now).unwrap().value, Value::List(l) if l.len() == 2));
    assert!(db0.get(b"gone", now).is_none());
    assert!(s2.st.dbs[3].get(b"s3", now).is_some());
}

#[test]
fn bgsave_replies_and_logs() {
    let t0 = 1_700_000_000_000;
    let mut s = server(t0);
    put(&mut s, 0, "a", str_val("1"));
    let (r, mut evs) = cmd(&mut s, t0, &["bgsave"]);
    assert_eq!(r, "+Background saving started\r\n");
    // The first slice runs after the reply went out.
    assert_eq!(logs(&evs).len(), 1);
    s.handle(t0 + 1, Input::Tick);
    evs.extend(drain(&mut s).1);
    let l = logs(&evs);
    assert!(l[0].starts_with("Background saving started by pid "));
    assert_eq!(l[1], "DB saved on disk");
    assert_eq!(
        l.last().unwrap(),
        "Background saving terminated with success"
    );
    let bytes = persisted(&evs);
    assert_eq!(rdb::decode(&bytes).unwrap().total_keys(), 1);
    assert_eq!(
        cmd(&mut s, t0 + 1, &["bgsave", "schedule"]).0,
        "+Background saving started\r\n"
    );
    s.handle(t0 + 2, Input::Tick);
    assert_eq!(
        cmd(&mut s, t0, &["bgsave", "foo"]).0,
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        cmd(&mut s, t0, &["bgsave", "schedule", "x"]).0,
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        cmd(&mut s, t0, &["save", "x"]).0,
        "-ERR wrong number of arguments for 'save' command\r\n"
    );
    assert_eq!(
        cmd(&mut s, t0, &["lastsave", "x"]).0,
        "-ERR wrong number of arguments for 'lastsave' command\r\n"
    );
}

#[test]
fn bgsave_is_written_in_slices_while_clients_are_served() {
    let t0 = 1_700_000_000_000;
    let mut s = server(t0);
    for i in 0..60_000 {
        put(&mut s, 0, &format!("k{i}"), str_val("v"));
    }
    s.st.dirty = 60_000;
    let (r, mut all) = cmd(&mut s, t0, &["bgsave"]);
    assert_eq!(r, "+Background saving started\r\n");
    assert!(saved(&all).is_none());
    assert!(s.st.bgsave_job.is_some());
    // Served in the middle of the save; the write is not in the file.
    assert_eq!(cmd(&mut s, t0 + 1, &["set", "late", "x"]).0, "+OK\r\n");
    assert_eq!(
        cmd(&mut s, t0 + 1, &["bgsave"]).0,
        "-ERR Background save already in progress\r\n"
    );
    let mut file = None;
    for t in 2..1000 {
        s.handle(t0 + t, Input::Tick);
        all.extend(drain(&mut s).1);
        if let Some(f) = saved(&all) {
            file = Some(f);
            break;
        }
    }
    let file = file.expect("the save finishes");
    let loaded = rdb::decode(&file).unwrap();
    assert_eq!(loaded.total_keys(), 60_000);
    assert!(loaded.dbs[0].keys().get(&b"late"[..]).is_none());
    // The change made during the save still counts.
    assert_eq!(s.st.dirty, 1);
}

/// The parts of a streamed file in these events: (step, bytes).
fn parts(evs: &[Event]) -> Vec<(PersistStep, usize)> {
    evs.iter()
        .filter_map(|e| match e {
            Event::PersistPart { bytes, step, .. } => Some((*step, bytes.len())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_ping_during_a_big_bgsave_waits_for_no_slice() {
    let t0 = 1_700_000_000_000;
    let mut s = server(t0);
    let n = 200_000;
    for i in 0..n {
        put(
            &mut s,
            0,
            &format!("key:{i}"),
            str_val(&format!("value:{i}")),
        );
    }
    let (r, mut all) = cmd(&mut s, t0, &["bgsave"]);
    assert_eq!(r, "+Background saving started\r\n");
    // The reply's round runs no slice: only the header went to the host.
    assert_eq!(parts(&all), vec![(PersistStep::Start, parts(&all)[0].1)]);
    assert_eq!(s.st.bgsave_job.as_ref().unwrap().job.keys_written, 0);
    // While a save runs the node wants a tick at once.
    assert_eq!(s.poll_timeout(), Some(t0));
    let written = |s: &Server| s.st.bgsave_job.as_ref().map(|b| b.job.keys_written);
    let (mut slices, mut pongs, mut forced) = (0, 0, 0);
    let mut now = t0;
    while s.st.bgsave_job.is_some() {
        // The host ticks: one slice, bounded by keys and bytes.
        let before = written(&s).unwrap();
        s.handle(now, Input::Tick);
        let evs = drain(&mut s).1;
        let p = parts(&evs);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].1 <= BGSAVE_SLICE_BYTES + 100,
            "slice of {} bytes",
            p[0].1
        );
        if let Some(after) = written(&s) {
            assert!(after - before <= BGSAVE_SLICE as u64 + 8);
        }
        all.extend(evs);
        slices += 1;
        if s.st.bgsave_job.is_none() {
            break;
        }
        // A client's PING: answered in its own round, with no slice before
        // it; after SLICE_EVERY such rounds in a row one carries a slice.
        let before = written(&s).unwrap();
        for _ in 0..3 {
            let (r, evs) = cmd(&mut s, now, &["ping"]);
            assert_eq!(r, "+PONG\r\n");
            pongs += 1;
            if written(&s) != Some(before) {
                forced += 1;
            }
            all.extend(evs);
        }
        now += 1;
    }
    // The file was written in many small slices while the PINGs were
    // answered, none of them behind a slice of its own round.
    assert!(slices >= n / BGSAVE_SLICE, "{slices} slices");
    assert!(pongs >= 3 * (slices - 1), "{pongs} PINGs");
    assert_eq!(forced, 0);
    let file = saved(&all).expect("the file");
    assert_eq!(rdb::decode(&file).unwrap().total_keys(), n);
    let l = logs(&all);
    assert_eq!(
        l.last().unwrap(),
        "Background saving terminated with success"
    );
}

#[test]
fn client_rounds_alone_still_finish_a_save() {
    let t0 = 1_700_000_000_000;
    let mut s = big_server(t0, 3000);
    s.st.persist.slice = 1000;
    let (_, mut all) = cmd(&mut s, t0, &["bgsave"]);
    let mut rounds = 0;
    while s.st.bgsave_job.is_some() {
        all.extend(cmd(&mut s, t0, &["ping"]).1);
        rounds += 1;
        assert!(rounds < 1000);
    }
    // Three slices of 1000 keys plus the end, one every SLICE_EVERY rounds.
    let slices = parts(&all).len() as u32 - 1;
    assert_eq!(rounds, slices * SLICE_EVERY - 1);
    assert_eq!(rdb::decode(&persisted(&all)).unwrap().total_keys(), 3000);
}

fn finish_unconfirmed(s: &mut Server, now: u64) -> Vec<Event> {
    let mut all = Vec::new();
    while s.bgsave_wants_slice() {
        s.handle(now, Input::Tick);
        all.extend(drain(s).1);
    }
    all
}

#[test]
fn a_host_that_writes_in_the_background_confirms_the_file() {
    let t0 = 1_700_000_000_000;
    let mut s = big_server(t0, 1000);
    s.confirm_persist();
    s.st.dirty = 1000;
    let (_, mut all) = cmd(&mut s, t0, &["bgsave"]);
    all.extend(finish_unconfirmed(&mut s, t0 + 1));
    let file = persisted(&all);
    assert_eq!(rdb::decode(&file).unwrap().total_keys(), 1000);
    // The file is handed over, not yet in place: the save still runs.
    assert_eq!(logs(&all).len(), 1);
    assert_eq!(info_field(&mut s, t0 + 1, "rdb_bgsave_in_progress"), "1");
    assert_eq!(
        cmd(&mut s, t0 + 1, &["bgsave"]).0,
        "-ERR Background save already in progress\r\n"
    );
    assert_eq!(s.poll_timeout(), Some(s.st.next_cron));
    s.handle(
        t0 + 2000,
        Input::Persisted {
            file: "dump.rdb".into(),
            error: None,
        },
    );
    let l = logs(&drain(&mut s).1);
    assert_eq!(
        l,
        vec![
            "DB saved on disk",
            "Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB",
            "Background saving terminated with success"
        ]
    );
    assert_eq!(info_field(&mut s, t0 + 2000, "rdb_bgsave_in_progress"), "0");
    assert_eq!(
        info_field(&mut s, t0 + 2000, "rdb_last_bgsave_time_sec"),
        "2"
    );
    assert_eq!(
        info_field(&mut s, t0 + 2000, "rdb_changes_since_last_save"),
        "0"
    );

    // A failed write: Redis's "Background saving error", status err,
    // the changes still unsaved.
    s.st.dirty = 5;
    cmd(&mut s, t0 + 3000, &["bgsave"]);
    finish_unconfirmed(&mut s, t0 + 3000);
    s.handle(
        t0 + 3000,
        Input::Persisted {
            file: "dump.rdb".into(),
            error: Some("disk full".into()),
        },
    );
    assert_eq!(logs(&drain(&mut s).1), vec!["Background saving error"]);
    assert_eq!(
        info_field(&mut s, t0 + 3000, "rdb_last_bgsave_status"),
        "err"
    );
    assert_eq!(
        info_field(&mut s, t0 + 3000, "rdb_changes_since_last_save"),
        "5"
    );
    assert_eq!(info_field(&mut s, t0 + 3000, "rdb_saves"), "1");
    // writeCommandsDeniedByDiskError: writes and PING are refused (a
    // sentinel then sees the instance as down), reads are served.
    for args in [&["ping"][..], &["set", "k", "v"]] {
        let (reply, _) = cmd(&mut s, t0 + 3000, args);
        assert!(reply.starts_with("-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk."), "{args:?}: {reply}");
    }
    assert_eq!(cmd(&mut s, t0 + 3000, &["get", "k"]).0, "$-1\r\n");

    // A save killed after its last part: the late confirmation belongs to
    // it, not to the next save. (Writes are refused with MISCONF after the
    // failed save unless stop-writes-on-bgsave-error is off.)
    cmd(
        &mut s,
        t0 + 4000,
        &["config", "set", "stop-writes-on-bgsave-error", "no"],
    );
    cmd(&mut s, t0 + 4000, &["bgsave"]);
    finish_unconfirmed(&mut s, t0 + 4000);
    let (_, evs) = cmd(&mut s, t0 + 4000, &["flushall"]);
    assert!(parts(&evs).contains(&(PersistStep::Abort, 0)));
    put(&mut s, 0, "x", str_val("1"));
    cmd(&mut s, t0 + 4000, &["bgsave"]);
    finish_unconfirmed(&mut s, t0 + 4000);
    let done = |err: Option<String>| Input::Persisted {
        file: "dump.rdb".into(),
        error: err,
    };
    s.handle(t0 + 4000, done(None)); // the killed save's file
    assert_eq!(info_field(&mut s, t0 + 4000, "rdb_bgsave_in_progress"), "1");
    s.handle(t0 + 4000, done(None));
    assert_eq!(info_field(&mut s, t0 + 4000, "rdb_bgsave_in_progress"), "0");
    assert_eq!(
        info_field(&mut s, t0 + 4000, "rdb_last_bgsave_status"),
        "ok"
    );
}

#[test]
fn rdbcompression_and_rdbchecksum_are_honoured() {
    let mut s = server(0);
    put(&mut s, 0, "long", str_val(&"abc".repeat(100)));
    let with = s.st.rdb_snapshot(None);
    s.st.config
        .set(Key::RDBCOMPRESSION, &["no".into()])
        .unwrap();
    s.st.config.set(Key::RDBCHECKSUM, &["no".into()]).unwrap();
    let without = s.st.rdb_snapshot(None);
    assert!(with.len() + 200 < without.len());
    assert_eq!(&without[without.len() - 8..], &[0u8; 8]);
    assert_eq!(rdb::decode(&without).unwrap().checksum, 0);
    let r = s.st.rdb_snapshot(Some((2, "f".repeat(40), 77)));
    let aux = rdb::decode(&r).unwrap().aux;
    assert_eq!(aux.repl_stream_db, Some(2));
    assert_eq!(aux.repl_offset, Some(77));
    assert_eq!(aux.repl_id.as_deref(), Some(&*"f".repeat(40)));
}

#[test]
fn save_cron_follows_save_points() {
    let t0 = 1_700_000_000_000;
    let mut s = server(t0);
    put(&mut s, 0, "a", str_val("1"));
    assert!(!s.save_cron());
    s.st.now = t0 + 3_601_000;
    assert!(s.save_cron());
    while s.st.bgsave_job.is_some() {
        s.st.now += 1;
        s.bgsave_step(1);
    }
    let (_, evs) = drain(&mut s);
    assert_eq!(logs(&evs)[0], "1 changes in 3600 seconds. Saving...");
    persisted(&evs);
    assert_eq!(s.st.dirty, 0);
    assert!(!s.save_cron());
    s.st.config.set(Key::SAVE, &["".into()]).unwrap();
    put(&mut s, 0, "b", str_val("1"));
    s.st.now += 10_000_000;
    assert!(!s.save_cron());
}

#[test]
fn load_errors_are_reported() {
    let mut s = server(0);
    let e = s.load_rdb(b"REDIS0009\xfe").unwrap_err();
    assert!(e.contains("unexpected end of file"), "{}", e);
    let (_, evs) = drain(&mut s);
    assert!(logs(&evs)[0].starts_with("Fatal error loading the DB: "));
}

#[test]
fn replica_keeps_expired_keys_on_load() {
    let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
    dbs[0].set(
        bytes::Bytes::from_static(b"k"),
        crate::keyspace::Object::new(Value::Str(bytes::Bytes::from_static(b"v").into())),
    );
    dbs[0].set_expire(b"k", 10);
    let file = rdb::encode(&dbs, &Aux::default());
    let mut cfg = Config::default();
    cfg.set(Key::REPLICAOF, &["127.0.0.1".into(), "6379".into()])
        .unwrap();
    let mut s = Server::new(cfg, 1000, 1);
    s.load_rdb(&file).unwrap();
    assert_eq!(s.st.dbs[0].len(), 1);
    let mut m = server(1000);
    m.load_rdb(&file).unwrap();
    assert_eq!(m.st.dbs[0].len(), 0);
}

/// A value in a canonical form (collections sorted) for comparisons.
fn canon(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("str {:?}", s),
        Value::Corrupt(c) => format!("corrupt {:?}", c.body),
        Value::List(l) => format!("list {:?}", l),
        Value::Hash(h) => {
            let mut e: Vec<_> = h.iter().collect();
            e.sort();
            format!("hash {:?}", e)
        }
        Value::Set(st) => {
            let mut e: Vec<_> = st.iter().collect();
            e.sort();
            format!("set {:?}", e)
        }
        Value::ZSet(z) => format!("zset {:?}", z.iter().collect::<Vec<_>>()),
        Value::Stream(st) => format!("stream {:?}", st),
    }
}

type Model = Vec<(usize, Bytes, String, Option<u64>)>;

/// An independent deep copy of the dataset: every stored key (expired or
/// not), value and TTL.
fn model_of(dbs: &[Db]) -> Model {
    let mut m = Vec::new();
    for (i, db) in dbs.iter().enumerate() {
        for (k, o) in db.keys().iter() {
            m.push((i, k.to_bytes(), canon(&o.value), db.ttl_at(k)));
        }
    }
    m.sort();
    m
}

fn model_of_file(file: &[u8]) -> Model {
    let l = rdb::decode(file).expect("a valid file");
    model_of(&l.dbs)
}

/// One random command of every kind the barrier must see.
fn random_command(r: &mut crate::rng::Rng, now: u64, nkeys: u64) -> Vec<String> {
    let key = |r: &mut crate::rng::Rng| format!("k{}", r.below(nkeys));
    let k = key(r);
    let v = format!("v{}", r.below(1000));
    let s = |x: &str| x.to_string();
    match r.below(26) {
        0 | 1 => vec![s("set"), k, v],
        2 => vec![s("set"), k, v, s("px"), (1 + r.below(40)).to_string()],
        3 => vec![s("del"), k, key(r)],
        4 => vec![s("lpush"), k, v.clone(), v],
        5 => vec![s("rpop"), k],
        6 => vec![s("hset"), k, format!("f{}", r.below(5)), v],
        7 => vec![s("hdel"), k, format!("f{}", r.below(5))],
        8 => vec![s("sadd"), k, v, format!("m{}", r.below(5))],
        9 => vec![s("srem"), k, format!("m{}", r.below(5))],
        10 => vec![s("zadd"), k, r.below(10).to_string(), v],
        11 => vec![s("zrem"), k, v],
        12 => vec![s("pexpire"), k, (1 + r.below(30)).to_string()],
        13 => vec![s("pexpireat"), k, (now + r.below(30)).to_string()],
        14 => vec![s("persist"), k],
        15 => vec![s("rename"), k, key(r)],
        16 => vec![s("move"), k, r.below(4).to_string()],
        17 => vec![s("select"), r.below(4).to_string()],
        18 => vec![s("swapdb"), r.below(4).to_string(), r.below(4).to_string()],
        19 if r.below(4) == 0 => vec![s("flushdb")],
        20 => vec![s("get"), k], // lazy expiry on read
        21 => vec![s("append"), k, v],
        22 => vec![s("incr"), format!("n{}", r.below(5))],
        23 => vec![s("copy"), k, key(r), s("replace")],
        24 => vec![s("getdel"), k],
        _ => vec![s("exists"), k, key(r)],
    }
}

fn run(s: &mut Server, now: u64, argv: &[String]) -> Vec<Event> {
    let a: Vec<&str> = argv.iter().map(|x| x.as_str()).collect();
    cmd(s, now, &a).1
}

#[test]
fn bgsave_is_the_dataset_at_its_start_whatever_happens_meanwhile() {
    let mut saves = 0;
    for seed in 1..=40u64 {
        let mut r = crate::rng::Rng::new(seed);
        let mut now = 1_700_000_000_000u64;
        let mut s = server(now);
        s.st.persist.slice = 1 + r.below(6) as usize;
        // Some data in four databases.
        for _ in 0..400 {
            let c = random_command(&mut r, now, 60);
            run(&mut s, now, &c);
            now += r.below(2);
        }
        for round in 0..4 {
            let want = model_of(&s.st.dbs);
            let (reply, mut all) = cmd(&mut s, now, &["bgsave"]);
            assert_eq!(reply, "+Background saving started\r\n");
            let mut file = saved(&all);
            let mut ops = 0;
            while file.is_none() {
                let c = random_command(&mut r, now, 60);
                let mut evs = run(&mut s, now, &c);
                ops += 1;
                // Slices run as the clock moves (one per millisecond at most).
                now += r.below(2);
                if r.below(3) == 0 {
                    // Time passes: keys expire, the cron's active expiry runs.
                    now += r.below(150);
                    s.handle(now, Input::Tick);
                    evs.extend(drain(&mut s).1);
                }
                all.extend(evs);
                file = saved(&all);
                assert!(ops < 100_000, "seed {seed}: the save never ends");
            }
            let got = model_of_file(&file.unwrap());
            if got != want {
                let missing: Vec<_> = want.iter().filter(|e| !got.contains(e)).collect();
                let extra: Vec<_> = got.iter().filter(|e| !want.contains(e)).collect();
                panic!(
                    "seed {seed} round {round}: file differs from the dataset at BGSAVE\n missing {:?}\n extra {:?}",
                    missing, extra
                );
            }
            // No copy-on-write state is left behind.
            assert!(s.st.dbs.iter().all(|d| d.snapshot_index().is_none()));
            saves += 1;
        }
    }
    assert_eq!(saves, 160);
}

/// Move bytes between a master and its replica until both are quiet;
/// returns the master's events.
struct Link {
    rconn: Option<ConnId>,
}
const MCONN: ConnId = ConnId(100);

fn pump(m: &mut Server, r: &mut Server, link: &mut Link, now: u64) -> Vec<Event> {
    let mut evs = Vec::new();
    for _ in 0..50 {
        let mut quiet = true;
        while let Some(o) = r.poll_output() {
            match o {
                Output::Connect { conn, .. } => {
                    quiet = false;
                    link.rconn = Some(conn);
                    m.handle(
                        now,
                        Input::Accepted {
                            conn: MCONN,
                            peer: Addr::new("127.0.0.1", 40000),
                            local: Addr::new("127.0.0.1", 6379),
                        },
                    );
                    r.handle(
                        now,
                        Input::Connected {
                            conn,
                            local: Addr::new("127.0.0.1", 40000),
                        },
                    );
                }
                Output::Send { conn, bytes } if Some(conn) == link.rconn => {
                    quiet = false;
                    m.handle(
                        now,
                        Input::Data {
                            conn: MCONN,
                            bytes: &bytes,
                        },
                    );
                }
                _ => {}
            }
        }
        while let Some(o) = m.poll_output() {
            match o {
                Output::Send { conn, bytes } if conn == MCONN => {
                    quiet = false;
                    if let Some(rc) = link.rconn {
                        r.handle(
                            now,
                            Input::Data {
                                conn: rc,
                                bytes: &bytes,
                            },
                        );
                    }
                }
                Output::Event(e) => evs.push(e),
                _ => {}
            }
        }
        if quiet {
            break;
        }
    }
    evs
}

fn send_master(m: &mut Server, now: u64, argv: &[String]) {
    let mut req = format!("*{}\r\n", argv.len());
    for a in argv {
        req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
    }
    m.handle(
        now,
        Input::Data {
            conn: ConnId(1),
            bytes: req.as_bytes(),
        },
    );
}

fn full_sync_during_writes(diskless: bool, seed: u64) {
    let mut now = 1_700_000_000_000u64;
    let mut cfg = Config::default();
    let yes = if diskless { "yes" } else { "no" };
    cfg.set(Key::REPL_DISKLESS_SYNC, &[yes.into()]).unwrap();
    cfg.set(Key::REPL_DISKLESS_SYNC_DELAY, &["0".into()])
        .unwrap();
    cfg.set(Key::SAVE, &["".into()]).unwrap();
    let mut m = Server::new(cfg, now, 1);
    m.handle(
        now,
        Input::Accepted {
            conn: ConnId(1),
            peer: Addr::new("127.0.0.1", 5000),
            local: Addr::new("127.0.0.1", 6379),
        },
    );
    m.st.persist.slice = 2;
    let mut r = crate::rng::Rng::new(seed);
    // Writes only (no short TTLs: both sides must hold the same keys at the end).
    let write = |r: &mut crate::rng::Rng, now: u64| loop {
        let c = random_command(r, now, 2000);
        if !matches!(c[0].as_str(), "pexpire" | "pexpireat" | "get" | "exists")
            && !c.iter().any(|a| a == "px")
        {
            return c;
        }
    };
    for _ in 0..3000 {
        let c = write(&mut r, now);
        send_master(&mut m, now, &c);
    }
    while m.poll_output().is_some() {}
    let mut rcfg = Config::default();
    rcfg.set(Key::REPLICAOF, &["127.0.0.1".into(), "6379".into()])
        .unwrap();
    let mut rep = Server::new(rcfg, now, 2);
    let mut link = Link { rconn: None };
    let mut during = 0;
    let mut saw_job = false;
    for i in 0..3000 {
        now += 1;
        rep.handle(now, Input::Tick);
        m.handle(now, Input::Tick);
        if i < 2500 {
            for _ in 0..3 {
                let c = write(&mut r, now);
                send_master(&mut m, now, &c);
                if m.st.bgsave_job.is_some() {
                    saw_job = true;
                    during += 1;
                }
            }
        }
        pump(&mut m, &mut rep, &mut link, now);
    }
    for _ in 0..20 {
        now += 200;
        rep.handle(now, Input::Tick);
        m.handle(now, Input::Tick);
        pump(&mut m, &mut rep, &mut link, now);
    }
    assert!(saw_job && during > 50, "writes during the sync: {during}");
    let role = rep.st.repl.link.as_ref().map(|l| l.state.clone());
    assert_eq!(role, Some(crate::replication::LinkState::Connected));
    assert_eq!(
        model_of(&m.st.dbs),
        model_of(&rep.st.dbs),
        "diskless {diskless}: replica differs from master"
    );
    assert_eq!(rep.st.repl.offset, m.st.repl.offset);
}

#[test]
fn full_sync_during_writes_is_snapshot_plus_stream() {
    for seed in 1..=3 {
        full_sync_during_writes(true, seed);
        full_sync_during_writes(false, seed);
    }
}

fn big_server(t0: u64, n: usize) -> Server {
    let mut s = server(t0);
    for i in 0..n {
        put(&mut s, 0, &format!("k{i}"), str_val("v"));
    }
    s.st.persist.slice = 100;
    s
}

fn info_field(s: &mut Server, now: u64, name: &str) -> String {
    let (r, _) = cmd(s, now, &["info", "persistence"]);
    r.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_default()
}

#[test]
fn flushall_kills_a_running_bgsave_as_redis_does() {
    let t0 = 1_700_000_000_000;
    // With save points: the synchronous save, then the child's end.
    let mut s = big_server(t0, 1000);
    cmd(&mut s, t0, &["bgsave"]);
    assert_eq!(info_field(&mut s, t0, "rdb_bgsave_in_progress"), "1");
    let (r, evs) = cmd(&mut s, t0, &["flushall"]);
    assert_eq!(r, "+OK\r\n");
    assert_eq!(
        logs(&evs),
        vec![
            "DB saved on disk".to_string(),
            "Background saving terminated by signal 10".to_string()
        ]
    );
    assert_eq!(rdb::decode(&persisted(&evs)).unwrap().total_keys(), 0);
    assert!(s.st.bgsave_job.is_none());
    assert!(s.st.dbs.iter().all(|d| d.snapshot_index().is_none()));
    assert_eq!(info_field(&mut s, t0, "rdb_bgsave_in_progress"), "0");
    assert_eq!(info_field(&mut s, t0, "rdb_last_bgsave_status"), "ok");
    // Without save points: only the child's end.
    let mut s = big_server(t0, 1000);
    s.st.config.set(Key::SAVE, &["".into()]).unwrap();
    cmd(&mut s, t0, &["bgsave"]);
    let (_, evs) = cmd(&mut s, t0, &["flushall"]);
    assert_eq!(
        logs(&evs),
        vec!["Background saving terminated by signal 10"]
    );
    assert!(evs.iter().all(|e| !matches!(e, Event::Persist { .. })));
    // A new BGSAVE can start.
    assert_eq!(
        cmd(&mut s, t0, &["bgsave"]).0,
        "+Background saving started\r\n"
    );
}

#[test]
fn shutdown_kills_a_running_bgsave_first() {
    let t0 = 1_700_000_000_000;
    let mut s = big_server(t0, 1000);
    cmd(&mut s, t0, &["bgsave"]);
    let (_, evs) = cmd(&mut s, t0, &["shutdown"]);
    let l = logs(&evs);
    assert_eq!(
        &l[..4],
        &[
            "User requested shutdown...",
            "There is a child saving an .rdb. Killing it!",
            "Saving the final RDB snapshot before exiting.",
            "DB saved on disk"
        ]
    );
    assert_eq!(rdb::decode(&persisted(&evs)).unwrap().total_keys(), 1000);
}

#[test]
fn info_persistence_during_and_after_a_bgsave() {
    let t0 = 1_700_000_000_000;
    let mut s = big_server(t0, 1000);
    s.st.dirty = 1000;
    cmd(&mut s, t0, &["bgsave"]);
    assert_eq!(info_field(&mut s, t0, "current_save_keys_total"), "1000");
    assert_eq!(info_field(&mut s, t0, "rdb_last_bgsave_time_sec"), "-1");
    cmd(&mut s, t0 + 1, &["set", "k1", "changed"]);
    cmd(&mut s, t0 + 1, &["set", "new", "x"]);
    assert_eq!(
        info_field(&mut s, t0 + 2000, "rdb_current_bgsave_time_sec"),
        "2"
    );
    assert_eq!(
        info_field(&mut s, t0 + 2000, "rdb_changes_since_last_save"),
        "1002"
    );
    while s.st.bgsave_job.is_some() {
        s.handle(t0 + 3000, Input::Tick);
    }
    // Only the writes made since the start are left to save.
    assert_eq!(
        info_field(&mut s, t0 + 3000, "rdb_changes_since_last_save"),
        "2"
    );
    assert_eq!(info_field(&mut s, t0 + 3000, "rdb_bgsave_in_progress"), "0");
    assert_eq!(
        info_field(&mut s, t0 + 3000, "rdb_last_bgsave_time_sec"),
        "3"
    );
    assert_eq!(
        info_field(&mut s, t0 + 3000, "rdb_current_bgsave_time_sec"),
        "-1"
    );
    assert_eq!(info_field(&mut s, t0 + 3000, "rdb_saves"), "1");
    assert_eq!(
        info_field(&mut s, t0 + 3000, "rdb_last_save_time"),
        format!("{}", (t0 + 3000) / 1000)
    );
}

#[test]
fn only_changed_keys_are_copied() {
    let mut db = Db::default();
    for i in 0..1000 {
        db.set(
            Bytes::from(format!("k{i}")),
            crate::keyspace::Object::new(Value::List(vec![Bytes::from_static(b"a"); 10].into())),
        );
    }
    db.set_expire(b"k5", 10);
    db.begin_snapshot(0);
    // Reads, existence checks for writes, lazy expiry checks of live keys: no copies.
    for i in 0..1000 {
        let k = format!("k{i}");
        db.get(k.as_bytes(), 0);
        db.exists_for_write(k.as_bytes(), 0);
    }
    // Changes: one in place twice, one replaced, one deleted, one TTL, one new key.
    db.get_mut(b"k1", 0);
    db.get_mut(b"k1", 0);
    db.set(Bytes::from_static(b"k2"), Object::new(str_val("x")));
    db.delete(b"k3");
    db.persist(b"k5");
    db.set(Bytes::from_static(b"new"), Object::new(str_val("x")));
    db.delete(b"new");
    // Half walked: keys already written are not copied when they change.
    let mut written = Vec::new();
    while written.len() < 500 {
        db.snapshot_walk(10, |k, _, _| written.push(Bytes::copy_from_slice(k)));
    }
    for k in &written {
        db.delete(k);
    }
    let preserved = {
        let mut d = db.clone();
        d.end_snapshot()
    };
    let mut names: Vec<_> = preserved.iter().map(|(k, _, _)| k.clone()).collect();
    names.sort();
    assert_eq!(names, vec!["k1", "k2", "k3", "k5"]);
    assert_eq!(preserved.iter().find(|e| e.0 == "k5").unwrap().2, Some(10));
}

#[test]
fn a_killed_stand_in_child_fails_the_save_and_an_ended_save_ends_its_child() {
    use crate::node::ScriptStatus;
    let t0 = 1_700_000_000_000;
    let mut s = big_server(t0, 1000);
    s.confirm_persist();
    s.host_forks();
    let delay = |s: &mut Server, us: &str| {
        s.st.config
            .set(Key::RDB_KEY_SAVE_DELAY, &[us.into()])
            .unwrap()
    };
    delay(&mut s, "1000000");
    let (_, evs) = cmd(&mut s, t0, &["bgsave"]);
    let id = evs
        .iter()
        .find_map(|e| match e {
            Event::Fork { id, title, .. } if title == "redis-rdb-bgsave" => Some(*id),
            _ => None,
        })
        .expect("a child asked for");
    // The pid is logged once the host knows it.
    let status = ScriptStatus::Started { pid: 4242 };
    s.handle(t0, Input::Child { id, status });
    let l = logs(&drain(&mut s).1);
    assert_eq!(l, ["Background saving started by pid 4242"]);
    assert_eq!(info_field(&mut s, t0, "rdb_bgsave_in_progress"), "1");
    // One key a second: still running ten seconds later.
    s.handle(t0 + 10_000, Input::Tick);
    finish_unconfirmed(&mut s, t0 + 10_000);
    let written = s.st.bgsave_job.as_ref().map(|b| b.job.keys_written);
    assert_eq!(written, Some(11), "a key at the start, then one a second");
    assert_eq!(
        info_field(&mut s, t0 + 10_000, "rdb_bgsave_in_progress"),
        "1"
    );
    let status = ScriptStatus::Exited { code: 0, signal: 9 };
    s.handle(t0 + 10_000, Input::Child { id, status });
    let evs = drain(&mut s).1;
    assert!(logs(&evs).contains(&"Background saving terminated by signal 9".to_string()));
    assert!(evs.iter().any(|e| matches!(
        e,
        Event::PersistPart {
            step: PersistStep::Abort,
            ..
        }
    )));
    assert_eq!(
        info_field(&mut s, t0 + 10_000, "rdb_bgsave_in_progress"),
        "0"
    );
    assert_eq!(
        info_field(&mut s, t0 + 10_000, "rdb_last_bgsave_status"),
        "err"
    );
    // A save that ends by itself lets its child go.
    delay(&mut s, "0");
    let (_, evs) = cmd(&mut s, t0 + 11_000, &["bgsave"]);
    let Some(Event::Fork { id, .. }) = evs.iter().find(|e| matches!(e, Event::Fork { .. })) else {
        panic!("no child asked for");
    };
    let id = *id;
    finish_unconfirmed(&mut s, t0 + 11_000);
    s.handle(
        t0 + 11_000,
        Input::Persisted {
            file: "dump.rdb".into(),
            error: None,
        },
    );
    let evs = drain(&mut s).1;
    assert!(evs.contains(&Event::EndFork { id }));
    assert_eq!(
        info_field(&mut s, t0 + 11_000, "rdb_last_bgsave_status"),
        "ok"
    );
}

/// The copy-on-write figures of a save: keys changed while it runs keep
/// their old values for it, and those bytes are its CoW cost (INFO
/// `current_cow_size` while it runs, `rdb_last_cow_size` after; the
/// "Fork CoW for RDB" line).
#[test]
fn a_save_reports_the_bytes_its_snapshot_keeps_as_copy_on_write() {
    let mut s = server(1_000);
    let big = "x".repeat(100_000);
    for i in 0..40 {
        cmd(&mut s, 1_000, &["SET", &format!("k{i}"), &big]);
    }
    cmd(
        &mut s,
        1_000,
        &["CONFIG", "SET", "rdb-key-save-delay", "100000"],
    );
    cmd(&mut s, 1_000, &["BGSAVE"]);
    for i in 0..40 {
        cmd(&mut s, 1_000, &["SET", &format!("k{i}"), "y"]);
    }
    let mut events = Vec::new();
    for t in (1_000..1_500).step_by(50) {
        s.handle(t, Input::Tick);
        events.extend(drain(&mut s).1);
    }
    let field = |info: &str, name: &str| -> u64 {
        let v = info.lines().find_map(|l| l.strip_prefix(name)).expect(name);
        v.trim_start_matches(':').trim().parse().unwrap()
    };
    let (info, _) = cmd(&mut s, 1_500, &["INFO", "persistence"]);
    assert!(info.contains("rdb_bgsave_in_progress:1"), "{info}");
    assert!(field(&info, "current_cow_size") > 3_000_000, "{info}");
    assert!(field(&info, "current_cow_peak") >= field(&info, "current_cow_size"));
    for t in (1_500..10_000).step_by(100) {
        s.handle(t, Input::Tick);
        events.extend(drain(&mut s).1);
    }
    let (info, _) = cmd(&mut s, 10_000, &["INFO", "persistence"]);
    assert!(info.contains("rdb_bgsave_in_progress:0"), "{info}");
    assert!(field(&info, "rdb_last_cow_size") > 3_000_000, "{info}");
    assert_eq!(field(&info, "current_cow_size"), 0, "{info}");
    let lines = logs(&events);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Fork CoW for RDB: current 3 MB, peak 3 MB")),
        "{lines:?}"
    );
}
