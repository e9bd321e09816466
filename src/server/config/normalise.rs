//! Normalising directive values: what CONFIG SET and the config file accept
//! for each kind of directive, and the text CONFIG GET then prints (memory
//! units to bytes, yes/no, enums, `save`, `client-output-buffer-limit`,
//! `notify-keyspace-events`). Error texts are the part after "... - " in
//! Redis's messages.

use super::directives::{Directive, Kind};

/// Parse memory text like `1gb`, `64k`, `100` into bytes (Redis's `memtoull`).
pub fn parse_memory(s: &str) -> Option<i64> {
    let l = s.to_ascii_lowercase();
    let (num, mul): (&str, i64) = if let Some(n) = l.strip_suffix("gb") {
        (n, 1 << 30)
    } else if let Some(n) = l.strip_suffix("mb") {
        (n, 1 << 20)
    } else if let Some(n) = l.strip_suffix("kb") {
        (n, 1 << 10)
    } else if let Some(n) = l.strip_suffix('g') {
        (n, 1_000_000_000)
    } else if let Some(n) = l.strip_suffix('m') {
        (n, 1_000_000)
    } else if let Some(n) = l.strip_suffix('k') {
        (n, 1_000)
    } else if let Some(n) = l.strip_suffix('b') {
        (n, 1)
    } else {
        (l.as_str(), 1)
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = num.parse().ok()?;
    v.checked_mul(mul)
}

fn int_error(min: i64, max: i64) -> String {
    format!("argument must be between {min} and {max} inclusive")
}

/// Validate and normalise the arguments of a directive into the stored text.
/// `current` is the directive's current value (some kinds merge into it).
pub fn normalise(d: &Directive, args: &[String], current: Option<&str>) -> Result<String, String> {
    let one = || -> Result<&String, String> {
        if args.len() == 1 {
            Ok(&args[0])
        } else {
            Err("wrong number of arguments".to_string())
        }
    };
    if d.key == super::directives::Key::REPLICAOF {
        // loadServerConfigFromString: `replicaof <host> <port>` or `no one`;
        // no argument (or an empty one) is a master.
        if args.is_empty() || (args.len() == 1 && args[0].is_empty()) {
            return Ok(String::new());
        }
        let [host, port] = args else {
            return Err("wrong number of arguments".to_string());
        };
        if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
            return Ok(String::new());
        }
        return match port.parse::<i64>() {
            Ok(p) if (0..=65535).contains(&p) => Ok(format!("{host} {p}")),
            _ => Err("Invalid master port".to_string()),
        };
    }
    match d.kind {
        Kind::Bool => match one()?.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int { min, max } => {
            let v = crate::resp::parse_i64(one()?.as_bytes())
                .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
            if v < min || v > max {
                return Err(int_error(min, max));
            }
            Ok(v.to_string())
        }
        Kind::Octal { max } => {
            let v = i64::from_str_radix(one()?, 8)
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            if !(0..=max).contains(&v) {
                return Err(int_error(0, max));
            }
            Ok(format!("{v:o}"))
        }
        Kind::MemoryOrPercent => {
            let v = one()?;
            if let Some(n) = v.strip_suffix('%') {
                return match crate::resp::parse_i64(n.as_bytes()) {
                    Some(p) if p > 100 => {
                        Err("percentage argument must be less or equal to 100".into())
                    }
                    Some(p) if p >= 0 => Ok(format!("{p}%")),
                    _ => Err("argument must be a memory or percent value".into()),
                };
            }
            let b = parse_memory(v)
                .ok_or_else(|| "argument must be a memory or percent value".to_string())?;
            if b < 0 {
                return Err(int_error(0, i64::MAX));
            }
            Ok(b.to_string())
        }
        Kind::Memory { min, max } => {
            let v = parse_memory(one()?)
                .ok_or_else(|| "argument must be a memory value".to_string())?;
            if v < min || v > max {
                return Err(int_error(min, max));
            }
            Ok(v.to_string())
        }
        Kind::List if d.key == super::directives::Key::OOM_SCORE_ADJ_VALUES => {
            let values: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
            if values.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut out = Vec::new();
            for v in values {
                match v.parse::<i64>() {
                    Ok(n) if (-2000..=2000).contains(&n) => out.push(n.to_string()),
                    _ => return Err(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                            .into(),
                    ),
                }
            }
            Ok(out.join(" "))
        }
        Kind::Str if d.key == super::directives::Key::PROC_TITLE_TEMPLATE => {
            let t = args.join(" ");
            if crate::server::proc_title::valid(&t) {
                Ok(t)
            } else {
                Err("template format is invalid or contains unknown variables".into())
            }
        }
        Kind::Str => Ok(args.join(" ")),
        Kind::Enum(options) => {
            let v = one()?.to_ascii_lowercase();
            if options.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err("argument(s) must be one of the following: ".to_string() + &options.join(", "))
            }
        }
        Kind::Flags(options) => {
            // configEnumGetValue / configEnumGetName with bitflags.
            let joined = args.join(" ");
            let words: Vec<&str> = joined.split_whitespace().collect();
            let mut bits = 0u32;
            for w in &words {
                match options.iter().position(|o| o.eq_ignore_ascii_case(w)) {
                    Some(0) => {}
                    Some(i) => bits |= 1 << (i - 1),
                    None => {
                        return Err("argument(s) must be one of the following: ".to_string()
                            + &options.join(", "))
                    }
                }
            }
            if words.is_empty() {
                return Err(
                    "argument(s) must be one of the following: ".to_string() + &options.join(", ")
                );
            }
            if bits == 0 {
                return Ok(options[0].to_string());
            }
            let names: Vec<&str> = (1..options.len())
                .filter(|i| bits & (1 << (i - 1)) != 0)
                .map(|i| options[i])
                .collect();
            Ok(names.join(" "))
        }
        Kind::List => Ok(args.join(" ")),
        Kind::Percentiles => {
            let joined = args.join(" ");
            let values = crate::server::cmdstats::parse_percentiles(&joined)?;
            let shown: Vec<String> = values
                .into_iter()
                .map(crate::server::cmdstats::trim_double)
                .collect();
            Ok(shown.join(" "))
        }
        Kind::Save => {
            let joined = args.join(" ");
            let parts: Vec<&str> = joined.split_whitespace().collect();
            if !parts.len().is_multiple_of(2) {
                return Err("Invalid save parameters".into());
            }
            let mut norm = Vec::new();
            for p in &parts {
                match crate::resp::parse_i64(p.as_bytes()) {
                    Some(v) if v >= 0 => norm.push(v.to_string()),
                    _ => return Err("Invalid save parameters".into()),
                }
            }
            Ok(norm.join(" "))
        }
        Kind::ClientOutputBufferLimit => {
            let joined = args.join(" ");
            let parts: Vec<&str> = joined.split_whitespace().collect();
            if parts.is_empty() || !parts.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let cur = current.unwrap_or(d.default);
            let mut classes: Vec<(String, [i64; 3])> = Vec::new();
            for c in cur.split_whitespace().collect::<Vec<_>>().chunks(4) {
                if c.len() == 4 {
                    let n = |s: &str| s.parse().unwrap_or(0);
                    classes.push((c[0].to_string(), [n(c[1]), n(c[2]), n(c[3])]));
                }
            }
            for c in parts.chunks(4) {
                let class = match c[0].to_ascii_lowercase().as_str() {
                    "normal" => "normal",
                    "slave" | "replica" => "slave",
                    "pubsub" => "pubsub",
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        )
                    }
                };
                let hard = parse_memory(c[1]);
                let soft = parse_memory(c[2]);
                let secs = crate::resp::parse_i64(c[3].as_bytes());
                let (Some(hard), Some(soft), Some(secs)) = (hard, soft, secs) else {
                    return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into());
                };
                if hard < 0 || soft < 0 || secs < 0 {
                    return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into());
                }
                if let Some(e) = classes.iter_mut().find(|(n, _)| n == class) {
                    e.1 = [hard, soft, secs];
                }
            }
            Ok(classes
                .iter()
                .map(|(n, v)| format!("{} {} {} {}", n, v[0], v[1], v[2]))
                .collect::<Vec<_>>()
                .join(" "))
        }
        Kind::KeyspaceEvents => {
            let v = args.join("");
            let mut flags = crate::vecmap::VecSet::new();
            for c in v.chars() {
                match c {
                    'A' => {
                        for f in "g$lshzxetd".chars() {
                            flags.insert(f);
                        }
                    }
                    'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 't' | 'm' | 'd' | 'n' | 'K'
                    | 'E' => {
                        flags.insert(c);
                    }
                    _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
                }
            }
            let mut out = String::new();
            if "g$lshzxetd".chars().all(|f| flags.contains(&f)) {
                out.push('A');
            } else {
                for f in "g$lshzxetd".chars() {
                    if flags.contains(&f) {
                        out.push(f);
                    }
                }
            }
            if flags.contains(&'n') {
                out.push('n');
            }
            for f in ['K', 'E', 'm'] {
                if flags.contains(&f) {
                    out.push(f);
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::directives::{find, DIRECTIVES};

    fn norm(name: &str, args: &[&str], current: Option<&str>) -> Result<String, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        normalise(find(name).unwrap(), &args, current)
    }

    #[test]
    fn defaults_pass_their_own_validation() {
        for d in DIRECTIVES {
            assert!(
                normalise(d, &[d.default.to_string()], Some(d.default)).is_ok(),
                "default of {} rejected",
                d.name
            );
        }
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("64K"), Some(64_000));
        assert_eq!(parse_memory("12b"), Some(12));
        assert_eq!(parse_memory("-1"), None);
        assert_eq!(parse_memory("mb"), None);
        assert_eq!(norm("maxmemory", &["2mb"], None).unwrap(), "2097152");
    }

    #[test]
    fn kinds() {
        assert_eq!(norm("appendonly", &["YES"], None).unwrap(), "yes");
        assert_eq!(
            norm("hz", &["x"], None).unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            norm("maxmemory-policy", &["AllKeys-LRU"], None).unwrap(),
            "allkeys-lru"
        );
        assert_eq!(
            norm("save", &["900 1 300 10"], None).unwrap(),
            "900 1 300 10"
        );
        assert_eq!(
            norm("notify-keyspace-events", &["KEA"], None).unwrap(),
            "AKE"
        );
        assert_eq!(
            norm("client-output-buffer-limit", &["pubsub 1 2 3"], None).unwrap(),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1 2 3"
        );
    }
}
