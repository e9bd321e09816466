//! Replication commands: REPLICAOF/SLAVEOF, ROLE, PSYNC, SYNC, REPLCONF, WAIT.

use super::{ReplicaInfo, ReplicaState, Waiter};
use crate::commands::{arg_i64, def, eq_ignore_case, flags::*, CmdResult, CommandDef, Ctx, Error};
use crate::node::{Addr, ConnId, LogLevel, Output};
use crate::resp::Frame;
use crate::server::config::Key;
use crate::server::{Blocked, ClientKind, ServerState};
use bytes::Bytes;

/// Something a command asks of the server that needs more than the handler's context.
#[derive(Debug, Clone)]
pub enum ReplAction {
    SetMaster(Addr, String),
    UnsetMaster(String),
    RequestAcks,
    /// Close a replica whose full sync failed.
    DropReplica(ConnId),
    /// FAILOVER ABORT.
    AbortFailover,
}

/// The RDB payload of a full sync taken at once (the sync itself uses a
/// background save), with the replication id and offset in its aux fields.
pub fn rdb_snapshot(st: &ServerState) -> Vec<u8> {
    st.rdb_snapshot(Some((0, st.repl.replid.clone(), st.repl.offset as i64)))
}

/// `id=.. addr=..` as Redis prints the requesting client in REPLICAOF logs.
fn who(ctx: &Ctx) -> String {
    let c = &ctx.client;
    format!(
        "id={} addr={} laddr={} fd=8 name={} age={} idle=0 flags=N db={} sub={} psub={} ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user={} redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.name.as_ref().map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default(),
        ctx.now.saturating_sub(c.created) / 1000,
        c.db,
        c.channels.len(),
        c.patterns.len(),
        c.last_cmd,
        c.user,
        c.reply.resp
    )
}

fn replicaof(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.srv.repl.failover.state != super::failover::FailoverState::None {
        return Err("ERR REPLICAOF not allowed while failing over.".into());
    }
    if eq_ignore_case(&args[1], "no") && eq_ignore_case(&args[2], "one") {
        if ctx.srv.repl.is_replica() {
            let w = who(ctx);
            ctx.srv.repl_actions.push(ReplAction::UnsetMaster(w));
        }
        ctx.out().ok();
        return Ok(());
    }
    if ctx.client.kind == ClientKind::Replica {
        return Err("ERR Command is not valid when client is a replica.".into());
    }
    let port = crate::resp::parse_i64(&args[2])
        .filter(|p| (0..=65535).contains(p))
        .ok_or(Error::from("ERR Invalid master port"))?;
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    if let Some(l) = ctx.srv.repl.link.as_ref() {
        if l.addr.host.eq_ignore_ascii_case(&host) && l.addr.port == port as u16 {
            ctx.srv.log(
                LogLevel::Notice,
                "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
            );
            ctx.out().simple("OK Already connected to specified master");
            return Ok(());
        }
    }
    let w = who(ctx);
    ctx.srv
        .repl_actions
        .push(ReplAction::SetMaster(Addr::new(host, port as u16), w));
    ctx.out().ok();
    Ok(())
}

fn role(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let r = &ctx.srv.repl;
    let out = &mut ctx.client.reply;
    match &r.link {
        None => {
            out.array(3);
            out.bulk(b"master");
            out.int(r.offset as i64);
            out.array(r.replicas.len());
            for info in r.replicas.values() {
                out.array(3);
                out.bulk(info.ip.as_bytes());
                out.bulk(info.listening_port.to_string().as_bytes());
                out.bulk(info.ack_offset.to_string().as_bytes());
            }
        }
        Some(l) => {
            out.array(5);
            out.bulk(b"slave");
            out.bulk(l.addr.host.as_bytes());
            out.int(l.addr.port as i64);
            let state = match &l.state {
                super::LinkState::Connect => "connect",
                super::LinkState::Connecting => "connecting",
                super::LinkState::Transfer(_) => "sync",
                super::LinkState::Connected => "connected",
                _ => "handshake",
            };
            out.bulk(state.as_bytes());
            let off = if l.state == super::LinkState::Connected {
                r.offset as i64
            } else {
                -1
            };
            out.int(off);
        }
    }
    Ok(())
}

