//! SHUTDOWN: the command's options; the work is `server::shutdown`,
//! shared with SIGTERM / SIGINT (`Input::Terminate`).

use super::{err, lower, CmdResult, Ctx, Propagate};
use crate::server::client::Blocked;
use crate::server::shutdown::{ShutdownFlags, FAILED};
use bytes::Bytes;

pub(super) fn shutdown(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut flags = ShutdownFlags::default();
    let mut abort = false;
    for a in &args[1..] {
        match lower(a).as_str() {
            "nosave" => flags.nosave = true,
            "save" => flags.save = true,
            "now" => flags.now = true,
            "force" => flags.force = true,
            "abort" => abort = true,
            _ => return Err(err::SYNTAX.into()),
        }
    }
    if (abort && flags != ShutdownFlags::default()) || (flags.nosave && flags.save) {
        return Err(err::SYNTAX.into());
    }
    if abort {
        if !ctx.srv.abort_shutdown() {
            return Err("ERR No shutdown in progress.".into());
        }
        ctx.out().ok();
        return Ok(());
    }
    // A busy script's half-done data set is not saved: only NOSAVE goes.
    if let Some(busy) = ctx.srv.busy.as_ref().filter(|_| !flags.nosave) {
        return Err(crate::server::busy::busy_error(busy.eval).into());
    }
    ctx.propagate = Propagate::Nothing;
    // The client waits (blocked_clients) until the server exits, or gets
    // an error if the shutdown is called off.
    let me = ctx.client.conn;
    ctx.client.blocked = Some(Blocked {
        argv: args.to_vec(),
        db: ctx.client.db,
        keys: Vec::new(),
        deadline: None,
    });
    ctx.srv.shutdown.blocked.push(me);
    if ctx.srv.prepare_for_shutdown(flags) {
        ctx.client.close_after_reply = true;
        return Ok(());
    }
    // Called off at once: this client's error is given here.
    if let Some(i) = ctx.srv.shutdown.to_fail.iter().position(|&c| c == me) {
        ctx.srv.shutdown.to_fail.swap_remove(i);
        ctx.client.blocked = None;
        return Err(FAILED.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;
    use crate::node::Event;

    #[test]
    fn shutdown() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "SHUTDOWN foo"), "-ERR syntax error\r\n");
        assert_eq!(k.cmd(1, "SHUTDOWN NOSAVE SAVE"), "-ERR syntax error\r\n");
        assert_eq!(k.cmd(1, "SHUTDOWN NOSAVE ABORT"), "-ERR syntax error\r\n");
        assert_eq!(
            k.cmd(1, "SHUTDOWN ABORT"),
            "-ERR No shutdown in progress.\r\n"
        );
        // A signal's shutdown waits for the cron; SHUTDOWN ABORT calls it off.
        k.input(crate::node::Input::Terminate(crate::node::Signal::Term));
        assert_eq!(k.cmd(1, "SHUTDOWN ABORT"), "+OK\r\n");
        k.tick(200);
        assert!(!k.srv.st.shutting_down);
        assert_eq!(k.cmd(1, "SHUTDOWN NOSAVE"), "");
        assert!(k.events.contains(&Event::Shutdown { exit_code: 0 }));
        assert!(k.srv.st.shutting_down);
    }
}
