//! LATENCY GRAPH's ASCII art: Redis's sparkline.c with the fill charset,
//! 80 columns by 4 rows, each column labelled with how long ago it was.

use super::TimeSeries;

const CHARSET_FILL: &[u8] = b"_o#";
const LABEL_MARGIN_TOP: usize = 1;
const COLUMNS: usize = 80;
const ROWS: usize = 4;

struct Sample {
    value: f64,
    label: String,
}

/// latencyCommandGenSparkeline: the title, a rule, and the sparkline.
pub(super) fn latency_graph(event: &str, ts: &TimeSeries, now_s: u64) -> String {
    let mut seq = Vec::new();
    let (mut min, mut max) = (0, 0);
    for s in ts.samples() {
        if seq.is_empty() {
            (min, max) = (s.latency_ms, s.latency_ms);
        } else {
            min = min.min(s.latency_ms);
            max = max.max(s.latency_ms);
        }
        let elapsed = now_s.saturating_sub(s.time);
        let label = if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 3600 * 24 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / (3600 * 24))
        };
        seq.push(Sample {
            value: s.latency_ms as f64,
            label,
        });
    }
    let mut out = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n",
        ts.max
    );
    out.push_str(&"-".repeat(COLUMNS));
    out.push('\n');
    render(&mut out, &seq);
    out
}

/// sparklineRender: the sequence in chunks of COLUMNS, a blank line between.
fn render(out: &mut String, seq: &[Sample]) {
    let lo = seq.iter().map(|s| s.value).fold(f64::INFINITY, f64::min);
    let hi = seq
        .iter()
        .map(|s| s.value)
        .fold(f64::NEG_INFINITY, f64::max);
    for (i, chunk) in seq.chunks(COLUMNS).enumerate() {
        if i != 0 {
            out.push('\n');
        }
        render_range(out, chunk, lo, hi);
    }
}

/// sparklineRenderRange with SPARKLINE_FILL: ROWS rows of bars, then the
/// labels written downwards one character per row, after a blank row.
fn render_range(out: &mut String, samples: &[Sample], lo: f64, hi: f64) {
    let charset_len = CHARSET_FILL.len();
    let steps = (charset_len * ROWS) as i64;
    let relmax = if hi - lo == 0.0 { 1.0 } else { hi - lo };
    let has_labels = samples.iter().any(|s| !s.label.is_empty());
    let mut row = 0;
    loop {
        let mut more = false;
        let mut chars = vec![b' '; samples.len()];
        for (j, s) in samples.iter().enumerate() {
            let relval = s.value - lo;
            // C truncates the product to int before dividing.
            let step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
            let step = step.clamp(0, steps - 1);
            if row < ROWS {
                let charidx = step - ((ROWS - row - 1) * charset_len) as i64;
                more = true;
                if (0..charset_len as i64).contains(&charidx) {
                    chars[j] = CHARSET_FILL[charidx as usize];
                } else if charidx >= charset_len as i64 {
                    chars[j] = b'|';
                }
            } else {
                if has_labels && row - ROWS < LABEL_MARGIN_TOP {
                    more = true;
                    break;
                }
                let label_char = row - ROWS - LABEL_MARGIN_TOP;
                if let Some(&c) = s.label.as_bytes().get(label_char) {
                    more = true;
                    chars[j] = c;
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::LatencyMonitor;

    #[test]
    fn graph_as_redis_draws_it() {
        let mut m = LatencyMonitor::default();
        m.add("command", 300, 100);
        m.add("command", 400, 101);
        m.add("command", 500, 102);
        let g = m.graph(b"command", 105).unwrap();
        let want = "command - high 500 ms, low 300 ms (all time high 500 ms)\n".to_string()
            + &"-".repeat(80)
            + "\n  #\n _|\n ||\n_||\n   \n543\nsss\n";
        assert_eq!(g, want);
        assert!(m.graph(b"other", 105).is_none());
    }
}