fn handshake_info<'a>(ctx: &'a mut Ctx<'_>) -> &'a mut ReplicaInfo {
    let ip = ctx.client.addr.host.clone();
    let now = ctx.now;
    ctx.srv
        .repl
        .handshakes
        .entry(ctx.client.conn)
        .or_insert_with(|| ReplicaInfo {
            ip,
            listening_port: 0,
            state: ReplicaState::WaitBgsaveStart,
            ack_offset: 0,
            ack_time: now,
            capa_eof: false,
            capa_psync2: false,
            obuf_soft_since: None,
            close_asap: false,
            pre_psync: false,
            partial_write_since: None,
            filter: Default::default(),
        })
}

fn replconf(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(crate::commands::err::SYNTAX.into());
    }
    let mut i = 1;
    while i + 1 < args.len() {
        let opt = String::from_utf8_lossy(&args[i]).to_ascii_lowercase();
        let val = &args[i + 1];
        match opt.as_str() {
            "listening-port" => {
                let p = arg_i64(val)?;
                handshake_info(ctx).listening_port = p.clamp(0, 65535) as u16;
            }
            "ip-address" => {
                let ip = String::from_utf8_lossy(val).into_owned();
                handshake_info(ctx).ip = ip;
            }
            "capa" => {
                let v = String::from_utf8_lossy(val).to_ascii_lowercase();
                let info = handshake_info(ctx);
                if v == "eof" {
                    info.capa_eof = true;
                } else if v == "psync2" {
                    info.capa_psync2 = true;
                }
            }
            "ack" | "fack" => {
                // From a replica: never answered.
                if ctx.client.kind == ClientKind::Replica && opt == "ack" {
                    let off = crate::resp::parse_i64(val).unwrap_or(0).max(0) as u64;
                    let now = ctx.now;
                    if let Some(info) = ctx.srv.repl.replicas.get_mut(&ctx.client.conn) {
                        if off > info.ack_offset {
                            info.ack_offset = off;
                        }
                        info.ack_time = now;
                    }
                }
                return Ok(());
            }
            "getack" => {
                if ctx.client.kind == ClientKind::Master {
                    let off = ctx.srv.repl.offset.to_string();
                    ctx.srv.out.push_back(Output::Send {
                        conn: ctx.client.conn,
                        bytes: Frame::command(["REPLCONF", "ACK", off.as_str()]),
                    });
                }
                return Ok(());
            }
            "rdb-only" => {
                // The client wants the snapshot only (redis-cli --rdb): it
                // reads no stream after it and closes the link itself.
                let v = arg_i64(val)?;
                if !(0..=1).contains(&v) {
                    return Err("ERR value is out of range, must be between 0 and 1".into());
                }
            }
            "rdb-filter-only" => {
                // Only "functions" can be asked for: everything else is left out.
                let Some(filters) = crate::resp::split_args(val) else {
                    return Err("ERR Missing rdb-filter-only values".into());
                };
                let mut filter = super::SnapshotFilter {
                    exclude_data: true,
                    exclude_functions: true,
                };
                for f in &filters {
                    if f.eq_ignore_ascii_case(b"functions") {
                        filter.exclude_functions = false;
                    } else {
                        return Err(format!(
                            "ERR Unsupported rdb-filter-only option: {}",
                            String::from_utf8_lossy(f)
                        )
                        .into());
                    }
                }
                handshake_info(ctx).filter = filter;
            }
            _ => {
                return Err(Error::from(format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(&args[i])
                )))
            }
        }
        i += 2;
    }
    ctx.out().ok();
    Ok(())
}

