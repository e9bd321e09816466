//! Server commands: INFO, CONFIG, CLIENT, COMMAND, DEBUG, FLUSHALL, ...
//!
//! INFO's sections are `ServerState::info_sections` (see `server::info`): the
//! replication and persistence modules provide theirs. SHUTDOWN's work is
//! `ServerState::prepare_for_shutdown`, shared with SIGTERM (`Input::Terminate`).

use super::{
    arg_i64, def, eq_ignore_case, err, flags, flags::*, glob_match, lower, wrong_arity, CmdResult,
    CommandDef, Ctx, Error, Propagate,
};
use crate::node::{Event, LogLevel};
use crate::resp::ReplyBuf;
use crate::server::config::Key;
use crate::server::info::{InfoCtx, SectionFn};
use crate::server::{command_table, Client, ClientKind, FinalSave};
use bytes::Bytes;

// ---------------------------------------------------------------------------
// Shared helpers

/// `name` or `name|sub` for container commands, as CLIENT LIST `cmd=` shows.
pub fn full_name(cmd: &CommandDef, argv: &[Bytes]) -> String {
    if !cmd.subcommands.is_empty() {
        if let Some(sub) = argv.get(1) {
            let s = lower(sub);
            if cmd.subcommands.contains(&s.as_str()) {
                return format!("{}|{}", cmd.name, s);
            }
        }
    }
    cmd.name.to_string()
}

fn sub_arity(parent: &str, sub: &str) -> Error {
    wrong_arity(&format!("{parent}|{sub}"))
}

fn unknown_sub(sub: &[u8], cmd: &str) -> Error {
    super::unknown_subcommand(sub, cmd)
}

fn help(out: &mut ReplyBuf, cmd: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        cmd
    ));
    for l in lines {
        out.simple(l);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Dispatch helper: lower-case subcommand name, validated against its arity.
fn subcommand(args: &[Bytes], parent: &str) -> Result<String, Error> {
    let sub = lower(&args[1]);
    if let Some(s) = SUBCOMMANDS
        .iter()
        .find(|s| s.parent == parent && s.name == sub)
    {
        let n = args.len();
        let ok = if s.arity >= 0 {
            n == s.arity as usize
        } else {
            n >= s.arity.unsigned_abs() as usize
        };
        if !ok {
            return Err(sub_arity(parent, s.name));
        }
    }
    Ok(sub)
}

// ---------------------------------------------------------------------------
// INFO

fn info(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sections: Vec<String> = args[1..].iter().map(|a| text(a)).collect();
    let s = {
        let ictx = InfoCtx {
            srv: ctx.srv,
            clients: ctx.clients,
            caller: Some(ctx.client),
            now: ctx.now,
        };
        ctx.srv.info_sections.render(&ictx, &sections)
    };
    ctx.out().verbatim(s.as_bytes());
    Ok(())
}

/// Replace an INFO section renderer of a node (see `server::info`).
pub fn register_info_section(
    st: &mut crate::server::ServerState,
    name: &'static str,
    f: SectionFn,
) {
    st.info_sections.replace(name, f);
}

// ---------------------------------------------------------------------------
// CONFIG

fn has_glob(p: &[u8]) -> bool {
    p.iter().any(|&b| b == b'*' || b == b'?' || b == b'[')
}

fn config_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "config")?;
    match sub.as_str() {
        "get" => {
            let mut pairs: Vec<(String, String)> = Vec::new();
            let push = |pairs: &mut Vec<(String, String)>, k: String, v: &str| {
                if !pairs.iter().any(|(n, _)| *n == k) {
                    pairs.push((k, v.to_string()));
                }
            };
            for pat in &args[2..] {
                if !has_glob(pat) {
                    let name = text(pat);
                    if let Some(v) = ctx.srv.config.get_by_name(&name) {
                        let v = v.to_string();
                        push(&mut pairs, name, &v);
                    }
                    continue;
                }
                for (d, v) in ctx.srv.config.iter() {
                    if glob_match(pat, d.name.as_bytes(), true) {
                        push(&mut pairs, d.name.to_string(), v);
                    }
                    if let Some(a) = d.alias {
                        if glob_match(pat, a.as_bytes(), true) {
                            push(&mut pairs, a.to_string(), v);
                        }
                    }
                }
            }
            let out = ctx.out();
            out.map(pairs.len());
            for (k, v) in pairs {
                out.bulk(k.as_bytes());
                out.bulk(v.as_bytes());
            }
            Ok(())
        }
        "set" => {
            if !args.len().is_multiple_of(2) {
                return Err(err::SYNTAX.into());
            }
            let pairs: Vec<(String, String)> = args[2..]
                .chunks(2)
                .map(|c| (text(&c[0]), text(&c[1])))
                .collect();
            ctx.srv.config.set_many(&pairs).map_err(Error::from)?;
            ctx.out().ok();
            Ok(())
        }
        "resetstat" => {
            ctx.srv.stats = Default::default();
            ctx.out().ok();
            Ok(())
        }
        "rewrite" => {
            let Some((path, text)) = ctx.srv.config.rewrite() else {
                return Err("ERR The server is running without a config file".into());
            };
            // The host writes the file; the core has no IO.
            ctx.srv.emit(Event::ConfigRewrite { path, text });
            ctx.srv
                .log(LogLevel::Notice, "CONFIG REWRITE executed with success.");
            ctx.out().ok();
            Ok(())
        }
        "help" => {
            help(
                ctx.out(),
                "CONFIG",
                &[
                    "GET <pattern>",
                    "    Return parameters matching the glob-like <pattern> and their values.",
                    "SET <directive> <value>",
                    "    Set the configuration <directive> to <value>.",
                    "RESETSTAT",
                    "    Reset statistics reported by the INFO command.",
                    "REWRITE",
                    "    Rewrite the configuration file.",
                ],
            );
            Ok(())
        }
        _ => Err(unknown_sub(&args[1], "config")),
    }
}

// ---------------------------------------------------------------------------
// CLIENT

