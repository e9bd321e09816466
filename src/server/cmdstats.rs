//! What commands cost and how they failed: INFO `commandstats`,
//! `errorstats` and `latencystats`, as Redis 7.0 counts them.
//!
//! A command's duration comes from the host's monotonic clock
//! (`node::HostProbe::monotonic_us`); a host without one (the simulator,
//! wasm) times every command as 0 µs, plus the virtual time a DEBUG SLEEP
//! paused the node, so runs stay deterministic.

use crate::vecmap::VecMap;
use std::fmt::Write;

/// Redis's latency histograms record nanoseconds from 1 ns to 1 s.
const HIST_MIN_NS: u64 = 1;
const HIST_MAX_NS: u64 = 1_000_000_000;

/// The latency histogram of one command: the buckets of Redis's HDR
/// histogram (2 significant digits, lowest value 1 ns), so its percentiles
/// print the same values (each value's bucket's highest equivalent value;
/// within 1% of the recorded one). Counts live in an array by bucket index,
/// as in hdr_histogram: recording a call is an index and an increment.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    /// Count per bucket, by [`LatencyHistogram::index`]; grown on demand
    /// (3072 buckets cover 1 ns to 1 s).
    counts: Vec<u64>,
    total: u64,
}

/// Values under this are exact buckets; above, each power of two has
/// `SUB_HALF` buckets.
const SUB_COUNT: u64 = 256;
const SUB_HALF: u64 = 128;

impl LatencyHistogram {
    /// The bucket of `ns`: its lowest value and its width (hdr_histogram with
    /// 256 sub-buckets: values under 256 are exact, then each power of two is
    /// split in 128).
    fn bucket(ns: u64) -> (u64, u64) {
        let shift = Self::shift(ns);
        ((ns >> shift) << shift, 1 << shift)
    }

    fn shift(ns: u64) -> u32 {
        (64 - (ns | (SUB_COUNT - 1)).leading_zeros()).saturating_sub(8)
    }

    /// The array index of `ns`'s bucket, increasing with its lowest value.
    fn index(ns: u64) -> usize {
        let shift = Self::shift(ns);
        if shift == 0 {
            return ns as usize;
        }
        (SUB_COUNT + (shift as u64 - 1) * SUB_HALF + ((ns >> shift) - SUB_HALF)) as usize
    }

    /// The lowest value of the bucket at `index` (the inverse of `index`).
    fn low_of(index: usize) -> u64 {
        let i = index as u64;
        if i < SUB_COUNT {
            return i;
        }
        let shift = (i - SUB_COUNT) / SUB_HALF + 1;
        ((i - SUB_COUNT) % SUB_HALF + SUB_HALF) << shift
    }

    /// (lowest value, count) of the buckets with calls, lowest first.
    fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &n)| n != 0)
            .map(|(i, &n)| (Self::low_of(i), n))
    }

    pub fn record(&mut self, ns: u64) {
        let i = Self::index(ns.clamp(HIST_MIN_NS, HIST_MAX_NS));
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.total += 1;
    }

    /// LATENCY HISTOGRAM's `histogram_usec`: hdr's logarithmic iteration
    /// from 1024 ns doubling, as (the level's highest equivalent value in µs,
    /// calls up to it), the levels where the count grew.
    pub fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let (mut level, mut cum, mut prev) = (1024u64, 0u64, 0u64);
        let mut buckets = self.buckets().peekable();
        while prev < self.total {
            while let Some(&(low, n)) = buckets.peek() {
                if low > level {
                    break;
                }
                cum += n;
                buckets.next();
            }
            if cum > prev {
                let (low, width) = Self::bucket(level);
                out.push(((low + width - 1) / 1000, cum));
            }
            prev = cum;
            level *= 2;
        }
        out
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// hdr_value_at_percentile: the highest value equivalent to the one at
    /// `p` percent (the lowest for `p` = 0), in nanoseconds.
    pub fn value_at_percentile(&self, p: f64) -> u64 {
        let want = ((p.min(100.0) / 100.0 * self.total as f64) + 0.5) as u64;
        let want = want.max(1);
        let mut seen = 0;
        for (low, n) in self.buckets() {
            seen += n;
            if seen >= want {
                let (_, width) = Self::bucket(low);
                return if p == 0.0 { low } else { low + width - 1 };
            }
        }
        0
    }
}

