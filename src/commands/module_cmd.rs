//! MODULE: this server loads no native modules, so LIST is empty, and LOAD /
//! LOADEX / UNLOAD fail as 7.0 fails them for a library it cannot open or a
//! name it has not loaded (after the `enable-module-command` gate).

use super::container::{help, subcommand, text, unknown_sub};
use super::{def, eq_ignore_case, CmdResult, CommandDef, Ctx};
use crate::node::LogLevel;
use crate::server::config::Key;
use bytes::Bytes;

const NOT_ALLOWED: &str = "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
const LOAD_FAILED: &str = "ERR Error loading the extension. Please check the server logs.";

const HELP: &[&str] = &[
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
];

const SUBCOMMANDS: &[&str] = &["help", "list", "load", "loadex", "unload"];

fn module(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "module")?;
    if !SUBCOMMANDS.contains(&sub.as_str()) {
        return Err(unknown_sub(&args[1], "module"));
    }
    // LOAD, LOADEX and UNLOAD are protected commands.
    if matches!(sub.as_str(), "load" | "loadex" | "unload") {
        let allowed = match ctx.srv.config.get(Key::ENABLE_MODULE_COMMAND) {
            "yes" => true,
            "local" => crate::server::is_loopback(&ctx.client.addr.host),
            _ => false,
        };
        if !allowed {
            return Err(NOT_ALLOWED.into());
        }
    }
    match sub.as_str() {
        "help" => help(ctx.out(), "MODULE", HELP),
        "list" => ctx.out().array(0),
        "load" => return Err(load_failed(ctx, &args[2])),
        "loadex" => {
            if let Err(msg) = check_loadex_args(&args[3..]) {
                ctx.srv.log(LogLevel::Notice, msg);
            } else {
                return Err(load_failed(ctx, &args[2]));
            }
            return Err(LOAD_FAILED.into());
        }
        _ => return Err("ERR Error unloading module: no such module with that name".into()),
    }
    Ok(())
}

/// moduleLoad's failure: the log line, then the reply's error.
fn load_failed(ctx: &mut Ctx, path: &[u8]) -> super::Error {
    let path = text(path);
    ctx.srv.log(
        LogLevel::Warning,
        format!("Module {path} failed to load: this server cannot load native modules"),
    );
    LOAD_FAILED.into()
}

/// parseLoadexArguments: `CONFIG name value` pairs, then optionally `ARGS ...`.
fn check_loadex_args(mut rest: &[Bytes]) -> Result<(), String> {
    while let Some(a) = rest.first() {
        if eq_ignore_case(a, "config") {
            if rest.len() < 3 {
                return Err("CONFIG specified without name value pair".into());
            }
            rest = &rest[3..];
        } else if eq_ignore_case(a, "args") {
            return Ok(());
        } else {
            return Err(format!(
                "Syntax Error from arguments to loadex around {}.",
                text(a)
            ));
        }
    }
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[CommandDef {
    subcommands: SUBCOMMANDS,
    ..def(
        "module",
        -2,
        0,
        (0, 0, 0),
        "server",
        "4.0.0",
        "A container for module commands",
        module,
    )
}];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{err, Kit};
    use crate::server::config::Key;

    #[test]
    fn module_commands_as_7_0_without_the_library() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "MODULE LIST"), "*0\r\n");
        assert!(k
            .cmd(1, "MODULE LOAD /x")
            .starts_with("-ERR MODULE command not allowed."));
        assert_eq!(
            k.cmd(1, "MODULE foo"),
            err("ERR unknown subcommand 'foo'. Try MODULE HELP.")
        );
        assert!(k
            .cmd(1, "MODULE HELP")
            .starts_with("*11\r\n+MODULE <subcommand>"));

        k.srv
            .st
            .config
            .set(Key::ENABLE_MODULE_COMMAND, &["yes".into()])
            .unwrap();
        let failed = err("ERR Error loading the extension. Please check the server logs.");
        assert_eq!(k.cmd(1, "MODULE LOAD /x a"), failed);
        assert_eq!(k.cmd(1, "MODULE LOADEX /x CONFIG a"), failed);
        assert_eq!(k.cmd(1, "MODULE LOADEX /x CONFIG a b ARGS c"), failed);
        assert_eq!(
            k.cmd(1, "MODULE UNLOAD x"),
            err("ERR Error unloading module: no such module with that name")
        );
    }
}
