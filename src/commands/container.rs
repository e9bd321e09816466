//! Container commands (CONFIG, CLIENT, COMMAND, SLOWLOG, ...): the subcommand
//! lookup with its arity check, the HELP reply, and `name|sub` names.

use super::command_docs::SUBCOMMANDS;
use super::{lower, wrong_arity, CommandDef, Error};
use crate::resp::ReplyBuf;
use bytes::Bytes;

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

pub(super) fn sub_arity(parent: &str, sub: &str) -> Error {
    wrong_arity(&format!("{parent}|{sub}"))
}

pub(super) fn unknown_sub(sub: &[u8], cmd: &str) -> Error {
    super::unknown_subcommand(sub, cmd)
}

pub(super) fn help(out: &mut ReplyBuf, cmd: &str, lines: &[&str]) {
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

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Dispatch helper: lower-case subcommand name, validated against its arity.
pub(super) fn subcommand(args: &[Bytes], parent: &str) -> Result<String, Error> {
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

/// The flags a command line runs with: a container's subcommand has its own
/// (CONFIG GET is admin, CLIENT ID is not), anything else its command's.
#[inline]
pub fn effective_flags(cmd: &CommandDef, argv: &[Bytes]) -> u32 {
    if cmd.subcommands.is_empty() || argv.len() < 2 {
        return cmd.flags;
    }
    subcommand_flags(cmd, argv)
}

/// [`effective_flags`] of a container's subcommand line.
fn subcommand_flags(cmd: &CommandDef, argv: &[Bytes]) -> u32 {
    let sub = lower(&argv[1]);
    SUBCOMMANDS
        .iter()
        .find(|s| s.parent == cmd.name && s.name == sub)
        .map_or(cmd.flags, |s| s.flags)
}
