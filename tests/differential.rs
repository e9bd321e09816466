//! Differential tests: the same seeded command sequences against Debian's
//! redis-server 7.0.15 and ours, compared reply by reply.
//!
//! Each command family is its own `#[test]` (`diff_strings`, `diff_lists`, ...)
//! so a failure points at a family. A family test uses only that family's
//! commands (plus PING/ECHO/SELECT), except where it needs values to exist:
//! `diff_keys` uses SET, and `diff_wrongtype` deliberately mixes families.
//!
//! What is legitimately nondeterministic is normalised: unordered replies
//! (SMEMBERS, KEYS, HGETALL, ...) are compared as sorted multisets; SCAN-like
//! cursors are iterated to the end on each server and the sets of returned
//! elements compared; random commands (RANDOMKEY, SRANDMEMBER, ...) only have
//! their shape compared; TIME/INFO and the like are shape-only too.
//!
//! Reproduce a failure with `DIFF_SEED=<seed> cargo test --test differential diff_<family>`;
//! `DIFF_COUNT=<n>` changes how many commands a family sends (default 1500).
//! `DIFF_OURS=real` runs the same plans real-vs-real, to check the generators
//! and the normalisations themselves.

mod common;

use common::rng::Rng as Gen;
use common::*;
use sentinel_lab::resp::Frame;

// ---------------------------------------------------------------------------
// Steps and how their replies are compared.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Norm {
    /// Byte-for-byte the same frame.
    Exact,
    /// An array whose order is unspecified (SMEMBERS, KEYS, HKEYS, ...).
    Unordered,
    /// A flat array of field/value pairs in unspecified order (HGETALL).
    UnorderedPairs,
    /// Same kind of frame and, for arrays, same length (random replies).
    Shape,
    /// Same kind of frame only (TIME's values, INFO's text).
    Kind,
    /// Integers within this distance (PTTL).
    Near(i64),
    /// A SCAN-family command with cursor "0" at `argv[pos]`: iterate each server
    /// to the end and compare the sets of elements (pairs if the bool is true).
    ScanFull(usize, bool),
}

#[derive(Clone, Debug)]
struct Step {
    /// Which connection of the pair sends it.
    conn: usize,
    /// The command; empty means "read one pushed frame" (pub/sub messages).
    argv: Vec<Vec<u8>>,
    norm: Norm,
    /// Replies to read for this step (several pushed messages at once).
    reads: usize,
}

struct Plan {
    conns: usize,
    steps: Vec<Step>,
}

impl Plan {
    fn new(conns: usize) -> Plan {
        Plan {
            conns,
            steps: Vec::new(),
        }
    }
    fn on(&mut self, conn: usize, norm: Norm, argv: &[&str]) {
        self.steps.push(Step {
            conn,
            argv: argv.iter().map(|a| a.as_bytes().to_vec()).collect(),
            norm,
            reads: 1,
        });
    }
    fn c(&mut self, argv: &[&str]) {
        self.on(0, Norm::Exact, argv);
    }
    fn n(&mut self, norm: Norm, argv: &[&str]) {
        self.on(0, norm, argv);
    }
    fn cv(&mut self, argv: Vec<String>) {
        let v: Vec<&str> = argv.iter().map(|s| s.as_str()).collect();
        self.on(0, Norm::Exact, &v);
    }
    /// Read `n` pushed messages; several arrive in unspecified order (patterns
    /// are matched in dict order), so they are compared as a multiset.
    fn read_push(&mut self, conn: usize, n: usize) {
        if n == 0 {
            return;
        }
        self.steps.push(Step {
            conn,
            argv: Vec::new(),
            norm: if n == 1 { Norm::Exact } else { Norm::Unordered },
            reads: n,
        });
    }
}

fn sort_frames(v: &[Frame]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = v
        .iter()
        .map(|f| {
            let mut b = Vec::new();
            f.encode(&mut b);
            b
        })
        .collect();
    out.sort();
    out
}

fn sort_pairs(v: &[Frame]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = v
        .chunks(2)
        .map(|p| {
            let mut b = Vec::new();
            for f in p {
                f.encode(&mut b);
            }
            b
        })
        .collect();
    out.sort();
    out
}

fn kind(f: &Frame) -> std::mem::Discriminant<Frame> {
    std::mem::discriminant(f)
}

/// Do two replies agree under this normalisation?
fn same(norm: Norm, a: &Frame, b: &Frame) -> bool {
    match norm {
        Norm::Exact | Norm::ScanFull(..) => a == b,
        Norm::Unordered => match (a.as_array(), b.as_array()) {
            (Some(x), Some(y)) => kind(a) == kind(b) && sort_frames(x) == sort_frames(y),
            _ => a == b,
        },
        Norm::UnorderedPairs => match (a.as_array(), b.as_array()) {
            (Some(x), Some(y)) => kind(a) == kind(b) && sort_pairs(x) == sort_pairs(y),
            _ => a == b,
        },
        Norm::Shape => match (a, b) {
            (Frame::Error(_), _) | (_, Frame::Error(_)) => a == b,
            _ => {
                kind(a) == kind(b) && a.as_array().map(|x| x.len()) == b.as_array().map(|y| y.len())
            }
        },
        Norm::Kind => match (a, b) {
            (Frame::Error(_), _) | (_, Frame::Error(_)) => a == b,
            _ => kind(a) == kind(b),
        },
        Norm::Near(d) => match (a, b) {
            (Frame::Integer(x), Frame::Integer(y)) => (x - y).abs() <= d,
            _ => a == b,
        },
    }
}

