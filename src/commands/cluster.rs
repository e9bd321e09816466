//! CLUSTER, READONLY, READWRITE and ASKING as a 7.0 server started without
//! `cluster-enabled` answers them: every known subcommand is refused, after
//! the unknown-subcommand and arity checks dispatch makes for any container.

use super::container::{subcommand, unknown_sub};
use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use bytes::Bytes;

const DISABLED: &str = "ERR This instance has cluster support disabled";

const SUBCOMMANDS: &[&str] = &[
    "addslots",
    "addslotsrange",
    "bumpepoch",
    "count-failure-reports",
    "countkeysinslot",
    "delslots",
    "delslotsrange",
    "failover",
    "flushslots",
    "forget",
    "getkeysinslot",
    "help",
    "info",
    "keyslot",
    "links",
    "meet",
    "myid",
    "nodes",
    "replicas",
    "replicate",
    "reset",
    "saveconfig",
    "set-config-epoch",
    "setslot",
    "shards",
    "slaves",
    "slots",
];

fn cluster(_ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "cluster")?;
    if !SUBCOMMANDS.contains(&sub.as_str()) {
        return Err(unknown_sub(&args[1], "cluster"));
    }
    Err(DISABLED.into())
}

/// READONLY, READWRITE, ASKING: cluster-only connection states.
fn cluster_only(_ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    Err(DISABLED.into())
}

pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        subcommands: SUBCOMMANDS,
        ..def(
            "cluster",
            -2,
            0,
            (0, 0, 0),
            "cluster",
            "3.0.0",
            "A container for cluster commands",
            cluster,
        )
    },
    def(
        "readonly",
        1,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "cluster",
        "3.0.0",
        "Enables read queries for a connection to a cluster replica node",
        cluster_only,
    ),
    def(
        "readwrite",
        1,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "cluster",
        "3.0.0",
        "Disables read queries for a connection to a cluster replica node",
        cluster_only,
    ),
    def(
        "asking",
        1,
        FAST,
        (0, 0, 0),
        "cluster",
        "3.0.0",
        "Sent by cluster clients after an -ASK redirect",
        cluster_only,
    ),
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{err, Kit};

    #[test]
    fn everything_is_refused_without_cluster_support() {
        let mut k = Kit::new();
        let disabled = err("ERR This instance has cluster support disabled");
        for c in [
            "CLUSTER INFO",
            "cluster help",
            "CLUSTER KEYSLOT a",
            "READONLY",
            "READWRITE",
            "ASKING",
        ] {
            assert_eq!(k.cmd(1, c), disabled, "{c}");
        }
        assert_eq!(
            k.cmd(1, "CLUSTER foo"),
            err("ERR unknown subcommand 'foo'. Try CLUSTER HELP.")
        );
        assert_eq!(
            k.cmd(1, "CLUSTER INFO x"),
            err("ERR wrong number of arguments for 'cluster|info' command")
        );
        assert_eq!(
            k.cmd(1, "CLUSTER"),
            err("ERR wrong number of arguments for 'cluster' command")
        );
        assert_eq!(
            k.cmd(1, "READONLY x"),
            err("ERR wrong number of arguments for 'readonly' command")
        );
    }
}
