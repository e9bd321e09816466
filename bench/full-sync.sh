#!/usr/bin/env bash
# Full resync of N small keys (default 1,000,000): time from REPLICAOF to a
# replica holding every key, and the RDB bytes sent, for each master/replica
# pairing of Debian's redis-server 7.0.15 and ours, in the same run.
# Then BGSAVE of the same dataset on each: how long the BGSAVE command itself
# blocks (its reply time; Redis forks, we start a copy-on-write snapshot),
# the worst PING latency while the save runs, and the time to the end.
#
#   bench/full-sync.sh [keys]
set -euo pipefail
KEYS=${1:-1000000}
cd "$(dirname "$0")/.."
cargo build --release -q
OURS=$PWD/target/release/sentinel-lab
REAL=$(command -v redis-server)
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # kind port logfile
  local kind=$1 port=$2 log=$3
  local args=(--port "$port" --bind 127.0.0.1 --save "" --dir "$WORK" --dbfilename "dump-$port.rdb"
              --repl-diskless-sync no --repl-diskless-sync-delay 0 --logfile "$log")
  if [ "$kind" = real ]; then "$REAL" "${args[@]}" & else "$OURS" server "${args[@]}" & fi
  PIDS+=($!)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "could not start $kind on $port" >&2; exit 1
}

# The dataset as one RESP stream, generated once.
DATA=$WORK/data.resp
awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) { k = "key:" i; v = "value:" i;
  printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' > "$DATA"

ms() { date +%s%3N; }

run() { # master-kind replica-kind
  local mk=$1 rk=$2 mp rp
  mp=$(free_port); start "$mk" "$mp" "$WORK/m-$mp.log"
  redis-cli -p "$mp" --pipe < "$DATA" >/dev/null
  rp=$(free_port); start "$rk" "$rp" "$WORK/r-$rp.log"
  local t0 t1
  t0=$(ms)
  redis-cli -p "$rp" replicaof 127.0.0.1 "$mp" >/dev/null
  while true; do
    up=$(redis-cli -p "$rp" info replication | tr -d '\r' | awk -F: '/^master_link_status/ {print $2}')
    n=$(redis-cli -p "$rp" dbsize)
    [ "$up" = up ] && [ "$n" = "$KEYS" ] && break
    sleep 0.02
  done
  t1=$(ms)
  bytes=$(grep -o 'receiving [0-9]* bytes from master' "$WORK/r-$rp.log" | awk '{print $2}' | tail -1)
  printf "| %-6s | %-7s | %9s | %12s |\n" "$mk" "$rk" "$((t1 - t0))" "${bytes:-?}"
  redis-cli -p "$rp" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$mp" shutdown nosave >/dev/null 2>&1 || true
}

echo "Full sync of $KEYS keys (disk-style \$<len> transfer, so the byte count is logged)"
echo
echo "| master | replica | time (ms) | RDB bytes    |"
echo "|--------|---------|-----------|--------------|"
run real real
run ours real
run real ours
run ours ours

# BGSAVE: reply time of the command, worst PING round trip while it runs, total.
bgsave_probe() { # port
  python3 - "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def call(*args):
    req = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    s.sendall(req)
    line = f.readline()
    if line.startswith(b"$"):
        n = int(line[1:])
        body = f.read(n + 2)
        return body[:-2]
    return line.strip()
t0 = time.perf_counter()
r = call(b"BGSAVE")
t1 = time.perf_counter()
assert r.startswith(b"+Background saving started"), r
worst = 0.0
pings = 0
while True:
    a = time.perf_counter()
    call(b"PING")
    worst = max(worst, time.perf_counter() - a)
    pings += 1
    if pings % 20 == 0 and b"rdb_bgsave_in_progress:0" in call(b"INFO", b"persistence"):
        break
t2 = time.perf_counter()
print("%.1f %.1f %d %d" % ((t1 - t0) * 1000, worst * 1000, (t2 - t0) * 1000, pings))
PY
}

bgsave_run() { # kind
  local kind=$1 p
  p=$(free_port); start "$kind" "$p" "$WORK/b-$p.log"
  redis-cli -p "$p" --pipe < "$DATA" >/dev/null
  read -r reply worst total pings < <(bgsave_probe "$p")
  printf "| %-6s | %17s | %15s | %10s | %5s |\n" "$kind" "$reply" "$worst" "$total" "$pings"
  redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
}

echo
echo "BGSAVE of $KEYS keys"
echo
echo "| server | BGSAVE reply (ms) | worst PING (ms) | total (ms) | PINGs |"
echo "|--------|-------------------|-----------------|------------|-------|"
bgsave_run real
bgsave_run ours
