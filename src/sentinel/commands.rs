//! The sentinel's command table: SENTINEL, and the few other commands a
//! sentinel serves (PING, INFO, ROLE, CLIENT, HELLO, AUTH, (P)SUBSCRIBE,
//! PUBLISH for hello messages, SHUTDOWN, COMMAND, ACL).

use super::*;
use crate::commands::client::{format_client_line, ClientLineFigures};
use crate::commands::command::{command_over, Catalog};
use crate::commands::container::text;
use crate::commands::{
    def, eq_ignore_case, flags::*, glob_match, pubsub, unknown_subcommand, CmdResult, CommandDef,
    CommandTable, Ctx, Error,
};
use crate::resp::ReplyBuf;
use bytes::Bytes;
use std::sync::OnceLock;

/// The sentinel command table, built once.
pub fn command_table() -> &'static CommandTable {
    static TABLE: OnceLock<CommandTable> = OnceLock::new();
    TABLE.get_or_init(|| CommandTable::from_families(&[COMMANDS]))
}

/// Stands for a disconnected link among the flags SENTINEL MASTERS lists.
const DISCONNECTED: u32 = 1 << 31;

/// The flags SENTINEL MASTERS lists, in Redis's order.
const FLAG_NAMES: &[(u32, &str)] = &[
    (SRI_S_DOWN, "s_down"),
    (SRI_O_DOWN, "o_down"),
    (SRI_MASTER, "master"),
    (SRI_SLAVE, "slave"),
    (SRI_SENTINEL, "sentinel"),
    (DISCONNECTED, "disconnected"),
    (SRI_MASTER_DOWN, "master_down"),
    (SRI_FAILOVER_IN_PROGRESS, "failover_in_progress"),
    (SRI_PROMOTED, "promoted"),
    (SRI_RECONF_SENT, "reconf_sent"),
    (SRI_RECONF_INPROG, "reconf_inprog"),
    (SRI_RECONF_DONE, "reconf_done"),
    (SRI_FORCE_FAILOVER, "force_failover"),
    (SRI_SCRIPT_KILL_SENT, "script_kill_sent"),
];

/// addReplySentinelRedisInstance.
#[allow(clippy::vec_init_then_push)]
pub fn reply_instance(out: &mut ReplyBuf, st: &SentinelState, ri: &Instance, now: Millis) {
    let mut f: Vec<(&str, String)> = Vec::new();
    f.push(("name", ri.name.clone()));
    f.push(("ip", st.announce(&ri.addr).to_string()));
    f.push(("port", ri.addr.port.to_string()));
    f.push(("runid", ri.runid.clone().unwrap_or_default()));
    let fl = ri.flags;
    // The link state is not a flag but is listed among them, in this place.
    let listed = fl
        | if ri.link.disconnected {
            DISCONNECTED
        } else {
            0
        };
    let flags: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(f, _)| listed & f != 0)
        .map(|(_, n)| *n)
        .collect();
    f.push(("flags", flags.join(",")));
    f.push((
        "link-pending-commands",
        ri.link.pending_commands.to_string(),
    ));
    f.push(("link-refcount", "1".into()));
    if fl & SRI_FAILOVER_IN_PROGRESS != 0 {
        f.push(("failover-state", ri.failover_state.name().into()));
    }
    let since = |t: Millis| (now as i64 - t as i64).to_string();
    f.push((
        "last-ping-sent",
        if ri.link.act_ping_time != 0 {
            since(ri.link.act_ping_time)
        } else {
            "0".into()
        },
    ));
    f.push(("last-ok-ping-reply", since(ri.link.last_avail_time)));
    f.push(("last-ping-reply", since(ri.link.last_pong_time)));
    if fl & SRI_S_DOWN != 0 {
        f.push(("s-down-time", since(ri.s_down_since_time)));
    }
    if fl & SRI_O_DOWN != 0 {
        f.push(("o-down-time", since(ri.o_down_since_time)));
    }
    f.push(("down-after-milliseconds", ri.down_after_period.to_string()));
    if fl & (SRI_MASTER | SRI_SLAVE) != 0 {
        f.push((
            "info-refresh",
            if ri.info_refresh != 0 {
                since(ri.info_refresh)
            } else {
                "0".into()
            },
        ));
        f.push((
            "role-reported",
            if ri.role_reported == SRI_MASTER {
                "master"
            } else {
                "slave"
            }
            .into(),
        ));
        f.push(("role-reported-time", since(ri.role_reported_time)));
    }
    if fl & SRI_MASTER != 0 {
        f.push(("config-epoch", ri.config_epoch.to_string()));
        f.push(("num-slaves", ri.slaves.len().to_string()));
        f.push(("num-other-sentinels", ri.sentinels.len().to_string()));
        f.push(("quorum", ri.quorum.to_string()));
        f.push(("failover-timeout", ri.failover_timeout.to_string()));
        f.push(("parallel-syncs", ri.parallel_syncs.to_string()));
        if let Some(x) = &ri.notification_script {
            f.push(("notification-script", x.clone()));
        }
        if let Some(x) = &ri.client_reconfig_script {
            f.push(("client-reconfig-script", x.clone()));
        }
    }
    if fl & SRI_SLAVE != 0 {
        f.push((
            "master-link-down-time",
            ri.master_link_down_time.to_string(),
        ));
        f.push((
            "master-link-status",
            if ri.slave_master_link_up { "ok" } else { "err" }.into(),
        ));
        f.push((
            "master-host",
            ri.slave_master_host.clone().unwrap_or_else(|| "?".into()),
        ));
        f.push(("master-port", ri.slave_master_port.to_string()));
        f.push(("slave-priority", ri.slave_priority.to_string()));
        f.push(("slave-repl-offset", ri.slave_repl_offset.to_string()));
        f.push(("replica-announced", ri.replica_announced.to_string()));
    }
    if fl & SRI_SENTINEL != 0 {
        f.push(("last-hello-message", since(ri.last_hello_time)));
        f.push((
            "voted-leader",
            ri.leader.clone().unwrap_or_else(|| "?".into()),
        ));
        f.push(("voted-leader-epoch", ri.leader_epoch.to_string()));
    }
    reply_map(out, &f);
}

