//! CLIENT: ID, GETNAME, SETNAME, INFO, LIST, KILL, ... and the CLIENT LIST
//! line, which the sentinel and the replication module's log lines reuse.

use super::container::{full_name, help, subcommand, text, unknown_sub};
use super::{eq_ignore_case, err, lower, CmdResult, Ctx, Error};
use crate::server::output_limits::OutputUse;
use crate::server::{command_table, Client, ClientKind, ReplyMode};
use bytes::Bytes;

/// The flags letters of CLIENT LIST, in Redis's order.
fn client_flags(c: &Client) -> String {
    let mut f = String::new();
    if c.monitor {
        f.push('O');
    } else if c.kind == ClientKind::Replica {
        f.push('S');
    }
    if c.kind == ClientKind::Master {
        f.push('M');
    }
    if c.in_pubsub() {
        f.push('P');
    }
    if c.multi.is_some() {
        f.push('x');
    }
    if c.blocked.is_some() || c.postponed.is_some() {
        f.push('b');
    }
    if let Some(t) = &c.tracking {
        f.push('t');
        if t.broken_redirect {
            f.push('R');
        }
        if t.bcast {
            f.push('B');
        }
    }
    if c.dirty_cas {
        f.push('d');
    }
    if c.close_after_reply {
        f.push('c');
    }
    if c.close_asap {
        f.push('A');
    }
    if c.addr.is_unix_socket() {
        f.push('U');
    }
    if c.no_evict {
        f.push('e');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// Length of `argv` as a RESP multi-bulk request.
fn request_len(argv: &[Bytes]) -> usize {
    let digits = |n: usize| n.to_string().len();
    let mut n = 3 + digits(argv.len());
    for a in argv {
        n += 1 + digits(a.len()) + 2 + a.len() + 2;
    }
    n
}

/// The fields of a CLIENT LIST line that are not the client's own state:
/// a server derives them from its buffers, a sentinel reports fixed values.
pub struct ClientLineFigures<'a> {
    pub fd: u64,
    pub flags: &'a str,
    pub db: usize,
    pub multi: i64,
    pub qbuf: usize,
    pub qbuf_free: usize,
    pub argv_mem: usize,
    pub rbs: usize,
    pub rbp: usize,
    pub obl: usize,
    pub oll: usize,
    pub omem: u64,
    pub tot_mem: usize,
    pub events: &'a str,
    pub cmd: &'a str,
}

/// One CLIENT LIST line (with the trailing newline), for a server or a sentinel.
pub fn format_client_line(c: &Client, now: u64, f: &ClientLineFigures) -> String {
    let name = c.name.as_ref().map(|n| text(n)).unwrap_or_default();
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}\n",
        c.id,
        c.addr,
        c.laddr,
        f.fd,
        name,
        now.saturating_sub(c.created) / 1000,
        now.saturating_sub(c.last_interaction) / 1000,
        f.flags,
        f.db,
        c.channels.len(),
        c.patterns.len(),
        c.shard_channels.len(),
        f.multi,
        f.qbuf,
        f.qbuf_free,
        f.argv_mem,
        crate::server::memory::multi_memory(c),
        f.rbs,
        f.rbp,
        f.obl,
        f.oll,
        f.omem,
        f.tot_mem,
        f.events,
        f.cmd,
        c.user,
        c.tracking.as_ref().map_or(-1, |t| t.redirect as i64),
        c.reply.resp
    )
}

