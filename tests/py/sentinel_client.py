#!/usr/bin/env python3
"""A redis-py client that finds `mymaster` through Sentinel and writes in a
loop through a failover.

    sentinel_client.py [--timeout SECS] SENTINEL_PORT...

Prints, one line each, flushed:
    READY <master-port>               after the first successful write
    DOWN <unix-ms>                    at the first failed write
    NEW-MASTER <port> <unix-ms> <n>   at the first successful write after a
                                      failure (n = failed attempts), then exits 0
    TIMEOUT ...                       no new master within the timeout, exit 1
Used by tests/sentinel_clients.rs and bench/failover.sh (which kills the
master itself and reads the timestamps).
"""
import sys
import time

try:
    import redis
    from redis.sentinel import Sentinel
except ImportError as e:  # the Rust test turns this into a failure
    print(f"IMPORT-ERROR redis-py is not installed ({e}): run `make deps` or `pip install redis`",
          flush=True)
    sys.exit(3)


def now_ms():
    return int(time.time() * 1000)


def main(argv):
    timeout = 60.0
    if len(argv) > 1 and argv[0] == "--timeout":
        timeout = float(argv[1])
        argv = argv[2:]
    sentinels = [("127.0.0.1", int(p)) for p in argv]
    sentinel = Sentinel(sentinels, socket_timeout=0.5, socket_connect_timeout=0.5)
    master = sentinel.master_for("mymaster", socket_timeout=0.5, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    i = 0
    ready = False
    failures = 0
    while time.monotonic() < deadline:
        i += 1
        try:
            master.set(f"py:{i}", i)
        except redis.exceptions.RedisError:
            if ready:
                if failures == 0:
                    print(f"DOWN {now_ms()}", flush=True)
                failures += 1
            time.sleep(0.01)
            continue
        t = now_ms()
        if not ready:
            ready = True
            host, port = sentinel.discover_master("mymaster")
            print(f"READY {port}", flush=True)
        elif failures > 0:
            host, port = sentinel.discover_master("mymaster")
            print(f"NEW-MASTER {port} {t} {failures}", flush=True)
            if int(master.get(f"py:{i}") or 0) != i:
                print("LOST the write just made", flush=True)
                return 1
            return 0
        time.sleep(0.005)
    print(f"TIMEOUT ready={ready} failures={failures}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