fn show(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| {
            let s = String::from_utf8_lossy(a);
            if s.is_empty() || s.contains(' ') {
                format!("{s:?}")
            } else {
                s.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Iterate a SCAN-family command to cursor 0 and collect what it returned.
fn scan_all(
    c: &mut Conn,
    argv: &[Vec<u8>],
    pos: usize,
    pairs: bool,
) -> Result<Vec<Vec<u8>>, Frame> {
    let mut argv = argv.to_vec();
    let mut found = Vec::new();
    for _ in 0..100_000 {
        c.send(&argv);
        let reply = c
            .read()
            .unwrap_or(Frame::Error("<connection closed>".into()));
        let Some(parts) = reply.as_array() else {
            return Err(reply);
        };
        let (Some(cursor), Some(items)) = (
            parts.first().and_then(|f| f.as_bytes()),
            parts.get(1).and_then(|f| f.as_array()),
        ) else {
            return Err(reply.clone());
        };
        let cursor = cursor.to_vec();
        found.extend(if pairs {
            sort_pairs(items)
        } else {
            sort_frames(items)
        });
        if cursor == b"0" {
            found.sort();
            found.dedup();
            return Ok(found);
        }
        argv[pos] = cursor;
    }
    Err(Frame::Error("<scan did not finish>".into()))
}

/// Run a plan against both servers; returns the mismatch report (empty if none).
fn run_plan(family: &str, seed: u64, plan: &Plan) -> Vec<String> {
    let real = start_real(&[]);
    // DIFF_OURS=real checks the generators and normalisations: real vs real must agree.
    let ours = if std::env::var("DIFF_OURS").as_deref() == Ok("real") {
        start_real(&[])
    } else {
        start_ours(&["--save", ""])
    };
    let mut rc: Vec<Conn> = (0..plan.conns).map(|_| real.connect()).collect();
    let mut oc: Vec<Conn> = (0..plan.conns).map(|_| ours.connect()).collect();
    let mut report = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let (a, b) = if let Norm::ScanFull(pos, pairs) = step.norm {
            let a = scan_all(&mut rc[step.conn], &step.argv, pos, pairs);
            let b = scan_all(&mut oc[step.conn], &step.argv, pos, pairs);
            if a == b {
                continue;
            }
            let fmt = |r: Result<Vec<Vec<u8>>, Frame>| match r {
                Ok(v) => Frame::Array(
                    v.into_iter()
                        .map(|x| Frame::Bulk(String::from_utf8_lossy(&x).into_owned().into()))
                        .collect(),
                ),
                Err(f) => f,
            };
            (fmt(a), fmt(b))
        } else {
            if !step.argv.is_empty() {
                rc[step.conn].send(&step.argv);
                oc[step.conn].send(&step.argv);
            }
            let read = |c: &mut Conn, who: &str| {
                let mut v: Vec<Frame> = (0..step.reads)
                    .map(|_| {
                        c.read().unwrap_or(Frame::Error(format!(
                            "<{who}: connection closed / timeout>"
                        )))
                    })
                    .collect();
                if v.len() == 1 {
                    v.pop().expect("one frame")
                } else {
                    Frame::Array(v)
                }
            };
            let a = read(&mut rc[step.conn], "real");
            let b = read(&mut oc[step.conn], "ours");
            if same(step.norm, &a, &b) {
                continue;
            }
            (a, b)
        };
        report.push(format!(
            "[{family} seed={seed} step={i} conn={}] {}\n    real: {:?}\n    ours: {:?}",
            step.conn,
            if step.argv.is_empty() {
                "<read pushed message>".to_string()
            } else {
                show(&step.argv)
            },
            a,
            b
        ));
        let closed = matches!(&b, Frame::Error(e) if e.starts_with("<ours"));
        if report.len() >= 25 || closed {
            report.push("... stopping here".into());
            break;
        }
    }
    report
}

fn seeds() -> Vec<u64> {
    match std::env::var("DIFF_SEED") {
        Ok(s) => s.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) => vec![1, 2],
    }
}

fn count() -> usize {
    std::env::var("DIFF_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500)
}

/// A family's plan generator: steps for `n` commands.
type Generator = fn(&mut Gen, &mut Plan, usize);

/// Generate a plan per seed and compare; panic with the report on mismatch.
fn check(family: &str, conns: usize, gen: Generator) {
    let mut all = Vec::new();
    for seed in seeds() {
        let mut g = Gen(seed ^ fnv(family));
        let mut plan = Plan::new(conns);
        gen(&mut g, &mut plan, count());
        let report = run_plan(family, seed, &plan);
        if !report.is_empty() {
            all.push(format!(
                "{} mismatch(es) shown for seed {seed} ({} steps):\n{}",
                report.len(),
                plan.steps.len(),
                report.join("\n")
            ));
            break;
        }
    }
    assert!(
        all.is_empty(),
        "differential test '{family}' failed (rerun: DIFF_SEED=<seed> cargo test --test differential diff_{family}):\n{}",
        all.join("\n\n")
    );
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------
// Value pools that provoke the interesting paths and errors.

const VALUES: &[&str] = &[
    "a",
    "b",
    "c",
    "hello",
    "",
    "0",
    "1",
    "-1",
    "10",
    "42",
    "100",
    "3.5",
    "-2.25",
    "1e3",
    " 1",
    "abc",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "inf",
    "-inf",
    "nan",
    "0x10",
    "007",
    "x y",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "5",
    "-5",
    "10",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "1.5",
    "",
    "99999999999999999999",
];
/// Expire times that cannot run out during a test (or are already over).
const TTLS: &[&str] = &[
    "100000",
    "200000",
    "0",
    "-1",
    "abc",
    "",
    "1.5",
    "9223372036854775807",
    "-9223372036854775808",
];
const FLOATS: &[&str] = &[
    "0", "1", "-1", "1.5", "-2.5", "0.1", "3e2", "inf", "-inf", "+inf", "nan", "abc", "", "1e400",
    "10.50", "(1", "-0",
];

fn key(g: &mut Gen, prefix: &str, n: usize) -> String {
    format!("{prefix}{}", g.below(n))
}

// ---------------------------------------------------------------------------
// Families.

fn gen_connection(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n {
        match g.below(12) {
            0 => p.c(&["PING"]),
            1 => p.c(&["PING", g.pick(VALUES)]),
            2 => p.c(&["PING", "a", "b"]),
            3 => p.c(&["ECHO", g.pick(VALUES)]),
            4 => p.c(&["ECHO"]),
            5 => p.c(&["ECHO", "a", "b"]),
            6 => p.c(&[
                "SELECT",
                g.pick(&["0", "1", "15", "16", "-1", "abc", "", "1.0"]),
            ]),
            7 => p.c(&["SELECT"]),
            8 => p.c(&[
                g.pick(&["nosuch", "FOOBAR", "get-it", ""]),
                g.pick(VALUES),
                "x",
            ]),
            9 => p.c(&["pInG"]),
            10 => p.c(&[g.pick(&["nosuchcommand", "x"])]),
            _ => {
                // Inline-looking argument content goes through multibulk untouched.
                p.c(&["ECHO", "line1\r\nline2"]);
            }
        }
    }
}

fn gen_strings(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n {
        let k = key(g, "s", 6);
        let v = g.pick(VALUES);
        match g.below(30) {
            0 | 1 => p.c(&["SET", &k, v]),
            2 => p.c(&["GET", &k]),
            3 => {
                let opt = g.pick(&["NX", "XX", "GET", "KEEPTTL"]);
                p.c(&["SET", &k, v, opt]);
            }
            4 => {
                let unit = g.pick(&["EX", "PX", "EXAT", "PXAT"]);
                // No short expirations: the two servers see each command a few µs apart.
                let t = g.pick(&["100", "0", "-1", "abc", "9999999999999999", "100000"]);
                let t = if unit == "PX" && t == "100" {
                    "100000"
                } else {
                    t
                };
                match unit {
                    "EXAT" | "PXAT" if t == "100" => p.c(&["SET", &k, v, unit, "99999999999999"]),
                    _ => p.c(&["SET", &k, v, unit, t]),
                }
            }
            5 => p.c(&["SET", &k, v, "NX", "XX"]),
            6 => p.c(&["SET", &k, v, "EX", "10", "PX", "100"]),
            7 => p.c(&["SET", &k]),
            8 => p.c(&["SETNX", &k, v]),
            9 => p.c(&["SETEX", &k, g.pick(TTLS), v]),
            10 => p.c(&["PSETEX", &k, g.pick(TTLS), v]),
            11 => p.c(&["GETSET", &k, v]),
            12 => p.c(&["GETDEL", &k]),
            13 => {
                let k2 = key(g, "s", 6);
                p.c(&["MSET", &k, v, &k2, g.pick(VALUES)]);
            }
            14 => {
                let k2 = key(g, "s", 6);
                p.c(&["MSETNX", &k, v, &k2, "z"]);
            }
            15 => p.c(&["MSET", &k]),
            16 => {
                let k2 = key(g, "s", 6);
                p.c(&["MGET", &k, &k2, "nokey"]);
            }
            17 => p.c(&["APPEND", &k, v]),
            18 => p.c(&["STRLEN", &k]),
            19 => p.c(&[g.pick(&["INCR", "DECR"]), &k]),
            20 => p.c(&[g.pick(&["INCRBY", "DECRBY"]), &k, g.pick(INTS)]),
            21 => p.c(&["INCRBYFLOAT", &k, g.pick(FLOATS)]),
            22 => p.c(&[
                g.pick(&["GETRANGE", "SUBSTR"]),
                &k,
                g.pick(&["0", "1", "-1", "-3", "100", "abc"]),
                g.pick(&["0", "2", "-1", "-100", "100"]),
            ]),
            23 => p.c(&[
                "SETRANGE",
                &k,
                g.pick(&["0", "1", "5", "-1", "536870912", "abc"]),
                g.pick(&["xy", "", "hello"]),
            ]),
            24 => p.c(&["GETEX", &k, g.pick(&["PERSIST", "EX", "PX"]), "100000"]),
            25 => p.c(&["GETEX", &k]),
            26 => p.c(&["SET", &k, g.pick(&["1", "2", "100", "-7"])]),
            27 => p.c(&["INCRBY", &k, "9223372036854775807"]),
            28 => {
                let k2 = key(g, "s", 6);
                p.c(&["LCS", &k, &k2]);
            }
            _ => p.c(&["STRLEN", "nokey"]),
        }
    }
}

fn gen_keys(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n {
        let k = key(g, "k", 8);
        match g.below(28) {
            0..=3 => p.c(&["SET", &k, g.pick(VALUES)]),
            4 => {
                let k2 = key(g, "k", 8);
                p.c(&["DEL", &k, &k2]);
            }
            5 => p.c(&["UNLINK", &k]),
            6 => {
                let k2 = key(g, "k", 8);
                p.c(&["EXISTS", &k, &k2, &k]);
            }
            7 => p.c(&["TYPE", &k]),
            8 => {
                let k2 = key(g, "k", 8);
                p.c(&[g.pick(&["RENAME", "RENAMENX"]), &k, &k2]);
            }
            9 => p.c(&[g.pick(&["EXPIRE", "PEXPIRE"]), &k, g.pick(TTLS)]),
            10 => p.c(&[
                "EXPIRE",
                &k,
                g.pick(&["100", "200", "50"]),
                g.pick(&["NX", "XX", "GT", "LT", "NX XX", "FOO"]),
            ]),
            11 => p.c(&[
                g.pick(&["EXPIREAT", "PEXPIREAT"]),
                &k,
                g.pick(&["1", "99999999999", "abc"]),
            ]),
            12 => p.c(&["TTL", &k]),
            13 => p.n(Norm::Near(1500), &["PTTL", &k]),
            14 => p.c(&["PERSIST", &k]),
            15 => p.n(
                Norm::Unordered,
                &["KEYS", g.pick(&["*", "k*", "k[1-3]", "?1", "*x*"])],
            ),
            16 => p.n(Norm::ScanFull(1, false), &["SCAN", "0"]),
            17 => p.n(
                Norm::ScanFull(1, false),
                &["SCAN", "0", "MATCH", "k[0-4]", "COUNT", "3"],
            ),
            18 => p.n(Norm::Shape, &["RANDOMKEY"]),
            19 => p.c(&["OBJECT", "ENCODING", &k]),
            20 => {
                let k2 = key(g, "k", 8);
                p.c(&["COPY", &k, &k2, g.pick(&["REPLACE", "DB", "FOO"])]);
            }
            21 => p.c(&["MOVE", &k, g.pick(&["1", "0", "16", "abc"])]),
            22 => p.c(&["SELECT", g.pick(&["0", "0", "1"])]),
            23 => p.c(&["TOUCH", &k, "nokey"]),
            24 => p.c(&["EXPIRETIME", &k]),
            25 => p.c(&["DEL"]),
            26 => p.c(&["SCAN", g.pick(&["abc", "1.5", "99999999999999999999"])]),
            _ => p.c(&["SCAN", "0", "COUNT", g.pick(&["0", "-1", "abc"])]),
        }
    }
}

fn gen_lists(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n {
        let k = key(g, "l", 4);
        let v = g.pick(&["a", "b", "c", "1", "2", "hello", ""]);
        match g.below(26) {
            0..=2 => {
                let v2 = g.pick(&["x", "y", "3", "a"]);
                p.c(&[g.pick(&["LPUSH", "RPUSH"]), &k, v, v2]);
            }
            3 => p.c(&[g.pick(&["LPUSHX", "RPUSHX"]), &k, v]),
            4 => p.c(&[g.pick(&["LPOP", "RPOP"]), &k]),
            5 => p.c(&[g.pick(&["LPOP", "RPOP"]), &k, g.pick(INTS)]),
            6 => p.c(&["LLEN", &k]),
            7 | 8 => p.c(&[
                "LRANGE",
                &k,
                g.pick(&["0", "1", "-1", "-3", "100", "abc"]),
                g.pick(&["-1", "0", "2", "-100", "100"]),
            ]),
            9 => p.c(&["LINDEX", &k, g.pick(&["0", "1", "-1", "100", "abc"])]),
            10 => p.c(&["LSET", &k, g.pick(&["0", "1", "-1", "100", "abc"]), v]),
            11 => p.c(&[
                "LINSERT",
                &k,
                g.pick(&["BEFORE", "AFTER", "MIDDLE"]),
                g.pick(&["a", "b", "zz"]),
                v,
            ]),
            12 => p.c(&["LREM", &k, g.pick(&["0", "1", "-1", "2", "abc"]), v]),
            13 => p.c(&[
                "LTRIM",
                &k,
                g.pick(&["0", "1", "-2", "abc"]),
                g.pick(&["-1", "5", "0"]),
            ]),
            14 => p.c(&["LPOS", &k, v]),
            15 => p.c(&[
                "LPOS",
                &k,
                v,
                g.pick(&["RANK", "COUNT", "MAXLEN"]),
                g.pick(&["0", "1", "-1", "2", "abc"]),
            ]),
            16 => {
                let k2 = key(g, "l", 4);
                p.c(&["RPOPLPUSH", &k, &k2]);
            }
            17 => {
                let k2 = key(g, "l", 4);
                p.c(&[
                    "LMOVE",
                    &k,
                    &k2,
                    g.pick(&["LEFT", "RIGHT", "UP"]),
                    g.pick(&["LEFT", "RIGHT"]),
                ]);
            }
            18 => {
                // Non-blocking path only: the key has elements or the timeout is tiny.
                let k2 = key(g, "l", 4);
                p.c(&["RPUSH", &k, "blk"]);
                p.c(&[g.pick(&["BLPOP", "BRPOP"]), &k, &k2, "0.01"]);
            }
            19 => p.c(&["BLPOP", &k, g.pick(&["-1", "abc"])]),
            20 => {
                let k2 = key(g, "l", 4);
                p.c(&[
                    "LMPOP",
                    "2",
                    &k,
                    &k2,
                    g.pick(&["LEFT", "RIGHT", "UP"]),
                    "COUNT",
                    g.pick(&["1", "2", "0", "-1"]),
                ]);
            }
            21 => p.c(&["LMPOP", g.pick(&["0", "abc", "5"]), &k, "LEFT"]),
            22 => p.c(&["LRANGE", &k, "0"]),
            23 => p.c(&["DEL", &k]),
            24 => p.c(&["OBJECT", "ENCODING", &k]),
            _ => p.c(&["LPUSH", &k]),
        }
    }
}

fn gen_hashes(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n {
        let k = key(g, "h", 4);
        let f = key(g, "f", 8);
        let v = g.pick(VALUES);
        match g.below(24) {
            0..=2 => {
                let f2 = key(g, "f", 8);
                p.c(&["HSET", &k, &f, v, &f2, g.pick(INTS)]);
            }
            3 => p.c(&["HSET", &k, &f]),
            4 => p.c(&["HSETNX", &k, &f, v]),
            5 => p.c(&["HMSET", &k, &f, v]),
            6 => p.c(&["HGET", &k, &f]),
            7 => {
                let f2 = key(g, "f", 8);
                p.c(&["HMGET", &k, &f, &f2, "nofield"]);
            }
            8 => {
                let f2 = key(g, "f", 8);
                p.c(&["HDEL", &k, &f, &f2]);
            }
            9 => p.c(&["HLEN", &k]),
            10 => p.c(&["HEXISTS", &k, &f]),
            11 => p.c(&["HINCRBY", &k, &f, g.pick(INTS)]),
            12 => p.c(&["HINCRBYFLOAT", &k, &f, g.pick(FLOATS)]),
            13 => p.n(Norm::Unordered, &["HKEYS", &k]),
            14 => p.n(Norm::Unordered, &["HVALS", &k]),
            15 | 16 => p.n(Norm::UnorderedPairs, &["HGETALL", &k]),
            17 => p.c(&["HSTRLEN", &k, &f]),
            18 => p.n(
                Norm::Shape,
                &["HRANDFIELD", &k, g.pick(&["1", "3", "-5", "0", "100"])],
            ),
            19 => p.n(Norm::Shape, &["HRANDFIELD", &k]),
            20 => p.n(Norm::ScanFull(2, true), &["HSCAN", &k, "0"]),
            21 => p.n(
                Norm::ScanFull(2, true),
                &["HSCAN", &k, "0", "MATCH", "f[1-5]", "COUNT", "2"],
            ),
            22 => p.c(&["OBJECT", "ENCODING", &k]),
            _ => p.c(&["DEL", &k]),
        }
    }
}

fn gen_sets(g: &mut Gen, p: &mut Plan, n: usize) {
    let members = &["a", "b", "c", "d", "1", "2", "3", "10", "-5", "x"];
    for _ in 0..n {
        let k = key(g, "S", 4);
        let m = g.pick(members);
        match g.below(26) {
            0..=3 => {
                let m2 = g.pick(members);
                p.c(&["SADD", &k, m, m2]);
            }
            4 => {
                let m2 = g.pick(members);
                p.c(&["SREM", &k, m, m2]);
            }
            5 => p.c(&["SCARD", &k]),
            6 => p.c(&["SISMEMBER", &k, m]),
            7 => p.c(&["SMISMEMBER", &k, m, "zz"]),
            8 | 9 => p.n(Norm::Unordered, &["SMEMBERS", &k]),
            10 => {
                let k2 = key(g, "S", 4);
                p.c(&["SMOVE", &k, &k2, m]);
            }
            11 => {
                let k2 = key(g, "S", 4);
                p.n(
                    Norm::Unordered,
                    &[g.pick(&["SINTER", "SUNION", "SDIFF"]), &k, &k2],
                );
            }
            12 => {
                let (k2, k3) = (key(g, "S", 4), key(g, "S", 4));
                p.c(&[
                    g.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
                    &k3,
                    &k,
                    &k2,
                ]);
            }
            13 => {
                let k2 = key(g, "S", 4);
                p.c(&[
                    "SINTERCARD",
                    g.pick(&["2", "1", "0", "abc"]),
                    &k,
                    &k2,
                    "LIMIT",
                    g.pick(&["0", "1", "-1"]),
                ]);
            }
            14 => p.n(
                Norm::Shape,
                &["SRANDMEMBER", &k, g.pick(&["1", "3", "-5", "0", "100"])],
            ),
            15 => p.n(Norm::Shape, &["SRANDMEMBER", &k]),
            16 => {
                // SPOP is random: only pop everything (unordered) or a single member.
                if g.chance(50) {
                    p.n(Norm::Unordered, &["SPOP", &k, "1000"]);
                } else {
                    p.c(&["SADD", "single", m]);
                    p.c(&["SPOP", "single"]);
                }
            }
            17 => p.c(&["SPOP", &k, g.pick(&["-1", "abc"])]),
            18 => p.n(Norm::ScanFull(2, false), &["SSCAN", &k, "0"]),
            19 => p.n(
                Norm::ScanFull(2, false),
                &["SSCAN", &k, "0", "MATCH", "[a-c]", "COUNT", "2"],
            ),
            20 => p.c(&["OBJECT", "ENCODING", &k]),
            21 => {
                // Grow past the intset / listpack limits sometimes.
                let mut argv = vec!["SADD".to_string(), k.clone()];
                let big = g.chance(30);
                for i in 0..(if big { 600 } else { 20 }) {
                    argv.push(if g.chance(50) {
                        i.to_string()
                    } else {
                        format!("m{i}")
                    });
                }
                p.cv(argv);
            }
            22 => p.c(&["SADD", &k]),
            _ => p.c(&["DEL", &k]),
        }
    }
}

fn gen_zsets(g: &mut Gen, p: &mut Plan, n: usize) {
    let members = &["a", "b", "c", "d", "e", "m1", "m2", "x"];
    let scores = &["0", "1", "-1", "2.5", "10", "-inf", "+inf", "1e2", "3", "7"];
    let ranges = &[
        "-inf", "+inf", "0", "1", "(1", "2.5", "(3", "10", "abc", "(abc",
    ];
    let lex = &["-", "+", "[a", "(b", "[c", "(m1", "a", "[x"];
    for _ in 0..n {
        let k = key(g, "z", 4);
        let m = g.pick(members);
        match g.below(32) {
            0..=3 => {
                let m2 = g.pick(members);
                p.c(&["ZADD", &k, g.pick(scores), m, g.pick(scores), m2]);
            }
            4 => p.c(&[
                "ZADD",
                &k,
                g.pick(&["NX", "XX", "GT", "LT", "CH"]),
                g.pick(scores),
                m,
            ]),
            5 => p.c(&["ZADD", &k, "INCR", g.pick(scores), m]),
            6 => p.c(&["ZADD", &k, g.pick(&["nan", "abc", ""]), m]),
            7 => p.c(&["ZADD", &k, "NX", "XX", "1", m]),
            8 => p.c(&["ZADD", &k, "1"]),
            9 => p.c(&["ZINCRBY", &k, g.pick(FLOATS), m]),
            10 => p.c(&["ZSCORE", &k, m]),
            11 => p.c(&["ZMSCORE", &k, m, "nomember"]),
            12 => p.c(&["ZCARD", &k]),
            13 => p.c(&["ZCOUNT", &k, g.pick(ranges), g.pick(ranges)]),
            14 | 15 => p.c(&[
                "ZRANGE",
                &k,
                g.pick(&["0", "1", "-1", "-3", "abc"]),
                g.pick(&["-1", "2", "0", "100"]),
                g.pick(&["WITHSCORES", "REV", "LIMIT"]),
            ]),
            16 => p.c(&[
                "ZRANGE",
                &k,
                g.pick(ranges),
                g.pick(ranges),
                "BYSCORE",
                "LIMIT",
                g.pick(&["0", "1", "-1"]),
                g.pick(&["1", "2", "-1", "0"]),
            ]),
            17 => p.c(&["ZRANGE", &k, g.pick(lex), g.pick(lex), "BYLEX"]),
            18 => p.c(&[
                g.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
                &k,
                g.pick(ranges),
                g.pick(ranges),
                "WITHSCORES",
            ]),
            19 => p.c(&[
                g.pick(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]),
                &k,
                g.pick(lex),
                g.pick(lex),
            ]),
            20 => p.c(&["ZREVRANGE", &k, "0", "-1", "WITHSCORES"]),
            21 => p.c(&[g.pick(&["ZRANK", "ZREVRANK"]), &k, m]),
            22 => {
                let m2 = g.pick(members);
                p.c(&["ZREM", &k, m, m2]);
            }
            23 => p.c(&[
                g.pick(&["ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX"]),
                &k,
                g.pick(&["0", "1", "(1", "-inf", "[a", "-"]),
                g.pick(&["1", "-1", "+inf", "(c", "+"]),
            ]),
            24 => p.c(&["ZLEXCOUNT", &k, g.pick(lex), g.pick(lex)]),
            25 => p.c(&[
                g.pick(&["ZPOPMIN", "ZPOPMAX"]),
                &k,
                g.pick(&["1", "2", "0", "-1", "abc"]),
            ]),
            26 => {
                let (k2, k3) = (key(g, "z", 4), key(g, "z", 4));
                p.c(&[
                    g.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]),
                    &k3,
                    "2",
                    &k,
                    &k2,
                ]);
            }
            27 => {
                let (k2, k3) = (key(g, "z", 4), key(g, "z", 4));
                p.c(&[
                    g.pick(&["ZUNIONSTORE", "ZINTERSTORE"]),
                    &k3,
                    "2",
                    &k,
                    &k2,
                    "WEIGHTS",
                    g.pick(&["2", "0.5", "abc"]),
                    "1",
                    "AGGREGATE",
                    g.pick(&["SUM", "MIN", "MAX", "AVG"]),
                ]);
            }
            28 => p.n(
                Norm::Shape,
                &["ZRANDMEMBER", &k, g.pick(&["1", "3", "-5", "0"])],
            ),
            29 => p.n(Norm::ScanFull(2, true), &["ZSCAN", &k, "0"]),
            30 => p.c(&["OBJECT", "ENCODING", &k]),
            _ => p.c(&["DEL", &k]),
        }
    }
}