/// A map reply of text fields.
fn reply_map(out: &mut ReplyBuf, fields: &[(&str, String)]) {
    out.map(fields.len());
    for (k, v) in fields {
        out.bulk(k.as_bytes());
        out.bulk(v.as_bytes());
    }
}

fn reply_instances<'a>(
    out: &mut ReplyBuf,
    st: &SentinelState,
    it: impl Iterator<Item = &'a Instance>,
    now: Millis,
) {
    let list: Vec<&Instance> = it
        .filter(|ri| !(ri.flags & SRI_SLAVE != 0 && ri.replica_announced == 0))
        .collect();
    out.array(list.len());
    for ri in list {
        reply_instance(out, st, ri, now);
    }
}

const HELP: &[&str] = &[
    "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CKQUORUM <master-name>",
    "    Check if the current Sentinel configuration is able to reach the quorum",
    "    needed to failover a master and the majority needed to authorize the",
    "    failover.",
    "CONFIG SET <param> <value>",
    "    Set a global Sentinel configuration parameter.",
    "CONFIG GET <param>",
    "    Get global Sentinel configuration parameter.",
    "DEBUG [<param> <value> ...]",
    "    Show a list of configurable time parameters and their values (milliseconds).",
    "    Or update current configurable parameters values (one or more).",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    Return the ip and port number of the master with that name.",
    "FAILOVER <master-name>",
    "    Manually failover a master node without asking for agreement from other",
    "    Sentinels",
    "FLUSHCONFIG",
    "    Force Sentinel to rewrite its configuration on disk, including the current",
    "    Sentinel state.",
    "INFO-CACHE <master-name>",
    "    Return last cached INFO output from masters and all its replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
    "    Check if the master specified by ip:port is down from current Sentinel's",
    "    point of view.",
    "MASTER <master-name>",
    "    Show the state and info of the specified master.",
    "MASTERS",
    "    Show a list of monitored masters and their state.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a new master with the specified name, ip, port and quorum.",
    "MYID",
    "    Return the ID of the Sentinel instance.",
    "PENDING-SCRIPTS",
    "    Get pending scripts information.",
    "REMOVE <master-name>",
    "    Remove master from Sentinel's monitor list.",
    "REPLICAS <master-name>",
    "    Show a list of replicas for this master and their state.",
    "RESET <pattern>",
    "    Reset masters for specific master name matching this pattern.",
    "SENTINELS <master-name>",
    "    Show a list of Sentinel instances for this master and their state.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Set configuration parameters for certain masters.",
    "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
    "    Simulate a Sentinel crash.",
    "HELP",
    "    Print this help.",
];

/// (name, arity) of each SENTINEL subcommand, as the 7.0 command table.
const SUBCOMMANDS: &[(&str, i32)] = &[
    ("ckquorum", 3),
    ("config", -3),
    ("debug", -2),
    ("failover", 3),
    ("flushconfig", 2),
    ("get-master-addr-by-name", 3),
    ("help", 2),
    ("info-cache", -3),
    ("is-master-down-by-addr", 6),
    ("master", 3),
    ("masters", 2),
    ("monitor", 6),
    ("myid", 2),
    ("pending-scripts", 2),
    ("remove", 3),
    ("replicas", 3),
    ("reset", 3),
    ("sentinels", 3),
    ("set", -5),
    ("simulate-failure", -3),
    ("slaves", 3),
];

