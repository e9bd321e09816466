//! How 7.0 words a corrupt or short RDB (rdbReportError): "Internal error
//! in RDB reading offset N, function at rdb.c:LINE -> reason". The reasons
//! are 7.0's; the line is where rdb.c 7.0.15 reports each, so a log reads
//! as Redis's and searches for it find the same place.

/// rdb.c's line for a reason of 7.0's, 0 for one it does not have.
pub fn rdb_c_line(reason: &str) -> u32 {
    const LINES: &[(&str, u32)] = &[
        ("Unknown RDB integer encoding type", 308),
        ("Invalid LZF compressed string", 413),
        ("Unknown RDB string encoding type", 529),
        ("Duplicate set members detected", 1808),
        ("Zset with NAN score detected", 1881),
        ("Duplicate zset fields detected", 1893),
        ("Duplicate hash fields detected", 1968),
        ("Quicklist integrity check failed.", 2047),
        ("Listpack integrity check failed.", 2070),
        ("Ziplist integrity check failed.", 2080),
        ("Zipmap integrity check failed.", 2129),
        ("List ziplist integrity check failed.", 2187),
        ("Intset integrity check failed.", 2212),
        ("Zset ziplist integrity check failed.", 2227),
        ("Zset listpack integrity check failed.", 2253),
        ("Hash ziplist integrity check failed.", 2273),
        ("Hash listpack integrity check failed.", 2299),
        ("Unknown RDB encoding type", 2317),
        ("Stream listpack integrity check failed.", 2360),
        ("Empty listpack inside stream", 2372),
        ("Stream length inconsistent with rax entries", 2428),
        ("Duplicated consumer group name", 2478),
        ("Duplicated global PEL entry", 2514),
        ("Duplicate stream consumer detected.", 2542),
        ("Consumer entry not found in", 2572),
        ("Duplicated consumer PEL entry", 2583),
        ("Stream CG PEL entry without consumer", 2602),
        ("RDB CRC error", 3216),
        ("Unexpected EOF reading RDB file", 3240),
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
            "Internal error in RDB reading offset 0, function at rdb.c:2273 -> Hash ziplist integrity check failed."
        );
        assert_eq!(rdb_c_line("Duplicated consumer group name foo"), 2478);
        assert_eq!(rdb_c_line("something else"), 0);
    }
}
