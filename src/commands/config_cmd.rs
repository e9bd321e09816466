//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP: the command over the
//! server's configuration store (`server::config`).

use super::container::{help, subcommand, text, unknown_sub};
use super::{err, glob_match, CmdResult, Ctx, Error};
use crate::node::{Event, LogLevel};
use crate::server::config::Key;

use bytes::Bytes;

/// `new` (a directory) resolved against `cwd` when `cwd` is absolute, with
/// `.` and `..` taken out as chdir + getcwd would.
fn absolute_dir(cwd: &str, new: &str) -> String {
    if new.starts_with('/') || !cwd.starts_with('/') || new.is_empty() {
        return new.to_string();
    }
    let mut parts: Vec<&str> = cwd.split('/').filter(|p| !p.is_empty()).collect();
    for p in new.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// 7.0's DENY_LOADING_CONFIG directives: CONFIG SET refuses them while a
/// dataset loads.
const DENY_LOADING: [&str; 3] = ["appendonly", "repl-diskless-load", "dir"];

fn has_glob(p: &[u8]) -> bool {
    p.iter().any(|&b| b == b'*' || b == b'?' || b == b'[')
}

pub(super) fn config_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "config")?;
    match sub.as_str() {
        "get" => {
            let mut pairs: Vec<(String, String)> = Vec::new();
            let push = |pairs: &mut Vec<(String, String)>, k: String, v: &str| {
                if !pairs.iter().any(|(n, _)| *n == k) {
                    pairs.push((k, v.to_string()));
                }
            };
            for pat in &args[2..] {
                if !has_glob(pat) {
                    let name = text(pat);
                    if let Some(v) = ctx.srv.config.get_by_name(&name) {
                        let v = v.to_string();
                        push(&mut pairs, name, &v);
                    }
                    continue;
                }
                for (d, v) in ctx.srv.config.iter() {
                    if d.hidden {
                        continue;
                    }
                    if glob_match(pat, d.name.as_bytes(), true) {
                        push(&mut pairs, d.name.to_string(), v);
                    }
                    if let Some(a) = d.alias {
                        if glob_match(pat, a.as_bytes(), true) {
                            push(&mut pairs, a.to_string(), v);
                        }
                    }
                }
            }
            let out = ctx.out();
            out.map(pairs.len());
            for (k, v) in pairs {
                out.bulk(k.as_bytes());
                out.bulk(v.as_bytes());
            }
            Ok(())
        }
        "set" => {
            if !args.len().is_multiple_of(2) {
                return Err(err::SYNTAX.into());
            }
            let pairs: Vec<(String, String)> = args[2..]
                .chunks(2)
                .map(|c| (text(&c[0]), text(&c[1])))
                .collect();
            // DENY_LOADING_CONFIG: the loading error comes first.
            if ctx.srv.loading
                && pairs
                    .iter()
                    .any(|(name, _)| DENY_LOADING.iter().any(|d| d.eq_ignore_ascii_case(name)))
            {
                return Err(Error::from(
                    "LOADING Redis is loading the dataset in memory",
                ));
            }
            // A relative `dir` is relative to the current one, which
            // CONFIG GET shows absolute (getcwd) when the host made it so.
            let cwd = ctx.srv.config.get(Key::DIR).to_string();
            let pairs: Vec<(String, String)> = pairs
                .into_iter()
                .map(|(k, v)| {
                    if k.eq_ignore_ascii_case("dir") {
                        let v = absolute_dir(&cwd, &v);
                        (k, v)
                    } else {
                        (k, v)
                    }
                })
                .collect();
            let aof_was_on = ctx
                .srv
                .config
                .get_bool(crate::server::config::Key::APPENDONLY);
            let local = crate::server::is_loopback(&ctx.client.addr.host);
            let listening = listen_address(ctx);
            let backup: Vec<(String, String)> = pairs
                .iter()
                .filter_map(|(k, _)| {
                    let v = ctx.srv.config.get_by_name(k)?.to_string();
                    Some((k.clone(), v))
                })
                .collect();
            ctx.srv
                .config
                .set_many_from(&pairs, local)
                .map_err(Error::from)?;
            if let Err(e) = apply_listen_address(ctx, &listening, &pairs) {
                // restoreBackupConfig: every directive of the call goes back.
                let _ = ctx.srv.config.set_many(&backup);
                return Err(Error::from(e));
            }
            let oom = pairs
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase())
                .find(|k| k == "oom-score-adj" || k == "oom-score-adj-values");
            if let Some(arg) = oom {
                // updateOOMScoreAdj.
                if let Err(e) = ctx.srv.apply_oom_score() {
                    ctx.srv.log(LogLevel::Warning, e);
                    let _ = ctx.srv.config.set_many(&backup);
                    let _ = ctx.srv.apply_oom_score();
                    return Err(format!("ERR CONFIG SET failed (possibly related to argument '{arg}') - Failed to set current oom_score_adj. Check server logs.").into());
                }
            }
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("watchdog-period"))
            {
                ctx.srv.apply_watchdog_period();
            }
            let aof_on = ctx
                .srv
                .config
                .get_bool(crate::server::config::Key::APPENDONLY);
            if aof_on != aof_was_on {
                // updateAppendonly: turning the AOF on writes a base first.
                if aof_on {
                    if let Err(e) = ctx.srv.aof_start(ctx.client.in_exec) {
                        let no = [("appendonly".to_string(), "no".to_string())];
                        let _ = ctx.srv.config.set_many(&no);
                        return Err(Error::from(e));
                    }
                } else {
                    ctx.srv.aof_stop();
                }
            }
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("aof-disable-auto-gc"))
            {
                // updateAofAutoGCEnabled: turning the GC back on collects now.
                ctx.srv.aof_del_history_files();
            }
            if pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case("dir")) {
                let dir = ctx
                    .srv
                    .config
                    .get(crate::server::config::Key::DIR)
                    .to_string();
                ctx.srv.emit(Event::ChangeDir { dir });
            }
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("repl-backlog-size"))
            {
                // resizeReplicationBacklog: the live backlog is trimmed too.
                let size = ctx.srv.config.get_i64(Key::REPL_BACKLOG_SIZE).max(0) as usize;
                let keep = ctx.srv.backlog_keep_from();
                if let Some(b) = ctx.srv.repl.backlog.as_mut() {
                    b.resize(size, keep);
                }
            }
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("proc-title-template"))
            {
                // updateProcTitleTemplate.
                ctx.srv.refresh_proc_title();
            }
            ctx.srv.encoding_limits = ctx.srv.config.encoding_limits();
            ctx.srv.refresh_notify_flags();
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("maxmemory"))
            {
                warn_if_over_maxmemory(ctx);
            }
            ctx.out().ok();
            Ok(())
        }
        "resetstat" => {
            // resetServerStats: the counters, commandstats, errorstats and
            // latency histograms (not the slow log).
            ctx.srv.stats = Default::default();
            ctx.srv.calls = Default::default();
            let now = ctx.now;
            ctx.srv.instantaneous.reset(now);
            ctx.srv.eviction.reset_stats(now);
            ctx.srv.lazyfree.freed = 0;
            ctx.srv.mem_peak = Default::default();
            let r = &mut ctx.srv.repl;
            (r.sync_full, r.sync_partial_ok, r.sync_partial_err) = (0, 0, 0);
            ctx.out().ok();
            Ok(())
        }
        "rewrite" => {
            if let Err(e) = rewrite(ctx, false)? {
                ctx.srv
                    .log(LogLevel::Warning, format!("CONFIG REWRITE failed: {e}"));
                return Err(format!("ERR Rewriting config file: {e}").into());
            }
            ctx.srv
                .log(LogLevel::Warning, "CONFIG REWRITE executed with success.");
            ctx.out().ok();
            Ok(())
        }
        "help" => {
            help(
                ctx.out(),
                "CONFIG",
                &[
                    "GET <pattern>",
                    "    Return parameters matching the glob-like <pattern> and their values.",
                    "SET <directive> <value>",
                    "    Set the configuration <directive> to <value>.",
                    "RESETSTAT",
                    "    Reset statistics reported by the INFO command.",
                    "REWRITE",
                    "    Rewrite the configuration file.",
                ],
            );
            Ok(())
        }
        _ => Err(unknown_sub(&args[1], "config")),
    }
}

