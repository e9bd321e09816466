//! LATENCY DOCTOR: 7.0's report (createLatencyReport), word for word: each
//! event's figures, then the advice its events call for.

use super::LatencyMonitor;
use std::fmt::Write;

/// The server settings the advice depends on.
pub struct Advice {
    pub slowlog_log_slower_than: i64,
    pub hz: i64,
    pub appendfsync_always: bool,
}

#[derive(Default)]
struct Advise {
    slowlog_enabled: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    disk_contention: bool,
    scheduler: bool,
    data_writeback: bool,
    no_appendfsync: bool,
    local_disk: bool,
    ssd: bool,
    write_load_info: bool,
    hz: bool,
    large_objects: bool,
    mass_eviction: bool,
    relax_fsync_policy: bool,
    count: usize,
}

pub(super) fn report(m: &LatencyMonitor, threshold_ms: i64, now_s: u64, cfg: &Advice) -> String {
    if m.events.is_empty() && threshold_ms == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let mut out = String::new();
    let mut a = Advise::default();
    for (n, (event, ts)) in m.events.iter().enumerate() {
        if n == 0 {
            out.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let ls = m.analyze(event, now_s);
        let _ = write!(
            out,
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            n + 1,
            event,
            ls.samples,
            ls.avg,
            ls.mad,
            ls.period as f64 / ls.samples as f64,
            ts.max
        );
        match event.to_ascii_lowercase().as_str() {
            "command" => {
                if cfg.slowlog_log_slower_than < 0 {
                    a.slowlog_enabled = true;
                    a.count += 1;
                } else if cfg.slowlog_log_slower_than / 1000 > threshold_ms {
                    a.slowlog_tuning = true;
                    a.count += 1;
                }
                a.slowlog_inspect = true;
                a.large_objects = true;
                a.count += 2;
            }
            "fast-command" => {
                a.scheduler = true;
                a.count += 1;
            }
            "aof-write-pending-fsync" => {
                (a.local_disk, a.disk_contention, a.ssd, a.data_writeback) =
                    (true, true, true, true);
                a.count += 4;
            }
            "aof-write-active-child" => {
                (a.no_appendfsync, a.data_writeback, a.ssd) = (true, true, true);
                a.count += 3;
            }
            "aof-write-alone" => {
                (a.local_disk, a.data_writeback, a.ssd) = (true, true, true);
                a.count += 3;
            }
            "aof-fsync-always" => {
                a.relax_fsync_policy = true;
                a.count += 1;
            }
            "aof-fstat" | "rdb-unlink-temp-file" => {
                (a.disk_contention, a.local_disk) = (true, true);
                a.count += 2;
            }
            "aof-rewrite-diff-write" | "aof-rename" => {
                (a.write_load_info, a.data_writeback, a.ssd, a.local_disk) =
                    (true, true, true, true);
                a.count += 4;
            }
            "expire-cycle" => {
                (a.hz, a.large_objects) = (true, true);
                a.count += 2;
            }
            "eviction-del" => {
                a.large_objects = true;
                a.count += 1;
            }
            "eviction-cycle" => {
                a.mass_eviction = true;
                a.count += 1;
            }
            _ => {}
        }
        out.push('\n');
    }
    let events = m.events.len();
    if events == 0 && a.count == 0 {
        out.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return out;
    }
    if a.count == 0 {
        out.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return out;
    }
    out.push_str("\nI have a few advices for you:\n\n");
    let slower = threshold_ms.max(0) as u64 * 1000;
    if a.slowlog_enabled {
        let _ = writeln!(out, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {slower}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.");
    }
    if a.slowlog_tuning {
        let _ = writeln!(out, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {slower}'.");
    }
    if a.slowlog_inspect {
        out.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if a.scheduler {
        out.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if a.local_disk {
        out.push_str("- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n");
    }
    if a.ssd {
        out.push_str("- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n");
    }
    if a.data_writeback {
        out.push_str("- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n");
    }
    if a.disk_contention {
        out.push_str("- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n");
    }
    if a.no_appendfsync {
        out.push_str("- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n");
    }
    if a.relax_fsync_policy && cfg.appendfsync_always {
        out.push_str("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n");
    }
    if a.write_load_info {
        out.push_str("- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n");
    }
    if a.hz && cfg.hz < 100 {
        out.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
    }
    if a.large_objects {
        out.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    if a.mass_eviction {
        out.push_str("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advice() -> Advice {
        Advice {
            slowlog_log_slower_than: 10000,
            hz: 10,
            appendfsync_always: false,
        }
    }

    #[test]
    fn disabled_quiet_and_spiky_reports() {
        let mut m = LatencyMonitor::default();
        assert!(m.doctor(0, 100, &advice()).starts_with("I'm sorry, Dave"));
        assert!(m
            .doctor(100, 100, &advice())
            .starts_with("Dave, no latency spike"));
        m.add("command", 300, 90);
        m.add("command", 500, 95);
        let r = m.doctor(100, 100, &advice());
        assert!(r.contains("1. command: 2 latency spikes (average 400ms, mean deviation 100ms, period 5.00 sec). Worst all time event 500ms.\n"), "{r}");
        assert!(r.contains("\nI have a few advices for you:\n\n- Check your Slow Log"));
    }
}
