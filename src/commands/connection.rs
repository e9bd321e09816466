//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET.

use super::{def, eq_ignore_case, err, flags::*, CmdResult, CommandDef, Ctx, Error};
use bytes::Bytes;

/// The version HELLO reports.
pub use crate::REDIS_VERSION;

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn ping(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 2 {
        return Err(super::wrong_arity("ping"));
    }
    let resp2_pubsub = ctx.client.reply.resp == 2 && ctx.client.in_pubsub();
    let out = ctx.out();
    if resp2_pubsub {
        // In RESP2 pub/sub context PING answers with a "pong" message array.
        out.array(2);
        out.bulk(b"pong");
        out.bulk(args.get(1).map(|b| &b[..]).unwrap_or(b""));
    } else if let Some(msg) = args.get(1) {
        out.bulk(msg);
    } else {
        out.simple("PONG");
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out().bulk(&args[1]);
    Ok(())
}

fn select(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let idx = crate::resp::parse_i64(&args[1]).ok_or(Error::from(err::NOT_INTEGER))?;
    if idx < 0 || idx as usize >= ctx.srv.dbs.len() {
        return Err(err::DB_INDEX.into());
    }
    ctx.client.db = idx as usize;
    ctx.out().ok();
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out().ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

/// Check a username/password pair against the ACL users (`requirepass`
/// is the default user's password).
pub fn check_credentials(srv: &crate::server::ServerState, user: &[u8], pass: &[u8]) -> bool {
    srv.acl.credentials_ok(user, pass)
}

/// Redis's authRequired: the client has not authenticated and the default
/// user has a password or is off (so clearing `requirepass` lets everyone
/// in at once).
pub fn auth_required(srv: &crate::server::ServerState, c: &crate::server::Client) -> bool {
    !c.authenticated && srv.acl.default_requires_auth()
}

/// ACLAuthenticateUser: on success the client runs as `user`; a failure is
/// logged in the ACL LOG and answered WRONGPASS.
fn authenticate(ctx: &mut Ctx, args: &[Bytes], user: &[u8], pass: &[u8]) -> CmdResult {
    ctx.srv.sync_acl();
    if !check_credentials(ctx.srv, user, pass) {
        crate::acl::log::record_auth_failure(ctx.srv, ctx.client, args, user);
        return Err(WRONGPASS.into());
    }
    ctx.client.authenticated = true;
    ctx.client.user = String::from_utf8_lossy(user).into_owned();
    Ok(())
}

fn auth(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        return Err(err::SYNTAX.into());
    }
    let (user, pass): (&[u8], &[u8]) = if args.len() == 2 {
        ctx.srv.sync_acl();
        if ctx.srv.acl.default_user().nopass {
            return Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into());
        }
        (b"default", &args[1])
    } else {
        (&args[1], &args[2])
    };
    authenticate(ctx, args, user, pass)?;
    ctx.out().ok();
    Ok(())
}

/// A client name as CLIENT SETNAME accepts it: no spaces or special characters.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

pub const BAD_CLIENT_NAME: &str =
    "ERR Client names cannot contain spaces, newlines or special characters.";

fn hello(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut ver = 0;
    if args.len() >= 2 {
        ver = crate::resp::parse_i64(&args[1]).ok_or(Error::from(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        if !(2..=3).contains(&ver) {
            return Err("NOPROTO unsupported protocol version".into());
        }
    }
    let mut creds = None;
    let mut name = None;
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if eq_ignore_case(&args[j], "auth") && more >= 2 {
            creds = Some((&args[j + 1], &args[j + 2]));
            j += 3;
        } else if eq_ignore_case(&args[j], "setname") && more >= 1 {
            name = Some(&args[j + 1]);
            j += 2;
        } else {
            return Err(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&args[j])
            )
            .into());
        }
    }
    if let Some((user, pass)) = creds {
        authenticate(ctx, args, user, pass)?;
    }
    if !ctx.client.authenticated {
        return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into());
    }
    if let Some(n) = name {
        if !valid_client_name(n) {
            return Err(BAD_CLIENT_NAME.into());
        }
        ctx.client.name = if n.is_empty() { None } else { Some(n.clone()) };
    }
    if ver != 0 {
        ctx.client.reply.resp = ver as u8;
    }
    let replica = ctx.srv.repl.is_replica();
    // A sentinel answers mode "sentinel" and has no role field, as redis-sentinel does.
    let sentinel = ctx.srv.sentinel.is_some();
    let (id, resp) = (ctx.client.id, ctx.client.reply.resp);
    let out = ctx.out();
    out.map(if sentinel { 6 } else { 7 });
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(resp as i64);
    out.bulk(b"id");
    out.int(id as i64);
    out.bulk(b"mode");
    if sentinel {
        out.bulk(b"sentinel");
    } else {
        out.bulk(b"standalone");
        out.bulk(b"role");
        out.bulk(if replica { b"replica" } else { b"master" });
    }
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

