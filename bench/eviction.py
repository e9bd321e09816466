#!/usr/bin/env python3
"""Eviction under maxmemory, Debian's redis-server 7.0.15 beside ours.

    python3 bench/eviction.py [--ours PATH] [--keys N] [--writes N] [--reads N]

Two tables, each server kind in the same run:

1. Writers. For each policy a fresh server is loaded with KEYS keys of 100
   bytes (with a TTL for the volatile-* policies), then `maxmemory` is set
   to half of what the data took (used_memory growth, each server by its
   own count) and one client writes WRITES new keys one at a time. The
   table gives the writes refused (the writer must keep going: 0), the keys
   evicted, and the p99 and worst latency of a write (ms, client side),
   each the median of REPEAT runs (one worst write is mostly the machine's
   noise: the median of a few is what the server does).
2. Hit rate. Under allkeys-lru and allkeys-lfu all KEYS keys are loaded,
   maxmemory is set to half of what they took, and a reader asks for keys
   of a Zipf distribution (s = 1) over them, 100 at a time, and sets those
   it missed (a cache filling itself). The hit rate is measured over the
   second half of READS reads.

Figures are printed, never asserted: the machine may be shared and noisy.
Without --ours, `cargo build --release` is run and its binary used.
"""

import argparse
import bisect
import os
import random
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = [
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
]
VALUE = b"v" * 100


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A minimal RESP client: enough replies parsed to count and time them."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2 :]
        return data

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b":"):
            return rest
        if t == b"-":
            return Exception(rest.decode())
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError("unexpected reply %r" % line)

    def call(self, *args):
        self.s.sendall(encode(*args))
        return self.reply()

    def pipeline(self, cmds):
        self.s.sendall(b"".join(encode(*c) for c in cmds))
        return [self.reply() for _ in cmds]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kind, ours):
    for _ in range(5):
        port = free_port()
        if kind == "real":
            argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
            argv += ["--save", "", "--appendonly", "no"]
        else:
            argv = [ours, "server", "--port", str(port), "--save", ""]
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if p.poll() is not None:
                break
            try:
                c = Conn(port)
                if c.call("PING") == b"PONG":
                    return p, c
            except OSError:
                time.sleep(0.05)
        p.kill()
        p.wait()
    sys.exit("could not start %s" % kind)


def stop(p):
    p.terminate()
    p.wait()


def info(c, field):
    text = c.call("INFO", "all").decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise KeyError(field)