/// PSYNC and the old SYNC (Redis's syncCommand). A SYNC client is a replica
/// of the old kind: it gets the RDB without a +FULLRESYNC line and the
/// stream after it, and is never expected to ACK.
fn psync(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.client.kind == ClientKind::Replica {
        return Ok(());
    }
    // PSYNC <our replid> <offset> FAILOVER: our master hands over to us.
    if args.len() > 3 && eq_ignore_case(&args[0], "psync") && eq_ignore_case(&args[3], "failover") {
        ctx.srv.log(
            LogLevel::Warning,
            format!(
                "Failover request received for replid {}.",
                String::from_utf8_lossy(&args[1])
            ),
        );
        if !ctx.srv.repl.is_replica() {
            return Err("ERR PSYNC FAILOVER can't be sent to a master.".into());
        }
        if !args[1].eq_ignore_ascii_case(ctx.srv.repl.replid.as_bytes()) {
            return Err("ERR PSYNC FAILOVER replid must match my replid.".into());
        }
        super::replica::become_master(ctx.srv, ctx.clients, None);
        let w = who(ctx);
        ctx.srv.log(
            LogLevel::Notice,
            format!("MASTER MODE enabled (failover request from '{w}')"),
        );
    }
    if ctx.srv.repl.failover.state != super::failover::FailoverState::None {
        return Err("NOMASTERLINK Can't SYNC while failing over".into());
    }
    if let Some(l) = &ctx.srv.repl.link {
        if l.state != super::LinkState::Connected {
            return Err("NOMASTERLINK Can't SYNC while not connected with my master".into());
        }
    }
    // The snapshot and the stream must start a fresh output.
    if !ctx.client.reply.is_empty() {
        return Err("ERR SYNC and PSYNC are invalid with pending output".into());
    }
    let is_sync = eq_ignore_case(&args[0], "sync");
    // A filtered snapshot is made for sockets only (never over dump.rdb).
    let filtered = handshake_info(ctx);
    if filtered.filter.any() && !filtered.capa_eof {
        return Err("ERR Filtered replica requires EOF capability".into());
    }
    let mut info = handshake_info(ctx).clone();
    info.pre_psync = is_sync;
    ctx.srv.repl.handshakes.remove(&ctx.client.conn);
    let name = info.name();
    ctx.srv.log(
        LogLevel::Notice,
        format!("Replica {name} asks for synchronization"),
    );
    if !is_sync && crate::resp::parse_i64(&args[2]).is_none() {
        ctx.srv.log(
            LogLevel::Warning,
            format!("Replica {name} asks for synchronization but with a wrong offset"),
        );
        return Err("ERR value is not an integer or out of range".into());
    }
    let now = ctx.now;
    if !is_sync {
        let req_id = String::from_utf8_lossy(&args[1]).into_owned();
        let req_off = crate::resp::parse_i64(&args[2]).unwrap_or(-1);
        let r = &ctx.srv.repl;
        let id_ok = req_id.eq_ignore_ascii_case(&r.replid)
            || (req_id.eq_ignore_ascii_case(&r.replid2) && req_off <= r.second_offset);
        if id_ok && req_off >= 0 {
            if let Some(data) = r.backlog.as_ref().and_then(|b| b.since(req_off as u64)) {
                // Partial resync accepted.
                let reply = if info.capa_psync2 {
                    format!("+CONTINUE {}\r\n", r.replid)
                } else {
                    "+CONTINUE\r\n".to_string()
                };
                let n = data.len();
                ctx.client.reply.raw(reply.as_bytes());
                ctx.client.reply.raw(&data);
                ctx.client.kind = ClientKind::Replica;
                let mut info = info;
                info.state = ReplicaState::Online;
                info.ack_offset = req_off.max(1) as u64 - 1;
                info.ack_time = now;
                ctx.srv.repl.replicas.insert(ctx.client.conn, info);
                ctx.srv.repl.sync_partial_ok += 1;
                ctx.srv.log(
                    LogLevel::Notice,
                    format!("Partial resynchronization request from {name} accepted. Sending {n} bytes of backlog starting from offset {req_off}."),
                );
                return Ok(());
            }
            if req_id != "?" {
                ctx.srv.log(
                    LogLevel::Notice,
                    format!("Unable to partial resync with replica {name} for lack of backlog (Replica request was: {req_off})."),
                );
            }
        } else if req_id == "?" {
            ctx.srv.log(
                LogLevel::Notice,
                format!("Full resync requested by replica {name}"),
            );
        } else if !req_id.eq_ignore_ascii_case(&r.replid)
            && !req_id.eq_ignore_ascii_case(&r.replid2)
        {
            let msg = format!(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                req_id, r.replid, r.replid2
            );
            ctx.srv.log(LogLevel::Notice, msg);
        } else {
            let msg = format!(
                "Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}",
                req_off, r.second_offset
            );
            ctx.srv.log(LogLevel::Notice, msg);
        }
        if req_id != "?" {
            ctx.srv.repl.sync_partial_err += 1;
        }
    }
    // Full resync.
    ctx.srv.repl.sync_full += 1;
    ctx.client.kind = ClientKind::Replica;
    if ctx.srv.repl.backlog.is_none() && ctx.srv.repl.replicas.is_empty() {
        let new_id = ctx.srv.rng.hex_id();
        let r = &mut ctx.srv.repl;
        r.replid = new_id;
        r.replid2 = super::NULL_REPLID.into();
        r.second_offset = -1;
        let size = ctx.srv.config.get_i64(Key::REPL_BACKLOG_SIZE).max(16384) as usize;
        ctx.srv.repl.backlog = Some(super::backlog::Backlog::new(size, ctx.srv.repl.offset + 1));
        let msg = format!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            ctx.srv.repl.replid, ctx.srv.repl.replid2
        );
        ctx.srv.log(LogLevel::Notice, msg);
    }
    let capa_eof = info.capa_eof;
    info.state = ReplicaState::WaitBgsaveStart;
    info.ack_time = now;
    ctx.srv.repl.replicas.insert(ctx.client.conn, info);
    let diskless = ctx.srv.config.get_bool(Key::REPL_DISKLESS_SYNC);
    let delay = ctx.srv.config.get_i64(Key::REPL_DISKLESS_SYNC_DELAY).max(0) as u64 * 1000;
    if ctx.srv.repl.bgsave_at.is_none() {
        // Only a replica that reads `$EOF:` waits for others to join a
        // diskless transfer.
        if diskless && capa_eof && delay > 0 {
            ctx.srv
                .log(LogLevel::Notice, "Delay next BGSAVE for diskless SYNC");
            ctx.srv.repl.bgsave_at = Some(now + delay);
        } else {
            ctx.srv.repl.bgsave_at = Some(now);
        }
    }
    // repl-diskless-sync-max-replicas: enough replicas wait, don't wait for
    // the delay. Redis checks that in replicationCron (once a second,
    // shouldStartChildForReplication): the transfer starts at its next run.
    let max = ctx.srv.config.get_i64(Key::REPL_DISKLESS_SYNC_MAX_REPLICAS);
    if diskless && max > 0 {
        let waiting = ctx
            .srv
            .repl
            .replicas
            .values()
            .filter(|i| i.state == ReplicaState::WaitBgsaveStart)
            .count() as i64;
        if waiting >= max {
            let at = now.max(ctx.srv.repl.next_cron);
            let r = &mut ctx.srv.repl;
            r.bgsave_at = Some(r.bgsave_at.map_or(at, |t| t.min(at)));
        }
    }
    Ok(())
}

