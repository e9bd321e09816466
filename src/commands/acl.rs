//! ACL: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG,
//! DRYRUN, LOAD, SAVE, HELP over the users of `crate::acl`.

use super::container::{help, subcommand};
use super::{def, flags::SENTINEL, CmdResult, CommandDef, Ctx, Error};
use crate::acl::selector::{channel_in, has_spaces, Denial, Selector};
use crate::acl::user::User;
use crate::acl::{categories, file};
use crate::server::config::Key;
use bytes::Bytes;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn syntax_error(args: &[Bytes]) -> Error {
    format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        text(&args[1]).chars().take(128).collect::<String>(),
        text(&args[0]).to_ascii_uppercase()
    )
    .into()
}

fn allchannels_default(ctx: &Ctx) -> bool {
    ctx.srv.config.get(Key::ACL_PUBSUB_DEFAULT) == "allchannels"
}

fn acl(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "acl")?;
    if !ACL.subcommands.contains(&sub.as_str()) {
        return Err(super::unknown_subcommand(&args[1], "acl"));
    }
    let n = args.len();
    match sub.as_str() {
        "setuser" if n >= 3 => setuser(ctx, args),
        "deluser" if n >= 3 => deluser(ctx, args),
        "getuser" if n == 3 => getuser(ctx, &text(&args[2])),
        "list" | "users" if n == 2 => {
            let acl = &ctx.srv.acl;
            let lines: Vec<String> = acl
                .users
                .values()
                .map(|u| {
                    if sub == "users" {
                        u.name.clone()
                    } else {
                        format!("user {} {}", u.name, u.describe(&acl.index))
                    }
                })
                .collect();
            let out = ctx.out();
            out.array(lines.len());
            for l in lines {
                out.bulk(l.as_bytes());
            }
            Ok(())
        }
        "whoami" if n == 2 => {
            let user = ctx.client.user.clone();
            ctx.out().bulk(user.as_bytes());
            Ok(())
        }
        "load" | "save" if ctx.srv.config.get(Key::ACLFILE).is_empty() => Err("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.".into()),
        "load" if n == 2 => load(ctx),
        "save" if n == 2 => {
            let path = ctx.srv.config.get(Key::ACLFILE).to_string();
            let bytes = file::render(&ctx.srv.acl).into_bytes();
            ctx.srv.emit(crate::node::Event::Persist { file: path, bytes });
            ctx.out().ok();
            Ok(())
        }
        "cat" if n == 2 => {
            let out = ctx.out();
            out.array(categories::NAMES.len());
            for c in categories::NAMES {
                out.bulk(c.as_bytes());
            }
            Ok(())
        }
        "cat" if n == 3 => {
            let name = text(&args[2]);
            let Some(bit) = categories::bit(&name) else {
                return Err(format!(
                    "ERR Unknown category '{}'",
                    name.chars().take(128).collect::<String>()
                )
                .into());
            };
            let names: Vec<String> = ctx
                .srv
                .acl
                .index
                .entries
                .iter()
                .filter(|e| e.cats & bit != 0)
                .map(|e| e.fullname.clone())
                .collect();
            let out = ctx.out();
            out.array(names.len());
            for nm in names {
                out.bulk(nm.as_bytes());
            }
            Ok(())
        }
        "genpass" if n == 2 || n == 3 => {
            let bits = match args.get(2) {
                Some(b) => super::arg_i64(b)?,
                None => 256,
            };
            if !(1..=4096).contains(&bits) {
                return Err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096".into());
            }
            let chars = ((bits + 3) / 4) as usize;
            let mut pass = String::with_capacity(chars + 16);
            while pass.len() < chars {
                pass.push_str(&format!("{:016x}", ctx.srv.rng.next_u64()));
            }
            pass.truncate(chars);
            ctx.out().bulk(pass.as_bytes());
            Ok(())
        }
        "log" if n == 2 || n == 3 => log(ctx, args),
        "dryrun" if n >= 4 => dryrun(ctx, args),
        "help" if n == 2 => {
            help(ctx.out(), "ACL", HELP);
            Ok(())
        }
        _ => Err(syntax_error(args)),
    }
}

const HELP: &[&str] = &[
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
];

fn setuser(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let name = text(&args[2]);
    if has_spaces(&args[2]) {
        return Err("ERR Usernames can't contain spaces or null characters".into());
    }
    let all = allchannels_default(ctx);
    let old = ctx
        .srv
        .acl
        .set_user(&name, &args[3..], all)
        .map_err(|e| Error::from(format!("ERR {e}")))?;
    if let Some(old) = old {
        kill_revoked_subscribers(ctx, &old);
    }
    ctx.out().ok();
    Ok(())
}

