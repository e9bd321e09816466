//! Geo commands: positions kept as the 52-bit geohash scores of a sorted set
//! (see [`super::geohash`]). GEOADD is a ZADD of encoded positions (and is
//! propagated as that ZADD); GEOPOS, GEOHASH and GEODIST decode scores; the
//! searches (GEOSEARCH[STORE], GEORADIUS[BYMEMBER][_RO]) scan the nine
//! boxes around the centre, keep the members inside the area, and sort and
//! cut the result as 7.0 does, partial sort included.

use super::geohash::{self, Extent, Shape};
use super::zsets::{score_arg, zadd_scored, NX, XX};
use super::{def, eq_ignore_case, err, flags::*, CmdResult, CommandDef, Ctx, Error, Propagate};
use crate::keyspace::{Object, Value, ZSet};
use crate::resp::ReplyBuf;
use crate::server::notify::class as N;
use bytes::Bytes;
use std::cmp::Ordering;

const BAD_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";
const BAD_MEMBER: &str = "ERR could not decode requested zset member";

fn as_zset(o: &Object) -> Result<&ZSet, Error> {
    crate::typed!(o, Value::ZSet)
}

/// A longitude and a latitude argument, within the indexable area.
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<[f64; 2], Error> {
    let lon = score_arg(lon, err::NOT_FLOAT)?;
    let lat = score_arg(lat, err::NOT_FLOAT)?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        return Err(format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}").into());
    }
    Ok([lon, lat])
}

/// Meters in one unit of M, KM, FT or MI.
fn unit(b: &[u8]) -> Result<f64, Error> {
    [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)]
        .iter()
        .find(|(name, _)| eq_ignore_case(b, name))
        .map(|&(_, meters)| meters)
        .ok_or(BAD_UNIT.into())
}

/// `<radius> <unit>`: the radius and the unit's size in meters.
fn radius_arg(args: &[Bytes]) -> Result<(f64, f64), Error> {
    let radius = score_arg(&args[0], "ERR need numeric radius")?;
    if radius < 0.0 {
        return Err("ERR radius cannot be negative".into());
    }
    Ok((radius, unit(&args[1])?))
}

/// `<width> <height> <unit>`.
fn box_arg(args: &[Bytes]) -> Result<(f64, f64, f64), Error> {
    let width = score_arg(&args[0], "ERR need numeric width")?;
    let height = score_arg(&args[1], "ERR need numeric height")?;
    if height < 0.0 || width < 0.0 {
        return Err("ERR height or width cannot be negative".into());
    }
    Ok((width, height, unit(&args[2])?))
}

/// A coordinate as Redis replies one (`%.17Lf` of the long double, trailing
/// zeros cut): a bulk string in RESP2, a double in RESP3.
fn reply_coordinate(out: &mut ReplyBuf, d: f64) {
    let s = human_double(d);
    if out.is_resp3() {
        out.raw(format!(",{s}\r\n").as_bytes());
    } else {
        out.bulk(s.as_bytes());
    }
}

fn human_double(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = format!("{d:.17}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// A distance with four decimals (rounded half to even, as `llrint`).
fn format_distance(d: f64) -> String {
    let v = geohash::c_double_to_i64((d * 10000.0).round_ties_even());
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:04}", a / 10000, a % 10000)
}

// GEOADD key [NX|XX] [CH] longitude latitude member [...]
fn geoadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut first = 2;
    while first < args.len() {
        let a = &args[first];
        if eq_ignore_case(a, "nx") {
            nx = true;
        } else if eq_ignore_case(a, "xx") {
            xx = true;
        } else if eq_ignore_case(a, "ch") {
            ch = true;
        } else {
            break;
        }
        first += 1;
    }
    let triples = &args[first..];
    if triples.is_empty() || !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(err::SYNTAX.into());
    }
    // The encoded positions, handed to ZADD's work as numbers: the text
    // form only for what is propagated.
    let mut items = Vec::with_capacity(triples.len() / 3);
    for t in triples.chunks(3) {
        let [lon, lat] = lon_lat(&t[0], &t[1])?;
        // 52 bits: exact as a double.
        items.push((geohash::score_of(lon, lat).unwrap_or(0) as f64, &t[2]));
    }
    let flags = if nx { NX } else { 0 } | if xx { XX } else { 0 };
    let dirty_before = ctx.srv.dirty;
    zadd_scored(ctx, &args[1], flags, ch, &items)?;
    // Replicas and the AOF get the ZADD it stands for.
    if ctx.srv.dirty != dirty_before && ctx.srv.propagation_wanted() {
        let mut zadd: Vec<Bytes> = Vec::with_capacity(first + items.len() * 2);
        zadd.push(Bytes::from_static(b"zadd"));
        zadd.extend_from_slice(&args[1..first]);
        for &(score, member) in &items {
            zadd.push(Bytes::copy_from_slice(
                itoa::Buffer::new().format(score as u64).as_bytes(),
            ));
            zadd.push(member.clone());
        }
        ctx.propagate = Propagate::Replace(vec![zadd]);
    }
    Ok(())
}

