//! Geo command tests through the test kit: the replies of real Redis 7.0.15
//! for the same commands (coordinates, distances, hashes, errors), what is
//! propagated and what is notified.

use crate::commands::testkit::{bulk, err, Kit, NULL, WRONGTYPE};

fn sicily() -> Kit {
    let mut t = Kit::new();
    assert_eq!(
        t.cmd(
            1,
            "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"
        ),
        ":2\r\n"
    );
    t
}

#[test]
fn geo_positions_distances_hashes() {
    let mut t = sicily();
    assert_eq!(
        t.cmd(1, "GEOPOS Sicily Palermo nonex"),
        format!(
            "*2\r\n*2\r\n{}{}*-1\r\n",
            bulk("13.36138933897018433"),
            bulk("38.11555639549629859")
        )
    );
    assert_eq!(
        t.cmd(1, "GEODIST Sicily Palermo Catania"),
        bulk("166274.1516")
    );
    assert_eq!(
        t.cmd(1, "GEODIST Sicily Palermo Catania km"),
        bulk("166.2742")
    );
    assert_eq!(
        t.cmd(1, "GEODIST Sicily Palermo Catania MI"),
        bulk("103.3182")
    );
    assert_eq!(t.cmd(1, "GEODIST Sicily Palermo nonex"), NULL);
    assert_eq!(t.cmd(1, "GEODIST nokey a b"), NULL);
    assert_eq!(
        t.cmd(1, "GEODIST Sicily Palermo Catania parsec"),
        err("ERR unsupported unit provided. please use M, KM, FT, MI")
    );
    assert_eq!(t.cmd(1, "GEODIST Sicily a b km x"), err("ERR syntax error"));
    assert_eq!(
        t.cmd(1, "GEOHASH Sicily Palermo Catania nonex"),
        format!(
            "*3\r\n{}{}$-1\r\n",
            bulk("sqc8b49rny0"),
            bulk("sqdtr74hyu0")
        )
    );
    assert_eq!(t.cmd(1, "GEOHASH nokey a"), "*1\r\n$-1\r\n");
    // Any score decodes to some point.
    t.cmd(1, "ZADD Sicily -1 neg");
    assert_eq!(t.cmd(1, "GEOPOS Sicily neg").matches('$').count(), 2);
    t.cmd(1, "SET str x");
    assert_eq!(t.cmd(1, "GEOPOS str a"), WRONGTYPE);
    // RESP3: coordinates are doubles, distances stay strings.
    t.resp3(1);
    assert_eq!(
        t.cmd(1, "GEOPOS Sicily Catania nonex"),
        "*2\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n_\r\n"
    );
}

#[test]
fn geo_add_errors_and_propagation() {
    let mut t = sicily();
    assert_eq!(
        t.feed(),
        ["zadd Sicily 3479099956230698 Palermo 3479447370796909 Catania"]
    );
    assert_eq!(
        t.cmd(1, "GEOADD Sicily 200 100 x"),
        err("ERR invalid longitude,latitude pair 200.000000,100.000000")
    );
    assert_eq!(
        t.cmd(1, "GEOADD Sicily xx nx 1 2 x"),
        err("ERR syntax error")
    );
    assert_eq!(t.cmd(1, "GEOADD Sicily 1 2 x 3"), err("ERR syntax error"));
    assert_eq!(t.cmd(1, "GEOADD Sicily ch ch ch"), err("ERR syntax error"));
    assert_eq!(
        t.cmd(1, "GEOADD Sicily 1 abc x"),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        t.cmd(1, "GEOADD Sicily NX 13.361389 38.115556 Palermo"),
        ":0\r\n"
    );
    assert_eq!(
        t.cmd(1, "GEOADD Sicily CH XX 13 38 Palermo 1 1 new"),
        ":1\r\n"
    );
    assert_eq!(
        t.feed(),
        ["zadd Sicily CH XX 3479065152021743 Palermo 3377822707026402 new"]
    );
    assert_eq!(t.cmd(1, "ZCARD Sicily"), ":2\r\n");
    t.cmd(1, "SET str x");
    assert_eq!(t.cmd(1, "GEOADD str 1 1 a"), WRONGTYPE);
}

#[test]
fn geo_search_replies() {
    let mut t = sicily();
    let palermo = "*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n";
    let catania = "*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n";
    assert_eq!(
        t.cmd(
            1,
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH"
        ),
        format!("*2\r\n{catania}{palermo}")
    );
    assert_eq!(
        t.cmd(
            1,
            "GEORADIUS_RO Sicily 15 37 200 km DESC WITHHASH WITHDIST WITHCOORD"
        ),
        format!("*2\r\n{palermo}{catania}")
    );
    assert_eq!(
        t.cmd(
            1,
            "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km COUNT 1 ANY DESC"
        ),
        "*1\r\n$7\r\nPalermo\r\n"
    );
    assert_eq!(
        t.cmd(1, "GEORADIUSBYMEMBER Sicily Palermo 100 km"),
        "*1\r\n$7\r\nPalermo\r\n"
    );
    assert_eq!(
        t.cmd(1, "GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 km"),
        "*0\r\n"
    );
    assert_eq!(
        t.cmd(1, "GEOSEARCH Sicily FROMLONLAT 0 0 BYRADIUS 1 km"),
        "*0\r\n"
    );
}

