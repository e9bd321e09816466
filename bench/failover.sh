#!/usr/bin/env bash
# Failover time of the tutorial topology (1 master, 2 replicas, 3 sentinels,
# quorum 2, down-after-milliseconds 1000), all Debian redis-server/redis-sentinel
# 7.0.15 versus all ours, in the same run:
#   - kill -> +switch-master: from SIGKILL of the master to the +switch-master
#     message received by `redis-cli SUBSCRIBE +switch-master` on a sentinel;
#   - kill -> first write: to the first successful write of a redis-py Sentinel
#     client (tests/py/sentinel_client.py) that writes in a loop through the kill.
# Prints each trial, then the medians and the ratio ours/real.
#
#   bench/failover.sh [trials]        (default 10; OURS=path uses that binary)
set -euo pipefail
TRIALS=${1:-10}
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -z "${OURS:-}" ]; then
  cargo build --release -q
  OURS=$ROOT/target/release/sentinel-lab
fi
REAL=$(command -v redis-server)
REAL_SENTINEL=$(command -v redis-sentinel)
PY=$ROOT/tests/py/sentinel_client.py
python3 -c 'import redis' 2>/dev/null || { echo "redis-py missing: make deps" >&2; exit 1; }
WORK=$(mktemp -d)
PIDS=()
cleanup_trial() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap 'cleanup_trial; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ms() { date +%s%3N; }
# wait_for SECONDS COMMAND...: poll every 20 ms, fail the run on timeout.
wait_for() {
  local end=$(( $(ms) + $1 * 1000 )); shift
  until "$@"; do
    [ "$(ms)" -lt "$end" ] || { echo "timeout waiting for: $*" >&2; return 1; }
    sleep 0.02
  done
}
pong() { redis-cli -p "$1" ping >/dev/null 2>&1; }
field() { redis-cli -p "$1" "${@:3}" 2>/dev/null | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }
link_up() { [ "$(field "$1" master_link_status info replication)" = up ]; }
sentinel_ready() {
  local out
  out=$(redis-cli -p "$1" sentinel master mymaster 2>/dev/null | paste - - | tr -d '\r')
  grep -qx $'num-slaves\t2' <<<"$out" && grep -qx $'num-other-sentinels\t2' <<<"$out"
}

start_server() { # kind port [master-port]
  local kind=$1 port=$2
  local args=(--port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK"
              --dbfilename "dump-$port.rdb" --repl-diskless-sync-delay 0)
  [ -n "${3:-}" ] && args+=(--replicaof 127.0.0.1 "$3")
  if [ "$kind" = real ]; then "$REAL" "${args[@]}" >"$WORK/server-$port.log" 2>&1 &
  else "$OURS" server "${args[@]}" >"$WORK/server-$port.log" 2>&1 & fi
  PIDS+=($!)
  wait_for 10 pong "$port"
}

start_sentinel() { # kind port master-port
  local kind=$1 port=$2 conf=$WORK/sentinel-$2.conf
  printf 'port %s\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 %s 2\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 10000\n' \
    "$port" "$3" >"$conf"
  if [ "$kind" = real ]; then "$REAL_SENTINEL" "$conf" >"$WORK/sentinel-$port.log" 2>&1 &
  else "$OURS" sentinel "$conf" >"$WORK/sentinel-$port.log" 2>&1 & fi
  PIDS+=($!)
  wait_for 10 pong "$port"
}

trial() { # kind -> prints "switch_ms write_ms"
  local kind=$1 m r1 r2 s1 s2 s3 mpid
  m=$(free_port); r1=$(free_port); r2=$(free_port)
  s1=$(free_port); s2=$(free_port); s3=$(free_port)
  start_server "$kind" "$m"; mpid=${PIDS[-1]}
  start_server "$kind" "$r1" "$m"
  start_server "$kind" "$r2" "$m"
  wait_for 20 link_up "$r1"; wait_for 20 link_up "$r2"
  for s in $s1 $s2 $s3; do start_sentinel "$kind" "$s" "$m"; done
  for s in $s1 $s2 $s3; do wait_for 60 sentinel_ready "$s"; done
  local sub=$WORK/sub-$s1.log py=$WORK/py-$s1.log
  (redis-cli -p "$s1" subscribe +switch-master | while read -r l; do echo "$(ms) $l"; done) >"$sub" 2>/dev/null &
  PIDS+=($!)
  python3 "$PY" --timeout 60 "$s1" "$s2" "$s3" >"$py" 2>&1 &
  PIDS+=($!)
  wait_for 20 grep -q '^READY' "$py"
  wait_for 5 grep -q ' subscribe$' "$sub"
  sleep 0.2
  local t0 tsw tw
  t0=$(ms)
  kill -9 "$mpid"
  wait_for 60 grep -q ' mymaster 127.0.0.1 ' "$sub"
  wait_for 60 grep -q '^NEW-MASTER' "$py"
  tsw=$(awk '$2 == "mymaster" {print $1; exit}' "$sub")
  tw=$(awk '$1 == "NEW-MASTER" {print $3; exit}' "$py")
  echo "$((tsw - t0)) $((tw - t0))"
  cleanup_trial
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%d\n", (a[NR/2]+a[NR/2+1])/2}'; }

echo "Failover: 1 master + 2 replicas + 3 sentinels, quorum 2, down-after-milliseconds 1000, $TRIALS trials each"
echo "(ours: $OURS)"
echo
declare -A SW WR
for kind in real ours; do
  : >"$WORK/$kind.txt"
  for i in $(seq "$TRIALS"); do
    r=$(trial "$kind")
    echo "$r" >>"$WORK/$kind.txt"
    printf '  %-4s trial %2d: kill->+switch-master %5s ms, kill->first write %5s ms\n' "$kind" "$i" ${r}
  done
  SW[$kind]=$(awk '{print $1}' "$WORK/$kind.txt" | median)
  WR[$kind]=$(awk '{print $2}' "$WORK/$kind.txt" | median)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "| servers + sentinels | median kill -> +switch-master (ms) | median kill -> first write, redis-py (ms) |"
echo "|---------------------|-----------------------------------:|------------------------------------------:|"
printf '| real 7.0.15         | %34s | %41s |\n' "${SW[real]}" "${WR[real]}"
printf '| ours                | %34s | %41s |\n' "${SW[ours]}" "${WR[ours]}"
printf '| ratio ours/real     | %34s | %41s |\n' "$(ratio "${SW[ours]}" "${SW[real]}")" "$(ratio "${WR[ours]}" "${WR[real]}")"
