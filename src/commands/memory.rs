//! MEMORY USAGE and HELP, from the server's memory estimate (`server::memory`).

use super::container::{help, unknown_sub};
use super::{arg_i64, eq_ignore_case, err, lower, CmdResult, Ctx};
use crate::server::memory::key_memory_sampled;
use bytes::Bytes;

pub(super) fn memory(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = lower(&args[1]);
    match sub.as_str() {
        "usage" => {
            if args.len() != 3 && !(args.len() == 5 && eq_ignore_case(&args[3], "samples")) {
                return Err(err::SYNTAX.into());
            }
            // SAMPLES: how many elements to look at (0: all); streams sample
            // their listpacks.
            let mut samples = 5;
            if args.len() == 5 {
                samples = match arg_i64(&args[4])? {
                    n if n < 0 => return Err(err::SYNTAX.into()),
                    0 => usize::MAX,
                    n => n as usize,
                };
            }
            let key = args[2].clone();
            match ctx
                .lookup(&key)
                .map(|o| key_memory_sampled(&key, o, samples))
            {
                Some(n) => ctx.out().int(n as i64),
                None => ctx.out().null(),
            }
        }
        "help" if args.len() == 2 => help(
            ctx.out(),
            "MEMORY",
            &[
                "DOCTOR",
                "    Return memory problems reports.",
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
                "STATS",
                "    Return information about the memory usage of the server.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
            ],
        ),
        _ => return Err(unknown_sub(&args[1], "memory")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;

    #[test]
    fn memory_usage() {
        let mut k = Kit::new();
        k.put_str(0, "k", "hello");
        assert!(k.cmd(1, "MEMORY USAGE k").starts_with(':'));
        assert_eq!(k.cmd(1, "MEMORY USAGE nokey"), "$-1\r\n");
    }
}
