//! LATENCY: the latency monitor's events (LATEST, HISTORY, RESET, GRAPH,
//! DOCTOR; state in `server::latency`) and the per-command latency
//! histograms INFO latencystats reads (HISTOGRAM).

use super::container::{help, subcommand, text, unknown_sub};
use super::{def, CmdResult, CommandDef, Ctx};
use crate::resp::ReplyBuf;
use crate::server::cmdstats::LatencyHistogram;
use crate::server::config::Key;
use crate::server::latency::Advice;
use bytes::Bytes;

const HELP: &[&str] = &[
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
];

const SUBCOMMANDS: &[&str] = &[
    "doctor",
    "graph",
    "help",
    "histogram",
    "history",
    "latest",
    "reset",
];

fn latency(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "latency")?;
    let now_s = ctx.now / 1000;
    match sub.as_str() {
        "latest" => {
            let out = &mut ctx.client.reply;
            out.array(ctx.srv.latency.events.len());
            for (event, ts) in &ctx.srv.latency.events {
                let last = ts.latest();
                out.array(4);
                out.bulk(event.as_bytes());
                out.int(last.time as i64);
                out.int(last.latency_ms as i64);
                out.int(ts.max as i64);
            }
        }
        "history" => {
            let event = text(&args[2]);
            let out = &mut ctx.client.reply;
            match ctx.srv.latency.events.get(&event) {
                None => out.array(0),
                Some(ts) => {
                    out.array(ts.samples().count());
                    for s in ts.samples() {
                        out.array(2);
                        out.int(s.time as i64);
                        out.int(s.latency_ms as i64);
                    }
                }
            }
        }
        "reset" => {
            let n = if args.len() == 2 {
                ctx.srv.latency.reset(None)
            } else {
                args[2..]
                    .iter()
                    .map(|e| ctx.srv.latency.reset(Some(e)))
                    .sum()
            };
            ctx.out().int(n as i64);
        }
        "graph" => match ctx.srv.latency.graph(&args[2], now_s) {
            Some(g) => ctx.out().verbatim(g.as_bytes()),
            None => {
                return Err(
                    format!("ERR No samples available for event '{}'", text(&args[2])).into(),
                )
            }
        },
        "doctor" => {
            let cfg = &ctx.srv.config;
            let advice = Advice {
                slowlog_log_slower_than: cfg.get_i64(Key::SLOWLOG_LOG_SLOWER_THAN),
                hz: cfg.get_i64(Key::HZ),
                appendfsync_always: cfg.get(Key::APPENDFSYNC) == "always",
            };
            let threshold = cfg.get_i64(Key::LATENCY_MONITOR_THRESHOLD);
            let report = ctx.srv.latency.doctor(threshold, now_s, &advice);
            ctx.out().verbatim(report.as_bytes());
        }
        "histogram" => histogram(ctx, &args[2..]),
        "help" => help(ctx.out(), "LATENCY", HELP),
        _ => return Err(unknown_sub(&args[1], "latency")),
    }
    Ok(())
}

/// LATENCY HISTOGRAM [command ...]: every timed command, or those named (a
/// container stands for its subcommands); unknown names are skipped.
fn histogram(ctx: &mut Ctx, names: &[Bytes]) {
    let stats = &ctx.srv.calls;
    let timed = |name: &str| stats.get(name).and_then(|s| s.latency.as_ref());
    let mut chosen: Vec<(String, &LatencyHistogram)> = Vec::new();
    if names.is_empty() {
        for (name, s) in stats.iter() {
            if let Some(h) = &s.latency {
                chosen.push((name.clone(), h));
            }
        }
    } else {
        let table = crate::server::command_table();
        for n in names {
            let lower = super::lower(n);
            let (parent, sub) = match lower.split_once('|') {
                Some((p, s)) => (p, Some(s)),
                None => (lower.as_str(), None),
            };
            let Some(cmd) = table.get(parent.as_bytes()) else {
                continue;
            };
            match sub {
                Some(s) => {
                    if let Some(name) = cmd.subcommands.iter().find(|x| **x == s) {
                        let full = format!("{}|{}", cmd.name, name);
                        if let Some(h) = timed(&full) {
                            chosen.push((full, h));
                        }
                    }
                }
                None => {
                    if let Some(h) = timed(cmd.name) {
                        chosen.push((cmd.name.to_string(), h));
                    }
                    let mut subs: Vec<&str> = cmd.subcommands.to_vec();
                    crate::coldsort::sort(&mut subs);
                    for s in subs {
                        let full = format!("{}|{}", cmd.name, s);
                        if let Some(h) = timed(&full) {
                            chosen.push((full, h));
                        }
                    }
                }
            }
        }
    }
    let out = &mut ctx.client.reply;
    out.map(chosen.len());
    for (name, h) in chosen {
        out.bulk(name.as_bytes());
        write_cdf(out, h);
    }
}