fn wait(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.srv.repl.is_replica() {
        return Err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.".into());
    }
    let numreplicas = arg_i64(&args[1])?;
    let timeout = crate::resp::parse_i64(&args[2])
        .ok_or(Error::from("ERR timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(crate::commands::err::TIMEOUT_NEGATIVE.into());
    }
    let target = ctx.client.woff;
    let acked = ctx
        .srv
        .repl
        .replicas
        .values()
        .filter(|r| r.ack_offset >= target)
        .count();
    if acked as i64 >= numreplicas || ctx.client.in_exec {
        ctx.out().int(acked as i64);
        return Ok(());
    }
    let deadline = if timeout > 0 {
        Some(ctx.now + timeout as u64)
    } else {
        None
    };
    ctx.srv.repl.waiters.push(Waiter {
        conn: ctx.client.conn,
        offset: target,
        numreplicas: numreplicas.max(0) as usize,
        deadline,
    });
    ctx.client.blocked = Some(Blocked {
        argv: args.to_vec(),
        db: ctx.client.db,
        keys: Vec::new(),
        deadline: None,
    });
    ctx.srv.repl_actions.push(ReplAction::RequestAcks);
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def("replicaof", 3, ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING, (0, 0, 0), "server", "5.0.0", "Make the server a replica of another instance, or promote it as master.", replicaof),
    def("slaveof", 3, ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING, (0, 0, 0), "server", "1.0.0", "Make the server a replica of another instance, or promote it as master.", replicaof),
    def("role", 1, NOSCRIPT | LOADING | STALE | FAST | SENTINEL, (0, 0, 0), "server", "2.8.12", "Return the role of the instance in the context of replication", role),
    def("replconf", -1, ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY, (0, 0, 0), "server", "3.0.0", "An internal command for configuring the replication stream", replconf),
    def("psync", -3, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, (0, 0, 0), "server", "2.8.0", "Internal command used for replication", psync),
    def("sync", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, (0, 0, 0), "server", "1.0.0", "Internal command used for replication", psync),
    def("wait", 3, NOSCRIPT, (0, 0, 0), "generic", "3.0.0", "Wait for the synchronous replication of all the write commands sent in the context of the current connection", wait),
];
