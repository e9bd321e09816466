#!/usr/bin/env python3
"""Redis 7.0.15's own test suites with our binary in Redis's seat.

Fetches the suites from Debian's source package `redis` (cached under
target/conformance, offline afterwards), makes one copy of the tree per
implementation with `src/redis-server` / `src/redis-sentinel` pointing at the
binary under test, runs `runtest` one unit at a time (a unit that aborts
cannot hide the rest) and `runtest-sentinel`, and prints one table: checks
passed / failed / skipped per test file, ours beside real Redis's.

    tests/conformance/run.py                  # ours, every unit
    tests/conformance/run.py --with-real      # ours and Debian's redis-server
    tests/conformance/run.py --set ci         # the subset `make test` runs
    tests/conformance/run.py unit/keyspace unit/type/incr sentinel
    tests/conformance/run.py --write tests/conformance/RESULTS.md
"""

import argparse
import concurrent.futures
import datetime
import fcntl
import glob
import os
import queue
import re
import shutil
import subprocess
import sys
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, "target", "conformance")
VERSION = "7.0.15"
ORIG = f"redis_{VERSION}.orig.tar.gz"

# Units that need a cluster-mode server, modules or a TLS build: out of scope.
EXCLUDED = {
    "unit/cluster",
    "unit/cluster-scripting",
    "unit/cluster/misc",
    "unit/cluster/links",
    "unit/tls",
    "unit/printver",
}

# What `make test` runs: the families we implement and whose units finish in
# seconds on real Redis, so CI stays well under its time budget. The full
# selection is `make conformance`.
CI_SET = [
    "unit/auth",
    "unit/keyspace",
    "unit/scan",
    "unit/type/incr",
    "unit/pubsub",
    "unit/bitops",
    "unit/bitfield",
    "unit/geo",
    "unit/sort",
    "unit/dump",
    "unit/type/zset",
    "unit/type/set",
    "unit/type/list",
    "unit/type/string",
    "unit/type/hash",
    "unit/type/list-3",
    "unit/quit",
    "unit/type/stream",
    "unit/type/stream-cgroups",
    "unit/acl",
    "unit/acl-v2",
    "unit/pubsubshard",
    "unit/tracking",
    "unit/pause",
    "unit/info",
    "unit/multi",
    "unit/latency-monitor",
    "unit/introspection-2",
    "unit/functions",
    "unit/scripting",
    "unit/memefficiency",
    "integration/aof",
    "integration/aof-multi-part",
    "integration/failover",
    "integration/logging",
    "integration/psync2",
    "integration/psync2-pingoff",
    "integration/psync2-master-restart",
    "integration/replication-4",
    "unit/networking",
    "unit/aofrw",
    "unit/introspection",
    "unit/other",
    "unit/lazyfree",
    "unit/oom-score-adj",
    "integration/replication-buffer",
    "unit/shutdown",
    "integration/shutdown",
    "integration/corrupt-dump",
    "unit/client-eviction",
    "unit/replybufsize",
    "unit/obuf-limits",
    "sentinel",
]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RESULT = re.compile(r"^\[(ok|err|skip|ignore|exception|TIMEOUT)\]:?\s*(.*)$")
SENTINEL_TEST = re.compile(r"^\d\d:\d\d:\d\d> (.*): (OK|FAILED: .*)$")
SENTINEL_UNIT = re.compile(r"^Testing unit: (\S+)")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def deb_src_entry():
    """Adds a deb-src entry for the suites the system already uses, if none exists."""
    src = "/etc/apt/sources.list.d/debian.sources"
    dst = "/etc/apt/sources.list.d/sentinel-lab-deb-src.sources"
    existing = subprocess.run(
        "grep -rqs '^Types:.*deb-src\\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/",
        shell=True,
    )
    if existing.returncode == 0:
        return
    if not os.path.exists(src):
        sys.exit("no deb-src entry and no /etc/apt/sources.list.d/debian.sources to derive one from")
    text = open(src).read().replace("Types: deb\n", "Types: deb-src\n")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["tee", dst], input=text.encode(), stdout=subprocess.DEVNULL, check=True)
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)


def fetch_suite():
    """target/conformance/redis-7.0.15: the pristine upstream tree of Debian's source package."""
    tree = os.path.join(CACHE, f"redis-{VERSION}")
    if os.path.isdir(os.path.join(tree, "tests")):
        return tree
    dl = os.path.join(CACHE, "dl")
    os.makedirs(dl, exist_ok=True)
    if not os.path.exists(os.path.join(dl, ORIG)):
        log("fetching Debian's source package redis (the 7.0.15 test suites)")
        deb_src_entry()
        subprocess.run(["apt-get", "source", "--download-only", "redis"], cwd=dl, check=True,
                       stdout=subprocess.DEVNULL)
        if not os.path.exists(os.path.join(dl, ORIG)):
            got = ", ".join(os.listdir(dl))
            sys.exit(f"Debian's source package is not redis {VERSION} (downloaded: {got})")
    with tarfile.open(os.path.join(dl, ORIG)) as t:
        t.extractall(CACHE, filter="data")
    return tree