/// Cross-family: commands on keys of the wrong type, and TYPE of each.
fn gen_wrongtype(g: &mut Gen, p: &mut Plan, n: usize) {
    p.c(&["SET", "str", "1"]);
    p.c(&["RPUSH", "list", "a", "b"]);
    p.c(&["HSET", "hash", "f", "1"]);
    p.c(&["SADD", "set", "m"]);
    p.c(&["ZADD", "zset", "1", "m"]);
    let keys = &["str", "list", "hash", "set", "zset", "missing"];
    for _ in 0..n / 4 {
        let k = g.pick(keys);
        match g.below(16) {
            0 => p.c(&["GET", k]),
            1 => p.c(&["INCR", k]),
            2 => p.c(&["APPEND", k, "x"]),
            3 => p.c(&["LPUSH", k, "x"]),
            4 => p.c(&["LRANGE", k, "0", "-1"]),
            5 => p.c(&["HGET", k, "f"]),
            6 => p.c(&["HSET", k, "f", "2"]),
            7 => p.c(&["SADD", k, "n"]),
            8 => p.n(Norm::Unordered, &["SMEMBERS", k]),
            9 => p.c(&["ZADD", k, "2", "n"]),
            10 => p.c(&["ZRANGE", k, "0", "-1"]),
            11 => p.c(&["TYPE", k]),
            12 => p.c(&["STRLEN", k]),
            13 => p.c(&["LLEN", k]),
            14 => p.n(Norm::Unordered, &["SINTER", k, "set"]),
            _ => p.c(&["ZUNIONSTORE", "dst", "2", k, "zset"]),
        }
        if k != "str" && k != "missing" && g.chance(5) {
            p.c(&["GETSET", k, "v"]);
        }
    }
}

fn gen_pubsub(g: &mut Gen, p: &mut Plan, n: usize) {
    // conn 0 publishes, conn 1 subscribes, conn 2 pattern-subscribes.
    let chans = &["news", "sport", "news.tech", "x"];
    let mut sub1: Vec<&str> = Vec::new();
    let mut sub2: Vec<&str> = Vec::new();
    for _ in 0..n / 3 {
        let ch = g.pick(chans);
        match g.below(10) {
            0 | 1 => {
                p.on(1, Norm::Exact, &["SUBSCRIBE", ch]);
                if !sub1.contains(&ch) {
                    sub1.push(ch);
                }
            }
            2 => {
                let pat = g.pick(&["news*", "*", "s?ort", "[xy]"]);
                p.on(2, Norm::Exact, &["PSUBSCRIBE", pat]);
                if !sub2.contains(&pat) {
                    sub2.push(pat);
                }
            }
            3 => {
                p.on(1, Norm::Exact, &["UNSUBSCRIBE", ch]);
                sub1.retain(|c| *c != ch);
            }
            4 | 5 => {
                let msg = g.pick(VALUES);
                p.c(&["PUBLISH", ch, msg]);
                // Every matching subscription receives one message, in order.
                if sub1.contains(&ch) {
                    p.read_push(1, 1);
                }
                let matching = sub2
                    .iter()
                    .filter(|pat| {
                        sentinel_lab::commands::glob_match(pat.as_bytes(), ch.as_bytes(), false)
                    })
                    .count();
                p.read_push(2, matching);
            }
            6 => p.n(Norm::Unordered, &["PUBSUB", "CHANNELS"]),
            7 => p.c(&["PUBSUB", "NUMSUB", ch, "nochan"]),
            8 => p.c(&["PUBSUB", "NUMPAT"]),
            _ => {
                // Commands refused in RESP2 subscribed context, and PING there.
                if sub1.is_empty() {
                    p.on(1, Norm::Exact, &["PING"]);
                } else {
                    p.on(1, Norm::Exact, &[g.pick(&["GET", "PING", "ECHO"]), "x"]);
                }
            }
        }
    }
    // UNSUBSCRIBE without arguments answers in dict order: name the channels.
    let mut argv = vec!["UNSUBSCRIBE"];
    argv.extend(sub1.iter().copied());
    p.on(1, Norm::Exact, &argv);
    p.read_push(1, sub1.len().saturating_sub(1));
    p.on(1, Norm::Exact, &["UNSUBSCRIBE"]);
    p.c(&["PUBSUB", "NUMSUB", "news", "sport"]);
}