fn no_such_master() -> Error {
    Error::from("ERR No such master with that name")
}

/// The master named by a SENTINEL argument.
fn master<'a>(st: &'a SentinelState, name: &[u8]) -> Result<&'a Instance, Error> {
    st.masters
        .get(&text(name))
        .map(|m| &**m)
        .ok_or_else(no_such_master)
}

fn parse_long(b: &[u8]) -> Option<i64> {
    crate::resp::parse_i64(b)
}

fn sentinel_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = text(&args[1]).to_ascii_lowercase();
    let Some(&(name, arity)) = SUBCOMMANDS.iter().find(|(n, _)| *n == sub) else {
        return Err(unknown_subcommand(&args[1], "sentinel"));
    };
    if (arity > 0 && args.len() != arity as usize) || args.len() < arity.unsigned_abs() as usize {
        return Err(Error::from(format!(
            "ERR wrong number of arguments for 'sentinel|{name}' command"
        )));
    }
    let Ctx {
        srv,
        clients,
        client,
        ..
    } = ctx;
    let out = &mut client.reply;
    let r = with_state(srv, clients, |st, env| {
        sentinel_sub(st, env, out, name, args)
    });
    r.unwrap_or(Ok(()))
}

fn sentinel_sub(
    st: &mut SentinelState,
    env: &mut Env,
    out: &mut ReplyBuf,
    sub: &str,
    args: &[Bytes],
) -> CmdResult {
    let now = env.now();
    match sub {
        "help" => {
            out.array(HELP.len());
            for l in HELP {
                out.simple(l);
            }
        }
        "masters" => reply_instances(out, st, st.masters.values().map(|i| &**i), now),
        "master" => {
            let m = master(st, &args[2])?;
            reply_instance(out, st, m, now);
        }
        "replicas" | "slaves" => {
            let m = master(st, &args[2])?;
            reply_instances(out, st, m.slaves.values().map(|i| &**i), now);
        }
        "sentinels" => {
            let m = master(st, &args[2])?;
            reply_instances(out, st, m.sentinels.values().map(|i| &**i), now);
        }
        "myid" => out.bulk(st.myid.as_bytes()),
        "is-master-down-by-addr" => {
            let port =
                parse_long(&args[3]).ok_or(Error::from(crate::commands::err::NOT_INTEGER))?;
            let req_epoch =
                parse_long(&args[4]).ok_or(Error::from(crate::commands::err::NOT_INTEGER))?;
            let ip = text(&args[2]);
            let want = st.create_addr(&ip, port, true).ok();
            let key = want.as_ref().and_then(|w| {
                st.masters
                    .iter()
                    .find(|(_, m)| m.addr.or_hostname_equal(w))
                    .map(|(k, _)| k.clone())
            });
            let mut isdown = false;
            let mut leader: Option<String> = None;
            let mut leader_epoch = 0;
            if let Some(k) = key {
                st.with_master(&k, |st, m| {
                    if !st.tilt && m.flags & SRI_S_DOWN != 0 {
                        isdown = true;
                    }
                    let runid = text(&args[5]);
                    if runid != "*" {
                        (leader, leader_epoch) = st.vote_leader(env, m, req_epoch as u64, &runid);
                    }
                });
            }
            out.array(3);
            out.int(isdown as i64);
            out.bulk(leader.as_deref().unwrap_or("*").as_bytes());
            out.int(leader_epoch as i64);
        }
        "reset" => {
            let pat = args[2].clone();
            let names: Vec<String> = st
                .masters
                .keys()
                .filter(|n| glob_match(&pat, n.as_bytes(), false))
                .cloned()
                .collect();
            for n in &names {
                st.with_master(n, |st, m| st.reset_master(env, m, false, true));
            }
            out.int(names.len() as i64);
        }
        "get-master-addr-by-name" => match st.masters.get(&text(&args[2])) {
            None => out.null_array(),
            Some(m) => {
                let a = m.current_master_addr();
                out.array(2);
                out.bulk(st.announce(a).as_bytes());
                out.bulk(a.port.to_string().as_bytes());
            }
        },
        "failover" => {
            let name = text(&args[2]);
            st.with_master(&name, |st, m| {
                if m.flags & SRI_FAILOVER_IN_PROGRESS != 0 {
                    return Err(Error::from("INPROG Failover already in progress"));
                }
                if st.select_slave(m, now).is_none() {
                    return Err(Error::from("NOGOODSLAVE No suitable replica to promote"));
                }
                env.log(
                    LogLevel::Warning,
                    format!("Executing user requested FAILOVER of '{name}'"),
                );
                st.start_failover(env, m);
                m.flags |= SRI_FORCE_FAILOVER;
                out.ok();
                Ok(())
            })
            .unwrap_or_else(|| Err(no_such_master()))?;
        }
        "pending-scripts" => st.scripts.reply_pending(out, now),
        "monitor" => {
            let quorum = parse_long(&args[5]).ok_or(Error::from("ERR Invalid quorum"))?;
            let port = parse_long(&args[4]).ok_or(Error::from("ERR Invalid port"))?;
            if quorum <= 0 {
                return Err("ERR Quorum must be 1 or greater.".into());
            }
            let host = text(&args[3]);
            if !is_ip(&host) && !st.resolve_hostnames {
                return Err("ERR Invalid IP address or hostname specified".into());
            }
            let name = text(&args[2]);
            let addr = st
                .create_addr(&host, port, true)
                .map_err(|e| Error::from(format!("ERR {e}")))?;
            st.add_master(&name, addr, quorum, now)
                .map_err(|e| Error::from(format!("ERR {e}")))?;
            let saved = st.flush_config_and_reply(env, out);
            let m = &st.masters[&name];
            let msg = format!("{} quorum {}", st.at(m, None), m.quorum);
            env.event_of(LogLevel::Warning, SentinelEvent::Monitor, m, msg);
            saved?;
        }
        "flushconfig" => st.flush_config_and_reply(env, out)?,
        "remove" => {
            let name = text(&args[2]);
            let mut m = st.masters.remove(&name).ok_or_else(no_such_master)?;
            let msg = st.at(&m, None);
            env.event_of(LogLevel::Warning, SentinelEvent::MonitorRemoved, &m, msg);
            st.release_instance_links(env, &mut m);
            st.flush_config_and_reply(env, out)?;
        }
        "ckquorum" => {
            let m = master(st, &args[2])?;
            let voters = m.sentinels.len() + 1;
            let usable = 1 + m
                .sentinels
                .values()
                .filter(|r| r.flags & (SRI_S_DOWN | SRI_O_DOWN) == 0)
                .count();
            let noquorum = usable < m.quorum as usize;
            let noauth = usable < voters / 2 + 1;
            if !noquorum && !noauth {
                out.simple(&format!(
                    "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
                ));
            } else {
                let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
                if noquorum {
                    e.push_str("Not enough available Sentinels to reach the specified quorum for this master");
                }
                if noauth {
                    if noquorum {
                        e.push_str(". ");
                    }
                    e.push_str("Not enough available Sentinels to reach the majority and authorize a failover");
                }
                return Err(e.into());
            }
        }
        "set" => return sentinel_set(st, env, out, args),
        "config" => {
            let what = text(&args[2]).to_ascii_lowercase();
            if what == "set" && args.len() == 5 {
                return config_set(st, env, out, &text(&args[3]), &text(&args[4]));
            } else if what == "get" && args.len() == 4 {
                config_get(st, out, &args[3]);
            } else {
                return Err(
                    "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."
                        .into(),
                );
            }
        }
        "info-cache" => {
            let names: Vec<String> = {
                let mut v = Vec::new();
                for a in &args[2..] {
                    let n = text(a);
                    if st.masters.contains_key(&n) && !v.contains(&n) {
                        v.push(n);
                    }
                }
                v
            };
            out.array(names.len() * 2);
            for n in names {
                let m = &st.masters[&n];
                out.bulk(n.as_bytes());
                out.array(m.slaves.len() + 1);
                for ri in std::iter::once(m).chain(m.slaves.values()) {
                    out.array(2);
                    out.int(if m.info_refresh != 0 {
                        now as i64 - ri.info_refresh as i64
                    } else {
                        0
                    });
                    match &ri.info {
                        Some(i) => out.bulk(i.as_bytes()),
                        None => out.null(),
                    }
                }
            }
        }
        "simulate-failure" => {
            st.simfailure_flags = 0;
            for a in &args[2..] {
                if eq_ignore_case(a, "crash-after-election") {
                    st.simfailure_flags |= SIMFAILURE_CRASH_AFTER_ELECTION;
                    env.log(
                        LogLevel::Warning,
                        "Failure simulation: this Sentinel will crash after being successfully elected as failover leader",
                    );
                } else if eq_ignore_case(a, "crash-after-promotion") {
                    st.simfailure_flags |= SIMFAILURE_CRASH_AFTER_PROMOTION;
                    env.log(
                        LogLevel::Warning,
                        "Failure simulation: this Sentinel will crash after promoting the selected replica to master",
                    );
                } else if eq_ignore_case(a, "help") {
                    out.array(2);
                    out.bulk(b"crash-after-election");
                    out.bulk(b"crash-after-promotion");
                    return Ok(());
                } else {
                    return Err("ERR Unknown failure simulation specified".into());
                }
            }
            out.ok();
        }
        "debug" => {
            if args.len() == 2 {
                let t = &st.t;
                let f: [(&str, u64); 13] = [
                    ("INFO-PERIOD", t.info_period),
                    ("PING-PERIOD", t.ping_period),
                    ("ASK-PERIOD", t.ask_period),
                    ("PUBLISH-PERIOD", t.publish_period),
                    ("DEFAULT-DOWN-AFTER", t.default_down_after),
                    ("DEFAULT-FAILOVER-TIMEOUT", t.default_failover_timeout),
                    ("TILT-TRIGGER", t.tilt_trigger),
                    ("TILT-PERIOD", t.tilt_period),
                    ("SLAVE-RECONF-TIMEOUT", t.slave_reconf_timeout),
                    ("MIN-LINK-RECONNECT-PERIOD", t.min_link_reconnect_period),
                    ("ELECTION-TIMEOUT", t.election_timeout),
                    ("SCRIPT-MAX-RUNTIME", t.script_max_runtime),
                    ("SCRIPT-RETRY-DELAY", t.script_retry_delay),
                ];
                let f = f.map(|(k, v)| (k, v.to_string()));
                reply_map(out, &f);
            } else {
                return sentinel_debug(st, out, args);
            }
        }
        _ => return Err(unknown_subcommand(sub.as_bytes(), "sentinel")),
    }
    Ok(())
}

