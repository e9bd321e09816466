//! `client-output-buffer-limit` and the output side of `maxmemory-clients`
//! on the native host, ours beside Debian's redis-server 7.0.15: replies a
//! client does not read pile up (CLIENT LIST's omem, in 7.0's reply
//! blocks), a client over its limit is closed without the rest of its
//! replies, and the log says why.

mod common;

use common::*;
use std::io::Read;
use std::time::{Duration, Instant};

/// The servers to compare: ours, and the real one when it is installed.
fn servers() -> Vec<Proc> {
    let mut v = vec![start_ours(&["--save", ""])];
    if real_redis_server().is_some() {
        v.push(start_real(&[]));
    }
    v
}

/// The CLIENT LIST line of the client named `name`, as field pairs.
fn client_fields(c: &mut Conn, name: &str) -> Option<Vec<(String, String)>> {
    let list = text(&c.cmd(&["CLIENT", "LIST"]));
    let needle = format!(" name={name} ");
    let line = list.lines().find(|l| l.contains(&needle))?;
    Some(
        line.split(' ')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn num(fields: &[(String, String)], key: &str) -> u64 {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {key} in {fields:?}"))
}

/// A connection whose kernel receive buffer is small, so the server's side
/// fills soon.
fn slow_reader(p: &Proc, name: &str) -> Conn {
    let mut c = p.connect();
    assert!(small_receive_buffer(&c), "SO_RCVBUF");
    assert_eq!(text(&c.cmd(&["CLIENT", "SETNAME", name])), "OK");
    c
}

fn small_receive_buffer(c: &Conn) -> bool {
    use std::os::fd::AsRawFd;
    let size: libc::c_int = 4096;
    // SAFETY: a valid socket and an int option of the right size.
    unsafe {
        libc::setsockopt(
            c.stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            &size as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        ) == 0
    }
}

/// Read what the server sent until it closes; `None` if it stays open.
fn drain_until_closed(c: &mut Conn, secs: u64) -> Option<usize> {
    c.set_read_timeout(secs);
    let mut total = 0;
    let mut b = vec![0u8; 1 << 16];
    loop {
        match c.stream.read(&mut b) {
            Ok(0) => return Some(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(total),
            Err(_) => return None,
        }
    }
}

#[test]
fn a_subscriber_over_the_pubsub_hard_limit_is_closed_and_logged() {
    for p in servers() {
        let mut r = p.connect();
        r.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 300000 0 0",
        ]);
        let mut sub = slow_reader(&p, "sub");
        sub.cmd(&["SUBSCRIBE", "ch"]);
        let msg = "x".repeat(4000);
        let mut last = None;
        // Looked at every 50 messages (fewer bytes than the limit) until
        // the socket's buffers are full, then after each.
        let mut piling = false;
        for i in 0..100_000 {
            r.cmd(&["PUBLISH", "ch", &msg]);
            if !piling && i % 50 != 0 {
                continue;
            }
            match client_fields(&mut r, "sub") {
                Some(f) => {
                    piling = num(&f, "omem") > 0;
                    last = Some(f);
                }
                None => break,
            }
        }
        let f = last.expect("the subscriber was listed");
        assert!(
            client_fields(&mut r, "sub").is_none(),
            "{}: the subscriber outlived its limit: {f:?}",
            p.what
        );
        // Its last listing: under the limit, in whole 7.0 reply blocks.
        let (oll, omem) = (num(&f, "oll"), num(&f, "omem"));
        assert!(oll > 0 && omem == oll * 20504, "{}: {f:?}", p.what);
        assert!(
            omem < 300_000 && omem + 20504 >= 300_000,
            "{}: {f:?}",
            p.what
        );
        assert!(num(&f, "tot-mem") > omem, "{}: {f:?}", p.what);
        // (What the kernel took before is still on its way: reading it
        // through a 4 KiB window would take minutes.)
        sub.shutdown();
        let log = p.log_text();
        let line = log
            .lines()
            .find(|l| l.contains("for overcoming of output buffer limits."))
            .unwrap_or_else(|| panic!("{}: nothing logged:\n{log}", p.what));
        assert!(
            line.contains(" # Client id=")
                && line.contains(" name=sub ")
                && line.contains(" flags=P ")
                && line.ends_with(
                    " scheduled to be closed ASAP for overcoming of output buffer limits."
                ),
            "{}: {line}",
            p.what
        );
    }
}

#[test]
fn a_reply_over_the_normal_hard_limit_is_never_sent() {
    for p in servers() {
        let mut r = p.connect();
        r.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 100000 0 0",
        ]);
        let item = "y".repeat(1000);
        for _ in 0..150 {
            r.cmd(&["RPUSH", "big", &item]);
        }
        let mut c = p.connect();
        assert_eq!(text(&c.cmd(&["CLIENT", "SETNAME", "big"])), "OK");
        // The rest of the pipeline does not run either.
        c.send(&["LRANGE", "big", "0", "-1"]);
        c.send(&["SET", "after", "1"]);
        assert_eq!(
            drain_until_closed(&mut c, 5),
            Some(0),
            "{}: bytes of a reply over the limit",
            p.what
        );
        assert!(client_fields(&mut r, "big").is_none(), "{}", p.what);
        assert_eq!(text(&r.cmd(&["EXISTS", "after"])), "0", "{}", p.what);
        // A transaction runs whole, though its client goes.
        let mut t = p.connect();
        t.cmd(&["MULTI"]);
        t.cmd(&["LRANGE", "big", "0", "-1"]);
        t.cmd(&["SET", "in-exec", "1"]);
        t.send(&["EXEC"]);
        assert_eq!(drain_until_closed(&mut t, 5), Some(0), "{}", p.what);
        assert_eq!(text(&r.cmd(&["GET", "in-exec"])), "1", "{}", p.what);
    }
}