/// ACLKillPubsubClientsIfNeeded: when a user loses channels, its clients
/// subscribed to a channel or pattern no longer allowed are disconnected.
fn kill_revoked_subscribers(ctx: &mut Ctx, old: &User) {
    let new = &ctx.srv.acl.users[&old.name];
    if new.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let upcoming: Vec<Vec<u8>> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect();
    let kept = old
        .selectors
        .iter()
        .all(|s: &Selector| !s.allchannels && s.channels.iter().all(|c| upcoming.contains(c)));
    if kept {
        return;
    }
    let violates = |c: &crate::server::Client| {
        c.user == old.name
            && (c.patterns.iter().any(|p| !channel_in(&upcoming, p, true))
                || c.channels
                    .iter()
                    .chain(c.shard_channels.iter())
                    .any(|ch| !channel_in(&upcoming, ch, false)))
    };
    let victims: Vec<_> = ctx
        .clients
        .iter()
        .filter(|(_, c)| violates(c))
        .map(|(k, _)| *k)
        .collect();
    for conn in victims {
        if let Some(c) = ctx.clients.get_mut(&conn) {
            c.close_after_reply = true;
            ctx.srv.pending.insert(conn);
        }
    }
    if violates(ctx.client) {
        ctx.client.close_after_reply = true;
    }
}

/// Disconnect the clients authenticated as `name` (ACLFreeUserAndKillClients);
/// the caller's connection closes after this reply.
pub(crate) fn kill_clients_of(ctx: &mut Ctx, name: &str) {
    let victims: Vec<_> = ctx
        .clients
        .iter()
        .filter(|(_, c)| c.user == name)
        .map(|(k, _)| *k)
        .collect();
    for conn in victims {
        if let Some(c) = ctx.clients.get_mut(&conn) {
            c.user = "default".into();
            c.authenticated = false;
            c.close_after_reply = true;
            ctx.srv.pending.insert(conn);
        }
    }
    if ctx.client.user == name {
        ctx.client.user = "default".into();
        ctx.client.authenticated = false;
        ctx.client.close_after_reply = true;
    }
}

fn deluser(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args[2..].iter().any(|a| &a[..] == b"default") {
        return Err("ERR The 'default' user cannot be removed".into());
    }
    let mut deleted = 0;
    for a in &args[2..] {
        let name = text(a);
        if ctx.srv.acl.users.remove(&name).is_some() {
            kill_clients_of(ctx, &name);
            deleted += 1;
        }
    }
    ctx.out().int(deleted);
    Ok(())
}

fn write_selector(
    out: &mut crate::resp::ReplyBuf,
    s: &Selector,
    index: &crate::acl::index::CommandIndex,
) {
    out.bulk(b"commands");
    out.bulk(s.describe_commands(index).as_bytes());
    out.bulk(b"keys");
    out.bulk(s.describe_keys().as_bytes());
    out.bulk(b"channels");
    out.bulk(s.describe_channels().as_bytes());
}

fn getuser(ctx: &mut Ctx, name: &str) -> CmdResult {
    let Some(u) = ctx.srv.acl.users.get(name).cloned() else {
        ctx.out().null();
        return Ok(());
    };
    let index = ctx.srv.acl.index.clone();
    let out = ctx.out();
    out.map(6);
    out.bulk(b"flags");
    let flags = u.flags();
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"passwords");
    out.array(u.passwords.len());
    for p in &u.passwords {
        out.bulk(p.as_bytes());
    }
    write_selector(out, u.root(), &index);
    out.bulk(b"selectors");
    out.array(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        out.map(3);
        write_selector(out, s, &index);
    }
    Ok(())
}

fn log(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut count = 10i64;
    if let Some(a) = args.get(2) {
        if a.eq_ignore_ascii_case(b"reset") {
            ctx.srv.acl.log.entries.clear();
            ctx.out().ok();
            return Ok(());
        }
        count = super::arg_i64(a)?.max(0);
    }
    let now = ctx.now;
    let entries: Vec<_> = ctx
        .srv
        .acl
        .log
        .entries
        .iter()
        .take(count as usize)
        .cloned()
        .collect();
    let out = ctx.out();
    out.array(entries.len());
    for e in entries {
        out.map(7);
        out.bulk(b"count");
        out.int(e.count as i64);
        out.bulk(b"reason");
        out.bulk(e.reason.as_str().as_bytes());
        out.bulk(b"context");
        out.bulk(e.context.as_str().as_bytes());
        out.bulk(b"object");
        out.bulk(e.object.as_bytes());
        out.bulk(b"username");
        out.bulk(e.username.as_bytes());
        out.bulk(b"age-seconds");
        out.double(now.saturating_sub(e.time) as f64 / 1000.0);
        out.bulk(b"client-info");
        out.bulk(e.client_info.as_bytes());
    }
    Ok(())
}

