//! The `server` command group's table (INFO, CONFIG, CLIENT, COMMAND, SLOWLOG,
//! MEMORY, DBSIZE, FLUSH*, SWAPDB, TIME, DEBUG, SHUTDOWN), kept as one table so
//! COMMAND lists them in the same order, and the two handlers too small for a
//! module of their own: INFO and TIME.
//!
//! INFO's sections are `ServerState::info_sections` (see `server::info`): the
//! replication and persistence modules provide theirs.

use super::client::client_cmd;
use super::command::command_cmd;
use super::config_cmd::config_cmd;
use super::container::text;
use super::databases::{dbsize, flushall, flushdb, swapdb};
use super::debug::debug;
use super::memory::memory;
use super::shutdown::shutdown;
use super::slowlog::slowlog;
use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use crate::server::info::{InfoCtx, SectionFn};
use bytes::Bytes;

pub(crate) fn info(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
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

fn time(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    // 7.0 reads the clock here, not the time cached for the command: a
    // script sees it move.
    let us = ctx
        .srv
        .host
        .probe
        .as_deref()
        .and_then(|p| p.wall_us())
        .unwrap_or(ctx.now * 1000);
    let out = ctx.out();
    out.array(2);
    out.bulk_int((us / 1_000_000) as i64);
    out.bulk_int((us % 1_000_000) as i64);
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
        subcommands: &[
            "count",
            "docs",
            "getkeys",
            "getkeysandflags",
            "help",
            "info",
            "list",
        ],
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
        subcommands: &["doctor", "help", "malloc-stats", "purge", "stats", "usage"],
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
mod tests {
    use super::*;
    use crate::commands::testkit::{bulk_body, Kit};

    #[test]
    fn info_sections() {
        let mut k = Kit::new();
        k.put_str(0, "foo", "bar");
        let r = k.cmd(1, "INFO");
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
        assert!(body.contains(&format!("\r\nrun_id:{}\r\n", k.srv.st.run_id)));
        let r = k.cmd(1, "INFO replication");
        let body = bulk_body(&r);
        assert!(body.starts_with("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:"));
        assert!(body.contains(&format!("master_replid:{}\r\n", k.srv.st.repl.replid)));
        assert!(body.contains("master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n"));
        let r = k.cmd(1, "INFO server CLIENTS");
        assert!(r.contains("# Server\r\n") && r.contains("\r\n\r\n# Clients\r\n"));
        assert!(!r.contains("# Memory"));
        assert_eq!(k.cmd(1, "INFO foo"), "$0\r\n\r\n");
        let r = k.cmd(1, "INFO everything");
        assert!(r.contains("# Commandstats") && r.contains("# Latencystats"));
        k.advance(5000);
        let r = k.cmd(1, "INFO server");
        assert!(r.contains("\r\nuptime_in_seconds:5\r\n"));
        k.srv.st.dbs[0].set_expire(b"foo", k.now + 10000);
        let r = k.cmd(1, "INFO keyspace");
        assert!(r.contains("db0:keys=1,expires=1,avg_ttl=10000"), "{r}");
    }

    fn my_repl(_ctx: &InfoCtx, out: &mut String) {
        out.push_str("role:slave\r\n");
    }

    #[test]
    fn info_section_can_be_replaced() {
        let mut k = Kit::new();
        register_info_section(&mut k.srv.st, "replication", my_repl);
        assert_eq!(
            k.cmd(1, "INFO replication"),
            "$27\r\n# Replication\r\nrole:slave\r\n\r\n"
        );
    }

    #[test]
    fn small_commands() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "TIME"), "*2\r\n$10\r\n1700000000\r\n$1\r\n0\r\n");
        k.advance(1_234);
        assert_eq!(
            k.cmd(1, "TIME"),
            "*2\r\n$10\r\n1700000001\r\n$6\r\n234000\r\n"
        );
        assert_eq!(k.cmd(1, "LASTSAVE"), ":1700000000\r\n");
        assert_eq!(k.cmd(1, "ROLE"), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    }
}