/// A server's CLIENT LIST line for `c`. `current` is the argv of the running
/// command when `c` is the caller; `unsent`: what the host still holds for it.
pub fn client_line(c: &Client, now: u64, current: Option<&[Bytes]>, unsent: u64) -> String {
    let overhead = crate::server::memory::client_overhead(c) as usize;
    let pending = unsent
        + if current.is_some() {
            0
        } else {
            (c.reply.len() + c.pushes.len()) as u64
        };
    let output = OutputUse::of(pending, c.reply_size.usable, c.kind == ClientKind::Replica);
    let omem = output.omem as usize;
    let (qbuf, qbuf_free, argv_mem, rbs, rbp, tot_mem, cmd) = match current {
        Some(argv) => {
            let q = request_len(argv) + c.query.len();
            let argv_mem: usize = argv.iter().map(|a| a.len()).sum();
            let cmd = match command_table().get(&argv[0]) {
                Some(def) => full_name(def, argv),
                None => lower(&argv[0]),
            };
            (
                q,
                c.query_size.free(q),
                argv_mem,
                c.reply_size.usable,
                c.reply_size.peak,
                790 + c.reply_size.usable + q + c.query_size.free(q) + argv_mem + omem + overhead,
                cmd,
            )
        }
        None => {
            let q = c.query.len();
            (
                q,
                c.query_size.free(q),
                c.parser.partial_args_bytes(),
                c.reply_size.usable,
                c.reply_size.peak,
                crate::server::memory::client_tot_mem(c, output.omem) as usize,
                c.last_cmd.clone(),
            )
        }
    };
    let multi = match &c.multi {
        Some(m) => m.queue.len() as i64,
        None => -1,
    };
    let figures = ClientLineFigures {
        fd: (c.conn.0 & !crate::node::OUTBOUND_BIT) + 7,
        flags: &client_flags(c),
        db: c.db,
        multi,
        qbuf,
        qbuf_free,
        argv_mem,
        rbs,
        rbp,
        obl: output.obl,
        oll: output.oll,
        omem: output.omem,
        tot_mem,
        events: if pending == 0 { "r" } else { "rw" },
        cmd: if cmd.is_empty() { "NULL" } else { &cmd },
    };
    format_client_line(c, now, &figures)
}

/// Redis's client type names (getClientTypeByName).
fn client_type(name: &[u8]) -> Option<&'static str> {
    match lower(name).as_str() {
        "normal" => Some("normal"),
        "slave" | "replica" => Some("slave"),
        "pubsub" => Some("pubsub"),
        "master" => Some("master"),
        _ => None,
    }
}

/// Redis's getClientType for a client.
fn type_of(c: &Client) -> &'static str {
    match c.kind {
        ClientKind::Master => "master",
        ClientKind::Replica => "slave",
        ClientKind::Normal if c.in_pubsub() => "pubsub",
        ClientKind::Normal => "normal",
    }
}

const CLIENT_HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

