//! How 7.0 words a corrupt or short RDB (rdbReportError): "Internal error
//! in RDB reading offset N, function at rdb.c:LINE -> reason". The reasons
//! are 7.0's; the line is where Debian's 7.0.15 build reports each (its
//! security patches move rdb.c's lines a little from the upstream tag), so
//! a log reads as Redis's and searches for it find the same place.

/// rdb.c's line for a reason of 7.0's, 0 for one it does not have.
pub fn rdb_c_line(reason: &str) -> u32 {
    const LINES: &[(&str, u32)] = &[
        ("Unknown length encoding", 236),
        ("Unknown RDB integer encoding type", 308),
        ("Invalid LZF compressed string", 413),
        ("Unknown RDB string encoding type", 529),
        ("Duplicate set members detected", 1809),
        ("Zset with NAN score detected", 1882),
        ("Duplicate zset fields detected", 1894),
        ("Duplicate hash fields detected", 1969),
        ("Quicklist integrity check failed.", 2048),
        ("Listpack integrity check failed.", 2071),
        ("Ziplist integrity check failed.", 2081),
        ("Zipmap integrity check failed.", 2130),
        ("List ziplist integrity check failed.", 2189),
        ("Intset integrity check failed.", 2214),
        ("Zset ziplist integrity check failed.", 2229),
        ("Zset listpack integrity check failed.", 2255),
        ("Hash ziplist integrity check failed.", 2275),
        ("Hash listpack integrity check failed.", 2301),
        ("Unknown RDB encoding type", 2319),
        ("Stream listpack integrity check failed.", 2362),
        ("Empty listpack inside stream", 2374),
        ("Stream length inconsistent with rax entries", 2430),
        ("Duplicated consumer group name", 2480),
        ("Duplicated global PEL entry", 2516),
        ("Duplicate stream consumer detected.", 2543),
        ("Consumer entry not found in", 2573),
        ("Duplicated consumer PEL entry", 2592),
        ("Stream CG PEL entry without consumer", 2611),
        ("RDB CRC error", 3225),
        ("Unexpected EOF reading RDB file", 3249),
        ("Hash zipmap with dup elements", 2154),
    ];
    LINES
        .iter()
        .find(|(r, _)| reason.starts_with(r))
        .map_or(0, |&(_, line)| line)
}

/// The whole line, for a reason found at `offset`.
pub fn internal_error(offset: u64, reason: &str) -> String {
    format!(
        "Internal error in RDB reading offset {offset}, function at rdb.c:{} -> {reason}",
        rdb_c_line(reason)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_carry_7_0_lines() {
        assert_eq!(
            internal_error(0, "Hash ziplist integrity check failed."),
            "Internal error in RDB reading offset 0, function at rdb.c:2275 -> Hash ziplist integrity check failed."
        );
        assert_eq!(rdb_c_line("Duplicated consumer group name foo"), 2480);
        assert_eq!(rdb_c_line("something else"), 0);
    }
}
