//! `watchdog-period` (7.0's software watchdog): while it is set, every run
//! of the cron pushes a timer `period` milliseconds ahead; when the cron
//! does not run in time (a DEBUG SLEEP, a load, a busy script) the host's
//! timer fires and logs the main thread's stack. The timer is the host's
//! ([`crate::node::HostProbe::arm_watchdog`]); the core says when to push it.

use super::config::Key;
use super::ServerState;

impl ServerState {
    /// applyWatchdogPeriod, on CONFIG SET and at start: a period shorter than
    /// two cron intervals is raised to that (the directive's value too, as
    /// 7.0 writes it back), and the timer is set or stopped.
    pub fn apply_watchdog_period(&mut self) {
        let mut period = self.config.get_i64(Key::WATCHDOG_PERIOD).max(0) as u64;
        if period > 0 {
            let hz = self.config.get_i64(Key::HZ).clamp(1, 500) as u64;
            let min = (1000 / hz) * 2;
            if period < min {
                period = min;
                let _ = self.config.set(Key::WATCHDOG_PERIOD, &[min.to_string()]);
            }
        }
        if let Some(probe) = self.host.probe.as_deref() {
            probe.arm_watchdog(period);
        }
    }

    /// serverCron's first step: push the timer ahead again.
    pub fn rearm_watchdog(&self) {
        let period = self.config.get_i64(Key::WATCHDOG_PERIOD);
        if period > 0 {
            if let Some(probe) = self.host.probe.as_deref() {
                probe.arm_watchdog(period as u64);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::server::config::{Config, Key};
    use crate::server::Server;

    #[test]
    fn a_short_period_is_raised_to_two_cron_intervals() {
        let mut s = Server::new(Config::default(), 0, 1);
        s.st.config
            .set(Key::WATCHDOG_PERIOD, &["1".into()])
            .unwrap();
        s.st.apply_watchdog_period();
        assert_eq!(s.st.config.get(Key::WATCHDOG_PERIOD), "200");
        s.st.config.set(Key::HZ, &["100".into()]).unwrap();
        s.st.config
            .set(Key::WATCHDOG_PERIOD, &["5".into()])
            .unwrap();
        s.st.apply_watchdog_period();
        assert_eq!(s.st.config.get(Key::WATCHDOG_PERIOD), "20");
        s.st.config
            .set(Key::WATCHDOG_PERIOD, &["0".into()])
            .unwrap();
        s.st.apply_watchdog_period();
        assert_eq!(s.st.config.get(Key::WATCHDOG_PERIOD), "0");
    }
}
