//! SHUTDOWN: the command's options; the work is
//! `ServerState::prepare_for_shutdown`, shared with SIGTERM (`Input::Terminate`).

use super::{err, lower, CmdResult, Ctx, Propagate};
use crate::server::FinalSave;
use bytes::Bytes;

pub(super) fn shutdown(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut nosave, mut save, mut abort) = (false, false, false);
    for a in &args[1..] {
        match lower(a).as_str() {
            "nosave" => nosave = true,
            "save" => save = true,
            // No replicas to wait for yet, so NOW changes nothing.
            "now" => {}
            // FORCE only overrides a failed final save, which cannot happen
            // in the core (the host writes the file and logs its own errors).
            "force" => {}
            "abort" => abort = true,
            _ => return Err(err::SYNTAX.into()),
        }
    }
    if (abort && args.len() != 2) || (nosave && save) {
        return Err(err::SYNTAX.into());
    }
    if abort {
        // abortShutdown: a signal's shutdown not yet started is called off.
        if !ctx.srv.shutdown_asap {
            return Err("ERR No shutdown in progress.".into());
        }
        ctx.srv.shutdown_asap = false;
        ctx.srv
            .log(crate::node::LogLevel::Notice, "Shutdown manually aborted.");
        ctx.out().ok();
        return Ok(());
    }
    // A busy script's half-done data set is not saved: only NOSAVE goes.
    if let Some(busy) = ctx.srv.busy.as_ref().filter(|_| !nosave) {
        return Err(crate::server::busy::busy_error(busy.eval).into());
    }
    // shutdownCommand: a dataset half loaded is never saved.
    let final_save = if ctx.srv.loading {
        FinalSave::NoSave
    } else if save {
        FinalSave::Save
    } else if nosave {
        FinalSave::NoSave
    } else {
        FinalSave::Default
    };
    ctx.srv.prepare_for_shutdown(final_save);
    ctx.client.close_after_reply = true;
    ctx.propagate = Propagate::Nothing;
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
        k.input(crate::node::Input::Terminate);
        assert_eq!(k.cmd(1, "SHUTDOWN ABORT"), "+OK\r\n");
        k.tick(200);
        assert!(!k.srv.st.shutting_down);
        assert_eq!(k.cmd(1, "SHUTDOWN NOSAVE"), "");
        assert!(k.events.contains(&Event::Shutdown { exit_code: 0 }));
        assert!(k.srv.st.shutting_down);
    }
}