/// updateMaxmemory: a limit under what is used now is warned about (the
/// eviction it calls for starts at the next command or tick).
/// The `bind` and `port` the server listens on now.
fn listen_address(ctx: &Ctx) -> (String, String) {
    let c = &ctx.srv.config;
    (c.get(Key::BIND).to_string(), c.get(Key::PORT).to_string())
}

/// updatePort / updateBind: the host listens on the new address, or the
/// CONFIG SET fails with 7.0's error for the directive that changed it.
fn apply_listen_address(
    ctx: &mut Ctx,
    before: &(String, String),
    pairs: &[(String, String)],
) -> Result<(), String> {
    let now = listen_address(ctx);
    if now == *before {
        return Ok(());
    }
    let Some(probe) = ctx.srv.host.probe.as_deref() else {
        return Ok(());
    };
    let port = ctx.srv.config.get_i64(Key::PORT).clamp(0, 65535) as u16;
    if let Err(e) = probe.listen(&now.0, port) {
        let port_changed = now.1 != before.1;
        // The argument named is the first of the call that changed it.
        let arg = pairs
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .find(|k| {
                if port_changed {
                    k == "port"
                } else {
                    k == "bind"
                }
            })
            .unwrap_or_default();
        let why = if port_changed {
            "Unable to listen on this port. Check server logs."
        } else {
            "Failed to bind to specified addresses."
        };
        ctx.srv.log(
            LogLevel::Warning,
            format!("Warning: Could not create server TCP listening socket {e}"),
        );
        return Err(format!(
            "ERR CONFIG SET failed (possibly related to argument '{arg}') - {why}"
        ));
    }
    Ok(())
}

