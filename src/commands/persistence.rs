//! SAVE, BGSAVE, LASTSAVE. The snapshot work lives in `server::persistence`.

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
    ctx.srv.save();
    ctx.out().ok();
    Ok(())
}

fn bgsave(ctx: &mut Ctx, argv: &[Bytes]) -> CmdResult {
    // SCHEDULE only matters while an AOF rewrite runs; the core has none.
    if argv.len() > 1 && !(argv.len() == 2 && eq_ignore_case(&argv[1], "schedule")) {
        return Err(err::SYNTAX.into());
    }
    ctx.propagate = Propagate::Nothing;
    ctx.srv
        .bgsave()
        .map_err(|e| super::Error::from(format!("ERR {e}")))?;
    ctx.out().simple("Background saving started");
    Ok(())
}

fn lastsave(ctx: &mut Ctx, _argv: &[Bytes]) -> CmdResult {
    let t = ctx.srv.lastsave as i64;
    ctx.out().int(t);
    Ok(())
}
