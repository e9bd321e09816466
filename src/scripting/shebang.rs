//! The `#!lua flags=...` first line of a script (evalExtractShebangFlags).

/// Flags a script declares (7.0's SCRIPT_FLAG_*).
pub mod flag {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    /// No shebang: an EVAL script of before 7.0, checked as such.
    pub const EVAL_COMPAT_MODE: u32 = 1 << 4;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 5;

    /// The names `flags=` takes, in 7.0's order.
    pub const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];
}

/// The flags of `body` and the length of its shebang line (without the
/// line feed, which the compiled code keeps so line numbers stay right).
pub fn parse(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((flag::EVAL_COMPAT_MODE, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    // sdssplitargs: quotes allowed.
    let parts: Vec<String> = crate::resp::split_args(&body[..end])
        .unwrap_or_default()
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let Some(engine) = parts.first() else {
        return Err("Invalid engine in script shebang".into());
    };
    if engine != "#!lua" {
        return Err(format!("Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("Unknown lua shebang option: {part}"));
        };
        // sdssplitlen of an empty string gives no parts.
        for name in list.split(',').filter(|_| !list.is_empty()) {
            match flag::NAMES.iter().find(|(_, n)| *n == name) {
                Some((f, _)) => flags |= f,
                None => return Err(format!("Unexpected flag in script shebang: {name}")),
            }
        }
    }
    Ok((flags, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs() {
        assert_eq!(parse(b"return 1"), Ok((flag::EVAL_COMPAT_MODE, 0)));
        assert_eq!(parse(b"#!lua\nreturn 1"), Ok((0, 5)));
        assert_eq!(
            parse(b"#!lua flags=no-writes,allow-oom\nreturn 1"),
            Ok((flag::NO_WRITES | flag::ALLOW_OOM, 31))
        );
        assert_eq!(parse(b"#!lua flags=\nx"), Ok((0, 12)));
        assert_eq!(parse(b"#!lua"), Err("Invalid script shebang".into()));
        assert_eq!(
            parse(b"#!python\n"),
            Err("Unexpected engine in script shebang: #!python".into())
        );
        assert_eq!(
            parse(b"#!lua flags=bad\n"),
            Err("Unexpected flag in script shebang: bad".into())
        );
        assert_eq!(
            parse(b"#!lua name=x\n"),
            Err("Unknown lua shebang option: name=x".into())
        );
    }
}