pub(super) fn client_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "client")?;
    match sub.as_str() {
        "id" => {
            let id = ctx.client.id as i64;
            ctx.out().int(id);
        }
        "getname" => match ctx.client.name.clone() {
            Some(n) => ctx.out().bulk(&n),
            None => ctx.out().null(),
        },
        "setname" => {
            let name = &args[2];
            if !super::connection::valid_client_name(name) {
                return Err(super::connection::BAD_CLIENT_NAME.into());
            }
            ctx.client.name = if name.is_empty() {
                None
            } else {
                Some(name.clone())
            };
            ctx.out().ok();
        }
        "info" => {
            let unsent = ctx.srv.unsent(ctx.client.conn);
            let line = client_line(ctx.client, ctx.now, Some(args), unsent);
            ctx.out().verbatim(line.as_bytes());
        }
        "list" => client_list(ctx, args)?,
        "kill" => client_kill(ctx, args)?,
        "no-evict" => {
            ctx.client.no_evict = match lower(&args[2]).as_str() {
                "on" => true,
                "off" => false,
                _ => return Err(err::SYNTAX.into()),
            };
            ctx.out().ok();
        }
        "reply" => match lower(&args[2]).as_str() {
            "on" => {
                ctx.client.reply_mode = ReplyMode::On;
                ctx.out().ok();
            }
            // OFF and SKIP have no reply of their own.
            "off" => ctx.client.reply_mode = ReplyMode::Off,
            "skip" => {
                if ctx.client.reply_mode != ReplyMode::Off {
                    ctx.client.reply_mode = ReplyMode::SkipNext;
                }
            }
            _ => return Err(err::SYNTAX.into()),
        },
        "unpause" => super::client_pause::unpause(ctx)?,
        "pause" => super::client_pause::pause(ctx, args)?,
        "unblock" => client_unblock(ctx, args)?,
        "getredir" => super::tracking::getredir(ctx),
        "tracking" => super::tracking::tracking(ctx, args)?,
        "caching" => super::tracking::caching(ctx, args)?,
        "trackinginfo" => super::tracking::trackinginfo(ctx),
        "help" => help(ctx.out(), "CLIENT", CLIENT_HELP),
        _ => return Err(unknown_sub(&args[1], "client")),
    }
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client blocked in a blocking
/// command answers as if it timed out, or with -UNBLOCKED.
fn client_unblock(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let id = crate::resp::parse_i64(&args[2]).ok_or(Error::from(err::NOT_INTEGER))?;
    let as_error = match args.get(3) {
        None => false,
        Some(m) if eq_ignore_case(m, "timeout") => false,
        Some(m) if eq_ignore_case(m, "error") => true,
        Some(_) => return Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into()),
    };
    if args.len() > 4 {
        return Err(err::SYNTAX.into());
    }
    let target = ctx
        .clients
        .iter()
        .find(|(_, c)| c.id as i64 == id && c.blocked.is_some())
        .map(|(conn, _)| *conn);
    let Some(conn) = target else {
        ctx.out().int(0);
        return Ok(());
    };
    let msg = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
    if let Some(c) = ctx.clients.get_mut(&conn) {
        if as_error {
            // updateStatsOnUnblock: the blocked command failed.
            ctx.srv.calls.ran(&c.last_cmd, 0, true, false, false);
        }
        if let Some(b) = c.blocked.take() {
            for k in &b.keys {
                let key = (b.db, k.clone());
                if let Some(q) = ctx.srv.blocked_on.get_mut(&key) {
                    q.retain(|&x| x != conn);
                    if q.is_empty() {
                        ctx.srv.blocked_on.remove(&key);
                    }
                }
            }
        }
        let from = c.reply.len();
        if as_error {
            c.reply.error(msg);
        } else {
            c.reply.null_array();
        }
        c.settle_replies(from);
    }
    if as_error {
        ctx.srv.count_error(msg);
    }
    ctx.srv.pending.insert(conn);
    ctx.srv.unblocked.push(conn);
    ctx.out().int(1);
    Ok(())
}

fn client_list(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut type_filter: Option<&'static str> = None;
    let mut ids: Option<Vec<u64>> = None;
    if args.len() == 4 && eq_ignore_case(&args[2], "type") {
        type_filter =
            Some(client_type(&args[3]).ok_or_else(|| {
                Error::from(format!("ERR Unknown client type '{}'", text(&args[3])))
            })?);
    } else if args.len() >= 4 && eq_ignore_case(&args[2], "id") {
        let mut v = Vec::new();
        for a in &args[3..] {
            match crate::resp::parse_i64(a) {
                Some(id) if id > 0 => v.push(id as u64),
                _ => return Err("ERR Invalid client ID".into()),
            }
        }
        ids = Some(v);
    } else if args.len() != 2 {
        return Err(err::SYNTAX.into());
    }
    let mut all: Vec<(&Client, bool)> = ctx.clients.values().map(|c| (&**c, false)).collect();
    all.push((&*ctx.client, true));
    crate::coldsort::sort_by_key(&mut all, |(c, _)| c.id);
    let mut s = String::new();
    for (c, me) in all {
        if type_filter.is_some_and(|t| type_of(c) != t) {
            continue;
        }
        if ids.as_ref().is_some_and(|v| !v.contains(&c.id)) {
            continue;
        }
        let unsent = ctx.srv.unsent(c.conn);
        s.push_str(&client_line(
            c,
            ctx.now,
            if me { Some(args) } else { None },
            unsent,
        ));
    }
    ctx.out().verbatim(s.as_bytes());
    Ok(())
}

