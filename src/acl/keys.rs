//! Which arguments of a command line are keys, and whether the command reads
//! (`%R~`) or writes (`%W~`) each: 7.0's key specs' flags (ACCESS means
//! read; INSERT, DELETE, UPDATE mean write; existence and size tests need
//! neither, only a matching pattern).

use super::selector::{READ, WRITE};
use crate::commands::{eq_ignore_case, flags, CommandDef};
use bytes::Bytes;

const RW: u8 = READ | WRITE;

/// Readonly commands whose key specs do not say ACCESS.
const NO_ACCESS: &[&str] = &[
    "exists",
    "touch",
    "type",
    "strlen",
    "hlen",
    "llen",
    "scard",
    "zcard",
    "xlen",
    "hexists",
    "hstrlen",
    "sismember",
    "smismember",
];

/// Write commands whose keys are also read (RW ACCESS ...).
const READ_WRITE: &[&str] = &[
    "incr",
    "incrby",
    "decr",
    "decrby",
    "incrbyfloat",
    "getset",
    "getdel",
    "getex",
    "hincrby",
    "hincrbyfloat",
    "zincrby",
    "lpop",
    "rpop",
    "spop",
    "zpopmin",
    "zpopmax",
    "blpop",
    "brpop",
    "bzpopmin",
    "bzpopmax",
    "lmpop",
    "blmpop",
    "zmpop",
    "bzmpop",
    "linsert",
    "lset",
    "ltrim",
    "lrem",
    "setrange",
    "hsetnx",
    "smove",
];

/// Commands storing into their first key from the others (`dest` written, sources read).
const STORES: &[&str] = &[
    "sinterstore",
    "sunionstore",
    "sdiffstore",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "zrangestore",
    "bitop",
    "pfmerge",
    "geosearchstore",
];

/// Keys of commands that name how many keys follow (`numkeys` at `at`, keys after it).
fn numkeys(argv: &[Bytes], at: usize) -> Vec<usize> {
    let n = argv
        .get(at)
        .and_then(|a| crate::resp::parse_i64(a))
        .unwrap_or(0)
        .max(0) as usize;
    // More keys announced than given: no keys (7.0's key specs give none).
    if at + 1 + n > argv.len() {
        return Vec::new();
    }
    (at + 1..at + 1 + n).collect()
}

/// (argument index, permission needed) for each key of the command line.
pub fn key_access(cmd: &CommandDef, sub: Option<&str>, argv: &[Bytes]) -> Vec<(usize, u8)> {
    let name = cmd.name;
    if let Some(sub) = sub {
        // MEMORY USAGE and OBJECT name one key, needing no particular access.
        return match (name, sub) {
            ("memory", "usage") | ("object", "encoding" | "freq" | "idletime" | "refcount")
                if argv.len() > 2 =>
            {
                vec![(2, 0)]
            }
            _ => Vec::new(),
        };
    }
    let positions: Vec<usize> = match name {
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => {
            numkeys(argv, 1)
        }
        "blmpop" | "bzmpop" => numkeys(argv, 2),
        "zunionstore" | "zinterstore" | "zdiffstore" => {
            let mut v = vec![1];
            v.extend(numkeys(argv, 2));
            v
        }
        "georadius" | "georadiusbymember" => {
            let mut v = vec![1];
            let mut i = if name == "georadius" { 6 } else { 5 };
            while i + 1 < argv.len() {
                if eq_ignore_case(&argv[i], "store") || eq_ignore_case(&argv[i], "storedist") {
                    v.push(i + 1);
                    i += 1;
                }
                i += 1;
            }
            v
        }
        _ => cmd.keys_in(argv),
    };
    let write = cmd.has(flags::WRITE);
    let default = if NO_ACCESS.contains(&name) {
        0
    } else if !write {
        READ
    } else if READ_WRITE.contains(&name) {
        RW
    } else {
        WRITE
    };
    positions
        .iter()
        .enumerate()
        .map(|(i, &pos)| {
            let need = match name {
                _ if STORES.contains(&name) => {
                    if i == 0 {
                        WRITE
                    } else {
                        READ
                    }
                }
                "copy" | "sort" | "georadius" | "georadiusbymember" => {
                    if i == 0 {
                        READ
                    } else {
                        WRITE
                    }
                }
                "lmove" | "blmove" | "rpoplpush" | "brpoplpush" => {
                    if i == 0 {
                        RW
                    } else {
                        WRITE
                    }
                }
                "set" => {
                    if argv.iter().skip(3).any(|a| eq_ignore_case(a, "get")) {
                        RW
                    } else {
                        WRITE
                    }
                }
                "bitfield" => {
                    let writes = argv
                        .iter()
                        .skip(2)
                        .any(|a| eq_ignore_case(a, "set") || eq_ignore_case(a, "incrby"));
                    if writes {
                        RW
                    } else {
                        READ
                    }
                }
                _ => default,
            };
            (pos, need)
        })
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
/// EVAL's and FCALL's `numkeys`, MIGRATE's key or its KEYS list.
pub fn unimplemented_key_access(name: &str, argv: &[Bytes]) -> Vec<(usize, u8)> {
    match name {
        "eval" | "evalsha" | "fcall" => numkeys(argv, 2).into_iter().map(|p| (p, RW)).collect(),
        "eval_ro" | "evalsha_ro" | "fcall_ro" => {
            numkeys(argv, 2).into_iter().map(|p| (p, READ)).collect()
        }
        "migrate" => {
            if argv.get(3).is_some_and(|k| !k.is_empty()) {
                return vec![(3, RW)];
            }
            // The KEYS keyword, searched backwards from the last but one argument.
            let from = argv.len().saturating_sub(2);
            (1..=from)
                .rev()
                .find(|&i| eq_ignore_case(&argv[i], "keys"))
                .map_or_else(Vec::new, |i| (i + 1..argv.len()).map(|p| (p, RW)).collect())
        }
        "xlen" if argv.len() > 1 => vec![(1, 0)],
        _ => Vec::new(),
    }
}
