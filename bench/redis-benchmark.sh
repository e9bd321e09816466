#!/usr/bin/env bash
# redis-benchmark against Debian's redis-server and ours, side by side.
#
#   bench/redis-benchmark.sh            (or: make bench)
#
# Builds our server in release mode, starts it and redis-server 7.0.15 on free
# loopback ports, runs the same redis-benchmark invocations against both, and
# prints one table: test | real rps | ours rps | ratio (ours/real).
# Tunables (environment): N (requests, 100000), C (clients, 50),
# TESTS (set,get,incr,lpush,lpop,hset,zadd; "all": the 19 tests set,get,incr,
# lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,
# lrange_500,lrange_600,mset,ping_inline,ping_mbulk), PIPELINES ("1 16"), OURS (the binary; default: a release build),
# CPU (1: each test, stream and family rows included, runs alone and the
# table adds each server's CPU time per request, user+sys from `perf stat -e
# task-clock`, and its ratio: steadier than requests per second on a shared
# machine; 0: off),
# STREAMS (1: also XADD, XREAD, XREADGROUP and XACK through redis-benchmark's
# arbitrary-command form, on a stream pre-filled with N entries; 0: skip),
# FAMILIES (1: also PFADD, PFCOUNT over 10 keys, SETBIT, BITCOUNT, GEOADD,
# GEOSEARCH, EVAL of an INCR and EVALSHA of a 10-command script; 0: skip),
# FAMILY_ROWS (a bash regex: only the family rows whose name matches, e.g.
# FAMILY_ROWS=EVAL TESTS=ping_inline STREAMS=0 for the scripting rows),
# D (the value size in bytes of the TESTS rows, redis-benchmark's -d: 3).
# Timings are printed, never asserted: the machine may be shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
C=${C:-50}
TESTS=${TESTS:-set,get,incr,lpush,lpop,hset,zadd}
[ "$TESTS" = all ] && TESTS=set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset,ping_inline,ping_mbulk
CPU=${CPU:-0}
PIPELINES=${PIPELINES:-"1 16"}
STREAMS=${STREAMS:-1}
FAMILIES=${FAMILIES:-1}
FAMILY_ROWS=${FAMILY_ROWS:-.}
D=${D:-3}

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "missing $tool (make deps installs it)" >&2; exit 1; }
done

if [ -z "${OURS:-}" ]; then
    cargo build --release --quiet
    OURS=./target/release/sentinel-lab
fi
if [ "$CPU" = 1 ] && ! command -v perf >/dev/null; then
    echo "CPU=1 needs perf (linux-perf)" >&2; exit 1
fi

# A port nobody listens on (bash's /dev/tcp connect fails when it is free).
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
    for _ in $(seq 1 200); do
        if [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ]; then return 0; fi
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2
    return 1
}

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

REAL_PORT=$(free_port)
redis-server --port "$REAL_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
REAL_PID=$!
PIDS+=($!)
OURS_PORT=$(free_port)
while [ "$OURS_PORT" = "$REAL_PORT" ]; do OURS_PORT=$(free_port); done
"$OURS" server --port "$OURS_PORT" --save "" >/dev/null 2>&1 &
OURS_PID=$!
PIDS+=($!)
wait_ready "$REAL_PORT"
wait_ready "$OURS_PORT"

