//! COMMAND DOCS and COMMAND INFO of every command against Debian's 7.0.15:
//! redis-server and ours as servers, redis-sentinel and ours as sentinels,
//! each in RESP2 and RESP3, every difference reported.
//!
//! The one normalisation: real lists a container's subcommands in its hash
//! table's order, so subcommand lists are sorted on both sides.

mod common;

use common::topology::{start_sentinel, Kind, Timing};
use common::*;
use sentinel_lab::commands::docs::{Arg, ArgType, Doc, DOCS, MULTIPLE, OPTIONAL};
use sentinel_lab::resp::Frame;

fn encoded(f: &Frame) -> Vec<u8> {
    let mut b = Vec::new();
    f.encode(&mut b);
    b
}

/// COMMAND DOCS <name>: the doc map's `subcommands` entries sorted by name.
fn norm_docs(f: Frame) -> Frame {
    fn doc(f: Frame) -> Frame {
        match f {
            Frame::Map(kv) => Frame::Map(kv.into_iter().map(|(k, v)| sort_subs(k, v)).collect()),
            // RESP2: a flat array of field, value.
            Frame::Array(v) if v.len() % 2 == 0 => {
                let mut out = Vec::new();
                let mut it = v.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    let (k, v) = sort_subs(k, v);
                    out.push(k);
                    out.push(v);
                }
                Frame::Array(out)
            }
            f => f,
        }
    }
    fn sort_subs(k: Frame, v: Frame) -> (Frame, Frame) {
        if !matches!(&k, Frame::Bulk(b) if &b[..] == b"subcommands") {
            return (k, v);
        }
        let v = match v {
            Frame::Map(mut kv) => {
                kv.sort_by_key(|(k, _)| encoded(k));
                Frame::Map(kv)
            }
            Frame::Array(v) => {
                let mut pairs: Vec<Vec<Frame>> = v.chunks(2).map(|c| c.to_vec()).collect();
                pairs.sort_by_key(|p| encoded(&p[0]));
                Frame::Array(pairs.into_iter().flatten().collect())
            }
            v => v,
        };
        (k, v)
    }
    // The reply is a map (RESP2: array) of name -> doc.
    match f {
        Frame::Map(kv) => Frame::Map(kv.into_iter().map(|(k, v)| (k, doc(v))).collect()),
        Frame::Array(v) => Frame::Array(
            v.into_iter()
                .enumerate()
                .map(|(i, x)| if i % 2 == 1 { doc(x) } else { x })
                .collect(),
        ),
        f => f,
    }
}

/// COMMAND INFO <name>: each entry's subcommand list (its 10th element) sorted.
fn norm_info(f: Frame) -> Frame {
    fn entry(f: Frame) -> Frame {
        match f {
            Frame::Array(mut v) if v.len() == 10 => {
                if let Frame::Array(subs) = &mut v[9] {
                    subs.sort_by_key(encoded);
                }
                Frame::Array(v)
            }
            f => f,
        }
    }
    match f {
        Frame::Array(v) => Frame::Array(v.into_iter().map(entry).collect()),
        f => f,
    }
}

fn names(c: &mut Conn) -> Vec<String> {
    let list = c.cmd(&["COMMAND", "LIST"]);
    let mut v: Vec<String> = list
        .as_array()
        .expect("COMMAND LIST is an array")
        .iter()
        .map(|f| match f {
            Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            f => panic!("COMMAND LIST entry {f:?}"),
        })
        .collect();
    v.sort();
    v
}

/// Every difference between `real` and `ours` over all of real's commands.
fn compare(what: &str, real: &Proc, ours: &Proc) -> Vec<String> {
    let mut report = Vec::new();
    for resp in ["2", "3"] {
        let mut rc = real.connect();
        let mut oc = ours.connect();
        rc.cmd(&["HELLO", resp]);
        oc.cmd(&["HELLO", resp]);
        let (rn, on) = (names(&mut rc), names(&mut oc));
        if rn != on {
            report.push(format!(
                "[{what} RESP{resp}] COMMAND LIST differs\n    real: {rn:?}\n    ours: {on:?}"
            ));
        }
        for name in &rn {
            for sub in ["DOCS", "INFO"] {
                let q = ["COMMAND", sub, name.as_str()];
                let (a, b) = (rc.cmd(&q), oc.cmd(&q));
                let (a, b) = if sub == "DOCS" {
                    (norm_docs(a), norm_docs(b))
                } else {
                    (norm_info(a), norm_info(b))
                };
                if a != b {
                    report.push(format!(
                        "[{what} RESP{resp}] COMMAND {sub} {name}\n    real: {a:?}\n    ours: {b:?}"
                    ));
                }
            }
        }
        // Several names, unknown names, the other subcommands (the
        // whole-table replies come in hash order on real: not compared).
        for q in [
            &["COMMAND", "COUNT"][..],
            &["COMMAND", "DOCS", "get", "nosuch", "client|kill", "SET"],
            &["COMMAND", "DOCS", "nosuch"],
            &["COMMAND", "INFO", "get", "nosuch", "config|get", "PING"],
            &["COMMAND", "INFO", "nosuch|x", "client|nosuch"],
            &["COMMAND", "HELP"],
            &["COMMAND", "GETKEYS", "set", "a", "b"],
            &["COMMAND", "GETKEYSANDFLAGS", "ping"],
            &["COMMAND", "NOSUCH"],
            &["COMMAND", "COUNT", "x"],
        ] {
            let (a, b) = (rc.cmd(q), oc.cmd(q));
            if a != b {
                report.push(format!(
                    "[{what} RESP{resp}] {}\n    real: {a:?}\n    ours: {b:?}",
                    q.join(" ")
                ));
            }
        }
    }
    report
}