fn sentinel_debug(st: &mut SentinelState, out: &mut ReplyBuf, args: &[Bytes]) -> CmdResult {
    let mut j = 2;
    while j < args.len() {
        let option = text(&args[j]);
        let moreargs = args.len() - 1 - j;
        let t = &mut st.t;
        let slot: Option<&mut u64> = match option.to_ascii_lowercase().as_str() {
            "info-period" => Some(&mut t.info_period),
            "ping-period" => Some(&mut t.ping_period),
            "ask-period" => Some(&mut t.ask_period),
            "publish-period" => Some(&mut t.publish_period),
            "default-down-after" => Some(&mut t.default_down_after),
            "default-failover-timeout" => Some(&mut t.default_failover_timeout),
            "tilt-trigger" => Some(&mut t.tilt_trigger),
            "tilt-period" => Some(&mut t.tilt_period),
            "slave-reconf-timeout" => Some(&mut t.slave_reconf_timeout),
            "min-link-reconnect-period" => Some(&mut t.min_link_reconnect_period),
            "election-timeout" => Some(&mut t.election_timeout),
            "script-max-runtime" => Some(&mut t.script_max_runtime),
            "script-retry-delay" => Some(&mut t.script_retry_delay),
            _ => None,
        };
        match slot {
            Some(slot) if moreargs > 0 => {
                j += 1;
                match parse_long(&args[j]) {
                    Some(v) if v > 0 => *slot = v as u64,
                    _ => {
                        return Err(Error::from(format!(
                            "ERR Invalid argument '{}' for SENTINEL DEBUG '{}'",
                            text(&args[j]),
                            option
                        )))
                    }
                }
            }
            _ => {
                return Err(Error::from(format!(
                    "ERR Unknown option or number of arguments for SENTINEL DEBUG '{option}'"
                )))
            }
        }
        j += 1;
    }
    out.ok();
    Ok(())
}