fn geopos(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let z = db.get(&args[1], now).map(as_zset).transpose()?;
    out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(score) => {
                let [lon, lat] = geohash::decode_score(score);
                out.array(2);
                reply_coordinate(out, lon);
                reply_coordinate(out, lat);
            }
            None => out.null_array(),
        }
    }
    Ok(())
}

fn geohash_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let z = db.get(&args[1], now).map(as_zset).transpose()?;
    out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)).and_then(geohash::geohash_string) {
            Some(s) => out.bulk(&s),
            None => out.null(),
        }
    }
    Ok(())
}

// GEODIST key member1 member2 [unit]
fn geodist(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let to_meters = match args.len() {
        4 => 1.0,
        5 => unit(&args[4])?,
        _ => return Err(err::SYNTAX.into()),
    };
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(z) = db.get(&args[1], now).map(as_zset).transpose()? else {
        out.null();
        return Ok(());
    };
    match (z.score(&args[2]), z.score(&args[3])) {
        (Some(a), Some(b)) => {
            let [lon1, lat1] = geohash::decode_score(a);
            let [lon2, lat2] = geohash::decode_score(b);
            let d = geohash::distance(lon1, lat1, lon2, lat2) / to_meters;
            out.bulk(format_distance(d).as_bytes());
        }
        _ => out.null(),
    }
    Ok(())
}

/// Which search command runs: where its arguments are and what it accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS[_RO]: centre and radius as fixed arguments.
    Radius { store: bool },
    /// GEORADIUSBYMEMBER[_RO].
    RadiusByMember { store: bool },
    /// GEOSEARCH / GEOSEARCHSTORE: everything as options.
    Search { store: bool },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A search's options once parsed.
struct Request {
    /// None when the source key is missing (no member to centre on).
    shape: Option<Shape>,
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    sort: Sort,
    count: usize,
    any: bool,
    store: Option<Bytes>,
    storedist: bool,
}

/// A member found inside the area.
struct Found<M> {
    member: M,
    score: f64,
    dist: f64,
    xy: [f64; 2],
}

impl Found<&[u8]> {
    /// Its own copy of the member, once the scan and the sort are over: a
    /// search may look at every member of the set but replies a few.
    fn owned(self) -> Found<Bytes> {
        Found {
            member: Bytes::copy_from_slice(self.member),
            score: self.score,
            dist: self.dist,
            xy: self.xy,
        }
    }
}

/// The centre of a search on a member: its decoded position.
fn member_center(z: &ZSet, member: &[u8]) -> Result<[f64; 2], Error> {
    z.score(member)
        .map(geohash::decode_score)
        .ok_or(BAD_MEMBER.into())
}