#[test]
fn geo_search_errors() {
    let mut t = sicily();
    let cases = [
        ("GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km", "ERR could not decode requested zset member"),
        ("GeoSearch Sicily BYRADIUS 1 km asc asc", "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GeoSearch"),
        ("GEOSEARCH Sicily FROMMEMBER Palermo ASC WITHDIST WITHHASH", "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"),
        ("GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 2 BYRADIUS 1 km", "ERR syntax error"),
        ("GEOSEARCH Sicily FROMMEMBER Palermo BYBOX -1 1 km", "ERR height or width cannot be negative"),
        ("GEOSEARCH Sicily FROMMEMBER Palermo BYBOX x 1 km", "ERR need numeric width"),
        ("GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km STOREDIST", "ERR syntax error"),
        ("GEORADIUS Sicily 15 37 200 km WITHDIST STORE dst", "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        ("GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYRADIUS 1 km WITHCOORD", "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        ("GEORADIUS Sicily 15 37 -1 km", "ERR radius cannot be negative"),
        ("GEORADIUS Sicily 15 37 abc km", "ERR need numeric radius"),
        ("GEORADIUS Sicily 15 37 1 parsec", "ERR unsupported unit provided. please use M, KM, FT, MI"),
        ("GEORADIUS Sicily 15 37 200 km COUNT 0", "ERR COUNT must be > 0"),
        ("GEORADIUS Sicily 15 37 200 km COUNT x", "ERR value is not an integer or out of range"),
        ("GEORADIUS Sicily 15 37 200 km ANY", "ERR the ANY argument requires COUNT argument"),
        ("GEORADIUS_RO Sicily 15 37 200 km STORE dst", "ERR syntax error"),
        ("GEORADIUSBYMEMBER Sicily nope 1 km", "ERR could not decode requested zset member"),
    ];
    for (cmd, e) in cases {
        assert_eq!(t.cmd(1, cmd), err(e), "{cmd}");
    }
    // A missing source key: the options are still checked, the reply is empty.
    assert_eq!(t.cmd(1, "GEORADIUSBYMEMBER nokey m 1 km"), "*0\r\n");
    assert_eq!(
        t.cmd(1, "GEORADIUSBYMEMBER nokey m 1 km ANY"),
        err("ERR the ANY argument requires COUNT argument")
    );
    t.cmd(1, "SET str x");
    assert_eq!(
        t.cmd(1, "GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km"),
        WRONGTYPE
    );
}

#[test]
fn geo_store_notifies_and_propagates() {
    let mut t = sicily();
    t.feed();
    t.cmd(1, "CONFIG SET notify-keyspace-events KEA");
    t.cmd(2, "PSUBSCRIBE __keyevent@0__:*");
    t.take(2);
    assert_eq!(
        t.cmd(
            1,
            "GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYBOX 400 400 km STOREDIST"
        ),
        ":2\r\n"
    );
    assert_eq!(
        t.cmd(1, "ZRANGE dst 0 -1 WITHSCORES"),
        format!(
            "*4\r\n{}{}{}{}",
            bulk("Palermo"),
            bulk("0"),
            bulk("Catania"),
            bulk("166.27415156960032")
        )
    );
    assert_eq!(
        t.cmd(1, "GEORADIUS Sicily 15 37 200 km STORE dst2"),
        ":2\r\n"
    );
    assert_eq!(t.cmd(1, "ZSCORE dst2 Palermo"), bulk("3479099956230698"));
    // Nothing found: the destination goes.
    assert_eq!(t.cmd(1, "GEORADIUS Sicily 0 0 1 km STORE dst2"), ":0\r\n");
    assert_eq!(t.cmd(1, "EXISTS dst2"), ":0\r\n");
    assert_eq!(
        t.cmd(1, "GEOSEARCHSTORE dst nokey FROMMEMBER x BYRADIUS 1 km"),
        ":0\r\n"
    );
    let events = t.take(2);
    let names: Vec<&str> = events
        .split("\r\n")
        .filter(|l| l.starts_with("__keyevent") && !l.ends_with('*'))
        .map(|l| l.trim_start_matches("__keyevent@0__:"))
        .collect();
    assert_eq!(names, ["geosearchstore", "georadiusstore", "del", "del"]);
    assert_eq!(
        t.feed(),
        [
            "GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYBOX 400 400 km STOREDIST",
            "GEORADIUS Sicily 15 37 200 km STORE dst2",
            "GEORADIUS Sicily 0 0 1 km STORE dst2",
            "GEOSEARCHSTORE dst nokey FROMMEMBER x BYRADIUS 1 km",
        ]
    );
    t.cmd(1, "GEOADD Sicily 1 1 x");
    assert!(t.take(2).contains("__keyevent@0__:zadd"));
}
