//! CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: the commands of
//! client-side caching (the state and invalidations are `server::tracking`).

use super::{eq_ignore_case, err, CmdResult, Ctx, Error};
use crate::server::tracking::TrackingOptions;
use bytes::Bytes;

/// CLIENT TRACKING (ON|OFF) [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN]
/// [OPTOUT] [NOLOOP], with 7.0's checks in 7.0's order.
pub(super) fn tracking(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut o = TrackingOptions {
        redirect: 0,
        bcast: false,
        optin: false,
        optout: false,
        noloop: false,
        prefixes: Vec::new(),
    };
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let a = &args[j];
        if eq_ignore_case(a, "redirect") && more {
            j += 1;
            if o.redirect != 0 {
                return Err("ERR A client can only redirect to a single other client".into());
            }
            let id = crate::resp::parse_i64(&args[j]).ok_or(Error::from(err::NOT_INTEGER))?;
            let exists =
                id as u64 == ctx.client.id || ctx.clients.values().any(|c| c.id == id as u64);
            if !exists || id <= 0 {
                return Err("ERR The client ID you want redirect to does not exist".into());
            }
            o.redirect = id as u64;
        } else if eq_ignore_case(a, "bcast") {
            o.bcast = true;
        } else if eq_ignore_case(a, "optin") {
            o.optin = true;
        } else if eq_ignore_case(a, "optout") {
            o.optout = true;
        } else if eq_ignore_case(a, "noloop") {
            o.noloop = true;
        } else if eq_ignore_case(a, "prefix") && more {
            j += 1;
            o.prefixes.push(args[j].clone());
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    if eq_ignore_case(&args[2], "on") {
        check_options(ctx, &o)?;
        let srv = &mut *ctx.srv;
        srv.tracking.enable(ctx.client, o);
    } else if eq_ignore_case(&args[2], "off") {
        ctx.srv.tracking.disable(ctx.client);
    } else {
        return Err(err::SYNTAX.into());
    }
    ctx.out().ok();
    Ok(())
}

fn check_options(ctx: &Ctx, o: &TrackingOptions) -> CmdResult {
    if !o.bcast && !o.prefixes.is_empty() {
        return Err("ERR PREFIX option requires BCAST mode to be enabled".into());
    }
    let current = ctx.client.tracking.as_ref();
    if current.is_some_and(|t| t.bcast != o.bcast) {
        return Err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.".into());
    }
    if o.bcast && (o.optin || o.optout) {
        return Err("ERR OPTIN and OPTOUT are not compatible with BCAST".into());
    }
    if o.optin && o.optout {
        return Err("ERR You can't specify both OPTIN mode and OPTOUT mode".into());
    }
    if current.is_some_and(|t| (o.optin && t.optout) || (o.optout && t.optin)) {
        return Err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.".into());
    }
    if o.bcast {
        // checkPrefixCollisionsOrReply: one prefix may not start another.
        let overlap = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        for (i, p) in o.prefixes.iter().enumerate() {
            if let Some(existing) = current.and_then(|t| t.prefixes.iter().find(|e| overlap(e, p)))
            {
                return Err(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    text(p),
                    text(existing)
                )
                .into());
            }
            if let Some(other) = o.prefixes[i + 1..].iter().find(|q| overlap(p, q)) {
                return Err(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    text(p),
                    text(other)
                )
                .into());
            }
        }
    }
    Ok(())
}

/// CLIENT CACHING yes|no: for the next command, in OPTIN / OPTOUT mode.
pub(super) fn caching(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let Some(t) = ctx.client.tracking.as_mut() else {
        return Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled".into());
    };
    if eq_ignore_case(&args[2], "yes") {
        if !t.optin {
            return Err(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
                    .into(),
            );
        }
    } else if eq_ignore_case(&args[2], "no") {
        if !t.optout {
            return Err(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
                    .into(),
            );
        }
    } else {
        return Err(err::SYNTAX.into());
    }
    t.caching = true;
    ctx.out().ok();
    Ok(())
}

/// signalFlushedDb's part: every tracking client is told all keys are gone.
pub fn signal_flush(ctx: &mut Ctx) {
    if ctx.srv.tracking.clients == 0 && ctx.srv.tracking.total_keys() == 0 {
        return;
    }
    let me = ctx.client.tracking.is_some().then_some(ctx.client.id);
    let others = ctx
        .clients
        .values()
        .filter(|c| c.tracking.is_some())
        .map(|c| c.id);
    let ids: Vec<u64> = others.chain(me).collect();
    ctx.srv.tracking.flushed(ids.into_iter());
}

pub(super) fn getredir(ctx: &mut Ctx) {
    let redirect = ctx
        .client
        .tracking
        .as_ref()
        .map_or(-1, |t| t.redirect as i64);
    ctx.out().int(redirect);
}