def load(c, n, ttl):
    """Keys key:0 .. key:n-1 of 100 bytes (with a TTL if asked), pipelined."""
    for lo in range(0, n, 1000):
        cmds = []
        for i in range(lo, min(n, lo + 1000)):
            if ttl:
                # Distinct TTLs so that volatile-ttl has an order to follow.
                cmds.append(("SET", "key:%d" % i, VALUE, "EX", 100000 + i))
            else:
                cmds.append(("SET", "key:%d" % i, VALUE))
        c.pipeline(cmds)


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def writer_run(kind, ours, policy, keys, writes):
    p, c = start(kind, ours)
    try:
        base = info(c, "used_memory")
        volatile = policy.startswith("volatile")
        load(c, keys, volatile)
        data = info(c, "used_memory") - base
        c.call("CONFIG", "SET", "maxmemory-policy", policy)
        c.call("CONFIG", "SET", "maxmemory", base + data // 2)
        lat, refused = [], 0
        for i in range(writes):
            args = ["SET", "new:%d" % i, VALUE]
            if volatile:
                args += ["EX", 100000 + keys + i]
            t0 = time.perf_counter()
            r = c.call(*args)
            lat.append(time.perf_counter() - t0)
            if isinstance(r, Exception):
                refused += 1
        evicted = info(c, "evicted_keys")
        lat.sort()
        return refused, evicted, percentile(lat, 0.99) * 1e3, lat[-1] * 1e3
    finally:
        stop(p)


class Zipf:
    """Ranks 0..n-1 with probability proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n, s, rng):
        self.cdf, total = [], 0.0
        for i in range(n):
            total += 1.0 / (i + 1) ** s
            self.cdf.append(total)
        self.total, self.rng = total, rng

    def draw(self):
        return bisect.bisect_left(self.cdf, self.rng.random() * self.total)


def hit_rate_run(kind, ours, policy, keys, reads):
    p, c = start(kind, ours)
    try:
        base = info(c, "used_memory")
        load(c, keys, False)
        data = info(c, "used_memory") - base
        c.call("CONFIG", "SET", "maxmemory-policy", policy)
        c.call("CONFIG", "SET", "maxmemory", base + data // 2)
        rng = random.Random(7)
        zipf = Zipf(keys, 1.0, rng)
        # Key names from a shuffled rank so that popular keys are spread
        # over the table, not the first ones loaded.
        names = ["key:%d" % i for i in range(keys)]
        rng.shuffle(names)
        hits = asked = 0
        done = 0
        while done < reads:
            batch = [names[zipf.draw()] for _ in range(100)]
            got = c.pipeline([("GET", k) for k in batch])
            missed = [k for k, v in zip(batch, got) if v is None]
            if missed:
                c.pipeline([("SET", k, VALUE) for k in missed])
            if done >= reads // 2:
                asked += len(batch)
                hits += len(batch) - len(missed)
            done += len(batch)
        return 100.0 * hits / asked, info(c, "evicted_keys")
    finally:
        stop(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", help="our binary (default: cargo build --release)")
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--writes", type=int, default=50_000)
    ap.add_argument("--reads", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--policies", default=",".join(POLICIES))
    args = ap.parse_args()
    ours = args.ours
    if not ours:
        subprocess.run(
            ["cargo", "build", "--release", "--quiet", "--bin", "sentinel-lab"],
            cwd=ROOT,
            check=True,
        )
        ours = os.path.join(ROOT, "target", "release", "sentinel-lab")

    policies = args.policies.split(",")
    print(
        "Writes under maxmemory = half the loaded data (%d keys, %d writes of 100 bytes,"
        " median of %d runs):" % (args.keys, args.writes, args.repeat)
    )
    print(
        "%-16s | %8s %8s | %9s %9s | %8s %8s | %8s %8s | %6s"
        % ("policy", "refused", "refused", "evicted", "evicted", "p99 ms", "p99 ms",
           "max ms", "max ms", "max")
    )
    print(
        "%-16s | %8s %8s | %9s %9s | %8s %8s | %8s %8s | %6s"
        % ("", "real", "ours", "real", "ours", "real", "ours", "real", "ours", "ratio")
    )
    def median_run(kind, policy):
        runs = [writer_run(kind, ours, policy, args.keys, args.writes) for _ in range(args.repeat)]
        return tuple(statistics.median(r[i] for r in runs) for i in range(4))

    for policy in policies:
        r = median_run("real", policy)
        o = median_run("ours", policy)
        print(
            "%-16s | %8d %8d | %9d %9d | %8.2f %8.2f | %8.2f %8.2f | %6.2f"
            % (policy, r[0], o[0], r[1], o[1], r[2], o[2], r[3], o[3], o[3] / r[3])
        )
    print()
    print(
        "Hit rate of a Zipf (s=1) reader over %d keys, maxmemory = half of them, %d reads:"
        % (args.keys, args.reads)
    )
    print("%-16s | %8s %8s | %6s | %9s %9s" % ("policy", "real %", "ours %", "diff",
                                               "evicted", "evicted"))
    for policy in ("allkeys-lru", "allkeys-lfu"):
        if policy not in policies:
            continue
        r = hit_rate_run("real", ours, policy, args.keys, args.reads)
        o = hit_rate_run("ours", ours, policy, args.keys, args.reads)
        print(
            "%-16s | %8.2f %8.2f | %+6.2f | %9d %9d"
            % (policy, r[0], o[0], o[0] - r[0], r[1], o[1])
        )


if __name__ == "__main__":
    main()
