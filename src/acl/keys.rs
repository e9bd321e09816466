//! Which arguments of a command line are keys (COMMAND GETKEYSANDFLAGS's
//! key specs), and whether the command reads
//! (`%R~`) or writes (`%W~`) each: 7.0's key specs' flags (ACCESS means
//! read; INSERT, DELETE, UPDATE mean write; existence and size tests need
//! neither, only a matching pattern).

use super::selector::{READ, WRITE};
use crate::commands::CommandDef;
use bytes::Bytes;

const RW: u8 = READ | WRITE;

/// Keys of commands that name how many keys follow (`numkeys` at `at`, keys
/// after it); none when more are announced than given, as 7.0's specs say.
fn numkeys(argv: &[Bytes], at: usize) -> Vec<usize> {
    let n = argv
        .get(at)
        .and_then(|a| crate::resp::parse_i64(a))
        .unwrap_or(0)
        .max(0) as usize;
    if at + 1 + n > argv.len() {
        return Vec::new();
    }
    (at + 1..at + 1 + n).collect()
}

/// The permission a key spec's flags ask for: ACCESS reads; INSERT,
/// DELETE and UPDATE write; neither (EXISTS, TYPE, *LEN) needs only a
/// matching pattern.
fn permission(flags: &[&str]) -> u8 {
    let mut need = 0;
    for f in flags {
        match *f {
            "access" => need |= READ,
            "insert" | "delete" | "update" => need |= WRITE,
            _ => {}
        }
    }
    need
}

/// (argument index, permission needed) for each key of the command line,
/// from the keys COMMAND GETKEYSANDFLAGS gives.
pub fn key_access(cmd: &CommandDef, argv: &[Bytes]) -> Vec<(usize, u8)> {
    crate::commands::command::keys_with_flags(cmd, argv)
        .into_iter()
        .map(|(pos, flags)| (pos, permission(flags)))
        .collect()
}

/// (argument index, is a pattern) for each channel the command line names
/// (PUBLISH, SUBSCRIBE, PSUBSCRIBE; unsubscribing needs no permission).
pub fn channels(cmd: &CommandDef, argv: &[Bytes]) -> Vec<(usize, bool)> {
    match cmd.name {
        "publish" | "spublish" if argv.len() > 1 => vec![(1, false)],
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        _ => Vec::new(),
    }
}

/// Keys of 7.0 commands this server does not implement, for ACL DRYRUN:
/// EVAL's and FCALL's `numkeys`.
pub fn unimplemented_key_access(name: &str, argv: &[Bytes]) -> Vec<(usize, u8)> {
    match name {
        "eval" | "evalsha" | "fcall" => numkeys(argv, 2).into_iter().map(|p| (p, RW)).collect(),
        "eval_ro" | "evalsha_ro" | "fcall_ro" => {
            numkeys(argv, 2).into_iter().map(|p| (p, READ)).collect()
        }
        _ => Vec::new(),
    }
}