fn config_set(
    st: &mut SentinelState,
    env: &mut Env,
    out: &mut ReplyBuf,
    opt: &str,
    val: &str,
) -> CmdResult {
    let badfmt = || {
        Error::from(format!(
            "ERR Invalid value '{val}' to SENTINEL CONFIG SET '{opt}'"
        ))
    };
    let yesno = |v: &str| match v.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let mut drop_conns = false;
    match opt.to_ascii_lowercase().as_str() {
        "resolve-hostnames" => st.resolve_hostnames = yesno(val).ok_or_else(badfmt)?,
        "announce-hostnames" => st.announce_hostnames = yesno(val).ok_or_else(badfmt)?,
        "announce-ip" => st.announce_ip = Some(val.to_string()),
        "announce-port" => {
            let v = parse_long(val.as_bytes())
                .filter(|v| (0..=65535).contains(v))
                .ok_or_else(badfmt)?;
            st.announce_port = v as u16;
        }
        "sentinel-user" => {
            st.sentinel_auth_user = (!val.is_empty()).then(|| val.to_string());
            drop_conns = true;
        }
        "sentinel-pass" => {
            st.sentinel_auth_pass = (!val.is_empty()).then(|| val.to_string());
            drop_conns = true;
        }
        _ => {
            return Err(Error::from(format!(
                "ERR Invalid argument '{opt}' to SENTINEL CONFIG SET"
            )))
        }
    }
    let saved = st.flush_config_and_reply(env, out);
    if drop_conns {
        let names: Vec<String> = st.masters.keys().cloned().collect();
        for n in names {
            st.with_master(&n, |st, m| {
                for si in m.sentinels.values_mut() {
                    let (cc, pc) = (si.link.cc, si.link.pc);
                    st.close_conn(env, &mut si.link, pc);
                    st.close_conn(env, &mut si.link, cc);
                }
            });
        }
    }
    saved
}