pub(super) fn trackinginfo(ctx: &mut Ctx) {
    let t = ctx.client.tracking.clone();
    let mut flags = vec![if t.is_some() { "on" } else { "off" }];
    if let Some(t) = &t {
        if t.bcast {
            flags.push("bcast");
        }
        if t.optin {
            flags.push("optin");
            if t.caching {
                flags.push("caching-yes");
            }
        }
        if t.optout {
            flags.push("optout");
            if t.caching {
                flags.push("caching-no");
            }
        }
        if t.noloop {
            flags.push("noloop");
        }
        if t.broken_redirect {
            flags.push("broken_redirect");
        }
    }
    let out = ctx.out();
    out.map(3);
    out.bulk(b"flags");
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"redirect");
    out.int(t.as_ref().map_or(-1, |t| t.redirect as i64));
    out.bulk(b"prefixes");
    let prefixes = t.map(|t| t.prefixes).unwrap_or_default();
    out.array(prefixes.len());
    for p in prefixes {
        out.bulk(&p);
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{err, Kit, OK};

    #[test]
    fn resp3_invalidation_after_the_reply() {
        let mut k = Kit::new();
        k.cmd(1, "HELLO 3");
        assert_eq!(k.cmd(1, "CLIENT TRACKING on"), OK);
        k.cmd(1, "HSET h f 1");
        k.cmd(1, "HGET h f");
        assert_eq!(
            k.cmd(1, "HDEL h f"),
            ":1\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nh\r\n"
        );
        // Once: the key is forgotten until read again.
        k.cmd(1, "HSET h f 1");
        assert_eq!(k.cmd(1, "HSET h g 1"), ":1\r\n");
        // A flush invalidates everything.
        k.cmd(1, "GET x");
        assert_eq!(k.cmd(2, "FLUSHALL"), OK);
        assert_eq!(k.take(1), ">2\r\n$10\r\ninvalidate\r\n_\r\n");
    }

    #[test]
    fn resp2_redirect_to_a_subscriber_and_broken_redirect() {
        let mut k = Kit::new();
        k.cmd(2, "SUBSCRIBE __redis__:invalidate");
        let redir = k.srv.clients[&crate::node::ConnId(2)].id;
        assert_eq!(
            k.cmd(1, &format!("CLIENT TRACKING on REDIRECT {redir}")),
            OK
        );
        k.cmd(1, "SET a 1");
        k.cmd(1, "GET a");
        k.cmd(1, "INCR a");
        assert_eq!(
            k.take(2),
            "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\na\r\n"
        );
        assert_eq!(k.cmd(1, "CLIENT GETREDIR"), format!(":{redir}\r\n"));
        assert_eq!(
            k.cmd(1, "CLIENT TRACKING on REDIRECT 999"),
            err("ERR The client ID you want redirect to does not exist")
        );
        k.close(2);
        k.cmd(1, "HELLO 3");
        k.cmd(1, "GET a");
        k.cmd(3, "SET a 2");
        assert_eq!(
            k.take(1),
            format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{redir}\r\n")
        );
        assert!(k.cmd(1, "CLIENT TRACKINGINFO").contains("broken_redirect"));
    }

    #[test]
    fn bcast_prefixes_noloop_and_option_errors() {
        let mut k = Kit::new();
        k.cmd(1, "HELLO 3");
        assert_eq!(
            k.cmd(1, "CLIENT TRACKING on BCAST PREFIX a: PREFIX b: NOLOOP"),
            OK
        );
        k.cmd(2, "MSET a:1 1 b:1 1 c:1 1");
        k.tick(1);
        let got = k.take(1);
        assert!(
            got.contains("a:1") && got.contains("b:1") && !got.contains("c:1"),
            "{got}"
        );
        // Its own changes are not reported.
        k.cmd(1, "SET a:2 1");
        k.tick(1);
        assert_eq!(k.take(1), "");
        assert_eq!(
            k.cmd(1, "CLIENT TRACKING on BCAST PREFIX a"),
            err("ERR Prefix 'a' overlaps with an existing prefix 'a:'. Prefixes for a single client must not overlap.")
        );
        assert_eq!(
            k.cmd(3, "CLIENT TRACKING on BCAST PREFIX FOOBAR PREFIX FOO"),
            err("ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a single client must not overlap.")
        );
        assert_eq!(
            k.cmd(3, "CLIENT TRACKING on PREFIX x"),
            err("ERR PREFIX option requires BCAST mode to be enabled")
        );
        assert_eq!(
            k.cmd(3, "CLIENT TRACKING on BCAST OPTIN"),
            err("ERR OPTIN and OPTOUT are not compatible with BCAST")
        );
        assert_eq!(
            k.cmd(3, "CLIENT CACHING yes"),
            err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
        );
        let info = k.cmd(1, "CLIENT TRACKINGINFO");
        assert!(info.contains("bcast") && info.contains("noloop"), "{info}");
        assert!(k.cmd(1, "INFO").contains("tracking_total_prefixes:2\r\n"));
    }

    #[test]
    fn optin_tracks_only_after_caching_yes() {
        let mut k = Kit::new();
        k.cmd(1, "HELLO 3");
        k.cmd(1, "CLIENT TRACKING on OPTIN");
        k.cmd(1, "GET a");
        k.cmd(2, "SET a 1");
        assert_eq!(k.take(1), "");
        k.cmd(1, "CLIENT CACHING yes");
        k.cmd(1, "GET a");
        k.cmd(1, "GET b");
        k.cmd(2, "MSET a 2 b 2");
        assert_eq!(k.take(1), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n");
    }
}