/// RESET: back to a fresh connection's state (clearClientConnectionState).
fn reset(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    ctx.client.db = 0;
    ctx.client.reply.resp = 2;
    ctx.client.user = "default".into();
    ctx.srv.sync_acl();
    ctx.client.authenticated = !ctx.srv.acl.default_requires_auth();
    ctx.client.multi = None;
    ctx.client.dirty_cas = false;
    let watched = std::mem::take(&mut ctx.client.watched);
    crate::server::unwatch_all(ctx.srv, conn, &watched);
    super::pubsub::unsubscribe_all(ctx.srv, ctx.client);
    ctx.srv.tracking.disable(ctx.client);
    ctx.client.no_evict = false;
    ctx.client.name = None;
    ctx.client.monitor = false;
    ctx.srv.monitors.remove(&conn);
    // 7.0 clears OFF and SKIP_NEXT; a SKIP already applying to RESET stays.
    if ctx.client.reply_mode != crate::server::ReplyMode::Skip {
        ctx.client.reply_mode = crate::server::ReplyMode::On;
    }
    ctx.out().simple("RESET");
    Ok(())
}

/// Shared with the sentinel's command table.
pub const HELLO: CommandDef = def(
    "hello",
    -1,
    NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY | SENTINEL,
    (0, 0, 0),
    "connection",
    "6.0.0",
    "Handshake with Redis",
    hello,
);

/// Shared with the sentinel's command table.
pub const AUTH: CommandDef = def(
    "auth",
    -2,
    NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY | SENTINEL,
    (0, 0, 0),
    "connection",
    "1.0.0",
    "Authenticate to the server",
    auth,
);

/// PING, served alike by a server and a sentinel.
pub const PING: CommandDef = def(
    "ping",
    -1,
    FAST | SENTINEL,
    (0, 0, 0),
    "connection",
    "1.0.0",
    "Ping the server",
    ping,
);