def which(name):
    path = shutil.which(name)
    if not path:
        sys.exit(f"{name} not found: `make deps` installs Debian's redis-server, redis-sentinel, redis-tools")
    return path


def wire(tree, impl, slot, ours):
    """A copy of the suite for one implementation and job slot (the harness
    empties its tests/tmp at start, so two runs never share a tree), with
    the implementation's binaries under src/."""
    work = os.path.join(CACHE, f"{impl}-{slot}")
    if not os.path.isdir(work):
        shutil.copytree(tree, work, symlinks=True)
    srcdir = os.path.join(work, "src")
    os.makedirs(srcdir, exist_ok=True)
    if impl == "ours":
        # Invoked as redis-server / redis-sentinel, the binary takes their roles.
        server = sentinel = ours
    else:
        server, sentinel = which("redis-server"), which("redis-sentinel")
    links = {
        "redis-server": server,
        "redis-sentinel": sentinel,
        "redis-cli": which("redis-cli"),
        "redis-benchmark": which("redis-benchmark"),
        "redis-check-aof": which("redis-check-aof"),
        "redis-check-rdb": which("redis-check-rdb"),
    }
    for name, target in links.items():
        link = os.path.join(srcdir, name)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(target, link)
    return work


def all_units(tree):
    text = open(os.path.join(tree, "tests", "test_helper.tcl")).read()
    block = re.search(r"set ::all_tests \{(.*?)\}", text, re.S).group(1)
    return [u for u in block.split() if u not in EXCLUDED] + ["sentinel"]


class Tally:
    def __init__(self):
        self.ok = self.err = self.skip = 0
        self.aborted = ""
        self.failures = []
        self.seconds = 0.0

    def cell(self):
        s = f"{self.ok} / {self.err} / {self.skip}"
        return s + (f" ({self.aborted})" if self.aborted else "")


