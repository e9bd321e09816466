#!/usr/bin/env bash
# Memory footprint and eviction latency, Debian's redis-server 7.0.15 beside ours.
#
#   bench/memory.sh
#
# For each dataset a fresh server of each kind is loaded through redis-cli
# --pipe; the table shows the RSS growth (MB), its bytes per key and the
# ratio ours/real, then INFO's used_memory growth. Last, the worst SET
# latency of redis-benchmark while allkeys-lru evicts under a small maxmemory.
# Tunables (environment): STRINGS (1000000), KEYS (100000), EVICT_N (300000; 0: skip),
# DATASETS ("strings hashes lists sets zsets"), OURS (binary; default: release build).
# Figures are printed, never asserted: the machine may be shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."

STRINGS=${STRINGS:-1000000}
KEYS=${KEYS:-100000}
EVICT_N=${EVICT_N:-300000}

for tool in redis-server redis-benchmark redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

# OURS=path/to/sentinel-lab skips the build (e.g. a faster non-LTO binary).
if [ -z "${OURS:-}" ]; then
    cargo build --release --quiet --bin sentinel-lab
    OURS=./target/release/sentinel-lab
fi

free_port() {
    local p
    while :; do
        p=$(( (RANDOM % 30000) + 20000 ))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

wait_ready() {
    for _ in $(seq 1 100); do
        kill -0 "$PID" 2>/dev/null || return 1
        if [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ]; then return 0; fi
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2
    return 1
}

PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

# start KIND: a server without persistence on a free port, left in $PORT
# (another port is tried if one is taken meanwhile).
start() {
    for _ in 1 2 3 4 5; do
        PORT=$(free_port)
        if [ "$1" = real ]; then
            redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
        else
            "$OURS" server --port "$PORT" --save "" >/dev/null 2>&1 &
        fi
        PID=$!
        if wait_ready "$PORT" 2>/dev/null; then return 0; fi
        kill "$PID" 2>/dev/null || true
    done
    echo "could not start $1" >&2
    return 1
}

stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
used() { redis-cli -p "$1" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }

# The commands of a dataset, as RESP for redis-cli --pipe.
gen() {
    python3 - "$1" "$STRINGS" "$KEYS" <<'EOF'
import sys
kind, strings, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
def cmd(*a):
    b = [b"*%d\r\n" % len(a)]
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        b.append(b"$%d\r\n%s\r\n" % (len(x), x))
    return b"".join(b)
buf = []
def emit(c):
    buf.append(c)
    if len(buf) >= 10000:
        out.write(b"".join(buf)); buf.clear()
if kind == "strings":
    for i in range(strings):
        emit(cmd("SET", "key:%d" % i, "val:%d" % i))
elif kind == "hashes":
    for i in range(keys):
        a = ["HSET", "h:%d" % i]
        for j in range(10):
            a += ["field%d" % j, "value%d" % j]
        emit(cmd(*a))
elif kind == "lists":
    for i in range(keys):
        emit(cmd("RPUSH", "l:%d" % i, *["elem%d" % j for j in range(10)]))
elif kind == "sets":
    for i in range(keys):
        emit(cmd("SADD", "s:%d" % i, *[str(j * 7) for j in range(10)]))
elif kind == "zsets":
    for i in range(keys):
        a = ["ZADD", "z:%d" % i]
        for j in range(10):
            a += [str(j), "member%d" % j]
        emit(cmd(*a))
out.write(b"".join(buf))
EOF
}

TMP=$(mktemp -d)
printf "%-22s | %10s %10s | %9s %9s | %6s | %12s %12s\n" \
    dataset "real MB" "ours MB" "real B/k" "ours B/k" ratio "real used" "ours used"
for ds in ${DATASETS:-strings hashes lists sets zsets}; do
    gen "$ds" > "$TMP/$ds.resp"
    n=$KEYS
    [ "$ds" = strings ] && n=$STRINGS
    declare -A rss usedb
    for kind in real ours; do
        start "$kind"
        port=$PORT
        before=$(rss_kb); ubefore=$(used "$port")
        redis-cli -p "$port" --pipe < "$TMP/$ds.resp" >/dev/null
        after=$(rss_kb); uafter=$(used "$port")
        rss[$kind]=$(( (after - before) * 1024 ))
        usedb[$kind]=$(( uafter - ubefore ))
        stop
    done
    printf "%-22s | %10.1f %10.1f | %9d %9d | %6.2f | %12d %12d\n" "$ds ($n)" \
        "$(echo "${rss[real]} / 1048576" | bc -l)" "$(echo "${rss[ours]} / 1048576" | bc -l)" \
        $(( rss[real] / n )) $(( rss[ours] / n )) \
        "$(echo "${rss[ours]} / ${rss[real]}" | bc -l)" "${usedb[real]}" "${usedb[ours]}"
done
rm -rf "$TMP"

[ "$EVICT_N" = 0 ] && exit 0
echo
echo "SET latency while allkeys-lru evicts (maxmemory 20mb, $EVICT_N writes of 100 bytes, random keys):"
printf "%-6s | %10s | %10s | %10s | %12s\n" kind rps p99_ms max_ms evicted_keys
for kind in real ours; do
    start "$kind"
    port=$PORT
    redis-cli -p "$port" config set maxmemory 20mb >/dev/null
    redis-cli -p "$port" config set maxmemory-policy allkeys-lru >/dev/null
    line=$(redis-benchmark -p "$port" -t set -n "$EVICT_N" -r 10000000 -d 100 -c 50 --csv -q | tail -1)
    evicted=$(redis-cli -p "$port" info stats | awk -F: '/^evicted_keys:/ {print $2+0}')
    echo "$line" | tr -d '"' | awk -F, -v k="$kind" -v e="$evicted" \
        '{printf "%-6s | %10s | %10s | %10s | %12s\n", k, $2, $7, $8, e}'
    stop
done