fn gen_shard_pubsub(g: &mut Gen, p: &mut Plan, n: usize) {
    // conn 0 publishes, conn 1 shard-subscribes, conn 2 subscribes to the
    // plain channels of the same names (a namespace of their own).
    let chans = &["news", "sport", "x"];
    let mut subs: Vec<&str> = Vec::new();
    let mut plain: Vec<&str> = Vec::new();
    for _ in 0..n / 3 {
        let ch = g.pick(chans);
        match g.below(9) {
            0 | 1 => {
                p.on(1, Norm::Exact, &["SSUBSCRIBE", ch]);
                if !subs.contains(&ch) {
                    subs.push(ch);
                }
            }
            2 => {
                p.on(1, Norm::Exact, &["SUNSUBSCRIBE", ch]);
                subs.retain(|c| *c != ch);
            }
            3 => {
                p.on(2, Norm::Exact, &["SUBSCRIBE", ch]);
                if !plain.contains(&ch) {
                    plain.push(ch);
                }
            }
            4 | 5 => {
                p.c(&["SPUBLISH", ch, g.pick(VALUES)]);
                if subs.contains(&ch) {
                    p.read_push(1, 1);
                }
            }
            6 => {
                p.c(&["PUBLISH", ch, g.pick(VALUES)]);
                if plain.contains(&ch) {
                    p.read_push(2, 1);
                }
            }
            7 => p.n(
                Norm::Unordered,
                &["PUBSUB", "SHARDCHANNELS", g.pick(&["*", "n*", "x"])],
            ),
            _ => p.c(&["PUBSUB", "SHARDNUMSUB", ch, "nochan"]),
        }
    }
    let mut argv = vec!["SUNSUBSCRIBE"];
    argv.extend(subs.iter().copied());
    p.on(1, Norm::Exact, &argv);
    p.read_push(1, subs.len().saturating_sub(1));
    p.on(1, Norm::Exact, &["SUNSUBSCRIBE"]);
}

/// CLUSTER / READONLY / ASKING without cluster support, MODULE, LOLWUT,
/// LATENCY, COMMAND GETKEYSANDFLAGS, CLIENT PAUSE / TRACKING, FAILOVER and
/// MIGRATE: their replies and errors on a lone server.
fn gen_misc(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n / 4 {
        match g.below(23) {
            0 => p.c(&[
                "CLUSTER",
                g.pick(&["INFO", "help", "keyslot", "nodes", "foo", "SHARDS"]),
            ]),
            1 => p.c(&["CLUSTER", g.pick(&["INFO", "MYID"]), "extra"]),
            2 => p.c(&[g.pick(&["READONLY", "READWRITE", "ASKING"])]),
            3 => p.c(&["MODULE", g.pick(&["LIST", "HELP", "foo"])]),
            4 => p.c(&["MODULE", g.pick(&["LOAD", "UNLOAD", "LOADEX"]), "/nope"]),
            // Two rows of squares are drawn without randomness.
            5 => p.c(&[
                "LOLWUT",
                "VERSION",
                "5",
                g.pick(&["10", "30", "1", "0", "x"]),
                g.pick(&["2", "4", "1"]),
                g.pick(&["1", "2"]),
            ]),
            6 => p.c(&["LOLWUT", "VERSION", g.pick(&["7", "4", "59", "-1", "x"])]),
            7 => p.c(&["LOLWUT"]),
            8 => p.c(&["LATENCY", g.pick(&["LATEST", "HELP", "RESET", "DOCTOR"])]),
            9 => p.c(&[
                "LATENCY",
                g.pick(&["HISTORY", "GRAPH", "RESET"]),
                g.pick(&["command", "blabla"]),
            ]),
            10 => p.c(&[
                "LATENCY",
                "HISTOGRAM",
                "blabla",
                g.pick(&["zadd", "nosuch"]),
            ]),
            11 => p.c(&["LATENCY", g.pick(&["help", "latest", "foo"]), "x"]),
            12 => p.c(&[
                "COMMAND",
                "GETKEYSANDFLAGS",
                g.pick(&["sort", "get", "echo", "nosuch"]),
                "a",
                g.pick(&["store", "x"]),
                "b",
            ]),
            13 => p.c(&["COMMAND", "GETKEYSANDFLAGS", "get", "k"]),
            14 => p.c(&[
                "CLIENT",
                "PAUSE",
                g.pick(&["x", "-1", "0"]),
                g.pick(&["WRITE", "ALL", "NONE"]),
            ]),
            15 => p.c(&["CLIENT", g.pick(&["TRACKINGINFO", "GETREDIR", "UNPAUSE"])]),
            16 => p.c(&[
                "CLIENT",
                "TRACKING",
                g.pick(&["on", "off", "maybe"]),
                g.pick(&["BCAST", "OPTIN", "OPTOUT", "NOLOOP", "PREFIX", "REDIRECT"]),
                g.pick(&["a", "b:", "999"]),
            ]),
            17 => p.c(&["CLIENT", "CACHING", g.pick(&["yes", "no", "x"])]),
            18 => p.c(&[
                "FAILOVER",
                g.pick(&["ABORT", "FORCE", "TIMEOUT", "TO", "x"]),
            ]),
            19 => p.c(&[
                "FAILOVER",
                "TO",
                "127.0.0.1",
                g.pick(&["x", "1"]),
                "TIMEOUT",
                "10",
            ]),
            20 => p.c(&[
                "MIGRATE",
                "127.0.0.1",
                "1",
                g.pick(&["", "nokey"]),
                g.pick(&["0", "x"]),
                g.pick(&["10", "0", "y"]),
                g.pick(&["COPY", "KEYS", "AUTH", "FOO", "REPLACE"]),
            ]),
            21 => {
                // Containers list their subcommands in dict order: not compared.
                let cmd = g.pick(&[
                    "get",
                    "set",
                    "zadd",
                    "georadius",
                    "migrate",
                    "failover",
                    "spublish",
                    "ssubscribe",
                    "lolwut",
                    "readonly",
                    "blmpop",
                    "sort",
                    "restore",
                    "bitfield",
                    "config|get",
                    "client|tracking",
                    "latency|histogram",
                    "cluster|info",
                ]);
                p.c(&["COMMAND", g.pick(&["DOCS", "INFO"]), cmd]);
            }
            _ => {
                p.c(&["CLIENT", "TRACKING", "off"]);
                p.c(&["CLIENT", "UNPAUSE"]);
            }
        }
    }
}

fn gen_transactions(g: &mut Gen, p: &mut Plan, n: usize) {
    // conn 0 runs transactions, conn 1 interferes with WATCHed keys.
    for _ in 0..n / 8 {
        let k = key(g, "t", 3);
        match g.below(9) {
            0 => {
                p.c(&["MULTI"]);
                p.c(&["SET", &k, "1"]);
                p.c(&["INCR", &k]);
                p.c(&["LPUSH", &k, "x"]); // runtime error inside EXEC
                p.c(&["GET", &k]);
                p.c(&["EXEC"]);
            }
            1 => {
                p.c(&["MULTI"]);
                p.c(&["SET", &k]); // arity error while queueing: EXECABORT
                p.c(&["PING"]);
                p.c(&["EXEC"]);
            }
            2 => {
                p.c(&["MULTI"]);
                p.c(&["nosuchcmd", "x"]);
                p.c(&["EXEC"]);
            }
            3 => {
                p.c(&["MULTI"]);
                p.c(&["MULTI"]);
                p.c(&["ECHO", "in"]);
                p.c(&["DISCARD"]);
                p.c(&["DISCARD"]);
            }
            4 => p.c(&[g.pick(&["EXEC", "DISCARD", "UNWATCH"])]),
            5 => {
                p.c(&["WATCH", &k]);
                if g.chance(50) {
                    p.on(1, Norm::Exact, &["SET", &k, "other"]);
                }
                p.c(&["MULTI"]);
                p.c(&["INCR", &k]);
                p.c(&["EXEC"]);
            }
            6 => {
                p.c(&["WATCH", &k]);
                p.c(&["UNWATCH"]);
                p.on(1, Norm::Exact, &["SET", &k, "5"]);
                p.c(&["MULTI"]);
                p.c(&["INCR", &k]);
                p.c(&["EXEC"]);
            }
            7 => {
                p.c(&["MULTI"]);
                p.c(&["WATCH", &k]);
                p.c(&["EXEC"]);
            }
            _ => {
                p.c(&["WATCH", &k, "nokey"]);
                p.on(1, Norm::Exact, &["DEL", "nokey"]);
                p.c(&["MULTI"]);
                p.c(&["GET", &k]);
                p.c(&["EXEC"]);
            }
        }
    }
}

fn gen_server(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n / 3 {
        match g.below(16) {
            0 => p.c(&["DBSIZE"]),
            1 => p.c(&["SET", &key(g, "x", 5), "v"]),
            2 => p.c(&["FLUSHDB"]),
            3 => p.c(&["FLUSHALL", g.pick(&["SYNC", "ASYNC", "FOO"])]),
            4 => p.c(&[
                "CONFIG",
                "GET",
                g.pick(&[
                    "maxmemory",
                    "timeout",
                    "maxmemory-policy",
                    "hash-max-listpack-entries",
                    "databases",
                    "appendonly",
                    "nosuchparam",
                ]),
            ]),
            5 => p.c(&[
                "CONFIG",
                "SET",
                g.pick(&[
                    "maxmemory",
                    "timeout",
                    "nosuchparam",
                    "hz",
                    "maxmemory-policy",
                ]),
                // Not "1mb": real Redis idles just under 1 MiB, so whether
                // a write then fails with OOM depends on its client buffers.
                g.pick(&["0", "100", "abc", "-1"]),
            ]),
            6 => p.n(Norm::Shape, &["TIME"]),
            7 => p.n(
                Norm::Kind,
                &["INFO", g.pick(&["server", "keyspace", "stats"])],
            ),
            8 => p.n(Norm::Kind, &["LASTSAVE"]),
            9 => p.c(&["SWAPDB", g.pick(&["0", "1", "16", "abc"]), "1"]),
            10 => p.c(&["CONFIG", g.pick(&["FOO", "GET"])]),
            11 => p.n(Norm::Kind, &["CLIENT", "ID"]),
            12 => p.c(&["CLIENT", "SETNAME", g.pick(&["conn1", "bad name", ""])]),
            13 => p.c(&["CLIENT", "GETNAME"]),
            14 => p.c(&["SELECT", g.pick(&["0", "1"])]),
            _ => p.c(&["COMMAND", "INFO", "nosuchcommand"]),
        }
    }
}

/// OBJECT IDLETIME / FREQ under each policy family (their errors, a fresh
/// key's counter, one access), MEMORY USAGE's arguments and reply kinds.
fn gen_memory(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n / 4 {
        match g.below(10) {
            8 => p.n(Norm::Shape, &["MEMORY", "STATS"]),
            9 => p.n(Norm::Kind, &["MEMORY", "DOCTOR"]),
            0 => p.c(&[
                "CONFIG",
                "SET",
                "maxmemory-policy",
                g.pick(&["allkeys-lru", "allkeys-lfu", "volatile-lfu", "noeviction"]),
            ]),
            1 => {
                // A new key: LFU counter at its initial value; one access
                // at it always counts (above it, the coin decides).
                // (Fresh, so the counter stays where increments are certain.)
                let k = key(g, "m", 4);
                p.c(&["DEL", &k]);
                p.c(&["SET", &k, "v"]);
                p.n(
                    Norm::Near(1),
                    &["OBJECT", g.pick(&["FREQ", "IDLETIME"]), &k],
                );
                p.c(&["GET", &k]);
                p.n(
                    Norm::Near(1),
                    &["OBJECT", g.pick(&["FREQ", "IDLETIME"]), &k],
                );
            }
            2 => p.c(&["OBJECT", g.pick(&["FREQ", "IDLETIME"]), "nokey"]),
            3 => p.n(Norm::Kind, &["MEMORY", "USAGE", &key(g, "m", 4)]),
            4 => p.n(
                Norm::Kind,
                &[
                    "MEMORY",
                    "USAGE",
                    &key(g, "m", 4),
                    "SAMPLES",
                    g.pick(&["0", "5", "-1", "x"]),
                ],
            ),
            5 => p.c(&["MEMORY", "USAGE", "m1", g.pick(&["SAMPLES", "FOO"])]),
            6 => p.c(&["RPUSH", &key(g, "l", 3), "a", "bb", "ccc"]),
            _ => p.n(
                Norm::Kind,
                &["MEMORY", "USAGE", &key(g, "l", 3), "SAMPLES", "0"],
            ),
        }
    }
}