#[derive(Default)]
struct KillFilter {
    addr: Option<String>,
    laddr: Option<String>,
    id: Option<u64>,
    kind: Option<&'static str>,
    user: Option<String>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, c: &Client) -> bool {
        self.addr.as_ref().is_none_or(|a| *a == c.addr.to_string())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| *a == c.laddr.to_string())
            && self.id.is_none_or(|id| id == c.id)
            && self.kind.is_none_or(|t| t == type_of(c))
            && self.user.as_ref().is_none_or(|u| *u == c.user)
    }
}

fn client_kill(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let old_form = args.len() == 3;
    let mut f = KillFilter {
        skipme: true,
        ..Default::default()
    };
    if old_form {
        f.addr = Some(text(&args[2]));
        f.skipme = false;
    } else {
        let mut i = 2;
        while i < args.len() {
            if i + 1 >= args.len() {
                return Err(err::SYNTAX.into());
            }
            let v = &args[i + 1];
            match lower(&args[i]).as_str() {
                "id" => match crate::resp::parse_i64(v) {
                    Some(id) if id > 0 => f.id = Some(id as u64),
                    _ => return Err("ERR client-id should be greater than 0".into()),
                },
                "type" => {
                    f.kind = Some(client_type(v).ok_or_else(|| {
                        Error::from(format!("ERR Unknown client type '{}'", text(v)))
                    })?)
                }
                "addr" => f.addr = Some(text(v)),
                "laddr" => f.laddr = Some(text(v)),
                "user" => {
                    let u = text(v);
                    if !ctx.srv.acl.users.contains_key(&u) {
                        return Err(format!("ERR No such user '{u}'").into());
                    }
                    f.user = Some(u);
                }
                "skipme" => match lower(v).as_str() {
                    "yes" => f.skipme = true,
                    "no" => f.skipme = false,
                    _ => return Err(err::SYNTAX.into()),
                },
                _ => return Err(err::SYNTAX.into()),
            }
            i += 2;
        }
    }
    let mut killed = 0i64;
    let victims: Vec<_> = ctx
        .clients
        .iter()
        .filter(|(_, c)| f.matches(c) && !c.close_after_reply)
        .map(|(k, _)| *k)
        .collect();
    for conn in victims {
        if let Some(c) = ctx.clients.get_mut(&conn) {
            // Redis frees another client at once: its socket closes now, even
            // when a DEBUG SLEEP follows in the same transaction. The server
            // forgets it when it flushes pending clients.
            ctx.srv.out.push_back(crate::node::Output::Close { conn });
            c.close_after_reply = true;
            c.socket_closed = true;
            ctx.srv.pending.insert(conn);
            killed += 1;
        }
    }
    let kill_me = !f.skipme && f.matches(ctx.client);
    if kill_me {
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return Err("ERR No such client".into());
        }
        ctx.out().ok();
    } else {
        ctx.out().int(killed);
    }
    if kill_me {
        ctx.client.close_after_reply = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{bulk_body, Kit};

    #[test]
    fn client_commands() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "CLIENT ID"), ":1\r\n");
        assert_eq!(k.cmd(1, "CLIENT GETNAME"), "$-1\r\n");
        assert_eq!(
            k.raw(1, b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$3\r\na b\r\n"),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(k.cmd(1, "CLIENT SETNAME me"), "+OK\r\n");
        assert_eq!(k.cmd(1, "CLIENT GETNAME"), "$2\r\nme\r\n");
        assert_eq!(
            k.cmd(1, "CLIENT SETNAME"),
            "-ERR wrong number of arguments for 'client|setname' command\r\n"
        );
        k.connect(2);
        k.cmd(2, "PING");
        // The cron frees the query buffer of a client idle for over 2 s, and
        // shrinks its reply buffer once its peak is reset (after 5 s).
        k.tick(6000);
        k.tick(100);
        let r = k.cmd(1, "CLIENT LIST");
        let body = bulk_body(&r);
        let lines: Vec<&str> = body.split('\n').filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "id=1 addr=127.0.0.1:50001 laddr=127.0.0.1:6379 fd=8 name=me age=6 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=22298 events=r cmd=client|list user=default redir=-1 resp=2");
        assert_eq!(lines[1], "id=2 addr=127.0.0.1:50002 laddr=127.0.0.1:6379 fd=9 name= age=6 idle=6 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1800 events=r cmd=ping user=default redir=-1 resp=2");
        let r = k.cmd(1, "CLIENT LIST ID 2");
        assert!(r.contains("id=2 ") && !r.contains("id=1 "));
        assert_eq!(
            k.cmd(1, "CLIENT LIST TYPE foo"),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(k.cmd(1, "CLIENT LIST ID abc"), "-ERR Invalid client ID\r\n");
        assert!(k.cmd(1, "CLIENT LIST TYPE pubsub").starts_with("$0\r\n"));
        let r = k.cmd(1, "CLIENT INFO");
        assert!(r.contains("id=1 ") && r.contains("cmd=client|info "));
        assert_eq!(k.cmd(1, "CLIENT NO-EVICT on"), "+OK\r\n");
        assert_eq!(k.cmd(1, "CLIENT NO-EVICT maybe"), "-ERR syntax error\r\n");
        assert_eq!(
            k.cmd(1, "CLIENT foo"),
            "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"
        );
        assert!(k
            .cmd(1, "CLIENT HELP")
            .starts_with("*48\r\n+CLIENT <subcommand>"));
    }

    #[test]
    fn client_kill() {
        let mut k = Kit::new();
        k.connect(1);
        k.connect(2);
        k.connect(3);
        assert_eq!(k.cmd(1, "CLIENT KILL 1.2.3.4:5"), "-ERR No such client\r\n");
        assert_eq!(k.cmd(1, "CLIENT KILL foo bar"), "-ERR syntax error\r\n");
        assert_eq!(
            k.cmd(1, "CLIENT KILL id abc"),
            "-ERR client-id should be greater than 0\r\n"
        );
        assert_eq!(
            k.cmd(1, "CLIENT KILL type foo"),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(
            k.cmd(1, "CLIENT KILL user nobody"),
            "-ERR No such user 'nobody'\r\n"
        );
        assert_eq!(
            k.cmd(1, "CLIENT KILL skipme maybe"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(k.cmd(1, "CLIENT KILL id 99"), ":0\r\n");
        assert_eq!(k.cmd(1, "CLIENT KILL 127.0.0.1:50002"), "+OK\r\n");
        assert_eq!(k.closed, vec![2]);
        assert_eq!(k.cmd(1, "CLIENT KILL type normal"), ":1\r\n");
        assert_eq!(k.closed, vec![2, 3]);
        assert_eq!(k.cmd(1, "CLIENT KILL type normal skipme no"), ":1\r\n");
        assert_eq!(k.closed, vec![2, 3, 1]);
    }
}

#[cfg(test)]
mod unblock_tests {
    use crate::commands::testkit::Kit;

    #[test]
    fn client_unblock_times_out_or_errors_a_blocked_client() {
        let mut t = Kit::new();
        assert_eq!(t.cmd(2, "BLPOP l 0"), "");
        let id = t.client(2).id;
        assert_eq!(t.cmd(1, &format!("CLIENT UNBLOCK {id}")), ":1\r\n");
        assert_eq!(t.take(2), "*-1\r\n");
        assert_eq!(t.cmd(1, &format!("CLIENT UNBLOCK {id}")), ":0\r\n");
        assert_eq!(t.cmd(2, "BZPOPMIN z 0"), "");
        assert_eq!(t.cmd(1, &format!("CLIENT UNBLOCK {id} ERROR")), ":1\r\n");
        assert_eq!(
            t.take(2),
            "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
        );
        // Once released, a later push does not reach it.
        t.cmd(1, "RPUSH l x");
        assert_eq!(t.take(2), "");
        assert_eq!(
            t.cmd(1, &format!("CLIENT UNBLOCK {id} NOW")),
            "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
        );
        assert_eq!(
            t.cmd(1, "CLIENT UNBLOCK x"),
            "-ERR value is not an integer or out of range\r\n"
        );
    }
}