# Prints "TEST rps" lines for one server and pipeline depth (a test's
# name is its first word: "LRANGE_100 (first 100 elements)" -> LRANGE_100).
# With CPU=1, "TEST rps usec" lines: each test runs alone under
# `perf stat -e task-clock` on the server's pid, usec its CPU time per request.
run() {
    local port=$1 pipe=$2 pid=$3 t line usec
    if [ "$CPU" != 1 ]; then
        redis-benchmark -p "$port" -q -n "$N" -c "$C" -P "$pipe" -d "$D" -t "$TESTS" 2>/dev/null \
            | tr '\r' '\n' \
            | awk -F': ' '/requests per second/ && !/needed to/ { split($1, n, " "); split($2, a, " "); print n[1], a[1] }'
        return
    fi
    local stat
    stat=$(mktemp)
    for t in ${TESTS//,/ }; do
        line=$(perf stat -x, -e task-clock -p "$pid" -o "$stat" -- \
            redis-benchmark -p "$port" -q -n "$N" -c "$C" -P "$pipe" -d "$D" -t "$t" 2>/dev/null \
            | tr '\r' '\n' | grep 'requests per second' | tail -1)
        # perf stat's CSV: task-clock in msec first.
        usec=$(awk -F, -v n="$N" '/task-clock/ { printf "%.3f", $1 * 1000 / n }' "$stat")
        echo "$line" | awk -F': ' -v u="$usec" \
            '/requests per second/ && !/needed to/ { split($1, n, " "); split($2, a, " "); print n[1], a[1], u }'
    done
    rm -f "$stat"
}

# One arbitrary-command row as "LABEL|rps|usec" (usec, the server's CPU time
# per request, only with CPU=1): redis-benchmark with random ints from -r.
bench_row() {
    local port=$1 pipe=$2 pid=$3 label=$4 stat rps usec=""
    shift 4
    if [ "$CPU" = 1 ]; then
        stat=$(mktemp)
        rps=$(perf stat -x, -e task-clock -p "$pid" -o "$stat" -- \
            redis-benchmark -p "$port" -q -n "$N" -c "$C" -P "$pipe" -r "$N" "$@" 2>/dev/null \
            | tr '\r' '\n' | awk -F': ' '/requests per second/ { split($2, a, " "); print a[1] }' | tail -1)
        usec=$(awk -F, -v n="$N" '/task-clock/ { printf "%.3f", $1 * 1000 / n }' "$stat")
        rm -f "$stat"
    else
        rps=$(redis-benchmark -p "$port" -q -n "$N" -c "$C" -P "$pipe" -r "$N" "$@" 2>/dev/null \
            | tr '\r' '\n' | awk -F': ' '/requests per second/ { split($2, a, " "); print a[1] }' | tail -1)
    fi
    echo "$label|$rps|$usec"
}

# The stream rows for one server and pipeline depth, as "TEST rps" lines:
# XADD with generated IDs; then, on bench:g pre-filled with N entries
# (IDs 1-0 .. N-0) and a group at 0, XREAD of 10 entries, XREADGROUP
# delivering one new entry per call into the PEL, XACK of random IDs.
run_streams() {
    local port=$1 pipe=$2 pid=$3 label
    redis-cli -p "$port" flushall >/dev/null
    seq 1 "$N" | awk '{ print "XADD bench:g " $1 "-0 f v" }' | redis-cli -p "$port" --pipe >/dev/null
    redis-cli -p "$port" xgroup create bench:g g 0 >/dev/null
    bench() {
        label=$1; shift
        bench_row "$port" "$pipe" "$pid" "$label" "$@"
    }
    bench XADD XADD bench:s '*' f v
    bench XREAD XREAD COUNT 10 STREAMS bench:g 0
    bench XREADGROUP XREADGROUP GROUP g c COUNT 1 STREAMS bench:g '>'
    bench XACK XACK bench:g g __rand_int__-0
}

# HyperLogLog, bitmap, geo and scripting rows for one server and pipeline
# depth, as "TEST rps" lines (random members / offsets from -r).
run_families() {
    local port=$1 pipe=$2 pid=$3 label sha
    redis-cli -p "$port" flushall >/dev/null
    for k in 0 1 2 3 4 5 6 7 8 9; do
        seq 1 1000 | awk -v k="$k" '{ print "PFADD bench:hll" k " e" $1 }' | redis-cli -p "$port" --pipe >/dev/null
    done
    sha=$(redis-cli -p "$port" script load \
        "for i=1,10 do redis.call('incr', KEYS[1]) end return redis.call('get', KEYS[1])")
    bench() {
        label=$1; shift
        [[ "$label" =~ $FAMILY_ROWS ]] || return 0
        bench_row "$port" "$pipe" "$pid" "$label" "$@"
    }
    bench PFADD PFADD bench:hll e__rand_int__
    bench "PFCOUNT (10 keys)" PFCOUNT bench:hll0 bench:hll1 bench:hll2 bench:hll3 bench:hll4 \
        bench:hll5 bench:hll6 bench:hll7 bench:hll8 bench:hll9
    # __rand_int__ has leading zeros, which a bit offset may not have.
    redis-cli -p "$port" setrange bench:bits 0 "$(head -c 10000 /dev/zero | tr '\0' 'x')" >/dev/null
    bench SETBIT SETBIT bench:bits 4242 1
    bench "BITCOUNT (10 KB)" BITCOUNT bench:bits
    bench GEOADD GEOADD bench:geo 13.__rand_int__ 38.__rand_int__ m__rand_int__
    bench GEOSEARCH GEOSEARCH bench:geo FROMLONLAT 13.5 38.5 BYRADIUS 100 km COUNT 10 ASC
    bench "EVAL incr" EVAL "return redis.call('incr',KEYS[1])" 1 bench:k
    bench "EVALSHA (10 commands)" EVALSHA "$sha" 1 bench:k10
}

declare -A REAL OURSR REALCPU OURSCPU
ORDER=()
for pipe in $PIPELINES; do
    suffix=""
    [ "$pipe" != 1 ] && suffix=" (-P $pipe)"
    # Flush between runs so both start from the same (empty) data set.
    redis-cli -p "$REAL_PORT" flushall >/dev/null 2>&1 || true
    while read -r name rps usec; do
        key="$name$suffix"; REAL[$key]=$rps; REALCPU[$key]=${usec:-}; ORDER+=("$key")
    done < <(run "$REAL_PORT" "$pipe" "$REAL_PID")
    redis-cli -p "$OURS_PORT" flushall >/dev/null 2>&1 || true
    while read -r name rps usec; do
        OURSR["$name$suffix"]=$rps; OURSCPU["$name$suffix"]=${usec:-}
    done < <(run "$OURS_PORT" "$pipe" "$OURS_PID")
    if [ "$STREAMS" = 1 ]; then
        while IFS='|' read -r name rps usec; do
            key="$name$suffix"; REAL[$key]=$rps; REALCPU[$key]=${usec:-}; ORDER+=("$key")
        done < <(run_streams "$REAL_PORT" "$pipe" "$REAL_PID")
        while IFS='|' read -r name rps usec; do
            OURSR["$name$suffix"]=$rps; OURSCPU["$name$suffix"]=${usec:-}
        done < <(run_streams "$OURS_PORT" "$pipe" "$OURS_PID")
    fi
    if [ "$FAMILIES" = 1 ]; then
        while IFS='|' read -r name rps usec; do
            key="${name// /_}$suffix"; REAL[$key]=$rps; REALCPU[$key]=${usec:-}; ORDER+=("$key")
        done < <(run_families "$REAL_PORT" "$pipe" "$REAL_PID")
        while IFS='|' read -r name rps usec; do
            key="${name// /_}$suffix"; OURSR[$key]=$rps; OURSCPU[$key]=${usec:-}
        done < <(run_families "$OURS_PORT" "$pipe" "$OURS_PID")
    fi
done

echo
echo "redis-benchmark -q -n $N -c $C -d $D -t $TESTS   (real: redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), ours: sentinel-lab release)"
if [ "$CPU" = 1 ]; then
    printf '%-22s | %12s | %12s | %6s | %9s | %9s | %9s\n' "test" "real rps" "ours rps" "ratio" "real us/r" "ours us/r" "cpu ratio"
    printf '%-22s-+-%12s-+-%12s-+-%6s-+-%9s-+-%9s-+-%9s\n' "----------------------" "------------" "------------" "------" "---------" "---------" "---------"
else
    printf '%-22s | %12s | %12s | %6s\n' "test" "real rps" "ours rps" "ratio"
    printf '%-22s-+-%12s-+-%12s-+-%6s\n' "----------------------" "------------" "------------" "------"
fi
for key in "${ORDER[@]}"; do
    r=${REAL[$key]:-0}; o=${OURSR[$key]:-0}
    ratio=$(awk -v o="$o" -v r="$r" 'BEGIN { if (r > 0) printf "%.2f", o / r; else print "-" }')
    if [ "$CPU" = 1 ]; then
        rc=${REALCPU[$key]:-}; oc=${OURSCPU[$key]:-}
        # real's CPU over ours: above 1 means we spend less per request.
        cr=$(awk -v o="$oc" -v r="$rc" 'BEGIN { if (o > 0 && r > 0) printf "%.2f", r / o; else print "-" }')
        printf '%-22s | %12s | %12s | %6s | %9s | %9s | %9s\n' "$key" "$r" "$o" "$ratio" "${rc:--}" "${oc:--}" "$cr"
    else
        printf '%-22s | %12s | %12s | %6s\n' "$key" "$r" "$o" "$ratio"
    fi
done