/// One command's counters (`cmdstat_<name>`).
#[derive(Clone, Debug, Default)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// Present once a call was timed with `latency-tracking` on.
    pub latency: Option<LatencyHistogram>,
}

/// The per-command and per-error counters of a node.
#[derive(Clone, Debug, Default)]
pub struct CallStats {
    /// Index in `stats` by full name (`get`, `client|list`).
    commands: VecMap<String, usize>,
    /// Error replies by their code (`ERR`, `WRONGTYPE`), as `errorstat_`.
    pub errors: VecMap<String, u64>,
    /// `total_error_replies` when the last call was accounted (7.0's
    /// `prev_err_count` in incrCommandStatsOnError): a script's command
    /// that failed moves it, so the EVAL around it is not failed as well.
    pub error_mark: u64,
    /// The counters, where `commands` points.
    stats: Vec<CommandStat>,
    /// The last command counted and its index in `stats`: a pipeline of
    /// one command finds its counters without a map lookup.
    last: Option<(String, usize)>,
    /// The same for the last command without subcommands counted through
    /// [`CallStats::ran_def`], known by its definition's address: no
    /// name to compare.
    last_def: Option<(usize, usize)>,
    /// The running command replied an error its stats do not count (a
    /// script's error already counted where it arose): it failed anyway
    /// (afterErrorReply's ERR_REPLY_FLAG_NO_STATS_UPDATE).
    pub force_failed: bool,
}

impl CallStats {
    fn entry(&mut self, name: &str) -> &mut CommandStat {
        let i = self.index(name);
        &mut self.stats[i]
    }

    /// Where `name`'s counters are in `stats` (created if new).
    fn index(&mut self, name: &str) -> usize {
        match &mut self.last {
            Some((n, i)) if n == name => *i,
            last => {
                let i = match self.commands.get(name) {
                    Some(&i) => i,
                    None => {
                        self.stats.push(CommandStat::default());
                        self.commands.insert(name.to_string(), self.stats.len() - 1);
                        self.stats.len() - 1
                    }
                };
                let (n, at) = last.get_or_insert_with(|| (String::new(), 0));
                n.clear();
                n.push_str(name);
                *at = i;
                i
            }
        }
    }

    /// A command's counters, by full name.
    pub fn get(&self, name: &str) -> Option<&CommandStat> {
        self.commands.get(name).map(|&i| &self.stats[i])
    }

