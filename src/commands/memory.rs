//! MEMORY USAGE and HELP, from the server's memory estimate (`server::memory`).

use super::container::{help, unknown_sub};
use super::{arg_i64, eq_ignore_case, err, lower, CmdResult, Ctx};
use crate::server::client::ClientKind;
use crate::server::memory::{
    buffer_memory, key_memory, MemoryStats, STARTUP_MEMORY, USAGE_SAMPLES,
};
use bytes::Bytes;

/// MEMORY USAGE key [SAMPLES count]...: the key's cost, collections
/// sampled (0: every element). The key is not touched nor expired.
fn usage(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut samples = USAGE_SAMPLES;
    let mut j = 3;
    while j < args.len() {
        if !(eq_ignore_case(&args[j], "samples") && j + 1 < args.len()) {
            return Err(err::SYNTAX.into());
        }
        let n = arg_i64(&args[j + 1])?;
        if n < 0 {
            return Err(err::SYNTAX.into());
        }
        samples = if n == 0 {
            0
        } else {
            n.min(usize::MAX as i64) as usize
        };
        j += 2;
    }
    let db = &ctx.srv.dbs[ctx.client.db];
    match db.keys().get_key_value(&args[2][..]) {
        Some((k, o)) => {
            let n = key_memory(k, o, samples);
            ctx.out().int(n as i64)
        }
        None => ctx.out().null(),
    }
    Ok(())
}

/// The figures of the server as MEMORY STATS / DOCTOR see them, with the
/// number of normal clients and of replicas.
fn memory_stats(ctx: &mut Ctx) -> (MemoryStats, u64, u64) {
    let all = || {
        ctx.clients
            .values()
            .map(|c| &**c)
            .chain(std::iter::once(&*ctx.client))
    };
    let buffers = buffer_memory(all(), ctx.srv);
    let replicas = all().filter(|c| c.kind == ClientKind::Replica).count() as u64;
    let clients = all().count() as u64 - replicas;
    let probe = ctx.srv.host.probe.as_deref();
    let s = MemoryStats::of(&ctx.srv.dbs, buffers, ctx.srv.mem_peak.bytes, probe);
    (s, clients, replicas)
}

/// MEMORY STATS: 7.0's fields, from the same figures as INFO memory.
fn stats(ctx: &mut Ctx) {
    let (s, _, _) = memory_stats(ctx);
    let used = s.used.used;
    let net = used.saturating_sub(STARTUP_MEMORY).max(1);
    let a = s.alloc;
    let out = ctx.out();
    out.map(27 + s.dbs.len());
    let int = |out: &mut crate::resp::ReplyBuf, name: &str, v: i64| {
        out.bulk(name.as_bytes());
        out.int(v);
    };
    let dbl = |out: &mut crate::resp::ReplyBuf, name: &str, v: f64| {
        out.bulk(name.as_bytes());
        out.double(v as f32 as f64);
    };
    int(out, "peak.allocated", s.peak as i64);
    int(out, "total.allocated", used as i64);
    int(out, "startup.allocated", STARTUP_MEMORY as i64);
    int(out, "replication.backlog", s.buffers.backlog as i64);
    int(out, "clients.slaves", s.buffers.clients_replicas as i64);
    int(out, "clients.normal", s.buffers.clients_normal as i64);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", s.buffers.aof_buffer as i64);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 200);
    for (i, main, expires) in &s.dbs {
        out.bulk(format!("db.{i}").as_bytes());
        out.map(3);
        int(out, "overhead.hashtable.main", *main as i64);
        int(out, "overhead.hashtable.expires", *expires as i64);
        int(out, "overhead.hashtable.slot-to-keys", 0);
    }
    int(out, "overhead.total", s.used.overhead as i64);
    int(out, "keys.count", s.keys as i64);
    let per_key = net.checked_div(s.keys).unwrap_or(0);
    int(out, "keys.bytes-per-key", per_key as i64);
    int(out, "dataset.bytes", s.used.dataset as i64);
    dbl(
        out,
        "dataset.percentage",
        s.used.dataset as f64 * 100.0 / net as f64,
    );
    dbl(
        out,
        "peak.percentage",
        used as f64 * 100.0 / s.peak.max(1) as f64,
    );
    int(out, "allocator.allocated", a.allocated as i64);
    int(out, "allocator.active", a.active as i64);
    int(out, "allocator.resident", a.resident as i64);
    let ratio = |x: u64, y: u64| x as f64 / y.max(1) as f64;
    dbl(
        out,
        "allocator-fragmentation.ratio",
        ratio(a.active, a.allocated),
    );
    int(
        out,
        "allocator-fragmentation.bytes",
        a.active as i64 - a.allocated as i64,
    );
    dbl(out, "allocator-rss.ratio", ratio(a.resident, a.active));
    int(
        out,
        "allocator-rss.bytes",
        a.resident as i64 - a.active as i64,
    );
    dbl(out, "rss-overhead.ratio", ratio(a.rss, a.resident));
    int(out, "rss-overhead.bytes", a.rss as i64 - a.resident as i64);
    dbl(out, "fragmentation", ratio(a.rss, used));
    int(out, "fragmentation.bytes", a.rss as i64 - used as i64);
}

pub(super) fn memory(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = lower(&args[1]);
    match sub.as_str() {
        "usage" if args.len() >= 3 => usage(ctx, args)?,
        "stats" if args.len() == 2 => stats(ctx),
        "doctor" if args.len() == 2 => {
            let (s, clients, replicas) = memory_stats(ctx);
            let text = s.doctor(clients, replicas);
            ctx.out().verbatim(text.as_bytes());
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
        "malloc-stats" if args.len() == 2 => ctx
            .out()
            .verbatim(b"Stats not supported for the current allocator"),
        "purge" if args.len() == 2 => ctx.out().ok(),
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
        assert_eq!(
            k.cmd(1, "MEMORY USAGE k SAMPLES -1"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(k.cmd(1, "MEMORY USAGE k SAMPLES"), "-ERR syntax error\r\n");
        assert!(k
            .cmd(1, "MEMORY USAGE k SAMPLES 0 SAMPLES 3")
            .starts_with(':'));
    }

    #[test]
    fn memory_stats_fields_and_doctor() {
        let mut k = Kit::new();
        k.put_str(0, "k", "hello");
        let stats = k.cmd(1, "MEMORY STATS");
        // 27 fields and one per non-empty database, as name / value pairs.
        assert!(stats.starts_with("*56\r\n"), "{stats}");
        for f in [
            "peak.allocated",
            "db.0",
            "overhead.hashtable.main",
            "keys.count",
            "dataset.percentage",
            "fragmentation.bytes",
        ] {
            assert!(stats.contains(&format!("\r\n{f}\r\n")), "{f}");
        }
        assert!(k
            .cmd(1, "MEMORY DOCTOR")
            .contains("this instance is empty or is using very little memory"));
    }
}