fn assert_none(report: Vec<String>) {
    assert!(
        report.is_empty(),
        "{} differences:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn command_docs_and_info_match_redis_server() {
    if missing(&["redis-server"]) {
        return;
    }
    let real = start_real(&[]);
    let ours = start_ours(&["--save", ""]);
    assert_none(compare("server", &real, &ours));
}

#[test]
fn command_docs_and_info_match_redis_sentinel() {
    if missing(&["redis-sentinel"]) {
        return;
    }
    let dir = tmpdir("command-docs-sentinel");
    // A master nobody runs: the sentinels only need a configuration.
    let [rp, op, master] = distinct_ports::<3>(&[]);
    let real = start_sentinel(Kind::Real, &dir, rp, master, &Timing::default());
    let ours = start_sentinel(Kind::Ours, &dir, op, master, &Timing::default());
    assert_none(compare("sentinel", &real, &ours));
}

/// A plausible command line for a command's syntax: every mandatory
/// argument once (a `multiple` one twice), a oneof's first alternative, keys
/// named k1, k2, ... in order.
fn sample_line(d: &Doc) -> Vec<String> {
    fn push(args: &[Arg], out: &mut Vec<String>, keys: &mut usize, all: bool) {
        for a in args {
            if a.flags & OPTIONAL != 0 && !all {
                continue;
            }
            let times = if a.flags & MULTIPLE != 0 { 2 } else { 1 };
            for _ in 0..times {
                if let Some(t) = a.token {
                    if a.kind != ArgType::PureToken {
                        out.push(t.to_string());
                    }
                }
                match a.kind {
                    ArgType::Key => {
                        *keys += 1;
                        out.push(format!("k{keys}"));
                    }
                    ArgType::Integer | ArgType::Double | ArgType::UnixTime => out.push("1".into()),
                    ArgType::PureToken => out.push(a.token.unwrap_or(a.name).to_string()),
                    ArgType::OneOf => push(&a.args[..1], out, keys, true),
                    ArgType::Block => push(&a.args, out, keys, false),
                    ArgType::Str | ArgType::Pattern => out.push("s".into()),
                }
            }
        }
    }
    let mut out: Vec<String> = d.name.split('|').map(str::to_string).collect();
    push(&d.arguments(), &mut out, &mut 0, false);
    out
}

/// The sample line plus every optional argument at the top level (STORE
/// destinations, KEYS lists, ...).
fn sample_line_full(d: &Doc) -> Vec<String> {
    let mut v = sample_line(d);
    let mut keys = 100;
    let mut extra = Vec::new();
    fn optional(args: &[Arg], out: &mut Vec<String>, keys: &mut usize) {
        for a in args.iter().filter(|a| a.flags & OPTIONAL != 0) {
            if let Some(t) = a.token {
                out.push(t.to_string());
            }
            match a.kind {
                ArgType::Key => {
                    *keys += 1;
                    out.push(format!("k{keys}"));
                }
                ArgType::PureToken => {}
                ArgType::Integer | ArgType::Double | ArgType::UnixTime => out.push("1".into()),
                ArgType::Str | ArgType::Pattern => out.push("s".into()),
                ArgType::OneOf | ArgType::Block => {}
            }
        }
    }
    optional(&d.arguments(), &mut extra, &mut keys);
    v.extend(extra);
    v
}

/// COMMAND GETKEYSANDFLAGS on a sample line of every keyed command.
#[test]
fn getkeys_match_redis_server() {
    if missing(&["redis-server"]) {
        return;
    }
    let real = start_real(&[]);
    let ours = start_ours(&["--save", ""]);
    let (mut rc, mut oc) = (real.connect(), ours.connect());
    let mut report = Vec::new();
    let mut checked = 0;
    for d in DOCS.iter().filter(|d| !d.key_specs.is_empty()) {
        for line in [sample_line(d), sample_line_full(d)] {
            let mut q = vec!["COMMAND".to_string(), "GETKEYSANDFLAGS".into()];
            q.extend(line);
            let (a, b) = (rc.cmd(&q), oc.cmd(&q));
            checked += 1;
            if a != b {
                report.push(format!(
                    "{}\n    real: {a:?}\n    ours: {b:?}",
                    q[2..].join(" ")
                ));
            }
        }
    }
    assert!(checked > 300, "{checked}");
    assert_none(report);
}