fn warn_if_over_maxmemory(ctx: &mut Ctx) {
    use crate::server::memory;
    let max = ctx.srv.config.maxmemory();
    if max == 0 {
        return;
    }
    for db in &mut ctx.srv.dbs {
        db.settle_charges();
    }
    let all = ctx
        .clients
        .values()
        .map(|c| &**c)
        .chain(std::iter::once(&*ctx.client));
    let buffers = memory::buffer_memory(all, ctx.srv);
    let used = memory::used_memory(&ctx.srv.dbs, &buffers).used;
    if max < used {
        ctx.srv.log(
            crate::node::LogLevel::Warning,
            format!("WARNING: the new maxmemory value set via CONFIG SET ({max}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."),
        );
    }
}

/// Write the config file anew (CONFIG REWRITE; `force_all` for DEBUG
/// CONFIG-REWRITE-FORCE-ALL, which also writes every default): the host
/// writes it at once when it can (the outer error: no config file; the
/// inner one: the system's reason the write failed), else after the step.
pub(super) fn rewrite(ctx: &mut Ctx, force_all: bool) -> Result<Result<(), String>, Error> {
    let users = ctx.srv.config.get(Key::ACLFILE).is_empty().then(|| {
        let acl = &ctx.srv.acl;
        acl.users
            .values()
            .map(|u| format!("user {} {}", u.name, u.describe(&acl.index)))
            .collect()
    });
    let files = ctx.srv.host.files.as_ref();
    let current = match (&ctx.srv.config.config_file, files) {
        (Some(path), Some(files)) => files
            .read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    };
    let Some((path, text)) = ctx.srv.config.rewrite(current, users, force_all) else {
        return Err("ERR The server is running without a config file".into());
    };
    // The next rewrite starts from this text when the host cannot read files.
    ctx.srv.config.config_text = Some(text.clone());
    match ctx.srv.host.files.as_ref() {
        Some(files) => Ok(files.write(&path, text.as_bytes())),
        None => {
            ctx.srv.emit(Event::ConfigRewrite { path, text });
            Ok(Ok(()))
        }
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use crate::commands::testkit::Kit;
    use crate::node::Event;
    use crate::server::Config;

    #[test]
    fn config_commands() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "CONFIG GET hz"), "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
        assert_eq!(
            k.cmd(1, "CONFIG GET maxmemory hz"),
            "*4\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$2\r\nhz\r\n$2\r\n10\r\n"
        );
        assert_eq!(k.cmd(1, "CONFIG SET hz 20 maxmemory 1mb"), "+OK\r\n");
        assert_eq!(k.cmd(1, "CONFIG GET hz"), "*2\r\n$2\r\nhz\r\n$2\r\n20\r\n");
        assert_eq!(
            k.cmd(1, "CONFIG SET foo 1"),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
        );
        assert_eq!(
            k.cmd(1, "CONFIG SET hz abc"),
            "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n"
        );
        assert_eq!(
            k.cmd(1, "CONFIG SET hz 1 maxmemory"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            k.cmd(1, "CONFIG SET hz"),
            "-ERR wrong number of arguments for 'config|set' command\r\n"
        );
        assert_eq!(
            k.cmd(1, "CONFIG GET"),
            "-ERR wrong number of arguments for 'config|get' command\r\n"
        );
        assert_eq!(
            k.cmd(1, "CONFIG foo"),
            "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"
        );
        let r = k.cmd(1, "CONFIG GET slave*");
        assert!(r.contains("slave-read-only") && r.contains("slaveof"));
        let r = k.cmd(1, "CONFIG GET *");
        assert!(r.starts_with("*384\r\n"), "{}", &r[..10]);
        assert_eq!(
            k.cmd(1, "CONFIG REWRITE"),
            "-ERR The server is running without a config file\r\n"
        );
        assert_eq!(k.cmd(1, "CONFIG RESETSTAT"), "+OK\r\n");
        assert!(k
            .cmd(1, "INFO stats")
            .contains("total_commands_processed:1\r\n"));
        assert!(k
            .cmd(1, "CONFIG HELP")
            .starts_with("*11\r\n+CONFIG <subcommand>"));
    }

    #[test]
    fn config_rewrite_event() {
        let mut cfg = Config::default();
        cfg.config_file = Some("/tmp/r.conf".into());
        cfg.config_text = Some("port 6379\n".into());
        let mut k = Kit::with_config(cfg);
        k.cmd(1, "CONFIG SET maxmemory 2mb");
        assert_eq!(k.cmd(1, "CONFIG REWRITE"), "+OK\r\n");
        let written: Vec<&String> = k
            .events
            .iter()
            .filter_map(|e| match e {
                Event::ConfigRewrite { path, text } if path == "/tmp/r.conf" => Some(text),
                _ => None,
            })
            .collect();
        assert_eq!(written, ["port 6379\n\n# Generated by CONFIG REWRITE\nmaxmemory 2mb\nsave 3600 1\nsave 300 100\nsave 60 10000\ndir \".\"\nlatency-tracking-info-percentiles 50 99 99.9\nuser default on nopass ~* &* +@all\n"]);
        assert!(k
            .cmd(1, "INFO server")
            .contains("config_file:/tmp/r.conf\r\n"));
    }
}

#[cfg(test)]
mod dir_tests {
    use super::absolute_dir;

    #[test]
    fn a_relative_dir_is_taken_from_the_current_one() {
        assert_eq!(absolute_dir("/a/b", "./c"), "/a/b/c");
        assert_eq!(absolute_dir("/a/b", "../c/"), "/a/c");
        assert_eq!(absolute_dir("/", "./redis_0"), "/redis_0");
        assert_eq!(absolute_dir("/a", "/x/y"), "/x/y");
        assert_eq!(absolute_dir(".", "./c"), "./c", "unknown: left as given");
    }
}
