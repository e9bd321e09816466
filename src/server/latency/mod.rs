//! The latency monitor (`latency-monitor-threshold`): per event, the latest
//! 160 seconds that saw a spike (the worst spike of each second) and the
//! worst ever, as 7.0's latency.c keeps them. What measures an event is
//! its caller (`Server::account_call` for `command` / `fast-command`, the
//! cron for `expire-cycle`); all durations come from the host's probe.

mod doctor;
mod sparkline;

pub use doctor::Advice;

/// LATENCY_TS_LEN: samples kept per event.
const SAMPLES: usize = 160;

/// One second's worst latency of an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Unix time in seconds; 0 for a slot never written.
    pub time: u64,
    pub latency_ms: u64,
}

/// An event's ring of samples and its all-time high.
#[derive(Clone, Debug)]
pub struct TimeSeries {
    /// Next slot to write.
    idx: usize,
    pub max: u64,
    samples: [Sample; SAMPLES],
}

impl TimeSeries {
    fn new() -> TimeSeries {
        TimeSeries {
            idx: 0,
            max: 0,
            samples: [Sample::default(); SAMPLES],
        }
    }

    /// The written samples, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        (0..SAMPLES)
            .map(move |j| &self.samples[(self.idx + j) % SAMPLES])
            .filter(|s| s.time != 0)
    }

    /// The most recent sample.
    pub fn latest(&self) -> Sample {
        self.samples[(self.idx + SAMPLES - 1) % SAMPLES]
    }
}

/// analyzeLatencyForEvent: what DOCTOR says of one event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub all_time_high: u64,
    pub avg: u64,
    pub min: u64,
    pub max: u64,
    /// Mean absolute deviation from `avg`.
    pub mad: u64,
    pub samples: u64,
    /// Seconds from the oldest sample to now (at least 1).
    pub period: u64,
}

/// Every event's series, by event name.
#[derive(Clone, Debug, Default)]
pub struct LatencyMonitor {
    pub events: crate::vecmap::VecMap<String, TimeSeries>,
}

impl LatencyMonitor {
    /// latencyAddSampleIfNeeded: record `latency_ms` for `event` at unix
    /// second `now_s` if monitoring is on (`threshold_ms` > 0) and it reached
    /// the threshold.
    pub fn add_if_needed(&mut self, threshold_ms: i64, event: &str, latency_ms: u64, now_s: u64) {
        if threshold_ms > 0 && latency_ms >= threshold_ms as u64 {
            self.add(event, latency_ms, now_s);
        }
    }

    /// latencyAddSample: a second keeps its worst sample.
    pub fn add(&mut self, event: &str, latency_ms: u64, now_s: u64) {
        if !self.events.contains_key(event) {
            self.events.insert(event.to_string(), TimeSeries::new());
        }
        let ts = self.events.get_mut(event).expect("just inserted");
        ts.max = ts.max.max(latency_ms);
        let prev = (ts.idx + SAMPLES - 1) % SAMPLES;
        if ts.samples[prev].time == now_s {
            ts.samples[prev].latency_ms = ts.samples[prev].latency_ms.max(latency_ms);
            return;
        }
        ts.samples[ts.idx] = Sample {
            time: now_s,
            latency_ms,
        };
        ts.idx = (ts.idx + 1) % SAMPLES;
    }

    /// latencyResetEvent: forget `event` (any case), or every event; how
    /// many were forgotten.
    pub fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        match event {
            None => self.events.clear(),
            Some(e) => self
                .events
                .retain(|name, _| !name.as_bytes().eq_ignore_ascii_case(e)),
        }
        before - self.events.len()
    }

    pub fn analyze(&self, event: &str, now_s: u64) -> Stats {
        let Some(ts) = self.events.get(event) else {
            return Stats::default();
        };
        let mut st = Stats {
            all_time_high: ts.max,
            ..Stats::default()
        };
        let (mut sum, mut oldest) = (0, 0);
        for s in ts.samples() {
            st.samples += 1;
            if st.samples == 1 {
                (st.min, st.max) = (s.latency_ms, s.latency_ms);
            } else {
                st.min = st.min.min(s.latency_ms);
                st.max = st.max.max(s.latency_ms);
            }
            sum += s.latency_ms;
            if oldest == 0 || s.time < oldest {
                oldest = s.time;
            }
        }
        if let Some(avg) = sum.checked_div(st.samples) {
            st.avg = avg;
            st.period = now_s.saturating_sub(oldest).max(1);
            let dev: u64 = ts.samples().map(|s| st.avg.abs_diff(s.latency_ms)).sum();
            st.mad = dev / st.samples;
        }
        st
    }

    /// LATENCY GRAPH: the event's samples as a sparkline, or None if the
    /// event has none.
    pub fn graph(&self, event: &[u8], now_s: u64) -> Option<String> {
        let (name, ts) = self.events.iter().find(|(n, _)| n.as_bytes() == event)?;
        Some(sparkline::latency_graph(name, ts, now_s))
    }

    /// LATENCY DOCTOR's report.
    pub fn doctor(&self, threshold_ms: i64, now_s: u64, advice: &Advice) -> String {
        doctor::report(self, threshold_ms, now_s, advice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_keeps_its_worst_sample_and_the_ring_wraps() {
        let mut m = LatencyMonitor::default();
        m.add_if_needed(0, "command", 500, 10);
        assert!(m.events.is_empty(), "threshold 0 disables monitoring");
        m.add_if_needed(100, "command", 99, 10);
        assert!(m.events.is_empty());
        m.add_if_needed(100, "command", 150, 10);
        m.add_if_needed(100, "command", 300, 10);
        m.add_if_needed(100, "command", 200, 10);
        m.add_if_needed(100, "command", 120, 11);
        let ts = &m.events["command"];
        let got: Vec<(u64, u64)> = ts.samples().map(|s| (s.time, s.latency_ms)).collect();
        assert_eq!(got, vec![(10, 300), (11, 120)]);
        assert_eq!((ts.max, ts.latest().latency_ms), (300, 120));
        for t in 0..200 {
            m.add("command", 1, 100 + t);
        }
        let ts = &m.events["command"];
        assert_eq!(ts.samples().count(), SAMPLES);
        assert_eq!(ts.samples().next().unwrap().time, 140);
        assert_eq!(ts.max, 300);
    }

    #[test]
    fn analysis_and_reset() {
        let mut m = LatencyMonitor::default();
        m.add("command", 100, 10);
        m.add("command", 300, 12);
        m.add("expire-cycle", 30, 12);
        let st = m.analyze("command", 20);
        assert_eq!(
            st,
            Stats {
                all_time_high: 300,
                avg: 200,
                min: 100,
                max: 300,
                mad: 100,
                samples: 2,
                period: 10
            }
        );
        assert_eq!(m.reset(Some(b"nope")), 0);
        assert_eq!(m.reset(Some(b"COMMAND")), 1);
        assert_eq!(m.reset(None), 1);
        assert!(m.events.is_empty());
    }
}