def run_unit(work, unit, slot, limit, base_port=21111):
    """One unit through runtest: its own port range, its own time limit."""
    t = Tally()
    start = time.time()
    if unit == "sentinel":
        # Its instances use fixed ports: one sentinel suite on the machine at a time.
        lock = open("/tmp/sentinel-lab-sentinel-suite.lock", "w")
        fcntl.flock(lock, fcntl.LOCK_EX)
        cmd = ["tclsh", "tests/sentinel/run.tcl"]
    else:
        cmd = ["tclsh", "tests/test_helper.tcl", "--single", unit, "--clients", "1",
               "--timeout", "120", "--baseport", str(base_port + slot * 1000), "--portcount", "900"]
    impl = os.path.basename(work).split("-")[0]
    out_path = os.path.join(CACHE, "logs", impl, unit.replace("/", "_") + ".log")
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as out:
        try:
            proc = subprocess.Popen(cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            t.aborted = f"time limit {limit}s"
    kill_leftovers(work)
    text = ANSI.sub("", open(out_path, errors="replace").read())
    for line in text.splitlines():
        m = RESULT.match(line)
        if m:
            kind, name = m.groups()
            if kind == "ok":
                t.ok += 1
            elif kind == "err":
                t.err += 1
                t.failures.append(name)
            elif kind in ("skip", "ignore"):
                t.skip += 1
            elif kind in ("exception", "TIMEOUT"):
                t.aborted = t.aborted or kind
            continue
        m = SENTINEL_TEST.match(line)
        if m and unit == "sentinel":
            if m.group(2) == "OK":
                t.ok += 1
            else:
                t.err += 1
                t.failures.append(m.group(1))
    if unit != "sentinel" and not t.aborted and "All tests passed" not in text \
            and "The following tests failed" not in text:
        t.aborted = "ended early"
    if unit == "sentinel" and proc.returncode not in (0, None) and not t.aborted:
        t.aborted = "ended early"
    t.seconds = time.time() - start
    return t


def kill_leftovers(work):
    """Servers a killed harness left running from this tree."""
    subprocess.run(["pkill", "-9", "-f", f"{work}/"], stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("units", nargs="*", help="units (unit/keyspace, integration/rdb, sentinel); default: all")
    ap.add_argument("--set", choices=["all", "ci"], default="all")
    ap.add_argument("--with-real", action="store_true", help="also run Debian's binaries through the same harness")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "sentinel-lab"))
    ap.add_argument("--jobs", type=int, default=2, help="units run at the same time")
    ap.add_argument("--limit", type=int, default=600, help="seconds a unit may take")
    ap.add_argument("--base-port", type=int, default=21111,
                    help="first port of the servers' range; runs side by side need different ones")
    ap.add_argument("--real-from", metavar="RESULTS_MD",
                    help="take real's column from an earlier table instead of running Debian's binaries again "
                         "(real Redis does not change between runs)")
    ap.add_argument("--write", help="also write the table (markdown, dated) to this file")
    ap.add_argument("--expect", help="a file of `<unit> <checks>` lines: fail if ours passes fewer in any unit")
    ap.add_argument("--min-ratio", type=float, default=0.0,
                    help="fail unless ours passes this share of the checks real passes (needs --with-real)")
    args = ap.parse_args()

    which("tclsh")
    tree = fetch_suite()
    units = args.units or (CI_SET if args.set == "ci" else all_units(tree))
    impls = ["ours"] + (["real"] if args.with_real else [])
    earlier_real = read_real_column(args.real_from) if args.real_from else {}
    binary = os.path.abspath(args.binary)
    if "ours" in impls and not os.path.exists(binary):
        sys.exit(f"{binary} not found: cargo build --release")
    works = {(i, n): wire(tree, i, n, binary) for i in impls for n in range(args.jobs)}

    slots = queue.Queue()
    for n in range(args.jobs):
        slots.put(n)

    def job(impl, unit):
        slot = slots.get()
        try:
            t = run_unit(works[(impl, slot)], unit, slot, args.limit, args.base_port)
        finally:
            slots.put(slot)
        log(f"{impl:4} {unit:40} {t.cell():24} {t.seconds:6.0f}s")
        return t

    results = {}
    units_first = [u for u in units if u != "sentinel"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(job, i, u): (i, u) for u in units_first for i in impls}
        for f in concurrent.futures.as_completed(futures):
            results[futures[f]] = f.result()
    # Sentinel instances use fixed ports: each run alone, after the rest.
    if "sentinel" in units:
        for i in impls:
            results[(i, "sentinel")] = job(i, "sentinel")

    if earlier_real and not args.with_real:
        impls.append("real")
        for u in units:
            results[("real", u)] = earlier_real.get(u, Tally())
    table = render(units, impls, results)
    print(table)
    if args.write:
        stamp = datetime.date.today().isoformat()
        with open(args.write, "w") as f:
            f.write(f"# Redis {VERSION}'s own suites, ours beside real\n\n"
                    f"Run on {stamp} by `tests/conformance/run.py"
                    f"{' --with-real' if args.with_real else ''}"
                    f"{' --real-from ' + args.real_from if args.real_from else ''}`; "
                    f"cells are passed / failed / skipped.\n\n")
            f.write(table + "\n")
    if args.with_real and args.min_ratio:
        ours = sum(results[("ours", u)].ok for u in units)
        real = sum(results[("real", u)].ok for u in units)
        if real and ours / real < args.min_ratio:
            sys.exit(f"ours passes {ours} of the {real} checks real passes, under {args.min_ratio:.0%}")
    if args.expect:
        expected = {}
        for line in open(args.expect):
            line = line.split("#")[0].split()
            if len(line) == 2 and line[0] in units:
                expected[line[0]] = int(line[1])
        short = []
        for unit, want in expected.items():
            got = results[("ours", unit)].ok
            if got < want:
                # Redis's suites have timing-sensitive checks and CI machines are
                # shared: a unit under its baseline gets one more run, alone.
                log(f"{unit}: {got} checks passed, {want} expected; running it once more")
                got = max(got, job("ours", unit).ok)
            if got < want:
                short.append(f"{unit}: {got} checks passed, {want} expected")
        if short:
            sys.exit("conformance regressed:\n  " + "\n  ".join(short))


def read_real_column(path):
    """Real's cells of a table this script wrote: {unit: Tally}."""
    cells = {}
    for line in open(path):
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if len(parts) == 3 and "/" in parts[2] and not parts[0].startswith("**"):
            m = re.match(r"(\d+) / (\d+) / (\d+)", parts[2])
            if m:
                t = Tally()
                t.ok, t.err, t.skip = map(int, m.groups())
                cells[parts[0]] = t
    return cells


def render(units, impls, results):
    head = "| test file | ours: passed / failed / skipped |" + (" real |" if "real" in impls else "")
    rule = "|---|---|" + ("---|" if "real" in impls else "")
    rows = [head, rule]
    totals = {i: Tally() for i in impls}
    for u in units:
        cells = []
        for i in impls:
            t = results[(i, u)]
            cells.append(t.cell())
            totals[i].ok += t.ok
            totals[i].err += t.err
            totals[i].skip += t.skip
        rows.append(f"| {u} | " + " | ".join(cells) + " |")
    rows.append("| **total** | " + " | ".join(totals[i].cell() for i in impls) + " |")
    if "real" in impls and totals["real"].ok:
        rows.append(f"\nours passes {totals['ours'].ok} checks; real passes {totals['real'].ok} "
                    f"({totals['ours'].ok / totals['real'].ok:.1%}).")
    failed = [(u, n) for u in units for n in results[("ours", u)].failures]
    if failed:
        rows.append("\nFailed checks (ours):\n")
        rows += [f"- {u}: {n}" for u, n in failed]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
