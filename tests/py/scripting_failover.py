#!/usr/bin/env python3
"""Lua-based client code through a failover, finding `mymaster` through
Sentinel: redis-py's `register_script` and `Lock`, and the `limits`
library's moving-window rate limiter (its own Lua scripts). The new master
has never seen the scripts (7.0 does not replicate SCRIPT LOAD), so the
clients get NOSCRIPT there and load them again, as they expect to.

    scripting_failover.py [--timeout SECS] SENTINEL_PORT...

Prints, one line each, flushed:
    READY <master-port>            after a first round of all three
    DOWN <unix-ms>                 at the first failed round
    NEW-MASTER <port> <noscript>   at the first whole round after the failure
                                   (noscript: the new master's NOSCRIPT count), exits 0
    TIMEOUT ...                    no new master within the timeout, exit 1
    FAIL <what>                    a wrong answer, exit 1
"""
import sys
import time

try:
    import redis
    from redis.sentinel import Sentinel
    from limits import RateLimitItemPerMinute
    from limits.storage import RedisSentinelStorage
    from limits.strategies import MovingWindowRateLimiter
except ImportError as e:  # the Rust test turns this into a failure
    print(f"IMPORT-ERROR {e}: run `make deps` (pip install redis limits)", flush=True)
    sys.exit(3)


def now_ms():
    return int(time.time() * 1000)


def main(argv):
    timeout = 60.0
    if len(argv) > 1 and argv[0] == "--timeout":
        timeout = float(argv[1])
        argv = argv[2:]
    sentinels = [("127.0.0.1", int(p)) for p in argv]
    opts = dict(socket_timeout=0.5, socket_connect_timeout=0.5)
    sentinel = Sentinel(sentinels, **opts)
    master = sentinel.master_for("mymaster", **opts)
    incr = master.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    uri = "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for _, p in sentinels)
    storage = RedisSentinelStorage(uri, service_name="mymaster", use_replicas=False,
                                   sentinel_kwargs=opts, **opts)
    limiter = MovingWindowRateLimiter(storage)
    per_minute = RateLimitItemPerMinute(1000000)

    def round_trip(i):
        if incr(keys=["sc:counter"], args=[1]) < 1:
            raise AssertionError("INCRBY through EVALSHA")
        # A lock of its own per round: one taken on the old master just
        # before the kill is still held (replicated) on the new one.
        lock = master.lock(f"sc:lock:{i}", timeout=5, blocking_timeout=1)
        if not lock.acquire():
            raise AssertionError("Lock.acquire")
        if not lock.owned():
            raise AssertionError("Lock.owned")
        lock.release()
        if not limiter.hit(per_minute, "sc", str(i % 4)):
            raise AssertionError("limits moving window hit")
        if limiter.get_window_stats(per_minute, "sc", str(i % 4)).remaining >= 1000000:
            raise AssertionError("limits window stats")

    deadline = time.monotonic() + timeout
    i, ready, failures = 0, False, 0
    while time.monotonic() < deadline:
        i += 1
        try:
            round_trip(i)
        except AssertionError as e:
            print(f"FAIL {e}", flush=True)
            return 1
        except Exception:
            # Connection errors, READONLY from a demoted master, limits'
            # wrapped storage errors: the failover is under way.
            if ready:
                if failures == 0:
                    print(f"DOWN {now_ms()}", flush=True)
                failures += 1
            time.sleep(0.02)
            continue
        if not ready:
            ready = True
            print(f"READY {sentinel.discover_master('mymaster')[1]}", flush=True)
        elif failures > 0:
            port = sentinel.discover_master("mymaster")[1]
            stats = master.info("errorstats")
            noscript = stats.get("errorstat_NOSCRIPT", {}).get("count", 0)
            print(f"NEW-MASTER {port} {noscript}", flush=True)
            return 0
        time.sleep(0.005)
    print(f"TIMEOUT ready={ready} failures={failures}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