#[test]
fn the_cron_closes_a_client_over_its_soft_limit_once_its_seconds_pass() {
    for p in servers() {
        let mut r = p.connect();
        r.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 0 100000 1",
        ]);
        let mut sub = slow_reader(&p, "soft");
        sub.cmd(&["SUBSCRIBE", "ch"]);
        let msg = "z".repeat(10_000);
        // Over the soft limit, then no more traffic.
        let over = Instant::now();
        loop {
            r.cmd(&["PUBLISH", "ch", &msg]);
            let f = client_fields(&mut r, "soft").expect("still there");
            if num(&f, "omem") > 100_000 {
                break;
            }
            assert!(over.elapsed() < Duration::from_secs(20), "never over");
        }
        let quiet = Instant::now();
        assert!(
            wait_until(10, || client_fields(&mut r, "soft").is_none()),
            "{}: the soft limit never fired",
            p.what
        );
        // More than its second, on whole seconds of the clock.
        assert!(quiet.elapsed() >= Duration::from_millis(900), "{}", p.what);
        let log = p.log_text();
        assert!(
            log.lines().any(|l| l.contains(" name=soft ")
                && l.ends_with(" closed for overcoming of output buffer limits.")
                && !l.contains("ASAP")),
            "{}: {log}",
            p.what
        );
        sub.shutdown();
    }
}

#[test]
fn unread_replies_count_for_maxmemory_clients() {
    for p in servers() {
        let mut r = p.connect();
        r.cmd(&["CLIENT", "NO-EVICT", "on"]);
        r.cmd(&["SETRANGE", "k", "1048576", "v"]);
        let mut c = slow_reader(&p, "reader");
        // Replies pile up in the server's buffers: tot-mem shows them.
        let start = Instant::now();
        loop {
            c.send(&["GET", "k"]);
            std::thread::sleep(Duration::from_millis(10));
            let f = client_fields(&mut r, "reader").expect("listed");
            if num(&f, "tot-mem") > 10 << 20 {
                assert!(num(&f, "omem") > 8 << 20, "{}: {f:?}", p.what);
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{}: {f:?}",
                p.what
            );
        }
        r.cmd(&["CONFIG", "SET", "maxmemory-clients", "5mb"]);
        assert!(
            wait_until(5, || client_fields(&mut r, "reader").is_none()),
            "{}: not evicted",
            p.what
        );
        let info = text(&r.cmd(&["INFO", "stats"]));
        assert!(info.contains("evicted_clients:1\r\n"), "{}: {info}", p.what);
        assert!(
            p.log_text()
                .lines()
                .any(|l| l.contains(" * Evicting client: id=") && l.contains(" name=reader ")),
            "{}: {}",
            p.what,
            p.log_text()
        );
        c.shutdown();
    }
}
