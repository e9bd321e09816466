#!/usr/bin/env bash
# Instructions per request, ours and redis-server 7.0.15, under callgrind.
#
#   OURS=target/fastrel/release/sentinel-lab bench/callgrind.sh
#
# Each row starts a fresh server under `valgrind --tool=callgrind` with
# collection off, prepares its data, turns collection on for one
# redis-benchmark run of N requests, and prints the server's instructions
# (Ir) per request: repeatable where CPU time is not. Both servers pay their
# own IO (read / write system calls are counted up to the kernel boundary).
# Tunables (environment): N (20000), C (50), PIPELINES ("16 1"),
# TESTS (set,get,incr,sadd,hset,zadd), SCRIPTS (1: also EVAL of an INCR and
# EVALSHA of the 10-command script from redis-benchmark.sh), WHO ("real
# ours"), KEEP (a directory to keep the callgrind.out files in, for
# callgrind_annotate), VGARGS (more valgrind options, e.g. --cache-sim=yes),
# OURS (the binary; default target/release/sentinel-lab).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-20000}
C=${C:-50}
PIPELINES=${PIPELINES:-"16 1"}
TESTS=${TESTS:-set,get,incr,sadd,hset,zadd}
SCRIPTS=${SCRIPTS:-1}
WHO=${WHO:-"real ours"}
OURS=${OURS:-target/release/sentinel-lab}
KEEP=${KEEP:-}
SCRIPT10="for i=1,10 do redis.call('incr', KEYS[1]) end return redis.call('get', KEYS[1])"

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
    for _ in $(seq 1 600); do
        if [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ]; then return 0; fi
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    return 1
}

# One row: WHO PIPE LABEL -- redis-benchmark arguments. Prints "Ir/request".
measure() {
    local who=$1 pipe=$2 label=$3 port out pid ir sha=""
    shift 3
    port=$(free_port)
    out=$(mktemp /tmp/callgrind.XXXXXX)
    local cmd
    if [ "$who" = real ]; then
        cmd=(redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no)
    else
        cmd=("$OURS" server --port "$port" --save "")
    fi
    valgrind --tool=callgrind --instr-atstart=no ${VGARGS:-} --callgrind-out-file="$out" \
        "${cmd[@]}" >/dev/null 2>&1 &
    pid=$!
    wait_ready "$port"
    sha=$(redis-cli -p "$port" script load "$SCRIPT10")
    local args=()
    for a in "$@"; do args+=("${a//__SHA__/$sha}"); done
    # A short warm-up: the same load, uncounted.
    redis-benchmark -p "$port" -q -n 2000 -c "$C" -P "$pipe" "${args[@]}" >/dev/null 2>&1
    vgdb --pid="$pid" instrumentation on >/dev/null 2>&1
    redis-benchmark -p "$port" -q -n "$N" -c "$C" -P "$pipe" "${args[@]}" >/dev/null 2>&1
    vgdb --pid="$pid" instrumentation off >/dev/null 2>&1
    vgdb --pid="$pid" dump >/dev/null 2>&1
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    ir=$(cat "$out"* | awk '/^totals:/ { s += $2 } END { print s }')
    if [ -n "$KEEP" ]; then
        mkdir -p "$KEEP"
        cat "$out"* > "$KEEP/$who-$label-P$pipe.out" 2>/dev/null || true
    fi
    rm -f "$out"*
    echo $(( ir / N ))
}

rows() {
    local pipe=$1 t
    for t in ${TESTS//,/ }; do
        echo "$t|-t $t"
    done
    if [ "$SCRIPTS" = 1 ]; then
        echo "eval_incr|EVAL return·redis.call('incr',KEYS[1]) 1 bench:k"
        echo "evalsha10|EVALSHA __SHA__ 1 bench:k10"
    fi
}

printf "%-12s %4s" test P
for who in $WHO; do printf " %10s" "$who"; done
[ "$WHO" = "real ours" ] && printf " %8s" "ours/real"
echo
for pipe in $PIPELINES; do
    while IFS='|' read -r label spec; do
        read -r -a argv <<<"$spec"
        argv=("${argv[@]//·/ }")
        printf "%-12s %4s" "$label" "$pipe"
        declare -A got=()
        for who in $WHO; do
            got[$who]=$(measure "$who" "$pipe" "$label" "${argv[@]}")
            printf " %10s" "${got[$who]}"
        done
        if [ "$WHO" = "real ours" ]; then
            awk -v r="${got[real]}" -v o="${got[ours]}" 'BEGIN { printf " %8.2f", o / r }'
        fi
        echo
    done < <(rows "$pipe")
done
