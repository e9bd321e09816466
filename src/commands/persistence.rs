//! SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF. The snapshot work lives in
//! `server::persistence`, the rewrite in `server::aof::rewrite`.

use super::{def, eq_ignore_case, err, flags::*, CmdResult, CommandDef, Ctx, Propagate};
use bytes::Bytes;

pub static COMMANDS: &[CommandDef] = &[
    def(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Synchronously saves the database(s) to disk.",
        save,
    ),
    def(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Asynchronously saves the database(s) to disk.",
        bgsave,
    ),
    def(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Asynchronously rewrites the append-only file to disk.",
        bgrewriteaof,
    ),
    def(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "server",
        "1.0.0",
        "Returns the Unix timestamp of the last successful save to disk.",
        lastsave,
    ),
];

fn save(ctx: &mut Ctx, _argv: &[Bytes]) -> CmdResult {
    ctx.propagate = Propagate::Nothing;
    if ctx.srv.bgsave_job.is_some() {
        return Err("ERR Background save already in progress".into());
    }
    // 7.0 answers a failed save with a bare "-ERR"; the log says why.
    if !ctx.srv.save() {
        return Err("ERR".into());
    }
    ctx.out().ok();
    Ok(())
}

fn bgsave(ctx: &mut Ctx, argv: &[Bytes]) -> CmdResult {
    let schedule = argv.len() == 2 && eq_ignore_case(&argv[1], "schedule");
    if argv.len() > 1 && !schedule {
        return Err(err::SYNTAX.into());
    }
    ctx.propagate = Propagate::Nothing;
    if ctx.srv.bgsave_job.is_none() && (ctx.srv.aof.rewrite.is_some() || ctx.client.in_exec) {
        // Another "child" runs (or we are in EXEC): bgsaveCommand schedules
        // or refuses.
        if schedule || ctx.client.in_exec {
            ctx.srv.aof.bgsave_scheduled = true;
            ctx.out().simple("Background saving scheduled");
            return Ok(());
        }
        return Err("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.".into());
    }
    ctx.srv
        .bgsave()
        .map_err(|e| super::Error::from(format!("ERR {e}")))?;
    ctx.out().simple("Background saving started");
    Ok(())
}

fn bgrewriteaof(ctx: &mut Ctx, _argv: &[Bytes]) -> CmdResult {
    ctx.propagate = Propagate::Nothing;
    let in_exec = ctx.client.in_exec;
    let status = ctx
        .srv
        .aof_bgrewriteaof(in_exec)
        .map_err(super::Error::from)?;
    ctx.out().simple(status);
    Ok(())
}

fn lastsave(ctx: &mut Ctx, _argv: &[Bytes]) -> CmdResult {
    let t = ctx.srv.lastsave as i64;
    ctx.out().int(t);
    Ok(())
}