/// Parse a search's arguments in 7.0's order (errors come out in the order
/// the arguments are met); `z` is the source set, if the key exists.
fn parse_request(args: &[Bytes], kind: Form, z: Option<&ZSet>) -> Result<Request, Error> {
    let mut center = None;
    let mut extent = None;
    let mut conversion = 1.0;
    let mut store = None;
    let base = match kind {
        Form::Radius { .. } => {
            center = Some(lon_lat(&args[2], &args[3])?);
            let (r, c) = radius_arg(&args[4..6])?;
            (extent, conversion) = (Some(Extent::Radius(r)), c);
            6
        }
        Form::RadiusByMember { .. } => {
            if let Some(z) = z {
                center = Some(member_center(z, &args[2])?);
                let (r, c) = radius_arg(&args[3..5])?;
                (extent, conversion) = (Some(Extent::Radius(r)), c);
            }
            5
        }
        Form::Search { store: true } => {
            store = Some(args[1].clone());
            3
        }
        Form::Search { store: false } => 2,
    };
    let is_search = matches!(kind, Form::Search { .. });
    let legacy_store = matches!(
        kind,
        Form::Radius { store: true } | Form::RadiusByMember { store: true }
    );
    let mut req = Request {
        shape: None,
        withdist: false,
        withhash: false,
        withcoord: false,
        sort: Sort::None,
        count: 0,
        any: false,
        store,
        storedist: false,
    };
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let opts = &args[base..];
    let mut i = 0;
    while i < opts.len() {
        let a = &opts[i];
        let left = opts.len() - i - 1;
        if eq_ignore_case(a, "withdist") {
            req.withdist = true;
        } else if eq_ignore_case(a, "withhash") {
            req.withhash = true;
        } else if eq_ignore_case(a, "withcoord") {
            req.withcoord = true;
        } else if eq_ignore_case(a, "any") {
            req.any = true;
        } else if eq_ignore_case(a, "asc") {
            req.sort = Sort::Asc;
        } else if eq_ignore_case(a, "desc") {
            req.sort = Sort::Desc;
        } else if eq_ignore_case(a, "count") && left >= 1 {
            let n = super::arg_i64(&opts[i + 1])?;
            if n <= 0 {
                return Err("ERR COUNT must be > 0".into());
            }
            req.count = usize::try_from(n).unwrap_or(usize::MAX);
            i += 1;
        } else if (eq_ignore_case(a, "store") || eq_ignore_case(a, "storedist"))
            && left >= 1
            && legacy_store
        {
            req.store = Some(opts[i + 1].clone());
            req.storedist = eq_ignore_case(a, "storedist");
            i += 1;
        } else if eq_ignore_case(a, "storedist") && kind == (Form::Search { store: true }) {
            req.storedist = true;
        } else if eq_ignore_case(a, "frommember") && left >= 1 && is_search && !fromloc {
            if let Some(z) = z {
                center = Some(member_center(z, &opts[i + 1])?);
            }
            frommember = true;
            i += 1;
        } else if eq_ignore_case(a, "fromlonlat") && left >= 2 && is_search && !frommember {
            center = Some(lon_lat(&opts[i + 1], &opts[i + 2])?);
            fromloc = true;
            i += 2;
        } else if eq_ignore_case(a, "byradius") && left >= 2 && is_search && !bybox {
            let (r, c) = radius_arg(&opts[i + 1..i + 3])?;
            (extent, conversion) = (Some(Extent::Radius(r)), c);
            byradius = true;
            i += 2;
        } else if eq_ignore_case(a, "bybox") && left >= 3 && is_search && !byradius {
            let (width, height, c) = box_arg(&opts[i + 1..i + 4])?;
            (extent, conversion) = (Some(Extent::Box { width, height }), c);
            bybox = true;
            i += 3;
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 1;
    }
    if req.store.is_some() && (req.withdist || req.withhash || req.withcoord) {
        let what = if kind == (Form::Search { store: true }) {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )
        .into());
    }
    let name = || String::from_utf8_lossy(&args[0]).into_owned();
    if is_search && !(frommember || fromloc) {
        return Err(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            name()
        )
        .into());
    }
    if is_search && !(byradius || bybox) {
        return Err(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {}",
            name()
        )
        .into());
    }
    if req.any && req.count == 0 {
        return Err("ERR the ANY argument requires COUNT argument".into());
    }
    if let (Some(center), Some(extent)) = (center, extent) {
        req.shape = Some(Shape {
            center,
            extent,
            conversion,
        });
    }
    Ok(req)
}

/// The members inside `shape`, box after box in the order the boxes are
/// scanned, each box in score order; with a `limit`, the scan stops as soon
/// as that many are found.
fn members_in_shape<'a>(z: &'a ZSet, shape: &Shape, limit: usize) -> Vec<Found<&'a [u8]>> {
    let mut found = Vec::new();
    let boxes = shape.search_boxes();
    let full = |found: &Vec<Found<_>>| limit > 0 && found.len() >= limit;
    let mut last_processed = 0;
    for (i, b) in boxes.iter().enumerate() {
        if b.is_zero() {
            continue;
        }
        // With a huge radius neighbours can be the same box: scanned once.
        // (As in Redis, the centre box, index 0, is never compared.)
        if last_processed != 0 && *b == boxes[last_processed] {
            continue;
        }
        if full(&found) {
            break;
        }
        let (min, max) = geohash::score_range(*b);
        for (member, score) in z.range_by_score(min as f64, false, max as f64, true) {
            let xy = geohash::decode_score(score);
            if let Some(dist) = shape.contains(xy) {
                found.push(Found {
                    member,
                    score,
                    dist,
                    xy,
                });
            }
            if full(&found) {
                break;
            }
        }
        last_processed = i;
    }
    found
}