fn config_get(st: &SentinelState, out: &mut ReplyBuf, pat: &[u8]) {
    let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
    let all: [(&str, String); 6] = [
        ("resolve-hostnames", yn(st.resolve_hostnames)),
        ("announce-hostnames", yn(st.announce_hostnames)),
        ("announce-ip", st.announce_ip.clone().unwrap_or_default()),
        ("announce-port", st.announce_port.to_string()),
        (
            "sentinel-user",
            st.sentinel_auth_user.clone().unwrap_or_default(),
        ),
        (
            "sentinel-pass",
            st.sentinel_auth_pass.clone().unwrap_or_default(),
        ),
    ];
    let m: Vec<(&str, String)> = all
        .into_iter()
        .filter(|(k, _)| glob_match(pat, k.as_bytes(), true))
        .collect();
    reply_map(out, &m);
}

/// SENTINEL SET <master> <option> <value> ...
fn sentinel_set(
    st: &mut SentinelState,
    env: &mut Env,
    out: &mut ReplyBuf,
    args: &[Bytes],
) -> CmdResult {
    let r = st.with_master(&text(&args[2]), |st, m| {
        sentinel_set_inner(st, env, m, args)
    });
    let changes = match r.ok_or_else(no_such_master)? {
        Ok(c) => c,
        Err((c, e)) => {
            if c > 0 {
                st.flush_config(env);
            }
            return Err(e);
        }
    };
    if changes > 0 {
        st.flush_config_and_reply(env, out)?;
    }
    Ok(())
}

fn sentinel_set_inner(
    st: &mut SentinelState,
    env: &mut Env,
    m: &mut Instance,
    args: &[Bytes],
) -> Result<usize, (usize, Error)> {
    let mut changes = 0;
    let mut j = 3;
    while j < args.len() {
        let option = text(&args[j]);
        let moreargs = args.len() - 1 - j;
        let old_j = j;
        let mut redacted = false;
        let badfmt = |j: usize, changes: usize| {
            (
                changes,
                Error::from(format!(
                    "ERR Invalid argument '{}' for SENTINEL SET '{}'",
                    text(&args[j]),
                    option
                )),
            )
        };
        let lopt = option.to_ascii_lowercase();
        let positive = |j: usize| parse_long(&args[j]).filter(|v| *v > 0);
        match lopt.as_str() {
            "down-after-milliseconds" if moreargs > 0 => {
                j += 1;
                let v = positive(j).ok_or_else(|| badfmt(j, changes))?;
                m.down_after_period = v as u64;
                for ri in m.slaves.values_mut().chain(m.sentinels.values_mut()) {
                    ri.down_after_period = v as u64;
                }
            }
            "failover-timeout" if moreargs > 0 => {
                j += 1;
                m.failover_timeout = positive(j).ok_or_else(|| badfmt(j, changes))? as u64;
            }
            "parallel-syncs" if moreargs > 0 => {
                j += 1;
                m.parallel_syncs = positive(j).ok_or_else(|| badfmt(j, changes))?;
            }
            "quorum" if moreargs > 0 => {
                j += 1;
                m.quorum = positive(j)
                    .ok_or_else(|| badfmt(j, changes))?
                    .min(u32::MAX as i64) as u32;
            }
            "notification-script" | "client-reconfig-script" if moreargs > 0 => {
                j += 1;
                let value = text(&args[j]);
                if st.deny_scripts_reconfig {
                    return Err((changes, Error::from("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration")));
                }
                let notification = option.eq_ignore_ascii_case("notification-script");
                if !value.is_empty() && !(st.script_executable)(&value) {
                    return Err((
                        changes,
                        Error::from(if notification {
                            "ERR Notification script seems non existing or non executable"
                        } else {
                            "ERR Client reconfiguration script seems non existing or non executable"
                        }),
                    ));
                }
                let slot = if notification {
                    &mut m.notification_script
                } else {
                    &mut m.client_reconfig_script
                };
                *slot = (!value.is_empty()).then_some(value);
            }
            "auth-pass" if moreargs > 0 => {
                j += 1;
                let v = text(&args[j]);
                m.auth_pass = (!v.is_empty()).then_some(v);
                st.drop_instance_connections(env, m);
                redacted = true;
            }
            "auth-user" if moreargs > 0 => {
                j += 1;
                let v = text(&args[j]);
                m.auth_user = (!v.is_empty()).then_some(v);
                st.drop_instance_connections(env, m);
            }
            "rename-command" if moreargs > 1 => {
                let old = text(&args[j + 1]);
                let new = text(&args[j + 2]);
                j += 2;
                if old.is_empty() || new.is_empty() {
                    let bad = if new.is_empty() { j } else { j - 1 };
                    return Err(badfmt(bad, changes));
                }
                m.renamed_commands
                    .retain(|k, _| !k.eq_ignore_ascii_case(&old));
                if !old.eq_ignore_ascii_case(&new) {
                    m.renamed_commands.insert(old, new);
                }
            }
            "master-reboot-down-after-period" if moreargs > 0 => {
                j += 1;
                let v = parse_long(&args[j])
                    .filter(|v| *v >= 0)
                    .ok_or_else(|| badfmt(j, changes))?;
                m.master_reboot_down_after_period = v as u64;
            }
            _ => {
                return Err((
                    changes,
                    Error::from(format!(
                        "ERR Unknown option or number of arguments for SENTINEL SET '{option}'"
                    )),
                ))
            }
        }
        changes += 1;
        let numargs = j - old_j + 1;
        let at = st.at(m, None);
        let msg = match numargs {
            2 => format!(
                "{at} {} {}",
                option,
                if redacted {
                    "******".to_string()
                } else {
                    text(&args[old_j + 1])
                }
            ),
            3 => format!(
                "{at} {} {} {}",
                option,
                text(&args[old_j + 1]),
                text(&args[old_j + 2])
            ),
            _ => format!("{at} {option}"),
        };
        env.event_of(LogLevel::Warning, SentinelEvent::Set, m, msg);
        j += 1;
    }
    Ok(changes)
}