pub static COMMANDS: &[CommandDef] = &[
    PING,
    def(
        "echo",
        2,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "connection",
        "1.0.0",
        "Echo the given string",
        echo,
    ),
    def(
        "select",
        2,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "connection",
        "1.0.0",
        "Change the selected database for the current connection",
        select,
    ),
    def(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        (0, 0, 0),
        "connection",
        "1.0.0",
        "Close the connection",
        quit,
    ),
    HELLO,
    AUTH,
    def(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        "connection",
        "6.2.0",
        "Reset the connection",
        reset,
    ),
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;
    use crate::server::{Config, Key};

    const HELLO_TAIL: &str =
        "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";

    fn hello_reply(resp: u8, id: u64) -> String {
        format!(
            "{}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{}\r\n$2\r\nid\r\n:{}\r\n{}",
            if resp == 3 { "%7\r\n" } else { "*14\r\n" },
            resp,
            id,
            HELLO_TAIL
        )
    }

    fn protected() -> Kit {
        let mut cfg = Config::default();
        cfg.set(Key::REQUIREPASS, &["secret".to_string()]).unwrap();
        Kit::with_config(cfg)
    }

    #[test]
    fn hello_switches_protocol() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "HELLO"), hello_reply(2, 1));
        assert_eq!(k.cmd(1, "HELLO 3"), hello_reply(3, 1));
        assert_eq!(k.srv.clients[&crate::node::ConnId(1)].reply.resp, 3);
        assert_eq!(k.cmd(1, "HELLO"), hello_reply(3, 1));
        assert_eq!(k.cmd(1, "PING"), "+PONG\r\n");
        assert_eq!(k.cmd(1, "HELLO 2 SETNAME foo"), hello_reply(2, 1));
        assert_eq!(
            k.srv.clients[&crate::node::ConnId(1)].name.as_deref(),
            Some(&b"foo"[..])
        );
        // Without a password any password is accepted for `default`.
        assert_eq!(k.cmd(1, "HELLO 3 AUTH default x"), hello_reply(3, 1));
    }

    #[test]
    fn hello_errors() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "HELLO 4"),
            "-NOPROTO unsupported protocol version\r\n"
        );
        assert_eq!(
            k.cmd(1, "HELLO 1"),
            "-NOPROTO unsupported protocol version\r\n"
        );
        assert_eq!(
            k.cmd(1, "HELLO abc"),
            "-ERR Protocol version is not an integer or out of range\r\n"
        );
        assert_eq!(
            k.cmd(1, "HELLO 3 AUTH a b"),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(
            k.cmd(1, "HELLO 3 foo"),
            "-ERR Syntax error in HELLO option 'foo'\r\n"
        );
        assert_eq!(
            k.cmd(1, "HELLO 3 SETNAME"),
            "-ERR Syntax error in HELLO option 'SETNAME'\r\n"
        );
        assert_eq!(
            k.cmd(1, "HELLO 2 AUTH default"),
            "-ERR Syntax error in HELLO option 'AUTH'\r\n"
        );
        assert_eq!(
            k.raw(
                1,
                b"*4\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$7\r\nSETNAME\r\n$3\r\na b\r\n"
            ),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        // Nothing changed.
        assert_eq!(k.srv.clients[&crate::node::ConnId(1)].reply.resp, 2);
    }

    #[test]
    fn auth_without_password() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "AUTH x"),
            "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
        );
        assert_eq!(k.cmd(1, "AUTH default x"), "+OK\r\n");
        assert_eq!(
            k.cmd(1, "AUTH a b"),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(k.cmd(1, "AUTH a b c"), "-ERR syntax error\r\n");
        assert_eq!(
            k.cmd(1, "AUTH"),
            "-ERR wrong number of arguments for 'auth' command\r\n"
        );
    }

    #[test]
    fn auth_with_requirepass() {
        let mut k = protected();
        assert_eq!(k.cmd(1, "PING"), "-NOAUTH Authentication required.\r\n");
        assert_eq!(
            k.cmd(1, "HELLO 3"),
            "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
        );
        assert_eq!(
            k.cmd(1, "HELLO 3 AUTH default wrong"),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(
            k.cmd(1, "AUTH wrong"),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(
            k.cmd(1, "AUTH bob secret"),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(k.cmd(1, "AUTH secret"), "+OK\r\n");
        assert_eq!(k.cmd(1, "PING"), "+PONG\r\n");
        assert_eq!(k.cmd(1, "RESET"), "+RESET\r\n");
        assert_eq!(k.cmd(1, "PING"), "-NOAUTH Authentication required.\r\n");
        assert_eq!(k.cmd(1, "AUTH default secret"), "+OK\r\n");
        assert_eq!(
            k.cmd(2, "HELLO 3 AUTH default secret SETNAME x"),
            hello_reply(3, 2)
        );
        assert_eq!(k.cmd(2, "PING"), "+PONG\r\n");
    }

    #[test]
    fn reset_clears_state() {
        let mut k = Kit::new();
        k.cmd(1, "HELLO 3 SETNAME n");
        k.cmd(1, "SELECT 3");
        k.cmd(1, "SUBSCRIBE a");
        k.cmd(1, "PSUBSCRIBE p*");
        k.cmd(1, "WATCH k");
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "RESET"), "+RESET\r\n");
        let c = &k.srv.clients[&crate::node::ConnId(1)];
        assert_eq!(
            (c.db, c.reply.resp, c.name.is_none(), c.multi.is_none()),
            (0, 2, true, true)
        );
        assert!(c.watched.is_empty() && !c.in_pubsub());
        assert!(k.srv.st.channels.is_empty() && k.srv.st.patterns.is_empty());
        assert!(k.srv.st.watched.is_empty());
        assert_eq!(k.cmd(1, "PING"), "+PONG\r\n");
    }

    #[test]
    fn ping_echo_select_quit() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "PING"), "+PONG\r\n");
        assert_eq!(k.cmd(1, "PING hi"), "$2\r\nhi\r\n");
        assert_eq!(
            k.cmd(1, "PING a b"),
            "-ERR wrong number of arguments for 'ping' command\r\n"
        );
        assert_eq!(k.cmd(1, "ECHO hey"), "$3\r\nhey\r\n");
        assert_eq!(k.cmd(1, "SELECT 15"), "+OK\r\n");
        assert_eq!(k.cmd(1, "SELECT 16"), "-ERR DB index is out of range\r\n");
        assert_eq!(
            k.cmd(1, "SELECT x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        // RESP2 subscribed context: PING answers a pong message.
        k.cmd(1, "SUBSCRIBE a");
        assert_eq!(k.cmd(1, "PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        assert_eq!(k.cmd(1, "PING x"), "*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
        // RESP3 subscribed context: a normal reply.
        k.cmd(2, "HELLO 3");
        k.cmd(2, "SUBSCRIBE a");
        assert_eq!(k.cmd(2, "PING"), "+PONG\r\n");
        assert_eq!(k.cmd(2, "QUIT"), "+OK\r\n");
        assert_eq!(k.closed, vec![2]);
        assert!(k.srv.st.channels[&b"a"[..]].len() == 1);
    }
}
