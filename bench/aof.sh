#!/usr/bin/env bash
# The AOF, Debian's redis-server 7.0.15 beside ours, in the same run:
#   - redis-benchmark SET with appendonly yes, appendfsync everysec and always;
#   - BGREWRITEAOF of 1M keys (DEBUG POPULATE): the time from the command to
#     aof_rewrite_in_progress:0, and the worst PING latency seen meanwhile by
#     a client pinging in a loop.
# Prints one table: test | real | ours | ratio, >= 1.0 where ours is as good
# or better (ours/real for requests per second, real/ours for times).
# The SET rows are the median of ROUNDS rounds, real and ours taking turns
# (the disk's speed drifts: each round compares both under the same
# conditions), with -P 1 and -P PIPELINE; the "CPU us/request" rows are
# each server's CPU time over the run (all its threads, from
# /proc/PID/task/*/schedstat), divided by the requests. A run is N
# requests, 20x N pipelined, a fifth of that under `always` (a few seconds
# each).
#
#   bench/aof.sh        (OURS=path uses that binary; N, C, KEYS, ROUNDS,
#                        PIPELINE tune it)
# Timings are printed, never asserted: the machine may be shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
C=${C:-50}
KEYS=${KEYS:-1000000}
ROUNDS=${ROUNDS:-5}
PIPELINE=${PIPELINE:-16}

for tool in redis-server redis-benchmark redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (make deps installs it)" >&2; exit 1; }
done
if [ -z "${OURS:-}" ]; then
    cargo build --release --quiet
    OURS=./target/release/sentinel-lab
fi

# BASE_PORT=n: servers on n, n+1, ... (a range of one's own on a shared machine).
NEXT_PORT=${BASE_PORT:-}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
    for _ in $(seq 1 200); do
        [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ] && return 0
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2; return 1
}

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
PORT=
trap cleanup EXIT

# start KIND POLICY: sets PORT and PID (no subshell, so PIDS keeps the pid for cleanup)
start() {
    local kind=$1 policy=$2 port dir
    if [ -n "$NEXT_PORT" ]; then port=$NEXT_PORT; NEXT_PORT=$((NEXT_PORT + 1)); else port=$(free_port); fi
    dir="$WORK/$kind-$policy"; mkdir -p "$dir"
    local args=(--port "$port" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync "$policy"
                --auto-aof-rewrite-percentage 0 --enable-debug-command yes --dir "$dir")
    if [ "$kind" = real ]; then redis-server "${args[@]}" >"$dir/log" 2>&1 &
    else "$OURS" server "${args[@]}" >"$dir/log" 2>&1 & fi
    PID=$!
    PIDS+=("$PID")
    wait_ready "$port" || { tail -5 "$dir/log" >&2; return 1; }
    PORT=$port
}

# The CPU time (ns) PID's threads have used so far (schedstat's run time:
# finer than /proc/PID/stat's clock ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f\n", t }'; }

# set_run PORT PID PIPELINE REQUESTS -> "rps cpu_us_per_request"
set_run() {
    local before after rps
    before=$(cpu_ns "$2")
    rps=$(redis-benchmark -p "$1" -q -n "$4" -c "$C" -P "$3" -t set 2>/dev/null | tr '\r' '\n' \
        | awk -F': ' '/requests per second/ { split($2, a, " "); print a[1] }' | tail -1)
    after=$(cpu_ns "$2")
    echo "$rps $(python3 -c "import sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e3 / int(sys.argv[3])))" "$before" "$after" "$4")"
}

median() { python3 -c "import statistics, sys; print('%.2f' % statistics.median(map(float, sys.argv[1:])))" "$@"; }

# rewrite PORT -> "seconds worst_ping_ms"
rewrite() {
    redis-cli -p "$1" debug populate "$KEYS" >/dev/null
    python3 - "$1" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); return s
def call(s, *args):
    s.sendall(("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)).encode())
    buf = b""
    while not buf.endswith(b"\r\n") or (buf.startswith(b"$") and buf.count(b"\r\n") < 2):
        buf += s.recv(1 << 20)
    return buf
ctl, ping = conn(), conn()
start = time.monotonic()
call(ctl, "BGREWRITEAOF")
worst = 0.0
while True:
    t = time.monotonic(); call(ping, "PING"); worst = max(worst, time.monotonic() - t)
    if b"aof_rewrite_in_progress:0" in call(ctl, "INFO", "persistence"):
        break
print("%.3f %.1f" % (time.monotonic() - start, worst * 1000))
PY
}

declare -A R O
for policy in everysec always; do
    start real "$policy"; rp=$PORT; rpid=$PID
    start ours "$policy"; op=$PORT; opid=$PID
    for p in 1 "$PIPELINE"; do
        n=$N
        [ "$p" = 1 ] || n=$((n * 20))
        [ "$policy" = always ] && n=$((n / 5))
        rr=(); rc=(); orr=(); oc=()
        for round in $(seq 1 "$ROUNDS"); do
            # Who goes first alternates: neither always gets the fresher disk.
            if [ $((round % 2)) = 1 ]; then
                read -r a b < <(set_run "$rp" "$rpid" "$p" "$n"); read -r c d < <(set_run "$op" "$opid" "$p" "$n")
            else
                read -r c d < <(set_run "$op" "$opid" "$p" "$n"); read -r a b < <(set_run "$rp" "$rpid" "$p" "$n")
            fi
            rr+=("$a"); rc+=("$b"); orr+=("$c"); oc+=("$d")
        done
        R[set-$policy-$p]=$(median "${rr[@]}"); O[set-$policy-$p]=$(median "${orr[@]}")
        R[cpu-$policy-$p]=$(median "${rc[@]}"); O[cpu-$policy-$p]=$(median "${oc[@]}")
    done
    if [ "$policy" = everysec ]; then
        read -r R[rw-secs] R[rw-ping] < <(rewrite "$rp")
        read -r O[rw-secs] O[rw-ping] < <(rewrite "$op")
    fi
    # Each policy's pair alone: the next pair starts on a quiet machine.
    kill "$rpid" "$opid"; wait "$rpid" "$opid" 2>/dev/null || true
done

# ratio: how ours compares, >= 1.0 when ours is as good or better: ours/real
# for a rate, real/ours for a time (a third argument "time").
ratio() { python3 -c "import sys; r, o = float(sys.argv[1]), float(sys.argv[2]); t = sys.argv[3] == 'time'; print('-' if not (r and o) else '%.2f' % ((r / o) if t else (o / r)))" "$1" "$2" "$3"; }
printf '%-40s %12s %12s %8s\n' test real ours ratio
row() { printf '%-40s %12s %12s %8s\n' "$1" "${R[$2]}" "${O[$2]}" "$(ratio "${R[$2]}" "${O[$2]}" "${3:-rate}")"; }
for policy in everysec always; do
    for p in 1 "$PIPELINE"; do
        row "SET rps, $policy, -P $p" "set-$policy-$p"
        row "SET CPU us/request, $policy, -P $p" "cpu-$policy-$p" time
    done
done
row "BGREWRITEAOF $KEYS keys, seconds" rw-secs time
row "worst PING during the rewrite, ms" rw-ping time