/// The flags letters of CLIENT LIST, in Redis's order.
fn client_flags(c: &Client) -> String {
    let mut f = String::new();
    if c.kind == ClientKind::Replica {
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
    if c.blocked.is_some() {
        f.push('b');
    }
    if c.dirty_cas {
        f.push('d');
    }
    if c.close_after_reply {
        f.push('c');
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

/// One CLIENT LIST line (with the trailing newline). `current` is the argv of
/// the running command when `c` is the caller.
pub fn client_line(c: &Client, now: u64, current: Option<&[Bytes]>) -> String {
    let name = c.name.as_ref().map(|n| text(n)).unwrap_or_default();
    let (qbuf, qbuf_free, argv_mem, rbs, rbp, tot, cmd) = match current {
        Some(argv) => {
            let q = request_len(argv) + c.query.len();
            let argv_mem: usize = argv.iter().map(|a| a.len()).sum();
            let cmd = match command_table().get(&argv[0]) {
                Some(def) => full_name(def, argv),
                None => lower(&argv[0]),
            };
            (
                q,
                20474usize.saturating_sub(q),
                argv_mem,
                16384,
                16384,
                790 + 16384 + 20474 + argv_mem,
                cmd,
            )
        }
        None => {
            let q = c.query.len();
            let omem = c.reply.len();
            (q, 0, 0, 1024, 0, 776 + 1024 + q + omem, c.last_cmd.clone())
        }
    };
    let multi = match &c.multi {
        Some(m) => m.queue.len() as i64,
        None => -1,
    };
    let events = if c.reply.is_empty() { "r" } else { "rw" };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll=0 omem=0 tot-mem={} events={} cmd={} user={} redir=-1 resp={}\n",
        c.id,
        c.addr,
        c.laddr,
        (c.conn.0 & !crate::node::OUTBOUND_BIT) + 7,
        name,
        now.saturating_sub(c.created) / 1000,
        now.saturating_sub(c.last_interaction) / 1000,
        client_flags(c),
        c.db,
        c.channels.len(),
        c.patterns.len(),
        multi,
        qbuf,
        qbuf_free,
        argv_mem,
        rbs,
        rbp,
        if current.is_some() { 0 } else { c.reply.len() },
        tot,
        events,
        if cmd.is_empty() { "NULL".to_string() } else { cmd },
        c.user,
        c.reply.resp
    )
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

fn client_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
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
            let line = client_line(ctx.client, ctx.now, Some(args));
            ctx.out().verbatim(line.as_bytes());
        }
        "list" => client_list(ctx, args)?,
        "kill" => client_kill(ctx, args)?,
        "no-evict" => {
            let v = lower(&args[2]);
            if v != "on" && v != "off" {
                return Err(err::SYNTAX.into());
            }
            ctx.out().ok();
        }
        "reply" => match lower(&args[2]).as_str() {
            "on" => {
                ctx.client.no_reply = false;
                ctx.out().ok();
            }
            // No reply; the server drops replies while `no_reply` is set.
            "off" => ctx.client.no_reply = true,
            // Only this command's own reply is skipped (not the next one's).
            "skip" => {}
            _ => return Err(err::SYNTAX.into()),
        },
        "unpause" => ctx.out().ok(),
        "getredir" => ctx.out().int(-1),
        "help" => help(ctx.out(), "CLIENT", CLIENT_HELP),
        _ => return Err(unknown_sub(&args[1], "client")),
    }
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
    let mut all: Vec<(&Client, bool)> = ctx.clients.values().map(|c| (c, false)).collect();
    all.push((&*ctx.client, true));
    all.sort_by_key(|(c, _)| c.id);
    let mut s = String::new();
    for (c, me) in all {
        if type_filter.is_some_and(|t| type_of(c) != t) {
            continue;
        }
        if ids.as_ref().is_some_and(|v| !v.contains(&c.id)) {
            continue;
        }
        s.push_str(&client_line(c, ctx.now, if me { Some(args) } else { None }));
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
                    if u != "default" {
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
            // The server closes it when it flushes pending clients.
            c.close_after_reply = true;
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

// ---------------------------------------------------------------------------
// COMMAND

/// What COMMAND INFO / DOCS report for a subcommand of a container command.
pub struct SubDef {
    pub parent: &'static str,
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
    pub since: &'static str,
    pub summary: &'static str,
}

const fn sd(
    parent: &'static str,
    name: &'static str,
    arity: i32,
    flags: u32,
    since: &'static str,
    summary: &'static str,
) -> SubDef {
    SubDef {
        parent,
        name,
        arity,
        flags,
        since,
        summary,
    }
}

const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const NLS: u32 = NOSCRIPT | LOADING | STALE;
const LS: u32 = LOADING | STALE;

/// Subcommands whose details we know (others get generic entries).
pub static SUBCOMMANDS: &[SubDef] = &[
    sd(
        "config",
        "get",
        -3,
        ADM,
        "2.0.0",
        "Get the values of configuration parameters",
    ),
    sd(
        "config",
        "set",
        -4,
        ADM,
        "2.0.0",
        "Set configuration parameters to the given values",
    ),
    sd(
        "config",
        "resetstat",
        2,
        ADM,
        "2.0.0",
        "Reset the stats returned by INFO",
    ),
    sd(
        "config",
        "rewrite",
        2,
        ADM,
        "2.8.0",
        "Rewrite the configuration file with the in memory configuration",
    ),
    sd(
        "config",
        "help",
        2,
        LS,
        "5.0.0",
        "Show helpful text about the different subcommands",
    ),
    sd(
        "client",
        "caching",
        3,
        NLS,
        "6.0.0",
        "Instruct the server about tracking or not keys in the next request",
    ),
    sd(
        "client",
        "getname",
        2,
        NLS,
        "2.6.9",
        "Get the current connection name",
    ),
    sd(
        "client",
        "getredir",
        2,
        NLS,
        "6.0.0",
        "Get tracking notifications redirection client ID if any",
    ),
    sd(
        "client",
        "help",
        2,
        LS,
        "5.0.0",
        "Show helpful text about the different subcommands",
    ),
    sd(
        "client",
        "id",
        2,
        NLS,
        "5.0.0",
        "Returns the client ID for the current connection",
    ),
    sd(
        "client",
        "info",
        2,
        NLS,
        "6.2.0",
        "Returns information about the current client connection.",
    ),
    sd(
        "client",
        "kill",
        -3,
        ADM,
        "2.4.0",
        "Kill the connection of a client",
    ),
    sd(
        "client",
        "list",
        -2,
        ADM,
        "2.4.0",
        "Get the list of client connections",
    ),
    sd(
        "client",
        "no-evict",
        3,
        ADM,
        "7.0.0",
        "Set client eviction mode for the current connection",
    ),
    sd(
        "client",
        "reply",
        3,
        NLS,
        "3.2.0",
        "Instruct the server whether to reply to commands",
    ),
    sd(
        "client",
        "setname",
        3,
        NLS,
        "2.6.9",
        "Set the current connection name",
    ),
    sd(
        "client",
        "unpause",
        2,
        ADM,
        "6.2.0",
        "Resume processing of clients that were paused",
    ),
    sd(
        "command",
        "count",
        2,
        LS,
        "2.8.13",
        "Get total number of Redis commands",
    ),
    sd(
        "command",
        "docs",
        -2,
        LS,
        "7.0.0",
        "Get array of specific Redis command documentation",
    ),
    sd(
        "command",
        "getkeys",
        -4,
        LS,
        "2.8.13",
        "Extract keys given a full Redis command",
    ),
    sd(
        "command",
        "help",
        2,
        LS,
        "5.0.0",
        "Show helpful text about the different subcommands",
    ),
    sd(
        "command",
        "info",
        -2,
        LS,
        "2.8.13",
        "Get array of specific Redis command details, or all when no argument is given.",
    ),
    sd(
        "command",
        "list",
        -2,
        LS,
        "7.0.0",
        "Get an array of Redis command names",
    ),
    sd(
        "slowlog",
        "get",
        -2,
        ADMIN | LS,
        "2.2.12",
        "Get the slow log's entries",
    ),
    sd(
        "slowlog",
        "help",
        2,
        LS,
        "6.2.0",
        "Show helpful text about the different subcommands",
    ),
    sd(
        "slowlog",
        "len",
        2,
        ADMIN | LS,
        "2.2.12",
        "Get the slow log's length",
    ),
    sd(
        "slowlog",
        "reset",
        2,
        ADMIN | LS,
        "2.2.12",
        "Clear all entries from the slow log",
    ),
    sd(
        "memory",
        "usage",
        -3,
        READONLY,
        "4.0.0",
        "Estimate the memory usage of a key",
    ),
    sd(
        "memory",
        "help",
        2,
        LS,
        "4.0.0",
        "Show helpful text about the different subcommands",
    ),
];

/// A command or subcommand as COMMAND INFO / DOCS describe it.
struct Described {
    name: String,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    subs: Vec<Described>,
}

fn describe(c: &CommandDef) -> Described {
    let subs = c
        .subcommands
        .iter()
        .map(|s| {
            let known = SUBCOMMANDS
                .iter()
                .find(|d| d.parent == c.name && d.name == *s);
            Described {
                name: format!("{}|{}", c.name, s),
                arity: known.map_or(-2, |d| d.arity),
                flags: known.map_or(c.flags, |d| d.flags),
                keys: if c.name == "memory" && *s == "usage" {
                    (2, 2, 1)
                } else {
                    (0, 0, 0)
                },
                group: c.group,
                since: known.map_or(c.since, |d| d.since),
                summary: known.map_or("", |d| d.summary),
                subs: Vec::new(),
            }
        })
        .collect();
    Described {
        name: c.name.to_string(),
        arity: c.arity,
        flags: c.flags,
        keys: (c.first_key, c.last_key, c.step),
        group: c.group,
        since: c.since,
        summary: c.summary,
        subs,
    }
}

/// ACL categories and tips of every Redis 7.0.15 command and subcommand, as
/// its `COMMAND` reply lists them (generated from the real binary), sorted by name.
#[rustfmt::skip]
static META: &[(&str, &[&str], &[&str])] = &[
    ("acl", &["@slow"], &[]),
    ("acl|cat", &["@slow"], &[]),
    ("acl|deluser", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|dryrun", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|genpass", &["@slow"], &[]),
    ("acl|getuser", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|help", &["@slow"], &[]),
    ("acl|list", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|load", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|log", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|save", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|setuser", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|users", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|whoami", &["@slow"], &[]),
    ("append", &["@write", "@string", "@fast"], &[]),
    ("asking", &["@fast", "@connection"], &[]),
    ("auth", &["@fast", "@connection"], &[]),
    ("bgrewriteaof", &["@admin", "@slow", "@dangerous"], &[]),
    ("bgsave", &["@admin", "@slow", "@dangerous"], &[]),
    ("bitcount", &["@read", "@bitmap", "@slow"], &[]),
    ("bitfield", &["@write", "@bitmap", "@slow"], &[]),
    ("bitfield_ro", &["@read", "@bitmap", "@fast"], &[]),
    ("bitop", &["@write", "@bitmap", "@slow"], &[]),
    ("bitpos", &["@read", "@bitmap", "@slow"], &[]),
    ("blmove", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("blmpop", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("blpop", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("brpop", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("brpoplpush", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("bzmpop", &["@write", "@sortedset", "@slow", "@blocking"], &[]),
    ("bzpopmax", &["@write", "@sortedset", "@fast", "@blocking"], &[]),
    ("bzpopmin", &["@write", "@sortedset", "@fast", "@blocking"], &[]),
    ("client", &["@slow"], &[]),
    ("client|caching", &["@slow", "@connection"], &[]),
    ("client|getname", &["@slow", "@connection"], &[]),
    ("client|getredir", &["@slow", "@connection"], &[]),
    ("client|help", &["@slow", "@connection"], &[]),
    ("client|id", &["@slow", "@connection"], &[]),
    ("client|info", &["@slow", "@connection"], &["nondeterministic_output"]),
    ("client|kill", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("client|list", &["@admin", "@slow", "@dangerous", "@connection"], &["nondeterministic_output"]),
    ("client|no-evict", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("client|pause", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("client|reply", &["@slow", "@connection"], &[]),
    ("client|setname", &["@slow", "@connection"], &[]),
    ("client|tracking", &["@slow", "@connection"], &[]),
    ("client|trackinginfo", &["@slow", "@connection"], &[]),
    ("client|unblock", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("client|unpause", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("cluster", &["@slow"], &[]),
    ("cluster|addslots", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|addslotsrange", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|bumpepoch", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("cluster|count-failure-reports", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("cluster|countkeysinslot", &["@slow"], &[]),
    ("cluster|delslots", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|delslotsrange", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|failover", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|flushslots", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|forget", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|getkeysinslot", &["@slow"], &["nondeterministic_output"]),
    ("cluster|help", &["@slow"], &[]),
    ("cluster|info", &["@slow"], &["nondeterministic_output"]),
    ("cluster|keyslot", &["@slow"], &[]),
    ("cluster|links", &["@slow"], &["nondeterministic_output"]),
    ("cluster|meet", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|myid", &["@slow"], &[]),
    ("cluster|nodes", &["@slow"], &["nondeterministic_output"]),
    ("cluster|replicas", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("cluster|replicate", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|reset", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|saveconfig", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|set-config-epoch", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|setslot", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|shards", &["@slow"], &["nondeterministic_output"]),
    ("cluster|slaves", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("cluster|slots", &["@slow"], &["nondeterministic_output"]),
    ("command", &["@slow", "@connection"], &["nondeterministic_output_order"]),
    ("command|count", &["@slow", "@connection"], &[]),
    ("command|docs", &["@slow", "@connection"], &["nondeterministic_output_order"]),
    ("command|getkeys", &["@slow", "@connection"], &[]),
    ("command|getkeysandflags", &["@slow", "@connection"], &[]),
    ("command|help", &["@slow", "@connection"], &[]),
    ("command|info", &["@slow", "@connection"], &["nondeterministic_output_order"]),
    ("command|list", &["@slow", "@connection"], &["nondeterministic_output_order"]),
    ("config", &["@slow"], &[]),
    ("config|get", &["@admin", "@slow", "@dangerous"], &[]),
    ("config|help", &["@slow"], &[]),
    ("config|resetstat", &["@admin", "@slow", "@dangerous"], &[]),
    ("config|rewrite", &["@admin", "@slow", "@dangerous"], &[]),
    ("config|set", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("copy", &["@keyspace", "@write", "@slow"], &[]),
    ("dbsize", &["@keyspace", "@read", "@fast"], &["request_policy:all_shards", "response_policy:agg_sum"]),
    ("debug", &["@admin", "@slow", "@dangerous"], &[]),
    ("decr", &["@write", "@string", "@fast"], &[]),
    ("decrby", &["@write", "@string", "@fast"], &[]),
    ("del", &["@keyspace", "@write", "@slow"], &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("discard", &["@fast", "@transaction"], &[]),
    ("dump", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("echo", &["@fast", "@connection"], &[]),
    ("eval", &["@slow", "@scripting"], &[]),
    ("eval_ro", &["@slow", "@scripting"], &[]),
    ("evalsha", &["@slow", "@scripting"], &[]),
    ("evalsha_ro", &["@slow", "@scripting"], &[]),
    ("exec", &["@slow", "@transaction"], &[]),
    ("exists", &["@keyspace", "@read", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("expire", &["@keyspace", "@write", "@fast"], &[]),
    ("expireat", &["@keyspace", "@write", "@fast"], &[]),
    ("expiretime", &["@keyspace", "@read", "@fast"], &[]),
    ("failover", &["@admin", "@slow", "@dangerous"], &[]),
    ("fcall", &["@slow", "@scripting"], &[]),
    ("fcall_ro", &["@slow", "@scripting"], &[]),
    ("flushall", &["@keyspace", "@write", "@slow", "@dangerous"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("flushdb", &["@keyspace", "@write", "@slow", "@dangerous"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function", &["@slow"], &[]),
    ("function|delete", &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function|dump", &["@slow", "@scripting"], &[]),
    ("function|flush", &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function|help", &["@slow", "@scripting"], &[]),
    ("function|kill", &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:one_succeeded"]),
    ("function|list", &["@slow", "@scripting"], &["nondeterministic_output_order"]),
    ("function|load", &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function|restore", &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function|stats", &["@slow", "@scripting"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("geoadd", &["@write", "@geo", "@slow"], &[]),
    ("geodist", &["@read", "@geo", "@slow"], &[]),
    ("geohash", &["@read", "@geo", "@slow"], &[]),
    ("geopos", &["@read", "@geo", "@slow"], &[]),
    ("georadius", &["@write", "@geo", "@slow"], &[]),
    ("georadius_ro", &["@read", "@geo", "@slow"], &[]),
    ("georadiusbymember", &["@write", "@geo", "@slow"], &[]),
    ("georadiusbymember_ro", &["@read", "@geo", "@slow"], &[]),
    ("geosearch", &["@read", "@geo", "@slow"], &[]),
    ("geosearchstore", &["@write", "@geo", "@slow"], &[]),
    ("get", &["@read", "@string", "@fast"], &[]),
    ("getbit", &["@read", "@bitmap", "@fast"], &[]),
    ("getdel", &["@write", "@string", "@fast"], &[]),
    ("getex", &["@write", "@string", "@fast"], &[]),
    ("getrange", &["@read", "@string", "@slow"], &[]),
    ("getset", &["@write", "@string", "@fast"], &[]),
    ("hdel", &["@write", "@hash", "@fast"], &[]),
    ("hello", &["@fast", "@connection"], &[]),
    ("hexists", &["@read", "@hash", "@fast"], &[]),
    ("hget", &["@read", "@hash", "@fast"], &[]),
    ("hgetall", &["@read", "@hash", "@slow"], &["nondeterministic_output_order"]),
    ("hincrby", &["@write", "@hash", "@fast"], &[]),
    ("hincrbyfloat", &["@write", "@hash", "@fast"], &[]),
    ("hkeys", &["@read", "@hash", "@slow"], &["nondeterministic_output_order"]),
    ("hlen", &["@read", "@hash", "@fast"], &[]),
    ("hmget", &["@read", "@hash", "@fast"], &[]),
    ("hmset", &["@write", "@hash", "@fast"], &[]),
    ("hrandfield", &["@read", "@hash", "@slow"], &["nondeterministic_output"]),
    ("hscan", &["@read", "@hash", "@slow"], &["nondeterministic_output"]),
    ("hset", &["@write", "@hash", "@fast"], &[]),
    ("hsetnx", &["@write", "@hash", "@fast"], &[]),
    ("hstrlen", &["@read", "@hash", "@fast"], &[]),
    ("hvals", &["@read", "@hash", "@slow"], &["nondeterministic_output_order"]),
    ("incr", &["@write", "@string", "@fast"], &[]),
    ("incrby", &["@write", "@string", "@fast"], &[]),
    ("incrbyfloat", &["@write", "@string", "@fast"], &[]),
    ("info", &["@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("keys", &["@keyspace", "@read", "@slow", "@dangerous"], &["request_policy:all_shards", "nondeterministic_output_order"]),
    ("lastsave", &["@admin", "@fast", "@dangerous"], &["nondeterministic_output"]),
    ("latency", &["@slow"], &[]),
    ("latency|doctor", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|graph", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|help", &["@slow"], &[]),
    ("latency|histogram", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|history", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|latest", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|reset", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("lcs", &["@read", "@string", "@slow"], &[]),
    ("lindex", &["@read", "@list", "@slow"], &[]),
    ("linsert", &["@write", "@list", "@slow"], &[]),
    ("llen", &["@read", "@list", "@fast"], &[]),
    ("lmove", &["@write", "@list", "@slow"], &[]),
    ("lmpop", &["@write", "@list", "@slow"], &[]),
    ("lolwut", &["@read", "@fast"], &[]),
    ("lpop", &["@write", "@list", "@fast"], &[]),
    ("lpos", &["@read", "@list", "@slow"], &[]),
    ("lpush", &["@write", "@list", "@fast"], &[]),
    ("lpushx", &["@write", "@list", "@fast"], &[]),
    ("lrange", &["@read", "@list", "@slow"], &[]),
    ("lrem", &["@write", "@list", "@slow"], &[]),
    ("lset", &["@write", "@list", "@slow"], &[]),
    ("ltrim", &["@write", "@list", "@slow"], &[]),
    ("memory", &["@slow"], &[]),
    ("memory|doctor", &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("memory|help", &["@slow"], &[]),
    ("memory|malloc-stats", &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("memory|purge", &["@slow"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("memory|stats", &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("memory|usage", &["@read", "@slow"], &[]),
    ("mget", &["@read", "@string", "@fast"], &["request_policy:multi_shard"]),
    ("migrate", &["@keyspace", "@write", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("module", &["@slow"], &[]),
    ("module|help", &["@slow"], &[]),
    ("module|list", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output_order"]),
    ("module|load", &["@admin", "@slow", "@dangerous"], &[]),
    ("module|loadex", &["@admin", "@slow", "@dangerous"], &[]),
    ("module|unload", &["@admin", "@slow", "@dangerous"], &[]),
    ("monitor", &["@admin", "@slow", "@dangerous"], &[]),
    ("move", &["@keyspace", "@write", "@fast"], &[]),
    ("mset", &["@write", "@string", "@slow"], &["request_policy:multi_shard", "response_policy:all_succeeded"]),
    ("msetnx", &["@write", "@string", "@slow"], &["request_policy:multi_shard", "response_policy:agg_min"]),
    ("multi", &["@fast", "@transaction"], &[]),
    ("object", &["@slow"], &[]),
    ("object|encoding", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("object|freq", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("object|help", &["@keyspace", "@slow"], &[]),
    ("object|idletime", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("object|refcount", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("persist", &["@keyspace", "@write", "@fast"], &[]),
    ("pexpire", &["@keyspace", "@write", "@fast"], &[]),
    ("pexpireat", &["@keyspace", "@write", "@fast"], &[]),
    ("pexpiretime", &["@keyspace", "@read", "@fast"], &[]),
    ("pfadd", &["@write", "@hyperloglog", "@fast"], &[]),
    ("pfcount", &["@read", "@hyperloglog", "@slow"], &[]),
    ("pfdebug", &["@write", "@hyperloglog", "@admin", "@slow", "@dangerous"], &[]),
    ("pfmerge", &["@write", "@hyperloglog", "@slow"], &[]),
    ("pfselftest", &["@hyperloglog", "@admin", "@slow", "@dangerous"], &[]),
    ("ping", &["@fast", "@connection"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("psetex", &["@write", "@string", "@slow"], &[]),
    ("psubscribe", &["@pubsub", "@slow"], &[]),
    ("psync", &["@admin", "@slow", "@dangerous"], &[]),
    ("pttl", &["@keyspace", "@read", "@fast"], &["nondeterministic_output"]),
    ("publish", &["@pubsub", "@fast"], &[]),
    ("pubsub", &["@slow"], &[]),
    ("pubsub|channels", &["@pubsub", "@slow"], &[]),
    ("pubsub|help", &["@slow"], &[]),
    ("pubsub|numpat", &["@pubsub", "@slow"], &[]),
    ("pubsub|numsub", &["@pubsub", "@slow"], &[]),
    ("pubsub|shardchannels", &["@pubsub", "@slow"], &[]),
    ("pubsub|shardnumsub", &["@pubsub", "@slow"], &[]),
    ("punsubscribe", &["@pubsub", "@slow"], &[]),
    ("quit", &["@fast", "@connection"], &[]),
    ("randomkey", &["@keyspace", "@read", "@slow"], &["request_policy:all_shards", "nondeterministic_output"]),
    ("readonly", &["@fast", "@connection"], &[]),
    ("readwrite", &["@fast", "@connection"], &[]),
    ("rename", &["@keyspace", "@write", "@slow"], &[]),
    ("renamenx", &["@keyspace", "@write", "@fast"], &[]),
    ("replconf", &["@admin", "@slow", "@dangerous"], &[]),
    ("replicaof", &["@admin", "@slow", "@dangerous"], &[]),
    ("reset", &["@fast", "@connection"], &[]),
    ("restore", &["@keyspace", "@write", "@slow", "@dangerous"], &[]),
    ("restore-asking", &["@keyspace", "@write", "@slow", "@dangerous"], &[]),
    ("role", &["@admin", "@fast", "@dangerous"], &[]),
    ("rpop", &["@write", "@list", "@fast"], &[]),
    ("rpoplpush", &["@write", "@list", "@slow"], &[]),
    ("rpush", &["@write", "@list", "@fast"], &[]),
    ("rpushx", &["@write", "@list", "@fast"], &[]),
    ("sadd", &["@write", "@set", "@fast"], &[]),
    ("save", &["@admin", "@slow", "@dangerous"], &[]),
    ("scan", &["@keyspace", "@read", "@slow"], &["nondeterministic_output", "request_policy:special"]),
    ("scard", &["@read", "@set", "@fast"], &[]),
    ("script", &["@slow"], &[]),
    ("script|debug", &["@slow", "@scripting"], &[]),
    ("script|exists", &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:agg_logical_and"]),
    ("script|flush", &["@slow", "@scripting"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("script|help", &["@slow", "@scripting"], &[]),
    ("script|kill", &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:one_succeeded"]),
    ("script|load", &["@slow", "@scripting"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("sdiff", &["@read", "@set", "@slow"], &["nondeterministic_output_order"]),
    ("sdiffstore", &["@write", "@set", "@slow"], &[]),
    ("select", &["@fast", "@connection"], &[]),
    ("set", &["@write", "@string", "@slow"], &[]),
    ("setbit", &["@write", "@bitmap", "@slow"], &[]),
    ("setex", &["@write", "@string", "@slow"], &[]),
    ("setnx", &["@write", "@string", "@fast"], &[]),
    ("setrange", &["@write", "@string", "@slow"], &[]),
    ("shutdown", &["@admin", "@slow", "@dangerous"], &[]),
    ("sinter", &["@read", "@set", "@slow"], &["nondeterministic_output_order"]),
    ("sintercard", &["@read", "@set", "@slow"], &[]),
    ("sinterstore", &["@write", "@set", "@slow"], &[]),
    ("sismember", &["@read", "@set", "@fast"], &[]),
    ("slaveof", &["@admin", "@slow", "@dangerous"], &[]),
    ("slowlog", &["@slow"], &[]),
    ("slowlog|get", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "nondeterministic_output"]),
    ("slowlog|help", &["@slow"], &[]),
    ("slowlog|len", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"]),
    ("slowlog|reset", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("smembers", &["@read", "@set", "@slow"], &["nondeterministic_output_order"]),
    ("smismember", &["@read", "@set", "@fast"], &[]),
    ("smove", &["@write", "@set", "@fast"], &[]),
    ("sort", &["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"], &[]),
    ("sort_ro", &["@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"], &[]),
    ("spop", &["@write", "@set", "@fast"], &["nondeterministic_output"]),
    ("spublish", &["@pubsub", "@fast"], &[]),
    ("srandmember", &["@read", "@set", "@slow"], &["nondeterministic_output"]),
    ("srem", &["@write", "@set", "@fast"], &[]),
    ("sscan", &["@read", "@set", "@slow"], &["nondeterministic_output"]),
    ("ssubscribe", &["@pubsub", "@slow"], &[]),
    ("strlen", &["@read", "@string", "@fast"], &[]),
    ("subscribe", &["@pubsub", "@slow"], &[]),
    ("substr", &["@read", "@string", "@slow"], &[]),
    ("sunion", &["@read", "@set", "@slow"], &["nondeterministic_output_order"]),
    ("sunionstore", &["@write", "@set", "@slow"], &[]),
    ("sunsubscribe", &["@pubsub", "@slow"], &[]),
    ("swapdb", &["@keyspace", "@write", "@fast", "@dangerous"], &[]),
    ("sync", &["@admin", "@slow", "@dangerous"], &[]),
    ("time", &["@fast"], &["nondeterministic_output"]),
    ("touch", &["@keyspace", "@read", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("ttl", &["@keyspace", "@read", "@fast"], &["nondeterministic_output"]),
    ("type", &["@keyspace", "@read", "@fast"], &[]),
    ("unlink", &["@keyspace", "@write", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("unsubscribe", &["@pubsub", "@slow"], &[]),
    ("unwatch", &["@fast", "@transaction"], &[]),
    ("wait", &["@slow", "@connection"], &["request_policy:all_shards", "response_policy:agg_min"]),
    ("watch", &["@fast", "@transaction"], &[]),
    ("xack", &["@write", "@stream", "@fast"], &[]),
    ("xadd", &["@write", "@stream", "@fast"], &["nondeterministic_output"]),
    ("xautoclaim", &["@write", "@stream", "@fast"], &["nondeterministic_output"]),
    ("xclaim", &["@write", "@stream", "@fast"], &["nondeterministic_output"]),
    ("xdel", &["@write", "@stream", "@fast"], &[]),
    ("xgroup", &["@slow"], &[]),
    ("xgroup|create", &["@write", "@stream", "@slow"], &[]),
    ("xgroup|createconsumer", &["@write", "@stream", "@slow"], &[]),
    ("xgroup|delconsumer", &["@write", "@stream", "@slow"], &[]),
    ("xgroup|destroy", &["@write", "@stream", "@slow"], &[]),
    ("xgroup|help", &["@stream", "@slow"], &[]),
    ("xgroup|setid", &["@write", "@stream", "@slow"], &[]),
    ("xinfo", &["@slow"], &[]),
    ("xinfo|consumers", &["@read", "@stream", "@slow"], &["nondeterministic_output"]),
    ("xinfo|groups", &["@read", "@stream", "@slow"], &[]),
    ("xinfo|help", &["@stream", "@slow"], &[]),
    ("xinfo|stream", &["@read", "@stream", "@slow"], &[]),
    ("xlen", &["@read", "@stream", "@fast"], &[]),
    ("xpending", &["@read", "@stream", "@slow"], &["nondeterministic_output"]),
    ("xrange", &["@read", "@stream", "@slow"], &[]),
    ("xread", &["@read", "@stream", "@slow", "@blocking"], &[]),
    ("xreadgroup", &["@write", "@stream", "@slow", "@blocking"], &[]),
    ("xrevrange", &["@read", "@stream", "@slow"], &[]),
    ("xsetid", &["@write", "@stream", "@fast"], &[]),
    ("xtrim", &["@write", "@stream", "@slow"], &["nondeterministic_output"]),
    ("zadd", &["@write", "@sortedset", "@fast"], &[]),
    ("zcard", &["@read", "@sortedset", "@fast"], &[]),
    ("zcount", &["@read", "@sortedset", "@fast"], &[]),
    ("zdiff", &["@read", "@sortedset", "@slow"], &[]),
    ("zdiffstore", &["@write", "@sortedset", "@slow"], &[]),
    ("zincrby", &["@write", "@sortedset", "@fast"], &[]),
    ("zinter", &["@read", "@sortedset", "@slow"], &[]),
    ("zintercard", &["@read", "@sortedset", "@slow"], &[]),
    ("zinterstore", &["@write", "@sortedset", "@slow"], &[]),
    ("zlexcount", &["@read", "@sortedset", "@fast"], &[]),
    ("zmpop", &["@write", "@sortedset", "@slow"], &[]),
    ("zmscore", &["@read", "@sortedset", "@fast"], &[]),
    ("zpopmax", &["@write", "@sortedset", "@fast"], &[]),
    ("zpopmin", &["@write", "@sortedset", "@fast"], &[]),
    ("zrandmember", &["@read", "@sortedset", "@slow"], &["nondeterministic_output"]),
    ("zrange", &["@read", "@sortedset", "@slow"], &[]),
    ("zrangebylex", &["@read", "@sortedset", "@slow"], &[]),
    ("zrangebyscore", &["@read", "@sortedset", "@slow"], &[]),
    ("zrangestore", &["@write", "@sortedset", "@slow"], &[]),
    ("zrank", &["@read", "@sortedset", "@fast"], &[]),
    ("zrem", &["@write", "@sortedset", "@fast"], &[]),
    ("zremrangebylex", &["@write", "@sortedset", "@slow"], &[]),
    ("zremrangebyrank", &["@write", "@sortedset", "@slow"], &[]),
    ("zremrangebyscore", &["@write", "@sortedset", "@slow"], &[]),
    ("zrevrange", &["@read", "@sortedset", "@slow"], &[]),
    ("zrevrangebylex", &["@read", "@sortedset", "@slow"], &[]),
    ("zrevrangebyscore", &["@read", "@sortedset", "@slow"], &[]),
    ("zrevrank", &["@read", "@sortedset", "@fast"], &[]),
    ("zscan", &["@read", "@sortedset", "@slow"], &["nondeterministic_output"]),
    ("zscore", &["@read", "@sortedset", "@fast"], &[]),
    ("zunion", &["@read", "@sortedset", "@slow"], &[]),
    ("zunionstore", &["@write", "@sortedset", "@slow"], &[]),
];

fn meta(
    name: &str,
) -> Option<&'static (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
)> {
    META.binary_search_by(|m| m.0.cmp(name))
        .ok()
        .map(|i| &META[i])
}

/// ACL categories in Redis's order: Redis's own list, else derived from flags and group.
fn acl_categories(d: &Described) -> Vec<&'static str> {
    if let Some(m) = meta(&d.name) {
        return m.1.to_vec();
    }
    let mut v = Vec::new();
    let has = |f: u32| d.flags & f != 0;
    if d.group == "generic" {
        v.push("@keyspace");
    }
    if has(READONLY) {
        v.push("@read");
    }
    if has(WRITE) {
        v.push("@write");
    }
    match d.group {
        "set" => v.push("@set"),
        "sorted_set" => v.push("@sortedset"),
        "list" => v.push("@list"),
        "hash" => v.push("@hash"),
        "string" => v.push("@string"),
        "bitmap" => v.push("@bitmap"),
        "hyperloglog" => v.push("@hyperloglog"),
        "geo" => v.push("@geo"),
        "stream" => v.push("@stream"),
        "pubsub" => v.push("@pubsub"),
        _ => {}
    }
    if has(ADMIN) {
        v.push("@admin");
    }
    if has(FAST) {
        v.push("@fast");
    } else {
        v.push("@slow");
    }
    if has(BLOCKING) {
        v.push("@blocking");
    }
    if has(ADMIN) {
        v.push("@dangerous");
    }
    let conn = (d.group == "connection" && d.subs.is_empty())
        || d.name.starts_with("client|")
        || d.name == "command"
        || d.name.starts_with("command|");
    if conn {
        v.push("@connection");
    }
    if d.group == "transactions" {
        v.push("@transaction");
    }
    v
}

fn write_info(out: &mut ReplyBuf, d: &Described) {
    out.array(10);
    out.bulk(d.name.as_bytes());
    out.int(d.arity as i64);
    // A plain server does not show the sentinel flags.
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(f, _)| d.flags & f & !(SENTINEL | ONLY_SENTINEL) != 0)
        .map(|(_, n)| *n)
        .collect();
    out.set(names.len());
    for n in names {
        out.simple(n);
    }
    out.int(d.keys.0 as i64);
    out.int(d.keys.1 as i64);
    out.int(d.keys.2 as i64);
    let cats = acl_categories(d);
    out.set(cats.len());
    for c in cats {
        out.simple(c);
    }
    let tips = meta(&d.name).map_or(&[][..], |m| m.2);
    out.array(tips.len());
    for t in tips {
        out.bulk(t.as_bytes());
    }
    // Key specs, derived from (first, last, step).
    if d.keys.0 > 0 {
        out.array(1);
        out.map(3);
        out.bulk(b"flags");
        out.set(2);
        if d.flags & WRITE != 0 {
            out.simple("RW");
            out.simple("update");
        } else {
            out.simple("RO");
            out.simple("access");
        }
        out.bulk(b"begin_search");
        out.map(2);
        out.bulk(b"type");
        out.bulk(b"index");
        out.bulk(b"spec");
        out.map(1);
        out.bulk(b"index");
        out.int(d.keys.0 as i64);
        out.bulk(b"find_keys");
        out.map(2);
        out.bulk(b"type");
        out.bulk(b"range");
        out.bulk(b"spec");
        out.map(3);
        out.bulk(b"lastkey");
        let lastkey = if d.keys.1 < 0 {
            d.keys.1
        } else {
            d.keys.1 - d.keys.0
        };
        out.int(lastkey as i64);
        out.bulk(b"keystep");
        out.int(d.keys.2 as i64);
        out.bulk(b"limit");
        out.int(0);
    } else {
        out.array(0);
    }
    out.array(d.subs.len());
    for s in &d.subs {
        write_info(out, s);
    }
}

fn write_docs(out: &mut ReplyBuf, d: &Described) {
    out.map(3 + usize::from(!d.subs.is_empty()));
    out.bulk(b"summary");
    out.bulk(d.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(d.since.as_bytes());
    out.bulk(b"group");
    out.bulk(d.group.as_bytes());
    if !d.subs.is_empty() {
        out.bulk(b"subcommands");
        out.map(d.subs.len());
        for s in &d.subs {
            out.bulk(s.name.as_bytes());
            write_docs(out, s);
        }
    }
}

/// Find a command or `parent|sub` in the table.
fn lookup_described(name: &[u8]) -> Option<Described> {
    let n = lower(name);
    let (parent, sub) = match n.split_once('|') {
        Some((p, s)) => (p.to_string(), Some(s.to_string())),
        None => (n.clone(), None),
    };
    let c = command_table().get(parent.as_bytes())?;
    let d = describe(c);
    match sub {
        None => Some(d),
        Some(s) => {
            let full = format!("{}|{}", c.name, s);
            d.subs.into_iter().find(|x| x.name == full)
        }
    }
}

const COMMAND_HELP: &[&str] = &[
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
];

enum ListFilter {
    All,
    Module,
    AclCat(String),
    Pattern(Bytes),
}

impl ListFilter {
    fn keep(&self, d: &Described) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => acl_categories(d).contains(&cat.as_str()),
            ListFilter::Pattern(p) => glob_match(p, d.name.as_bytes(), true),
        }
    }
}

fn command_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let table = command_table();
    if args.len() == 1 {
        let out = ctx.out();
        out.array(table.all.len());
        for c in &table.all {
            write_info(out, &describe(c));
        }
        return Ok(());
    }
    let sub = subcommand(args, "command")?;
    match sub.as_str() {
        "count" => ctx.out().int(table.all.len() as i64),
        "info" => {
            let out = ctx.out();
            if args.len() == 2 {
                out.array(table.all.len());
                for c in &table.all {
                    write_info(out, &describe(c));
                }
            } else {
                out.array(args.len() - 2);
                for a in &args[2..] {
                    match lookup_described(a) {
                        Some(d) => write_info(out, &d),
                        None => out.null(),
                    }
                }
            }
        }
        "docs" => {
            let list: Vec<Described> = if args.len() == 2 {
                table.all.iter().map(|c| describe(c)).collect()
            } else {
                args[2..]
                    .iter()
                    .filter_map(|a| lookup_described(a))
                    .collect()
            };
            let out = ctx.out();
            out.map(list.len());
            for d in &list {
                out.bulk(d.name.as_bytes());
                write_docs(out, d);
            }
        }
        "list" => {
            let filter = if args.len() == 2 {
                ListFilter::All
            } else if args.len() == 5 && eq_ignore_case(&args[2], "filterby") {
                match lower(&args[3]).as_str() {
                    "module" => ListFilter::Module,
                    "aclcat" => ListFilter::AclCat(format!("@{}", lower(&args[4]))),
                    "pattern" => ListFilter::Pattern(args[4].clone()),
                    _ => return Err(err::SYNTAX.into()),
                }
            } else {
                return Err(err::SYNTAX.into());
            };
            let mut names = Vec::new();
            for c in &table.all {
                let d = describe(c);
                if filter.keep(&d) {
                    names.push(d.name.clone());
                }
                for s in &d.subs {
                    if filter.keep(s) {
                        names.push(s.name.clone());
                    }
                }
            }
            let out = ctx.out();
            out.array(names.len());
            for n in names {
                out.bulk(n.as_bytes());
            }
        }
        "getkeys" => {
            let argv = &args[2..];
            let Some(c) = table.get(&argv[0]) else {
                return Err("ERR Invalid command specified".into());
            };
            if (c.arity > 0 && argv.len() != c.arity as usize)
                || argv.len() < c.arity.unsigned_abs() as usize
            {
                return Err("ERR Invalid number of arguments specified for command".into());
            }
            let keys = c.key_indices(argv.len());
            if keys.is_empty() {
                return Err("ERR The command has no key arguments".into());
            }
            let out = ctx.out();
            out.array(keys.len());
            for i in keys {
                out.bulk(&argv[i]);
            }
        }
        "help" => help(ctx.out(), "COMMAND", COMMAND_HELP),
        _ => return Err(unknown_sub(&args[1], "command")),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Keyspace-wide commands

fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let n = ctx.db().len() as i64;
    ctx.out().int(n);
    Ok(())
}

fn flush_mode(args: &[Bytes]) -> CmdResult {
    match args.len() {
        1 => Ok(()),
        2 if eq_ignore_case(&args[1], "async") || eq_ignore_case(&args[1], "sync") => Ok(()),
        _ => Err(err::SYNTAX.into()),
    }
}

/// Persistence hook: FLUSHALL saves an (empty) RDB when save points are set.
/// Filled in by the persistence work.
pub fn save_after_flushall(ctx: &mut Ctx) {
    // Redis 7.0 saves right away after FLUSHALL when save points are set.
    ctx.srv.save();
}

fn flushall(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    flush_mode(args)?;
    // Redis kills a saving child (flushAllDataAndResetRDB): its snapshot is of
    // data that no longer exists. The end is logged when the child is reaped.
    let killed = ctx.srv.kill_bgsave();
    let mut n = 0;
    for db in ctx.srv.dbs.iter_mut() {
        n += db.len() as u64;
        db.clear();
    }
    ctx.dirty(n);
    if !ctx.srv.config.get(Key::SAVE).is_empty() {
        save_after_flushall(ctx);
    }
    if let Some(k) = killed {
        ctx.srv.bgsave_killed(k);
    }
    ctx.dirty(1);
    ctx.propagate = Propagate::Replace(vec![args.to_vec()]);
    ctx.out().ok();
    Ok(())
}

fn flushdb(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    flush_mode(args)?;
    let db = ctx.db();
    let n = db.len() as u64;
    db.clear();
    ctx.dirty(n);
    // Redis forces propagation even when the db was already empty.
    ctx.propagate = Propagate::Replace(vec![args.to_vec()]);
    ctx.out().ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let a = crate::resp::parse_i64(&args[1]).ok_or(Error::from("ERR invalid first DB index"))?;
    let b = crate::resp::parse_i64(&args[2]).ok_or(Error::from("ERR invalid second DB index"))?;
    let n = ctx.srv.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(err::DB_INDEX.into());
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        let dbs = &mut ctx.srv.dbs;
        dbs.swap(a, b);
        let (ra, rb) = (dbs[a].replica_mode, dbs[b].replica_mode);
        dbs[a].replica_mode = rb;
        dbs[b].replica_mode = ra;
        // WATCHers of either db see every key of both as touched.
        let mut all: Vec<Bytes> = dbs[a].keys().keys().cloned().collect();
        all.extend(dbs[b].keys().keys().cloned());
        dbs[a].touched.extend(all.iter().cloned());
        dbs[b].touched.extend(all);
        ctx.srv.expire_cursor.swap(a, b);
    }
    ctx.dirty(1);
    ctx.out().ok();
    Ok(())
}

// ---------------------------------------------------------------------------
// Small server commands

fn time(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let out = ctx.out();
    out.array(2);
    out.bulk_int((now / 1000) as i64);
    out.bulk_int(((now % 1000) * 1000) as i64);
    Ok(())
}

fn slowlog(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "slowlog")?;
    match sub.as_str() {
        "get" => {
            if args.len() > 3 {
                return Err(sub_arity("slowlog", "get"));
            }
            if let Some(c) = args.get(2) {
                match crate::resp::parse_i64(c) {
                    Some(n) if n >= -1 => {}
                    _ => return Err("ERR count should be greater than or equal to -1".into()),
                }
            }
            ctx.out().array(0);
        }
        "len" => ctx.out().int(0),
        "reset" => ctx.out().ok(),
        "help" => help(
            ctx.out(),
            "SLOWLOG",
            &[
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name",
                "LEN",
                "    Return the length of the slowlog.",
                "RESET",
                "    Reset the slowlog.",
            ],
        ),
        _ => return Err(unknown_sub(&args[1], "slowlog")),
    }
    Ok(())
}

const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

fn debug(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let allowed = match ctx.srv.config.get(Key::ENABLE_DEBUG_COMMAND) {
        "yes" => true,
        "local" => crate::server::is_loopback(&ctx.client.addr.host),
        _ => false,
    };
    if !allowed {
        return Err(DEBUG_NOT_ALLOWED.into());
    }
    let sub = lower(&args[1]);
    match (sub.as_str(), args.len()) {
        ("sleep", 3) => {
            // Like Redis's atof: junk reads as 0.
            let secs = crate::resp::parse_f64(&args[2]).unwrap_or(0.0);
            let ms = if secs.is_finite() && secs > 0.0 {
                (secs * 1000.0).min(1e15) as u64
            } else {
                0
            };
            if ms > 0 {
                // The whole node stops: nothing runs and nothing is sent until then.
                ctx.srv.paused_until = ctx.now.saturating_add(ms);
            }
            ctx.out().ok();
        }
        ("set-active-expire", 3) => ctx.out().ok(),
        ("object", 3) => {
            let key = args[2].clone();
            let now = ctx.now;
            let Some(o) = ctx.lookup(&key) else {
                return Err(err::NO_SUCH_KEY.into());
            };
            let len = match &o.value {
                crate::keyspace::Value::Str(s) => s.len() + 1,
                _ => 16,
            };
            let s = format!(
                "Value at:0x7f0000000000 refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:0",
                o.encoding(),
                len,
                (now / 1000) & ((1 << 24) - 1)
            );
            ctx.out().simple(&s);
        }
        ("help", 2) => help(
            ctx.out(),
            "DEBUG",
            &[
                "OBJECT <key>",
                "    Show low level info about the `key` and associated value.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        ),
        _ => {
            return Err(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                text(&args[1])
            )
            .into())
        }
    }
    Ok(())
}

fn shutdown(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut nosave, mut save, mut abort) = (false, false, false);
    for a in &args[1..] {
        match lower(a).as_str() {
            "nosave" => nosave = true,
            "save" => save = true,
            // No replicas to wait for yet, so NOW changes nothing.
            "now" => {}
            // FORCE only overrides a failed final save, which cannot happen
            // in the core (the host writes the file and logs its own errors).
            "force" => {}
            "abort" => abort = true,
            _ => return Err(err::SYNTAX.into()),
        }
    }
    if (abort && args.len() != 2) || (nosave && save) {
        return Err(err::SYNTAX.into());
    }
    if abort {
        return Err("ERR No shutdown in progress.".into());
    }
    let final_save = if save {
        FinalSave::Save
    } else if nosave {
        FinalSave::NoSave
    } else {
        FinalSave::Default
    };
    ctx.srv.prepare_for_shutdown(final_save);
    ctx.client.close_after_reply = true;
    ctx.propagate = Propagate::Nothing;
    Ok(())
}

fn memory(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = lower(&args[1]);
    match sub.as_str() {
        "usage" => {
            if args.len() != 3 && !(args.len() == 5 && eq_ignore_case(&args[3], "samples")) {
                return Err(err::SYNTAX.into());
            }
            if args.len() == 5 {
                arg_i64(&args[4])?;
            }
            let key = args[2].clone();
            let Some(o) = ctx.lookup(&key).cloned() else {
                ctx.out().null();
                return Ok(());
            };
            let mut one = crate::keyspace::Db::default();
            one.set(key, o);
            let n = crate::server::info::db_memory(&one) as i64;
            ctx.out().int(n);
        }
        "help" if args.len() == 2 => help(
            ctx.out(),
            "MEMORY",
            &[
                "DOCTOR",
                "    Return memory problems reports.",
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
                "STATS",
                "    Return information about the memory usage of the server.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
            ],
        ),
        _ => return Err(unknown_sub(&args[1], "memory")),
    }
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def(
        "info",
        -1,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Get information and statistics about the server",
        info,
    ),
    CommandDef {
        subcommands: &["get", "set", "resetstat", "rewrite", "help"],
        ..def(
            "config",
            -2,
            0,
            (0, 0, 0),
            "server",
            "2.0.0",
            "A container for server configuration commands",
            config_cmd,
        )
    },
    CommandDef {
        subcommands: &[
            "caching", "getname", "getredir", "help", "id", "info", "kill", "list", "no-evict",
            "reply", "setname", "unpause",
        ],
        ..def(
            "client",
            -2,
            SENTINEL,
            (0, 0, 0),
            "connection",
            "2.4.0",
            "A container for client connection commands",
            client_cmd,
        )
    },
    CommandDef {
        subcommands: &["count", "docs", "getkeys", "help", "info", "list"],
        ..def(
            "command",
            -1,
            LOADING | STALE | SENTINEL,
            (0, 0, 0),
            "server",
            "2.8.13",
            "Get array of Redis command details",
            command_cmd,
        )
    },
    CommandDef {
        subcommands: &["get", "help", "len", "reset"],
        ..def(
            "slowlog",
            -2,
            0,
            (0, 0, 0),
            "server",
            "2.2.12",
            "A container for slow log commands",
            slowlog,
        )
    },
    CommandDef {
        subcommands: &["usage", "help"],
        ..def(
            "memory",
            -2,
            0,
            (0, 0, 0),
            "server",
            "4.0.0",
            "A container for memory diagnostics commands",
            memory,
        )
    },
    def(
        "dbsize",
        1,
        READONLY | FAST,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Return the number of keys in the selected database",
        dbsize,
    ),
    def(
        "flushall",
        -1,
        WRITE,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Remove all keys from all databases",
        flushall,
    ),
    def(
        "flushdb",
        -1,
        WRITE,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Remove all keys from the current database",
        flushdb,
    ),
    def(
        "swapdb",
        3,
        WRITE | FAST,
        (0, 0, 0),
        "server",
        "4.0.0",
        "Swaps two Redis databases",
        swapdb,
    ),
    def(
        "time",
        1,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "server",
        "2.6.0",
        "Return the current server time",
        time,
    ),
    def(
        "debug",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "server",
        "1.0.0",
        "A container for debugging commands",
        debug,
    ),
    def(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Synchronously save the dataset to disk and then shut down the server",
        shutdown,
    ),
];

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::node::{Addr, ConnId, Input, Node, Output};
    use crate::server::{Config, Server};

    const T0: u64 = 1_700_000_000_000;

    fn enc(cmd: &str) -> Vec<u8> {
        let parts: Vec<&str> = cmd.split(' ').collect();
        let mut v = format!("*{}\r\n", parts.len()).into_bytes();
        for p in parts {
            v.extend_from_slice(format!("${}\r\n{}\r\n", p.len(), p).as_bytes());
        }
        v
    }

    struct H {
        s: Server,
        now: u64,
        closed: Vec<ConnId>,
        events: Vec<Event>,
    }

    impl H {
        fn new() -> H {
            H::with(Config::default())
        }
        fn with(cfg: Config) -> H {
            let mut h = H {
                s: Server::new(cfg, T0, 7),
                now: T0,
                closed: vec![],
                events: vec![],
            };
            h.connect(1);
            h
        }
        fn connect(&mut self, id: u64) {
            self.s.handle(
                self.now,
                Input::Accepted {
                    conn: ConnId(id),
                    peer: Addr::new("127.0.0.1", 50000 + id as u16),
                    local: Addr::new("127.0.0.1", 6379),
                },
            );
            self.drain();
        }
        fn drain(&mut self) -> Vec<(u64, Vec<u8>)> {
            let mut v = vec![];
            while let Some(o) = self.s.poll_output() {
                match o {
                    Output::Send { conn, bytes } => v.push((conn.0, bytes)),
                    Output::Close { conn } => self.closed.push(conn),
                    Output::Event(e) => self.events.push(e),
                    _ => {}
                }
            }
            v
        }
        fn send(&mut self, conn: u64, bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
            self.s.handle(
                self.now,
                Input::Data {
                    conn: ConnId(conn),
                    bytes,
                },
            );
            self.drain()
        }
        fn on(&mut self, conn: u64, cmd: &str) -> String {
            let out = self.send(conn, &enc(cmd));
            out.into_iter()
                .filter(|(c, _)| *c == conn)
                .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
                .collect()
        }
        fn cmd(&mut self, cmd: &str) -> String {
            self.on(1, cmd)
        }
        /// String/list families are other people's work: store data directly.
        fn set(&mut self, db: usize, k: &str, v: &str) {
            self.s.st.dbs[db].set(
                Bytes::copy_from_slice(k.as_bytes()),
                crate::keyspace::Object::new(crate::keyspace::Value::Str(Bytes::copy_from_slice(
                    v.as_bytes(),
                ))),
            );
        }
    }

    fn bulk_body(s: &str) -> &str {
        let i = s.find("\r\n").unwrap();
        &s[i + 2..s.len() - 2]
    }

    #[test]
    fn info_sections() {
        let mut h = H::new();
        h.set(0, "foo", "bar");
        let r = h.cmd("INFO");
        let body = bulk_body(&r);
        let headers: Vec<&str> = body.split("\r\n").filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            headers,
            [
                "# Server",
                "# Clients",
                "# Memory",
                "# Persistence",
                "# Stats",
                "# Replication",
                "# CPU",
                "# Modules",
                "# Errorstats",
                "# Cluster",
                "# Keyspace"
            ]
        );
        assert!(body.contains("\r\nredis_version:7.0.15\r\n"));
        assert!(body.contains("\r\nconnected_clients:1\r\n"));
        assert!(body.contains("\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"));
        assert!(body.contains(&format!("\r\nrun_id:{}\r\n", h.s.st.run_id)));
        let r = h.cmd("INFO replication");
        let body = bulk_body(&r);
        assert!(body.starts_with("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:"));
        assert!(body.contains(&format!("master_replid:{}\r\n", h.s.st.repl.replid)));
        assert!(body.contains("master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n"));
        let r = h.cmd("INFO server CLIENTS");
        assert!(r.contains("# Server\r\n") && r.contains("\r\n\r\n# Clients\r\n"));
        assert!(!r.contains("# Memory"));
        assert_eq!(h.cmd("INFO foo"), "$0\r\n\r\n");
        let r = h.cmd("INFO everything");
        assert!(r.contains("# Commandstats") && r.contains("# Latencystats"));
        h.now += 5000;
        let r = h.cmd("INFO server");
        assert!(r.contains("\r\nuptime_in_seconds:5\r\n"));
        h.s.st.dbs[0].set_expire(b"foo", h.now + 10000);
        let r = h.cmd("INFO keyspace");
        assert!(r.contains("db0:keys=1,expires=1,avg_ttl=10000"), "{r}");
    }

    fn my_repl(_ctx: &InfoCtx, out: &mut String) {
        out.push_str("role:slave\r\n");
    }

    #[test]
    fn info_section_can_be_replaced() {
        let mut h = H::new();
        register_info_section(&mut h.s.st, "replication", my_repl);
        assert_eq!(
            h.cmd("INFO replication"),
            "$27\r\n# Replication\r\nrole:slave\r\n\r\n"
        );
    }

    #[test]
    fn config_commands() {
        let mut h = H::new();
        assert_eq!(h.cmd("CONFIG GET hz"), "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
        assert_eq!(
            h.cmd("CONFIG GET maxmemory hz"),
            "*4\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$2\r\nhz\r\n$2\r\n10\r\n"
        );
        assert_eq!(h.cmd("CONFIG SET hz 20 maxmemory 1mb"), "+OK\r\n");
        assert_eq!(h.cmd("CONFIG GET hz"), "*2\r\n$2\r\nhz\r\n$2\r\n20\r\n");
        assert_eq!(
            h.cmd("CONFIG SET foo 1"),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
        );
        assert_eq!(
            h.cmd("CONFIG SET hz abc"),
            "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n"
        );
        assert_eq!(h.cmd("CONFIG SET hz 1 maxmemory"), "-ERR syntax error\r\n");
        assert_eq!(
            h.cmd("CONFIG SET hz"),
            "-ERR wrong number of arguments for 'config|set' command\r\n"
        );
        assert_eq!(
            h.cmd("CONFIG GET"),
            "-ERR wrong number of arguments for 'config|get' command\r\n"
        );
        assert_eq!(
            h.cmd("CONFIG foo"),
            "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"
        );
        let r = h.cmd("CONFIG GET slave*");
        assert!(r.contains("slave-read-only") && r.contains("slaveof"));
        let r = h.cmd("CONFIG GET *");
        assert!(r.starts_with("*384\r\n"), "{}", &r[..10]);
        assert_eq!(
            h.cmd("CONFIG REWRITE"),
            "-ERR The server is running without a config file\r\n"
        );
        assert_eq!(h.cmd("CONFIG RESETSTAT"), "+OK\r\n");
        assert!(h
            .cmd("INFO stats")
            .contains("total_commands_processed:1\r\n"));
        assert!(h
            .cmd("CONFIG HELP")
            .starts_with("*11\r\n+CONFIG <subcommand>"));
    }

    #[test]
    fn config_rewrite_event() {
        let mut cfg = Config::default();
        cfg.config_file = Some("/tmp/r.conf".into());
        cfg.config_text = Some("port 6379\n".into());
        let mut h = H::with(cfg);
        h.cmd("CONFIG SET maxmemory 2mb");
        assert_eq!(h.cmd("CONFIG REWRITE"), "+OK\r\n");
        assert!(h.events.iter().any(|e| matches!(e,
            Event::ConfigRewrite { path, text }
                if path == "/tmp/r.conf" && text == "port 6379\n# Generated by CONFIG REWRITE\nmaxmemory 2097152\n")));
        assert!(h.cmd("INFO server").contains("config_file:/tmp/r.conf\r\n"));
    }

    #[test]
    fn client_commands() {
        let mut h = H::new();
        assert_eq!(h.cmd("CLIENT ID"), ":1\r\n");
        assert_eq!(h.cmd("CLIENT GETNAME"), "$-1\r\n");
        assert_eq!(
            h.send(1, b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$3\r\na b\r\n")[0].1,
            b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(h.cmd("CLIENT SETNAME me"), "+OK\r\n");
        assert_eq!(h.cmd("CLIENT GETNAME"), "$2\r\nme\r\n");
        assert_eq!(
            h.cmd("CLIENT SETNAME"),
            "-ERR wrong number of arguments for 'client|setname' command\r\n"
        );
        h.connect(2);
        h.on(2, "PING");
        h.now += 3000;
        let r = h.cmd("CLIENT LIST");
        let body = bulk_body(&r);
        let lines: Vec<&str> = body.split('\n').filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "id=1 addr=127.0.0.1:50001 laddr=127.0.0.1:6379 fd=8 name=me age=3 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|list user=default redir=-1 resp=2");
        assert_eq!(lines[1], "id=2 addr=127.0.0.1:50002 laddr=127.0.0.1:6379 fd=9 name= age=3 idle=3 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1800 events=r cmd=ping user=default redir=-1 resp=2");
        let r = h.cmd("CLIENT LIST ID 2");
        assert!(r.contains("id=2 ") && !r.contains("id=1 "));
        assert_eq!(
            h.cmd("CLIENT LIST TYPE foo"),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(h.cmd("CLIENT LIST ID abc"), "-ERR Invalid client ID\r\n");
        assert!(h.cmd("CLIENT LIST TYPE pubsub").starts_with("$0\r\n"));
        let r = h.cmd("CLIENT INFO");
        assert!(r.contains("id=1 ") && r.contains("cmd=client|info "));
        assert_eq!(h.cmd("CLIENT NO-EVICT on"), "+OK\r\n");
        assert_eq!(h.cmd("CLIENT NO-EVICT maybe"), "-ERR syntax error\r\n");
        assert_eq!(
            h.cmd("CLIENT foo"),
            "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"
        );
        assert!(h
            .cmd("CLIENT HELP")
            .starts_with("*48\r\n+CLIENT <subcommand>"));
    }

    #[test]
    fn client_kill() {
        let mut h = H::new();
        h.connect(2);
        h.connect(3);
        assert_eq!(h.cmd("CLIENT KILL 1.2.3.4:5"), "-ERR No such client\r\n");
        assert_eq!(h.cmd("CLIENT KILL foo bar"), "-ERR syntax error\r\n");
        assert_eq!(
            h.cmd("CLIENT KILL id abc"),
            "-ERR client-id should be greater than 0\r\n"
        );
        assert_eq!(
            h.cmd("CLIENT KILL type foo"),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(
            h.cmd("CLIENT KILL user nobody"),
            "-ERR No such user 'nobody'\r\n"
        );
        assert_eq!(h.cmd("CLIENT KILL skipme maybe"), "-ERR syntax error\r\n");
        assert_eq!(h.cmd("CLIENT KILL id 99"), ":0\r\n");
        assert_eq!(h.cmd("CLIENT KILL 127.0.0.1:50002"), "+OK\r\n");
        assert_eq!(h.closed, vec![ConnId(2)]);
        assert_eq!(h.cmd("CLIENT KILL type normal"), ":1\r\n");
        assert_eq!(h.closed, vec![ConnId(2), ConnId(3)]);
        assert_eq!(h.cmd("CLIENT KILL type normal skipme no"), ":1\r\n");
        assert_eq!(h.closed, vec![ConnId(2), ConnId(3), ConnId(1)]);
    }

    #[test]
    fn command_commands() {
        let mut h = H::new();
        let n = command_table().all.len();
        assert_eq!(h.cmd("COMMAND COUNT"), format!(":{n}\r\n"));
        assert_eq!(
            h.cmd("COMMAND INFO dbsize nosuch"),
            "*2\r\n*10\r\n$6\r\ndbsize\r\n:1\r\n*2\r\n+readonly\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@keyspace\r\n+@read\r\n+@fast\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$23\r\nresponse_policy:agg_sum\r\n*0\r\n*0\r\n$-1\r\n"
        );
        let r = h.cmd("COMMAND INFO config");
        assert!(r.starts_with("*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*5\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n"), "{r}");
        let r = h.cmd("COMMAND");
        assert!(r.starts_with(&format!("*{n}\r\n")));
        let r = h.cmd("COMMAND DOCS config|get");
        assert!(r.starts_with("*2\r\n$10\r\nconfig|get\r\n*6\r\n$7\r\nsummary\r\n"));
        let r = h.cmd("COMMAND LIST");
        assert!(r.contains("$10\r\nconfig|get\r\n") && r.contains("$4\r\ninfo\r\n"));
        assert_eq!(h.cmd("COMMAND LIST FILTERBY pattern conf*"),
            "*6\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n$10\r\nconfig|set\r\n$16\r\nconfig|resetstat\r\n$14\r\nconfig|rewrite\r\n$11\r\nconfig|help\r\n");
        assert_eq!(h.cmd("COMMAND LIST FILTERBY foo"), "-ERR syntax error\r\n");
        assert_eq!(
            h.cmd("COMMAND GETKEYS foo bar"),
            "-ERR Invalid command specified\r\n"
        );
        assert_eq!(
            h.cmd("COMMAND GETKEYS time x"),
            "-ERR Invalid number of arguments specified for command\r\n"
        );
        assert_eq!(
            h.cmd("COMMAND GETKEYS info x"),
            "-ERR The command has no key arguments\r\n"
        );
        assert_eq!(
            h.cmd("COMMAND GETKEYS dbsize"),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n"
        );
        assert_eq!(
            h.cmd("COMMAND foo"),
            "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n"
        );
    }

    #[test]
    fn meta_is_sorted() {
        assert!(META.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn keyspace_commands() {
        let mut h = H::new();
        h.set(0, "a", "1");
        assert_eq!(h.cmd("DBSIZE"), ":1\r\n");
        assert_eq!(h.cmd("SWAPDB 0 1"), "+OK\r\n");
        assert_eq!(h.cmd("DBSIZE"), ":0\r\n");
        h.cmd("SELECT 1");
        assert_eq!(h.cmd("DBSIZE"), ":1\r\n");
        assert_eq!(h.cmd("SWAPDB a 0"), "-ERR invalid first DB index\r\n");
        assert_eq!(h.cmd("SWAPDB 0 a"), "-ERR invalid second DB index\r\n");
        assert_eq!(h.cmd("SWAPDB 0 99"), "-ERR DB index is out of range\r\n");
        assert_eq!(h.cmd("FLUSHDB foo"), "-ERR syntax error\r\n");
        assert_eq!(h.cmd("FLUSHDB async"), "+OK\r\n");
        assert_eq!(h.cmd("DBSIZE"), ":0\r\n");
        h.set(1, "b", "1");
        h.cmd("SELECT 0");
        h.set(0, "c", "1");
        h.s.st.propagated.clear();
        assert_eq!(h.cmd("FLUSHALL SYNC"), "+OK\r\n");
        assert_eq!(h.s.st.total_keys(), 0);
        assert_eq!(h.s.st.propagated.len(), 1);
        assert_eq!(h.cmd("FLUSHALL foo"), "-ERR syntax error\r\n");
    }

    #[test]
    fn small_commands() {
        let mut h = H::new();
        assert_eq!(h.cmd("TIME"), "*2\r\n$10\r\n1700000000\r\n$1\r\n0\r\n");
        h.now += 1_234;
        assert_eq!(h.cmd("TIME"), "*2\r\n$10\r\n1700000001\r\n$6\r\n234000\r\n");
        assert_eq!(h.cmd("LASTSAVE"), ":1700000000\r\n");
        assert_eq!(h.cmd("ROLE"), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
        assert_eq!(h.cmd("SLOWLOG GET"), "*0\r\n");
        assert_eq!(h.cmd("SLOWLOG LEN"), ":0\r\n");
        assert_eq!(h.cmd("SLOWLOG RESET"), "+OK\r\n");
        assert_eq!(
            h.cmd("SLOWLOG foo"),
            "-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n"
        );
        assert!(h.cmd("SLOWLOG HELP").starts_with("*12\r\n"));
        h.set(0, "k", "hello");
        assert!(h.cmd("MEMORY USAGE k").starts_with(':'));
        assert_eq!(h.cmd("MEMORY USAGE nokey"), "$-1\r\n");
    }

    #[test]
    fn debug_sleep_pauses_the_node() {
        let mut h = H::new();
        assert_eq!(
            h.cmd("DEBUG SLEEP 1"),
            format!("-{}\r\n", DEBUG_NOT_ALLOWED)
        );
        h.s.st
            .config
            .set(Key::ENABLE_DEBUG_COMMAND, &["yes".into()])
            .unwrap();
        h.connect(2);
        // The reply to DEBUG SLEEP is held, and so is everything else.
        assert_eq!(h.cmd("DEBUG SLEEP 0.5"), "");
        assert_eq!(h.s.poll_timeout(), Some(h.now + 500));
        assert_eq!(h.on(2, "PING"), "");
        assert_eq!(h.cmd("PING"), "");
        h.now += 499;
        h.s.handle(h.now, Input::Tick);
        assert!(h.drain().is_empty());
        h.now += 1;
        h.s.handle(h.now, Input::Tick);
        let out = h.drain();
        let mine: String = out
            .iter()
            .filter(|(c, _)| *c == 1)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert_eq!(mine, "+OK\r\n+PONG\r\n");
        assert!(out.iter().any(|(c, b)| *c == 2 && b == b"+PONG\r\n"));
        assert!(h.s.poll_timeout().unwrap() <= h.now + 100);
        assert_eq!(h.cmd("DEBUG SLEEP 0"), "+OK\r\n");
        assert_eq!(
            h.cmd("DEBUG foo"),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(h.cmd("DEBUG OBJECT nokey"), "-ERR no such key\r\n");
        h.set(0, "k", "v");
        assert!(h.cmd("DEBUG OBJECT k").starts_with("+Value at:"));
    }

    #[test]
    fn shutdown() {
        let mut h = H::new();
        assert_eq!(h.cmd("SHUTDOWN foo"), "-ERR syntax error\r\n");
        assert_eq!(h.cmd("SHUTDOWN NOSAVE SAVE"), "-ERR syntax error\r\n");
        assert_eq!(h.cmd("SHUTDOWN NOSAVE ABORT"), "-ERR syntax error\r\n");
        assert_eq!(h.cmd("SHUTDOWN ABORT"), "-ERR No shutdown in progress.\r\n");
        assert_eq!(h.cmd("SHUTDOWN NOSAVE"), "");
        assert!(h.events.contains(&Event::Shutdown { exit_code: 0 }));
        assert!(h.s.st.shutting_down);
    }
}
