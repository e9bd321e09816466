//! Sorted set command tests: ZADD and its flags, the range forms (rank,
//! score, lex) with LIMIT and REV, *STORE, the set operations with WEIGHTS /
//! AGGREGATE, pops, ZRANDMEMBER and ZSCAN, run through the test kit.

use crate::commands::testkit::{Kit, WRONGTYPE};

fn bulks(r: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut lines = r.split("\r\n");
    while let Some(l) = lines.next() {
        if l.starts_with('$') && l != "$-1" {
            v.push(lines.next().unwrap_or("").to_string());
        } else if let Some(d) = l.strip_prefix(',') {
            v.push(d.to_string());
        }
    }
    v
}

#[test]
fn zsets_zadd() {
    let mut t = Kit::new();
    assert_eq!(t.cmd(1, "ZADD z 1 a 2 b 3 c"), ":3\r\n");
    assert_eq!(t.cmd(1, "ZADD z 1.1 a"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZSCORE z a"), "$18\r\n1.1000000000000001\r\n");
    assert_eq!(t.cmd(1, "ZADD z CH 5 a 9 d"), ":2\r\n");
    assert_eq!(t.cmd(1, "ZADD z NX 0 a 10 e"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZSCORE z a"), "$1\r\n5\r\n");
    assert_eq!(t.cmd(1, "ZADD z XX 0 a 10 f"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZSCORE z f"), "$-1\r\n");
    assert_eq!(t.cmd(1, "ZADD z GT CH 1 a"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZADD z GT CH 1 a"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZADD z GT CH 7 a"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZADD z LT CH 8 a"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZADD z XX LT CH 6 a"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZADD z INCR 2 a"), "$1\r\n8\r\n");
    assert_eq!(t.cmd(1, "ZADD z LT INCR 2 a"), "$-1\r\n");
    assert_eq!(t.cmd(1, "ZADD z XX INCR 2 nokey"), "$-1\r\n");
    assert_eq!(t.cmd(1, "ZADD nokey XX 1 a"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZADD nokey XX INCR 1 a"), "$-1\r\n");
    assert_eq!(t.srv.st.dbs[0].len(), 1);
    assert_eq!(t.cmd(1, "ZINCRBY z 1.5 a"), "$3\r\n9.5\r\n");
    assert_eq!(t.cmd(1, "ZINCRBY z 1 new"), "$1\r\n1\r\n");
    assert_eq!(t.cmd(1, "ZADD z INCR +inf a"), "$3\r\ninf\r\n");
    assert_eq!(
        t.cmd(1, "ZADD z INCR -inf a"),
        "-ERR resulting score is not a number (NaN)\r\n"
    );
    assert_eq!(
        t.cmd(1, "ZINCRBY z -inf a"),
        "-ERR resulting score is not a number (NaN)\r\n"
    );
    for (c, e) in [
        (
            "ZADD z XX NX 1 a",
            "ERR XX and NX options at the same time are not compatible",
        ),
        (
            "ZADD z NX GT 1 a",
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            "ZADD z GT LT 1 a",
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            "ZADD z INCR 1 a 2 b",
            "ERR INCR option supports a single increment-element pair",
        ),
        ("ZADD z 1 a 2", "ERR syntax error"),
        ("ZADD z NX CH", "ERR syntax error"),
        ("ZADD z x a", "ERR value is not a valid float"),
        ("ZADD z nan a", "ERR value is not a valid float"),
        ("ZADD z 1e400 a", "ERR value is not a valid float"),
        ("ZADD z 1e-400 a", "ERR value is not a valid float"),
        ("ZINCRBY z x a", "ERR value is not a valid float"),
        (
            "ZADD z 1",
            "ERR wrong number of arguments for 'zadd' command",
        ),
    ] {
        assert_eq!(t.cmd(1, c), format!("-{e}\r\n"), "{c}");
    }
    assert_eq!(
        t.argv(1, &["ZADD", "z", " 1", "a"]),
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(t.cmd(1, "ZADD z 0x10 hex"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZSCORE z hex"), "$2\r\n16\r\n");
    assert_eq!(t.cmd(1, "ZADD z -0 zero"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZSCORE z zero"), "$1\r\n0\r\n");
    t.feed();
    assert_eq!(t.cmd(1, "ZADD z NX 5 zero"), ":0\r\n");
    assert_eq!(t.feed().len(), 0);
    t.put_str(0, "str", "x");
    for c in [
        "ZADD str 1 a",
        "ZINCRBY str 1 a",
        "ZREM str a",
        "ZSCORE str a",
        "ZMSCORE str a",
        "ZCARD str",
        "ZCOUNT str 0 1",
        "ZLEXCOUNT str - +",
        "ZRANK str a",
        "ZRANGE str 0 1",
        "ZRANGESTORE d str 0 1",
        "ZRANGEBYSCORE str 0 1",
        "ZREMRANGEBYRANK str 0 1",
        "ZPOPMIN str",
        "ZUNIONSTORE d 1 str",
        "ZUNION 2 nokey str",
        "ZRANDMEMBER str",
        "ZRANDMEMBER str 2",
        "ZSCAN str 0",
    ] {
        assert_eq!(t.cmd(1, c), WRONGTYPE, "{c}");
    }
}

#[test]
fn zsets_read() {
    let mut t = Kit::new();
    t.cmd(1, "ZADD z 1 a 2 b 3 c 4 d");
    assert_eq!(t.cmd(1, "ZCARD z"), ":4\r\n");
    assert_eq!(t.cmd(1, "ZCARD nokey"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZMSCORE z a x"), "*2\r\n$1\r\n1\r\n$-1\r\n");
    assert_eq!(t.cmd(1, "ZMSCORE nokey a"), "*1\r\n$-1\r\n");
    assert_eq!(t.cmd(1, "ZRANK z c"), ":2\r\n");
    assert_eq!(t.cmd(1, "ZREVRANK z c"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZRANK z x"), "$-1\r\n");
    assert_eq!(t.cmd(1, "ZCOUNT z (1 3"), ":2\r\n");
    assert_eq!(t.cmd(1, "ZCOUNT z -inf +inf"), ":4\r\n");
    assert_eq!(t.argv(1, &["ZCOUNT", "z", "", "1"]), ":1\r\n");
    assert_eq!(t.argv(1, &["ZCOUNT", "z", " 2", "3"]), ":2\r\n");
    assert_eq!(t.cmd(1, "ZCOUNT z ( 1"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZCOUNT z 0x2 3"), ":2\r\n");
    assert_eq!(t.cmd(1, "ZCOUNT z 2 1"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZCOUNT nokey 0 1"), ":0\r\n");
    for c in [
        "ZCOUNT z x 1",
        "ZCOUNT z 1 (x",
        "ZCOUNT z nan 1",
        "ZRANGEBYSCORE z 1 x",
    ] {
        assert_eq!(t.cmd(1, c), "-ERR min or max is not a float\r\n", "{c}");
    }
    assert_eq!(
        t.argv(1, &["ZCOUNT", "z", "1 ", "3"]),
        "-ERR min or max is not a float\r\n"
    );
    let all = |t: &mut Kit, c: &str| bulks(&t.cmd(1, c)).join(" ");
    assert_eq!(all(&mut t, "ZRANGE z 0 -1"), "a b c d");
    assert_eq!(all(&mut t, "ZRANGE z 1 2 WITHSCORES"), "b 2 c 3");
    assert_eq!(all(&mut t, "ZRANGE z -2 100 REV"), "b a");
    assert_eq!(all(&mut t, "ZREVRANGE z 0 0 WITHSCORES"), "d 4");
    assert_eq!(t.cmd(1, "ZRANGE z 3 1"), "*0\r\n");
    assert_eq!(t.cmd(1, "ZRANGE nokey 0 -1"), "*0\r\n");
    assert_eq!(all(&mut t, "ZRANGE z (1 3 BYSCORE"), "b c");
    assert_eq!(all(&mut t, "ZRANGE z 3 (1 BYSCORE REV"), "c b");
    assert_eq!(all(&mut t, "ZRANGE z -inf +inf BYSCORE LIMIT 1 2"), "b c");
    assert_eq!(
        all(&mut t, "ZRANGE z -inf +inf BYSCORE LIMIT 1 -5"),
        "b c d"
    );
    assert_eq!(t.cmd(1, "ZRANGE z -inf +inf BYSCORE LIMIT -1 5"), "*0\r\n");
    assert_eq!(t.cmd(1, "ZRANGE z -inf +inf BYSCORE LIMIT 4 5"), "*0\r\n");
    assert_eq!(
        all(&mut t, "ZRANGEBYSCORE z 2 +inf WITHSCORES LIMIT 0 1"),
        "b 2"
    );
    assert_eq!(all(&mut t, "ZREVRANGEBYSCORE z +inf 2"), "d c b");
    assert_eq!(all(&mut t, "ZRANGE z 0 -1 LIMIT 0 -1"), "a b c d");
    let mut t2 = Kit::new();
    t2.cmd(1, "ZADD l 0 a 0 b 0 c 0 d");
    assert_eq!(all(&mut t2, "ZRANGEBYLEX l - +"), "a b c d");
    assert_eq!(all(&mut t2, "ZRANGEBYLEX l [b (d"), "b c");
    assert_eq!(all(&mut t2, "ZRANGE l (a [c BYLEX"), "b c");
    assert_eq!(all(&mut t2, "ZREVRANGEBYLEX l + (b"), "d c");
    assert_eq!(all(&mut t2, "ZRANGE l [c - BYLEX REV LIMIT 1 5"), "b a");
    assert_eq!(t2.cmd(1, "ZRANGEBYLEX l + -"), "*0\r\n");
    assert_eq!(t2.cmd(1, "ZLEXCOUNT l [b +"), ":3\r\n");
    assert_eq!(t2.cmd(1, "ZLEXCOUNT l - -"), ":0\r\n");
    for c in [
        "ZRANGEBYLEX l a +",
        "ZLEXCOUNT l - +x",
        "ZRANGE l [a 1 BYLEX",
    ] {
        assert_eq!(
            t2.cmd(1, c),
            "-ERR min or max not valid string range item\r\n",
            "{c}"
        );
    }
    for (c, e) in [
        (
            "ZRANGE z 0 1 LIMIT 0 1",
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            "ZRANGE z - + BYLEX WITHSCORES",
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        ("ZRANGE z 0 1 REV REV", "ERR syntax error"),
        ("ZRANGEBYSCORE z 0 1 BYSCORE", "ERR syntax error"),
        ("ZRANGE z 0 1 LIMIT 0", "ERR syntax error"),
        ("ZRANGE z 0 1 foo", "ERR syntax error"),
        (
            "ZRANGE z a 1",
            "ERR value is not an integer or out of range",
        ),
        ("ZRANGESTORE d z 0 1 WITHSCORES", "ERR syntax error"),
    ] {
        assert_eq!(t.cmd(1, c), format!("-{e}\r\n"), "{c}");
    }
    assert_eq!(t.cmd(1, "ZRANGESTORE d z 1 2"), ":2\r\n");
    assert_eq!(all(&mut t, "ZRANGE d 0 -1 WITHSCORES"), "b 2 c 3");
    assert_eq!(t.cmd(1, "ZRANGESTORE d nokey 0 -1"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZCARD d"), ":0\r\n");
    t.resp3(1);
    assert_eq!(
        t.cmd(1, "ZRANGE z 0 0 WITHSCORES"),
        "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    );
    assert_eq!(t.cmd(1, "ZSCORE z a"), ",1\r\n");
    assert_eq!(t.cmd(1, "ZSCORE z x"), "_\r\n");
    assert_eq!(t.cmd(1, "ZRANGE nokey 0 -1"), "*0\r\n");
}

#[test]
fn zsets_remove_and_pop() {
    let mut t = Kit::new();
    t.cmd(1, "ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(t.cmd(1, "ZREM z a x"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZREMRANGEBYRANK z 0 0"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZREMRANGEBYRANK z 5 9"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZREMRANGEBYSCORE z (3 4"), ":1\r\n");
    assert_eq!(
        t.cmd(1, "ZREMRANGEBYSCORE z x 4"),
        "-ERR min or max is not a float\r\n"
    );
    assert_eq!(
        t.cmd(1, "ZREMRANGEBYLEX z a [b"),
        "-ERR min or max not valid string range item\r\n"
    );
    assert_eq!(t.cmd(1, "ZREMRANGEBYRANK nokey 0 1"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZREMRANGEBYLEX z - +"), ":2\r\n");
    assert_eq!(t.srv.st.dbs[0].len(), 0);
    t.cmd(1, "ZADD z 1 a 2 b 3 c");
    assert_eq!(t.cmd(1, "ZPOPMIN z"), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(
        t.cmd(1, "ZPOPMAX z 5"),
        "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(t.srv.st.dbs[0].len(), 0);
    assert_eq!(t.cmd(1, "ZPOPMIN z"), "*0\r\n");
    assert_eq!(
        t.cmd(1, "ZPOPMIN z -1"),
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(t.cmd(1, "ZPOPMIN z 1 2"), "-ERR syntax error\r\n");
    t.cmd(1, "ZADD z 1 a 2 b 3 c");
    assert_eq!(t.cmd(1, "ZPOPMIN z 0"), "*0\r\n");
    t.resp3(1);
    assert_eq!(t.cmd(1, "ZPOPMIN z"), "*2\r\n$1\r\na\r\n,1\r\n");
    assert_eq!(t.cmd(1, "ZPOPMIN z 1"), "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
}

#[test]
fn zsets_algebra() {
    let mut t = Kit::new();
    t.cmd(1, "ZADD a 1 x 2 y 3 z");
    t.cmd(1, "ZADD b 10 y 20 z 30 w");
    t.cmd(1, "SADD s z q");
    let all = |t: &mut Kit, c: &str| bulks(&t.cmd(1, c)).join(" ");
    assert_eq!(t.cmd(1, "ZUNIONSTORE d 2 a b"), ":4\r\n");
    assert_eq!(
        all(&mut t, "ZRANGE d 0 -1 WITHSCORES"),
        "x 1 y 12 z 23 w 30"
    );
    assert_eq!(
        t.cmd(1, "ZINTERSTORE d 2 a b WEIGHTS 2 1 AGGREGATE MAX"),
        ":2\r\n"
    );
    assert_eq!(all(&mut t, "ZRANGE d 0 -1 WITHSCORES"), "y 10 z 20");
    assert_eq!(all(&mut t, "ZINTER 3 a b s WITHSCORES"), "z 24");
    assert_eq!(
        all(&mut t, "ZINTER 2 a b AGGREGATE min WITHSCORES"),
        "y 2 z 3"
    );
    assert_eq!(all(&mut t, "ZUNION 2 a s WITHSCORES"), "q 1 x 1 y 2 z 4");
    assert_eq!(all(&mut t, "ZDIFF 2 a b WITHSCORES"), "x 1");
    assert_eq!(t.cmd(1, "ZDIFFSTORE d 2 a b"), ":1\r\n");
    assert_eq!(t.cmd(1, "ZINTERSTORE d 2 a nokey"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZCARD d"), ":0\r\n");
    assert_eq!(t.cmd(1, "ZINTERCARD 2 a b"), ":2\r\n");
    assert_eq!(t.cmd(1, "ZINTERCARD 2 a b LIMIT 1"), ":1\r\n");
    assert_eq!(all(&mut t, "ZUNION 1 a WEIGHTS inf"), "x y z");
    for (c, e) in [
        (
            "ZUNIONSTORE d 0 a",
            "ERR at least 1 input key is needed for 'zunionstore' command",
        ),
        (
            "ZINTERCARD 0 a",
            "ERR at least 1 input key is needed for 'zintercard' command",
        ),
        (
            "ZUNIONSTORE d x a",
            "ERR value is not an integer or out of range",
        ),
        ("ZUNIONSTORE d 2 a", "ERR syntax error"),
        (
            "ZUNIONSTORE d 1 a WEIGHTS x",
            "ERR weight value is not a float",
        ),
        ("ZUNIONSTORE d 1 a WEIGHTS 1 2", "ERR syntax error"),
        ("ZUNIONSTORE d 1 a AGGREGATE foo", "ERR syntax error"),
        ("ZUNIONSTORE d 1 a AGGREGATE", "ERR syntax error"),
        ("ZUNIONSTORE d 1 a WITHSCORES", "ERR syntax error"),
        ("ZDIFF 1 a WEIGHTS 1", "ERR syntax error"),
        ("ZINTERCARD 1 a LIMIT -1", "ERR LIMIT can't be negative"),
        ("ZINTERCARD 1 a WITHSCORES", "ERR syntax error"),
    ] {
        assert_eq!(t.cmd(1, c), format!("-{e}\r\n"), "{c}");
    }
    t.resp3(1);
    assert_eq!(
        t.cmd(1, "ZDIFF 2 a b WITHSCORES"),
        "*1\r\n*2\r\n$1\r\nx\r\n,1\r\n"
    );
}

#[test]
fn zsets_random_and_scan() {
    let mut t = Kit::new();
    t.cmd(1, "ZADD z 1 a 2 b 3 c");
    assert!(t.cmd(1, "ZRANDMEMBER z").starts_with("$1\r\n"));
    assert_eq!(t.cmd(1, "ZRANDMEMBER nokey"), "$-1\r\n");
    assert_eq!(t.cmd(1, "ZRANDMEMBER nokey 2"), "*0\r\n");
    assert_eq!(t.cmd(1, "ZRANDMEMBER z 0"), "*0\r\n");
    assert_eq!(
        bulks(&t.cmd(1, "ZRANDMEMBER z 5 WITHSCORES")).join(" "),
        "a 1 b 2 c 3"
    );
    assert!(t.cmd(1, "ZRANDMEMBER z -5").starts_with("*5\r\n"));
    assert!(t
        .cmd(1, "ZRANDMEMBER z -5 WITHSCORES")
        .starts_with("*10\r\n"));
    let r = t.cmd(1, "ZRANDMEMBER z 2");
    let mut v = bulks(&r);
    v.dedup();
    assert_eq!(v.len(), 2);
    assert_eq!(t.cmd(1, "ZRANDMEMBER z 1 foo"), "-ERR syntax error\r\n");
    assert_eq!(
        t.cmd(1, "ZRANDMEMBER z 1 WITHSCORES x"),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        t.cmd(1, "ZRANDMEMBER z 9223372036854775807 WITHSCORES"),
        "-ERR value is out of range\r\n"
    );
    assert_eq!(
        t.cmd(1, "ZSCAN z 0"),
        "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        t.cmd(1, "ZSCAN z 0 MATCH b"),
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(t.cmd(1, "ZSCAN z x"), "-ERR invalid cursor\r\n");
    assert_eq!(t.cmd(1, "ZSCAN nokey 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    t.resp3(1);
    assert!(t
        .cmd(1, "ZRANDMEMBER z 1 WITHSCORES")
        .starts_with("*1\r\n*2\r\n"));
    assert!(t.cmd(1, "ZSCAN z 0").contains("$1\r\n1\r\n"));
    t.cmd(1, "ZADD w 123456789012345678 c 0.1 d");
    assert_eq!(
        bulks(&t.cmd(1, "ZSCAN w 0")).join(" "),
        "0 d 0.10000000000000001 c 123456789012345680"
    );
    // Big sorted set: cursor walk over the dict.
    let mut argv: Vec<String> = vec!["ZADD".into(), "big".into()];
    for i in 0..200 {
        argv.push(i.to_string());
        argv.push(format!("m{i}"));
    }
    let refs: Vec<&str> = argv.iter().map(|s| s.as_str()).collect();
    assert_eq!(t.argv(1, &refs), ":200\r\n");
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    loop {
        let r = t.cmd(1, &format!("ZSCAN big {cursor} COUNT 20"));
        let b = bulks(&r);
        cursor = b[0].clone();
        for pair in b[1..].chunks(2) {
            assert_eq!(pair[0], format!("m{}", pair[1]));
            seen.insert(pair[0].clone());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 200);
}
