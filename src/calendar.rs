//! UTC calendar dates from Unix time, for the texts Redis prints with the C
//! library's time functions: log line stamps and ctime(3). The core has no
//! clock and no time zone database; times are the host's, printed in UTC.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// 1 January 1970 was a Thursday.
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// One instant, broken down in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Days since 1970-01-01.
    pub days: i64,
}

impl Civil {
    /// Howard Hinnant's civil-from-days algorithm.
    pub fn from_unix(secs: i64) -> Civil {
        let days = secs.div_euclid(86400);
        let rem = secs.rem_euclid(86400);
        let z = days + 719468;
        let era = z.div_euclid(146097);
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month: month as u32,
            day: day as u32,
            hour: (rem / 3600) as u32,
            minute: ((rem / 60) % 60) as u32,
            second: (rem % 60) as u32,
            days,
        }
    }

    pub fn month_name(&self) -> &'static str {
        MONTHS[(self.month - 1) as usize]
    }

    pub fn weekday_name(&self) -> &'static str {
        WEEKDAYS[self.days.rem_euclid(7) as usize]
    }
}

/// A log line's stamp, as Redis prints it: `27 Nov 2026 03:38:25.123`.
pub fn log_time(ms: u64) -> String {
    let c = Civil::from_unix((ms / 1000) as i64);
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        c.day,
        c.month_name(),
        c.year,
        c.hour,
        c.minute,
        c.second,
        ms % 1000
    )
}

/// ctime(3) without the newline: `Thu Nov 27 03:54:22 2026`.
pub fn ctime(secs: u64) -> String {
    let c = Civil::from_unix(secs as i64);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        c.weekday_name(),
        c.month_name(),
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(log_time(0), "01 Jan 1970 00:00:00.000");
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
        // 2024-02-29 12:34:56.789 UTC, a leap day.
        assert_eq!(log_time(1_709_210_096_789), "29 Feb 2024 12:34:56.789");
        assert_eq!(ctime(1_709_210_096), "Thu Feb 29 12:34:56 2024");
        assert_eq!(ctime(951_782_400), "Tue Feb 29 00:00:00 2000");
        assert_eq!(ctime(4_102_444_799), "Thu Dec 31 23:59:59 2099");
    }
}