/// The sentinel's PUBLISH: only hello messages, processed directly.
fn publish(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if &args[1][..] != HELLO_CHANNEL.as_bytes() {
        return Err("ERR Only HELLO messages are accepted by Sentinel instances.".into());
    }
    let msg = text(&args[2]);
    with_state(ctx.srv, ctx.clients, |st, env| st.process_hello(env, &msg));
    ctx.out().int(1);
    Ok(())
}

fn role(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let names: Vec<String> = ctx
        .srv
        .sentinel
        .as_ref()
        .map(|s| s.masters.keys().cloned().collect())
        .unwrap_or_default();
    let out = ctx.out();
    out.array(2);
    out.bulk(b"sentinel");
    out.array(names.len());
    for n in names {
        out.bulk(n.as_bytes());
    }
    Ok(())
}

fn client(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = text(&args[1]).to_ascii_lowercase();
    match (sub.as_str(), args.len()) {
        ("setname", 3) => {
            let name = &args[2];
            if !crate::commands::connection::valid_client_name(name) {
                return Err(crate::commands::connection::BAD_CLIENT_NAME.into());
            }
            ctx.client.name = if name.is_empty() {
                None
            } else {
                Some(name.clone())
            };
            ctx.out().ok();
        }
        ("getname", 2) => match ctx.client.name.clone() {
            Some(n) => ctx.out().bulk(&n),
            None => ctx.out().null(),
        },
        ("id", 2) => {
            let id = ctx.client.id as i64;
            ctx.out().int(id);
        }
        ("list", _) | ("info", 2) => {
            // A sentinel reports no buffers, descriptors or databases.
            let line = |c: &Client| {
                let figures = ClientLineFigures {
                    fd: 0,
                    flags: if c.in_pubsub() { "P" } else { "N" },
                    db: 0,
                    multi: -1,
                    qbuf: 0,
                    qbuf_free: 0,
                    argv_mem: 0,
                    rbs: 0,
                    rbp: 0,
                    obl: 0,
                    oll: 0,
                    omem: 0,
                    tot_mem: 0,
                    events: "r",
                    cmd: &c.last_cmd,
                };
                format_client_line(c, ctx.now, &figures)
            };
            let text = if sub == "info" {
                let mut me = line(ctx.client);
                me = me.replace("cmd=NULL", "cmd=client|info");
                me
            } else {
                let mut t = String::new();
                let mut all: Vec<&Client> = ctx.clients.values().map(|c| &**c).collect();
                all.push(ctx.client);
                crate::coldsort::sort_by_key(&mut all, |c| c.id);
                for c in all {
                    let mut l = line(c);
                    if c.id == ctx.client.id {
                        l = l.replacen(&format!("cmd={}", c.last_cmd), "cmd=client|list", 1);
                    }
                    t.push_str(&l);
                }
                t
            };
            ctx.out().verbatim(text.as_bytes());
        }
        ("kill", n) if n >= 3 => {
            // The old form names an address; the new one takes ID / ADDR
            // filters (the other filters are accepted and ignored).
            let old_form = n == 3;
            let mut id: Option<u64> = None;
            let mut addr: Option<String> = None;
            if old_form {
                addr = Some(text(&args[2]));
            }
            let mut i = 2;
            while !old_form && i + 1 < n {
                let k = text(&args[i]).to_ascii_lowercase();
                let v = text(&args[i + 1]);
                match k.as_str() {
                    "id" => {
                        id =
                            Some(v.parse().map_err(|_| {
                                Error::from("ERR client-id should be greater than 0")
                            })?)
                    }
                    "addr" => addr = Some(v),
                    "skipme" | "type" | "user" | "laddr" | "maxage" => {}
                    _ => return Err(crate::commands::err::SYNTAX.into()),
                }
                i += 2;
            }
            let target: Vec<ConnId> = ctx
                .clients
                .iter()
                .filter(|(_, c)| {
                    id.is_none_or(|x| c.id == x)
                        && addr.as_ref().is_none_or(|a| c.addr.to_string() == *a)
                })
                .map(|(k, _)| *k)
                .collect();
            if old_form && target.is_empty() {
                return Err("ERR No such client".into());
            }
            for k in &target {
                if let Some(c) = ctx.clients.get_mut(k) {
                    c.close_after_reply = true;
                    ctx.srv.pending.insert(*k);
                }
            }
            if old_form {
                ctx.out().ok();
            } else {
                ctx.out().int(target.len() as i64);
            }
        }
        _ => return Err(unknown_subcommand(&args[1], "client")),
    }
    Ok(())
}

