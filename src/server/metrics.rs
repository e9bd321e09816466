//! INFO's `instantaneous_*` figures, sampled as 7.0's serverCron does: every
//! 100 ms each metric records its rate since the previous sample, and the
//! figure is the mean of the last 16 samples (STATS_METRIC_SAMPLES).

use crate::node::Millis;

const SAMPLES: usize = 16;
/// serverCron's `run_with_period(100)`.
pub const SAMPLE_PERIOD_MS: Millis = 100;

/// One tracked counter (trackInstantaneousMetric / getInstantaneousMetric).
#[derive(Clone, Debug, Default)]
pub struct Metric {
    samples: [u64; SAMPLES],
    idx: usize,
    last_time: Millis,
    last_count: u64,
}

impl Metric {
    fn track(&mut self, now: Millis, reading: u64) {
        let t = now.saturating_sub(self.last_time);
        let ops = reading.saturating_sub(self.last_count);
        self.samples[self.idx] = (ops * 1000).checked_div(t).unwrap_or(0);
        self.idx = (self.idx + 1) % SAMPLES;
        self.last_time = now;
        self.last_count = reading;
    }

    /// Per second, averaged over the last 16 samples.
    pub fn per_sec(&self) -> u64 {
        self.samples.iter().sum::<u64>() / SAMPLES as u64
    }

    fn reset(&mut self, now: Millis) {
        *self = Metric {
            last_time: now,
            ..Metric::default()
        };
    }
}

/// The five rates INFO stats prints.
#[derive(Clone, Debug, Default)]
pub struct Instantaneous {
    pub ops: Metric,
    /// Client and replication bytes together, as 7.0 counts them.
    pub net_input: Metric,
    pub net_output: Metric,
    pub repl_input: Metric,
    pub repl_output: Metric,
    next_sample: Millis,
}

/// The counters the rates are taken from.
pub struct Readings {
    pub commands: u64,
    pub net_input: u64,
    pub net_output: u64,
    pub repl_input: u64,
    pub repl_output: u64,
}

impl Instantaneous {
    /// Take a sample if 100 ms have passed since the last one.
    pub fn sample(&mut self, now: Millis, r: Readings) {
        if now < self.next_sample {
            return;
        }
        self.next_sample = now + SAMPLE_PERIOD_MS;
        self.ops.track(now, r.commands);
        self.net_input.track(now, r.net_input + r.repl_input);
        self.net_output.track(now, r.net_output + r.repl_output);
        self.repl_input.track(now, r.repl_input);
        self.repl_output.track(now, r.repl_output);
    }

    /// CONFIG RESETSTAT: the counters restart from zero now.
    pub fn reset(&mut self, now: Millis) {
        for m in [
            &mut self.ops,
            &mut self.net_input,
            &mut self.net_output,
            &mut self.repl_input,
            &mut self.repl_output,
        ] {
            m.reset(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_of_the_last_sixteen_rates() {
        let mut m = Metric::default();
        // 50 ops every 100 ms = 500/s, for 16 samples.
        for i in 1..=16u64 {
            m.track(i * 100, i * 50);
        }
        assert_eq!(m.per_sec(), 500);
        // Idle afterwards: the rate decays to 0 over 16 samples.
        for i in 17..=32u64 {
            m.track(i * 100, 16 * 50);
        }
        assert_eq!(m.per_sec(), 0);
    }

    #[test]
    fn samples_every_hundred_ms_only() {
        let mut inst = Instantaneous::default();
        let r = |n| Readings {
            commands: n,
            net_input: 0,
            net_output: 0,
            repl_input: 0,
            repl_output: 0,
        };
        inst.sample(100, r(10));
        inst.sample(150, r(1000)); // too early: ignored
        inst.sample(200, r(20));
        assert_eq!(inst.ops.samples[1], 100);
    }
}
