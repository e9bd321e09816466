#!/usr/bin/env bash
# Regenerate the RDB corpus with Debian's redis-server 7.0.15.
# Usage: tests/data/rdb/make-corpus.sh   (from anywhere; writes next to itself)
# The data written here is mirrored in tests/rdb_corpus.rs: keep them in step.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${PORT:-7391}"
work="$(mktemp -d)"
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

start() { # start [extra redis-server args...]
  if redis-cli -p "$port" ping >/dev/null 2>&1; then echo "port $port is busy (set PORT=...)" >&2; exit 1; fi
  redis-server --port "$port" --dir "$work" --dbfilename dump.rdb --save '' \
    --daemonize yes --logfile "$work/log" "$@"
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "redis-server did not start" >&2; exit 1
}
stop() {
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 || break; sleep 0.1; done
  rm -f "$work/dump.rdb"
}
save_as() { # save_as NAME
  redis-cli -p "$port" save >/dev/null
  cp "$work/dump.rdb" "$here/$1"
  echo "wrote $1 ($(stat -c %s "$here/$1") bytes)"
}

# RESP for the main data set (binary safe), fed with --pipe.
dataset() {
python3 - <<'PY'
import sys
out = sys.stdout.buffer
def cmd(*a):
    a = [x if isinstance(x, bytes) else str(x).encode() for x in a]
    out.write(b"*%d\r\n" % len(a))
    for x in a:
        out.write(b"$%d\r\n%s\r\n" % (len(x), x))
cmd("select", 0)
# strings: int encodings, raw, binary, LZF-compressible, incompressible, empty
cmd("set", "str:int8", "100")
cmd("set", "str:int16", "-30000")
cmd("set", "str:int32", "2000000000")
cmd("set", "str:int64", "9007199254740993")
cmd("set", "str:neg", "-1")
cmd("set", "str:short", "hello world")
cmd("set", "str:bin", b"\x00\x01\xff\r\nbin")
cmd("set", "str:long", "abc" * 100)
cmd("set", "str:alnum", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
cmd("set", "str:empty", "")
# lists
cmd("rpush", "list:small", "a", "b", "c", "1", "2", "-3", "x" * 60)
ints = [-(1 << 40), -70000, -5000, -100, 0, 1, 127, 128, 4095, 4096, 40000, 8000000, 1 << 31, 1 << 62]
cmd("rpush", "list:ints", *ints)
for i in range(0, 2000, 100):
    cmd("rpush", "list:big", *["item:%d" % j for j in range(i, i + 100)])
cmd("rpush", "list:bigelem", "head", "z" * 10000, "tail")
# sets
cmd("sadd", "set:intset", 1, 2, 3, -5, 100000, 1 << 40)
cmd("sadd", "set:small", "apple", "banana", "cherry")
cmd("sadd", "set:big", *["m:%d" % i for i in range(600)])
cmd("sadd", "set:bigint", *range(1000))
# sorted sets
cmd("zadd", "zset:small", 1, "a", 2.5, "b", -3, "c", "+inf", "d", "-inf", "e")
args = []
for i in range(200):
    args += [i * 1.5, "m:%d" % i]
cmd("zadd", "zset:big", *args)
# hashes
cmd("hset", "hash:small", "f1", "v1", "n", "123", "empty", "")
args = []
for i in range(300):
    args += ["field:%d" % i, "value:%d" % i]
cmd("hset", "hash:big", *args)
cmd("hset", "hash:bigval", "k", "x" * 100)
# expiries (absolute, far future, so the file is deterministic but for aux fields)
cmd("set", "ttl:ms", "v")
cmd("pexpireat", "ttl:ms", 4102444800123)
cmd("set", "ttl:s", "v")
cmd("expireat", "ttl:s", 4102444800)
cmd("hset", "ttl:hash", "a", "1")
cmd("pexpireat", "ttl:hash", 4102444801000)
# other databases
cmd("select", 1)
cmd("set", "k1", "db1")
cmd("rpush", "l1", "x", "y")
cmd("select", 5)
cmd("set", "k5", "db5")
cmd("pexpireat", "k5", 4102444805000)
cmd("select", 15)
cmd("set", "k15", "db15")
cmd("zadd", "z15", 0, "zero")
PY
}

# 1. everything, default settings (compression and checksum on)
start
dataset | redis-cli -p "$port" --pipe >/dev/null
save_as corpus-7.0.rdb
stop
# 2. the same with rdbcompression no and rdbchecksum no (immutable: set at start)
start --rdbcompression no --rdbchecksum no
dataset | redis-cli -p "$port" --pipe >/dev/null
save_as corpus-7.0-plain.rdb
stop

# 3. an empty server
start
save_as empty-7.0.rdb
# 4. a function library (FUNCTION2 opcode) next to a key
redis-cli -p "$port" function load "#!lua name=mylib
redis.register_function('myfunc', function(keys, args) return 1 end)" >/dev/null
redis-cli -p "$port" set after-function 1 >/dev/null
save_as function-7.0.rdb
# 5. a stream (type 19)
redis-cli -p "$port" function flush >/dev/null
redis-cli -p "$port" del after-function >/dev/null
redis-cli -p "$port" set before-stream 1 >/dev/null
redis-cli -p "$port" xadd mystream 1-1 f v >/dev/null
save_as stream-7.0.rdb
stop