fn shutdown(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    prepare_for_shutdown(ctx.srv);
    Ok(())
}

/// A sentinel's prepareForShutdown: it has no dataset to save (its config is
/// rewritten on every change), so it only says goodbye.
pub fn prepare_for_shutdown(srv: &mut ServerState) {
    srv.log(LogLevel::Warning, "User requested shutdown...");
    srv.log(
        LogLevel::Warning,
        "Sentinel is now ready to exit, bye bye...",
    );
    srv.shutting_down = true;
    srv.emit(Event::Shutdown { exit_code: 0 });
}

/// COMMAND over the sentinel's own table, as 7.0's sentinel mode answers it.
fn command(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let catalog = Catalog {
        table: command_table(),
        subcommands: |c| {
            CONTAINERS
                .iter()
                .find(|(n, _)| *n == c.name)
                .map_or(c.subcommands, |(_, s)| *s)
        },
    };
    command_over(&catalog, ctx, args)
}

/// The subcommands 7.0's sentinel-mode table has for each container
/// command: COMMAND LIST names them `container|sub`, as Redis does.
const CONTAINERS: &[(&str, &[&str])] = &[
    (
        "sentinel",
        &[
            "ckquorum",
            "config",
            "debug",
            "failover",
            "flushconfig",
            "get-master-addr-by-name",
            "help",
            "info-cache",
            "is-master-down-by-addr",
            "master",
            "masters",
            "monitor",
            "myid",
            "pending-scripts",
            "remove",
            "replicas",
            "reset",
            "sentinels",
            "set",
            "simulate-failure",
            "slaves",
        ],
    ),
    (
        "client",
        &[
            "caching",
            "getname",
            "getredir",
            "help",
            "id",
            "info",
            "kill",
            "list",
            "no-evict",
            "pause",
            "reply",
            "setname",
            "tracking",
            "trackinginfo",
            "unblock",
            "unpause",
        ],
    ),
    (
        "command",
        &[
            "count",
            "docs",
            "getkeys",
            "getkeysandflags",
            "help",
            "info",
            "list",
        ],
    ),
    (
        "acl",
        &[
            "cat", "deluser", "dryrun", "genpass", "getuser", "help", "list", "load", "log",
            "save", "setuser", "users", "whoami",
        ],
    ),
];

pub static COMMANDS: &[CommandDef] = &[
    crate::commands::connection::PING,
    def(
        "sentinel",
        -2,
        ADMIN | SENTINEL | ONLY_SENTINEL,
        (0, 0, 0),
        "sentinel",
        "2.8.4",
        "A container for Sentinel commands",
        sentinel_cmd,
    ),
    def(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE | SENTINEL,
        (0, 0, 0),
        "pubsub",
        "2.0.0",
        "Post a message to a channel",
        publish,
    ),
    def(
        "info",
        -1,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Get information and statistics about the server",
        crate::commands::server_cmds::info,
    ),
    def(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST | SENTINEL,
        (0, 0, 0),
        "server",
        "2.8.12",
        "Return the role of the instance in the context of replication",
        role,
    ),
    def(
        "client",
        -2,
        SENTINEL,
        (0, 0, 0),
        "connection",
        "2.4.0",
        "A container for client connection commands",
        client,
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
    crate::commands::connection::AUTH,
    crate::commands::connection::HELLO,
    crate::commands::acl::ACL,
    pubsub::SUBSCRIBE,
    pubsub::UNSUBSCRIBE,
    pubsub::PSUBSCRIBE,
    pubsub::PUNSUBSCRIBE,
    def(
        "command",
        -1,
        LOADING | STALE | SENTINEL,
        (0, 0, 0),
        "server",
        "2.8.13",
        "Get array of Redis command details",
        command,
    ),
];