fn gen_client(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n / 4 {
        match g.below(8) {
            0 => p.c(&["AUTH", "nopass"]),
            1 => p.c(&["AUTH", "default", "x"]),
            2 => p.c(&["HELLO", g.pick(&["4", "abc", "1"])]),
            3 => p.n(Norm::Shape, &["HELLO", "2"]),
            4 => p.c(&["CLIENT", "SETNAME", "me"]),
            5 => p.c(&["CLIENT", "GETNAME"]),
            6 => p.c(&["RESET"]),
            _ => p.c(&["CLIENT", "NOSUCH"]),
        }
    }
}

fn gen_bitops(g: &mut Gen, p: &mut Plan, n: usize) {
    const OFFSETS: &[&str] = &[
        "0", "1", "7", "8", "15", "63", "64", "100", "1000", "100000",
    ];
    const BAD_OFFSETS: &[&str] = &["-1", "abc", "", "#1", "4294967296"];
    const RANGE: &[&str] = &[
        "0", "1", "2", "-1", "-2", "-5", "3", "7", "9", "17", "100", "abc",
    ];
    const TYPES: &[&str] = &[
        "u1", "u4", "u8", "i8", "i5", "u16", "i16", "i32", "u63", "i64",
    ];
    const BAD_TYPES: &[&str] = &["u64", "i65", "I8", "u0", "x", ""];
    const FIELD_OFFSETS: &[&str] = &["0", "1", "3", "8", "13", "#0", "#1", "#3"];
    const BAD_FIELD_OFFSETS: &[&str] = &["-1", "#", "x", "#-1", "4294967296"];
    const FIELD_VALUES: &[&str] = &[
        "0",
        "1",
        "-1",
        "100",
        "-100",
        "127",
        "128",
        "255",
        "256",
        "65535",
        "-129",
        "9223372036854775807",
        "-9223372036854775808",
        "x",
    ];
    // Mostly valid types and offsets, so that most BITFIELDs run.
    fn ty(g: &mut Gen) -> String {
        let pool = if g.below(10) == 0 { BAD_TYPES } else { TYPES };
        g.pick(pool).into()
    }
    fn off(g: &mut Gen) -> String {
        let pool = if g.below(10) == 0 {
            BAD_FIELD_OFFSETS
        } else {
            FIELD_OFFSETS
        };
        g.pick(pool).into()
    }
    fn field(g: &mut Gen, argv: &mut Vec<String>, ro: bool) {
        for _ in 0..1 + g.below(3) {
            match g.below(if ro { 2 } else { 7 }) {
                0 | 1 => {
                    argv.push("GET".into());
                    argv.push(ty(g));
                    argv.push(off(g));
                }
                2 | 3 => {
                    argv.push(g.pick(&["SET", "INCRBY", "incrby"]).into());
                    argv.push(ty(g));
                    argv.push(off(g));
                    argv.push(g.pick(FIELD_VALUES).into());
                }
                4 => {
                    argv.push("OVERFLOW".into());
                    argv.push(g.pick(&["WRAP", "SAT", "FAIL", "fail", "FOO"]).into());
                }
                5 => argv.push(g.pick(&["GET", "NOSUCH"]).into()),
                _ => {
                    argv.push("OVERFLOW".into());
                    argv.push(g.pick(&["WRAP", "SAT", "FAIL"]).into());
                    argv.push("INCRBY".into());
                    argv.push(g.pick(TYPES).into());
                    argv.push(g.pick(FIELD_OFFSETS).into());
                    argv.push(g.pick(FIELD_VALUES).into());
                }
            }
        }
    }
    for _ in 0..n {
        let k = key(g, "b", 5);
        match g.below(22) {
            0..=3 => {
                let offset = if g.below(8) == 0 {
                    g.pick(BAD_OFFSETS)
                } else {
                    g.pick(OFFSETS)
                };
                let bit = if g.below(8) == 0 {
                    g.pick(&["2", "-1", "x"])
                } else {
                    g.pick(&["0", "1"])
                };
                p.c(&["SETBIT", &k, offset, bit]);
            }
            4 | 5 => {
                let offset = if g.below(8) == 0 {
                    g.pick(BAD_OFFSETS)
                } else {
                    g.pick(OFFSETS)
                };
                p.c(&["GETBIT", &k, offset]);
            }
            6 => p.c(&["BITCOUNT", &k]),
            7 => p.c(&["BITCOUNT", &k, g.pick(RANGE), g.pick(RANGE)]),
            8 => p.c(&[
                "BITCOUNT",
                &k,
                g.pick(RANGE),
                g.pick(RANGE),
                g.pick(&["BIT", "byte", "BYTE", "bit", "FOO"]),
            ]),
            9 => p.c(&["BITCOUNT", &k, g.pick(RANGE)]),
            10 => p.c(&["BITPOS", &k, g.pick(&["0", "1", "1", "0", "2", "x"])]),
            11 => p.c(&["BITPOS", &k, g.pick(&["0", "1"]), g.pick(RANGE)]),
            12 => p.c(&[
                "BITPOS",
                &k,
                g.pick(&["0", "1"]),
                g.pick(RANGE),
                g.pick(RANGE),
            ]),
            13 | 14 => p.c(&[
                "BITPOS",
                &k,
                g.pick(&["0", "1"]),
                g.pick(RANGE),
                g.pick(RANGE),
                g.pick(&["BIT", "BYTE", "bit", "x"]),
            ]),
            15 | 16 => {
                let mut argv: Vec<String> = vec![
                    "BITOP".into(),
                    g.pick(&["AND", "OR", "XOR", "NOT", "not", "NAND"]).into(),
                    key(g, "b", 5),
                ];
                for _ in 0..1 + g.below(3) {
                    argv.push(key(g, "b", 6));
                }
                p.cv(argv);
            }
            17 | 18 => {
                let mut argv = vec!["BITFIELD".to_string(), k];
                field(g, &mut argv, false);
                p.cv(argv);
            }
            19 => {
                let mut argv = vec!["BITFIELD_RO".to_string(), k];
                let only_gets = g.below(2) == 0;
                field(g, &mut argv, only_gets);
                p.cv(argv);
            }
            20 => p.c(&[
                "SET",
                &k,
                g.pick(&["foobar", "", "\u{ff}\x01", "1", "12345", "a b"]),
            ]),
            _ => match g.below(5) {
                0 => p.c(&["LPUSH", &k, "x"]),
                1 | 2 => p.c(&["DEL", &k]),
                3 => p.c(&["GET", &k]),
                _ => p.c(&["STRLEN", &k]),
            },
        }
    }
}

// ---------------------------------------------------------------------------

/// HyperLogLog: every write is followed now and then by a GET of the raw
/// string, so the sparse and dense representations (opcodes, promotion,
/// cached cardinality) are compared byte for byte; corrupted HLLs are made
/// with SETRANGE / APPEND.
fn gen_hyperloglog(g: &mut Gen, p: &mut Plan, n: usize) {
    for _ in 0..n {
        let k = key(g, "h", 5);
        match g.below(24) {
            0..=4 => {
                let mut argv = vec!["PFADD".to_string(), k.clone()];
                let count = [0, 1, 3, 20, 150, 600][g.below(6)];
                for _ in 0..count {
                    argv.push(match g.below(4) {
                        0 => g.pick(VALUES).to_string(),
                        _ => format!("e{}", g.below(100_000)),
                    });
                }
                p.cv(argv);
            }
            5..=7 => p.c(&["GET", &k]),
            8 | 9 => p.c(&["PFCOUNT", &k]),
            10 => {
                let (k2, k3) = (key(g, "h", 6), key(g, "h", 6));
                p.c(&["PFCOUNT", &k, &k2, &k3]);
            }
            11 | 12 => {
                let mut argv = vec!["PFMERGE".to_string(), k.clone()];
                for _ in 0..g.below(3) {
                    argv.push(key(g, "h", 6));
                }
                p.cv(argv);
            }
            13 => p.c(&[
                "PFDEBUG",
                g.pick(&["ENCODING", "DECODE", "TODENSE", "encoding", "nosuch"]),
                &k,
            ]),
            14 => p.c(&["PFDEBUG", "GETREG", &k]),
            15 => p.c(&["PFDEBUG", "ENCODING"]),
            16 => p.c(&[
                "CONFIG",
                "SET",
                "hll-sparse-max-bytes",
                g.pick(&["0", "40", "300", "3000", "20000"]),
            ]),
            17 => {
                let at = g.pick(&["0", "4", "15", "16", "17", "40", "1000", "12303"]);
                let byte = g.pick(&["\u{0}", "\u{7f}", "x", "\u{40}", "\u{1}"]);
                p.c(&["SETRANGE", &k, at, byte]);
            }
            18 => p.c(&["APPEND", &k, g.pick(&["\u{80}", "\u{0}", "hello"])]),
            19 => p.c(&["SET", &k, g.pick(&["bar", "HYLL", "1"])]),
            20 => p.c(&["DEL", &k]),
            21 => p.c(&["STRLEN", &k]),
            22 => p.c(&["OBJECT", "ENCODING", &k]),
            _ => p.c(&["PFADD", &k]),
        }
    }
}

/// A longitude / latitude near one of a few centres (so searches find
/// something), anywhere, on an edge, or not a valid coordinate at all.
fn geo_point(g: &mut Gen) -> (String, String) {
    const CENTRES: &[(f64, f64)] = &[(13.36, 38.11), (-73.98, 40.75), (0.0, 0.0), (179.9, -84.9)];
    match g.below(10) {
        0..=5 => {
            let (lon, lat) = CENTRES[g.below(CENTRES.len())];
            let jitter = |g: &mut Gen| (g.below(200_001) as f64 - 100_000.0) / 100_000.0;
            let lon = (lon + jitter(g)).clamp(-180.0, 180.0);
            let lat = (lat + jitter(g)).clamp(-85.0, 85.0);
            (format!("{lon:.6}"), format!("{lat:.6}"))
        }
        6 | 7 => (
            format!("{:.4}", g.below(3_600_001) as f64 / 10_000.0 - 180.0),
            format!("{:.4}", g.below(1_700_001) as f64 / 10_000.0 - 85.0),
        ),
        8 => (
            g.pick(&["180", "-180", "0", "-0", "179.99999999"])
                .to_string(),
            g.pick(&["85.05112878", "-85.05112878", "0", "85", "-85.05"])
                .to_string(),
        ),
        _ => (
            g.pick(&["181", "abc", "13.36", "inf", "", "-180.0001"])
                .to_string(),
            g.pick(&["86", "38.1", "nan", "-85.06", "1e400"])
                .to_string(),
        ),
    }
}

