#!/usr/bin/env python3
"""redis-py's scripting helpers against a server: `Lock` (its acquire,
extend, reacquire and release are Lua scripts run with EVALSHA) and
`register_script` (EVALSHA, falling back to EVAL on NOSCRIPT).

    scripting_client.py PORT

Prints `OK <checks>` and exits 0 when every check holds; otherwise prints
`FAIL <what>` and exits 1. Used by tests/scripting.rs.
"""
import sys

try:
    import redis
    from redis.exceptions import LockError, ResponseError
except ImportError as e:  # the Rust test turns this into a failure
    print(f"IMPORT-ERROR redis-py is not installed ({e}): run `make deps` or `pip install redis`",
          flush=True)
    sys.exit(3)


def main(port):
    r = redis.Redis(port=port, decode_responses=True)
    checks = 0

    def check(cond, what):
        nonlocal checks
        if not cond:
            print(f"FAIL {what}", flush=True)
            sys.exit(1)
        checks += 1

    r.script_flush()
    # register_script: the first call finds no script (NOSCRIPT) and loads it.
    incrby = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    check(incrby(keys=["counter"], args=[5]) == 5, "register_script first call")
    check(incrby(keys=["counter"], args=[2]) == 7, "register_script cached call")
    check(r.script_exists(incrby.sha) == [True], "script_exists after register_script")
    r.script_flush()
    check(incrby(keys=["counter"], args=[1]) == 8, "register_script after SCRIPT FLUSH")
    pair = r.register_script("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) * 2}")
    check(pair(keys=["k"], args=["a", 21]) == ["k", "a", 42], "script reply array")
    failing = r.register_script("return redis.call('INCR', KEYS[1])")
    r.set("text", "abc")
    try:
        failing(keys=["text"])
        check(False, "error reply raised")
    except ResponseError as e:
        check("not an integer" in str(e), f"error text: {e}")

    # Lock: acquire, contention, extend, reacquire, release, release twice.
    lock = r.lock("resource", timeout=10)
    check(lock.acquire(blocking=False), "lock acquired")
    other = r.lock("resource", timeout=10)
    check(not other.acquire(blocking=False), "second lock refused")
    check(lock.owned(), "lock owned")
    check(lock.extend(5), "lock extended")
    check(r.pttl("resource") > 10000, "extend added time")
    check(lock.reacquire(), "lock reacquired")
    check(r.pttl("resource") <= 10000, "reacquire reset the time")
    lock.release()
    check(r.get("resource") is None, "lock released")
    try:
        lock.release()
        check(False, "releasing an unlocked lock raises")
    except LockError:
        checks += 1
    with r.lock("ctx", timeout=5) as held:
        check(held.locked(), "context-managed lock held")
    check(r.get("ctx") is None, "context-managed lock released")

    print(f"OK {checks}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