fn by_distance<M>(a: &Found<M>, b: &Found<M>) -> Ordering {
    a.dist.partial_cmp(&b.dist).unwrap_or(Ordering::Equal)
}

/// Redis's `pqsort` (Bentley & McIlroy's quicksort that only recurses into
/// partitions overlapping `lrange..=rrange`): the order it leaves equal
/// elements in is part of what a COUNT search replies.
fn pqsort<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering, lrange: usize, rrange: usize) {
    let n = v.len();
    pqsort_part(v, 0, n, cmp, lrange, rrange);
}

fn pqsort_part<T>(
    v: &mut [T],
    mut base: usize,
    mut n: usize,
    cmp: &dyn Fn(&T, &T) -> Ordering,
    lrange: usize,
    rrange: usize,
) {
    let c = |v: &[T], i: usize, j: usize| cmp(&v[i], &v[j]);
    let med3 = |v: &[T], a: usize, b: usize, d: usize| {
        if c(v, a, b).is_lt() {
            if c(v, b, d).is_lt() {
                b
            } else if c(v, a, d).is_lt() {
                d
            } else {
                a
            }
        } else if c(v, b, d).is_gt() {
            b
        } else if c(v, a, d).is_lt() {
            a
        } else {
            d
        }
    };
    let vecswap = |v: &mut [T], a: usize, b: usize, k: usize| {
        for i in 0..k {
            v.swap(a + i, b + i);
        }
    };
    // Whether the partition [start, start + len) holds any wanted position.
    let wanted = |start: usize, len: usize| {
        let end = start + len;
        !((lrange < start && rrange < start) || (lrange >= end && rrange >= end))
    };
    loop {
        if n < 7 {
            for pm in base + 1..base + n {
                let mut pl = pm;
                while pl > base && c(v, pl - 1, pl).is_gt() {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = base + n / 2;
        if n > 7 {
            let mut pl = base;
            let mut pn = base + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d);
                pm = med3(v, pm - d, pm, pm + d);
                pn = med3(v, pn - 2 * d, pn - d, pn);
            }
            pm = med3(v, pl, pm, pn);
        }
        v.swap(base, pm);
        let (mut pa, mut pb) = (base + 1, base + 1);
        let (mut pc, mut pd) = (base + n - 1, base + n - 1);
        loop {
            while pb <= pc {
                let r = c(v, pb, base);
                if r.is_gt() {
                    break;
                }
                if r.is_eq() {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = c(v, pc, base);
                if r.is_lt() {
                    break;
                }
                if r.is_eq() {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = base + n;
        let r = (pa - base).min(pb - pa);
        vecswap(v, base, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && wanted(base, r) {
            pqsort_part(v, base, r, cmp, lrange, rrange);
        }
        let r = pd - pc;
        if r > 1 && wanted(pn - r, r) {
            base = pn - r;
            n = r;
            continue;
        }
        return;
    }
}

/// GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and
/// GEOSEARCHSTORE: one search with the command's way of taking arguments.
fn search_generic(ctx: &mut Ctx, args: &[Bytes], kind: Form) -> CmdResult {
    let src = if kind == (Form::Search { store: true }) {
        &args[2]
    } else {
        &args[1]
    };
    let now = ctx.now;
    let z = ctx.db().get(src, now).map(as_zset).transpose()?;
    let mut req = parse_request(args, kind, z)?;
    let Some(z) = z else {
        // No source: an empty result (a STORE destination is deleted).
        return match req.store.take() {
            Some(dst) => {
                store_found(ctx, &dst, Vec::new(), &req, kind);
                Ok(())
            }
            None => {
                ctx.out().array(0);
                Ok(())
            }
        };
    };
    let shape = req
        .shape
        .expect("a source set gives a centre and an extent");
    // COUNT needs the nearest ones first (not so with ANY).
    if req.count != 0 && req.sort == Sort::None && !req.any {
        req.sort = Sort::Asc;
    }
    let mut found = members_in_shape(z, &shape, if req.any { req.count } else { 0 });
    let returned = if req.count == 0 {
        found.len()
    } else {
        found.len().min(req.count)
    };
    if req.sort != Sort::None && !found.is_empty() {
        let desc = req.sort == Sort::Desc;
        let cmp = |a: &Found<&[u8]>, b: &Found<&[u8]>| {
            let o = by_distance(a, b);
            if desc {
                o.reverse()
            } else {
                o
            }
        };
        if returned == found.len() {
            // glibc's qsort is a merge sort: stable.
            found.sort_by(cmp);
        } else {
            pqsort(&mut found, &cmp, 0, returned - 1);
        }
    }
    found.truncate(returned);
    let found: Vec<Found<Bytes>> = found
        .into_iter()
        .map(|f| Found {
            dist: f.dist / shape.conversion,
            ..f.owned()
        })
        .collect();
    match req.store.take() {
        Some(dst) => store_found(ctx, &dst, found, &req, kind),
        None => reply_found(ctx.out(), &found, &req),
    }
    Ok(())
}

fn reply_found(out: &mut ReplyBuf, found: &[Found<Bytes>], req: &Request) {
    let extras = usize::from(req.withdist) + usize::from(req.withhash) + usize::from(req.withcoord);
    out.array(found.len());
    for f in found {
        if extras > 0 {
            out.array(extras + 1);
        }
        out.bulk(&f.member);
        if req.withdist {
            out.bulk(format_distance(f.dist).as_bytes());
        }
        if req.withhash {
            out.int(geohash::c_double_to_i64(f.score));
        }
        if req.withcoord {
            out.array(2);
            reply_coordinate(out, f.xy[0]);
            reply_coordinate(out, f.xy[1]);
        }
    }
}

/// The STORE / STOREDIST / GEOSEARCHSTORE end: the found members (scored by
/// hash or by distance) replace `dst`, or `dst` is deleted if none.
fn store_found(ctx: &mut Ctx, dst: &Bytes, found: Vec<Found<Bytes>>, req: &Request, kind: Form) {
    let n = found.len();
    if n > 0 {
        // Built as a skiplist, then fitted to its size as 7.0 does
        // (zsetConvertToListpackIfNeeded).
        let mut z = ZSet::new_skip();
        for f in found {
            z.insert(f.member, if req.storedist { f.dist } else { f.score });
        }
        ctx.db().store_collection(dst, Value::ZSet(z));
        let limits = ctx.srv.encoding_limits;
        if let Some(o) = ctx.db().get_mut_now(dst) {
            o.refit(&limits);
        }
        let event = if matches!(kind, Form::Search { .. }) {
            "geosearchstore"
        } else {
            "georadiusstore"
        };
        ctx.notify(N::ZSET, event, dst);
        ctx.dirty(n as u64);
        ctx.touch(dst);
    } else if ctx.db().delete(dst) {
        ctx.touch(dst);
        ctx.notify(N::GENERIC, "del", dst);
        ctx.dirty(1);
    }
    ctx.out().int(n as i64);
}

#[rustfmt::skip]
pub static COMMANDS: &[CommandDef] = &[
    def("geoadd", -5, WRITE | DENYOOM, (1, 1, 1), "geo", "3.2.0", "Add one or more geospatial items in the geospatial index represented using a sorted set", geoadd),
    def("geodist", -4, READONLY, (1, 1, 1), "geo", "3.2.0", "Returns the distance between two members of a geospatial index", geodist),
    def("geohash", -2, READONLY, (1, 1, 1), "geo", "3.2.0", "Returns members of a geospatial index as standard geohash strings", geohash_cmd),
    def("geopos", -2, READONLY, (1, 1, 1), "geo", "3.2.0", "Returns longitude and latitude of members of a geospatial index", geopos),
    def("georadius", -6, WRITE | DENYOOM, (1, 1, 1), "geo", "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", |ctx, args| search_generic(ctx, args, Form::Radius { store: true })),
    def("georadius_ro", -6, READONLY, (1, 1, 1), "geo", "3.2.10", "A read-only variant for GEORADIUS", |ctx, args| search_generic(ctx, args, Form::Radius { store: false })),
    def("georadiusbymember", -5, WRITE | DENYOOM, (1, 1, 1), "geo", "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", |ctx, args| search_generic(ctx, args, Form::RadiusByMember { store: true })),
    def("georadiusbymember_ro", -5, READONLY, (1, 1, 1), "geo", "3.2.10", "A read-only variant for GEORADIUSBYMEMBER", |ctx, args| search_generic(ctx, args, Form::RadiusByMember { store: false })),
    def("geosearch", -7, READONLY, (1, 1, 1), "geo", "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", |ctx, args| search_generic(ctx, args, Form::Search { store: false })),
    def("geosearchstore", -8, WRITE | DENYOOM, (1, 2, 1), "geo", "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", |ctx, args| search_generic(ctx, args, Form::Search { store: true })),
];

#[cfg(test)]
mod tests;