/// fillCommandCDF: `calls` and `histogram_usec` (µs level → calls up to it).
fn write_cdf(out: &mut ReplyBuf, h: &LatencyHistogram) {
    out.map(2);
    out.bulk(b"calls");
    out.int(h.total() as i64);
    out.bulk(b"histogram_usec");
    let cdf = h.cumulative_usec();
    out.map(cdf.len());
    for (usec, n) in cdf {
        out.int(usec as i64);
        out.int(n as i64);
    }
}

pub static COMMANDS: &[CommandDef] = &[CommandDef {
    subcommands: SUBCOMMANDS,
    ..def(
        "latency",
        -2,
        0,
        (0, 0, 0),
        "server",
        "2.8.13",
        "A container for latency diagnostics commands",
        latency,
    )
}];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{err, Kit};

    #[test]
    fn events_from_debug_sleep() {
        let mut k = Kit::new();
        k.srv
            .st
            .config
            .set(
                crate::server::config::Key::ENABLE_DEBUG_COMMAND,
                &["yes".into()],
            )
            .unwrap();
        assert_eq!(k.cmd(1, "LATENCY LATEST"), "*0\r\n");
        k.cmd(1, "CONFIG SET latency-monitor-threshold 200");
        k.cmd(1, "DEBUG SLEEP 0.1");
        k.tick(200);
        assert_eq!(k.take(1), "+OK\r\n");
        assert_eq!(k.cmd(1, "LATENCY LATEST"), "*0\r\n");
        k.cmd(1, "DEBUG SLEEP 0.3");
        k.tick(400);
        k.take(1);
        let t = (k.now - 400) / 1000;
        assert_eq!(
            k.cmd(1, "LATENCY LATEST"),
            format!("*1\r\n*4\r\n$7\r\ncommand\r\n:{t}\r\n:300\r\n:300\r\n")
        );
        assert_eq!(
            k.cmd(1, "LATENCY HISTORY command"),
            format!("*1\r\n*2\r\n:{t}\r\n:300\r\n")
        );
        assert_eq!(k.cmd(1, "LATENCY HISTORY blabla"), "*0\r\n");
        assert!(k
            .cmd(1, "LATENCY GRAPH command")
            .contains("command - high 300 ms"));
        assert_eq!(
            k.cmd(1, "LATENCY GRAPH blabla"),
            err("ERR No samples available for event 'blabla'")
        );
        assert!(k
            .cmd(1, "LATENCY DOCTOR")
            .contains("1. command: 1 latency spikes"));
        assert_eq!(k.cmd(1, "LATENCY RESET blabla"), ":0\r\n");
        assert_eq!(k.cmd(1, "LATENCY RESET"), ":1\r\n");
        assert_eq!(k.cmd(1, "LATENCY LATEST"), "*0\r\n");
        assert_eq!(
            k.cmd(1, "LATENCY HELP xxx"),
            err("ERR wrong number of arguments for 'latency|help' command")
        );
    }

    #[test]
    fn histograms_of_commands_and_subcommands() {
        let mut k = Kit::new();
        k.cmd(1, "CONFIG RESETSTAT");
        k.cmd(1, "SET a b");
        k.cmd(1, "SET c d");
        k.cmd(1, "CLIENT ID");
        // The simulated host times every command as 0 µs: the 1 µs level.
        let set =
            "$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*2\r\n:1\r\n:2\r\n";
        assert_eq!(
            k.cmd(1, "LATENCY HISTOGRAM blabla set"),
            format!("*2\r\n{set}")
        );
        let all = k.cmd(1, "LATENCY HISTOGRAM");
        assert!(all.starts_with("*8\r\n$9\r\nclient|id\r\n"), "{all}");
        assert!(all.contains("$16\r\nconfig|resetstat\r\n"));
        assert_eq!(
            k.cmd(1, "LATENCY HISTOGRAM client"),
            k.cmd(1, "LATENCY HISTOGRAM client|id")
        );
    }
}