    /// Every command's counters, by full name (`get`, `client|list`), in
    /// name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &CommandStat)> {
        self.commands.iter().map(|(n, &i)| (n, &self.stats[i]))
    }

    /// A command ran: `usec` long, `failed` if it replied with an error.
    /// `calls` is false when a blocked command was served after its call
    /// was counted; `latency` records the duration in its histogram.
    pub fn ran(&mut self, name: &str, usec: u64, failed: bool, calls: bool, latency: bool) {
        Self::record(self.entry(name), usec, failed, calls, latency);
    }

    /// [`CallStats::ran`] for `cmd`, whose full name is `name`.
    #[inline]
    pub fn ran_def(
        &mut self,
        cmd: &'static crate::commands::CommandDef,
        name: &str,
        usec: u64,
        failed: bool,
        calls: bool,
        latency: bool,
    ) {
        if !cmd.subcommands.is_empty() {
            return self.ran(name, usec, failed, calls, latency);
        }
        let def = cmd as *const crate::commands::CommandDef as usize;
        let i = match self.last_def {
            Some((d, i)) if d == def => i,
            _ => {
                let i = self.index(name);
                self.last_def = Some((def, i));
                i
            }
        };
        Self::record(&mut self.stats[i], usec, failed, calls, latency);
    }

    #[inline]
    fn record(s: &mut CommandStat, usec: u64, failed: bool, calls: bool, latency: bool) {
        s.usec += usec;
        if calls {
            s.calls += 1;
        }
        if failed {
            s.failed_calls += 1;
        }
        if latency {
            s.latency
                .get_or_insert_with(Default::default)
                .record(usec.saturating_mul(1000));
        }
    }

    /// A command was refused before it ran (arity, auth, OOM, ...).
    pub fn rejected(&mut self, name: &str) {
        self.entry(name).rejected_calls += 1;
    }

    /// An error reply: counted under its code, the text before the first
    /// space within its first 31 bytes, or `ERR` when there is none.
    pub fn error(&mut self, msg: &str) {
        let head = &msg.as_bytes()[..msg.len().min(31)];
        let code = match head.iter().position(|&b| b == b' ') {
            Some(i) => &msg[..i],
            None => "ERR",
        };
        match self.errors.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                self.errors.insert(code.to_string(), 1);
            }
        }
    }

    /// `# Commandstats`: the commands called, rejected or failed at least once.
    pub fn render_commands(&self, out: &mut String) {
        for (name, s) in self.iter() {
            if s.calls == 0 && s.failed_calls == 0 && s.rejected_calls == 0 {
                continue;
            }
            let per_call = if s.calls == 0 {
                0.0
            } else {
                s.usec as f32 / s.calls as f32
            };
            let _ = write!(
                out,
                "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
                s.calls, s.usec, s.rejected_calls, s.failed_calls
            );
        }
    }

    /// `# Errorstats`.
    pub fn render_errors(&self, out: &mut String) {
        for (code, n) in &self.errors {
            let _ = write!(out, "errorstat_{code}:count={n}\r\n");
        }
    }

    /// `# Latencystats`: the `percentiles` of every tracked command.
    pub fn render_latency(&self, percentiles: &[f64], out: &mut String) {
        for (name, s) in self.iter() {
            let Some(h) = &s.latency else { continue };
            let _ = write!(out, "latency_percentiles_usec_{name}:");
            for (i, &p) in percentiles.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let v = h.value_at_percentile(p) as f64 / 1000.0;
                let _ = write!(out, "p{}={v:.3}", trim_double(p));
            }
            out.push_str("\r\n");
        }
    }
}

/// A percentile as Redis prints it: `%f` without trailing zeros (`99.9`, `50`).
pub fn trim_double(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

/// Parse `latency-tracking-info-percentiles` (space separated, each in
/// [0, 100]); Redis's error text when a value is not.
pub fn parse_percentiles(text: &str) -> Result<Vec<f64>, &'static str> {
    text.split_whitespace()
        .map(|w| {
            let v: f64 = w
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
            if !(0.0..=100.0).contains(&v) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
                );
            }
            Ok(v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hdr_buckets_match_redis() {
        let mut h = LatencyHistogram::default();
        h.record(7000);
        // Redis prints p50=7.007 for one 7 µs call.
        assert_eq!(h.value_at_percentile(50.0), 7007);
        assert_eq!(h.value_at_percentile(0.0), 6976);
        let mut h = LatencyHistogram::default();
        h.record(100);
        assert_eq!(h.value_at_percentile(99.9), 100);
    }

    #[test]
    fn bucket_index_round_trips() {
        let mut last = None;
        for ns in (1..4096).chain([HIST_MAX_NS / 3, HIST_MAX_NS - 1, HIST_MAX_NS]) {
            let i = LatencyHistogram::index(ns);
            assert_eq!(LatencyHistogram::low_of(i), LatencyHistogram::bucket(ns).0);
            assert!(last.is_none_or(|l| l <= i), "indices grow with values");
            last = Some(i);
        }
        assert!(LatencyHistogram::index(HIST_MAX_NS) < 3072);
    }

    #[test]
    fn error_codes() {
        let mut s = CallStats::default();
        s.error("ERR unknown command");
        s.error("WRONGTYPE Operation against a key");
        s.error("NOSPACEINTHEFIRSTTHIRTYONEBYTESATALL x");
        assert_eq!(s.errors.get("ERR"), Some(&2));
        assert_eq!(s.errors.get("WRONGTYPE"), Some(&1));
    }

    #[test]
    fn percentiles() {
        assert_eq!(trim_double(99.9), "99.9");
        assert_eq!(trim_double(50.0), "50");
        assert_eq!(
            parse_percentiles("0.0 50.0 100.0"),
            Ok(vec![0.0, 50.0, 100.0])
        );
        assert!(parse_percentiles("10 50 a").is_err());
        assert!(parse_percentiles("10 101").is_err());
    }
}