fn gen_geo(g: &mut Gen, p: &mut Plan, n: usize) {
    let members = &["a", "b", "c", "d", "e", "f", "g", "h", "same1", "same2"];
    let units = &["m", "km", "ft", "mi", "KM", "M", "yd"];
    let radii = &[
        "0", "1", "500", "10", "100", "5000", "20000", "-1", "abc", "0.5",
    ];
    let sizes = &["0", "1", "200", "50", "400", "20000", "-2", "x"];
    let withs = &["WITHCOORD", "WITHDIST", "WITHHASH", "ASC", "DESC", "ANY"];
    for _ in 0..n {
        let k = key(g, "g", 3);
        let m = g.pick(members);
        // The options of a search, in any order, sometimes odd ones.
        let opts = |g: &mut Gen, store: bool| -> Vec<String> {
            let mut v = Vec::new();
            for _ in 0..g.below(4) {
                match g.below(8) {
                    0 | 1 => {
                        v.push("COUNT".into());
                        v.push(g.pick(&["1", "2", "3", "5", "0", "-1", "x"]).into());
                    }
                    2 if store => {
                        v.push(g.pick(&["STORE", "STOREDIST"]).into());
                        v.push(key(g, "g", 4));
                    }
                    3 => v.push(g.pick(&["ASC", "DESC"]).into()),
                    _ => v.push(g.pick(withs).into()),
                }
            }
            v
        };
        let from = |g: &mut Gen| -> Vec<String> {
            if g.chance(50) {
                vec!["FROMMEMBER".into(), g.pick(members).into()]
            } else {
                let (lon, lat) = geo_point(g);
                vec!["FROMLONLAT".into(), lon, lat]
            }
        };
        let by = |g: &mut Gen| -> Vec<String> {
            if g.chance(50) {
                vec![
                    "BYRADIUS".into(),
                    g.pick(radii).into(),
                    g.pick(units).into(),
                ]
            } else {
                vec![
                    "BYBOX".into(),
                    g.pick(sizes).into(),
                    g.pick(sizes).into(),
                    g.pick(units).into(),
                ]
            }
        };
        match g.below(30) {
            0..=5 => {
                let mut v: Vec<String> = vec!["GEOADD".into(), k.clone()];
                if g.chance(20) {
                    v.push(g.pick(&["NX", "XX", "CH", "nx", "ch"]).into());
                }
                for _ in 0..1 + g.below(3) {
                    let (lon, lat) = geo_point(g);
                    v.extend([lon, lat, g.pick(members).into()]);
                }
                if g.chance(3) {
                    v.push("extra".into());
                }
                p.cv(v);
            }
            6 => {
                // Two members at one place: ties in distance.
                let (lon, lat) = geo_point(g);
                p.cv(vec![
                    "GEOADD".into(),
                    k,
                    lon.clone(),
                    lat.clone(),
                    "same1".into(),
                    lon,
                    lat,
                    "same2".into(),
                ]);
            }
            7 if g.chance(50) => {
                // Many members on a few points: COUNT's partial sort meets ties.
                let mut v: Vec<String> = vec!["GEOADD".into(), "gc".into()];
                for i in 0..20 + g.below(30) {
                    let spot = g.below(4) as f64;
                    v.extend([
                        format!("{}", 13.0 + spot * 0.01),
                        format!("{}", 38.0 + spot * 0.005),
                        format!("p{i}"),
                    ]);
                }
                p.cv(v);
                let count = g.below(40) + 1;
                p.cv(vec![
                    "GEOSEARCH".into(),
                    "gc".into(),
                    "FROMLONLAT".into(),
                    "13".into(),
                    "38".into(),
                    "BYRADIUS".into(),
                    "50".into(),
                    "km".into(),
                    g.pick(&["ASC", "DESC"]).into(),
                    "COUNT".into(),
                    count.to_string(),
                ]);
            }
            7 => p.c(&[
                "ZADD",
                &k,
                g.pick(&["-1", "1e20", "4503599627370496", "12345", "-inf"]),
                m,
            ]),
            8 | 9 => p.c(&["GEOPOS", &k, m, g.pick(members), "nomember"]),
            10 => p.c(&["GEOHASH", &k, m, g.pick(members)]),
            11 | 12 => {
                let mut v = vec!["GEODIST", &k, m, g.pick(members)];
                if g.chance(70) {
                    v.push(g.pick(units));
                }
                if g.chance(5) {
                    v.push("extra");
                }
                p.c(&v);
            }
            13..=17 => {
                let mut v: Vec<String> = vec!["GEOSEARCH".into(), k.clone()];
                if g.chance(95) {
                    v.extend(from(g));
                }
                if g.chance(95) {
                    v.extend(by(g));
                }
                if g.chance(5) {
                    v.extend(from(g));
                }
                v.extend(opts(g, false));
                if g.chance(50) {
                    let w = g.below(v.len() - 1) + 2;
                    let last = v.len() - 1;
                    v.swap(w.min(last), last);
                }
                p.cv(v);
            }
            18 | 19 => {
                let mut v: Vec<String> = vec!["GEOSEARCHSTORE".into(), key(g, "g", 4), k.clone()];
                v.extend(from(g));
                v.extend(by(g));
                v.extend(opts(g, false));
                if g.chance(40) {
                    v.push("STOREDIST".into());
                }
                p.cv(v);
            }
            20..=22 => {
                let (lon, lat) = geo_point(g);
                let cmd = g.pick(&["GEORADIUS", "GEORADIUS_RO"]);
                let mut v: Vec<String> = vec![
                    cmd.into(),
                    k.clone(),
                    lon,
                    lat,
                    g.pick(radii).into(),
                    g.pick(units).into(),
                ];
                v.extend(opts(g, cmd == "GEORADIUS"));
                p.cv(v);
            }
            23..=25 => {
                let cmd = g.pick(&["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]);
                let mut v: Vec<String> = vec![
                    cmd.into(),
                    k.clone(),
                    m.into(),
                    g.pick(radii).into(),
                    g.pick(units).into(),
                ];
                v.extend(opts(g, cmd == "GEORADIUSBYMEMBER"));
                p.cv(v);
            }
            26 => {
                let k2 = key(g, "g", 4);
                p.c(&["ZRANGE", &k2, "0", "-1", "WITHSCORES"]);
            }
            27 => p.n(Norm::Shape, &["HELLO", g.pick(&["2", "3"])]),
            28 => p.c(&["SET", "g3", "string"]),
            _ => p.c(&["DEL", &k]),
        }
    }
}

/// DUMP payloads Redis 7.0.15 wrote (hex): a quicklist of a listpack, a
/// listpack hash, an intset, a plain set, a listpack zset, an int-encoded
/// and an LZF-compressed string.
const REAL_PAYLOADS: &[&str] = &[
    "120102121200000004008161028162020301dff902ff0a005e2fd9ee1f1501c9",
    "1012120000000400816602817602816e020c01ff0a0001369481d35b8974",
    "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b",
    "0202017901780a000cdf6b3db330bcf0",
    "111414000000040081610283312e35048162020201ff0a00fa02b425af188763",
    "00c139300a009d94ea2793fc08b9",
    "00c30928016161e01b000161610a00cf092faaae25831d",
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Elements sorted: mostly numbers, some words (ALPHA, and the
/// "can't be converted into double" error without it). Nothing overflows a
/// double: after an ERANGE, Redis's stale `errno` fails later numeric SORTs
/// on the same connection until some system call resets it.
const SORT_ELEMS: &[&str] = &[
    "1", "2", "3", "10", "-1", "1.5", "0", "007", "2.0", "1e2", "a", "b", "B", "ab", "", "0x1A",
];

/// SORT / SORT_RO with random options on one of the list (l*), set (s*) or
/// sorted set (z*) keys, and how its reply may be compared: ALPHA with a BY
/// pattern leaves ties in qsort's hands (stable only for a whole list), an
/// unsorted set comes in its hash order.
fn sort_step(g: &mut Gen, p: &mut Plan, readonly: bool) {
    let k = g.pick(&["l0", "l1", "st0", "st1", "z0", "nokey", "w_1"]);
    let mut argv = vec![
        if readonly { "SORT_RO" } else { "SORT" }.to_string(),
        k.to_string(),
    ];
    let by = g
        .chance(50)
        .then(|| g.pick(&["w_*", "h_*->f", "nosort", "missing_*", "w_*->"]));
    if let Some(b) = by {
        argv.extend(["BY".to_string(), b.to_string()]);
    }
    for _ in 0..g.below(3) {
        argv.extend([
            "GET".to_string(),
            g.pick(&["#", "w_*", "h_*->f", "const", "h_*->"])
                .to_string(),
        ]);
    }
    let limit = g.chance(30);
    if limit {
        argv.extend([
            "LIMIT".to_string(),
            g.pick(&["0", "1", "-2", "3", "100", "x"]).to_string(),
            g.pick(&["0", "2", "-1", "5", "100"]).to_string(),
        ]);
    }
    let alpha = g.chance(40);
    if alpha {
        argv.push("ALPHA".into());
    }
    if g.chance(30) {
        argv.push(g.pick(&["ASC", "DESC"]).into());
    }
    let store = g.chance(25);
    if store {
        argv.extend(["STORE".to_string(), "dst".to_string()]);
    }
    if g.chance(3) {
        argv.push(g.pick(&["LIMIT", "BOGUS", "GET"]).into());
    }
    let pattern = by.is_some_and(|b| b.contains('*'));
    let set = k.starts_with("st");
    let ties = alpha && pattern && (limit || !k.starts_with('l'));
    let hash_order = set && !pattern && by.is_some() && !store;
    let norm = match (ties || hash_order, limit) {
        (false, _) => Norm::Exact,
        (true, false) => Norm::Unordered,
        (true, true) => Norm::Shape,
    };
    p.on(
        0,
        norm,
        &argv.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    );
    if store && !readonly {
        p.n(norm, &["LRANGE", "dst", "0", "-1"]);
        if norm != Norm::Exact {
            // Its order is not for later steps to compare.
            p.c(&["DEL", "dst"]);
        }
    }
}

fn gen_sort_dump(g: &mut Gen, p: &mut Plan, n: usize) {
    let mut ours_payloads: Vec<Vec<u8>> = Vec::new();
    for i in 0..n {
        match g.below(24) {
            0..=2 => {
                let k = key(g, "l", 2);
                let e: Vec<&str> = (0..1 + g.below(3)).map(|_| g.pick(SORT_ELEMS)).collect();
                let mut argv = vec![g.pick(&["RPUSH", "LPUSH"]), &k];
                argv.extend(e);
                p.c(&argv);
            }
            3 | 4 => {
                let k = key(g, "st", 2);
                p.c(&["SADD", &k, g.pick(SORT_ELEMS), g.pick(SORT_ELEMS)]);
            }
            5 => p.c(&[
                "ZADD",
                "z0",
                g.pick(&["1", "2", "-3", "2.5", "inf"]),
                g.pick(SORT_ELEMS),
            ]),
            6 => p.c(&[
                "SET",
                &format!("w_{}", g.pick(SORT_ELEMS)),
                g.pick(&["1", "5", "-2", "3.5", "x", ""]),
            ]),
            7 => p.c(&[
                "HSET",
                &format!("h_{}", g.pick(SORT_ELEMS)),
                "f",
                g.pick(&["4", "0", "-1", "9.5", "zz"]),
            ]),
            8..=14 => sort_step(g, p, false),
            15 | 16 => sort_step(g, p, true),
            17 => p.n(
                Norm::Kind,
                &["DUMP", g.pick(&["l0", "st0", "z0", "nokey", "w_1", "dst"])],
            ),
            18 => p.c(&["DUMP", g.pick(&["w_1", "w_2", "w_a", "w_"])]),
            19 | 20 => {
                // Real's payloads and ours (built from values like them).
                if ours_payloads.is_empty() {
                    ours_payloads = sentinel_payloads();
                }
                let payload = if g.chance(50) {
                    unhex(g.pick(REAL_PAYLOADS))
                } else {
                    ours_payloads[g.below(ours_payloads.len())].clone()
                };
                let k = format!("r{}", g.below(3));
                let mut argv: Vec<Vec<u8>> = vec![b"RESTORE".to_vec(), k.clone().into_bytes()];
                argv.push(g.pick(&["0", "0", "100000", "-5", "x"]).into());
                argv.push(payload);
                for _ in 0..g.below(3) {
                    match g.below(5) {
                        0 => argv.push(b"REPLACE".to_vec()),
                        1 => argv.extend([b"IDLETIME".to_vec(), g.pick(&["10", "-1", "x"]).into()]),
                        2 => argv.extend([b"FREQ".to_vec(), g.pick(&["10", "256", "-1"]).into()]),
                        3 => argv.push(b"ABSTTL".to_vec()),
                        _ => argv.push(b"NOPE".to_vec()),
                    }
                }
                p.steps.push(Step {
                    conn: 0,
                    argv,
                    norm: Norm::Exact,
                    reads: 1,
                });
                p.c(&["TYPE", &k]);
                p.n(Norm::Near(1), &["TTL", &k]);
            }
            21 => {
                let k = format!("r{}", g.below(3));
                match g.below(5) {
                    0 => p.c(&["LRANGE", &k, "0", "-1"]),
                    1 => p.n(Norm::UnorderedPairs, &["HGETALL", &k]),
                    2 => p.n(Norm::Unordered, &["SMEMBERS", &k]),
                    3 => p.c(&["ZRANGE", &k, "0", "-1", "WITHSCORES"]),
                    _ => p.c(&["GET", &k]),
                }
            }
            22 => {
                // Broken payloads: short, bad checksum, newer version.
                let k = format!("r{}", g.below(3));
                let mut bad = unhex(g.pick(REAL_PAYLOADS));
                match g.below(3) {
                    0 => bad.truncate(g.below(10)),
                    1 => *bad.last_mut().expect("payload") ^= 0x40,
                    _ => {
                        let n = bad.len();
                        bad[n - 10] = 11;
                    }
                }
                p.steps.push(Step {
                    conn: 0,
                    argv: vec![
                        b"RESTORE".to_vec(),
                        k.into_bytes(),
                        b"0".to_vec(),
                        bad,
                        b"REPLACE".to_vec(),
                    ],
                    norm: Norm::Exact,
                    reads: 1,
                });
            }
            _ => {
                if i % 7 == 0 {
                    p.c(&["DEL", "l0", "st0", "dst"]);
                } else {
                    p.c(&[
                        "COMMAND",
                        "GETKEYS",
                        "SORT",
                        "l0",
                        g.pick(&["STORE", "LIMIT", "GET"]),
                        "d",
                        "STORE",
                        g.pick(&["e", "BY"]),
                    ]);
                }
            }
        }
    }
}

/// Stream IDs for a generator: a clock that moves on, plus forms that
/// provoke errors (too small, 0-0, malformed, the specials).
fn stream_id(g: &mut Gen, clock: &mut u64) -> String {
    match g.below(12) {
        0..=4 => {
            *clock += 1 + g.below(3) as u64;
            format!("{clock}-{}", g.below(3))
        }
        5 => format!("{clock}-*"),
        6 => {
            *clock += 1;
            format!("{clock}")
        }
        7 => format!("{}-{}", clock.saturating_sub(g.below(4) as u64), g.below(2)),
        8 => g
            .pick(&[
                "0-0",
                "1-1",
                "abc",
                "-",
                "+",
                "5-x",
                "18446744073709551615-18446744073709551615",
            ])
            .to_string(),
        _ => format!("{}-0", clock.saturating_sub(g.below(10) as u64)),
    }
}

/// An ID already in the past of `clock` (for ranges, XDEL, claims).
fn past_id(g: &mut Gen, clock: u64) -> String {
    match g.below(8) {
        0 => g
            .pick(&["-", "+", "0", "(0", "abc", "(", "0-0"])
            .to_string(),
        1 => format!("({}", clock.saturating_sub(g.below(20) as u64)),
        _ => format!(
            "{}-{}",
            clock.saturating_sub(g.below(20) as u64),
            g.below(3)
        ),
    }
}

fn gen_streams(g: &mut Gen, p: &mut Plan, n: usize) {
    let fields = &["f", "g", "n", "text", "f2"];
    let values = &["1", "v", "-5", "12345678901", "hello world", "", "007"];
    let mut clock: u64 = 1000;
    p.c(&["SET", "sxstr", "x"]);
    for _ in 0..n {
        let k = if g.below(10) == 0 {
            "sxstr".to_string()
        } else {
            key(g, "sx", 2)
        };
        let grp = key(g, "g", 2);
        let cons = key(g, "c", 3);
        match g.below(34) {
            0..=6 => {
                let mut argv: Vec<String> = vec!["XADD".into(), k.clone()];
                if g.below(8) == 0 {
                    argv.push("NOMKSTREAM".into());
                }
                match g.below(10) {
                    0 => argv.extend([
                        "MAXLEN".into(),
                        g.pick(&["~", "=", "5"]).into(),
                        g.pick(&["3", "5", "0", "-1", "x"]).into(),
                    ]),
                    1 => argv.extend([
                        "MINID".into(),
                        g.pick(&["~", "="]).into(),
                        past_id(g, clock),
                    ]),
                    2 => argv.extend([
                        "MAXLEN".into(),
                        "~".into(),
                        "2".into(),
                        "LIMIT".into(),
                        g.pick(&["1", "0", "100", "-1"]).into(),
                    ]),
                    3 => argv.extend(["MAXLEN".into(), "2".into(), "MINID".into(), "1".into()]),
                    _ => {}
                }
                argv.push(stream_id(g, &mut clock));
                let pairs = if g.below(15) == 0 { 0 } else { 1 + g.below(2) };
                for _ in 0..pairs {
                    argv.push(g.pick(fields).into());
                    argv.push(g.pick(values).into());
                }
                if g.below(20) == 0 {
                    argv.push("dangling".into());
                }
                p.cv(argv);
            }
            7 | 8 => {
                let cmd = g.pick(&["XRANGE", "XREVRANGE"]);
                let (a, b) = (past_id(g, clock), past_id(g, clock));
                let mut argv = vec![cmd.to_string(), k.clone(), a, b];
                if g.below(2) == 0 {
                    argv.extend(["COUNT".into(), g.pick(&["1", "2", "0", "-1", "x"]).into()]);
                }
                p.cv(argv);
            }
            9 => p.c(&["XLEN", &k]),
            10 => {
                let (a, b) = (past_id(g, clock), past_id(g, clock));
                p.cv(vec!["XDEL".into(), k.clone(), a, b]);
            }
            11 => {
                let mut argv: Vec<String> = vec!["XTRIM".into(), k.clone()];
                match g.below(5) {
                    0 => argv.extend(["MAXLEN".into(), g.pick(&["3", "0", "~"]).into()]),
                    1 => argv.extend(["MAXLEN".into(), "~".into(), g.pick(&["1", "4"]).into()]),
                    2 => argv.extend(["MINID".into(), past_id(g, clock)]),
                    3 => argv.extend([
                        "MINID".into(),
                        "~".into(),
                        past_id(g, clock),
                        "LIMIT".into(),
                        "1".into(),
                    ]),
                    _ => argv.push(g.pick(&["FOO", "LIMIT"]).into()),
                }
                p.cv(argv);
            }
            12 | 13 => {
                let mut argv: Vec<String> = vec!["XREAD".into()];
                if g.below(2) == 0 {
                    argv.extend(["COUNT".into(), g.pick(&["1", "3", "0", "x"]).into()]);
                }
                argv.push("STREAMS".into());
                let both = g.below(2) == 0;
                argv.push(k.clone());
                if both {
                    argv.push(key(g, "sx", 2));
                }
                for _ in 0..(1 + both as usize) {
                    argv.push(match g.below(4) {
                        0 => "$".into(),
                        1 => ">".into(),
                        _ => past_id(g, clock),
                    });
                }
                p.cv(argv);
            }
            14..=16 => {
                let mut argv: Vec<String> = vec![
                    "XREADGROUP".into(),
                    "GROUP".into(),
                    grp.clone(),
                    cons.clone(),
                ];
                if g.below(2) == 0 {
                    argv.extend(["COUNT".into(), g.pick(&["1", "2", "0"]).into()]);
                }
                if g.below(4) == 0 {
                    argv.push("NOACK".into());
                }
                argv.extend(["STREAMS".into(), k.clone()]);
                argv.push(match g.below(5) {
                    0 => "0".into(),
                    1 => "$".into(),
                    _ => ">".into(),
                });
                p.cv(argv);
            }
            17 | 18 => {
                let argv: Vec<String> = match g.below(7) {
                    0 => vec![
                        "XGROUP".into(),
                        "CREATE".into(),
                        k.clone(),
                        grp.clone(),
                        g.pick(&["$", "0", "abc"]).into(),
                        "MKSTREAM".into(),
                    ],
                    1 => vec![
                        "XGROUP".into(),
                        "CREATE".into(),
                        k.clone(),
                        grp.clone(),
                        past_id(g, clock),
                        "ENTRIESREAD".into(),
                        g.pick(&["1", "-1", "-2", "x"]).into(),
                    ],
                    2 => vec![
                        "XGROUP".into(),
                        "SETID".into(),
                        k.clone(),
                        grp.clone(),
                        g.pick(&["$", "0"]).into(),
                    ],
                    3 => vec!["XGROUP".into(), "DESTROY".into(), k.clone(), grp.clone()],
                    4 => vec![
                        "XGROUP".into(),
                        "CREATECONSUMER".into(),
                        k.clone(),
                        grp.clone(),
                        cons.clone(),
                    ],
                    5 => vec![
                        "XGROUP".into(),
                        "DELCONSUMER".into(),
                        k.clone(),
                        grp.clone(),
                        cons.clone(),
                    ],
                    _ => vec!["XGROUP".into(), g.pick(&["HELP", "FOO", "CREATE"]).into()],
                };
                p.cv(argv);
            }
            19 => {
                let (a, b) = (past_id(g, clock), past_id(g, clock));
                p.cv(vec!["XACK".into(), k.clone(), grp.clone(), a, b]);
            }
            20 => p.c(&["XPENDING", &k, &grp]),
            21 => {
                let mut argv: Vec<String> = vec!["XPENDING".into(), k.clone(), grp.clone()];
                if g.below(3) == 0 {
                    argv.extend(["IDLE".into(), g.pick(&["0", "100000", "x"]).into()]);
                }
                argv.extend([
                    past_id(g, clock),
                    past_id(g, clock),
                    g.pick(&["10", "1", "-1"]).into(),
                ]);
                if g.below(2) == 0 {
                    argv.push(cons.clone());
                }
                // Idle times are the servers' clocks.
                let v: Vec<&str> = argv.iter().map(|s| s.as_str()).collect();
                p.n(Norm::Shape, &v);
            }
            22 | 23 => {
                let mut argv: Vec<String> = vec![
                    "XCLAIM".into(),
                    k.clone(),
                    grp.clone(),
                    cons.clone(),
                    g.pick(&["0", "100000", "x"]).into(),
                ];
                argv.push(past_id(g, clock));
                if g.below(2) == 0 {
                    argv.push(past_id(g, clock));
                }
                for opt in ["JUSTID", "FORCE"] {
                    if g.below(3) == 0 {
                        argv.push(opt.into());
                    }
                }
                if g.below(4) == 0 {
                    argv.extend(["RETRYCOUNT".into(), g.pick(&["3", "x"]).into()]);
                }
                if g.below(6) == 0 {
                    argv.extend(["LASTID".into(), past_id(g, clock)]);
                }
                if g.below(10) == 0 {
                    argv.push("BOGUS".into());
                }
                p.cv(argv);
            }
            24 => {
                let mut argv: Vec<String> = vec![
                    "XAUTOCLAIM".into(),
                    k.clone(),
                    grp.clone(),
                    cons.clone(),
                    g.pick(&["0", "100000", "x"]).into(),
                    past_id(g, clock),
                ];
                if g.below(2) == 0 {
                    argv.extend(["COUNT".into(), g.pick(&["1", "2", "0", "x"]).into()]);
                }
                if g.below(3) == 0 {
                    argv.push("JUSTID".into());
                }
                p.cv(argv);
            }
            25 => {
                let mut argv: Vec<String> =
                    vec!["XSETID".into(), k.clone(), past_id(g, clock + 50)];
                if g.below(3) == 0 {
                    argv.extend(["ENTRIESADDED".into(), g.pick(&["100", "0", "-1"]).into()]);
                }
                if g.below(3) == 0 {
                    argv.extend(["MAXDELETEDID".into(), past_id(g, clock)]);
                }
                p.cv(argv);
            }
            26 | 27 => p.c(&["XINFO", "STREAM", &k]),
            28 => p.c(&["XINFO", "GROUPS", &k]),
            29 => p.n(Norm::Shape, &["XINFO", "CONSUMERS", &k, &grp]),
            30 => p.n(
                Norm::Shape,
                &["XINFO", "STREAM", &k, "FULL", "COUNT", g.pick(&["0", "2"])],
            ),
            31 => p.c(&["XINFO", g.pick(&["HELP", "FOO", "STREAM"]), &k, "x"]),
            // Streams only: a string's figure is another family's estimate.
            32 => p.c(&["MEMORY", "USAGE", &key(g, "sx", 2)]),
            _ => p.c(&[
                g.pick(&["TYPE", "OBJECT", "EXISTS"]),
                if g.below(2) == 0 { "ENCODING" } else { &k },
                &k,
            ]),
        }
    }
}

/// Payloads as our DUMP writes them, for the plan's RESTOREs.
fn sentinel_payloads() -> Vec<Vec<u8>> {
    use sentinel_lab::keyspace::{Dict, Value, ZSet};
    use sentinel_lab::rdb::payload;
    let b = |s: &str| bytes::Bytes::copy_from_slice(s.as_bytes());
    let mut h = Dict::new();
    h.insert(b("f"), b("v"));
    let mut st = Dict::new();
    st.insert(b("x"), ());
    st.insert(b("7"), ());
    let mut z = ZSet::new();
    z.insert(b("m"), -2.5);
    [
        Value::Str(b("hello").into()),
        Value::Str(b(&"ab".repeat(40)).into()),
        Value::List(vec![b("1"), b("x"), b("")].into()),
        Value::Hash(sentinel_lab::keyspace::HashValue::from_dict(h)),
        Value::Set(sentinel_lab::keyspace::SetValue::from_dict(st)),
        Value::ZSet(z),
    ]
    .iter()
    .map(|v| payload::dump(v, true))
    .collect()
}

#[test]
fn diff_shard_pubsub() {
    check("shard_pubsub", 3, gen_shard_pubsub);
}

#[test]
fn diff_misc() {
    check("misc", 1, gen_misc);
}

#[test]
fn diff_connection() {
    check("connection", 1, gen_connection);
}

#[test]
fn diff_strings() {
    check("strings", 1, gen_strings);
}

#[test]
fn diff_keys() {
    check("keys", 1, gen_keys);
}

#[test]
fn diff_lists() {
    check("lists", 1, gen_lists);
}

#[test]
fn diff_hashes() {
    check("hashes", 1, gen_hashes);
}

#[test]
fn diff_sets() {
    check("sets", 1, gen_sets);
}

#[test]
fn diff_zsets() {
    check("zsets", 1, gen_zsets);
}

#[test]
fn diff_wrongtype() {
    check("wrongtype", 1, gen_wrongtype);
}

#[test]
fn diff_pubsub() {
    check("pubsub", 3, gen_pubsub);
}

#[test]
fn diff_transactions() {
    check("transactions", 2, gen_transactions);
}

#[test]
fn diff_server() {
    check("server", 1, gen_server);
}

#[test]
fn diff_memory() {
    check("memory", 1, gen_memory);
}

#[test]
fn diff_client() {
    check("client", 1, gen_client);
}

#[test]
fn diff_bitops() {
    check("bitops", 1, gen_bitops);
}

#[test]
fn diff_hyperloglog() {
    check("hyperloglog", 1, gen_hyperloglog);
}

/// Streams: every command's replies and errors, consumer groups and their
/// PELs, trimming (exact and approximate) and the 7.0 counters.
#[test]
fn diff_streams() {
    check("streams", 1, gen_streams);
}

#[test]
fn diff_geo() {
    check("geo", 1, gen_geo);
}

/// SORT / SORT_RO and DUMP / RESTORE, then payloads carried between the two
/// servers both ways: a DUMP by real Redis RESTOREs in ours and one by ours
/// in real Redis, every type, compact and large encodings, same contents.
#[test]
fn diff_sort_dump() {
    check("sort_dump", 1, gen_sort_dump);

    let real = start_real(&[]);
    let ours = start_ours(&["--save", ""]);
    let (mut rc, mut oc) = (real.connect(), ours.connect());
    let many = |n: usize, f: &dyn Fn(usize) -> Vec<String>| -> Vec<String> {
        (0..n).flat_map(f).collect()
    };
    let writes: Vec<Vec<String>> = vec![
        [
            vec!["RPUSH".into(), "list".into()],
            many(1000, &|i| {
                vec![if i % 3 == 0 {
                    i.to_string()
                } else {
                    format!("item {i}")
                }]
            }),
        ]
        .concat(),
        vec![
            "RPUSH".into(),
            "small_list".into(),
            "a".into(),
            "12".into(),
            "-7".into(),
        ],
        [
            vec!["HSET".into(), "hash".into()],
            many(300, &|i| vec![format!("f{i}"), format!("v{}", i * 7)]),
        ]
        .concat(),
        vec![
            "HSET".into(),
            "small_hash".into(),
            "f".into(),
            "v".into(),
            "n".into(),
            "12".into(),
        ],
        [
            vec!["SADD".into(), "intset".into()],
            many(100, &|i| vec![(i as i64 * 37 - 1000).to_string()]),
        ]
        .concat(),
        [
            vec!["SADD".into(), "set".into()],
            many(300, &|i| vec![format!("m{i}")]),
        ]
        .concat(),
        vec!["SADD".into(), "small_set".into(), "x".into(), "y".into()],
        [
            vec!["ZADD".into(), "zset".into()],
            many(200, &|i| {
                vec![format!("{}.25", i as i64 - 50), format!("z{i}")]
            }),
        ]
        .concat(),
        vec![
            "ZADD".into(),
            "small_zset".into(),
            "1.5".into(),
            "a".into(),
            "-inf".into(),
            "b".into(),
        ],
        vec!["SET".into(), "long".into(), "abcdefgh".repeat(1000)],
        vec!["SET".into(), "int".into(), "-123456789".into()],
        vec!["SET".into(), "text".into(), "hello world".into()],
    ];
    for w in &writes {
        assert_eq!(rc.cmd(w), oc.cmd(w), "{w:?}");
    }
    // A value's contents, in an order both servers agree on.
    let read = |c: &mut Conn, key: &str| -> Frame {
        match text(&c.cmd(&["TYPE", key])).as_str() {
            "list" => c.cmd(&["LRANGE", key, "0", "-1"]),
            "hash" => {
                let all = c.cmd(&["HGETALL", key]);
                let pairs = sort_pairs(all.as_array().unwrap_or(&[]));
                Frame::Array(pairs.into_iter().map(|b| Frame::Bulk(b.into())).collect())
            }
            "set" => c.cmd(&["SORT", key, "ALPHA"]),
            "zset" => c.cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]),
            _ => c.cmd(&["GET", key]),
        }
    };
    for w in &writes {
        let key = &w[1];
        let from_real = rc.cmd(&["DUMP", key]);
        let from_real = from_real.as_bytes().expect("real DUMP").to_vec();
        let copy = format!("from_real:{key}");
        let r = oc.cmd(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &from_real]);
        assert_eq!(text(&r), "OK", "ours RESTORE of real's {key}");
        assert_eq!(
            read(&mut oc, &copy),
            read(&mut rc, key),
            "real's {key} restored in ours"
        );

        let from_ours = oc.cmd(&["DUMP", key]);
        let from_ours = from_ours.as_bytes().expect("our DUMP").to_vec();
        let copy = format!("from_ours:{key}");
        let r = rc.cmd(&[
            b"RESTORE".as_slice(),
            copy.as_bytes(),
            b"100000",
            &from_ours,
        ]);
        assert_eq!(text(&r), "OK", "real RESTORE of our {key}");
        assert_eq!(
            read(&mut rc, &copy),
            read(&mut rc, key),
            "our {key} restored in real"
        );
        let ttl = rc.cmd(&["TTL", &copy]);
        assert!(matches!(ttl, Frame::Integer(99 | 100)), "{ttl:?}");
        // An uncompressed string's payload is the same bytes on both (our
        // LZF finds other matches than Redis's, equally valid).
        if text(&rc.cmd(&["TYPE", key])) == "string" && from_real.len() < 40 {
            assert_eq!(from_ours, from_real, "{key}");
        }
    }
}

/// Keyspace notifications: every family's writes (and expiries) run on both
/// servers with `notify-keyspace-events KEA` plus `n` and a subscriber on
/// `__key*__:*`; after each command the subscriber's messages up to a PING's
/// pong must be the same events, keys and order.
#[test]
fn diff_keyspace_notifications() {
    let gens: &[(&str, Generator)] = &[
        ("strings", gen_strings),
        ("keys", gen_keys),
        ("lists", gen_lists),
        ("hashes", gen_hashes),
        ("sets", gen_sets),
        ("zsets", gen_zsets),
        ("bitops", gen_bitops),
        ("hyperloglog", gen_hyperloglog),
        ("geo", gen_geo),
        ("sort_dump", gen_sort_dump),
        ("streams", gen_streams),
    ];
    let real = start_real(&[]);
    let ours = start_ours(&["--save", ""]);
    let mut report = Vec::new();
    for (family, gen) in gens {
        let mut g = Gen(7 ^ fnv(family));
        let mut plan = Plan::new(1);
        gen(&mut g, &mut plan, count() / 3);
        let mut pair: Vec<(Conn, Conn)> = Vec::new();
        for server in [&real, &ours] {
            let mut c = server.connect();
            c.cmd(&["FLUSHALL"]);
            c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEAn"]);
            let mut sub = server.connect();
            sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
            pair.push((c, sub));
        }
        for (i, step) in plan.steps.iter().enumerate() {
            if step.argv.is_empty() || step.conn != 0 {
                continue;
            }
            let mut events = Vec::new();
            for (c, sub) in pair.iter_mut() {
                c.send(&step.argv);
                for _ in 0..step.reads {
                    c.read();
                }
                sub.send(&["PING"]);
                let mut got = Vec::new();
                while let Some(f) = sub.read() {
                    if matches!(&f, Frame::Array(v) if v.first().is_some_and(|x| matches!(x, Frame::Bulk(b) if &b[..] == b"pong")))
                    {
                        break;
                    }
                    got.push(f);
                }
                events.push(got);
            }
            if events[0] != events[1] {
                report.push(format!(
                    "[{family} step={i}] {}\n    real: {:?}\n    ours: {:?}",
                    show(&step.argv),
                    events[0],
                    events[1]
                ));
                if report.len() >= 15 {
                    break;
                }
            }
        }
    }
    assert!(
        report.is_empty(),
        "keyspace notifications differ:\n{}",
        report.join("\n")
    );
}

/// The normalisations themselves.
#[test]
fn normalisation_rules() {
    let b = |s: &str| Frame::Bulk(s.to_string().into());
    let x = Frame::Array(vec![b("a"), b("b")]);
    let y = Frame::Array(vec![b("b"), b("a")]);
    assert!(same(Norm::Unordered, &x, &y));
    assert!(!same(Norm::Exact, &x, &y));
    let hp = Frame::Array(vec![b("f1"), b("1"), b("f2"), b("2")]);
    let hq = Frame::Array(vec![b("f2"), b("2"), b("f1"), b("1")]);
    let hr = Frame::Array(vec![b("f2"), b("1"), b("f1"), b("2")]);
    assert!(same(Norm::UnorderedPairs, &hp, &hq));
    assert!(!same(Norm::UnorderedPairs, &hp, &hr));
    assert!(same(Norm::Shape, &b("k1"), &b("k2")));
    assert!(!same(Norm::Shape, &b("k1"), &Frame::Null));
    assert!(same(
        Norm::Near(10),
        &Frame::Integer(100),
        &Frame::Integer(95)
    ));
    assert!(!same(
        Norm::Kind,
        &Frame::Error("a".into()),
        &Frame::Error("b".into())
    ));
}