fn dryrun(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let name = text(&args[2]);
    if !ctx.srv.acl.users.contains_key(&name) {
        return Err(format!("ERR User '{name}' not found").into());
    }
    let argv = &args[3..];
    let table = crate::server::command_table();
    let not_found = || Error::from(format!("ERR Command '{}' not found", text(&argv[0])));
    let Some(cmd) = table.get(&argv[0]) else {
        return dryrun_unimplemented(ctx, &name, argv).ok_or_else(not_found)?;
    };
    let mut arity = cmd.arity;
    let mut fullname = cmd.name.to_string();
    // A container named alone is itself (and fails its arity below).
    if !cmd.subcommands.is_empty() && argv.len() > 1 {
        let sub = super::lower(&argv[1]);
        if !cmd.subcommands.contains(&sub.as_str()) {
            return Err(not_found());
        }
        if let Some(d) = super::command_docs::SUBCOMMANDS
            .iter()
            .find(|d| d.parent == cmd.name && d.name == sub)
        {
            arity = d.arity;
        }
        fullname = format!("{}|{}", cmd.name, sub);
    }
    if (arity > 0 && argv.len() != arity as usize) || argv.len() < arity.unsigned_abs() as usize {
        return Err(format!("ERR wrong number of arguments for '{fullname}' command").into());
    }
    match ctx.srv.acl.check(&name, cmd, argv) {
        Ok(()) => ctx.out().ok(),
        Err(d) => {
            let msg = match d {
                Denial::Command => {
                    format!("This user has no permissions to run the '{fullname}' command")
                }
                Denial::Key(p) => format!(
                    "This user has no permissions to access the '{}' key",
                    text(&argv[p])
                ),
                Denial::Channel(p) => format!(
                    "This user has no permissions to access the '{}' channel",
                    text(&argv[p])
                ),
            };
            ctx.out().bulk(msg.as_bytes());
        }
    }
    Ok(())
}

/// DRYRUN of a 7.0 command this server does not implement (EVAL, MIGRATE
/// ...): the rules still name it, and its keys are found as 7.0's key specs
/// find them. None if 7.0 has no such command either.
fn dryrun_unimplemented(ctx: &mut Ctx, user: &str, argv: &[Bytes]) -> Option<CmdResult> {
    let acl = &ctx.srv.acl;
    let id = acl.index.lookup(&text(&argv[0]))?;
    if !acl.index.entries[id].subs.is_empty() {
        return None;
    }
    let keys = crate::acl::keys::unimplemented_key_access(&acl.index.entries[id].fullname, argv);
    let msg = match acl.check_id(user, id, argv, &keys, &[]) {
        Ok(()) => None,
        Err(Denial::Command) => Some(format!(
            "This user has no permissions to run the '{}' command",
            acl.index.entries[id].fullname
        )),
        Err(Denial::Key(p)) => Some(format!(
            "This user has no permissions to access the '{}' key",
            text(&argv[p])
        )),
        Err(Denial::Channel(p)) => Some(format!(
            "This user has no permissions to access the '{}' channel",
            text(&argv[p])
        )),
    };
    match msg {
        None => ctx.out().ok(),
        Some(m) => ctx.out().bulk(m.as_bytes()),
    }
    Some(Ok(()))
}

fn load(ctx: &mut Ctx) -> CmdResult {
    let path = ctx.srv.config.get(Key::ACLFILE).to_string();
    let contents = match ctx.srv.host.probe.as_ref() {
        Some(p) => p.read_file(&path),
        None => Err("No such file or directory".into()),
    };
    let bytes = contents.map_err(|e| {
        Error::from(format!(
            "ERR Error loading ACLs, opening file '{path}': {e}"
        ))
    })?;
    let all = allchannels_default(ctx);
    let users = file::parse(&ctx.srv.acl, &path, &String::from_utf8_lossy(&bytes), all)
        .map_err(|e| Error::from(format!("ERR {e}")))?;
    let old: Vec<String> = ctx
        .srv
        .acl
        .users
        .keys()
        .filter(|n| *n != "default")
        .cloned()
        .collect();
    ctx.srv.acl.users = users;
    for name in old {
        kill_clients_of(ctx, &name);
    }
    ctx.out().ok();
    Ok(())
}

/// A command line that runs at all must have a subcommand.
pub static COMMANDS: &[CommandDef] = &[ACL];

/// Shared with the sentinel's command table.
pub const ACL: CommandDef = CommandDef {
    subcommands: &[
        "cat", "deluser", "dryrun", "genpass", "getuser", "help", "list", "load", "log", "save",
        "setuser", "users", "whoami",
    ],
    ..def(
        "acl",
        -2,
        SENTINEL,
        (0, 0, 0),
        "server",
        "6.0.0",
        // 7.0.15's summary ends with a space.
        "A container for Access List Control commands ",
        acl,
    )
};
